// errors.js: the ONE place that turns error codes into words a creator understands.
// Each entry says what happened (headline), whether money was spent (money), and
// what to do next (next, plus an optional button in action).
//
// Whether the request may have reached Segmind (and may be billed) is never guessed
// here: Rust says so in AppError.mayBeBilled, and a job says whether Segmind had
// accepted it (it has a requestId). The money values below only say what a code
// means when neither of those settles it:
//   'none'   no credits were used, whatever the moment
//   'failed' Segmind does not bill videos that fail
//   'ctx'    depends on the job (accepted by Segmind or not)

const MONEY = {
  none: 'No credits were used.',
  maybe: 'Segmind may have billed this video. The app never sends it again, so you are not charged twice.',
  failed: 'Segmind does not bill videos that fail.',
  accepted: 'Segmind already has this video, so Try again picks it up where it stopped — you are not charged twice.',
};

const KEY_ACTION = { id: 'open_settings', label: 'Check your API key' };
const TOP_UP_ACTION = { id: 'top_up', label: 'Top up credits' };
const REPORT = 'If it keeps happening, please report it and include the Details below.';

const CODES = {
  invalid_request: { headline: 'A few settings need a fix before this can be sent.', money: 'none', next: 'Fix the marked fields, then press Generate again.' },
  bad_request: { headline: 'Segmind did not accept these settings.', money: 'none', next: 'Try changing the prompt or the options, then generate again.', showMessage: true },
  auth: { headline: 'Your Segmind API key was not accepted.', money: 'none', next: 'Check your API key in Settings, or replace it with a new one.', action: KEY_ACTION },
  forbidden: { headline: 'Your Segmind key is not allowed to use Kling 3.0 Pro.', money: 'none', next: 'Check your Segmind account, or use a different key.', action: KEY_ACTION },
  not_found: { headline: 'Segmind could not find the video model or this video.', money: 'ctx', next: `Try again in a while. ${REPORT}` },
  job_expired: { headline: 'Segmind forgot this job before its video was fetched (it keeps jobs about an hour).', money: 'ctx', next: 'Generate it again if you still need it.' },
  method_not_allowed: { headline: 'The app sent Segmind a request it does not understand. This is a bug in the app.', money: 'none', next: 'Please report it and include the Details below.' },
  insufficient_credits: { headline: 'Your Segmind balance is too low for this video.', money: 'none', next: 'Top up your credits, then press Generate again.', action: TOP_UP_ACTION },
  invalid_content_type: { headline: 'Segmind did not accept the way the app sent this request. This is a bug in the app.', money: 'none', next: 'Please report it and include the Details below.' },
  model_retired: { headline: 'Segmind has retired this video model.', money: 'none', next: 'Look for an update of Kling Studio.' },
  job_failed: { headline: 'Segmind could not make this video.', money: 'failed', next: 'Try rewording the prompt, then generate again.', showMessage: true },
  rate_limited: { headline: 'Segmind is busy right now.', money: 'ctx', next: 'Waiting and retrying automatically.' },
  server_error: { headline: 'Segmind had a problem on their side.', money: 'ctx', next: 'Try again in a few minutes. Some settings can cause this too, so changing the prompt may help.' },
  transient: { headline: 'Segmind is not available for a moment.', money: 'ctx', next: 'Try again in a few minutes.' },
  network: { headline: 'Could not reach Segmind.', money: 'ctx', next: 'Check your internet connection and try again.' },
  timeout: { headline: 'Segmind took too long to answer.', money: 'ctx', next: 'Check your Segmind dashboard before trying again, so you do not pay twice.' },
  download_incomplete: { headline: 'The video was made, but downloading it did not finish.', money: 'ctx', next: 'Check your internet connection and free disk space, then try again.' },
  keychain_unavailable: { headline: "Your computer's password store is not available.", money: null, next: 'You can still use the key for this session only.', showMessage: true },
  keychain: { headline: "The app could not use your computer's password store.", money: null, next: 'Try again, or use the key for this session only.', showMessage: true },
  no_api_key: { headline: 'No Segmind API key is set up yet.', money: 'none', next: 'Add your key in Settings.', action: { id: 'open_settings', label: 'Add your API key' } },
  busy: { headline: 'This video is in the middle of a step that cannot be interrupted.', money: null, next: 'Try again in a moment.', showMessage: true },
  duplicate_submission: { headline: 'This request was already sent, so it was not sent again.', money: null, next: 'Look for it under Your videos, or press Generate again for a new one.' },
  job_not_found: { headline: 'The app lost track of this video.', money: 'ctx', next: `Generate it again if you need it. ${REPORT}` },
  io: { headline: 'The app could not read or write a file on your computer.', money: null, next: 'Check that the folder still exists and the disk has free space, then try again.', showMessage: true },
  link_expired: { headline: "The video's download link has expired.", money: 'ctx', next: 'The app asks Segmind for a fresh link by itself.' },
  not_a_video: { headline: 'The file host sent something that is not your video.', money: 'ctx', next: 'The app asks Segmind for the video again by itself. If it keeps happening, try again later.' },
  library_not_writable: { headline: 'Kling Studio cannot write to its library. Is the disk full?', money: 'ctx', next: 'Free some space on the disk. The video goes on meanwhile and is saved as soon as the disk allows.' },
  unexpected_response: { headline: 'Segmind answered in a way the app did not expect.', money: 'ctx', next: `Try again. ${REPORT}` },
  internal: { headline: 'Something went wrong inside the app.', money: 'ctx', next: `Try again. ${REPORT}` },
};

// The money sentence. ctx.job is the job the error belongs to (undefined for plain
// actions such as saving, where only Rust's flag can make money worth a mention).
function moneyLine(kind, e, ctx) {
  const job = ctx.job;
  if (e.mayBeBilled === true) return MONEY.maybe;
  if (!job) return kind === 'none' ? MONEY.none : '';
  if (kind === 'failed') return MONEY.failed;
  if (job.status === 'expired') return MONEY.maybe;
  if (job.requestId) return isResumable(job) ? MONEY.accepted : (kind === 'none' ? '' : MONEY.maybe);
  if (kind === null) return '';
  return MONEY.none; // Segmind never accepted it, and Rust says it did not reach them
}

// A job that stopped with a problem but can pick up where it was ("Try again").
export function isResumable(job) {
  return !!job && !!job.error && ['queued', 'processing', 'downloading', 'waiting'].includes(job.status);
}

// "…content filter.. Your credits" → "…content filter. Your credits"
function tidy(text) {
  return text.replace(/\.\.(\s|$)/g, '.$1');
}

function clockTime(ms) {
  try {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  } catch {
    return '';
  }
}

// describeError(err, { job }) → { headline, message, money, next, action, detail, code }
// job: the job this error belongs to; leave it out for plain actions (saving, settings…).
export function describeError(err, ctx = {}) {
  const e = err && typeof err === 'object' ? err : { code: 'internal', message: '', detail: String(err ?? '') };
  const code = typeof e.code === 'string' ? e.code : 'internal';
  const entry = CODES[code];
  const message = typeof e.message === 'string' ? e.message.trim() : '';
  let next = entry ? entry.next : '';
  if (code === 'rate_limited' && e.retryAtMs) {
    const at = clockTime(e.retryAtMs);
    if (at) next = `Waiting and retrying automatically at ${at}.`;
  }
  // Rust's messages are already plain sentences. They lead for unknown codes, and for
  // codes whose message carries the specific reason (which setting, what Segmind said);
  // then our money line is dropped if the message already speaks of credits.
  const leadWithMessage = !!message && (!entry || entry.showMessage);
  let money = moneyLine(entry ? entry.money : 'ctx', e, ctx);
  if (leadWithMessage && /credit|charge|bill/i.test(message)) money = '';
  return {
    code,
    headline: leadWithMessage ? tidy(message) : (entry ? entry.headline : CODES.internal.headline),
    message: '',
    money,
    next: entry ? next : (message ? '' : CODES.internal.next),
    action: entry && entry.action ? entry.action : null,
    detail: [code ? `Code: ${code}` : '', message ? `Message: ${message}` : '', e.detail ? `Detail: ${e.detail}` : '']
      .filter(Boolean).join('\n'),
  };
}

// Words for a job that did not end well, or waits for "Try again": what its status
// means comes first, then the error's own words. Answers null when all is well.
export function describeJobError(job) {
  if (!job) return null;
  const err = job.error;
  if (job.status === 'unknown') {
    return {
      ...describeError(err || { code: 'timeout', mayBeBilled: true }, { job }),
      headline: 'The app could not tell whether Segmind received this video.',
      money: 'It may have been billed. It was not sent again, so you are not charged twice.',
      next: 'Check your Segmind dashboard.',
      action: null,
    };
  }
  if (job.status === 'expired') {
    return {
      ...describeError(err || { code: 'job_expired' }, { job }),
      headline: 'Segmind forgot this job before its video was fetched (it keeps jobs about an hour).',
      money: 'Segmind may have billed it.',
      next: 'Generate it again if you still need it.',
      action: null,
    };
  }
  if (!err) return job.status === 'failed' ? describeError({ code: 'job_failed' }, { job }) : null;
  const d = describeError(err, { job });
  if (job.status === 'stopped') {
    // Following ended on its own (the deadline): Rust's sentence says why and what it may cost.
    const message = typeof err.message === 'string' ? err.message.trim() : '';
    return message ? { ...d, headline: tidy(message), money: /credit|charge|bill/i.test(message) ? '' : d.money } : d;
  }
  if (isResumable(job) && d.next && !/try again/i.test(d.next)) d.next = `${d.next} Then press Try again.`;
  else if (isResumable(job) && !d.next) d.next = 'Press Try again.';
  return d;
}

// Words for problems while checking or storing the API key (no money involved).
export function describeKeyError(err) {
  const code = err && err.code;
  const message = err && typeof err.message === 'string' ? err.message.trim() : '';
  switch (code) {
    case 'auth':
      return 'Segmind did not accept this key. Check that you copied all of it, then try again.';
    case 'forbidden':
      return 'Segmind accepted the key, but it is not allowed to use this model. Check your Segmind account.';
    case 'network':
    case 'timeout':
    case 'transient':
    case 'server_error':
    case 'rate_limited':
      return 'Could not reach Segmind to check the key. Check your internet connection and try again.';
    case 'keychain_unavailable':
      // The plain reason is shown in the box beside the "session only" button.
      return 'The key could not be stored on this computer. You can use it for this session only.';
    case 'keychain':
      return `${message || "The app could not store the key in your computer's password store."} Try again, or use the key for this session only.`;
    default: {
      const d = describeError(err);
      return [d.headline, d.message, d.next].filter(Boolean).join(' ');
    }
  }
}

// A short single line, e.g. for the balance tooltip.
export function shortError(err) {
  return describeError(err).headline;
}
