// support.js: Settings → Help. "Open logs folder" and "Copy details for support".
// The details are written by Rust (never the key) when Settings opens and shown
// before they are copied, so a creator sees what they send; the copy then happens
// inside the click itself, which the clipboard requires.
import * as api from './api.js';
import { copySelected } from './clipboard.js';
import { shortError } from './errors.js';
import { t, statusLine } from './i18n.js';
import { $, $as } from './dom.js';


export function createSupport() {
  const el = { openLogs: $('open-logs'), copy: $('copy-support'), details: $as('support-details', HTMLTextAreaElement), status: $('support-status') };
  const say = statusLine(el.status);

  // What only the page knows: its engine, and whether it can play the videos.
  // Asked of the media stack without a player of its own (each <video> is a
  // pipeline in WebKit): Media Source's type check, else the stage's player.
  function pageFacts() {
    const type = 'video/mp4; codecs="avc1.42E01E"';
    const player = document.querySelector('video');
    let h264 = '';
    if (window.MediaSource && MediaSource.isTypeSupported(type)) h264 = 'probably';
    else if (player) h264 = player.canPlayType(type);
    return { userAgent: navigator.userAgent, h264 };
  }

  async function refresh() {
    say(null);
    el.details.hidden = true; // never copy details older than this opening
    try {
      el.details.value = await api.supportDetails(pageFacts());
      el.details.hidden = false;
    } catch (err) {
      say(() => shortError(err), 'error');
    }
  }

  el.openLogs.addEventListener('click', async () => {
    try {
      await api.openLogsFolder();
      say(null);
    } catch (err) {
      say(() => shortError(err), 'error');
    }
  });

  el.copy.addEventListener('click', () => {
    if (el.details.hidden || !el.details.value) {
      say(() => t('settings.help.notCopied'), 'error');
      return;
    }
    const copied = copySelected(el.details);
    say(() => t(copied ? 'settings.help.copied' : 'settings.help.notCopied'), copied ? '' : 'error');
  });

  return { refresh };
}
