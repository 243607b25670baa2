// api.js: the only module that talks to the Rust side.
// Every command is one small function here, and every failure, whatever shape it
// arrives in, becomes an AppError { code, reason, params, serverMessage, detail,
// fields, retryAtMs, mayBeBilled, billing }, so the rest of the UI never has to guess what a
// rejection looks like. Rust sends codes and data, never sentences: errors.js words them.

function core() {
  const tauri = window.__TAURI__;
  return tauri && tauri.core ? tauri.core : null;
}

function normalizeFields(list) {
  if (!Array.isArray(list)) return [];
  return list
    .filter((f) => f && typeof f === 'object')
    .map((f) => ({ field: String(f.field ?? ''), rule: String(f.rule ?? ''), params: f.params && typeof f.params === 'object' ? f.params : {} }))
    .filter((f) => f.rule !== '');
}

function plain(detail) {
  return { code: 'internal', reason: null, params: {}, serverMessage: null, detail, fields: [], retryAtMs: null, mayBeBilled: false, billing: 'unsaid' };
}

// Turns anything thrown by invoke (object, JSON string, plain string, Error) into an AppError.
export function toAppError(raw) {
  let e = raw;
  if (typeof e === 'string') {
    try {
      const parsed = JSON.parse(e);
      if (parsed && typeof parsed === 'object') e = parsed;
    } catch {
      // A bare string is usually a low-level message: keep it for Details only.
      return plain(e);
    }
  }
  if (e instanceof Error) return plain(String(e.message || e));
  if (!e || typeof e !== 'object') return plain(String(e ?? ''));
  const retry = e.retryAtMs ?? e.retry_at_ms;
  let detail = e.detail ?? '';
  if (typeof detail !== 'string') {
    try { detail = JSON.stringify(detail); } catch { detail = String(detail); }
  }
  return {
    code: typeof e.code === 'string' && e.code ? e.code : 'internal',
    reason: typeof e.reason === 'string' ? e.reason : null,
    params: e.params && typeof e.params === 'object' ? e.params : {},
    serverMessage: typeof e.serverMessage === 'string' ? e.serverMessage : null,
    detail,
    fields: normalizeFields(e.fields),
    retryAtMs: retry != null && Number.isFinite(Number(retry)) ? Number(retry) : null,
    // "The request may have reached Segmind and may be billed": Rust knows, the UI never guesses.
    mayBeBilled: (e.mayBeBilled ?? e.may_be_billed) === true,
    // What that means for money, decided by Rust (AppError::billing): errors.js words it.
    billing: typeof e.billing === 'string' ? e.billing : 'unsaid',
  };
}

async function call(cmd, args, options) {
  const c = core();
  if (!c || typeof c.invoke !== 'function') {
    throw toAppError({ code: 'internal', detail: `The app's engine is not available (command ${cmd}).` });
  }
  try {
    return await c.invoke(cmd, args, options);
  } catch (err) {
    throw toAppError(err);
  }
}

export const formRules = () => call('form_rules');
// The catalogue of the language in use: { lang, words, languages: [{ code, name }] }.
export const words = () => call('words');
export const setLanguage = (lang) => call('set_language', { lang });
// Money: the price before the click, the spend after, the creator's monthly limit.
export const estimatePrice = (request, takes) => call('estimate_price', { request, takes });
export const spendSummary = () => call('spend_summary');
export const setMonthlyLimit = (limit) => call('set_monthly_limit', { limit });
export const loadSettings = () => call('load_settings');
export const rememberRequest = (request) => call('remember_request', { request });
export const keyStatus = () => call('key_status');
// The key goes straight to Rust and is never logged or kept by the UI.
export const saveApiKey = (key, sessionOnly) => call('save_api_key', { key, sessionOnly: !!sessionOnly });
export const removeApiKey = () => call('remove_api_key');
export const getCredits = () => call('get_credits');
export const saveVideo = (jobId) => call('save_video', { jobId });
// The JPEG goes as the raw body (bytes, not a JSON array of numbers).
export const saveStill = (jobId, jpeg) => call('save_still', jpeg, { headers: { 'job-id': jobId } });
export const saveVideoAs = (jobId) => call('save_video_as', { jobId });
export const chooseOutputFolder = () => call('choose_output_folder');
export const showInFolder = (path) => call('show_in_folder', { path });
export const openHelpLink = (link) => call('open_help_link', { link });
// Support: the log folder in the file manager, and the details to send (no key).
export const openLogsFolder = () => call('open_logs_folder');
export const supportDetails = (page) => call('support_details', { page });

export async function validateRequest(request) {
  const list = await call('validate_request', { request });
  return normalizeFields(list);
}

export const setMaxRunningJobs = (count) => call('set_max_running_jobs', { count });

// ---------- the job library ----------

// One Generate click: answers the new jobs (status "waiting"), one per take.
// Progress arrives through watchJobs.
export const startJob = (request, submissionId, takes = 1, pastLimitAgreed = false) =>
  call('start_job', { order: { request, submissionId, takes, pastLimitAgreed } });
export const stopFollowing = (jobId) => call('stop_following', { jobId });
export const resumeJob = (jobId) => call('resume_job', { jobId });
export const deleteJob = (jobId) => call('delete_job', { jobId });
export const runInBackground = () => call('run_in_background');
export const quitApp = () => call('quit_app');
// The menu's shortcuts the page passes on, on this system ([{ key, action }]; empty
// where the menu takes its own keys), and choosing an item as the menu does.
export const menuKeys = () => call('menu_keys');
export const chooseMenuItem = (action) => call('choose_menu_item', { action });

// Called once at start-up: answers { jobs (newest first), damaged } and from then on
// hands every change ({ kind: "job" | "deleted" | "closeRequested", … }) to onEvent.
// A bug in the handler must never break the channel, so it is contained here.
export function watchJobs(onEvent) {
  return callWithChannel('watch_jobs', 'onEvent', onEvent, {});
}

// A command that reports through a Channel; a bug in the handler never breaks it.
function callWithChannel(cmd, argName, onMessage, args) {
  const c = core();
  if (!c || typeof c.Channel !== 'function') {
    return Promise.reject(toAppError({ code: 'internal', detail: `The app's engine is not available (${cmd}).` }));
  }
  const channel = new c.Channel();
  channel.onmessage = (msg) => {
    try {
      onMessage(msg);
    } catch (err) {
      console.error(`Could not show what ${cmd} reported`, err);
    }
  };
  return call(cmd, { ...args, [argName]: channel });
}

// ---------- voices ----------

// The chosen clip's bytes go as the raw body; Rust checks them and keeps them for
// makeVoice. Answers { clipId, format, millis, bytes }; nothing is sent to Segmind.
export const stageVoiceClip = (bytes) => call('stage_voice_clip', bytes);

// Uploads the staged clip and makes the voice; onProgress gets
// { phase: 'uploading', sent, total } then { phase: 'creating' }.
export const makeVoice = (clipId, clipName, name, onProgress) =>
  callWithChannel('make_voice', 'onProgress', onProgress, { clipId, clipName, name });
export const renameVoice = (id, name) => call('rename_voice', { id, name });
export const deleteVoice = (id) => call('delete_voice', { id });
