// log.js: the page's own errors and warnings go to the app's log file too, so a
// support request carries them (the log plugin's one command; Rust scrubs the key
// from every line, whatever wrote it).

const LEVEL = { warn: 4, error: 5 }; // tauri-plugin-log's LogLevel
const MAX_CHARS = 4000;

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
  const send = (level, parts) => {
    const message = parts.map(text).join(' ').slice(0, MAX_CHARS);
    core.invoke('plugin:log|log', { level, message }).catch(() => {});
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
