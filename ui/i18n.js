// i18n.js: every word the app shows comes from one catalogue per language
// (ui/locales/<lang>.json, handed over by Rust, which picks the language from the
// settings or the system). t() looks a key up; numbers, dates, times, sizes and
// money go through the platform's Intl APIs, never hand-made formatters.
//
// Catalogue values are strings with {name} placeholders, or, where a number
// decides the form, an object of plural categories ({"one": …, "other": …}) chosen
// by Intl.PluralRules from the `count` parameter. Keys are written out whole in
// the code (t('stage.title')), so a test can find every key that is used.
import * as api from './api.js';

let lang = 'en';
let words = {};
let languages = [];
const listeners = new Set();

export const language = () => lang;
export const availableLanguages = () => languages;

// One formatter per kind, language and options, made once: an Intl object holds
// ICU data outside the JS heap, which barely hastens a collection. Made anew for
// every number of every card, a scroll through 1,000 videos left ~27 MB of them in
// the web process, and ~250 MB when little else made the garbage collector run.
const formatters = new Map();
function formatter(Kind, options) {
  // A date formatter keeps the time zone it was made in: a new zone, a new one.
  const zone = Kind === Intl.DateTimeFormat ? new Date().getTimezoneOffset() : '';
  const key = `${Kind.name}|${lang}|${zone}|${options ? JSON.stringify(options) : ''}`;
  let made = formatters.get(key);
  if (!made) {
    made = new Kind(lang, options);
    formatters.set(key, made);
  }
  return made;
}

function format(value) {
  if (typeof value === 'number' && Number.isFinite(value)) return formatter(Intl.NumberFormat).format(value);
  return String(value ?? '');
}

const missing = new Set();

// t('form.shots.max', { count: 5 }): the words for key in the current language.
export function t(key, params = {}) {
  let entry = words[key];
  if (entry === undefined) {
    // Once per key: a missing word redrawn every second must not flood the log.
    if (!missing.has(key)) console.error(`No words for "${key}" in ${lang}`);
    missing.add(key);
    return key;
  }
  if (entry && typeof entry === 'object') {
    const category = formatter(Intl.PluralRules).select(Number(params.count) || 0);
    entry = entry[category] ?? entry.other ?? '';
  }
  return String(entry).replace(/\{(\w+)\}/g, (whole, name) => (name in params ? format(params[name]) : whole));
}

// Whether a key exists: for words keyed by a code from Rust (an error code, a
// reason) where a newer version may send one this version has no words for.
export const has = (key) => words[key] !== undefined;

// Static words in the HTML: data-i18n (text), data-i18n-placeholder,
// data-i18n-title, data-i18n-aria-label.
const ATTRIBUTES = [['i18nPlaceholder', 'placeholder'], ['i18nTitle', 'title'], ['i18nAriaLabel', 'aria-label']];
export function applyWords(root = document) {
  for (const node of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('[data-i18n]'))) node.textContent = t(node.dataset.i18n);
  for (const [data, attribute] of ATTRIBUTES) {
    const selector = `[data-${attribute === 'aria-label' ? 'i18n-aria-label' : `i18n-${attribute}`}]`;
    for (const node of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(selector))) node.setAttribute(attribute, t(node.dataset[data]));
  }
  document.documentElement.lang = lang;
  document.title = t('app.title');
}

function take(answer) {
  lang = answer.lang;
  words = answer.words || {};
  languages = Array.isArray(answer.languages) ? answer.languages : [];
}

// Called once before anything is drawn.
export async function loadWords() {
  take(await api.words());
  applyWords();
}

// Settings: applied at once (every view re-draws its words) and remembered by Rust.
export async function setLanguage(code) {
  take(await api.setLanguage(code));
  applyWords();
  for (const fn of listeners) {
    try {
      fn(lang);
    } catch (err) {
      console.error('A view could not change its language', err);
    }
  }
}

export function onLanguageChange(fn) {
  listeners.add(fn);
}

// Sentences one after the other: a space in English, none in Chinese.
export function sentences(parts) {
  return parts.filter(Boolean).join(t('grammar.sentence_separator'));
}

// A status line whose words are kept as a function, so they are drawn again in
// another language: `const say = statusLine(node); say(() => t('…'), 'error')`.
export function statusLine(node) {
  let words = null;
  onLanguageChange(() => { if (words) node.textContent = words(); });
  return (fn, tone = '') => {
    words = fn;
    node.dataset.tone = tone;
    node.textContent = fn ? fn() : '';
  };
}

// ---------- numbers, times and sizes, in the creator's language ----------

export const formatNumber = (n, options) => formatter(Intl.NumberFormat, options).format(Number(n) || 0);

// A <select> offering 1 to `max` (a limit Rust gives), the numbers written the
// creator's way; called again without `max` after a language change, the choice kept.
export function numberChoices(select, max = select.options.length) {
  const chosen = select.value;
  select.replaceChildren(...Array.from({ length: max }, (_, i) => new Option(formatNumber(i + 1), String(i + 1))));
  if (chosen) select.value = chosen;
}

// 14:05:09 (a moment today, e.g. when a rate limit lifts).
export function formatClock(ms) {
  try {
    return formatter(Intl.DateTimeFormat, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
  } catch {
    return '';
  }
}

// 14:05
export function formatTimeOfDay(ms) {
  return formatter(Intl.DateTimeFormat, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
}

// $1.68: Segmind bills in US dollars (1 credit = $1), written the creator's way.
// Small amounts (a voice: $0.007) keep their third decimal.
export function formatMoney(usd) {
  const n = Number(usd) || 0;
  const small = n !== 0 && Math.abs(n) < 0.1;
  return formatter(Intl.NumberFormat, { style: 'currency', currency: 'USD', maximumFractionDigits: small ? 3 : 2 }).format(n);
}

// 3 Nov 2025 / 2025年11月3日
export function formatDate(ms) {
  return formatter(Intl.DateTimeFormat, { day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(ms));
}

// 5 seconds / 5秒
export function formatSeconds(n) {
  return formatter(Intl.NumberFormat, { style: 'unit', unit: 'second', unitDisplay: 'long' }).format(Number(n) || 0);
}

// 5 s / 5秒 (tight places: cards, the storyboard bar)
export function formatSecondsShort(n) {
  return formatter(Intl.NumberFormat, { style: 'unit', unit: 'second', unitDisplay: 'short' }).format(Number(n) || 0);
}

// 820 kB, 12.5 MB, 1.25 GB
export function formatBytes(n) {
  const b = Math.max(0, Number(n) || 0);
  const [unit, value, digits] = b < 1e6 ? ['kilobyte', b / 1e3, 0] : b < 1e9 ? ['megabyte', b / 1e6, 1] : ['gigabyte', b / 1e9, 2];
  return formatter(Intl.NumberFormat, { style: 'unit', unit, maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
}

// An ordinal place in a line ("2nd", "第2"): a plural-rules category picks the words.
export function formatPlace(n) {
  const category = formatter(Intl.PluralRules, { type: 'ordinal' }).select(n);
  const key = `place.${category}`;
  return has(key) ? t(key, { n }) : t('place.other', { n });
}
