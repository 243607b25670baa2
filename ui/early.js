// @ts-check
// early.js: start-up's first questions, asked before the rest of the page loads.
// index.html loads only this module, and it imports nothing up front: its questions
// leave first, and only then does it load main.js and the page's other modules
// (about 100 ms here). Fetched at once, those 21 modules would queue ahead of the
// questions at the app's asset handler; measured, asking first takes start-up to the
// first answer from 1.25× to 1.16-1.22× of a bare Tauri app, and the page is drawn
// 20-30 ms sooner. Each answer is taken once, by api.js; anything asked later is asked
// afresh.

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

// The page itself. A module that cannot load would leave the window blank without a
// word: the web view's console (the inspector in debug builds) says which.
import('./main.js').catch((err) => console.error('The page could not load', err));
