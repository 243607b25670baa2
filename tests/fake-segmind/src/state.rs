//! What the fake remembers: credits, jobs and their lifecycle, recorded requests and
//! queued faults, shared by both origins and the `FakeSegmind` handle.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::faults::{Fault, Target};
use crate::record::RecordedRequest;
use crate::server::Shutdown;
use crate::validate::Accepted;
use crate::Config;

/// The reason given to jobs whose prompt contains [`FAIL_MARKER`].
pub(crate) const CONTENT_FILTER_REASON: &str = "The prompt was rejected by the content filter.";
/// Lets a tester trigger a failed job from the app's UI, without the admin API.
pub(crate) const FAIL_MARKER: &str = "[fail]";

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Queued,
    Processing,
    Completed,
    Failed,
}

/// How long jobs take, and how long their records last after they end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timings {
    pub queued: Duration,
    pub processing: Duration,
    pub record_ttl: Duration,
}

impl Timings {
    /// From submission until the job is COMPLETED or FAILED.
    pub(crate) fn total(&self) -> Duration {
        self.queued.saturating_add(self.processing)
    }

    /// The phase `elapsed` after submission. A job bound to fail goes through the
    /// queue and processing like any other: the reason surfaces when processing ends.
    pub(crate) fn phase(&self, elapsed: Duration, fails: bool) -> Phase {
        if elapsed < self.queued {
            Phase::Queued
        } else if elapsed < self.total() {
            Phase::Processing
        } else if fails {
            Phase::Failed
        } else {
            Phase::Completed
        }
    }

    /// Whether the job's record has expired `elapsed` after submission.
    pub(crate) fn record_expired(&self, elapsed: Duration) -> bool {
        elapsed >= self.total().saturating_add(self.record_ttl)
    }
}

/// A clip put in the asset store by an upload.
#[derive(Debug, Clone)]
pub(crate) struct Asset {
    pub mime: String,
    pub bytes: Arc<Vec<u8>>,
}

/// A job as a handler sees it at one instant.
#[derive(Debug, Clone)]
pub(crate) struct JobView {
    /// For a create-voice job, the voice it makes (shown once COMPLETED).
    pub voice_id: Option<String>,
    pub phase: Phase,
    /// Why it fails (set from submission on, shown once `phase` is `Failed`).
    pub failure: Option<String>,
    pub elapsed: Duration,
    pub cost: f64,
    /// The record has expired: job endpoints answer 404, though the file remains.
    pub expired: bool,
}

/// A job just opened by a submit.
#[derive(Debug, Clone)]
pub(crate) struct NewJob {
    pub id: String,
    /// When it will be COMPLETED or FAILED.
    pub done_at: Instant,
    pub remaining_credits: f64,
}

/// The balance was below the price of a job.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InsufficientCredits;

#[derive(Debug)]
struct Job {
    voice_id: Option<String>,
    submitted: Instant,
    cost: f64,
    failure: Option<String>,
    refunded: bool,
    expired: bool,
}

#[derive(Debug)]
struct Store {
    credits: f64,
    jobs: HashMap<String, Job>,
    requests: Vec<RecordedRequest>,
    faults: HashMap<Target, VecDeque<Fault>>,
    fail_next: Option<String>,
    /// Uploaded clips by file name (`<uuid>.<ext>`).
    assets: HashMap<String, Asset>,
    voices_made: u64,
}

/// Everything the handlers and the `FakeSegmind` handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub api_key: String,
    pub cost_per_job: f64,
    pub voice_cost: f64,
    pub per_second: Option<crate::PerSecond>,
    pub timings: Timings,
    /// "http://127.0.0.1:P", for the URLs a submit answers.
    pub api_base: String,
    /// "http://127.0.0.1:Q", for the output URLs.
    pub file_base: String,
    pub shutdown: Shutdown,
    store: Mutex<Store>,
}

impl Shared {
    pub(crate) fn new(
        config: &Config,
        api_base: String,
        file_base: String,
        shutdown: Shutdown,
    ) -> Self {
        Shared {
            api_key: config.api_key.clone(),
            cost_per_job: config.cost_per_job,
            voice_cost: config.voice_cost,
            per_second: config.per_second,
            timings: Timings {
                queued: config.queued,
                processing: config.processing,
                record_ttl: config.record_ttl,
            },
            api_base,
            file_base,
            shutdown,
            store: Mutex::new(Store {
                credits: config.credits,
                jobs: HashMap::new(),
                requests: Vec::new(),
                faults: HashMap::new(),
                fail_next: None,
                assets: HashMap::new(),
                voices_made: 0,
            }),
        }
    }

    /// The store, with refunds for jobs that have failed by now already applied, so
    /// every reader sees a balance consistent with the jobs' phases. A panicking test
    /// thread must not poison the fake for the others, hence the poison recovery.
    fn store(&self) -> MutexGuard<'_, Store> {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let mut refund = 0.0;
        for job in store.jobs.values_mut() {
            if job.failure.is_some() && !job.refunded && now - job.submitted >= self.timings.total()
            {
                job.refunded = true;
                refund += job.cost;
            }
        }
        store.credits += refund;
        store
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        self.store().requests.push(request);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.store().requests.clone()
    }

    pub(crate) fn reset_requests(&self) {
        self.store().requests.clear();
    }

    pub(crate) fn push_fault(&self, target: Target, fault: Fault) {
        self.store()
            .faults
            .entry(target)
            .or_default()
            .push_back(fault);
    }

    pub(crate) fn pop_fault(&self, target: Target) -> Option<Fault> {
        self.store().faults.get_mut(&target)?.pop_front()
    }

    pub(crate) fn credits(&self) -> f64 {
        self.store().credits
    }

    pub(crate) fn set_credits(&self, credits: f64) {
        self.store().credits = credits;
    }

    pub(crate) fn fail_next_job(&self, reason: &str) {
        self.store().fail_next = Some(reason.to_owned());
    }

    pub(crate) fn expire_all_records(&self) {
        for job in self.store().jobs.values_mut() {
            job.expired = true;
        }
    }

    /// What a job costs: flat, or by seconds and sound tier.
    fn cost_of(&self, accepted: &Accepted) -> f64 {
        let Some(rates) = self.per_second else {
            return self.cost_per_job;
        };
        let rate = match (accepted.sound, accepted.voices) {
            (false, _) => rates.silent,
            (true, 0) => rates.sound,
            (true, _) => rates.voice,
        };
        (rate * f64::from(accepted.seconds) * 1000.0).round() / 1000.0
    }

    /// Bills a new job and opens it. It fails if `fail_next_job` was armed, or if
    /// `flagged` (its prompt asked to fail); the refund comes when it reaches FAILED.
    pub(crate) fn open_job(&self, accepted: &Accepted) -> Result<NewJob, InsufficientCredits> {
        let flagged = accepted.prompts.iter().any(|p| p.contains(FAIL_MARKER));
        let failure = flagged.then(|| CONTENT_FILTER_REASON.to_owned());
        self.open(self.cost_of(accepted), failure, false)
    }

    /// Bills a create-voice job and opens it; it fails (refunded) if `failure` is
    /// set or `fail_next_job` was armed.
    pub(crate) fn open_voice_job(
        &self,
        failure: Option<String>,
    ) -> Result<NewJob, InsufficientCredits> {
        self.open(self.voice_cost, failure, true)
    }

    fn open(
        &self,
        cost: f64,
        failure: Option<String>,
        makes_voice: bool,
    ) -> Result<NewJob, InsufficientCredits> {
        let mut store = self.store();
        if store.credits < cost {
            return Err(InsufficientCredits);
        }
        store.credits -= cost;
        let failure = store.fail_next.take().or(failure);
        let voice_id = makes_voice.then(|| {
            store.voices_made += 1;
            // Kling's voice ids are long decimal numbers.
            format!("8298778099789{:05}", store.voices_made)
        });
        let id = uuid::Uuid::new_v4().to_string();
        let submitted = Instant::now();
        store.jobs.insert(
            id.clone(),
            Job {
                voice_id,
                submitted,
                cost,
                failure,
                refunded: false,
                expired: false,
            },
        );
        Ok(NewJob {
            id,
            done_at: submitted + self.timings.total(),
            remaining_credits: store.credits,
        })
    }

    /// Keeps an uploaded clip; answers its file name.
    pub(crate) fn add_asset(&self, extension: &str, asset: Asset) -> String {
        let name = format!("{}.{extension}", uuid::Uuid::new_v4());
        self.store().assets.insert(name.clone(), asset);
        name
    }

    pub(crate) fn asset_count(&self) -> usize {
        self.store().assets.len()
    }

    pub(crate) fn asset(&self, name: &str) -> Option<Asset> {
        self.store().assets.get(name).cloned()
    }

    /// The job `id` as of now, if it was ever created.
    pub(crate) fn job(&self, id: &str) -> Option<JobView> {
        let store = self.store();
        let job = store.jobs.get(id)?;
        let elapsed = Instant::now() - job.submitted;
        Some(JobView {
            voice_id: job.voice_id.clone(),
            phase: self.timings.phase(elapsed, job.failure.is_some()),
            failure: job.failure.clone(),
            elapsed,
            cost: job.cost,
            expired: job.expired || self.timings.record_expired(elapsed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn timings() -> Timings {
        Timings {
            queued: 300 * MS,
            processing: 700 * MS,
            record_ttl: 1000 * MS,
        }
    }

    #[test]
    fn phases_follow_elapsed_time() {
        let t = timings();
        assert_eq!(t.phase(Duration::ZERO, false), Phase::Queued);
        assert_eq!(t.phase(299 * MS, false), Phase::Queued);
        assert_eq!(t.phase(300 * MS, false), Phase::Processing);
        assert_eq!(t.phase(999 * MS, true), Phase::Processing);
        assert_eq!(t.phase(1000 * MS, false), Phase::Completed);
        assert_eq!(t.phase(1000 * MS, true), Phase::Failed);
    }

    #[test]
    fn zero_queue_time_starts_processing_at_once() {
        let t = Timings {
            queued: Duration::ZERO,
            ..timings()
        };
        assert_eq!(t.phase(Duration::ZERO, false), Phase::Processing);
    }

    #[test]
    fn records_expire_ttl_after_the_end() {
        let t = timings();
        assert!(!t.record_expired(1999 * MS));
        assert!(t.record_expired(2000 * MS));
        let forever = Timings {
            record_ttl: Duration::MAX,
            ..t
        };
        assert!(!forever.record_expired(Duration::from_secs(1 << 40)));
    }
}
