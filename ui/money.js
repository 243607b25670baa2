// money.js: money where the decision is. The price of exactly this request beside
// Generate (live, for the takes asked), the one question before spending more than
// one video or past the monthly limit, and the spend in Settings. Rust estimates
// and judges (price.rs); this module only shows and asks.
import * as api from './api.js';
import { ask } from './dialogs.js';
import { t, formatMoney, formatDate, numberChoices, onLanguageChange, statusLine } from './i18n.js';
import { $, $as } from './dom.js';

const PRICE_DELAY_MS = 200;

export function createMoney({ getRequest }) {
  const el = {
    price: $('price'), takes: $as('takes', HTMLSelectElement), generate: $('generate'), soundPrice: $('sound-price'),
    dialog: $as('money-dialog', HTMLDialogElement), title: $('money-title'), text: $('money-text'),
    confirm: $('money-confirm'), cancel: $('money-cancel'),
    spend: $('spend'), spendNote: $('spend-note'),
    limit: $as('monthly-limit', HTMLInputElement), limitSave: $('monthly-limit-save'), limitStatus: $('monthly-limit-status'),
  };
  let last = null;     // the latest price Rust gave
  let asked = 0;       // answers older than the newest question are ignored
  let timer = 0;

  const takes = () => Math.max(1, Number(el.takes.value) || 1);

  // The choices, 1 to Rust's limit (form_rules.maxTakes).
  const setMaxTakes = (max) => numberChoices(el.takes, max);

  function drawGenerate() {
    const n = takes();
    el.generate.textContent = n === 1 ? t('generate.button') : t('generate.button_takes', { count: n });
  }

  // "About $1.68 · an estimate from prices checked 24 Nov 2026",
  // "About $2.52, from your last 6 videos", "3 videos · about $5.04 in all".
  function drawPrice() {
    drawGenerate();
    if (!last) {
      el.price.textContent = '';
      return;
    }
    const each = formatMoney(last.each.usd);
    const basis = last.each.basis.kind === 'learned'
      ? t('price.basis.learned', { count: last.each.basis.videos })
      : t('price.basis.table', { date: formatDate(Date.parse(`${last.each.basis.checked}T12:00:00`)) });
    const amount = last.takes > 1
      ? t('price.takes', { count: last.takes, total: formatMoney(last.total), each })
      : t('price.one', { each });
    let text = t('price.line', { amount, basis });
    if (last.shortOfBalance) text = t('price.short', { line: text, balance: formatMoney(last.balance) });
    el.price.textContent = text;
    el.price.dataset.tone = last.shortOfBalance ? 'warning' : '';
    drawSoundCost();
  }

  // Beside the Sound switch: what it adds to one video (Rust's figure), either way
  // it is set.
  function drawSoundCost() {
    const adds = last ? last.soundCosts : 0;
    el.soundPrice.textContent = adds > 0 ? t('form.sound.price', { amount: formatMoney(adds) }) : '';
    el.soundPrice.hidden = !(adds > 0);
  }

  async function refresh() {
    clearTimeout(timer);
    timer = 0;
    const n = ++asked;
    el.price.setAttribute('aria-busy', 'true');
    try {
      const price = await api.estimatePrice(getRequest(), takes());
      if (n === asked) {
        last = price;
        drawPrice();
      }
    } catch {
      // No price now (an unfinished form, say): the line waits for the next change.
    } finally {
      if (n === asked && !timer) el.price.removeAttribute('aria-busy');
    }
  }

  // The price line is aria-busy from the change until its new words are drawn, so
  // a screen reader (and an end-to-end test about to click) waits for them.
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, PRICE_DELAY_MS);
    el.price.setAttribute('aria-busy', 'true');
  }

  // Before spending: one question when more than one video is asked for, or when
  // it would pass the monthly limit. Answers { go, pastLimitAgreed }.
  // `n`: the takes as they were at the click.
  async function confirmSpend(request, n) {
    let price = null;
    try {
      price = await api.estimatePrice(request, n);
    } catch {
      price = null; // Rust checks the limit again when the job starts
    }
    if (!price) {
      if (n === 1) return { go: true, pastLimitAgreed: false };
      // No price to name: more than one video is still asked about.
      el.title.textContent = t('dialog.money.takes.title', { count: n });
      el.text.textContent = t('dialog.money.takes.text_unpriced', { count: n });
      el.confirm.textContent = t('dialog.money.takes.confirm', { count: n });
      return { go: await ask(el.dialog, { confirm: el.confirm, cancel: el.cancel }), pastLimitAgreed: false };
    }
    if (!price.overLimit && n === 1) return { go: true, pastLimitAgreed: false };
    const total = formatMoney(price.total);
    if (price.overLimit) {
      el.title.textContent = t('dialog.money.limit.title');
      el.text.textContent = t('dialog.money.limit.text', {
        total, month: formatMoney(price.month), limit: formatMoney(price.limit), count: n,
      });
      el.confirm.textContent = t('dialog.money.limit.confirm');
    } else {
      el.title.textContent = t('dialog.money.takes.title', { count: n });
      el.text.textContent = t('dialog.money.takes.text', { count: n, total, each: formatMoney(price.each.usd) });
      el.confirm.textContent = t('dialog.money.takes.confirm', { count: n });
    }
    const go = await ask(el.dialog, { confirm: el.confirm, cancel: el.cancel });
    return { go, pastLimitAgreed: go && price.overLimit };
  }

  // Whether the click will ask first (then the stage does not say "Sending…" yet).
  function needsAsking() {
    return takes() > 1 || !!(last && last.overLimit);
  }

  // ---------- Settings: the spend and the limit ----------

  function row(term, value, testid) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    if (testid) dd.dataset.testid = testid;
    return [dt, dd];
  }

  let spendShown = null;
  function drawSpend() {
    const s = spendShown;
    if (!s) return;
    // A sum holding an estimate (Rust counts every job Segmind may have billed)
    // reads "about".
    const amount = (v, estimated) => (estimated ? t('settings.money.about', { amount: formatMoney(v) }) : formatMoney(v));
    el.spend.replaceChildren(
      ...row(t('settings.money.week'), amount(s.week, s.estimatedWeek), 'spend-week'),
      ...row(t('settings.money.month'), amount(s.month, s.estimatedMonth), 'spend-month'),
      ...row(t('settings.money.total'), amount(s.total, s.estimated), 'spend-total'),
      ...row(t('settings.money.balance'), s.balance == null ? t('settings.money.balance_unknown') : formatMoney(s.balance)),
    );
    el.spendNote.hidden = !s.estimated;
    el.spendNote.textContent = s.estimated ? t('settings.money.estimated', { count: s.estimated }) : '';
  }

  const sayLimit = statusLine(el.limitStatus);

  async function showSpend() {
    sayLimit(null);
    try {
      spendShown = await api.spendSummary();
      el.limit.value = spendShown.limit == null ? '' : String(spendShown.limit);
      drawSpend();
    } catch {
      el.spend.replaceChildren();
    }
  }

  async function saveLimit() {
    // A number box answers '' for what it cannot read ("$20"): that is not "no limit".
    const text = el.limit.value.trim();
    const value = text === '' ? null : Number(text);
    if (el.limit.validity.badInput || (value !== null && !(Number.isFinite(value) && value > 0))) {
      sayLimit(() => t('settings.money.limit.invalid'), 'error');
      return;
    }
    try {
      spendShown = await api.setMonthlyLimit(value);
      drawSpend();
      sayLimit(() => (spendShown.limit == null
        ? t('settings.money.limit.none')
        : t('settings.money.limit.saved', { limit: formatMoney(spendShown.limit) })));
      schedule();
    } catch {
      sayLimit(() => t('settings.money.limit.failed'), 'error');
    }
  }

  el.takes.addEventListener('change', schedule);
  el.limitSave.addEventListener('click', saveLimit);
  el.limit.addEventListener('keydown', (e) => { if (e.key === 'Enter') saveLimit(); });
  onLanguageChange(() => {
    numberChoices(el.takes);
    drawPrice();
    drawSpend();
  });
  drawGenerate();

  return { refresh, schedule, confirmSpend, needsAsking, takes, showSpend, setMaxTakes };
}
