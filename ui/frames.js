// frames.js: a picture to start from (and one to land on), in the form. A
// picture comes from "Choose a picture…", a paste, or a drop on the form; Rust
// checks it on this computer, converts it if Kling would refuse it as it is,
// and keeps it in the library. Each frame shows as a thumbnail with its size and
// a remove button. A refused picture's problem shows under its frame, named by
// the wire's field (`start_image_url`, `end_image_url`), and nothing is sent.
import * as api from './api.js';
import { t, onLanguageChange } from './i18n.js';
import { $, $as, setText } from './dom.js';

// A shape in a sentence ("tall (9:16)").
const SHAPE_WORDS = { '16:9': 'form.frames.shapeWide', '9:16': 'form.frames.shapeTall', '1:1': 'form.frames.shapeSquare' };
const shapeWords = (shape) => (SHAPE_WORDS[shape] ? t(SHAPE_WORDS[shape]) : shape);

/** @typedef {import('./contract').PictureView} PictureView */
/** @typedef {import('./contract').FieldError} FieldError */

export function createFrames({ onChange, getShape, setShape }) {
  const FRAMES = /** @type {const} */ (['start', 'end']);
  const FIELD = { start: 'start_image_url', end: 'end_image_url' };
  const el = {
    form: $('form-panel'),
    slots: Object.fromEntries(FRAMES.map((f) => [f, {
      file: $as(`${f}-image-file`, HTMLInputElement),
      pick: $(`${f}-image-pick`),
      thumb: $(`${f}-image-thumb`),
      img: $as(`${f}-image`, HTMLImageElement),
      size: $(`${f}-image-size`),
      remove: $as(`remove-${f}-image`, HTMLButtonElement),
    }])),
    note: $('start-image-note'), noteText: $('start-image-note-text'), useShape: $as('use-picture-shape', HTMLButtonElement),
  };
  /** @type {Record<'start' | 'end', PictureView | null>} */
  const shown = { start: null, end: null };
  /** @type {Record<'start' | 'end', FieldError | null>} */
  const refused = { start: null, end: null };
  /** @type {Record<'start' | 'end', string>} */
  const names = { start: '', end: '' }; // what the request names, even before its view arrives
  let continues = '';
  let busy = '';

  // ---------- what the request carries ----------

  function request() {
    const r = {};
    if (names.start) r.start_image = names.start;
    if (names.end) r.end_image = names.end;
    if (continues && names.start) r.continues = continues;
    return r;
  }

  // A request filled back into the form (the last one, a card's Fill the form).
  function setFromRequest(r) {
    continues = (r && typeof r.continues === 'string' && r.continues) || '';
    for (const frame of FRAMES) {
      const name = r && typeof r[`${frame}_image`] === 'string' ? r[`${frame}_image`] : '';
      names[frame] = name;
      shown[frame] = null;
      refused[frame] = null;
      if (name) {
        api.picture(name).then((view) => {
          if (names[frame] === name) { shown[frame] = view; draw(); }
        }).catch(() => {
          // Gone from the library since: the rules say so under the frame.
          if (names[frame] === name) { refused[frame] = gone(frame); draw(); onChange?.(); }
        });
      }
    }
    draw();
  }

  const gone = (frame) => ({ field: FIELD[frame], rule: 'picture_name', params: {} });

  function problems() {
    return FRAMES.map((f) => refused[f]).filter(Boolean);
  }

  // ---------- choosing ----------

  async function choose(frame, file) {
    if (!file || busy) return;
    busy = frame;
    refused[frame] = null;
    draw();
    try {
      const view = await api.stagePicture(FIELD[frame], new Uint8Array(await file.arrayBuffer()));
      shown[frame] = view;
      names[frame] = view.name;
      if (frame === 'start') continues = '';
    } catch (err) {
      const problem = err && Array.isArray(err.fields) ? err.fields.find((f) => f.field === FIELD[frame]) : null;
      refused[frame] = problem || { field: FIELD[frame], rule: 'picture_damaged', params: {} };
      shown[frame] = null;
      names[frame] = '';
    } finally {
      busy = '';
      draw();
      onChange?.();
    }
  }

  function remove(frame) {
    shown[frame] = null;
    names[frame] = '';
    refused[frame] = null;
    if (frame === 'start') continues = '';
    draw();
    onChange?.();
    el.slots[frame].file.focus();
  }

  // "Continue from here": a picture Rust kept (the last frame of a video) becomes
  // the first frame, and the new video says which one it continues.
  function startFrom(view, jobId) {
    shown.start = view;
    names.start = view.name;
    refused.start = null;
    continues = jobId || '';
    draw();
    onChange?.();
  }

  // ---------- drawing ----------

  function draw() {
    const shape = getShape();
    for (const frame of FRAMES) {
      const slot = el.slots[frame];
      const view = shown[frame];
      slot.thumb.hidden = !view;
      slot.pick.hidden = !!view;
      slot.pick.classList.toggle('busy', busy === frame);
      if (view) {
        if (slot.img.src !== view.url) slot.img.src = view.url;
        slot.img.alt = t(frame === 'start' ? 'form.frames.startAlt' : 'form.frames.endAlt');
        setText(slot.size, t(view.converted ? 'form.frames.sizeConverted' : 'form.frames.size', { width: String(view.width), height: String(view.height) }));
      } else {
        slot.img.removeAttribute('src');
      }
      setText(slot.remove, t('form.frames.remove'));
    }
    // A first frame of another shape than the video's: say so, offer its shape.
    const first = shown.start;
    const differs = !!first && first.shape !== shape;
    el.note.hidden = !differs;
    if (differs) {
      setText(el.noteText, t('form.frames.otherShape', { picture: shapeWords(first.shape), video: shapeWords(shape) }));
      setText(el.useShape, t('form.frames.useShape', { shape: shapeWords(first.shape) }));
      el.useShape.dataset.shape = first.shape;
    }
  }

  // ---------- wiring: choose, paste, drop ----------

  for (const frame of FRAMES) {
    const slot = el.slots[frame];
    slot.file.addEventListener('change', () => {
      const file = slot.file.files && slot.file.files[0];
      slot.file.value = ''; // the same file may be chosen again
      choose(frame, file);
    });
    slot.remove.addEventListener('click', () => remove(frame));
  }
  el.useShape.addEventListener('click', () => {
    if (el.useShape.dataset.shape) setShape(el.useShape.dataset.shape);
  });

  const imageIn = (list) => [...(list || [])].find((f) => f && typeof f.type === 'string' && f.type.startsWith('image/')) || null;

  // A picture pasted anywhere in the form is the first frame (the last frame when
  // the cursor is on its slot); pasted text is left to the field it goes to.
  el.form.addEventListener('paste', (e) => {
    const file = imageIn(e.clipboardData && e.clipboardData.files);
    if (!file) return;
    e.preventDefault();
    const onEnd = e.target instanceof Node && $('end-slot').contains(e.target);
    choose(onEnd ? 'end' : 'start', file);
  });
  el.form.addEventListener('dragover', (e) => {
    if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      el.form.classList.add('dropping');
    }
  });
  el.form.addEventListener('dragleave', (e) => {
    if (!(e.relatedTarget instanceof Node) || !el.form.contains(e.relatedTarget)) el.form.classList.remove('dropping');
  });
  el.form.addEventListener('drop', (e) => {
    el.form.classList.remove('dropping');
    const file = imageIn(e.dataTransfer && e.dataTransfer.files);
    if (!file) return;
    e.preventDefault();
    const onEnd = e.target instanceof Node && $('end-slot').contains(e.target);
    choose(onEnd ? 'end' : 'start', file);
  });
  onLanguageChange(draw);

  return { request, setFromRequest, problems, startFrom, refresh: draw };
}
