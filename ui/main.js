// main.js: start-up and wiring: which screen shows, the header balance, Settings,
// the job library's channel, the close question, and the one guarded path from
// "Generate" to start_job.
import * as api from './api.js';
import { shortError, describeError } from './errors.js';
import { createForm } from './form.js';
import { createLibrary } from './library.js';
import { createStage } from './stage.js';
import { createTakes } from './takes.js';
import { createAttention } from './attention.js';
import { toNames } from './voice-names.js';
import { createHistory } from './history.js';
import { createStills, videoFrame } from './stills.js';
import { createKey } from './key.js';
import { createMoney } from './money.js';
import { createVoices } from './voices.js';
import { createVoiceMaker } from './voice-maker.js';
import { createCast } from './cast.js';
import { createSupport } from './support.js';
import { forwardConsole } from './log.js';
import { choose } from './dialogs.js';
import { isActive, shortStatus, elapsed, mmss } from './status.js';
import { loadWords, t, formatMoney, numberChoices, onLanguageChange, setLanguage, availableLanguages, language, statusLine, sentences } from './i18n.js';
import { $, $as, closeOnBackdrop, focusSoon } from './dom.js';

const REMEMBER_DELAY_MS = 500;
const NOTICE_MS = 9000;

const el = {
  setup: $('setup-view'), studio: $('studio-view'), account: $('account'), credits: $('credits'),
  topUp: $('top-up'), openSettings: $('open-settings'), settings: $as('settings-dialog', HTMLDialogElement), settingsClose: $('settings-close'),
  generate: $as('generate', HTMLButtonElement), reason: $('generate-reason'), notice: $('form-notice'), announcer: $('announcer'),
  prompt: $as('prompt', HTMLTextAreaElement), more: $as('more', HTMLDetailsElement), formScroll: document.querySelector('.form-scroll'),
  folderRow: $('folder-row'), stageFolderSlot: $('stage-folder-slot'), settingsFolderSlot: $('settings-folder-slot'),
  maxRunning: $as('max-running-jobs', HTMLSelectElement), maxRunningStatus: $('max-running-status'),
  saveEach: $as('save-finished-videos', HTMLInputElement), saveEachStatus: $('save-finished-status'),
  language: $as('language', HTMLSelectElement), languageStatus: $('language-status'),
  closeDialog: $as('close-dialog', HTMLDialogElement), closeTitle: $('close-title'), closeText: $('close-text'),
  closeKeep: $('close-keep'), closeQuit: $('close-quit'),
};

let asking = false;     // the money question is open: nothing is being sent yet
let submitting = false; // true from the Generate click until start_job has answered
let rememberTimer = 0;
let noticeTimer = 0;
let ticker = 0;
let closeCount = { videos: 0, voices: 0 }; // what the open close question is about
// What the balance line shows, kept so it can be drawn again in another language.
let balance = { state: 'empty', value: 0, err: null };

// Built in boot(), once the words are loaded: they draw as they are made.
let form = null;
let stage = null;
let stills = null;
let historyView = null;
let attention = null;
let key = null;
let money = null;

// Screen-reader announcements; cleared first so a repeated sentence is read again.
function announce(text) {
  if (!text) return;
  el.announcer.textContent = '';
  requestAnimationFrame(() => { el.announcer.textContent = text; });
}

function drawBalance() {
  const { state, value, err } = balance;
  if (state === 'value') {
    el.credits.textContent = t('balance.amount', { amount: formatMoney(value) });
    el.credits.title = '';
  } else if (state === 'checking') {
    el.credits.textContent = t('balance.checking');
  } else if (state === 'unavailable') {
    el.credits.textContent = t('balance.unavailable');
    el.credits.title = shortError(err);
  }
}

function setCredits(n) {
  const value = Number(n && typeof n === 'object' ? n.credits : n);
  if (!Number.isFinite(value)) return;
  balance = { state: 'value', value, err: null };
  drawBalance();
  money?.schedule(); // Rust saw the new balance too: the price line may warn
}

async function refreshCredits({ quiet = false } = {}) {
  if (!quiet) {
    balance = { ...balance, state: 'checking' };
    drawBalance();
  }
  try {
    setCredits(await api.getCredits());
  } catch (err) {
    if (!quiet) {
      balance = { state: 'unavailable', value: 0, err };
      drawBalance();
    }
  }
}

const library = createLibrary();
const voices = createVoices();
let maker = null;
let cast = null;
let formBroken = false; // form_rules could not be read: no form is offered (boot)
let support = null;

// A request's prompt as the creator wrote it: its voices by name, "[Grandpa]".
function readablePrompt(request) {
  const ids = Array.isArray(request.voice_ids) ? request.voice_ids : [];
  return toNames(request.prompt || '', ids.map((id) => voices.byVoiceId(id)?.name || ''));
}

function createViews() {
  form = createForm({
    voices,
    onNewVoice: (slot) => maker.open({ slot }),
    onChange: () => {
      // Keep the last settings across restarts, without writing on every keystroke.
      clearTimeout(rememberTimer);
      rememberTimer = setTimeout(() => api.rememberRequest(form.getRequest()).catch(() => {}), REMEMBER_DELAY_MS);
      stage.refreshShape(); // the empty stage follows the chosen shape
      hideNotice();
    },
    onValidated: () => {
      refreshGenerate();
      money.schedule(); // the price follows the form
    },
  });

  money = createMoney({ getRequest: () => form.getRequest() });

  // A voice just made goes into the slot it was made for (or the one the creator picks).
  maker = createVoiceMaker({
    voices,
    onUse: (slot, voice) => form.setVoice(slot, voice.voiceId),
    onMade: () => refreshCredits({ quiet: true }),
  });
  cast = createCast({ voices, maker });
  support = createSupport();
  for (const id of ['open-voices', 'open-voices-header']) $(id).addEventListener('click', () => cast.open());

  stage = createStage({
    library,
    takes: createTakes({ library, announce }),
    onAnotherTake: anotherTake,
    onContinue: continueFrom,
    getAspect: () => form.aspect(),
    onErrorAction: (id) => {
      if (id === 'top_up') api.openHelpLink('top_up').catch(() => {});
      if (id === 'open_settings') openSettings({ replace: true });
    },
    onSelect: (id) => {
      historyView.setSelected(id);
      attention?.render();
    },
    setCredits,
    announce,
  });
  attention = createAttention({ library, readable: readablePrompt, shownId: () => stage.selectedId(), show: (id) => stage.select(id) });
  // Cards name their voices: worded again when a voice's name arrives or changes.
  let voiceNames = '';
  voices.subscribe(() => {
    const now = voices.ready().map((v) => `${v.voiceId}=${v.name}`).join('\n');
    if (now === voiceNames) return;
    voiceNames = now;
    historyView?.reword();
    attention.render();
  });

  // A still for each finished video: the moment it arrives, and lazily for videos
  // already in the library when their card first shows.
  stills = createStills({ library });

  historyView = createHistory({
    library,
    stills,
    readable: readablePrompt,
    onSelect: (id) => stage.select(id),
    onRerun: rerun,
    announce,
  });

  key = createKey({
    onSaved: (status, { fromSettings }) => {
      if (!fromSettings) showStudio();
    },
    onRemoved: () => {
      if (el.settings.open) el.settings.close();
      showSetup(() => t('setup.keyRemoved'));
    },
    setCredits,
  });

  library.subscribe((change) => {
    if (change.type === 'job' && change.job.status === 'ready') stills.want(change.job);
    // A job that ended may have changed the balance.
    if (change.type === 'job' && change.prev && isActive(change.prev) && !isActive(change.job)) refreshCredits({ quiet: true });
    syncTicker();
  });
}

// ---------- the library: one channel for the whole session ----------

function onStudioEvent(msg) {
  if (!msg || typeof msg !== 'object') return;
  if (msg.kind === 'job') library.put(msg.job);
  else if (msg.kind === 'deleted' && typeof msg.jobId === 'string') library.remove(msg.jobId);
  else if (msg.kind === 'closeRequested') askClose(Number(msg.activeJobs) || 0, Number(msg.voicesBeingMade) || 0);
  else if (msg.kind === 'voice') voices.put(msg.voice);
  else if (msg.kind === 'voiceDeleted' && typeof msg.id === 'string') voices.remove(msg.id);
  // The app menu's Settings…: only where the page's Settings can open (the studio is shown).
  else if (msg.kind === 'settingsAsked' && !el.studio.hidden && !document.querySelector('dialog[open]')) openSettings();
}

// One tick a second while anything is under way: elapsed times and the window title.
function syncTicker() {
  const busy = submitting || library.all().some(isActive);
  if (busy && !ticker) {
    ticker = setInterval(() => {
      stage.tick();
      historyView.tick();
      updateTitle();
      syncTicker();
    }, 1000);
  } else if (!busy && ticker) {
    clearInterval(ticker);
    ticker = 0;
  }
  updateTitle();
}

function updateTitle() {
  if (!stage) return; // not started yet: the plain title stands
  const active = library.all().filter(isActive);
  if (active.length === 1) document.title = t('app.window.working', { status: shortStatus(active[0]), time: mmss(elapsed(active[0])) });
  else if (active.length > 1) document.title = t('app.window.many', { count: active.length });
  else {
    const shown = stage.current();
    document.title = shown && shown.status === 'ready' && !document.hasFocus() ? t('app.window.ready') : t('app.title');
  }
}

function drawCloseWords() {
  const { videos, voices } = closeCount;
  const voiceWords = voices > 0 ? t('dialog.close.voices', { count: voices }) : '';
  el.closeTitle.textContent = videos > 0 ? t('dialog.close.title', { count: videos }) : t('dialog.close.title_voice', { count: voices });
  el.closeText.textContent = videos > 0 ? sentences([t('dialog.close.text', { count: videos }), voiceWords]) : t('dialog.close.voices_only', { count: voices });
  el.closeKeep.textContent = t('dialog.close.keep', { count: videos + voices });
}

// The window was closed while videos or voices are being made: ask, in the page.
async function askClose(videos, voices) {
  if (videos + voices <= 0) return;
  closeCount = { videos, voices };
  drawCloseWords();
  if (el.closeDialog.open) return; // already asking: the words are updated
  // Esc or the backdrop: not now, the window stays as it is.
  const answer = await choose(el.closeDialog, { keep: el.closeKeep, quit: el.closeQuit }, el.closeKeep);
  try {
    if (answer === 'quit') await api.quitApp();
    else if (answer === 'keep') await api.runInBackground();
  } catch (err) {
    announce(describeError(err).headline);
  }
}

// ---------- Generate: exactly one start_job per deliberate click ----------

function refreshGenerate() {
  let reason = '';
  let kind = '';
  if (formBroken) [reason, kind] = [t('notice.startFailed'), 'broken'];
  else if (asking) [reason, kind] = [t('generate.asking'), 'asking'];
  else if (submitting) [reason, kind] = [t('generate.sending'), 'sending'];
  // An untouched form is invited, not scolded: "Fix 1 thing" waits for an edit.
  else if (form.hasErrors() && !form.revealed()) [reason, kind] = [t('generate.describe_first'), 'describe'];
  else if (form.hasErrors()) [reason, kind] = [form.reasonText(), 'fix'];
  el.generate.disabled = !!reason;
  el.reason.textContent = reason;
  el.reason.dataset.reason = kind;
  el.reason.hidden = !reason;
}

// randomUUID needs a secure context. The page is one on every system (tauri:// on
// macOS and Linux; http://tauri.localhost on Windows, a *.localhost name Chromium
// counts as trustworthy), but an id must never be what stops Generate: random
// bytes from getRandomValues, which needs no secure context, stand in.
function newSubmissionId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function generate() {
  // Guard and disable in the same tick as the click, before any await: a double
  // click or a held shortcut must never reach start_job twice (each call costs money).
  // Earlier videos do not hold Generate back: each click after start_job answered is a new video.
  // (A stale "invalid" from the live check is not a reason to refuse: the fresh check below decides.)
  if (submitting || el.studio.hidden || formBroken) return;
  submitting = true;
  refreshGenerate();
  syncTicker();
  hideNotice();
  const submissionId = newSubmissionId();
  const request = form.getRequest();
  const takes = money.takes();
  let pending = null;
  try {
    // When the form already looks valid and nothing needs asking, the stage says
    // "Sending…" in this same tick.
    if (!form.hasErrors() && !money.needsAsking()) pending = stage.beginSubmission(request);
    clearTimeout(rememberTimer);
    api.rememberRequest(request).catch(() => {});
    // Check exactly what will be sent; the live check may be a keystroke behind.
    const problems = await form.validateNow(request);
    if (problems.length) {
      if (pending) stage.dropSubmission(pending);
      // Never a click that silently does nothing: the form shows what to fix.
      form.showErrors(problems, { reveal: true });
      console.warn(`Generate: nothing sent; the form check found: ${problems.map((p) => p.field).join(', ')}`);
      return;
    }
    // More than one video, or past the monthly limit: asked first, and a "no" sends nothing.
    asking = money.needsAsking();
    refreshGenerate();
    const { go, pastLimitAgreed } = await money.confirmSpend(request, takes).finally(() => { asking = false; });
    refreshGenerate();
    if (!go) {
      if (pending) stage.dropSubmission(pending);
      return;
    }
    if (!pending) pending = stage.beginSubmission(request);
    try {
      const started = await api.startJob(request, submissionId, takes, pastLimitAgreed);
      // The stage follows the first take; the others are in the history.
      started.slice(1).forEach((view) => library.put(view, { onlyIfNew: true }));
      stage.submissionStarted(pending, started[0]);
    } catch (err) {
      if (err.code === 'invalid_request') {
        stage.dropSubmission(pending); // nothing was sent: the form shows what to fix
        form.showErrors(err.fields, { reveal: true });
      } else {
        stage.submissionFailed(pending, err);
      }
    }
  } finally {
    submitting = false;
    refreshGenerate();
    syncTicker();
  }
}

// "Another take" of a ready video: a click like Generate (the same guard, the
// same questions about money), for that video's own request, in its set of takes.
async function anotherTake(job) {
  if (submitting || !job) return;
  submitting = true;
  refreshGenerate();
  syncTicker();
  const submissionId = newSubmissionId();
  try {
    asking = true;
    refreshGenerate();
    const { go, pastLimitAgreed } = await money.confirmSpend(job.request, 1).finally(() => { asking = false; });
    if (!go) return;
    const pending = stage.beginSubmission(job.request);
    try {
      stage.submissionStarted(pending, await api.anotherTake(job.id, submissionId, pastLimitAgreed));
    } catch (err) {
      stage.submissionFailed(pending, err);
    }
  } finally {
    submitting = false;
    refreshGenerate();
    syncTicker();
  }
}

// "Continue from here": the last frame of the downloaded video (decoded from the
// file by the web view, not a still) becomes the first frame of a new request of
// the same shape, and the cursor waits in the prompt for what happens next.
async function continueFrom(job) {
  const bytes = await videoFrame(job.videoUrl, { at: (duration) => Math.max(0, duration - 0.001) });
  const picture = await api.stagePicture('start_image_url', bytes);
  form.startFrom(picture, job.id);
  form.setShape(job.request.aspect_ratio);
  stage.refreshShape();
  form.focusPrompt();
  announce(t('stage.announce.continuing'));
}

// ---------- Fill the form (a card): the form gets exactly that video's settings; nothing is sent ----------

function rerun(job) {
  if (!job || !job.request) return;
  const r = job.request;
  form.setRequest(r);
  if (r.negative_prompt || (Array.isArray(r.voice_ids) && r.voice_ids.length) || (Array.isArray(r.multi_prompt) && r.multi_prompt.length)) {
    el.more.open = true; // the options it used are in view
  }
  form.validateNow();
  clearTimeout(rememberTimer);
  api.rememberRequest(form.getRequest()).catch(() => {});
  stage.refreshShape();
  el.formScroll.scrollTop = 0;
  el.prompt.focus({ preventScroll: true });
  el.prompt.setSelectionRange(el.prompt.value.length, el.prompt.value.length);
  const text = t('notice.rerun');
  clearTimeout(noticeTimer);
  el.notice.textContent = text;
  el.notice.hidden = false;
  noticeTimer = setTimeout(hideNotice, NOTICE_MS);
  announce(text);
}

function hideNotice() {
  clearTimeout(noticeTimer);
  el.notice.hidden = true;
}

// ---------- screens and Settings ----------

// message: words, or a function giving them (drawn again if the language changes).
function showSetup(message) {
  el.studio.hidden = true;
  el.account.hidden = true;
  el.setup.hidden = false;
  key?.mountSetup(message);
}

function showStudio() {
  el.setup.hidden = true;
  el.studio.hidden = false;
  el.account.hidden = false;
  refreshCredits();
  refreshGenerate();
  stage.render();
  historyView.render();
  focusSoon(el.prompt);
}

function openSettings({ replace = false } = {}) {
  if (el.settings.open) {
    if (replace) key.revealReplace();
    return;
  }
  key.mountSettings();
  el.settingsFolderSlot.append(el.folderRow);
  sayMaxRunning(null);
  saySaveEach(null);
  sayLanguage(null);
  fillLanguages();
  money.showSpend();
  support.refresh();
  el.settings.showModal();
  if (replace) key.revealReplace();
  else el.settingsClose.focus();
}

// "Saved: up to 3 videos at once.", drawn again in another language.
const sayMaxRunning = statusLine(el.maxRunningStatus);

// Rust keeps the number within its limit; the page shows what Rust says.
function setMaxRunning(n) {
  el.maxRunning.value = String(n);
  el.maxRunning.dataset.saved = String(n);
}

// "Each finished video is saved here": Rust keeps the choice; the stage's folder
// label follows it.
const saySaveEach = statusLine(el.saveEachStatus);

function setSaveEach(on) {
  el.saveEach.checked = on;
  stage.setSavesEach(on);
}

async function changeSaveEach() {
  const wanted = el.saveEach.checked;
  el.saveEach.disabled = true;
  try {
    setSaveEach(await api.setSaveFinishedVideos(wanted));
    saySaveEach(() => t(wanted ? 'settings.folder.saveEachOn' : 'settings.folder.saveEachOff'));
  } catch (err) {
    setSaveEach(!wanted);
    saySaveEach(() => t('settings.jobs.failed', { problem: describeError(err).headline }), 'error');
  } finally {
    el.saveEach.disabled = false;
  }
}

async function changeMaxRunning() {
  const wanted = Number(el.maxRunning.value);
  el.maxRunning.disabled = true;
  sayMaxRunning(() => t('settings.jobs.saving'));
  try {
    setMaxRunning(await api.setMaxRunningJobs(wanted));
    const n = Number(el.maxRunning.value);
    sayMaxRunning(() => t('settings.jobs.saved', { count: n }));
  } catch (err) {
    el.maxRunning.value = el.maxRunning.dataset.saved;
    sayMaxRunning(() => t('settings.jobs.failed', { problem: describeError(err).headline }), 'error');
  } finally {
    el.maxRunning.disabled = false;
    el.maxRunning.focus();
  }
}

// ---------- language ----------

// Each language is listed by its own name ("Deutsch", "日本語").
function fillLanguages() {
  let list = availableLanguages().filter((l) => l && typeof l.code === 'string' && l.code);
  if (!list.length) list = [{ code: language(), name: t('language.name') }];
  el.language.replaceChildren(...list.map((l) => {
    const option = document.createElement('option');
    option.value = l.code;
    option.textContent = l.name || l.code;
    return option;
  }));
  el.language.value = language();
}

const sayLanguage = statusLine(el.languageStatus);

async function changeLanguage() {
  const wanted = el.language.value;
  if (wanted === language()) return;
  el.language.disabled = true;
  sayLanguage(null);
  try {
    await setLanguage(wanted);
  } catch (err) {
    console.error('Could not change the language', err);
    el.language.value = language();
    sayLanguage(() => t('settings.language.failed', { problem: describeError(err).headline }), 'error');
  } finally {
    el.language.disabled = false;
    el.language.focus();
  }
}

// Words this module drew itself; the HTML's own words are filled by applyWords.
function redrawWords() {
  drawBalance();
  if (form) refreshGenerate();
  if (!el.notice.hidden) el.notice.textContent = t('notice.rerun');
  if (el.closeDialog.open) drawCloseWords();
  numberChoices(el.maxRunning);
  fillLanguages();
  updateTitle();
}

el.settings.addEventListener('close', () => {
  // Put the shared pieces back where they live outside the dialog.
  el.stageFolderSlot.append(el.folderRow);
  if (key.state() !== 'missing') {
    key.mountHeader();
    el.openSettings.focus();
  }
});
el.settingsClose.addEventListener('click', () => el.settings.close());
el.openSettings.addEventListener('click', () => openSettings());
el.topUp.addEventListener('click', () => api.openHelpLink('top_up').catch(() => {}));
$('setup-top-up').addEventListener('click', () => api.openHelpLink('top_up').catch(() => {}));
el.generate.addEventListener('click', generate);
el.maxRunning.addEventListener('change', changeMaxRunning);
el.saveEach.addEventListener('change', changeSaveEach);
el.language.addEventListener('change', changeLanguage);
onLanguageChange(redrawWords);
window.addEventListener('focus', updateTitle);

// Clicking the dimmed backdrop closes Settings and the voice dialogs, as Esc does.
for (const dialog of [el.settings, $as('voices-dialog', HTMLDialogElement), $as('voice-dialog', HTMLDialogElement)]) closeOnBackdrop(dialog);

// The menu's shortcuts the web view keeps from the menu on this system (Windows):
// passed on to the same menu item. Empty elsewhere, where the menu sees them first.
let menuKeys = [];

document.addEventListener('keydown', (e) => {
  const menuKey = e.ctrlKey && !e.altKey && !e.metaKey && menuKeys.find((k) => k.key === e.key.toLowerCase());
  if (menuKey) {
    e.preventDefault();
    if (!e.repeat) api.chooseMenuItem(menuKey.action).catch(() => {});
  } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    if (document.querySelector('dialog[open]') || el.studio.hidden) return;
    e.preventDefault();
    if (!e.repeat) generate();
  } else if (e.key === 'Escape') {
    // <dialog> closes itself on Esc; this covers webviews that do not.
    const open = /** @type {HTMLDialogElement | null} */ (document.querySelector('dialog[open]'));
    if (open) {
      e.preventDefault();
      open.close();
    }
  }
});

// ---------- start-up ----------

async function boot() {
  forwardConsole();
  // The words first: nothing may be drawn, or worded, before the catalogue is here.
  try {
    await loadWords();
  } catch (err) {
    console.error('Could not load the words', err);
  }
  createViews();
  api.menuKeys().then((keys) => { menuKeys = Array.isArray(keys) ? keys : []; }, () => {});
  // The library next: every later change comes through this one channel.
  const watching = api.watchJobs(onStudioEvent).then(
    (snapshot) => {
      voices.load(snapshot.voices);
      library.load(snapshot);
    },
    (err) => {
      console.error('Could not open the video library', err);
      library.load({ jobs: [], damaged: [] });
      announce(t('notice.libraryFailed'));
    },
  );
  // The library normally answers at once; a slow one fills in when it comes.
  const settled = Promise.race([watching, new Promise((r) => setTimeout(r, 3000))]);
  const [rules, settings, status] = await Promise.allSettled([api.formRules(), api.loadSettings(), api.keyStatus(), settled]);
  const saved = settings.status === 'fulfilled' && settings.value ? settings.value : {};
  if (rules.status === 'fulfilled') {
    form.setup(rules.value);
    maker.setRules(rules.value.voiceMaking);
    money.setMaxTakes(rules.value.maxTakes);
    form.setRequest(saved.request || null);
  } else {
    // The form is built from Rust's rules alone: without them there is no form to
    // fill, so none is offered (never a guess at the rules); the library still shows.
    console.error('Could not read the form rules', rules.reason);
    formBroken = true;
    $('form-panel').inert = true;
    refreshGenerate(); // says so where Generate is, in words, and keeps it off
    announce(t('notice.startFailed'));
  }
  stage.setOutputDir(saved.outputDir);
  if (typeof saved.saveFinishedVideos === 'boolean') setSaveEach(saved.saveFinishedVideos);
  if (saved.maxRunningJobsLimit) {
    numberChoices(el.maxRunning, saved.maxRunningJobsLimit);
    setMaxRunning(saved.maxRunningJobs);
  }
  // Show the window even if the first check is slow; the answer fills in when it comes.
  if (rules.status === 'fulfilled') await Promise.race([form.validateNow(), new Promise((r) => setTimeout(r, 1500))]);

  key.setStatusFrom(status.status === 'fulfilled' ? status.value : null);
  if (key.state() === 'missing') {
    showSetup(status.status === 'rejected' ? () => shortError(status.reason) : '');
  } else {
    key.mountHeader();
    showStudio();
  }
  syncTicker();
  document.body.classList.add('ready');
  // Start-up's last step for the log, once the next frame is drawn.
  requestAnimationFrame(() => setTimeout(() => api.pageShown().catch(() => {}), 0));
}

boot().catch((err) => {
  // Start-up must never leave a blank window.
  console.error('Start-up problem', err);
  showSetup(() => t('setup.startFailed'));
  document.body.classList.add('ready');
});
