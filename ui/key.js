// key.js: the Segmind API key: first-run setup and the key part of Settings.
// There is one status line, one input and one Save button; they are moved between
// the setup card, the header and the Settings dialog so each exists exactly once.
// The key itself is only ever read from the input and handed to Rust, never kept.
import * as api from './api.js';
import { describeKeyError } from './errors.js';

const $ = (id) => document.getElementById(id);

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
    status: $('api-key-status'), form: $('key-form'), input: $('api-key-input'), save: $('api-key-save'),
    getKey: $('get-key'), problem: $('keychain-problem'), problemText: $('keychain-problem-text'), sessionOnly: $('session-only'),
    manage: $('key-manage'), replace: $('replace-key'), remove: $('remove-key'),
    setupSlot: $('setup-key-slot'), headerSlot: $('header-key-slot'),
    settingsStatusSlot: $('settings-key-status-slot'), settingsFormSlot: $('settings-key-form-slot'), parking: $('key-parking'),
  };
  let status = normalizeStatus(null);
  let place = 'parked'; // 'setup' | 'header' | 'settings'
  let checking = false;

  function setStatus(text, tone = '') {
    el.status.textContent = text;
    el.status.dataset.tone = tone;
  }

  function ends(prefix = '') {
    return status.last4 ? `${prefix}${status.last4}` : '';
  }

  // What Settings says about the key that is in use now.
  function settingsText() {
    if (status.state === 'keychain') return status.last4 ? `A key is saved (ends in ${status.last4})` : 'A key is saved';
    if (status.state === 'session') return `Key kept for this session only${status.last4 ? ` (ends in ${status.last4})` : ''}. You will be asked again next time, and videos still being made wait until you add it.`;
    return 'No key saved yet.';
  }

  function headerText() {
    if (status.state === 'missing') return '';
    const which = status.last4 ? `Key ${ends('••••')}` : 'Key saved';
    return `${which}${status.state === 'session' ? ' · this session only' : ''}`;
  }

  function showProblem(text) {
    el.problem.hidden = !text;
    el.problemText.textContent = text || '';
  }

  // ---------- placing the shared pieces ----------

  function mountSetup(message = '') {
    place = 'setup';
    el.setupSlot.append(el.form, el.status);
    el.form.hidden = false;
    showProblem(status.keychainProblem);
    setStatus(message, message ? 'info' : '');
    // Let the window finish showing before the cursor lands in the field.
    requestAnimationFrame(() => el.input.focus());
  }

  function mountHeader(message) {
    place = 'header';
    el.headerSlot.append(el.status);
    el.parking.append(el.form);
    el.input.value = '';
    setStatus(message || headerText(), message ? 'ok' : '');
  }

  function mountSettings() {
    place = 'settings';
    el.settingsStatusSlot.append(el.status);
    el.settingsFormSlot.append(el.form);
    el.form.hidden = true;
    el.replace.setAttribute('aria-expanded', 'false');
    el.manage.hidden = status.state === 'missing';
    showProblem(status.state === 'session' ? status.keychainProblem : null);
    setStatus(settingsText());
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
      setStatus('Paste your Segmind API key first.', 'error');
      el.input.focus();
      return;
    }
    checking = true;
    el.save.disabled = true;
    el.sessionOnly.disabled = true;
    el.input.setAttribute('aria-busy', 'true');
    setStatus('Checking your key with Segmind…', 'busy');
    try {
      const res = await api.saveApiKey(key, sessionOnly);
      el.input.value = ''; // the webview never holds the key after this
      status = normalizeStatus(res && res.status);
      // The save succeeded, so a key is in use even if the answer left the state out.
      if (status.state === 'missing') status.state = sessionOnly ? 'session' : 'keychain';
      showProblem(null);
      const credits = Number(res && res.credits);
      if (res && res.credits != null && Number.isFinite(credits)) setCredits?.(credits);
      const where = status.state === 'session' ? ' (this session only)' : '';
      const message = `Key saved · ends in ${status.last4 ? `••••${status.last4}` : '••••'}${where}`;
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
        showProblem(err.message || status.keychainProblem || "Your computer's password store is not available.");
        setStatus(describeKeyError(err), 'error');
        el.sessionOnly.focus();
      } else {
        setStatus(describeKeyError(err), 'error');
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
    setStatus('Removing your key…', 'busy');
    try {
      status = normalizeStatus(await api.removeApiKey());
      onRemoved?.(status);
    } catch (err) {
      setStatus(describeKeyError(err), 'error');
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
    api.openHelpLink('api_keys').catch((err) => setStatus(describeKeyError(err), 'error'));
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
