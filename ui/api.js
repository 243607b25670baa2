// @ts-check
// api.js: the only module that talks to the Rust side.
// Every command is one small function here, and every failure, whatever shape it
// arrives in, becomes an AppError { code, reason, params, serverMessage, detail,
// fields, retryAtMs, mayBeBilled, billing }, so the rest of the UI never has to guess what a
// rejection looks like. Rust sends codes and data, never sentences: errors.js words them.
// Every command's name, arguments and answer are typed by ui/contract.d.ts, generated
// from the Rust types (tsc checks this file in make test).

import { takeEarly } from './early.js';

/** @typedef {import('./contract').Command} Command */
/** @typedef {import('./contract').AppError} AppError */
/** @typedef {import('./contract').FieldError} FieldError */
/** @typedef {import('./contract').GenerationRequest} GenerationRequest */
/** @typedef {import('./contract').JobView} JobView */
/** @typedef {import('./contract').VoiceView} VoiceView */
/** @typedef {import('./contract').KeyStatus} KeyStatus */
/** @typedef {import('./contract').SavedFile} SavedFile */

function core() {
  const tauri = window.__TAURI__;
  return tauri && tauri.core ? tauri.core : null;
}

/** @param {unknown} list @returns {FieldError[]} */
function normalizeFields(list) {
  if (!Array.isArray(list)) return [];
  return list
    .filter((f) => f && typeof f === 'object')
    .map((f) => ({ field: String(f.field ?? ''), rule: String(f.rule ?? ''), params: f.params && typeof f.params === 'object' ? f.params : {} }))
    .filter((f) => f.rule !== '');
}

/** @param {string} detail @returns {AppError} */
function plain(detail) {
  return { code: 'internal', reason: null, params: {}, serverMessage: null, detail, fields: [], retryAtMs: null, mayBeBilled: false, billing: 'unsaid' };
}

// Turns anything thrown by invoke (object, JSON string, plain string, Error) into an AppError.
/** @param {unknown} raw @returns {AppError} */
export function toAppError(raw) {
  /** @type {any} */
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

/**
 * One command; its answer is typed by the caller's declared type.
 * @template T
 * @param {Command} cmd
 * @param {Record<string, unknown> | Uint8Array | ArrayBuffer} [args]
 * @param {unknown} [options]
 * @returns {Promise<T>}
 */
async function call(cmd, args, options) {
  const c = core();
  if (!c || typeof c.invoke !== 'function') {
    throw toAppError({ code: 'internal', detail: `The app's engine is not available (command ${cmd}).` });
  }
  try {
    // A question early.js already asked at start is answered from there, once.
    const asked = args === undefined ? takeEarly(cmd) : null;
    return /** @type {T} */ (await (asked ?? c.invoke(cmd, /** @type {any} */ (args), options)));
  } catch (err) {
    throw toAppError(err);
  }
}

/** @type {() => Promise<import('./contract').FormRules>} */
export const formRules = () => call('form_rules');
// The catalogue of the language in use: { lang, words, languages: [{ code, name }] }.
/** @type {() => Promise<import('./contract').PageWords>} */
export const words = () => call('words');
/** @type {(lang: string) => Promise<import('./contract').PageWords>} */
export const setLanguage = (lang) => call('set_language', { lang });
// Money: the price before the click, the spend after, the creator's monthly limit.
/** @type {(request: GenerationRequest, takes: number) => Promise<import('./contract').PriceView>} */
export const estimatePrice = (request, takes) => call('estimate_price', { request, takes });
/** @type {() => Promise<import('./contract').SpendView>} */
export const spendSummary = () => call('spend_summary');
/** @type {(limit: number | null) => Promise<import('./contract').SpendView>} */
export const setMonthlyLimit = (limit) => call('set_monthly_limit', { limit });
/** @type {() => Promise<import('./contract').LoadedSettings>} */
export const loadSettings = () => call('load_settings');
/** @type {(request: GenerationRequest) => Promise<void>} */
export const rememberRequest = (request) => call('remember_request', { request });
/** @type {() => Promise<KeyStatus>} */
export const keyStatus = () => call('key_status');
// Start-up's last step: the page is drawn and answers clicks (logged by Rust).
/** @type {() => Promise<void>} */
export const pageShown = () => call('page_shown');
// The key goes straight to Rust and is never logged or kept by the UI.
/** @type {(key: string, sessionOnly?: boolean) => Promise<import('./contract').SavedKey>} */
export const saveApiKey = (key, sessionOnly) => call('save_api_key', { key, sessionOnly: !!sessionOnly });
/** @type {() => Promise<KeyStatus>} */
export const removeApiKey = () => call('remove_api_key');
/** @type {() => Promise<number>} */
export const getCredits = () => call('get_credits');
/** @type {(jobId: string) => Promise<SavedFile>} */
export const saveVideo = (jobId) => call('save_video', { jobId });
// The JPEG goes as the raw body (bytes, not a JSON array of numbers).
/** @type {(jobId: string, jpeg: Uint8Array | ArrayBuffer) => Promise<JobView>} */
export const saveStill = (jobId, jpeg) => call('save_still', jpeg, { headers: { 'job-id': jobId } });
/** @type {(jobId: string) => Promise<SavedFile | null>} */
export const saveVideoAs = (jobId) => call('save_video_as', { jobId });
/** @type {() => Promise<string | null>} */
export const chooseOutputFolder = () => call('choose_output_folder');
// Reveals the job's saved copy (saving it into the output folder first if none).
/** @type {(jobId: string) => Promise<void>} */
export const showVideoFile = (jobId) => call('show_video_file', { jobId });
/** @type {(on: boolean) => Promise<boolean>} */
export const setSaveFinishedVideos = (on) => call('set_save_finished_videos', { on });
/** @type {(link: import('./contract').HelpLink) => Promise<void>} */
export const openHelpLink = (link) => call('open_help_link', { link });
// Support: the log folder in the file manager, and the details to send (no key).
/** @type {() => Promise<void>} */
export const openLogsFolder = () => call('open_logs_folder');
/** @type {(page: import('./contract').PageFacts) => Promise<string>} */
export const supportDetails = (page) => call('support_details', { page });

/** @param {GenerationRequest} request @returns {Promise<FieldError[]>} */
export async function validateRequest(request) {
  const list = await call('validate_request', { request });
  return normalizeFields(list);
}

/** @type {(count: number) => Promise<number>} */
export const setMaxRunningJobs = (count) => call('set_max_running_jobs', { count });

// ---------- the job library ----------

// One Generate click: answers the new jobs (status "waiting"), one per take.
// Progress arrives through watchJobs.
/** @type {(request: GenerationRequest, submissionId: string, takes?: number, pastLimitAgreed?: boolean) => Promise<JobView[]>} */
export const startJob = (request, submissionId, takes = 1, pastLimitAgreed = false) =>
  call('start_job', { order: /** @type {import('./contract').Order} */ ({ request, submissionId, takes, pastLimitAgreed }) });
// "Another take" of a ready video: one more job of its request, in its set of takes.
/** @type {(jobId: string, submissionId: string, pastLimitAgreed?: boolean) => Promise<JobView>} */
export const anotherTake = (jobId, submissionId, pastLimitAgreed = false) =>
  call('another_take', { order: /** @type {import('./contract').AnotherTake} */ ({ jobId, submissionId, pastLimitAgreed }) });
/** @type {(jobId: string) => Promise<JobView>} */
export const keepTake = (jobId) => call('keep_take', { jobId });
/** @type {(jobId: string) => Promise<JobView>} */
export const stopFollowing = (jobId) => call('stop_following', { jobId });
/** @type {(jobId: string) => Promise<JobView>} */
export const resumeJob = (jobId) => call('resume_job', { jobId });
/** @type {(jobId: string) => Promise<void>} */
export const deleteJob = (jobId) => call('delete_job', { jobId });
/** @type {() => Promise<void>} */
export const runInBackground = () => call('run_in_background');
/** @type {() => Promise<void>} */
export const quitApp = () => call('quit_app');
// The menu's shortcuts the page passes on, on this system ([{ key, action }]; empty
// where the menu takes its own keys), and choosing an item as the menu does.
/** @type {() => Promise<import('./contract').PageKey[]>} */
export const menuKeys = () => call('menu_keys');
/** @type {(action: import('./contract').MenuAction) => Promise<void>} */
export const chooseMenuItem = (action) => call('choose_menu_item', { action });

// Called once at start-up: answers { jobs (newest first), damaged } and from then on
// hands every change ({ kind: "job" | "deleted" | "closeRequested", … }) to onEvent.
// A bug in the handler must never break the channel, so it is contained here.
/**
 * @param {(event: import('./contract').StudioEvent) => void} onEvent
 * @returns {Promise<import('./contract').LibrarySnapshot>}
 */
export function watchJobs(onEvent) {
  return callWithChannel('watch_jobs', 'onEvent', onEvent, {});
}

// A command that reports through a Channel; a bug in the handler never breaks it.
/**
 * @template M, T
 * @param {Command} cmd
 * @param {string} argName
 * @param {(message: M) => void} onMessage
 * @param {Record<string, unknown>} args
 * @returns {Promise<T>}
 */
function callWithChannel(cmd, argName, onMessage, args) {
  const c = core();
  if (!c || typeof c.Channel !== 'function') {
    return Promise.reject(toAppError({ code: 'internal', detail: `The app's engine is not available (${cmd}).` }));
  }
  /** @type {{ onmessage: (message: M) => void }} */
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

// ---------- pictures to start from ----------

// A chosen picture's bytes (a Uint8Array) for the first or last frame: Rust
// checks it, converts it if Kling would refuse it as it is, and keeps it.
/** @type {(field: 'start_image_url' | 'end_image_url', bytes: Uint8Array) => Promise<import('./contract').PictureView>} */
export const stagePicture = (field, bytes) => call('stage_picture', /** @type {any} */ (bytes), { headers: { 'x-frame-field': field } });
/** @type {(name: string) => Promise<import('./contract').PictureView>} */
export const picture = (name) => call('picture', { name });

// ---------- voices ----------

// The chosen clip's bytes go as the raw body; Rust checks them and keeps them for
// makeVoice. Answers { clipId, format, millis, bytes }; nothing is sent to Segmind.
/** @type {(bytes: Uint8Array | ArrayBuffer) => Promise<import('./contract').StagedClip>} */
export const stageVoiceClip = (bytes) => call('stage_voice_clip', bytes);

// Uploads the staged clip and makes the voice; onProgress gets
// { phase: 'uploading', sent, total } then { phase: 'creating' }.
/** @type {(clipId: string, clipName: string, name: string, onProgress: (progress: import('./contract').VoiceProgress) => void) => Promise<VoiceView>} */
export const makeVoice = (clipId, clipName, name, onProgress) =>
  callWithChannel('make_voice', 'onProgress', onProgress, { clipId, clipName, name });
/** @type {(id: string, name: string) => Promise<VoiceView>} */
export const renameVoice = (id, name) => call('rename_voice', { id, name });
/** @type {(id: string) => Promise<void>} */
export const deleteVoice = (id) => call('delete_voice', { id });
