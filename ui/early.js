// @ts-check
// early.js: start-up's first questions, asked before the rest of the page loads.
// index.html loads this module on its own, ahead of main.js: module scripts run in
// document order, and this one imports nothing, so its questions leave while the
// page's other modules are still being fetched and run (about 100 ms here). Each answer
// is taken once, by api.js; anything asked later is asked afresh.

/** @typedef {import('./contract').Command} Command */

/** @type {Command[]} */
const FIRST = ['words', 'form_rules', 'load_settings', 'key_status'];

/** @type {Map<Command, Promise<unknown>>} */
const asked = new Map();

const core = window.__TAURI__ && window.__TAURI__.core;
if (core) {
  for (const cmd of FIRST) {
    const answer = core.invoke(cmd);
    // Marked as handled now: a refusal is read (and worded) when api.js takes it.
    answer.catch(() => {});
    asked.set(cmd, answer);
  }
}

/**
 * The answer to a question asked at start, once; null when it was not asked or was
 * already taken.
 * @param {Command} cmd
 * @returns {Promise<unknown> | null}
 */
export function takeEarly(cmd) {
  const answer = asked.get(cmd) ?? null;
  asked.delete(cmd);
  return answer;
}
