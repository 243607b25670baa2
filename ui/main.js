// main.js: start-up and wiring: which screen shows, the header balance, Settings,
// and the one guarded path from "Generate" to start_job.
import * as api from './api.js';
import { shortError } from './errors.js';
import { createForm } from './form.js';
import { createJobs } from './job.js';
import { createKey } from './key.js';

const $ = (id) => document.getElementById(id);
const REMEMBER_DELAY_MS = 500;

const el = {
  setup: $('setup-view'), studio: $('studio-view'), account: $('account'), credits: $('credits'),
  topUp: $('top-up'), openSettings: $('open-settings'), settings: $('settings-dialog'), settingsClose: $('settings-close'),
  generate: $('generate'), reason: $('generate-reason'), announcer: $('announcer'),
  folderRow: $('folder-row'), stageFolderSlot: $('stage-folder-slot'), settingsFolderSlot: $('settings-folder-slot'),
};

let submitting = false; // true from the Generate click until start_job has answered
let rememberTimer = 0;

// Screen-reader announcements; cleared first so a repeated sentence is read again.
function announce(text) {
  el.announcer.textContent = '';
  requestAnimationFrame(() => { el.announcer.textContent = text; });
}

function setCredits(n) {
  const value = Number(n && typeof n === 'object' ? n.credits : n);
  if (!Number.isFinite(value)) return;
  el.credits.textContent = `Balance: ${value.toLocaleString(undefined, { maximumFractionDigits: 2 })} credits`;
  el.credits.title = '';
}

async function refreshCredits({ quiet = false } = {}) {
  if (!quiet) el.credits.textContent = 'Balance: checking…';
  try {
    setCredits(await api.getCredits());
  } catch (err) {
    if (!quiet) {
      el.credits.textContent = 'Balance: unavailable';
      el.credits.title = shortError(err);
    }
  }
}

const form = createForm({
  onChange: () => {
    // Keep the last settings across restarts, without writing on every keystroke.
    clearTimeout(rememberTimer);
    rememberTimer = setTimeout(() => api.rememberRequest(form.getRequest()).catch(() => {}), REMEMBER_DELAY_MS);
    jobs.refreshShape(); // the empty stage follows the chosen shape
  },
  onValidated: () => refreshGenerate(),
});

const jobs = createJobs({
  getAspect: () => form.aspect(),
  onChange: () => {
    refreshGenerate();
    if (!jobs.isBusy()) refreshCredits({ quiet: true }); // a finished job may have changed the balance
  },
  onErrorAction: (id) => {
    if (id === 'top_up') api.openHelpLink('top_up').catch(() => {});
    if (id === 'open_settings') openSettings({ replace: true });
  },
  setCredits,
  announce,
});

const key = createKey({
  onSaved: (status, { fromSettings }) => {
    if (!fromSettings) showStudio();
  },
  onRemoved: () => {
    if (el.settings.open) el.settings.close();
    showSetup('Your key was removed from this computer. Add a key to make videos again.');
  },
  setCredits,
});

// ---------- Generate: exactly one start_job per deliberate click ----------

function refreshGenerate() {
  let reason = '';
  if (submitting) reason = 'Sending your request…';
  else if (jobs.isBusy()) reason = 'A video is being made. You can start the next one when it is ready.';
  else if (form.hasErrors()) reason = form.reasonText();
  el.generate.disabled = !!reason;
  el.reason.textContent = reason;
  el.reason.hidden = !reason;
}

function newSubmissionId() {
  try {
    if (crypto.randomUUID) return crypto.randomUUID();
  } catch { /* not a secure context: fall through */ }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function generate() {
  // Guard and disable in the same tick as the click, before any await: a double
  // click or a held shortcut must never reach start_job twice (each call costs money).
  // (A stale "invalid" from the live check is not a reason to refuse: the fresh check below decides.)
  if (submitting || jobs.isBusy() || el.studio.hidden) return;
  submitting = true;
  refreshGenerate();
  const submissionId = newSubmissionId();
  const request = form.getRequest();
  let job = null;
  try {
    // When the form already looks valid, the card says "Sending…" in this same tick.
    if (!form.hasErrors()) job = jobs.prepare(request, submissionId);
    clearTimeout(rememberTimer);
    api.rememberRequest(request).catch(() => {});
    // Check exactly what will be sent; the live check may be a keystroke behind.
    const problems = await form.validateNow(request);
    if (problems.length) {
      if (job) jobs.discard(job);
      return;
    }
    if (!job) job = jobs.prepare(request, submissionId);
    const result = await jobs.launch(job);
    if (!result.ok && result.error && result.error.code === 'invalid_request') {
      form.showErrors(result.error.fields, { reveal: true });
    }
  } finally {
    submitting = false;
    refreshGenerate();
  }
}

// ---------- screens and Settings ----------

function showSetup(message) {
  el.studio.hidden = true;
  el.account.hidden = true;
  el.setup.hidden = false;
  key.mountSetup(message);
}

function showStudio() {
  el.setup.hidden = true;
  el.studio.hidden = false;
  el.account.hidden = false;
  refreshCredits();
  refreshGenerate();
  jobs.render();
  requestAnimationFrame(() => $('prompt').focus());
}

function openSettings({ replace = false } = {}) {
  if (el.settings.open) {
    if (replace) key.revealReplace();
    return;
  }
  key.mountSettings();
  el.settingsFolderSlot.append(el.folderRow);
  el.settings.showModal();
  if (replace) key.revealReplace();
  else el.settingsClose.focus();
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
el.generate.addEventListener('click', generate);

// Clicking the dimmed backdrop closes Settings, as Esc does.
el.settings.addEventListener('click', (e) => {
  if (e.target === el.settings) {
    const r = el.settings.getBoundingClientRect();
    const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
    if (!inside) el.settings.close();
  }
});

document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    if (document.querySelector('dialog[open]') || el.studio.hidden) return;
    e.preventDefault();
    if (!e.repeat) generate();
  } else if (e.key === 'Escape') {
    // <dialog> closes itself on Esc; this covers webviews that do not.
    const open = document.querySelector('dialog[open]');
    if (open) {
      e.preventDefault();
      open.close();
    }
  }
});

// ---------- start-up ----------

async function boot() {
  const [rules, settings, status] = await Promise.allSettled([api.formRules(), api.loadSettings(), api.keyStatus()]);
  form.setup(rules.status === 'fulfilled' ? rules.value : null);
  const saved = settings.status === 'fulfilled' && settings.value ? settings.value : {};
  const defaults = rules.status === 'fulfilled' && rules.value ? rules.value.defaults : null;
  form.setRequest(saved.request || defaults || null);
  jobs.setOutputDir(saved.outputDir);
  // Show the window even if the first check is slow; the answer fills in when it comes.
  await Promise.race([form.validateNow(), new Promise((r) => setTimeout(r, 1500))]);

  key.setStatusFrom(status.status === 'fulfilled' ? status.value : null);
  if (key.state() === 'missing') {
    showSetup(status.status === 'rejected' ? shortError(status.reason) : '');
  } else {
    key.mountHeader();
    showStudio();
  }
  document.body.classList.add('ready');
}

boot().catch((err) => {
  // Start-up must never leave a blank window.
  console.error('Start-up problem', err);
  showSetup('The app could not start properly. Please restart it.');
});
