// history.js: every video in the library, newest first, as cards: a still (or a
// calm placeholder while it is being made), the prompt's first line, length, shape,
// status, date and cost. A filter and a search narrow the list. A card shows its
// video on the stage when clicked, and offers Fill the form, Copy prompt, Show file,
// Save as… and Delete.
// Cards are kept and updated in place, so focus and stills survive every update.
// Only the cards in view (plus a screen above and below) exist: a library of
// thousands of videos costs what a screenful does. Cards show stills (images),
// never players: the stage's player is the page's only <video>.
import * as api from './api.js';
import { copyText } from './clipboard.js';
import { describeError } from './errors.js';
import { ask } from './dialogs.js';
import { isActive, isResumable, statusGroup, shortStatus, elapsed, mmss, when, firstLine, cost, takeText } from './status.js';
import { t, sentences, formatNumber, formatSecondsShort, onLanguageChange } from './i18n.js';
import { $, $as } from './dom.js';

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Stills are drawn into each card's own canvas (the cards are reused as the list
// scrolls), from bytes fetched past every cache and decoded into a bitmap that is
// closed at once. An <img> per still left each decoded image to WebKit's memory
// cache: scrolling 1,000 stills held ~350 MB more than the empty library.
const POSTER_W = 128; // styles.css: .h-select's first column
const POSTER_H = 72;
const STILLS_AT_ONCE = 3;
const STILL_GIVE_UP_MS = 10000;

function clearCanvas(canvas) {
  const scale = Math.min(2, Math.max(1, window.devicePixelRatio || 1));
  const w = Math.round(POSTER_W * scale);
  const h = Math.round(POSTER_H * scale);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w; // resizing clears it too
    canvas.height = h;
  } else {
    canvas.getContext('2d').clearRect(0, 0, w, h);
  }
}

// `src` is the still's address and the first frame's, on two lines: the still
// fills the poster with the first frame inset at its corner; a video with no
// still yet (being made) shows the picture it starts from.
async function drawStill(canvas, src, stillWanted) {
  const [still, first] = src.split('\n');
  const bitmaps = [];
  // A loopback fetch that never settles must not hold a drawing slot for ever.
  const giveUp = new AbortController();
  const timer = setTimeout(() => giveUp.abort(), STILL_GIVE_UP_MS);
  const load = async (url) => {
    const response = await fetch(url, { cache: 'no-store', signal: giveUp.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const bitmap = await createImageBitmap(await response.blob());
    bitmaps.push(bitmap);
    return bitmap;
  };
  try {
    const main = await load(still || first);
    const inset = still && first ? await load(first).catch(() => null) : null;
    if (!stillWanted()) return false; // the card shows another video by now
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    // Letterboxed like the player: the whole frame, centred, never cropped.
    const place = (bitmap, boxW, boxH, x, y) => {
      const fit = Math.min(boxW / bitmap.width, boxH / bitmap.height);
      const w = Math.round(bitmap.width * fit);
      const h = Math.round(bitmap.height * fit);
      ctx.drawImage(bitmap, x + Math.round((boxW - w) / 2), y + Math.round((boxH - h) / 2), w, h);
      return [x + Math.round((boxW - w) / 2), y + Math.round((boxH - h) / 2), w, h];
    };
    place(main, canvas.width, canvas.height, 0, 0);
    if (inset) {
      const box = Math.round(canvas.height * 0.45);
      const pad = Math.round(canvas.height * 0.05);
      const [x, y, w, h] = place(inset, box, box, pad, canvas.height - box - pad);
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = Math.max(1, Math.round(canvas.height / 72));
      ctx.strokeRect(x, y, w, h);
    }
    return true;
  } catch {
    return false; // the placeholder stays
  } finally {
    clearTimeout(timer);
    bitmaps.forEach((b) => b.close());
  }
}

// Cards are at least this wide (styles.css: .history-list) with this gap.
const MIN_CARD = 300;
const GAP = 10;

export function createHistory({ library, stills, readable, onSelect, onRerun, announce }) {
  const el = {
    section: $('history'), list: $('history-list'), count: $('history-count'), empty: $('history-empty'),
    filter: $as('history-filter', HTMLSelectElement), search: $as('history-search', HTMLInputElement), message: $('history-message'),
    damaged: $('history-damaged'), damagedText: $('history-damaged-text'), damagedList: $('history-damaged-list'),
    deleteDialog: $as('delete-dialog', HTMLDialogElement), deleteExtra: $('delete-extra'), deleteConfirm: $('delete-confirm'), deleteCancel: $('delete-cancel'),
  };
  const cards = new Map(); // job id → { li, parts… }
  // Cards that scrolled away wait here to show another job: scrolling a long
  // history reuses a screenful of elements instead of making one per video.
  const spare = [];
  let selectedId = null;
  let messageTimer = 0;
  let message = null;   // makes the words of the message shown, to redraw them in a new language
  let deleteKey = null; // the delete question's extra words while it is open
  let uid = 0;

  let shown = [];      // the jobs the filter and search let through, newest first
  let rowHeight = 0;   // a card's height plus the gap, measured once a card exists
  let placing = 0;     // a pending animation frame for place()
  let wordsVersion = 0; // goes up with each new language, and at midnight: every card is worded again
  let wordedOn = 0;     // the day (its first ms) the cards' dates were worded on
  const scroller = el.list.closest('.stage') || document.scrollingElement;

  // words: a function that makes the message's words (called again when the language changes).
  function say(words, tone = '') {
    clearTimeout(messageTimer);
    message = words;
    const text = words();
    el.message.textContent = text;
    el.message.dataset.tone = tone;
    el.message.hidden = !text;
    if (text && tone === 'error') announce?.(text);
    if (text && tone !== 'error') messageTimer = setTimeout(() => { el.message.hidden = true; message = null; }, 6000);
  }

  // ---------- one card ----------

  function makeCard() {
    const n = ++uid;
    const li = make('li', 'h-card');
    li.dataset.testid = 'history-item';
    const card = { li, jobId: '', still: null, job: null, words: -1, row: 0 };

    const pick = make('button', 'h-select');
    pick.type = 'button';
    const poster = make('span', 'h-poster');
    poster.setAttribute('aria-hidden', 'true');
    const canvas = make('canvas', 'h-still');
    poster.append(make('span', 'h-ph'), canvas);
    const body = make('span', 'h-body');
    const title = make('span', 'h-prompt');
    title.id = `h-title-${n}`;
    const facts = make('span', 'h-facts');
    const status = make('span', 'h-status');
    const date = make('span', 'h-when');
    body.append(title, facts, status, date);
    pick.append(poster, body);
    pick.addEventListener('click', () => onSelect?.(card.jobId));

    const actions = make('div', 'h-actions');
    const button = (testid, handler) => {
      const b = make('button', 'btn btn-quiet btn-small');
      b.type = 'button';
      b.dataset.testid = testid;
      b.setAttribute('aria-describedby', title.id); // "Fill the form" — from which video: the title says
      b.addEventListener('click', () => handler(library.get(card.jobId), b));
      actions.append(b);
      return b;
    };
    const rerun = button('history-rerun', (j) => j && onRerun?.(j));
    const copy = button('history-copy-prompt', (j) => copyPrompt(j, card));
    const show = button('history-show-file', (j) => fileAction(j, () => api.showVideoFile(j.id)));
    const saveAs = button('history-save-as', (j) => fileAction(j, async () => {
      const res = await api.saveVideoAs(j.id);
      // null: the creator closed the window without choosing.
      if (res && res.path) say(() => t('stage.announce.savedTo', { path: res.path }));
    }));
    const del = button('history-delete', askDelete);
    del.classList.add('h-delete');
    del.setAttribute('aria-haspopup', 'dialog');
    li.append(pick, actions);
    Object.assign(card, { pick, poster, canvas, title, facts, status, date, rerun, show, saveAs, copy, del, copied: false, copiedTimer: 0 });
    labelButtons(card);
    return card;
  }

  // The card's button words (again when the language changes).
  function labelButtons(card) {
    card.rerun.textContent = t('history.card.rerun');
    card.show.textContent = t('stage.showFile');
    card.saveAs.textContent = t('stage.saveAs');
    card.copy.textContent = card.copied ? t('history.card.copied') : t('history.card.copyPrompt');
    card.del.textContent = t('history.card.delete');
  }

  function cardFor(id) {
    const card = spare.pop() || makeCard();
    card.jobId = id;
    card.li.dataset.jobId = id;
    if (card.copied) { // "Copied" was about the card's previous video
      clearTimeout(card.copiedTimer);
      card.copied = false;
      labelButtons(card);
    }
    cards.set(id, card);
    return card;
  }

  function updatePoster(card, job) {
    card.poster.dataset.state = isResumable(job) ? 'paused' : (isActive(job) ? 'active' : job.status);
    const still = job.status === 'ready' && job.stillUrl ? job.stillUrl : '';
    const first = job.firstFrameUrl || '';
    const src = still || first ? `${still}\n${first}` : '';
    if (card.still === src) return;
    card.still = src;
    card.poster.dataset.still = 'none';
    clearCanvas(card.canvas);
    // A finished video without a still gets one made.
    if (job.status === 'ready' && !job.stillUrl) stills?.want(job);
    // A calm placeholder, or the picture it starts from.
    if (!src) return;
    card.poster.dataset.still = 'loading';
    stillQueue.push({ card, src });
    if (!placingCards) pumpStills(); // place() pumps once its cards are in order
  }

  // Stills are drawn a few at a time, nearest the middle of the view first, and a
  // card that scrolled away before its turn costs nothing: a fast scroll through
  // a thousand videos fetches and decodes only what stops in view.
  let stillQueue = [];
  let drawingStills = 0;
  let placingCards = false;
  let middleRow = 0; // the row at the middle of the view, as place() last saw it

  // Drops the wishes of cards since reused (so the queue is never longer than the
  // cards that exist) and puts the farthest from the view first: the queue is
  // taken from its end. Rows come from the list's order, not from layout.
  function orderStills() {
    const distance = ({ card }) => Math.abs(card.row + 0.5 - middleRow);
    stillQueue = stillQueue
      .filter(({ card, src }) => card.still === src)
      .sort((a, b) => distance(b) - distance(a));
  }
  function pumpStills() {
    while (drawingStills < STILLS_AT_ONCE && stillQueue.length) {
      const { card, src } = stillQueue.pop();
      if (card.still !== src) continue;
      drawingStills += 1;
      drawStill(card.canvas, src, () => card.still === src).then((drawn) => {
        if (card.still === src) card.poster.dataset.still = drawn ? 'drawn' : 'none';
      }).finally(() => {
        drawingStills -= 1;
        pumpStills();
      });
    }
  }

  function factsText(job) {
    const r = job.request || {};
    const parts = [];
    // Takes share a title: which take (and the one kept) comes first, never cut off.
    const take = takeText(job);
    if (take) parts.push(job.kept ? t('stage.job.takeKept', { take }) : take);
    // A shot that continues another names it.
    const before = r.continues ? library.get(r.continues) : null;
    if (r.continues) parts.push(t('history.card.continues', { name: before ? firstLine(readable(before.request), 24) : t('history.card.deletedVideo') }));
    if (r.duration) parts.push(formatSecondsShort(r.duration));
    if (r.aspect_ratio) parts.push(r.aspect_ratio);
    if (Array.isArray(r.multi_prompt) && r.multi_prompt.length) parts.push(t('history.card.shots', { count: r.multi_prompt.length }));
    const billed = cost(job);
    if (billed) parts.push(billed);
    return parts.join(' · ');
  }

  function statusLine(job) {
    return isActive(job) && !isResumable(job) ? `${shortStatus(job)} · ${mmss(elapsed(job))}` : shortStatus(job);
  }

  function updateCard(card, job) {
    card.job = job;
    card.words = wordsVersion;
    card.li.dataset.status = job.status;
    card.status.dataset.group = statusGroup(job);
    card.status.dataset.status = job.status;
    const prompt = readable(job.request); // voices by name: "[Grandpa] says…"
    card.title.textContent = firstLine(prompt);
    card.title.title = prompt;
    card.facts.textContent = factsText(job);
    card.status.textContent = statusLine(job);
    card.date.textContent = when(job.createdAtMs);
    // A file to show or save exists once the video is in the library. Held in
    // place while there is none (invisible, so not focusable either): every card
    // keeps one height, which the list's positions are computed from.
    const noFile = job.status !== 'ready';
    card.show.classList.toggle('h-absent', noFile);
    card.saveAs.classList.toggle('h-absent', noFile);
    updatePoster(card, job);
    markSelected(card, job.id === selectedId);
  }

  function markSelected(card, on) {
    card.li.classList.toggle('selected', on);
    if (on) card.pick.setAttribute('aria-current', 'true');
    else card.pick.removeAttribute('aria-current');
  }

  // ---------- the list ----------

  function matches(job, group, words) {
    if (group !== 'all' && statusGroup(job) !== group) return false;
    if (!words) return true;
    const r = job.request || {};
    const text = [r.prompt, ...(Array.isArray(r.multi_prompt) ? r.multi_prompt.map((s) => s && s.prompt) : [])]
      .filter(Boolean).join('\n').toLowerCase();
    return text.includes(words);
  }

  function render() {
    const all = library.all();
    const damaged = library.damaged();
    el.section.hidden = all.length === 0 && damaged.length === 0;
    renderDamaged(damaged);
    const group = el.filter.value || 'all';
    const words = el.search.value.trim().toLowerCase();
    shown = all.filter((job) => matches(job, group, words));
    const filtered = group !== 'all' || !!words;
    el.count.textContent = filtered ? t('history.list.countFiltered', { shown: shown.length, total: all.length }) : formatNumber(all.length);
    el.empty.hidden = shown.length > 0 || all.length === 0;
    place();
  }

  // A card that scrolled away waits to be reused, its canvas with it: memory
  // stays that of a screenful of cards however far the history is scrolled.
  function dropCard(id, card) {
    card.still = null;
    card.job = null;
    card.li.remove();
    cards.delete(id);
    if (spare.length < 200) spare.push(card);
  }

  function schedule() {
    if (!placing) placing = requestAnimationFrame(() => { placing = 0; place(); });
  }

  // Puts in the list the cards of the rows in view, a screen above and a screen
  // below; padding stands in for the rest, so the scroll bar stays true.
  function place() {
    const cols = Math.max(1, Math.floor((el.list.clientWidth + GAP) / (MIN_CARD + GAP)));
    const rows = Math.ceil(shown.length / cols);
    const rowH = rowHeight || 150;
    const viewH = scroller.clientHeight || window.innerHeight;
    const above = scroller.getBoundingClientRect().top - el.list.getBoundingClientRect().top;
    const first = Math.min(rows, Math.max(0, Math.floor((above - viewH) / rowH)));
    const last = Math.min(rows, Math.max(first, Math.ceil((above + 2 * viewH) / rowH)));
    const visible = shown.slice(first * cols, last * cols);
    el.list.style.paddingTop = `${first * rowH}px`;
    el.list.style.paddingBottom = `${(rows - last) * rowH}px`;

    // "Today" and "Yesterday" move at midnight: every card is worded again then.
    const today = new Date().setHours(0, 0, 0, 0);
    if (today !== wordedOn) {
      wordedOn = today;
      wordsVersion += 1;
    }
    const keep = new Set(visible.map((job) => job.id));
    for (const [id, card] of cards) {
      if (!keep.has(id)) dropCard(id, card);
    }
    // Put the cards in order, touching only what moved (focus stays where it is).
    let at = el.list.firstElementChild;
    placingCards = true;
    middleRow = (above + viewH / 2) / rowH;
    for (const [i, listed] of visible.entries()) {
      const job = library.get(listed.id) || listed;
      const card = cards.get(job.id) || cardFor(job.id);
      card.row = first + Math.floor(i / cols);
      // A card already showing this very job, in these words, is left alone: a
      // scroll frame rewrites only the cards that came into view.
      if (card.job !== job || card.words !== wordsVersion) updateCard(card, job);
      if (card.li !== at) el.list.insertBefore(card.li, at);
      else at = at.nextElementSibling;
    }
    while (at) {
      const next = at.nextElementSibling;
      at.remove();
      at = next;
    }
    placingCards = false;
    if (stillQueue.length) {
      orderStills();
      pumpStills();
    }
    if (!rowHeight && visible.length) {
      const height = cards.get(visible[0].id).li.offsetHeight;
      if (height > 0) {
        rowHeight = height + GAP;
        if (rowHeight !== rowH) schedule();
      }
    }
  }

  function renderDamaged(damaged) {
    el.damaged.hidden = damaged.length === 0;
    if (!damaged.length) return;
    const n = damaged.length;
    el.damagedText.textContent = t('history.message.damaged', { count: n });
    if (el.damagedList.childElementCount === n) return;
    el.damagedList.replaceChildren(...damaged.map((d) => {
      const li = make('li');
      li.append(make('code', '', d.file));
      if (d.problem) li.append(make('span', 'muted', ` — ${d.problem}`));
      return li;
    }));
  }

  // One job changed: update its card only, unless it is new, gone, or moves between filters.
  function libraryChanged(change) {
    if (change.type !== 'job') {
      render();
      return;
    }
    const card = cards.get(change.job.id);
    const group = el.filter.value || 'all';
    const sameGroup = change.prev && statusGroup(change.prev) === statusGroup(change.job);
    const staysPut = !!change.prev && (group === 'all' || sameGroup);
    // A job off screen that stays where it is needs nothing now: its card is
    // drawn from the library when it scrolls into view.
    if (!staysPut) render();
    else if (card) updateCard(card, change.job);
  }

  // Elapsed times of cards that are still being made.
  function tick() {
    for (const [id, card] of cards) {
      const job = library.get(id);
      if (job && isActive(job) && !isResumable(job) && card.li.isConnected) card.status.textContent = statusLine(job);
    }
  }

  function setSelected(id) {
    selectedId = id;
    for (const [cid, card] of cards) markSelected(card, cid === id);
  }

  // ---------- card actions ----------

  // Show file / Save as… from a card; a refusal is said under the list, in words.
  async function fileAction(job, work) {
    if (!job || job.status !== 'ready') return;
    try {
      await work();
    } catch (err) {
      say(() => describeError(err).headline, 'error');
    }
  }

  async function copyPrompt(job, card) {
    if (!job) return;
    const ok = await copyText(String(job.request.prompt || ''));
    if (ok) {
      clearTimeout(card.copiedTimer);
      card.copied = true;
      labelButtons(card);
      card.copiedTimer = setTimeout(() => { card.copied = false; labelButtons(card); }, 1500);
      say(() => t('history.message.copied'));
      announce?.(t('history.message.copied'));
    } else {
      say(() => t('history.message.copyFailed'), 'error');
    }
  }

  // The delete question's extra words, as a catalogue key.
  function deleteWords(job) {
    if (!isActive(job)) return 'history.delete.savedCopiesStay';
    if (job.status === 'waiting') return 'history.delete.notSentYet';
    if (job.status === 'downloading') return 'history.delete.downloading';
    return 'history.delete.stillBeingMade';
  }

  async function askDelete(job) {
    if (!job) return;
    let words = deleteWords(job);
    for (;;) {
      deleteKey = words;
      el.deleteExtra.textContent = t(words);
      const yes = await ask(el.deleteDialog, { confirm: el.deleteConfirm, cancel: el.deleteCancel });
      deleteKey = null;
      if (!yes) return;
      // The job moved on while the question was open: ask again with the true words.
      const now = library.get(job.id);
      const nowWords = now ? deleteWords(now) : words;
      if (nowWords === words) break;
      words = nowWords;
    }
    const card = cards.get(job.id);
    const next = card && (card.li.nextElementSibling || card.li.previousElementSibling);
    try {
      await api.deleteJob(job.id);
      library.remove(job.id);
      say(() => t('history.message.deleted'));
      announce?.(t('history.message.deleted'));
      const target = next && next.isConnected ? next.querySelector('.h-select') : el.search;
      target?.focus();
    } catch (err) {
      say(() => {
        const d = describeError(err);
        return sentences([d.headline, d.next]);
      }, 'error');
    }
  }

  scroller.addEventListener('scroll', schedule, { passive: true });
  if ('ResizeObserver' in window) new ResizeObserver(schedule).observe(el.list);
  el.filter.addEventListener('change', render);
  ['input', 'change', 'search'].forEach((type) => el.search.addEventListener(type, render));
  library.subscribe(libraryChanged);
  // A new language: the list and every card kept for reuse are worded again in it.
  onLanguageChange(() => {
    for (const card of spare) labelButtons(card);
    for (const card of cards.values()) labelButtons(card);
    wordsVersion += 1;
    render(); // every card in the list is worded again (updateCard)
    if (message && !el.message.hidden) el.message.textContent = message();
    if (deleteKey) el.deleteExtra.textContent = t(deleteKey);
  });
  render();

  // The voices' names changed (loaded, renamed): the cards' titles are worded again.
  function reword() {
    wordsVersion += 1;
    render();
  }

  return { render, tick, setSelected, reword };
}
