// takes.js: the takes of one request side by side, to choose between them. The
// ready takes play together from one Play button and one timeline (the first take
// leads, the others follow it), one of them is heard at a time, and "Keep" marks
// the chosen one (Rust keeps one per set). The players exist only while the view
// is open: closing it stops and drops them, so the stage's player is again the
// page's only one.
import * as api from './api.js';
import { describeError } from './errors.js';
import { statusText, mmss, cost } from './status.js';
import { t, onLanguageChange } from './i18n.js';
import { $, $as, closeOnBackdrop } from './dom.js';

// A follower further than this from the leader is moved to it.
const DRIFT_S = 0.15;

/** @param {import('./contract').JobView} job */
export function setOf(job) {
  return (job && job.take && job.take.set) || '';
}

export function createTakes({ library, announce }) {
  const el = {
    dialog: $as('takes-dialog', HTMLDialogElement), title: $('takes-title'), grid: $('takes-grid'),
    play: $as('takes-play', HTMLButtonElement), seek: $as('takes-seek', HTMLInputElement), time: $('takes-time'),
    close: $('takes-close'), message: $('takes-message'),
  };
  let set = '';
  /** @type {Map<string, { tile: HTMLElement, video: HTMLVideoElement | null, caption: HTMLElement, keep: HTMLButtonElement, hear: HTMLButtonElement | null }>} */
  const tiles = new Map();
  let heard = '';
  let busy = false;

  function members() {
    return library.all().filter((job) => setOf(job) === set)
      .sort((a, b) => (a.take.n - b.take.n));
  }

  const videos = () => [...tiles.values()].map((x) => x.video).filter(Boolean);
  const leader = () => videos()[0] || null;

  function open(setId) {
    set = setId;
    heard = '';
    build();
    if (!el.dialog.open) el.dialog.showModal();
    el.play.focus();
  }

  function drop() {
    for (const video of videos()) {
      video.pause();
      video.removeAttribute('src');
      video.load();
    }
    tiles.clear();
    el.grid.replaceChildren();
    set = '';
  }

  function build() {
    for (const video of videos()) video.pause();
    tiles.clear();
    const jobs = members();
    heard = heard || (jobs.find((j) => j.status === 'ready' && j.videoUrl) || {}).id || '';
    el.grid.replaceChildren(...jobs.map(tile));
    el.grid.dataset.count = String(Math.min(jobs.length, 4));
    draw();
  }

  function tile(job) {
    const figure = document.createElement('figure');
    figure.className = 'take-tile';
    figure.dataset.testid = 'take-tile';
    figure.dataset.jobId = job.id;
    const frame = document.createElement('div');
    frame.className = 'take-frame';
    const [w, h] = String(job.request.aspect_ratio || '16:9').split(':').map(Number);
    frame.style.setProperty('--ar', String(w > 0 && h > 0 ? w / h : 16 / 9));
    let video = null;
    if (job.status === 'ready' && job.videoUrl) {
      video = document.createElement('video');
      video.dataset.testid = 'take-video';
      video.preload = 'auto';
      video.setAttribute('playsinline', '');
      video.muted = job.id !== heard;
      video.src = job.videoUrl;
      frame.append(video);
    } else {
      const words = document.createElement('p');
      words.className = 'take-not-ready';
      words.textContent = statusText(job);
      frame.append(words);
    }
    const caption = document.createElement('figcaption');
    const row = document.createElement('div');
    row.className = 'button-row';
    let hear = null;
    if (video) {
      hear = document.createElement('button');
      hear.type = 'button';
      hear.className = 'btn btn-quiet btn-small';
      hear.dataset.testid = 'take-hear';
      hear.addEventListener('click', () => { heard = job.id; draw(); });
      row.append(hear);
    }
    const keep = document.createElement('button');
    keep.type = 'button';
    keep.className = 'btn btn-small';
    keep.dataset.testid = 'take-keep';
    keep.addEventListener('click', () => keepTake(job.id));
    row.append(keep);
    figure.append(frame, caption, row);
    tiles.set(job.id, { tile: figure, video, caption, keep, hear });
    if (video) {
      video.addEventListener('timeupdate', () => { if (video === leader()) follow(); });
      video.addEventListener('ended', () => { if (video === leader()) pauseAll(); });
      video.addEventListener('loadedmetadata', drawTime);
    }
    return figure;
  }

  function draw() {
    const jobs = members();
    el.title.textContent = t('takes.title', { count: jobs.length });
    for (const job of jobs) {
      const parts = tiles.get(job.id);
      if (!parts) continue;
      const billed = cost(job);
      const words = [t('takes.take', { n: job.take.n })];
      if (billed) words.push(billed);
      if (job.kept) words.push(t('takes.kept'));
      parts.caption.textContent = words.join(' · ');
      parts.tile.dataset.kept = String(!!job.kept);
      parts.keep.textContent = job.kept ? t('takes.kept') : t('takes.keep');
      parts.keep.disabled = !!job.kept || busy || job.status !== 'ready';
      parts.keep.setAttribute('aria-pressed', String(!!job.kept));
      if (parts.video) parts.video.muted = job.id !== heard;
      if (parts.hear) {
        parts.hear.textContent = job.id === heard ? t('takes.heard') : t('takes.hear');
        parts.hear.setAttribute('aria-pressed', String(job.id === heard));
      }
    }
    const lead = leader();
    el.play.disabled = !lead;
    el.seek.disabled = !lead;
    el.play.textContent = lead && !lead.paused ? t('takes.pause') : t('takes.play');
    drawTime();
  }

  function drawTime() {
    const lead = leader();
    const duration = lead && Number.isFinite(lead.duration) ? lead.duration : 0;
    const at = lead ? lead.currentTime : 0;
    el.time.textContent = `${mmss(at * 1000)} / ${mmss(duration * 1000)}`;
    if (document.activeElement !== el.seek) el.seek.value = String(duration ? Math.round((at / duration) * 1000) : 0);
  }

  // The followers keep to the leader's time.
  function follow() {
    const lead = leader();
    if (!lead) return;
    for (const video of videos()) {
      if (video !== lead && Math.abs(video.currentTime - lead.currentTime) > DRIFT_S) video.currentTime = lead.currentTime;
    }
    drawTime();
  }

  function pauseAll() {
    videos().forEach((video) => video.pause());
    draw();
  }

  async function playAll() {
    const lead = leader();
    if (!lead) return;
    if (!lead.paused) { pauseAll(); return; }
    if (lead.ended) videos().forEach((video) => { video.currentTime = 0; });
    else follow();
    // Started in the same click, so the web view lets each of them play.
    await Promise.allSettled(videos().map((video) => video.play()));
    draw();
  }

  function seek() {
    const lead = leader();
    if (!lead || !Number.isFinite(lead.duration)) return;
    const at = (Number(el.seek.value) / 1000) * lead.duration;
    videos().forEach((video) => { video.currentTime = at; });
    drawTime();
  }

  async function keepTake(jobId) {
    if (busy) return;
    busy = true;
    el.message.hidden = true;
    draw();
    try {
      library.put(await api.keepTake(jobId));
      const job = library.get(jobId);
      if (job && job.take) announce?.(t('takes.announce.kept', { n: job.take.n }));
    } catch (err) {
      const d = describeError(err);
      el.message.textContent = [d.headline, d.next].filter(Boolean).join(' ');
      el.message.hidden = false;
    } finally {
      busy = false;
      draw();
    }
  }

  // A take of the open set changed (kept, finished, deleted): drawn again; a
  // new or finished take gets its tile.
  library.subscribe((change) => {
    if (!set || !el.dialog.open) return;
    const job = change.job;
    if (change.type === 'reset' || change.type === 'deleted' || (job && setOf(job) === set && (!change.prev || change.prev.status !== job.status))) {
      if (!members().length) { el.dialog.close(); return; }
      build();
    } else if (job && setOf(job) === set) {
      draw();
    }
  });

  el.play.addEventListener('click', playAll);
  el.seek.addEventListener('input', seek);
  el.close.addEventListener('click', () => el.dialog.close());
  el.dialog.addEventListener('close', drop);
  closeOnBackdrop(el.dialog);
  onLanguageChange(() => { if (set) draw(); });

  return {
    open,
    /** How many takes the set holds in the library now. */
    count: (setId) => (setId ? library.all().filter((job) => setOf(job) === setId).length : 0),
  };
}
