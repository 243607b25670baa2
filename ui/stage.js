// stage.js: the right-hand stage shows ONE job: by default the newest one started
// in this session (followed as it goes), at start the newest one still being made
// (a creator who saw an empty stage after a restart would press Generate again and
// pay twice), or the one picked in the history. The job
// card (status in words, elapsed time, progress), the error box with "Try again",
// the preview, Save / Save as / Show file, what to do next with a ready video
// (Another take with its price, Compare takes, Keep) and the output folder live here.
import * as api from './api.js';
import { describeError, describeJobError } from './errors.js';
import { ask } from './dialogs.js';
import {
  isActive, isEnded, isResumable, dataStatus, statusText, spoken, elapsed, mmss, firstLine, num, takeText,
} from './status.js';
import { setOf } from './takes.js';
import { t, formatBytes, formatMoney, language, onLanguageChange } from './i18n.js';
import { $, $as, setText } from './dom.js';


export function createStage({ library, takes, getAspect, onErrorAction, onSelect, onAnotherTake, onContinue, setCredits, announce }) {
  let selection = null;   // { id } for a library job, or { pending } while a Generate click is on its way
  const session = [];     // ids of jobs started in this session, oldest first
  const playErrors = new Set();
  let actionError = null; // { err, jobId }: a failed save / folder / stop / retry, shown for its own job only
  let busyAction = '';    // 'save' | 'as' | 'show' | 'folder' | 'resume' | 'stop' | 'fetch' while a step runs
  let shownVideoKey = null;
  let shownErrorKey = null;
  let outputDir = null;   // the folder shown ('' while none is chosen), null until Rust said
  let savesEach = true;   // each finished video is saved into it by itself (Settings)
  let stopKeys = null;    // [title key, text key] while the stop question is open
  let takePrice = null;   // { id, usd }: what one more take of the shown video costs, as Rust estimated it

  const el = {
    stage: document.querySelector('.stage'), screen: $('screen'), empty: $('empty-state'), placeholder: $('placeholder'), card: $('job-card'),
    status: $('job-status'), elapsed: $('job-elapsed'), progress: $('job-progress'), progressFill: $('job-progress-fill'),
    note: $('job-note'), extra: $('job-extra'), stop: $as('stop-following', HTMLButtonElement), fetchStopped: $as('fetch-stopped', HTMLButtonElement),
    errorBox: $('error-box'), errorMessage: $('error-message'), errorAction: $('error-action'), errorRetry: $as('error-retry', HTMLButtonElement), errorButtons: $('error-buttons'),
    errorDetails: $as('error-details', HTMLDetailsElement), errorDetailText: $('error-detail-text'),
    next: $('stage-next'), continueHere: $as('continue-from-here', HTMLButtonElement), anotherTake: $as('another-take', HTMLButtonElement), compare: $as('compare-takes', HTMLButtonElement),
    keep: $as('keep-take', HTMLButtonElement),
    save: $as('save-video', HTMLButtonElement), saveAs: $as('save-video-as', HTMLButtonElement), show: $as('show-in-folder', HTMLButtonElement), savedPath: $('saved-path'),
    folder: $('output-folder'), folderLabel: $('folder-label'), changeFolder: $as('change-folder', HTMLButtonElement),
    stopDialog: $as('stop-dialog', HTMLDialogElement), stopTitle: $('stop-title'), stopText: $('stop-text'),
    stopConfirm: $('stop-confirm'), stopCancel: $('stop-cancel'),
  };

  // The job (or pending click) on the stage now.
  function current() {
    if (!selection) return null;
    if (selection.pending) return selection.pending;
    return library.get(selection.id);
  }

  function select(id, { scroll = false } = {}) {
    const changed = !selection || selection.id !== id;
    selection = id ? { id } : null;
    if (changed) actionError = null;
    render();
    onSelect?.(id);
    // The stage is at the top of its column: bring it back into view.
    if (scroll) el.stage.scrollTo({ top: 0, behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  }

  // The newest job of this session that still exists, for when the shown one goes away.
  function fallback() {
    for (let i = session.length - 1; i >= 0; i--) if (library.get(session[i])) return session[i];
    return null;
  }

  // ---------- a Generate click on its way ----------

  // Called in the same tick as the click, so the stage says "Sending…" at once.
  function beginSubmission(request) {
    const now = Date.now();
    const pending = { pending: true, id: '', request, status: 'sending', active: true, resumable: false, stoppable: false, fetchable: false, createdAtMs: now, updatedAtMs: now, error: null, before: selection };
    selection = { pending };
    actionError = null;
    announce?.(t('stage.announce.sending'));
    render();
    onSelect?.(null);
    return pending;
  }

  // Nothing was sent (the last check found a problem): the stage goes back to what it showed.
  function dropSubmission(pending) {
    if (selection && selection.pending === pending) {
      const before = pending.before;
      selection = before && (before.pending || library.get(before.id)) ? before : null;
      render();
      onSelect?.(selection && selection.id ? selection.id : null);
    }
  }

  // start_job answered with the new job: follow it, unless the creator picked another meanwhile.
  function submissionStarted(pending, view) {
    const job = library.put(view, { onlyIfNew: true }) || library.get(view && view.id);
    if (!job) return;
    session.push(job.id);
    if (selection && selection.pending === pending) select(job.id);
  }

  // start_job refused: nothing was recorded or sent. The stage says why, in plain words.
  function submissionFailed(pending, err) {
    pending.status = 'failed';
    pending.active = false;
    pending.error = err;
    pending.updatedAtMs = Date.now();
    if (selection && selection.pending === pending) render(); // the error box reads out why
  }

  // ---------- the library changed ----------

  function libraryChanged(change) {
    const shown = current();
    if (change.type === 'deleted') {
      if (selection && selection.id === change.id) select(fallback());
      return;
    }
    if (change.type === 'reset') {
      const beingMade = !selection && library.all().find(isActive);
      if (selection && selection.id && !shown) select(fallback());
      else if (beingMade) select(beingMade.id);
      else render();
      return;
    }
    const { job, prev } = change;
    if (prev && prev.status === job.status && !!prev.error === !!job.error) {
      if (shown && shown.id === job.id) render(); // progress, place in line: nothing to announce
      return;
    }
    if (shown && shown.id === job.id) {
      // A problem is read out by the error box itself (role="alert"); progress is announced here.
      const words = describeJobError(job) ? '' : spoken(job);
      if (words) announce?.(words);
      render();
    } else if (prev && isActive(prev) && isEnded(job)) {
      // Another video finished while this one is on the stage.
      const name = firstLine(job.request.prompt, 50);
      announce?.(job.status === 'ready' ? t('stage.announce.readyOther', { name }) : t('stage.announce.failedOther', { name }));
    }
    if (job.status === 'ready' && prev && prev.status !== 'ready') {
      const remaining = num(job.metrics && job.metrics.remainingCredits);
      if (remaining !== null) setCredits?.(remaining);
    }
  }

  // ---------- drawing ----------

  function render() {
    renderScreen();
    renderCard();
    renderError();
    renderActions();
  }

  function renderProgress() {
    const job = current();
    if (!job) return;
    el.status.textContent = statusText(job);
    const total = num(job.total);
    const showBar = job.status === 'downloading' && !!total && !isResumable(job);
    el.progress.hidden = !showBar;
    if (showBar) el.progressFill.style.width = `${Math.min(100, ((num(job.received) ?? 0) / total) * 100)}%`;
  }

  function tick() {
    const job = current();
    if (!job) return;
    el.elapsed.textContent = mmss(elapsed(job));
    if (job.status === 'waiting') el.status.textContent = statusText(job); // "continuing at …" may have passed
  }

  function renderCard() {
    const job = current();
    el.card.hidden = !job;
    if (!job) return;
    el.card.dataset.state = isResumable(job) ? 'paused' : job.status;
    el.status.dataset.status = dataStatus(job);
    el.elapsed.textContent = mmss(elapsed(job));
    el.elapsed.title = isEnded(job) ? t('stage.job.elapsedTook') : t('stage.job.elapsedSince');
    renderProgress();
    let note = '';
    if (job.trouble && isActive(job) && !isResumable(job)) {
      note = job.status === 'downloading' ? t('stage.note.troubleDownloading') : t('stage.note.troubleReaching');
    } else if (job.status === 'waiting' && !isResumable(job)) note = t('stage.note.notSentYet');
    else if (isActive(job) && !isResumable(job) && job.status !== 'downloading') {
      note = t('stage.note.typicalWait');
    }
    el.note.textContent = note;
    el.note.hidden = !note;
    // Rust says which jobs Stop and Fetch apply to (never one being sent, nor a
    // downloading video: it is finished, paid for and kept).
    el.stop.hidden = !job.stoppable || !!job.pending;
    el.stop.disabled = busyAction === 'stop';
    el.fetchStopped.hidden = !job.fetchable;
    el.fetchStopped.disabled = busyAction === 'fetch';
    el.extra.textContent = extraText(job);
    el.extra.hidden = !el.extra.textContent;
  }

  function extraText(job) {
    if (job.status === 'ready') {
      const parts = [];
      // "Cost: $3.00", or in a sentence of its own when Segmind did not say.
      const billed = num(job.metrics && job.metrics.cost);
      parts.push(billed === null ? t('stage.job.costUnknown') : t('stage.job.cost', { cost: formatMoney(billed) }));
      if (num(job.bytes)) parts.push(formatBytes(job.bytes));
      const take = takeText(job);
      if (take) parts.unshift(job.kept ? t('stage.job.takeKept', { take }) : take);
      let text = parts.join(' · ');
      // A bill quite unlike its estimate says so, and how the estimate learns.
      const miss = job.estimateMiss;
      if (miss) {
        const note = t(miss.billed > miss.estimated ? 'stage.job.billedMore' : 'stage.job.billedLess', {
          estimated: formatMoney(miss.estimated), count: miss.learnsAfter,
        });
        text = text ? t('stage.job.factsThenNote', { facts: text, note }) : note;
      }
      if (playErrors.has(job.id)) {
        const note = t('stage.job.cannotPlay');
        text = text ? t('stage.job.factsThenNote', { facts: text, note }) : note;
      }
      return text;
    }
    if (job.status === 'stopped' && !job.error) {
      // Rust's verdict: accepted by Segmind (it may still finish and bill), or never sent.
      return job.billing === 'may_be_billed' ? t('stage.job.stoppedMayFinish') : t('stage.job.stoppedNeverSent');
    }
    return '';
  }

  function renderScreen() {
    const job = current();
    const ratio = (job && job.request && job.request.aspect_ratio) || getAspect?.() || '16:9';
    const [w, h] = String(ratio).split(':').map(Number);
    el.screen.style.setProperty('--ar', String(w > 0 && h > 0 ? w / h : 16 / 9));
    el.empty.hidden = !!job;
    const playable = !!job && job.status === 'ready' && !!job.videoUrl;
    el.placeholder.hidden = !job || (playable && !playErrors.has(job.id));
    el.placeholder.dataset.state = job ? (isResumable(job) ? 'paused' : job.status) : '';

    const key = playable ? `${job.id}|${job.videoUrl}` : null;
    if (key === shownVideoKey) { // never reload a video that is already showing
      const shownVideo = key && el.screen.querySelector('video.preview');
      if (shownVideo) shownVideo.setAttribute('aria-label', t('stage.job.previewLabel', { name: firstLine(job.request.prompt) }));
      return;
    }
    shownVideoKey = key;
    const old = /** @type {HTMLVideoElement | null} */ (el.screen.querySelector('video.preview'));
    if (old) {
      old.pause();
      old.removeAttribute('src');
      old.remove();
    }
    if (!playable) return;
    const v = document.createElement('video');
    v.className = 'preview';
    v.dataset.testid = 'preview-video';
    v.controls = true;
    v.preload = 'metadata';
    v.setAttribute('playsinline', '');
    v.setAttribute('aria-label', t('stage.job.previewLabel', { name: firstLine(job.request.prompt) }));
    const id = job.id;
    v.addEventListener('error', () => {
      playErrors.add(id);
      if (current() && current().id === id) { renderCard(); el.placeholder.hidden = false; }
    });
    v.src = job.videoUrl;
    el.screen.append(v);
  }

  function renderError() {
    const job = current();
    let d = null;
    // An action's error belongs to the job it was about; another job never shows it.
    const ownActionError = actionError && actionError.jobId === (job ? job.id : null) ? actionError.err : null;
    if (ownActionError) d = describeError(ownActionError);
    else if (job) d = describeJobError(job);
    const retry = !ownActionError && !!job && !job.pending && isResumable(job);
    const key = d ? JSON.stringify([d, retry, job && job.id, busyAction === 'resume', language()]) : null;
    if (key === shownErrorKey) return; // unchanged: do not re-announce
    shownErrorKey = key;
    el.errorBox.hidden = !d;
    if (!d) {
      el.errorMessage.replaceChildren();
      return;
    }
    const parts = [d.headline, d.money, d.next].filter(Boolean).map((text, i) => {
      const span = document.createElement(i === 0 ? 'strong' : 'span');
      span.textContent = text;
      return span;
    });
    // A gap between the parts (none in Chinese) so the text reads (and copies) as sentences.
    const gap = t('grammar.sentence_separator');
    el.errorMessage.replaceChildren(...parts.flatMap((p, i) => (i && gap ? [document.createTextNode(gap), p] : [p])));
    el.errorRetry.hidden = !retry;
    el.errorRetry.disabled = busyAction === 'resume';
    setText(el.errorRetry, busyAction === 'resume' ? t('stage.action.retrying') : t('stage.action.retry'));
    el.errorAction.hidden = !d.action;
    if (d.action) {
      el.errorAction.textContent = d.action.label;
      el.errorAction.dataset.action = d.action.id;
    }
    el.errorButtons.hidden = !retry && !d.action;
    el.errorDetailText.textContent = d.detail || t('stage.error.noDetails');
    el.errorDetails.open = false;
  }

  function renderActions() {
    const job = current();
    const ready = !!job && !job.pending && job.status === 'ready';
    // Rust says where it last saved a copy (by itself as it finished, or Save).
    const saved = ready ? job.savedTo || '' : '';
    // Save and friends appear with a video to save, not as dead buttons before;
    // Save goes once the video is in the folder (another copy is "Save as…").
    el.save.parentElement.hidden = !ready;
    el.save.hidden = !!saved;
    el.save.disabled = !ready || !!busyAction;
    el.saveAs.disabled = !ready || !!busyAction;
    el.show.disabled = !ready || !!busyAction;
    el.show.title = ready && !saved ? t('stage.action.showTitle') : '';
    el.changeFolder.disabled = busyAction === 'folder';
    setText(el.save, busyAction === 'save' ? t('stage.action.saving') : t('stage.action.save'));
    setText(el.saveAs, busyAction === 'as' ? t('stage.action.choosing') : t('stage.action.saveAs'));
    let text = '';
    if (busyAction === 'save' || busyAction === 'show') text = t('stage.action.saving');
    else if (busyAction === 'as') text = t('stage.action.chooseWhere');
    else if (saved) text = t('stage.action.savedTo', { path: saved });
    el.savedPath.textContent = text;
    el.savedPath.hidden = !text;
    renderNext(ready ? job : null);
  }

  // What next with a ready video: one more take (with its price), the takes
  // side by side, and keeping this one among them.
  function renderNext(job) {
    el.next.hidden = !job;
    if (!job) return;
    const set = setOf(job);
    const count = takes.count(set);
    if (!takePrice || takePrice.id !== job.id) askTakePrice(job);
    const price = takePrice && takePrice.id === job.id && takePrice.usd !== null ? formatMoney(takePrice.usd) : '';
    setText(el.continueHere, busyAction === 'continue' ? t('stage.next.continuing') : t('stage.next.continue'));
    el.continueHere.disabled = !!busyAction;
    setText(el.anotherTake, price ? t('stage.next.anotherPriced', { price }) : t('stage.next.another'));
    el.anotherTake.disabled = !!busyAction;
    el.compare.hidden = count < 2;
    setText(el.compare, t('stage.next.compare', { count }));
    el.keep.hidden = count < 2;
    el.keep.disabled = !!job.kept || !!busyAction;
    setText(el.keep, job.kept ? t('stage.next.kept') : t('stage.next.keep'));
    el.keep.setAttribute('aria-pressed', String(!!job.kept));
  }

  // The price of one more take of this request, asked once per video shown.
  function askTakePrice(job) {
    takePrice = { id: job.id, usd: null };
    api.estimatePrice(job.request, 1)
      .then((price) => {
        if (takePrice && takePrice.id === job.id) {
          takePrice.usd = price.each.usd;
          renderActions();
        }
      })
      .catch(() => {}); // the button says "Another take" without a price
  }

  // ---------- actions ----------

  async function runAction(kind, work) {
    if (busyAction) return;
    busyAction = kind;
    actionError = null;
    const job = current();
    const jobId = job ? job.id : null;
    render();
    try {
      await work();
    } catch (err) {
      actionError = { err, jobId };
    } finally {
      busyAction = '';
      render();
    }
  }

  function readyJob() {
    const job = current();
    return job && !job.pending && job.status === 'ready' ? job : null;
  }

  function save(kind) {
    const job = readyJob();
    if (!job) return;
    runAction(kind, async () => {
      const res = kind === 'as' ? await api.saveVideoAs(job.id) : await api.saveVideo(job.id);
      // null from "Save as…" means the creator closed the window: nothing to report.
      // The job's view, with its new savedTo, comes through the library.
      if (res && typeof res.path === 'string' && res.path) {
        announce?.(t('stage.announce.savedTo', { path: res.path }));
      }
    });
  }

  // Rust reveals the job's saved copy, saving one into the folder first if none.
  function showFile() {
    const job = readyJob();
    if (!job) return;
    runAction('show', () => api.showVideoFile(job.id));
  }

  function setOutputDir(dir) {
    outputDir = typeof dir === 'string' ? dir : '';
    const text = outputDir || t('stage.folder.notChosen');
    el.folder.textContent = text;
    el.folder.title = text;
  }

  // The folder's label says whether finished videos land there by themselves.
  function setSavesEach(on) {
    savesEach = on;
    el.folderLabel.textContent = t(on ? 'stage.folder.labelEach' : 'stage.folder.label');
  }

  function changeFolder() {
    runAction('folder', async () => {
      const dir = await api.chooseOutputFolder();
      if (typeof dir === 'string' && dir) {
        setOutputDir(dir);
        announce?.(t('stage.announce.folder', { dir }));
      }
    });
  }

  // "Try again" for a job that stopped with a problem but can go on (never a new send).
  function resume() {
    const job = current();
    if (!job || job.pending || !isResumable(job)) return;
    runAction('resume', async () => {
      library.put(await api.resumeJob(job.id));
      announce?.(t('stage.announce.retrying'));
    });
  }

  // An ended job Segmind may still have (stopped, or judged too soon by an older
  // version): its video is still the creator's.
  function fetchStopped() {
    const job = current();
    if (!job || !job.fetchable) return;
    runAction('fetch', async () => {
      library.put(await api.resumeJob(job.id));
      announce?.(t('stage.announce.fetching'));
    });
  }

  // ---------- stop following (with an in-page confirmation) ----------

  // The question's words, as catalogue keys: [title, text].
  function stopWords(job) {
    if (job.status === 'waiting') return ['dialog.stop.waiting.title', 'dialog.stop.waiting.text'];
    if (job.status === 'sending') return ['dialog.stop.following.title', 'dialog.stop.sending.text'];
    return ['dialog.stop.following.title', 'dialog.stop.following.text'];
  }

  function drawStopWords() {
    if (!stopKeys) return;
    el.stopTitle.textContent = t(stopKeys[0]);
    el.stopText.textContent = t(stopKeys[1]);
  }

  async function askStop() {
    const job = current();
    const stoppable = (j) => !!j && j.stoppable === true;
    if (!job || job.pending || !stoppable(job)) return;
    let words = stopWords(job);
    for (;;) {
      stopKeys = words;
      drawStopWords();
      const yes = await ask(el.stopDialog, { confirm: el.stopConfirm, cancel: el.stopCancel });
      stopKeys = null;
      const now = library.get(job.id);
      if (!yes || !stoppable(now)) return;
      // The job moved on while the question was open (say, it was sent): the
      // answer was given to other words, so ask again with the true ones.
      const nowWords = stopWords(now);
      if (nowWords[1] === words[1]) break;
      words = nowWords;
    }
    runAction('stop', async () => {
      library.put(await api.stopFollowing(job.id));
    });
  }

  // "Continue from here": the video's last frame starts the next one (main.js
  // puts it in the form); a problem shows in the stage's error box.
  el.continueHere.addEventListener('click', () => {
    const job = readyJob();
    if (job) runAction('continue', () => onContinue(job));
  });
  el.anotherTake.addEventListener('click', () => {
    const job = readyJob();
    if (job) onAnotherTake?.(job);
  });
  el.compare.addEventListener('click', () => {
    const job = readyJob();
    if (job && setOf(job)) takes.open(setOf(job));
  });
  el.keep.addEventListener('click', () => {
    const job = readyJob();
    if (!job) return;
    runAction('keep', async () => {
      library.put(await api.keepTake(job.id));
      announce?.(t('takes.announce.kept', { n: job.take ? job.take.n : 1 }));
    });
  });
  el.stop.addEventListener('click', askStop);
  el.fetchStopped.addEventListener('click', fetchStopped);
  el.save.addEventListener('click', () => save('save'));
  el.saveAs.addEventListener('click', () => save('as'));
  el.show.addEventListener('click', showFile);
  el.changeFolder.addEventListener('click', changeFolder);
  el.errorRetry.addEventListener('click', resume);
  el.errorAction.addEventListener('click', () => onErrorAction?.(el.errorAction.dataset.action));
  library.subscribe(libraryChanged);
  // A new language: the job, the folder and an open question are drawn again in it.
  onLanguageChange(() => {
    render();
    if (outputDir !== null) setOutputDir(outputDir);
    setSavesEach(savesEach);
    drawStopWords();
  });

  setSavesEach(savesEach);
  render();

  return {
    beginSubmission,
    dropSubmission,
    submissionStarted,
    submissionFailed,
    select: (id) => select(id, { scroll: true }),
    selectedId: () => (selection && selection.id) || null,
    current,
    tick,
    render,
    setOutputDir,
    setSavesEach,
    refreshShape: renderScreen,
  };
}
