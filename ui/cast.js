// cast.js: "Your voices", read like a cast list: each voice a name, its length, when
// it was made, a play button for the clip it was made from; rename and delete.
// Deleting says plainly that videos already made keep their sound.
import * as api from './api.js';
import { ask } from './dialogs.js';
import { describeError } from './errors.js';
import { problemText } from './form.js';
import { clipLength } from './voice-maker.js';
import { t, formatDate, sentences, onLanguageChange } from './i18n.js';
import { $, $as } from './dom.js';

export function createCast({ voices, maker }) {
  const el = {
    dialog: $as('voices-dialog', HTMLDialogElement), close: $('voices-close'), list: $('voice-list'), empty: $('voices-empty'),
    player: $as('voice-player', HTMLAudioElement), add: $('voice-new'), status: $('voices-status'),
    rename: $as('voice-rename-dialog', HTMLDialogElement), renameName: $as('voice-rename-name', HTMLInputElement), renameError: $('voice-rename-error'),
    renameSave: $('voice-rename-save'), renameCancel: $('voice-rename-cancel'),
    del: $as('voice-delete-dialog', HTMLDialogElement), delTitle: $('voice-delete-title'), delConfirm: $('voice-delete-confirm'), delCancel: $('voice-delete-cancel'),
  };
  let playing = null; // the id of the voice whose clip plays
  let loaded = null;  // the id of the voice whose clip is in the player

  function button(text, className, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `btn btn-quiet ${className}`;
    b.textContent = text;
    b.addEventListener('click', onClick);
    return b;
  }

  function meta(voice) {
    const when = formatDate(voice.createdAtMs);
    const length = clipLength(voice.clipMillis);
    if (voice.status === 'ready') return { text: t('voices.meta.ready', { length, date: when }), tone: '' };
    if (voice.status === 'making' || voice.status === 'sending') return { text: t('voices.meta.making', { length }), tone: '' };
    const d = describeError(voice.error || { code: 'internal' }, { voice });
    // The list is short on room: the money line only where money may be gone.
    return { text: sentences([t('voices.meta.failed'), d.headline, voice.billing === 'may_be_billed' ? d.money : '']), tone: 'error' };
  }

  function row(voice) {
    const li = document.createElement('li');
    li.className = 'voice-item';
    li.dataset.testid = 'voice-item';
    li.dataset.voiceId = voice.voiceId || '';
    li.dataset.status = voice.status;
    const play = button('', 'v-play', () => toggle(voice));
    play.setAttribute('aria-label', t('voices.play', { name: voice.name }));
    play.setAttribute('aria-pressed', String(playing === voice.id));
    play.disabled = !voice.listenUrl;
    play.dataset.testid = 'voice-play';
    const text = document.createElement('div');
    const name = document.createElement('div');
    name.className = 'v-name';
    name.textContent = voice.name;
    const m = meta(voice);
    const line = document.createElement('div');
    line.className = 'v-meta';
    line.textContent = m.text;
    line.dataset.tone = m.tone;
    text.append(name, line);
    const actions = document.createElement('div');
    actions.className = 'v-actions';
    actions.append(button(t('voices.rename.button'), 'v-rename', () => rename(voice)));
    // A voice being made is paid for (or about to be): it is kept until it ends.
    if (voice.status !== 'making' && voice.status !== 'sending') {
      actions.append(button(t('voices.delete.button'), 'v-delete', () => remove(voice)));
    }
    li.append(play, text, actions);
    return li;
  }

  function draw() {
    const all = voices.all();
    el.list.replaceChildren(...all.map(row));
    el.empty.hidden = all.length > 0;
  }

  function toggle(voice) {
    if (playing === voice.id) {
      el.player.pause();
      return;
    }
    if (loaded !== voice.id) {
      loaded = voice.id;
      el.player.src = voice.listenUrl;
    }
    el.player.play().catch(() => {});
  }

  async function rename(voice) {
    el.renameName.value = voice.name;
    el.renameError.hidden = true;
    const save = async () => {
      try {
        voices.put(await api.renameVoice(voice.id, el.renameName.value));
        el.rename.close();
      } catch (err) {
        const problem = err.fields?.find((f) => f.field === 'voice_name');
        el.renameError.textContent = problem ? problemText(problem) : describeError(err).headline;
        el.renameError.hidden = false;
      }
    };
    const onKey = (e) => { if (e.key === 'Enter') { e.preventDefault(); save(); } };
    el.renameSave.onclick = save;
    el.renameCancel.onclick = () => el.rename.close();
    el.renameName.addEventListener('keydown', onKey);
    el.rename.addEventListener('close', () => el.renameName.removeEventListener('keydown', onKey), { once: true });
    el.rename.showModal();
    el.renameName.select();
  }

  async function remove(voice) {
    el.delTitle.textContent = t('voices.delete.title', { name: voice.name });
    if (!(await ask(el.del, { confirm: el.delConfirm, cancel: el.delCancel }))) return;
    el.status.hidden = true;
    try {
      await api.deleteVoice(voice.id);
      voices.remove(voice.id);
    } catch (err) {
      el.status.textContent = describeError(err, { voice: true }).headline;
      el.status.hidden = false;
    }
  }

  // The button follows what the player does, not what was asked of it.
  el.player.addEventListener('playing', () => { playing = loaded; draw(); });
  for (const name of ['pause', 'ended', 'emptied', 'error']) {
    el.player.addEventListener(name, () => { playing = null; draw(); });
  }
  el.close.addEventListener('click', () => el.dialog.close());
  el.dialog.addEventListener('close', () => el.player.pause());
  el.add.addEventListener('click', () => { el.dialog.close(); maker.open(); });
  voices.subscribe(() => { if (el.dialog.open) draw(); });
  onLanguageChange(() => { if (el.dialog.open) draw(); });

  return {
    open() {
      draw();
      el.dialog.showModal();
      el.add.focus();
    },
  };
}
