// voices.js: the page's copy of the creator's voices, kept in step with Rust (the
// snapshot at start-up, then one voice at a time through the library's channel).
// Views subscribe: the form's pickers, the cast list, the prompt's legend.

export function createVoices() {
  const voices = new Map();
  const listeners = new Set();

  function emit() {
    for (const fn of listeners) {
      try {
        fn();
      } catch (err) {
        console.error('Could not show a voice change', err);
      }
    }
  }

  const valid = (v) => v && typeof v === 'object' && typeof v.id === 'string' && v.id !== '';

  return {
    load(list) {
      voices.clear();
      for (const v of Array.isArray(list) ? list : []) if (valid(v)) voices.set(v.id, v);
      emit();
    },
    put(voice) {
      if (!valid(voice)) return;
      voices.set(voice.id, voice);
      emit();
    },
    remove(id) {
      if (voices.delete(id)) emit();
    },
    // Newest first, as the cast list shows them.
    all: () => [...voices.values()].sort((a, b) => (b.createdAtMs - a.createdAtMs) || a.id.localeCompare(b.id)),
    // Voices a video can use: made, with Segmind's id.
    ready: () => [...voices.values()].filter((v) => v.status === 'ready' && v.voiceId).sort((a, b) => a.name.localeCompare(b.name)),
    byVoiceId: (voiceId) => [...voices.values()].find((v) => v.voiceId === voiceId) || null,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
