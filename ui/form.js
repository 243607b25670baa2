// form.js: the brief on the left: prompt, length, shape, more options, voices and
// the storyboard. It keeps the form's state, builds the wire request, and shows
// Rust's validation problems (a rule and its numbers, worded from the catalogue)
// beside the fields they belong to.
import * as api from './api.js';
import { t, sentences, formatSeconds, formatSecondsShort, onLanguageChange } from './i18n.js';
import { toWire, toNames, reference } from './voice-names.js';
import { createFrames } from './frames.js';
import { $, $as } from './dom.js';

// Catalogue keys (whole, so a test can find them) for the model's own values.
const RATIO_NAMES = { '16:9': 'form.ratio.wide', '9:16': 'form.ratio.tall', '1:1': 'form.ratio.square' };
const SHOT_TYPE_NAMES = { customize: 'form.shot_type.customize', intelligent: 'form.shot_type.intelligent' };
const FIELD_NAMES = {
  prompt: 'field.name.prompt', negative_prompt: 'field.name.negative_prompt', duration: 'field.name.duration',
  aspect_ratio: 'field.name.aspect_ratio', cfg_scale: 'field.name.cfg_scale', generate_audio: 'field.name.generate_audio',
  multi_prompt: 'field.name.multi_prompt', shot_type: 'field.name.shot_type', voice_ids: 'field.name.voice_ids',
  takes: 'field.name.takes', voice_clip: 'field.name.voice_clip', voice_name: 'field.name.voice_name',
  start_image_url: 'field.name.start_image_url', end_image_url: 'field.name.end_image_url',
};
// Rust's validation rules (Rule in error/rule.rs), each with the numbers its words
// need; keyed by every Rule, so tsc fails on one without words.
/** @type {Record<import('./contract').Rule, string>} */
const RULES = {
  prompt_required: 'field.rule.prompt_required',
  too_long: 'field.rule.too_long',
  duration_range: 'field.rule.duration_range',
  aspect_ratio_choice: 'field.rule.aspect_ratio_choice',
  cfg_scale_range: 'field.rule.cfg_scale_range',
  shot_type_choice: 'field.rule.shot_type_choice',
  too_many_voices: 'field.rule.too_many_voices',
  voice_id_empty: 'field.rule.voice_id_empty',
  voice_id_spaces: 'field.rule.voice_id_spaces',
  voices_need_sound: 'field.rule.voices_need_sound',
  voice_reference: 'field.rule.voice_reference',
  shots_required: 'field.rule.shots_required',
  too_many_shots: 'field.rule.too_many_shots',
  shot_prompt_required: 'field.rule.shot_prompt_required',
  shots_too_long: 'field.rule.shots_too_long',
  shots_too_short: 'field.rule.shots_too_short',
  takes_range: 'field.rule.takes_range',
  clip_not_audio: 'field.rule.clip_not_audio',
  clip_damaged: 'field.rule.clip_damaged',
  clip_no_sound: 'field.rule.clip_no_sound',
  clip_too_short: 'field.rule.clip_too_short',
  clip_too_long: 'field.rule.clip_too_long',
  clip_too_large: 'field.rule.clip_too_large',
  picture_not_a_picture: 'field.rule.picture_not_a_picture',
  picture_heic: 'field.rule.picture_heic',
  picture_damaged: 'field.rule.picture_damaged',
  picture_too_small: 'field.rule.picture_too_small',
  picture_shape: 'field.rule.picture_shape',
  picture_name: 'field.rule.picture_name',
  end_frame_needs_start: 'field.rule.end_frame_needs_start',
  end_frame_with_shots: 'field.rule.end_frame_with_shots',
  name_required: 'field.rule.name_required',
  name_taken: 'field.rule.name_taken',
};
const VALIDATE_DELAY_MS = 150;

const chars = (s) => Array.from(String(s ?? '')).length; // Rust counts characters, not UTF-16 units

// The words for one problem Rust found; a rule this version does not know still
// names its field.
export function problemText(problem) {
  const key = Object.hasOwn(RULES, problem.rule) ? RULES[problem.rule] : null;
  return key ? t(key, pixelsAsWritten(problem.params || {})) : t('field.rule.unknown');
}

// A picture's size reads "1280 × 720", never "1,280 × 720".
const pixelsAsWritten = (params) => ('width' in params && 'height' in params
  ? { ...params, width: String(params.width), height: String(params.height) }
  : params);

// A creator-facing name for a field path such as "multi_prompt[2].prompt".
export function fieldName(path) {
  const shot = /^multi_prompt\[(\d+)\](?:\.(\w+))?$/.exec(path);
  if (shot) {
    const n = Number(shot[1]) + 1;
    return shot[2] === 'duration' ? t('field.name.shot_duration', { n }) : t('field.name.shot', { n });
  }
  const voice = /^voice_ids\[(\d+)\]$/.exec(path);
  if (voice) return t('field.name.voice', { n: Number(voice[1]) + 1 });
  return FIELD_NAMES[path] ? t(FIELD_NAMES[path]) : t('field.name.other');
}

export function createForm({ onChange, onValidated, voices, onNewVoice }) {
  let rules = null;         // Rust's form_rules: every choice, limit and default (setup)
  const state = {
    prompt: '', negative_prompt: '', duration: '', aspect_ratio: '', cfg_scale: 0,
    generate_audio: false, multiShot: false, shot_type: '', shots: [], voices: ['', ''],
  };
  let keptShots = null;     // shots from before the storyboard was switched off, restored if switched back on
  let lastPromptEl = null;  // where "Insert [name]" writes
  let shownNames = ['', '']; // the voice names the prompts are written with ("[Grandpa]")
  let errors = [];
  let revealed = false;     // until the first edit the form shows no message: a fresh form is not scolded
  let validateTimer = 0;
  let sentSeq = 0;
  let appliedSeq = 0;
  let checksInFlight = 0;
  let lastSentAt = 0;

  const el = {
    prompt: $as('prompt', HTMLTextAreaElement), promptCount: $('prompt-count'), negative: $as('negative-prompt', HTMLTextAreaElement), negativeCount: $('negative-count'),
    duration: $as('duration', HTMLSelectElement), frames: $('aspect-ratio'), cfg: $as('cfg-scale', HTMLInputElement), cfgValue: $('cfg-value'),
    panel: $('form-panel'), audio: $as('generate-audio', HTMLInputElement), voice1: $as('voice-id-1', HTMLInputElement), voice2: $as('voice-id-2', HTMLInputElement),
    more: $as('more', HTMLDetailsElement),
    picks: [$as('voice-pick-1', HTMLSelectElement), $as('voice-pick-2', HTMLSelectElement)], legend: $('voice-legend'), missing: $('voice-missing'),
    insert: [$as('insert-voice-1', HTMLButtonElement), $as('insert-voice-2', HTMLButtonElement)],
    multi: $as('multi-shot', HTMLInputElement), storyboard: $('storyboard'), shotType: $as('shot-type', HTMLSelectElement), shots: $('shots'),
    addShot: $as('add-shot', HTMLButtonElement), planFill: $('plan-fill'), planText: $('plan-text'),
  };
  // The first and last frames (frames.js): their names go in the request.
  const pictures = createFrames({
    onChange: () => changed(),
    getShape: () => state.aspect_ratio,
    setShape: (shape) => { state.aspect_ratio = shape; changed(); },
  });

  // ---------- building the controls from Rust's rules ----------

  function fillSelect(select, values, text) {
    select.replaceChildren(...values.map((v) => {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = text(v);
      return o;
    }));
  }

  // The form is built from Rust's rules (form_rules), so no rule is written here
  // twice; without an argument it draws the same rules again (another language).
  function setup(r = rules) {
    rules = r;
    fillSelect(el.duration, rules.durations, formatSeconds);
    fillSelect(el.shotType, rules.shotTypes, (v) => (SHOT_TYPE_NAMES[v] ? t(SHOT_TYPE_NAMES[v]) : v));
    el.duration.value = state.duration;
    el.shotType.value = state.shot_type;
    // The shape is one control: a radio group drawn as frames (arrow keys move
    // between them, as in any radio group).
    el.frames.replaceChildren(...rules.aspectRatios.map((v) => {
      const frame = document.createElement('label');
      frame.className = 'frame';
      frame.dataset.testid = `shape-${v.replace(':', '-')}`;
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'aspect-ratio';
      input.value = v;
      input.className = 'frame-input';
      input.addEventListener('change', () => {
        if (!input.checked) return;
        state.aspect_ratio = v;
        changed();
      });
      const [w, h] = v.split(':').map(Number);
      const shape = document.createElement('span');
      shape.className = 'frame-shape';
      const scale = 22 / Math.max(w || 1, h || 1);
      shape.style.width = `${Math.round((w || 1) * scale)}px`;
      shape.style.height = `${Math.round((h || 1) * scale)}px`;
      const label = document.createElement('span');
      label.className = 'frame-label';
      label.textContent = RATIO_NAMES[v] ? t(RATIO_NAMES[v]) : v;
      const ratio = document.createElement('span');
      ratio.className = 'frame-ratio';
      ratio.textContent = v;
      frame.append(input, shape, label, ratio);
      return frame;
    }));
    syncDisplays();
    updateCounters();
    renderPickers();
  }

  // ---------- state ⇄ controls ----------

  // A request from Rust (the last one, a card's Fill the form, or Rust's defaults). A value
  // this version does not offer any more falls back to Rust's default.
  function setRequest(req) {
    if (!rules) return; // never built (see boot in main.js): Fill the form has no form to fill
    const d = rules.defaults;
    const r = req && typeof req === 'object' ? req : d;
    const pick = (k) => r[k] ?? d[k];
    const offered = (k, choices) => (choices.includes(String(pick(k))) ? String(pick(k)) : String(d[k]));
    state.prompt = String(pick('prompt'));
    state.negative_prompt = r.negative_prompt != null ? String(r.negative_prompt) : (req ? '' : String(d.negative_prompt ?? ''));
    state.duration = offered('duration', rules.durations);
    state.aspect_ratio = offered('aspect_ratio', rules.aspectRatios);
    const cfg = Number(pick('cfg_scale'));
    state.cfg_scale = Number.isFinite(cfg) ? cfg : d.cfg_scale;
    state.generate_audio = !!pick('generate_audio');
    state.shot_type = String(r.shot_type ?? d.shot_type ?? rules.shotTypes[0]);
    if (!rules.shotTypes.includes(state.shot_type)) state.shot_type = rules.shotTypes[0];
    state.multiShot = Array.isArray(r.multi_prompt) && r.multi_prompt.length > 0;
    state.shots = state.multiShot
      ? r.multi_prompt.slice(0, rules.maxShots).map((s) => ({ prompt: String(s?.prompt ?? ''), duration: String(s?.duration ?? '1') }))
      : [];
    const voices = Array.isArray(r.voice_ids) ? r.voice_ids.map((v) => String(v ?? '')) : [];
    state.voices = [voices[0] ?? '', voices[1] ?? ''];
    shownNames = ['', '']; // the request's prompts are on the wire: renderPickers names its voices
    revealed = state.prompt.trim() !== '';

    el.prompt.value = state.prompt;
    el.negative.value = state.negative_prompt;
    el.duration.value = state.duration;
    el.cfg.value = String(state.cfg_scale);
    el.audio.checked = state.generate_audio;
    el.voice1.value = state.voices[0];
    el.voice2.value = state.voices[1];
    renderPickers();
    el.multi.checked = state.multiShot;
    el.shotType.value = state.shot_type;
    renderShots();
    pictures.setFromRequest(r);
    syncDisplays();
  }

  // The wire shape: optional fields the creator left unset are omitted, not null.
  function getRequest() {
    const names = slotNames();
    const r = {
      prompt: toWire(state.prompt, names),
      duration: state.duration,
      aspect_ratio: state.aspect_ratio,
      cfg_scale: Math.round(state.cfg_scale * 100) / 100,
      generate_audio: state.generate_audio,
    };
    if (state.negative_prompt !== '') r.negative_prompt = state.negative_prompt;
    if (state.multiShot) {
      r.multi_prompt = state.shots.map((s) => ({ prompt: toWire(s.prompt, names), duration: s.duration }));
      r.shot_type = state.shot_type;
    }
    // Send voices as typed (Rust validates), dropping only empty boxes at the end.
    const voices = state.voices.slice(0, rules.maxVoices);
    while (voices.length && voices[voices.length - 1] === '') voices.pop();
    if (voices.length) r.voice_ids = voices;
    return Object.assign(r, pictures.request());
  }

  function syncDisplays() {
    el.cfgValue.textContent = state.cfg_scale.toFixed(2);
    for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (el.frames.querySelectorAll('.frame-input'))) {
      input.checked = input.value === state.aspect_ratio;
      input.parentElement?.classList.toggle('selected', input.checked);
    }
    el.storyboard.hidden = !state.multiShot;
    el.addShot.disabled = state.shots.length >= rules.maxShots;
    el.addShot.title = el.addShot.disabled ? t('form.shots.max', { count: rules.maxShots }) : '';
    updateCounters();
    updatePlan();
    updateLegend();
    pictures.refresh();
  }

  function counter(node, text, max) {
    const n = chars(text);
    node.textContent = t('form.counter', { count: String(n), max: String(max) });
    node.classList.toggle('near', n > max * 0.9 && n <= max);
    node.classList.toggle('over', n > max);
  }

  // Counted as Segmind counts them: a voice's name as its "<<<voice_N>>>".
  function updateCounters() {
    const names = slotNames();
    counter(el.promptCount, toWire(state.prompt, names), rules.promptMaxChars);
    counter(el.negativeCount, state.negative_prompt, rules.promptMaxChars);
    state.shots.forEach((s, i) => {
      const c = $(`shot-count-${i + 1}`);
      if (c) counter(c, toWire(s.prompt, names), rules.shotPromptMaxChars);
    });
  }

  // The bar fills up to the video's length; text says what is left or too much.
  function updatePlan() {
    if (!state.multiShot) return;
    const total = Number(state.duration) || 0;
    const planned = state.shots.reduce((sum, s) => sum + (Number(s.duration) || 0), 0);
    el.planFill.replaceChildren(...state.shots.map((s, i) => {
      const seg = document.createElement('span');
      seg.className = 'plan-seg';
      seg.style.width = `${total ? ((Number(s.duration) || 0) / Math.max(total, planned)) * 100 : 0}%`;
      seg.textContent = String(i + 1);
      return seg;
    }));
    const words = { planned: formatSecondsShort(planned), total: formatSecondsShort(total), diff: formatSecondsShort(Math.abs(total - planned)) };
    let text;
    if (planned === total) text = t('form.plan.all_set', words);
    else if (planned < total) text = t('form.plan.left', words);
    else text = t('form.plan.too_long', words);
    el.planText.textContent = text;
    el.planText.classList.toggle('over', planned > total);
    el.planFill.classList.toggle('over', planned > total);
  }

  // ---------- storyboard ----------

  function newShot() {
    const total = Number(state.duration) || 1;
    const planned = state.shots.reduce((sum, s) => sum + (Number(s.duration) || 0), 0);
    return { prompt: '', duration: String(Math.max(1, total - planned)) };
  }

  function shotDurations() {
    const max = Math.max(...rules.durations.map(Number));
    return Array.from({ length: max }, (_, i) => String(i + 1));
  }

  // Shots are re-drawn only when one is added or removed, so typing never loses focus.
  function renderShots() {
    const durations = shotDurations();
    el.shots.replaceChildren(...state.shots.map((shot, i) => {
      const n = i + 1;
      const li = document.createElement('li');
      li.className = 'shot';

      const head = document.createElement('div');
      head.className = 'shot-head';
      const num = document.createElement('span');
      num.className = 'shot-num';
      num.textContent = t('form.shot.title', { n });
      const durLabel = document.createElement('label');
      durLabel.htmlFor = `shot-duration-${n}`;
      durLabel.className = 'shot-dur-label';
      durLabel.textContent = t('form.shot.length');
      const dur = document.createElement('select');
      dur.id = `shot-duration-${n}`;
      dur.dataset.testid = `shot-duration-${n}`;
      dur.className = 'compact';
      dur.append(...durations.map((v) => {
        const o = document.createElement('option');
        o.value = v;
        o.textContent = formatSeconds(v);
        return o;
      }));
      if (!durations.includes(shot.duration)) {
        const o = document.createElement('option');
        o.value = shot.duration;
        o.textContent = shot.duration;
        dur.append(o);
      }
      dur.value = shot.duration;
      dur.addEventListener('change', () => { shot.duration = dur.value; changed(); });
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'btn btn-quiet btn-small';
      remove.id = `remove-shot-${n}`;
      remove.dataset.testid = `remove-shot-${n}`;
      remove.textContent = t('form.shot.remove');
      remove.setAttribute('aria-label', t('form.shot.remove_label', { n }));
      remove.disabled = state.shots.length <= 1; // turn the storyboard off instead
      if (remove.disabled) remove.title = t('form.shot.keep_one');
      remove.addEventListener('click', () => removeShot(i));
      head.append(num, durLabel, dur, remove);

      const labelRow = document.createElement('div');
      labelRow.className = 'label-row';
      const pLabel = document.createElement('label');
      pLabel.htmlFor = `shot-prompt-${n}`;
      pLabel.textContent = t('form.shot.prompt_label', { n });
      const count = document.createElement('span');
      count.className = 'counter';
      count.id = `shot-count-${n}`;
      labelRow.append(pLabel, count);

      const ta = document.createElement('textarea');
      ta.id = `shot-prompt-${n}`;
      ta.dataset.testid = `shot-prompt-${n}`;
      ta.className = 'prompt-input';
      ta.rows = 2;
      ta.value = shot.prompt;
      ta.setAttribute('aria-describedby', count.id);
      ta.dataset.describedby = count.id;
      ta.addEventListener('input', (e) => namesOnPaste(ta, e));
      ['input', 'change'].forEach((t) => ta.addEventListener(t, () => { shot.prompt = ta.value; changed(); }));

      const slots = ['', '.prompt', '.duration'].map((suffix) => {
        const s = document.createElement('div');
        s.className = 'err-slot';
        s.dataset.slot = `multi_prompt[${i}]${suffix}`;
        return s;
      });
      li.append(head, labelRow, ta, ...slots);
      return li;
    }));
    syncDisplays();
    renderErrors();
  }

  function addShot() {
    if (state.shots.length >= rules.maxShots) return;
    state.shots.push(newShot());
    renderShots();
    $(`shot-prompt-${state.shots.length}`)?.focus();
    changed();
  }

  function removeShot(i) {
    if (state.shots.length <= 1) return;
    state.shots.splice(i, 1);
    renderShots();
    ($(`shot-prompt-${Math.min(i + 1, state.shots.length)}`) || el.addShot).focus();
    changed();
  }

  function setMultiShot(on) {
    state.multiShot = on;
    if (on) {
      const kept = keptShots && keptShots.some((s) => s.prompt.trim() !== '');
      // Start with one shot that fills the whole video, unless there is earlier work to bring back.
      state.shots = kept ? keptShots : [{ prompt: '', duration: state.duration }];
      keptShots = null;
    } else {
      keptShots = state.shots;
      state.shots = [];
    }
    renderShots();
    changed();
  }

  // ---------- voices ----------

  const NEW_VOICE = 'new';
  const option = (value, text) => {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = text;
    return o;
  };

  // Each picker: no voice, the creator's voices by name, a voice id that is not one
  // of them (a card's Fill the form with a voice deleted since, or one pasted under "advanced"),
  // and "Make a new voice…". Its value is the voice id the request carries.
  function renderPickers() {
    const ready = voices.ready();
    el.picks.forEach((select, i) => {
      const id = state.voices[i];
      const options = [option('', t('form.voices.none')), ...ready.map((v) => option(v.voiceId, v.name))];
      if (id && !ready.some((v) => v.voiceId === id)) options.push(option(id, t('form.voices.unknown', { id: id.slice(-6) })));
      options.push(option(NEW_VOICE, t('form.voices.new')));
      select.replaceChildren(...options);
      select.value = id;
    });
    const missing = [1, 2].filter((n) => state.voices[n - 1] && !voices.byVoiceId(state.voices[n - 1]));
    el.missing.textContent = missing.map((n) => t('form.voices.missing', { n })).join(' ');
    el.missing.hidden = missing.length === 0;
    const names = slotNames();
    el.insert.forEach((button, i) => {
      button.textContent = names[i] ? t('form.voices.insertNamed', { name: names[i] }) : t(['form.voices.voice1.insert', 'form.voices.voice2.insert'][i]);
    });
    nameVoicesInPrompts(names);
    updateLegend();
  }

  // The name of the voice in each slot ('' for none, or one not among the creator's).
  function slotNames() {
    return state.voices.map((id) => (id && voices.byVoiceId(id)?.name) || '');
  }

  // A slot's voice changed (chosen, renamed, removed): the prompts say so. A
  // removed voice's name goes back to its reference, which the rules then name.
  function nameVoicesInPrompts(names) {
    if (names.every((name, i) => name === shownNames[i])) return;
    const rewrite = (text) => toNames(toWire(text, shownNames), names);
    state.prompt = rewrite(state.prompt);
    if (el.prompt.value !== state.prompt) el.prompt.value = state.prompt;
    state.shots.forEach((shot, i) => {
      shot.prompt = rewrite(shot.prompt);
      const ta = /** @type {HTMLTextAreaElement | null} */ (document.getElementById(`shot-prompt-${i + 1}`));
      if (ta && ta.value !== shot.prompt) ta.value = shot.prompt;
    });
    shownNames = names;
  }

  // A pasted "<<<voice_1>>>" shows the voice's name at once; the cursor stays
  // where the paste ended.
  function namesOnPaste(ta, e) {
    if (!(e instanceof InputEvent) || e.inputType !== 'insertFromPaste') return;
    const named = toNames(ta.value, shownNames);
    if (named === ta.value) return;
    const fromEnd = ta.value.length - (ta.selectionEnd ?? ta.value.length);
    ta.value = named;
    ta.selectionStart = ta.selectionEnd = Math.max(0, named.length - fromEnd);
  }

  // Which voice each reference in the prompt means: "[Grandpa] speaks with Voice 1",
  // or "<<<voice_1>>> is a voice made elsewhere" for one the app cannot name.
  function updateLegend() {
    const names = slotNames();
    const text = toWire([state.prompt, ...(state.multiShot ? state.shots.map((s) => s.prompt) : [])].join('\n'), names);
    const parts = [1, 2]
      .filter((n) => text.includes(`<<<voice_${n}>>>`) && state.voices[n - 1])
      .map((n) => (names[n - 1]
        ? t('form.voices.legendNamed', { ref: reference(n, names), n })
        : t('form.voices.legend', { ref: `<<<voice_${n}>>>`, name: t('form.voices.unnamed') })));
    el.legend.textContent = parts.join(' · ');
    el.legend.hidden = parts.length === 0;
  }

  function setVoice(slot, voiceId) {
    if (!rules) return;
    state.voices[slot - 1] = voiceId || '';
    (slot === 1 ? el.voice1 : el.voice2).value = state.voices[slot - 1];
    renderPickers();
    changed();
  }

  el.picks.forEach((select, i) => select.addEventListener('change', () => {
    if (select.value === NEW_VOICE) {
      select.value = state.voices[i]; // stays as it was until a voice is made
      onNewVoice(i + 1);
      return;
    }
    setVoice(i + 1, select.value);
  }));
  voices.subscribe(renderPickers);

  function insertVoice(n) {
    const ta = lastPromptEl && document.body.contains(lastPromptEl) ? lastPromptEl : el.prompt;
    const token = reference(n, slotNames());
    const start = Number.isInteger(ta.selectionStart) ? ta.selectionStart : ta.value.length;
    const end = Number.isInteger(ta.selectionEnd) ? ta.selectionEnd : start;
    ta.setRangeText(token, start, end, 'end');
    ta.focus();
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  }

  // ---------- validation ----------

  function changed() {
    revealed = true;
    syncDisplays();
    scheduleValidate();
    onChange?.();
  }

  // Leading edge + trailing debounce: the first change after a pause is checked at
  // once (so Generate reacts within a frame); a burst of typing is checked once it settles.
  function scheduleValidate() {
    clearTimeout(validateTimer);
    validateTimer = 0;
    if (Date.now() - lastSentAt > VALIDATE_DELAY_MS) {
      validateNow();
    } else {
      validateTimer = setTimeout(() => { validateTimer = 0; validateNow(); }, VALIDATE_DELAY_MS);
      showBusy();
    }
  }

  // aria-busy while a check is waiting or asked: assistive technology waits for
  // the messages it may bring, and so do the end-to-end tests before they click
  // (a message arriving mid-click moves what is under the pointer).
  function showBusy() {
    if (validateTimer || checksInFlight) el.panel.setAttribute('aria-busy', 'true');
    else el.panel.removeAttribute('aria-busy');
  }

  // Asks Rust; answers that arrive after a newer one are ignored for the display,
  // but the caller still gets the answer for exactly the request it asked about.
  async function validateNow(request = getRequest()) {
    clearTimeout(validateTimer);
    validateTimer = 0;
    const seq = ++sentSeq;
    lastSentAt = Date.now();
    checksInFlight += 1;
    showBusy();
    let list = null;
    try {
      list = await api.validateRequest(request);
    } catch {
      list = null; // cannot check here: Rust checks again when the job starts
    } finally {
      checksInFlight -= 1;
    }
    try {
      if (seq > appliedSeq) {
        appliedSeq = seq;
        if (list) showErrors(list);
      }
    } finally {
      showBusy(); // after the messages are drawn, and even if drawing failed
    }
    // A refused picture holds Generate back too: the creator chose it, so a
    // video from text alone would not be what they asked for.
    return [...(list || []), ...pictures.problems()];
  }

  function showErrors(list, { reveal = false } = {}) {
    // The frames' own refusals are drawn from frames.js, never twice.
    errors = (Array.isArray(list) ? list : []).filter((p) => !pictures.problems().includes(p));
    if (reveal) revealed = true;
    renderErrors();
    onValidated?.();
  }

  function slotFor(field, slots) {
    if (slots.has(field)) return slots.get(field);
    const shot = /^multi_prompt\[(\d+)\]/.exec(field);
    if (shot && slots.has(`multi_prompt[${shot[1]}]`)) return slots.get(`multi_prompt[${shot[1]}]`);
    if (field.startsWith('multi_prompt') && slots.has('multi_prompt')) return slots.get('multi_prompt');
    if (field.startsWith('voice_ids')) return slots.get('voice_ids');
    return slots.get('other');
  }

  function controlFor(field) {
    const shot = /^multi_prompt\[(\d+)\](?:\.(\w+))?$/.exec(field);
    if (shot) return $(`shot-${shot[2] === 'duration' ? 'duration' : 'prompt'}-${Number(shot[1]) + 1}`);
    const voice = /^voice_ids\[(\d+)\]$/.exec(field);
    if (voice) return $(`voice-pick-${Number(voice[1]) + 1}`);
    const ids = { prompt: 'prompt', negative_prompt: 'negative-prompt', duration: 'duration', aspect_ratio: 'aspect-ratio',
      cfg_scale: 'cfg-scale', generate_audio: 'generate-audio', shot_type: 'shot-type', takes: 'takes' };
    return ids[field] ? $(ids[field]) : null;
  }

  function renderErrors() {
    document.querySelectorAll('[data-testid="field-error"]').forEach((n) => n.remove());
    /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[aria-invalid="true"]')).forEach((n) => {
      n.removeAttribute('aria-invalid');
      if (n.dataset.describedby !== undefined) n.setAttribute('aria-describedby', n.dataset.describedby);
    });
    const slots = new Map();
    /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-slot]')).forEach((s) => slots.set(s.dataset.slot, s));
    const grouped = new Map();
    for (const problem of [...errors, ...pictures.problems()]) {
      if (!grouped.has(problem.field)) grouped.set(problem.field, []);
      grouped.get(problem.field).push(problemText(problem));
    }
    let k = 0;
    // Before the first edit the form says nothing: Generate's own line invites a
    // description, and an untouched form has nothing to fix yet.
    if (!revealed) return;
    for (const [field, messages] of grouped) {
      const slot = slotFor(field, slots);
      if (!slot) continue;
      const p = document.createElement('p');
      p.className = 'field-error';
      p.id = `field-error-${k++}`;
      p.dataset.testid = 'field-error';
      p.dataset.field = field;
      p.textContent = sentences(messages);
      slot.append(p);
      const control = controlFor(field);
      if (control) {
        if (control.dataset.describedby === undefined) control.dataset.describedby = control.getAttribute('aria-describedby') || '';
        control.setAttribute('aria-invalid', 'true');
        control.setAttribute('aria-describedby', `${control.dataset.describedby} ${p.id}`.trim());
      }
      // A message inside a closed "More options" would be invisible: open it.
      if (el.more.contains(slot) && !el.more.open) el.more.open = true;
    }
  }

  // "Fix 2 things above: Prompt: …": the first reason, in the creator's words.
  function reasonText() {
    const all = [...errors, ...pictures.problems()];
    if (!all.length) return '';
    const first = all[0];
    const count = new Set(all.map((e) => e.field)).size;
    return t('form.fix_reason', { count, field: fieldName(first.field), problem: problemText(first) });
  }

  // ---------- wiring ----------

  // Free text and the slider listen to both events: typing fires input, scripted or
  // pasted changes may only fire change. Duplicates are harmless (validation is debounced).
  const onEdit = (node, apply) => ['input', 'change'].forEach((t) => node.addEventListener(t, () => { apply(); changed(); }));
  el.prompt.addEventListener('input', (e) => namesOnPaste(el.prompt, e));
  onEdit(el.prompt, () => { state.prompt = el.prompt.value; });
  onEdit(el.negative, () => { state.negative_prompt = el.negative.value; });
  el.duration.addEventListener('change', () => {
    const before = state.duration;
    state.duration = el.duration.value;
    // A single shot that filled the old length keeps filling the new one.
    if (state.multiShot && state.shots.length === 1 && state.shots[0].duration === before) {
      state.shots[0].duration = state.duration;
      const sel = /** @type {HTMLSelectElement | null} */ ($('shot-duration-1')); // made by renderShots
      if (sel) sel.value = state.duration;
    }
    changed();
  });
  onEdit(el.cfg, () => { state.cfg_scale = Number(el.cfg.value) || 0; });
  el.audio.addEventListener('change', () => { state.generate_audio = el.audio.checked; changed(); });
  onEdit(el.voice1, () => { state.voices[0] = el.voice1.value; renderPickers(); });
  onEdit(el.voice2, () => { state.voices[1] = el.voice2.value; renderPickers(); });
  el.shotType.addEventListener('change', () => { state.shot_type = el.shotType.value; changed(); });
  el.multi.addEventListener('change', () => setMultiShot(el.multi.checked));
  el.addShot.addEventListener('click', addShot);
  el.insert.forEach((button, i) => button.addEventListener('click', () => insertVoice(i + 1)));
  document.addEventListener('focusin', (e) => {
    if (e.target instanceof HTMLTextAreaElement && e.target.classList.contains('prompt-input')) lastPromptEl = e.target;
  });

  // Another language: the words the form drew itself, drawn again.
  onLanguageChange(() => {
    if (!rules) return; // the form was never built (see boot in main.js)
    setup();
    renderShots();
  });

  return {
    setup,
    setRequest,
    getRequest,
    setVoice,
    validateNow,
    showErrors,
    reasonText,
    hasErrors: () => errors.length > 0 || pictures.problems().length > 0,
    startFrom: (picture, jobId) => pictures.startFrom(picture, jobId),
    setShape: (shape) => {
      if (!rules || !rules.aspectRatios.includes(shape)) return;
      state.aspect_ratio = shape;
      changed();
    },
    // The cursor in the prompt, its words selected: typing writes what happens next.
    focusPrompt: () => {
      el.prompt.focus();
      el.prompt.select();
    },
    revealed: () => revealed,
    aspect: () => state.aspect_ratio,
  };
}
