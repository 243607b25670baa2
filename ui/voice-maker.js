// voice-maker.js: the "New voice" dialog, in steps: choose a clip (checked by Rust
// at once, before anything is sent), listen to it, name it, create. The upload shows
// its bytes; the paid step says what it costs before the click. Closing the dialog
// part-way loses nothing: Rust keeps making the voice, and it joins the cast list.
import * as api from './api.js';
import { describeError } from './errors.js';
import { problemText } from './form.js';
import { t, formatBytes, formatMoney, formatSeconds, sentences, onLanguageChange } from './i18n.js';
import { $, $as } from './dom.js';


export function createVoiceMaker({ voices, onUse, onMade }) {
  const el = {
    dialog: $as('voice-dialog', HTMLDialogElement), close: $('voice-dialog-close'), cancel: $('voice-cancel'), create: $as('voice-create', HTMLButtonElement),
    file: $as('voice-file', HTMLInputElement), clipHelp: $('voice-clip-help'), clipStatus: $('voice-clip-status'), clipError: $('voice-clip-error'),
    preview: $as('voice-preview', HTMLAudioElement), name: $as('voice-name', HTMLInputElement), nameCount: $('voice-name-count'), nameError: $('voice-name-error'),
    cost: $('voice-cost'), working: $('voice-working'), bar: $as('voice-progress-bar', HTMLProgressElement), progress: $('voice-progress'),
    error: $('voice-error'), done: $('voice-done'), doneText: $('voice-done-text'), use1: $('voice-use-1'), use2: $('voice-use-2'),
    stepClip: $('voice-step-clip'), stepListen: $('voice-step-listen'), stepName: $('voice-step-name'),
  };
  let rules = null;        // Rust's voice-making rules (form_rules.voiceMaking), from boot
  let clip = null;        // { clipId, format, millis, bytes, fileName }
  let previewUrl = '';
  let working = false;    // the upload or the create call is under way
  let made = null;        // the voice, once ready
  let step = null;        // the latest progress step, drawn again in another language
  let usedSlot = null;    // opened from a picker: the voice goes straight into that slot
  let unseen = false;     // it ended while the dialog was closed: shown at the next open
  // The messages shown, as functions, so another language words them again.
  const messages = { clip: null, name: null, general: null };

  function show(node, text) {
    node.textContent = text || '';
    node.hidden = !text;
  }

  function say(which, words) {
    messages[which] = words;
    drawMessages();
  }

  function drawMessages() {
    show(el.clipError, messages.clip?.());
    show(el.nameError, messages.name?.());
    show(el.error, messages.general?.());
  }

  function fieldProblem(err, field) {
    const problem = err && Array.isArray(err.fields) ? err.fields.find((f) => f.field === field) : null;
    return problem ? problemText(problem) : '';
  }

  function drawWords() {
    const r = rules;
    if (!r) return;
    el.clipHelp.textContent = t('voice.clipHelp', { min: r.clipMinSeconds, max: r.clipMaxSeconds });
    el.cost.textContent = t('voice.cost', { cost: formatMoney(r.costUsd) });
    el.clipStatus.textContent = clip
      ? t('voice.clipChosen', { file: clip.fileName, length: clipLength(clip.millis), size: formatBytes(clip.bytes) })
      : '';
    el.nameCount.textContent = `${[...el.name.value.trim()].length} / ${r.nameMaxChars}`;
    drawStep();
    drawMessages();
    if (made) el.doneText.textContent = t('voice.done', { name: made.name });
  }

  function drawStep() {
    if (!step) return;
    if (step.phase === 'uploading') {
      el.bar.max = Math.max(1, step.total);
      el.bar.value = step.sent;
      el.progress.textContent = t('voice.uploading', { sent: formatBytes(step.sent), total: formatBytes(step.total) });
    } else {
      el.bar.removeAttribute('value'); // an indeterminate bar: Segmind does not say how far it is
      el.progress.textContent = t('voice.creating');
    }
  }

  function drawState() {
    el.stepClip.dataset.state = clip ? 'done' : 'current';
    el.stepListen.dataset.state = clip ? 'done' : 'waiting';
    el.stepName.dataset.state = clip ? (el.name.value.trim() ? 'done' : 'current') : 'waiting';
    el.file.disabled = working || !!made;
    el.name.disabled = working || !!made;
    el.create.disabled = working || !!made || !clip || el.name.value.trim() === '';
    el.create.hidden = !!made;
    el.working.hidden = !working;
    el.done.hidden = !made;
    el.cancel.textContent = t(made || working ? 'voice.closeButton' : 'voice.cancel');
    el.use1.hidden = !made;
    el.use2.hidden = !made;
  }

  function reset() {
    clip = null;
    made = null;
    step = null;
    el.file.value = '';
    el.name.value = '';
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = '';
    el.preview.removeAttribute('src');
    el.preview.load();
    messages.clip = messages.name = messages.general = null;
    drawWords();
    drawState();
  }

  async function chooseFile() {
    const file = el.file.files && el.file.files[0];
    messages.clip = messages.general = null;
    drawMessages();
    clip = null;
    if (!file) return drawState();
    const r = rules;
    el.clipStatus.textContent = t('voice.checking', { file: file.name });
    let problem = null;
    if (file.size > r.clipMaxBytes) {
      // Too large to be worth reading: the same rule Rust applies, said the same way.
      problem = () => problemText({ rule: 'clip_too_large', params: { maxMb: Math.round(r.clipMaxBytes / 1048576), bytes: file.size } });
    } else {
      try {
        const staged = await api.stageVoiceClip(new Uint8Array(await file.arrayBuffer()));
        clip = { ...staged, fileName: file.name };
      } catch (err) {
        problem = () => fieldProblem(err, 'voice_clip') || describeError(err, { voice: true }).headline;
      }
    }
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = '';
    if (clip) {
      previewUrl = URL.createObjectURL(file);
      el.preview.src = previewUrl;
    } else {
      el.preview.removeAttribute('src');
      el.preview.load();
    }
    messages.clip = problem;
    drawWords();
    drawState();
    if (clip && !el.name.value) el.name.focus();
  }

  async function create() {
    if (working || !clip || made) return;
    messages.name = messages.general = null;
    drawMessages();
    working = true;
    step = { phase: 'uploading', sent: 0, total: clip.bytes };
    drawStep();
    drawState();
    try {
      made = await api.makeVoice(clip.clipId, clip.fileName, el.name.value, (s) => { step = s; drawStep(); });
      voices.put(made);
      onMade?.(); // it cost a little: the balance changed
      if (usedSlot) onUse(usedSlot, made);
    } catch (err) {
      if (fieldProblem(err, 'voice_name')) messages.name = () => fieldProblem(err, 'voice_name');
      else if (fieldProblem(err, 'voice_clip')) messages.clip = () => fieldProblem(err, 'voice_clip');
      else {
        messages.general = () => {
          const d = describeError(err, { voice: true });
          return sentences([d.headline, d.money, d.next]);
        };
      }
      // The clip went into a voice that may have been paid for: it is not sent again.
      if (err.mayBeBilled) clip = null;
    } finally {
      working = false;
      step = null;
      unseen = !el.dialog.open;
      drawWords();
      drawState();
    }
  }

  el.file.addEventListener('change', chooseFile);
  el.name.addEventListener('input', () => { messages.name = null; drawWords(); drawState(); });
  el.name.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); create(); } });
  el.create.addEventListener('click', create);
  for (const button of [el.close, el.cancel]) button.addEventListener('click', () => el.dialog.close());
  el.use1.addEventListener('click', () => { onUse(1, made); el.dialog.close(); });
  el.use2.addEventListener('click', () => { onUse(2, made); el.dialog.close(); });
  // Leaving stops the preview; a voice being made goes on in Rust.
  el.dialog.addEventListener('close', () => { el.preview.pause(); usedSlot = null; });
  onLanguageChange(() => { drawWords(); drawState(); });

  return {
    setRules(voiceMaking) {
      rules = voiceMaking;
    },
    // slot: opened from "Voice N → Make a new voice…": the new voice is cast there.
    async open({ slot = null } = {}) {
      // How the last voice ended stays in view until it has been seen.
      if (!working && !unseen) reset();
      unseen = false;
      usedSlot = slot;
      if (!rules) return; // the app did not start properly (boot in main.js says so)
      drawWords();
      drawState();
      if (!el.dialog.open) el.dialog.showModal();
      (working ? el.cancel : el.file).focus();
    },
  };
}

// A clip's length to a tenth of a second: "12.3 seconds".
export function clipLength(millis) {
  return formatSeconds(Math.round((Number(millis) || 0) / 100) / 10);
}
