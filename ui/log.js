// log.js: the page's own errors and warnings go to the app's log file too, so a
// support request carries them (the log plugin's one command; Rust cleans every
// line). Repeats are dropped and the rate is capped, so a message repeated every
// second cannot push a day of history out of the rotated files.

const LEVEL = { warn: 4, error: 5 }; // tauri-plugin-log's LogLevel
const MAX_CHARS = 4000;
const PER_MINUTE = 20;

function text(part) {
  if (part instanceof Error) return `${part.name}: ${part.message}\n${part.stack || ''}`;
  if (typeof part === 'string') return part;
  try {
    return JSON.stringify(part);
  } catch {
    return String(part);
  }
}

export function forwardConsole() {
  const core = window.__TAURI__ && window.__TAURI__.core;
  if (!core) return;
  let sending = false;  // invoke may itself warn: never forward while forwarding
  let last = '';
  let minute = 0;
  let sent = 0;
  const send = (level, parts) => {
    if (sending) return;
    const message = parts.map(text).join(' ').slice(0, MAX_CHARS);
    const now = Math.floor(Date.now() / 60000);
    if (now !== minute) {
      minute = now;
      sent = 0;
    }
    if (message === last || sent >= PER_MINUTE) return;
    last = message;
    sent += 1;
    sending = true;
    try {
      core.invoke('plugin:log|log', { level, message }).catch(() => {});
    } finally {
      sending = false;
    }
  };
  for (const name of Object.keys(LEVEL)) {
    const original = console[name].bind(console);
    console[name] = (...args) => {
      original(...args);
      send(LEVEL[name], args);
    };
  }
  window.addEventListener('error', (e) => send(LEVEL.error, [`${e.message} (${e.filename}:${e.lineno})`]));
  window.addEventListener('unhandledrejection', (e) => send(LEVEL.error, ['Unhandled rejection:', e.reason]));
}
