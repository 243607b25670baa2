// key.js: the Segmind API key: first-run setup and the key part of Settings.
// There is one status line, one input and one Save button; they are moved between
// the setup card, the header and the Settings dialog so each exists exactly once.
// The key itself is only ever read from the input and handed to Rust, never kept.
import * as api from './api.js';
import { describeKeyError, keychainProblemText } from './errors.js';
import { t, onLanguageChange } from './i18n.js';
import { $, $as, focusSoon } from './dom.js';

function normalizeStatus(s) {
  const state = s && ['missing', 'keychain', 'session'].includes(s.state) ? s.state : 'missing';
  return {
    state,
    last4: s && typeof s.last4 === 'string' && s.last4 ? s.last4 : null,
    keychainProblem: s && typeof s.keychainProblem === 'string' && s.keychainProblem ? s.keychainProblem : null,
  };
}

export function createKey({ onSaved, onRemoved, setCredits }) {
  const el = {
    status: $('api-key-status'), form: $('key-form'), input: $as('api-key-input', HTMLInputElement), save: $as('api-key-save', HTMLButtonElement),
    getKey: $('get-key'), problem: $('keychain-problem'), problemText: $('keychain-problem-text'), linuxSteps: $('keychain-linux'), sessionOnly: $as('session-only', HTMLButtonElement),
    manage: $('key-manage'), replace: $('replace-key'), remove: $as('remove-key', HTMLButtonElement),
    setupSlot: $('setup-key-slot'), headerSlot: $('header-key-slot'),
    settingsStatusSlot: $('settings-key-status-slot'), settingsFormSlot: $('settings-key-form-slot'), parking: $('key-parking'),
  };
  let status = normalizeStatus(null);
  let place = 'parked'; // 'setup' | 'header' | 'settings'
  let checking = false;
  // The status line's words as a function, so they can be drawn again in another language.
  let statusWords = () => '';
  let problemWords = () => '';

  // text: words, or a function giving them.
  function setStatus(text, tone = '') {
    statusWords = typeof text === 'function' ? text : () => text || '';
    el.status.textContent = statusWords();
    el.status.dataset.tone = tone;
  }

  // What Settings says about the key that is in use now.
  function settingsText() {
    const last4 = status.last4;
    if (status.state === 'keychain') return last4 ? t('key.status.savedEnds', { last4 }) : t('key.status.saved');
    if (status.state === 'session') return last4 ? t('key.status.sessionEnds', { last4 }) : t('key.status.session');
    return t('key.status.none');
  }

  function headerText() {
    if (status.state === 'missing') return '';
    const last4 = status.last4;
    if (status.state === 'session') return last4 ? t('key.header.endsSession', { last4 }) : t('key.header.savedSession');
    return last4 ? t('key.header.ends', { last4 }) : t('key.header.saved');
  }

  // "Key saved · ends in ••••1234", just after a save.
  function savedText() {
    const last4 = status.last4;
    if (status.state === 'session') return last4 ? t('key.saved.endsSession', { last4 }) : t('key.saved.plainSession');
    return last4 ? t('key.saved.ends', { last4 }) : t('key.saved.plain');
  }

  // Why the keychain cannot keep the key (a code from Rust), in words; null: no problem.
  // The words carry their code: "no keychain at all" also offers the Linux steps.
  function problemFor(code) {
    if (!code) return null;
    const words = () => keychainProblemText(code);
    words.code = code;
    return words;
  }

  // text: words, or a function giving them.
  function showProblem(text) {
    problemWords = typeof text === 'function' ? text : () => text || '';
    const words = problemWords();
    el.problem.hidden = !words;
    el.problemText.textContent = words;
    // Only a system without any keychain (Linux, in practice) needs the set-up
    // steps, and they stay folded: the key comes first.
    el.linuxSteps.hidden = !(text && typeof text === 'function' && text.code === 'keychain_unavailable');
  }

  // ---------- placing the shared pieces ----------

  function mountSetup(message = '') {
    place = 'setup';
    el.setupSlot.append(el.form, el.status);
    el.form.hidden = false;
    showProblem(problemFor(status.keychainProblem));
    setStatus(message, message ? 'info' : '');
    focusSoon(el.input);
  }

  function mountHeader(message) {
    place = 'header';
    el.headerSlot.append(el.status);
    el.parking.append(el.form);
    el.input.value = '';
    setStatus(message || headerText, message ? 'ok' : '');
  }

  function mountSettings() {
    place = 'settings';
    el.settingsStatusSlot.append(el.status);
    el.settingsFormSlot.append(el.form);
    el.form.hidden = true;
    el.replace.setAttribute('aria-expanded', 'false');
    el.manage.hidden = status.state === 'missing';
    showProblem(status.state === 'session' ? problemFor(status.keychainProblem) : null);
    setStatus(settingsText);
  }

  function revealReplace() {
    el.form.hidden = false;
    el.replace.setAttribute('aria-expanded', 'true');
    el.input.focus();
  }

  // ---------- saving, removing ----------

  async function save(sessionOnly) {
    if (checking) return;
    const key = el.input.value.trim(); // stray spaces from copy-paste are never part of a key
    if (!key) {
      setStatus(() => t('key.status.empty'), 'error');
      el.input.focus();
      return;
    }
    checking = true;
    el.save.disabled = true;
    el.sessionOnly.disabled = true;
    el.input.setAttribute('aria-busy', 'true');
    setStatus(() => t('key.status.checking'), 'busy');
    try {
      const res = await api.saveApiKey(key, sessionOnly);
      el.input.value = ''; // the webview never holds the key after this
      status = normalizeStatus(res && res.status);
      // The save succeeded, so a key is in use even if the answer left the state out.
      if (status.state === 'missing') status.state = sessionOnly ? 'session' : 'keychain';
      showProblem(null);
      const credits = Number(res && res.credits);
      if (res && res.credits != null && Number.isFinite(credits)) setCredits?.(credits);
      const message = savedText;
      if (place === 'settings') {
        setStatus(message, 'ok');
        el.form.hidden = true;
        el.replace.setAttribute('aria-expanded', 'false');
        el.manage.hidden = false;
        el.replace.focus();
        onSaved?.(status, { fromSettings: true });
      } else {
        mountHeader(message);
        onSaved?.(status, { fromSettings: false });
      }
    } catch (err) {
      if (err.code === 'keychain_unavailable' || err.code === 'keychain') {
        showProblem(problemFor(err.code));
        setStatus(() => describeKeyError(err), 'error');
        el.sessionOnly.focus();
      } else {
        setStatus(() => describeKeyError(err), 'error');
        el.input.focus();
      }
    } finally {
      checking = false;
      el.save.disabled = false;
      el.sessionOnly.disabled = false;
      el.input.removeAttribute('aria-busy');
    }
  }

  async function remove() {
    el.remove.disabled = true;
    setStatus(() => t('key.status.removing'), 'busy');
    try {
      status = normalizeStatus(await api.removeApiKey());
      onRemoved?.(status);
    } catch (err) {
      setStatus(() => describeKeyError(err), 'error');
    } finally {
      el.remove.disabled = false;
    }
  }

  el.form.addEventListener('submit', (e) => {
    e.preventDefault();
    save(false);
  });
  el.sessionOnly.addEventListener('click', () => save(true));
  el.getKey.addEventListener('click', () => {
    api.openHelpLink('api_keys').catch((err) => setStatus(() => describeKeyError(err), 'error'));
  });
  // Another language: the status line and the problem note are worded again.
  onLanguageChange(() => {
    el.status.textContent = statusWords();
    showProblem(problemWords);
  });
  el.replace.addEventListener('click', revealReplace);
  el.remove.addEventListener('click', remove);

  return {
    setStatusFrom: (s) => { status = normalizeStatus(s); },
    state: () => status.state,
    mountSetup,
    mountHeader,
    mountSettings,
    revealReplace,
    setStatus,
  };
}
