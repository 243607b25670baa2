// @ts-check
// status.js: what a job's status means, in words, for the stage and the history
// cards; and the small helpers both use. (Error words live in errors.js.)
// Words are looked up when they are drawn, never at load: the catalogue arrives
// after the modules are imported, and may change with the language.
import { isResumable } from './errors.js';
import { t, formatBytes, formatClock, formatDate, formatMoney, formatNumber, formatPlace, formatTimeOfDay } from './i18n.js';

/** @typedef {import('./contract').JobView} JobView */
/** @typedef {import('./contract').RecordStatus} RecordStatus */
/** A status Rust sends ('unrecognized' is read on disk, never sent). @typedef {Exclude<RecordStatus, 'unrecognized'>} SentStatus */

// Whether the app still has work to do for a job (Stop following applies) is
// Rust's to say (JobView.active), as is whether "Try again" goes on (resumable).
/** @param {JobView | null | undefined} job */
export const isActive = (job) => !!job && job.active === true;
/** @param {JobView | null | undefined} job */
export const isEnded = (job) => !!job && !isActive(job);
export { isResumable };

// The stage's data-status, a small fixed vocabulary that tests and styles rely on.
// Every status has one: tsc fails on a status Rust adds without it.
/** @type {Record<SentStatus, string>} */
const DATA_STATUS = {
  waiting: 'queued', sending: 'sending', queued: 'queued', processing: 'processing', downloading: 'downloading',
  ready: 'ready', failed: 'failed', unknown: 'failed', expired: 'failed', stopped: 'stopped',
};
/** @param {JobView | null | undefined} job */
export const dataStatus = (job) => (job ? DATA_STATUS[/** @type {SentStatus} */ (job.status)] || 'failed' : '');

// Which group the history filter puts a job in.
/** @param {JobView} job */
export function statusGroup(job) {
  if (job.status === 'ready') return 'ready';
  if (isActive(job)) return 'active';
  return 'ended';
}

// Catalogue keys (the words are looked up when drawn).
/** @type {Partial<Record<RecordStatus, string>>} */
const LONG = {
  sending: 'status.long.sending',
  queued: 'status.long.queued',
  processing: 'status.long.processing',
  downloading: 'status.long.downloading',
  ready: 'status.long.ready',
  failed: 'status.long.failed',
  unknown: 'status.long.unknown',
  expired: 'status.long.expired',
  stopped: 'status.long.stopped',
};
/** @type {Record<SentStatus, string>} */
const SHORT = {
  waiting: 'status.short.waiting',
  sending: 'status.short.sending',
  queued: 'status.short.queued',
  processing: 'status.short.processing',
  downloading: 'status.short.downloading',
  ready: 'status.short.ready',
  failed: 'status.short.failed',
  unknown: 'status.short.unknown',
  expired: 'status.short.expired',
  stopped: 'status.short.stopped',
};
// What a paused job (it has an error but can go on with "Try again") is doing.
/** @type {Partial<Record<RecordStatus, string>>} */
const PAUSED = {
  waiting: 'status.paused.attention',
  queued: 'status.paused.attention',
  processing: 'status.paused.attention',
  downloading: 'status.paused.download',
};
/** @type {Partial<Record<RecordStatus, string>>} */
const SPOKEN = {
  sending: 'status.spoken.sending',
  queued: 'status.spoken.queued',
  processing: 'status.spoken.processing',
  downloading: 'status.spoken.downloading',
  ready: 'status.spoken.ready',
  stopped: 'status.spoken.stopped',
};

/** @type {(v: unknown) => number | null} */
const num = (v) => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));
export { num };

// An elapsed stopwatch (04:05, 1:02:03): digits only, no words.
/** @param {number} ms */
export function mmss(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${String(m).padStart(2, '0')}:${s}`;
}

// "Today 14:05", "Yesterday 09:12", or "3 Nov 2025, 18:40".
/** @param {number | null | undefined} ms */
export function when(ms) {
  const at = num(ms);
  if (at === null) return '';
  try {
    const time = formatTimeOfDay(at);
    const day = new Date();
    day.setHours(0, 0, 0, 0);
    if (at >= day.getTime()) return t('status.when.today', { time });
    if (at >= day.getTime() - 86400000) return t('status.when.yesterday', { time });
    return t('status.when.date', { date: formatDate(at), time });
  } catch {
    return '';
  }
}

/** @param {string | null | undefined} text @param {number} [max] */
export function firstLine(text, max = 70) {
  const line = (String(text || '').split('\n').find((l) => l.trim()) || t('status.untitled')).trim();
  return line.length > max ? `${line.slice(0, max - 2).trimEnd()}…` : line;
}

// "3 credits", "1 credit", "2.5 credits".
// What Segmind billed for a video: "$1.68", "cost not reported" for a finished
// video whose cost Segmind did not say, nothing while it is being made.
/** @param {JobView | null | undefined} job */
export function cost(job) {
  const v = num(job && job.metrics && job.metrics.cost);
  if (v !== null) return formatMoney(v);
  return job && job.status === 'ready' ? t('status.cost_not_reported') : '';
}

// "Take 2 of 3", for one of several takes of the same request.
/** @param {JobView | null | undefined} job */
export function takeText(job) {
  const take = job && job.take;
  return take && take.of > 1 ? t('status.take', { n: take.n, of: take.of }) : '';
}

// How long a job has taken: it runs while the app works on it, and stops when it ended.
/** @param {JobView} job @param {number} [now] */
export function elapsed(job, now = Date.now()) {
  const start = num(job.createdAtMs) ?? now;
  const end = isEnded(job) ? (num(job.updatedAtMs) ?? now) : now;
  return Math.max(0, end - start);
}

/** @param {JobView} job @param {boolean} long */
function waitingText(job, long) {
  const until = num(job.waitingUntilMs);
  if (until !== null && until > Date.now()) {
    const time = formatClock(until);
    return long ? t('status.waiting.slowDown', { time }) : t('status.waiting.pausedUntil', { time });
  }
  const pos = num(job.queuePosition);
  if (pos !== null && pos > 0) {
    const place = formatPlace(pos);
    return long ? t('status.waiting.slotLong', { place }) : t('status.waiting.slotShort', { place });
  }
  return long ? t('status.waiting.gettingReady') : t(SHORT.waiting);
}

// 35 → "35%" in the creator's language.
/** @type {(received: number, total: number) => string} */
const percent = (received, total) => formatNumber(Math.min(100, Math.round((received / total) * 100)) / 100, { style: 'percent' });

/** @param {JobView} job */
function downloadText(job) {
  const received = num(job.received) ?? 0;
  const total = num(job.total);
  if (total) {
    return t('status.download.progress', { received: formatBytes(received), total: formatBytes(total), percent: percent(received, total) });
  }
  return received ? t('status.download.received', { received: formatBytes(received) }) : t(LONG.downloading);
}

// The stage's sentence for a job.
/** @param {JobView | null | undefined} job */
export function statusText(job) {
  if (!job) return '';
  if (isResumable(job)) return PAUSED[job.status] ? t(PAUSED[job.status]) : '';
  if (job.status === 'waiting') return waitingText(job, true);
  if (job.status === 'downloading') return downloadText(job);
  return LONG[job.status] ? t(LONG[job.status]) : t('status.long.unknownState');
}

// A card's few words.
/** @param {JobView} job */
export function shortStatus(job) {
  if (isResumable(job)) return t('status.short.attention');
  if (job.status === 'waiting') return waitingText(job, false);
  if (job.status === 'downloading' && num(job.total)) {
    return t('status.short.downloadingPercent', { percent: percent(num(job.received) ?? 0, /** @type {number} */ (num(job.total))) });
  }
  const words = SHORT[/** @type {SentStatus} */ (job.status)];
  return words ? t(words) : job.status;
}

/** @param {JobView} job */
export function spoken(job) {
  if (job.status === 'waiting') return t('status.spoken.waiting', { detail: waitingText(job, true) });
  return SPOKEN[job.status] ? t(SPOKEN[job.status]) : '';
}
