// attention.js: a line at the top of the stage, always in view, for videos that
// stopped on a problem and wait for a click ("Needs your attention") while
// another video is on the stage. At 1200×800 the library starts below the fold,
// so its card alone would never be seen. "Show it" puts the newest such video on
// the stage, where its problem and "Try again" are.
import { firstLine } from './status.js';
import { t, onLanguageChange } from './i18n.js';
import { $ } from './dom.js';

export function createAttention({ library, readable, shownId, show }) {
  const el = { box: $('attention'), text: $('attention-text'), show: $('attention-show') };
  const waiting = new Set(); // ids of jobs that need a click, kept as the library changes
  let firstId = '';

  function recount() {
    waiting.clear();
    for (const job of library.all()) if (job.resumable) waiting.add(job.id);
  }

  function render() {
    const onStage = shownId();
    // Only the few waiting jobs are looked at, never the whole library.
    const others = [...waiting].map((id) => library.get(id))
      .filter((job) => job && job.id !== onStage)
      .sort((a, b) => b.createdAtMs - a.createdAtMs);
    firstId = others.length ? others[0].id : '';
    el.box.hidden = !firstId;
    if (!firstId) return;
    el.text.textContent = others.length === 1
      ? t('attention.one', { name: firstLine(readable(others[0].request), 40) })
      : t('attention.many', { count: others.length });
    el.show.textContent = t(others.length === 1 ? 'attention.showOne' : 'attention.showFirst');
  }

  library.subscribe((change) => {
    if (change.type === 'reset') recount();
    else if (change.type === 'deleted') waiting.delete(change.id);
    else if (change.job.resumable) waiting.add(change.job.id);
    else if (!waiting.delete(change.job.id)) return; // nothing about attention changed
    render();
  });
  el.show.addEventListener('click', () => { if (firstId) show(firstId); });
  onLanguageChange(render);

  return { render };
}
