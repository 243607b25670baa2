// job.js: the stage on the right: the job card (phase in words, elapsed time,
// progress), the error box, the preview, Save / Save as / Show in folder, the
// output folder, and this session's earlier videos.
import * as api from './api.js';
import { describeError } from './errors.js';

const ACTIVE = new Set(['sending', 'queued', 'waiting', 'processing', 'downloading']);
const WORDS = {
  sending: 'Sending your request…',
  queued: 'In the queue at Segmind…',
  processing: 'Generating… usually 4-5 minutes',
  downloading: 'Downloading…',
  ready: 'Ready',
  failed: 'Something went wrong',
  stopped: 'Stopped following',
};
const SHORT = {
  sending: 'Sending…', queued: 'In the queue', waiting: 'Segmind is busy', processing: 'Generating…',
  downloading: 'Downloading…', ready: 'Ready', failed: 'Did not work', stopped: 'Stopped following',
};
const SPOKEN = {
  sending: 'Sending your request to Segmind.',
  queued: 'Your video is in the queue at Segmind.',
  waiting: 'Segmind is busy. The app will try again automatically.',
  processing: 'Segmind is generating your video. This usually takes 4 to 5 minutes.',
  downloading: 'Downloading your video.',
  ready: 'Your video is ready.',
  stopped: 'Stopped following the video.',
};

const $ = (id) => document.getElementById(id);
const num = (v) => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));
const str = (v) => (typeof v === 'string' ? v : '');

export function mmss(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  const m = Math.floor(total / 60);
  return `${String(m).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

export function formatBytes(n) {
  const b = Number(n) || 0;
  if (b < 1e6) return `${Math.max(0, Math.round(b / 1e3))} KB`;
  if (b < 1e9) return `${(b / 1e6).toFixed(1)} MB`;
  return `${(b / 1e9).toFixed(2)} GB`;
}

function clock(ms) {
  try {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  } catch {
    return '';
  }
}

function firstLine(text) {
  const line = String(text || '').split('\n').find((l) => l.trim()) || 'Untitled video';
  return line.length > 70 ? `${line.slice(0, 68).trimEnd()}…` : line.trim();
}

export function createJobs({ getAspect, onChange, onErrorAction, setCredits, announce }) {
  const jobs = [];        // oldest first
  let selected = null;
  let actionError = null; // a failed save / folder action, shown in the error box
  let busyAction = '';    // 'save' | 'as' | 'folder' while a native step is running
  let ticker = 0;
  let shownVideoKey = null;
  let shownErrorKey = null;
  let stopTarget = null;

  const el = {
    screen: $('screen'), empty: $('empty-state'), placeholder: $('placeholder'), card: $('job-card'),
    status: $('job-status'), elapsed: $('job-elapsed'), progress: $('job-progress'), progressFill: $('job-progress-fill'),
    note: $('job-note'), extra: $('job-extra'), stop: $('stop-following'),
    errorBox: $('error-box'), errorMessage: $('error-message'), errorAction: $('error-action'),
    errorDetails: $('error-details'), errorDetailText: $('error-detail-text'),
    save: $('save-video'), saveAs: $('save-video-as'), show: $('show-in-folder'), savedPath: $('saved-path'),
    folder: $('output-folder'), changeFolder: $('change-folder'),
    history: $('history'), historyList: $('history-list'),
    stopDialog: $('stop-dialog'), stopConfirm: $('stop-confirm'), stopCancel: $('stop-cancel'),
  };

  const isActive = (job) => !!job && ACTIVE.has(job.status);
  const isBusy = () => jobs.some(isActive);
  const elapsed = (job) => (job.endedAt || Date.now()) - job.startedAt;

  // ---------- starting and following a job ----------

  // Called in the same tick as the Generate click, so the card says "Sending…" at once.
  function prepare(request, submissionId) {
    const job = {
      key: submissionId, id: null, request, status: 'sending', startedAt: Date.now(), endedAt: null,
      reached: false, waitUntil: null, received: 0, total: null, videoUrl: '', path: '', metrics: null,
      error: null, savedPath: '', playError: false, thumb: null, metaEl: null,
    };
    jobs.push(job);
    selected = job;
    actionError = null;
    phaseChanged(job);
    return job;
  }

  // A prepared job that was never sent (the final check found a problem).
  function discard(job) {
    const i = jobs.indexOf(job);
    if (i >= 0) jobs.splice(i, 1);
    if (selected === job) selected = jobs[jobs.length - 1] || null;
    render();
    onChange?.();
  }

  async function launch(job) {
    try {
      const res = await api.startJob(job.request, job.key, (msg) => handleEvent(job, msg));
      if (res && typeof res.jobId === 'string' && !job.id) job.id = res.jobId;
      render();
      return { ok: true };
    } catch (err) {
      if (err.code === 'invalid_request' && !job.reached) {
        discard(job); // nothing was sent: the form shows what to fix, no job card needed
      } else if (isActive(job)) {
        finish(job, 'failed', { error: err });
      }
      return { ok: false, error: err };
    }
  }

  // Events may miss fields or arrive late; none of that may throw or resurrect a finished job.
  function handleEvent(job, msg) {
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.jobId === 'string' && msg.jobId && !job.id) job.id = msg.jobId;
    if (!isActive(job)) return;
    const before = job.status;
    switch (msg.phase) {
      case 'sending':
        job.status = 'sending';
        break;
      case 'queued':
        job.status = 'queued';
        job.reached = true;
        break;
      case 'processing':
        job.status = 'processing';
        job.reached = true;
        break;
      case 'waiting':
        job.status = 'waiting';
        job.waitUntil = num(msg.untilMs);
        break;
      case 'downloading':
        job.status = 'downloading';
        job.reached = true;
        job.received = num(msg.received) ?? 0;
        job.total = num(msg.total);
        break;
      case 'ready': {
        const metrics = msg.metrics && typeof msg.metrics === 'object' ? msg.metrics : null;
        finish(job, 'ready', { videoUrl: str(msg.videoUrl), path: str(msg.path), metrics, reached: true });
        const remaining = num(metrics?.remaining_credits);
        if (remaining !== null) setCredits?.(remaining);
        return;
      }
      case 'failed':
        finish(job, 'failed', { error: api.toAppError(msg.error ?? { code: 'job_failed' }) });
        return;
      case 'stopped':
        finish(job, 'stopped');
        return;
      default:
        return;
    }
    if (job.status !== before) phaseChanged(job);
    else if (job === selected) renderCard(); // progress only: update the words, nothing else
  }

  function finish(job, status, extra = {}) {
    Object.assign(job, extra, { status, endedAt: Date.now() });
    phaseChanged(job);
    onChange?.();
  }

  function phaseChanged(job) {
    if (job.status === 'failed') {
      announce?.(`Your video did not work. ${describeError(job.error, { submitted: job.reached }).headline}`);
    } else if (SPOKEN[job.status]) {
      announce?.(SPOKEN[job.status]);
    }
    render();
  }

  // ---------- drawing ----------

  function render() {
    renderStage();
    renderHistory();
    updateTitle();
    syncTicker();
  }

  function statusText(job) {
    if (job.status === 'waiting') {
      const at = job.waitUntil ? clock(job.waitUntil) : '';
      return at ? `Segmind is busy — trying again at ${at} automatically` : 'Segmind is busy — trying again automatically';
    }
    if (job.status === 'downloading') {
      if (job.total) {
        const pct = Math.min(100, Math.round((job.received / job.total) * 100));
        return `Downloading… ${formatBytes(job.received)} of ${formatBytes(job.total)} (${pct}%)`;
      }
      return job.received ? `Downloading… ${formatBytes(job.received)}` : 'Downloading…';
    }
    return WORDS[job.status] || '';
  }

  function renderCard() {
    const job = selected;
    el.card.hidden = !job;
    if (!job) return;
    el.card.dataset.state = job.status;
    el.status.dataset.status = job.status === 'waiting' ? 'queued' : job.status;
    el.status.textContent = statusText(job);
    el.elapsed.textContent = mmss(elapsed(job));
    const showBar = job.status === 'downloading' && !!job.total;
    el.progress.hidden = !showBar;
    if (showBar) el.progressFill.style.width = `${Math.min(100, (job.received / job.total) * 100)}%`;
    el.note.hidden = !isActive(job) || job.status === 'downloading';
    el.stop.hidden = !isActive(job);
    el.stop.disabled = !job.id; // Segmind has not given it a number yet
    let extra = '';
    if (job.status === 'ready') {
      const cost = num(job.metrics?.cost);
      if (cost !== null) extra = `Cost: ${cost} credit${cost === 1 ? '' : 's'}`;
      if (job.playError) extra = `${extra ? `${extra}. ` : ''}The preview cannot play here, but the video is fine: save it and open it in your video player.`;
    } else if (job.status === 'stopped') {
      extra = 'Segmind may still finish this video and bill your credits; the app will not download it.';
    }
    el.extra.textContent = extra;
    el.extra.hidden = !extra;
  }

  function renderScreen() {
    const job = selected;
    const ratio = job?.request?.aspect_ratio || getAspect?.() || '16:9';
    const [w, h] = String(ratio).split(':').map(Number);
    el.screen.style.setProperty('--ar', String(w > 0 && h > 0 ? w / h : 16 / 9));
    el.empty.hidden = !!job;
    el.placeholder.hidden = !job || (job.status === 'ready' && !job.playError);
    el.placeholder.dataset.state = job ? job.status : '';

    const want = job && job.status === 'ready' && job.videoUrl ? job : null;
    const key = want ? `${want.key}|${want.videoUrl}` : null;
    if (key === shownVideoKey) return; // never reload a video that is already showing
    shownVideoKey = key;
    const old = el.screen.querySelector('video.preview');
    if (old) {
      old.pause();
      old.remove();
    }
    if (!want) return;
    const v = document.createElement('video');
    v.className = 'preview';
    v.dataset.testid = 'preview-video';
    v.controls = true;
    v.preload = 'metadata';
    v.setAttribute('playsinline', '');
    v.setAttribute('aria-label', `Your video: ${firstLine(want.request?.prompt)}`);
    v.addEventListener('error', () => {
      want.playError = true;
      if (selected === want) { renderCard(); el.placeholder.hidden = false; }
    });
    v.src = want.videoUrl;
    el.screen.append(v);
  }

  function renderError() {
    const job = selected;
    let shown = null;
    if (actionError) shown = { err: actionError, ctx: {} };
    else if (job && job.status === 'failed') shown = { err: job.error, ctx: { submitted: job.reached } };
    const key = shown ? JSON.stringify([shown.err, shown.ctx, job?.key]) : null;
    if (key === shownErrorKey) return; // unchanged: do not re-announce
    shownErrorKey = key;
    el.errorBox.hidden = !shown;
    if (!shown) {
      el.errorMessage.replaceChildren();
      return;
    }
    const d = describeError(shown.err, shown.ctx);
    const parts = [d.headline, d.message, d.money, d.next].filter(Boolean).map((text, i) => {
      const span = document.createElement(i === 0 ? 'strong' : 'span');
      span.textContent = text;
      return span;
    });
    // Spaces between the parts so the text reads (and copies) as sentences.
    el.errorMessage.replaceChildren(...parts.flatMap((p, i) => (i ? [document.createTextNode(' '), p] : [p])));
    el.errorAction.hidden = !d.action;
    if (d.action) {
      el.errorAction.textContent = d.action.label;
      el.errorAction.dataset.action = d.action.id;
    }
    el.errorDetailText.textContent = d.detail || 'No further details.';
    el.errorDetails.open = false;
  }

  function renderActions() {
    const job = selected;
    const ready = !!job && job.status === 'ready';
    el.save.disabled = !ready || !!busyAction;
    el.saveAs.disabled = !ready || !!busyAction;
    el.show.disabled = !ready || !!busyAction;
    el.show.title = ready && !job.savedPath ? 'Saves the video to your folder, then shows it' : '';
    el.changeFolder.disabled = busyAction === 'folder';
    el.save.textContent = busyAction === 'save' ? 'Saving…' : 'Save';
    el.saveAs.textContent = busyAction === 'as' ? 'Choosing…' : 'Save as…';
    let text = '';
    if (busyAction === 'save') text = 'Saving…';
    else if (busyAction === 'as') text = 'Choose where to save the video in the window that opened…';
    else if (job && job.savedPath) text = `Saved to ${job.savedPath}`;
    el.savedPath.textContent = text;
    el.savedPath.hidden = !text;
  }

  function renderStage() {
    renderScreen();
    renderCard();
    renderError();
    renderActions();
  }

  // Earlier videos from this session, newest first; shown once there are two.
  function renderHistory() {
    el.history.hidden = jobs.length < 2;
    if (jobs.length < 2) return;
    el.historyList.replaceChildren(...jobs.slice().reverse().map((job) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'history-card';
      b.dataset.state = job.status;
      if (job === selected) b.setAttribute('aria-current', 'true');
      const thumb = document.createElement('span');
      thumb.className = 'thumb';
      thumb.setAttribute('aria-hidden', 'true');
      if (job.status === 'ready' && job.videoUrl) {
        if (!job.thumb) {
          // Created once and moved between renders, so it never reloads.
          job.thumb = document.createElement('video');
          job.thumb.muted = true;
          job.thumb.preload = 'metadata';
          job.thumb.tabIndex = -1;
          job.thumb.src = `${job.videoUrl}#t=0.5`;
        }
        thumb.append(job.thumb);
      }
      const text = document.createElement('span');
      text.className = 'h-text';
      const title = document.createElement('span');
      title.className = 'h-prompt';
      title.textContent = firstLine(job.request?.prompt);
      const meta = document.createElement('span');
      meta.className = 'h-meta';
      job.metaEl = meta;
      updateMeta(job);
      text.append(title, meta);
      b.append(thumb, text);
      b.addEventListener('click', () => select(job));
      li.append(b);
      return li;
    }));
  }

  function updateMeta(job) {
    if (job.metaEl) job.metaEl.textContent = `${SHORT[job.status] || ''} · ${mmss(elapsed(job))}`;
  }

  function select(job) {
    if (selected === job) return;
    selected = job;
    actionError = null;
    render();
  }

  function updateTitle() {
    const active = jobs.find(isActive);
    if (active) document.title = `${SHORT[active.status]} ${mmss(elapsed(active))} — Kling Studio`;
    else if (selected && selected.status === 'ready' && !document.hasFocus()) document.title = 'Your video is ready — Kling Studio';
    else document.title = 'Kling Studio';
  }

  // One tick a second while something is running: elapsed times and the window title.
  function syncTicker() {
    if (isBusy() && !ticker) {
      ticker = setInterval(() => {
        if (selected) el.elapsed.textContent = mmss(elapsed(selected));
        jobs.filter(isActive).forEach(updateMeta);
        updateTitle();
        if (!isBusy()) syncTicker();
      }, 1000);
    } else if (!isBusy() && ticker) {
      clearInterval(ticker);
      ticker = 0;
    }
  }

  // ---------- actions ----------

  async function runAction(kind, work) {
    if (busyAction) return;
    busyAction = kind;
    actionError = null;
    renderStage();
    try {
      await work();
    } catch (err) {
      actionError = err;
    } finally {
      busyAction = '';
      renderStage();
    }
  }

  function save(kind) {
    const job = selected;
    if (!job || job.status !== 'ready' || !job.id) return;
    runAction(kind, async () => {
      const res = kind === 'as' ? await api.saveVideoAs(job.id) : await api.saveVideo(job.id);
      // null from "Save as…" means the creator closed the window: nothing to report.
      if (res && typeof res.path === 'string' && res.path) job.savedPath = res.path;
    });
  }

  // Rust only reveals files the creator saved, so an unsaved video is saved first.
  function showInFolder() {
    const job = selected;
    if (!job || job.status !== 'ready' || !job.id) return;
    runAction('show', async () => {
      if (!job.savedPath) {
        const res = await api.saveVideo(job.id);
        if (res && typeof res.path === 'string' && res.path) job.savedPath = res.path;
      }
      if (job.savedPath) await api.showInFolder(job.savedPath);
    });
  }

  function setOutputDir(dir) {
    const text = typeof dir === 'string' && dir ? dir : 'Not chosen yet';
    el.folder.textContent = text;
    el.folder.title = text;
  }

  function changeFolder() {
    runAction('folder', async () => {
      const dir = await api.chooseOutputFolder();
      if (typeof dir === 'string' && dir) {
        setOutputDir(dir);
        announce?.(`Videos will be saved to ${dir}.`);
      }
    });
  }

  // ---------- stop following (with an in-page confirmation) ----------

  function askStop() {
    const job = selected;
    if (!isActive(job) || !job.id) return;
    stopTarget = job;
    el.stopDialog.showModal();
    el.stopCancel.focus(); // the safe choice is the default
  }

  async function confirmStop() {
    const job = stopTarget;
    el.stopDialog.close();
    if (!job || !isActive(job)) return;
    el.stop.disabled = true;
    try {
      await api.stopFollowing(job.id);
      if (isActive(job)) finish(job, 'stopped');
    } catch (err) {
      actionError = err;
      render();
    }
  }

  el.stop.addEventListener('click', askStop);
  el.stopConfirm.addEventListener('click', confirmStop);
  el.stopCancel.addEventListener('click', () => el.stopDialog.close());
  el.stopDialog.addEventListener('close', () => {
    stopTarget = null;
    if (!el.stop.hidden && !el.stop.disabled) el.stop.focus();
  });
  el.save.addEventListener('click', () => save('save'));
  el.saveAs.addEventListener('click', () => save('as'));
  el.show.addEventListener('click', showInFolder);
  el.changeFolder.addEventListener('click', changeFolder);
  el.errorAction.addEventListener('click', () => onErrorAction?.(el.errorAction.dataset.action));
  window.addEventListener('focus', updateTitle);

  render();

  return { prepare, discard, launch, isBusy, setOutputDir, render, refreshShape: renderScreen };
}
