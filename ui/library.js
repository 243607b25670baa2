// library.js: the page's copy of the job library, kept in step with Rust.
// Rust is the truth: every job arrives whole ("a job as it is now") and replaces
// our copy by id. Views can cross on the way (the start_job answer and the channel,
// or two threads announcing), so an older view never overwrites a newer one, and a
// deleted job never comes back.

const num = (v) => (Number.isFinite(Number(v)) ? Number(v) : 0);

function normalize(view) {
  if (!view || typeof view !== 'object' || typeof view.id !== 'string' || !view.id) return null;
  return {
    ...view,
    request: view.request && typeof view.request === 'object' ? view.request : { prompt: '' },
    status: typeof view.status === 'string' ? view.status : 'failed',
    createdAtMs: num(view.createdAtMs),
    updatedAtMs: num(view.updatedAtMs),
    metrics: view.metrics && typeof view.metrics === 'object' ? view.metrics : null,
    error: view.error && typeof view.error === 'object' ? view.error : null,
    active: view.active === true,
    resumable: view.resumable === true,
    stoppable: view.stoppable === true,
    fetchable: view.fetchable === true,
  };
}

export function createLibrary() {
  const jobs = new Map();
  const deleted = new Set();
  const listeners = new Set();
  let sorted = null;
  let damaged = [];

  function emit(change) {
    for (const fn of listeners) {
      try {
        fn(change);
      } catch (err) {
        console.error('Could not show a library change', err);
      }
    }
  }

  // Adds or replaces one job. onlyIfNew: a start_job answer, which the channel may already have overtaken.
  function put(raw, { onlyIfNew = false, quiet = false } = {}) {
    const job = normalize(raw);
    if (!job || deleted.has(job.id)) return null;
    const prev = jobs.get(job.id) || null;
    if (prev && (onlyIfNew || job.updatedAtMs < prev.updatedAtMs)) return prev;
    jobs.set(job.id, job);
    if (!prev || prev.createdAtMs !== job.createdAtMs) sorted = null;
    if (!quiet) emit({ type: 'job', job, prev });
    return job;
  }

  function remove(id) {
    deleted.add(id);
    if (!jobs.has(id)) return;
    jobs.delete(id);
    sorted = null;
    emit({ type: 'deleted', id });
  }

  // The snapshot from watch_jobs (events may already have arrived: newest wins).
  function load(snapshot) {
    const list = snapshot && Array.isArray(snapshot.jobs) ? snapshot.jobs : [];
    list.forEach((v) => put(v, { quiet: true }));
    damaged = snapshot && Array.isArray(snapshot.damaged)
      ? snapshot.damaged.filter((d) => d && typeof d === 'object').map((d) => ({ file: String(d.file ?? ''), problem: String(d.problem ?? '') }))
      : [];
    emit({ type: 'reset' });
  }

  // Newest first, as Rust lists them.
  function all() {
    if (!sorted) {
      sorted = [...jobs.values()].sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    }
    return sorted;
  }

  return {
    put,
    remove,
    load,
    all,
    get: (id) => jobs.get(id) || null,
    damaged: () => damaged,
    subscribe: (fn) => { listeners.add(fn); return () => listeners.delete(fn); },
  };
}
