// status.js: what a job's status means, in words, for the stage and the history
// cards; and the small formatters both use. (Error words live in errors.js.)
import { isResumable } from './errors.js';

// The app still has work to do for these (Stop following applies).
export const ACTIVE = new Set(['waiting', 'sending', 'queued', 'processing', 'downloading']);
export const isActive = (job) => !!job && ACTIVE.has(job.status);
export const isEnded = (job) => !!job && !ACTIVE.has(job.status);
export { isResumable };

// The stage's data-status, a small fixed vocabulary that tests and styles rely on.
const DATA_STATUS = {
  waiting: 'queued', sending: 'sending', queued: 'queued', processing: 'processing', downloading: 'downloading',
  ready: 'ready', failed: 'failed', unknown: 'failed', expired: 'failed', stopped: 'stopped',
};
export const dataStatus = (job) => (job ? DATA_STATUS[job.status] || 'failed' : '');

// Which group the history filter puts a job in.
export function statusGroup(job) {
  if (job.status === 'ready') return 'ready';
  if (ACTIVE.has(job.status)) return 'active';
  return 'ended';
}

const WORDS = {
  sending: 'Sending your request…',
  queued: 'In the queue at Segmind…',
  processing: 'Generating… usually 4-5 minutes',
  downloading: 'Downloading…',
  ready: 'Ready',
  failed: 'Did not work',
  unknown: 'Not known whether Segmind received it',
  expired: 'Segmind no longer has this video',
  stopped: 'Stopped following',
};
const SHORT = {
  waiting: 'Waiting to start', sending: 'Sending…', queued: 'In the queue', processing: 'Generating…',
  downloading: 'Downloading…', ready: 'Ready', failed: 'Did not work', unknown: 'May have been billed',
  expired: 'No longer on Segmind', stopped: 'Stopped following',
};
// What a paused job (it has an error but can go on with "Try again") is doing.
const PAUSED = {
  waiting: 'Paused — needs your attention',
  queued: 'Paused — needs your attention',
  processing: 'Paused — needs your attention',
  downloading: 'Download stopped before it finished',
};
const SPOKEN = {
  sending: 'Sending your request to Segmind.',
  queued: 'Your video is in the queue at Segmind.',
  processing: 'Segmind is generating your video. This usually takes 4 to 5 minutes.',
  downloading: 'Downloading your video.',
  ready: 'Your video is ready.',
  stopped: 'Stopped following the video.',
};

const num = (v) => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));
export { num };

export function mmss(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${String(m).padStart(2, '0')}:${s}`;
}

export function formatBytes(n) {
  const b = Number(n) || 0;
  if (b < 1e6) return `${Math.max(0, Math.round(b / 1e3))} KB`;
  if (b < 1e9) return `${(b / 1e6).toFixed(1)} MB`;
  return `${(b / 1e9).toFixed(2)} GB`;
}

export function clock(ms) {
  try {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  } catch {
    return '';
  }
}

// "Today 14:05", "Yesterday 09:12", or "3 Nov 2025, 18:40".
export function when(ms) {
  const t = num(ms);
  if (t === null) return '';
  try {
    const d = new Date(t);
    const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
    const day = new Date();
    day.setHours(0, 0, 0, 0);
    if (t >= day.getTime()) return `Today ${time}`;
    if (t >= day.getTime() - 86400000) return `Yesterday ${time}`;
    return `${d.toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' })}, ${time}`;
  } catch {
    return '';
  }
}

export function ordinal(n) {
  const v = n % 100;
  if (v >= 11 && v <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th'}`;
}

export function firstLine(text, max = 70) {
  const line = (String(text || '').split('\n').find((l) => l.trim()) || 'Untitled video').trim();
  return line.length > max ? `${line.slice(0, max - 2).trimEnd()}…` : line;
}

export function credits(n) {
  const v = num(n);
  if (v === null) return '';
  return `${v.toLocaleString(undefined, { maximumFractionDigits: 2 })} credit${v === 1 ? '' : 's'}`;
}

// How long a job has taken: it runs while the app works on it, and stops when it ended.
export function elapsed(job, now = Date.now()) {
  const start = num(job.createdAtMs) ?? now;
  const end = isEnded(job) ? (num(job.updatedAtMs) ?? now) : now;
  return Math.max(0, end - start);
}

function waitingText(job, long) {
  const until = num(job.waitingUntilMs);
  if (until !== null && until > Date.now()) {
    return long ? `Segmind asked us to slow down — continuing at ${clock(until)}` : `Paused until ${clock(until)}`;
  }
  const pos = num(job.queuePosition);
  if (pos !== null && pos > 0) {
    return long ? `Waiting for a free slot — ${ordinal(pos)} in line` : `Waiting — ${ordinal(pos)} in line`;
  }
  return long ? 'Getting ready to send…' : SHORT.waiting;
}

function downloadText(job) {
  const received = num(job.received) ?? 0;
  const total = num(job.total);
  if (total) {
    const pct = Math.min(100, Math.round((received / total) * 100));
    return `Downloading… ${formatBytes(received)} of ${formatBytes(total)} (${pct}%)`;
  }
  return received ? `Downloading… ${formatBytes(received)}` : WORDS.downloading;
}

// The stage's sentence for a job.
export function statusText(job) {
  if (!job) return '';
  if (isResumable(job)) return PAUSED[job.status];
  if (job.status === 'waiting') return waitingText(job, true);
  if (job.status === 'downloading') return downloadText(job);
  return WORDS[job.status] || 'Unknown state';
}

// A card's few words.
export function shortStatus(job) {
  if (isResumable(job)) return 'Needs your attention';
  if (job.status === 'waiting') return waitingText(job, false);
  if (job.status === 'downloading' && num(job.total)) {
    return `Downloading… ${Math.min(100, Math.round(((num(job.received) ?? 0) / num(job.total)) * 100))}%`;
  }
  return SHORT[job.status] || job.status;
}

export function spoken(job) {
  if (job.status === 'waiting') return `Your video is waiting to start. ${waitingText(job, true)}.`;
  return SPOKEN[job.status] || '';
}
