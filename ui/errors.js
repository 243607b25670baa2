// @ts-check
// errors.js: the ONE place that turns error codes into words a creator understands.
// Rust sends a code, an optional reason (which case of the code), parameters and
// Segmind's own words as data; the words themselves are in the catalogues
// (ui/locales). Each code says what happened (headline) and what to do next
// (next, plus an optional button in action).
//
// What a problem means for money is never decided here: Rust sends its verdict
// (AppError.billing, or JobView.billing and VoiceView.billing for a card), and
// moneyLine only words it.
import { t, formatClock, formatMoney, sentences } from './i18n.js';

/** @typedef {import('./contract').AppError} AppError */
/** @typedef {import('./contract').ErrorCode} ErrorCode */
/** @typedef {import('./contract').JobView} JobView */
/** @typedef {import('./contract').VoiceView} VoiceView */
/** @typedef {{ id: string, label: string }} Action */
/** @typedef {{ headline: string, next: string, action?: Action, saysTryAgain?: boolean }} CodeWords */
/** @typedef {{ job?: JobView | null, voice?: VoiceView | boolean }} Context */

const KEY_ACTION = { id: 'open_settings', label: 'error.action.check_key' };
const TOP_UP_ACTION = { id: 'top_up', label: 'error.action.top_up' };

// Every code Rust sends has its words: tsc fails on a code missing here. A code
// from a newer version ('other') reads as 'internal'.
/** @type {Record<Exclude<ErrorCode, 'other'>, CodeWords>} */
const CODES = {
  invalid_request: { headline: 'error.invalid_request.headline', next: 'error.invalid_request.next' },
  bad_request: { headline: 'error.bad_request.headline', next: 'error.bad_request.next' },
  auth: { headline: 'error.auth.headline', next: 'error.auth.next', action: KEY_ACTION },
  forbidden: { headline: 'error.forbidden.headline', next: 'error.forbidden.next', action: KEY_ACTION },
  not_found: { headline: 'error.not_found.headline', next: 'error.not_found.next', saysTryAgain: true },
  job_expired: { headline: 'error.job_expired.headline', next: 'error.job_expired.next' },
  method_not_allowed: { headline: 'error.method_not_allowed.headline', next: 'error.report.next' },
  insufficient_credits: { headline: 'error.insufficient_credits.headline', next: 'error.insufficient_credits.next', action: TOP_UP_ACTION },
  invalid_content_type: { headline: 'error.invalid_content_type.headline', next: 'error.report.next' },
  model_retired: { headline: 'error.model_retired.headline', next: 'error.model_retired.next' },
  job_failed: { headline: 'error.job_failed.headline', next: 'error.job_failed.next' },
  rate_limited: { headline: 'error.rate_limited.headline', next: 'error.rate_limited.next' },
  server_error: { headline: 'error.server_error.headline', next: 'error.server_error.next', saysTryAgain: true },
  transient: { headline: 'error.transient.headline', next: 'error.transient.next', saysTryAgain: true },
  network: { headline: 'error.network.headline', next: 'error.network.next', saysTryAgain: true },
  timeout: { headline: 'error.timeout.headline', next: 'error.timeout.next' },
  download_incomplete: { headline: 'error.download_incomplete.headline', next: 'error.download_incomplete.next', saysTryAgain: true },
  keychain_unavailable: { headline: 'error.keychain_unavailable.headline', next: 'error.keychain_unavailable.next' },
  keychain: { headline: 'error.keychain.headline', next: 'error.keychain.next', saysTryAgain: true },
  no_api_key: { headline: 'error.no_api_key.headline', next: 'error.no_api_key.next', action: { id: 'open_settings', label: 'error.action.add_key' } },
  busy: { headline: 'error.busy.headline', next: 'error.busy.next', saysTryAgain: true },
  over_limit: { headline: 'error.over_limit.headline', next: 'error.over_limit.next' },
  duplicate_submission: { headline: 'error.duplicate_submission.headline', next: 'error.duplicate_submission.next' },
  job_not_found: { headline: 'error.job_not_found.headline', next: 'error.job_not_found.next' },
  voice_not_found: { headline: 'error.voice_not_found.headline', next: 'error.voice_not_found.next' },
  io: { headline: 'error.io.headline', next: 'error.io.next' },
  link_expired: { headline: 'error.link_expired.headline', next: 'error.link_expired.next' },
  not_a_video: { headline: 'error.not_a_video.headline', next: 'error.not_a_video.next' },
  library_not_writable: { headline: 'error.library_not_writable.headline', next: 'error.library_not_writable.next' },
  unexpected_response: { headline: 'error.unexpected_response.headline', next: 'error.unexpected_response.next', saysTryAgain: true },
  internal: { headline: 'error.internal.headline', next: 'error.internal.next', saysTryAgain: true },
};

// saysTryAgain: the next step already tells the creator to try again.

// Reasons name the case of a code more closely: their words replace the code's
// headline (and its next step, when they have one of their own). speaksOfMoney:
// the words already say what it may cost.
// Keyed by every Reason Rust has (tsc fails on one without words); a reason from
// a newer version finds none and the code's own words stand.
/** @type {Record<import('./contract').Reason, { headline: string, next?: string, speaksOfMoney?: boolean }>} */
const REASONS = {
  job_stopped: { headline: 'reason.job_stopped' },
  no_longer_waiting: { headline: 'reason.no_longer_waiting' },
  being_sent: { headline: 'reason.being_sent' },
  downloading_paid: { headline: 'reason.downloading_paid', speaksOfMoney: true },
  nothing_to_fetch: { headline: 'reason.nothing_to_fetch' },
  not_ready: { headline: 'reason.not_ready' },
  not_in_library: { headline: 'reason.not_in_library' },
  outside_library: { headline: 'reason.outside_library' },
  closed_while_sending: { headline: 'reason.closed_while_sending', speaksOfMoney: true },
  follow_deadline: { headline: 'reason.follow_deadline', speaksOfMoney: true },
  no_video: { headline: 'reason.no_video' },
  unreadable_result: { headline: 'reason.unreadable_result', next: 'reason.unreadable_result.next', speaksOfMoney: true },
  unusable_address: { headline: 'reason.unusable_address' },
  redirect_refused: { headline: 'reason.redirect_refused' },
  certificate_refused: { headline: 'reason.certificate_refused', next: 'reason.certificate_refused.next' },
  key_missing: { headline: 'reason.key_missing' },
  below_estimate: { headline: 'reason.below_estimate' },
  base_url_not_url: { headline: 'reason.base_url_not_url' },
  base_url_not_https: { headline: 'reason.base_url_not_https' },
  still_not_kept: { headline: 'reason.still_not_kept' },
  open_folder: { headline: 'reason.open_folder' },
  open_browser: { headline: 'reason.open_browser' },
  save_video: { headline: 'reason.save_video' },
  save_video_as: { headline: 'reason.save_video_as' },
  keep_still: { headline: 'reason.keep_still' },
  record_job: { headline: 'reason.record_job' },
  delete_video: { headline: 'reason.delete_video' },
  delete_job: { headline: 'reason.delete_job' },
  write_video: { headline: 'reason.write_video' },
  remember_settings: { headline: 'reason.remember_settings' },
  upload: { headline: 'reason.upload', speaksOfMoney: true },
  upload_picture: { headline: 'reason.upload_picture', speaksOfMoney: true },
  clip_gone: { headline: 'reason.clip_gone' },
  picture_gone: { headline: 'reason.picture_gone' },
  voice_still_making: { headline: 'reason.voice_still_making' },
  no_voice_id: { headline: 'reason.no_voice_id' },
  voice_being_made: { headline: 'reason.voice_being_made' },
  interrupted: { headline: 'reason.interrupted' },
  keep_clip: { headline: 'reason.keep_clip' },
  keep_picture: { headline: 'reason.keep_picture' },
  record_voice: { headline: 'reason.record_voice' },
  delete_voice: { headline: 'reason.delete_voice' },
};

const MONEY_PARAMS = ['balance', 'estimate', 'limit', 'month'];

// The money sentence: Rust's verdict, worded. ctx.job is the job the error belongs
// to, ctx.voice the voice (or true for a voice's own call): their verdict is
// theirs; a plain action's (saving, settings…) is the error's.
/** @type {Partial<Record<import('./contract').Billing, string>>} */
const MONEY_WORDS = {
  not_billed: 'money.none',
  not_billed_failed: 'money.failed',
  accepted: 'money.accepted',
  may_be_billed: 'money.maybe',
};
/** @type {Partial<Record<import('./contract').Billing, string>>} */
const VOICE_MONEY_WORDS = {
  not_billed: 'money.none',
  not_billed_failed: 'money.failed_voice',
  may_be_billed: 'money.maybe_voice',
};
/** @param {AppError} e @param {Context} ctx */
function moneyLine(e, ctx) {
  const verdict = ctx.job ? ctx.job.billing
    : ctx.voice && typeof ctx.voice === 'object' ? ctx.voice.billing
      : e.billing;
  if (!verdict) return '';
  const key = (ctx.voice ? VOICE_MONEY_WORDS : MONEY_WORDS)[verdict];
  return key ? t(key) : '';
}

// A job that stopped with a problem but can pick up where it was ("Try again"):
// Rust says so on each job (JobView.resumable, from JobRecord::is_resumable).
/** @param {JobView | null | undefined} job */
export function isResumable(job) {
  return !!job && job.resumable === true;
}

/** @param {string} code @param {AppError} e */
function detailText(code, e) {
  return [
    code ? t('error.details.code', { code }) : '',
    e.reason ? t('error.details.reason', { reason: e.reason }) : '',
    e.serverMessage ? t('error.details.server', { text: e.serverMessage }) : '',
    e.detail ? t('error.details.detail', { text: e.detail }) : '',
  ].filter(Boolean).join('\n');
}

// describeError(err, { job, voice }) → { headline, money, next, action, detail, code }
// job: the job this error belongs to; leave it out for plain actions (saving, settings…).
// voice: the voice the error is about, or true for a voice's own call (its money
// words differ).
// action.label is words, ready to show.
/**
 * @param {AppError | Partial<AppError> | unknown} err
 * @param {Context} [ctx]
 */
export function describeError(err, ctx = {}) {
  /** @type {AppError} */
  const e = err && typeof err === 'object' ? /** @type {AppError} */ (err) : /** @type {AppError} */ ({ code: 'internal', detail: String(err ?? '') });
  /** @type {keyof typeof CODES} */
  const code = typeof e.code === 'string' && e.code in CODES ? /** @type {keyof typeof CODES} */ (e.code) : 'internal';
  const entry = CODES[code];
  const reason = typeof e.reason === 'string' && Object.hasOwn(REASONS, e.reason)
    ? REASONS[/** @type {import('./contract').Reason} */ (e.reason)]
    : undefined;
  const params = { ...(e.params && typeof e.params === 'object' ? e.params : {}) };
  // Amounts Rust sends as dollars are written as money, the creator's way.
  for (const name of MONEY_PARAMS) if (typeof params[name] === 'number') params[name] = formatMoney(params[name]);

  // Segmind's own words (in English) go to Details, untouched: the headline stays
  // in the creator's language.
  const headline = t(reason ? reason.headline : entry.headline, params);

  let next = t(reason && reason.next ? reason.next : entry.next, params);
  if (code === 'rate_limited' && e.retryAtMs) {
    const at = formatClock(e.retryAtMs);
    if (at) next = t('error.rate_limited.next_at', { time: at });
  }
  const money = reason && reason.speaksOfMoney ? '' : moneyLine(e, ctx);
  return {
    code,
    headline,
    money,
    next,
    action: entry.action ? { id: entry.action.id, label: t(entry.action.label) } : null,
    detail: detailText(typeof e.code === 'string' ? e.code : '', e),
  };
}

// Words for a job that did not end well, or waits for "Try again": what its status
// means comes first, then the error's own words. Answers null when all is well.
/** @param {JobView | null | undefined} job */
export function describeJobError(job) {
  if (!job) return null;
  const err = job.error;
  if (job.status === 'unknown') {
    return {
      ...describeError(err || { code: 'timeout', mayBeBilled: true }, { job }),
      headline: t('job_error.unknown.headline'),
      money: t('job_error.unknown.money'),
      next: t('job_error.unknown.next'),
      action: null,
    };
  }
  if (job.status === 'expired') {
    return {
      ...describeError(err || { code: 'job_expired' }, { job }),
      headline: t('error.job_expired.headline'),
      money: t('job_error.expired.money'),
      next: t('error.job_expired.next'),
      action: null,
    };
  }
  if (!err) return job.status === 'failed' ? describeError({ code: 'job_failed' }, { job }) : null;
  const d = describeError(err, { job });
  if (job.status === 'stopped') return d;
  // "Then press Try again", unless the words already say to try again.
  const saysTryAgain = (CODES[d.code] || {}).saysTryAgain;
  if (isResumable(job) && !saysTryAgain) d.next = d.next ? t('job_error.then_try_again', { next: d.next }) : t('job_error.try_again');
  // A paid job left with a problem is asked after again by itself: say when.
  const at = job.nextLookAtMs ? formatClock(job.nextLookAtMs) : '';
  if (at) d.next = t('job_error.next_look', { next: d.next, time: at });
  return d;
}

// Words for problems while checking or storing the API key (no money involved).
/** @param {AppError | unknown} err */
export function describeKeyError(err) {
  const code = err && typeof err === 'object' ? /** @type {AppError} */ (err).code : undefined;
  switch (code) {
    case 'auth':
      return t('key_error.auth');
    case 'forbidden':
      return t('key_error.forbidden');
    case 'network':
    case 'timeout':
    case 'transient':
    case 'server_error':
    case 'rate_limited':
      return t('key_error.unreachable');
    case 'keychain_unavailable':
      // The plain reason is shown in the box beside the "session only" button.
      return t('key_error.keychain_unavailable');
    case 'keychain':
      return t('key_error.keychain');
    default: {
      const d = describeError(err);
      return sentences([d.headline, d.next]);
    }
  }
}

// Why the keychain cannot keep the key (KeyStatus.keychainProblem is a code).
/** @param {ErrorCode} code */
export function keychainProblemText(code) {
  return code === 'keychain' ? t('error.keychain.explain') : t('error.keychain_unavailable.explain');
}

// A short single line, e.g. for the balance tooltip.
/** @param {AppError | unknown} err */
export function shortError(err) {
  return describeError(err).headline;
}
