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

const setOf = (job) => (job.take && typeof job.take.set === 'string' ? job.take.set : '');
const takeNumber = (job) => num(job.take && job.take.n);

export function createLibrary() {
  const jobs = new Map();
  const deleted = new Set();
  const listeners = new Set();
  let sorted = null;
  const placeOf = new Map(); // job id → its index in `sorted`
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
    if (!prev || prev.createdAtMs !== job.createdAtMs || setOf(prev) !== setOf(job)) sorted = null;
    else if (sorted) sorted[placeOf.get(job.id)] = job; // the same place: the list holds the job as it is now
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

  // Newest first, as Rust lists them, except that the takes of one set stay
  // together in take order, where the set's newest take would be: a take made
  // later ("Another take") sits beside the others, to compare.
  function all() {
    if (!sorted) {
      const newestOfSet = new Map();
      for (const job of jobs.values()) {
        const set = setOf(job);
        if (set) newestOfSet.set(set, Math.max(newestOfSet.get(set) ?? 0, job.createdAtMs));
      }
      const placed = (job) => newestOfSet.get(setOf(job)) ?? job.createdAtMs;
      const order = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
      sorted = [...jobs.values()].sort((a, b) => placed(b) - placed(a)
        || order(setOf(a), setOf(b))
        || (setOf(a) ? takeNumber(a) - takeNumber(b) : 0)
        || b.createdAtMs - a.createdAtMs
        || order(b.id, a.id));
      placeOf.clear();
      sorted.forEach((job, i) => placeOf.set(job.id, i));
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
