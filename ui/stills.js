// stills.js: a small still (one frame, as a JPEG) for each finished video, made
// once and kept by Rust beside the video, so the history shows images instead of
// players. The frame is drawn in the page: the video is loaded in a <video> that
// is never put in the document, one at a time, from the app's own loopback media
// server (which lets only the app's origin read the pixels), drawn onto a canvas
// and released at once. A video whose still cannot be made keeps a calm
// placeholder; nothing else changes.
import * as api from './api.js';

const WIDTH = 320;         // twice the card's poster: sharp on a HiDPI screen
const QUALITY = 0.82;      // about 10-40 KB for a 320 px frame
const GIVE_UP_MS = 20000;  // a video that does not load by then keeps its placeholder

export function createStills({ library }) {
  const queue = [];
  const tried = new Set(); // made or failed this session: never twice
  let busy = false;

  // Asks for a still of a finished video that has none.
  function want(job) {
    if (!job || job.status !== 'ready' || !job.videoUrl || job.stillUrl || tried.has(job.id)) return;
    tried.add(job.id);
    queue.push(job.id);
    pump();
  }

  async function pump() {
    if (busy) return;
    busy = true;
    try {
      while (queue.length) {
        // Newest wish first: the cards in view now, not those scrolled past.
        const job = library.get(queue.pop());
        if (!job || job.status !== 'ready' || job.stillUrl || !job.videoUrl) continue;
        try {
          const jpeg = await videoFrame(job.videoUrl, {
            at: (duration) => Math.max(0.1, Math.min(1, duration / 3)), width: WIDTH, type: 'image/jpeg',
          });
          library.put(await api.saveStill(job.id, jpeg));
        } catch (err) {
          console.warn('No still for a video; its card keeps a placeholder.', err);
        }
      }
    } finally {
      busy = false;
    }
  }

  return { want };
}

// One frame of a video as picture bytes: at `at(duration)` seconds (for a still,
// a little way in: the very first is often black), `width` pixels wide (0: as
// the video is), as `type`. "Continue from here" takes the last frame, whole, as
// a PNG.
export function videoFrame(url, { at, width = 0, type = 'image/png' }) {
  return new Promise((resolve, reject) => {
    const video = document.createElement('video');
    video.muted = true;
    video.crossOrigin = 'anonymous';
    video.preload = 'auto';
    video.playsInline = true;
    let timer = 0;
    const finish = (settle, value) => {
      clearTimeout(timer);
      // Frees the media pipeline now, not whenever the element is collected.
      video.removeAttribute('src');
      video.load();
      settle(value);
    };
    timer = setTimeout(() => finish(reject, new Error('the video did not load in time')), GIVE_UP_MS);
    video.addEventListener('error', () => finish(reject, new Error('the video could not be loaded')), { once: true });
    video.addEventListener('loadeddata', () => {
      const duration = Number.isFinite(video.duration) ? video.duration : 0;
      video.currentTime = at(duration);
    }, { once: true });
    video.addEventListener('seeked', () => {
      try {
        const ratio = video.videoWidth > 0 ? video.videoHeight / video.videoWidth : 9 / 16;
        const canvas = document.createElement('canvas');
        canvas.width = width || video.videoWidth;
        canvas.height = width ? Math.max(1, Math.round(width * ratio)) : video.videoHeight;
        canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
        canvas.toBlob((blob) => {
          if (!blob) {
            finish(reject, new Error('the frame could not be encoded'));
            return;
          }
          blob.arrayBuffer().then((bytes) => finish(resolve, new Uint8Array(bytes)), (err) => finish(reject, err));
        }, type, QUALITY);
      } catch (err) {
        finish(reject, err); // a tainted canvas, say
      }
    }, { once: true });
    video.src = url;
  });
}
