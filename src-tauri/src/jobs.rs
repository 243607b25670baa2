//! Running jobs from the library: each job is driven from its record's status,
//! so a job picks up where it stopped after any crash or restart. A job is sent
//! at most once; a finished video is downloaded into the library at once, whether
//! or not a window is looking.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client::{now_ms, JobStatus, Metrics, RetryNotice, SegmindClient, SubmittedJob};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::library::{JobRecord, Library, RecordStatus};
use crate::media_server::MediaServer;
use crate::request::GenerationRequest;
use crate::slots::{RateGate, Slots};

#[derive(Debug, Clone)]
pub struct PollPolicy {
    /// The first pause between status calls; the contract asks for 2-5 s.
    pub interval: Duration,
    /// Pauses grow by a tenth each time up to this, to spare the plan's request rate.
    pub max_interval: Duration,
    /// Following ends here, never silently: the card says so.
    pub deadline: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(3),
            max_interval: Duration::from_secs(10),
            deadline: Duration::from_secs(20 * 60),
        }
    }
}

/// What the window is told: a job as it is now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    #[serde(flatten)]
    pub record: JobRecord,
    /// Where the preview plays the video from, once it is in the library.
    pub video_url: Option<String>,
    /// Download progress in bytes, while downloading.
    pub received: Option<u64>,
    pub total: Option<u64>,
    /// Segmind asked us to slow down: submissions wait until then (Unix ms).
    pub waiting_until_ms: Option<i64>,
    /// Place in the line of jobs waiting for a free slot (1 = next).
    pub queue_position: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum StudioEvent {
    Job {
        job: Box<JobView>,
    },
    Deleted {
        job_id: String,
    },
    /// The window was asked to close while jobs run.
    CloseRequested {
        active_jobs: usize,
    },
}

/// Receives events; answers false once it is gone, and is then dropped.
pub type Subscriber = Arc<dyn Fn(&StudioEvent) -> bool + Send + Sync>;

#[derive(Default)]
struct Live {
    task: Option<tokio::task::AbortHandle>,
    received: Option<u64>,
    total: Option<u64>,
}

pub struct JobManager {
    library: Library,
    media: MediaServer,
    slots: Arc<Slots>,
    gate: RateGate,
    poll: PollPolicy,
    subscribers: Mutex<Vec<Subscriber>>,
    live: Mutex<HashMap<String, Live>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// How a job's drive ended, for the record.
enum Next {
    /// Go on with the record's new status.
    Continue,
    /// Nothing more to do now.
    Done,
}

impl JobManager {
    pub fn new(
        library: Library,
        media: MediaServer,
        max_running: usize,
        poll: PollPolicy,
    ) -> Arc<Self> {
        Arc::new(Self {
            library,
            media,
            slots: Slots::new(max_running),
            gate: RateGate::default(),
            poll,
            subscribers: Mutex::new(Vec::new()),
            live: Mutex::new(HashMap::new()),
        })
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    pub fn subscribe(&self, subscriber: Subscriber) {
        lock(&self.subscribers).push(subscriber);
    }

    /// Tells every subscriber; answers how many are still listening.
    pub fn publish(&self, event: &StudioEvent) -> usize {
        let mut subscribers = lock(&self.subscribers);
        subscribers.retain(|s| s(event));
        subscribers.len()
    }

    pub fn set_max_running(&self, cap: usize) {
        self.slots.set_cap(cap);
    }

    pub fn view(&self, record: JobRecord) -> JobView {
        let live = lock(&self.live);
        let progress = live.get(&record.id);
        let downloading = record.status == RecordStatus::Downloading;
        let video_url = (record.status == RecordStatus::Ready)
            .then(|| self.media.url_for(&format!("{}.mp4", record.id)));
        JobView {
            video_url,
            received: progress.filter(|_| downloading).and_then(|p| p.received),
            total: progress.filter(|_| downloading).and_then(|p| p.total),
            // A 429 holds a submission back, before or while it is being sent.
            waiting_until_ms: matches!(
                record.status,
                RecordStatus::Waiting | RecordStatus::Sending
            )
            .then(|| self.gate.paused_until())
            .flatten(),
            queue_position: (record.status == RecordStatus::Waiting)
                .then(|| self.slots.position(&record.id))
                .flatten(),
            record,
        }
    }

    pub fn views(&self) -> Vec<JobView> {
        self.library
            .list()
            .into_iter()
            .map(|r| self.view(r))
            .collect()
    }

    fn announce(&self, record: JobRecord) {
        let job = Box::new(self.view(record));
        self.publish(&StudioEvent::Job { job });
    }

    /// Every waiting job's place in line may have moved.
    fn announce_line(&self) {
        for record in self
            .library
            .list()
            .into_iter()
            .filter(|r| r.status == RecordStatus::Waiting)
        {
            self.announce(record);
        }
    }

    /// Stores a change of a job and tells the window.
    fn change(&self, id: &str, change: impl FnOnce(&mut JobRecord)) -> AppResult<JobRecord> {
        let record = self.library.update(id, change)?;
        self.announce(record.clone());
        Ok(record)
    }

    /// A change made by a job's drive: only while the job is still active, so a
    /// job stopped meanwhile is never moved on (and never sent) by its drive.
    fn advance(&self, id: &str, change: impl FnOnce(&mut JobRecord)) -> AppResult<JobRecord> {
        let record = self
            .library
            .try_update(id, |r| {
                if !r.status.is_active() {
                    return Err(AppError::new(ErrorCode::Busy, "The job was stopped."));
                }
                change(r);
                Ok(true)
            })?
            .expect("an accepted change is stored");
        self.announce(record.clone());
        Ok(record)
    }

    pub fn active_count(&self) -> usize {
        self.library
            .list()
            .iter()
            .filter(|r| r.status.is_active())
            .count()
    }

    /// Records a new job (before anything is sent) and starts driving it.
    pub fn create(
        self: &Arc<Self>,
        id: String,
        request: GenerationRequest,
        client: SegmindClient,
    ) -> AppResult<JobView> {
        let record = self.library.put(JobRecord::new(id.clone(), request))?;
        self.spawn(&id, client);
        let view = self.view(record);
        self.publish(&StudioEvent::Job {
            job: Box::new(view.clone()),
        });
        Ok(view)
    }

    /// After a start: jobs found mid-send may have been billed and are never sent
    /// again; every other unfinished job goes on, oldest first.
    pub fn resume_all(self: &Arc<Self>, client: &SegmindClient) {
        let mut unfinished: Vec<JobRecord> = self
            .library
            .list()
            .into_iter()
            .filter(|r| r.status.is_active())
            .collect();
        unfinished.sort_by_key(|r| r.created_at_ms);
        for record in unfinished {
            if record.status == RecordStatus::Sending {
                let _ = self.change(&record.id, |r| {
                    r.status = RecordStatus::Unknown;
                    r.error = Some(AppError {
                        may_be_billed: true,
                        ..AppError::new(
                            ErrorCode::Timeout,
                            "The app closed while this video was being sent, so it is not known whether Segmind received it. \
                             It was not sent again, so you are not charged twice. Check your Segmind dashboard.",
                        )
                    });
                });
            } else {
                self.spawn(&record.id, client.clone());
            }
        }
    }

    /// Drives a job again (a download that failed, a key that was fixed).
    pub fn resume(self: &Arc<Self>, id: &str, client: SegmindClient) -> AppResult<JobView> {
        let record = self.library.get(id)?;
        let resumable = matches!(
            record.status,
            RecordStatus::Queued
                | RecordStatus::Processing
                | RecordStatus::Downloading
                | RecordStatus::Waiting
        );
        if !resumable {
            return Err(AppError::new(
                ErrorCode::JobNotFound,
                "There is nothing more to fetch for this video.",
            ));
        }
        if !self.spawn(id, client) {
            return Err(AppError::new(
                ErrorCode::Busy,
                "This video is already being fetched.",
            ));
        }
        Ok(self.view(self.library.get(id)?))
    }

    /// Starts driving a job unless it is driven already: one drive per job, ever,
    /// so two never send, poll or write the same file at once.
    fn spawn(self: &Arc<Self>, id: &str, client: SegmindClient) -> bool {
        let mut live = lock(&self.live);
        let entry = live.entry(id.to_string()).or_default();
        if entry.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return false;
        }
        let manager = Arc::clone(self);
        let job_id = id.to_string();
        let task = tokio::spawn(async move { manager.drive(&job_id, client).await });
        entry.task = Some(task.abort_handle());
        true
    }

    /// Stops following a job: nothing more is fetched. Segmind has no cancel, so a
    /// job it already has may still be billed. Refused while the job is being sent:
    /// cutting a POST short would lose the answer of a job Segmind may have billed.
    pub fn stop(&self, id: &str) -> AppResult<JobView> {
        let stopped = self.library.try_update(id, |r| match r.status {
            RecordStatus::Sending => Err(AppError::new(
                ErrorCode::Busy,
                "This video is being sent to Segmind right now. Try again in a moment.",
            )),
            status if status.is_active() => {
                r.status = RecordStatus::Stopped;
                Ok(true)
            }
            _ => Ok(false),
        })?;
        // The record says "stopped" first: from now on the drive cannot move it on.
        if let Some(task) = lock(&self.live).get_mut(id).and_then(|l| l.task.take()) {
            task.abort();
        }
        self.slots.leave(id);
        let record = match stopped {
            Some(record) => record,
            None => self.library.get(id)?,
        };
        self.announce(record.clone());
        self.announce_line();
        Ok(self.view(record))
    }

    pub fn delete(&self, id: &str) -> AppResult<()> {
        self.stop(id)?;
        self.library.delete(id)?;
        lock(&self.live).remove(id);
        self.publish(&StudioEvent::Deleted {
            job_id: id.to_string(),
        });
        Ok(())
    }

    async fn drive(self: &Arc<Self>, id: &str, client: SegmindClient) {
        // Every error worth keeping is on the record; a failure to write the record
        // itself (disk full) ends the drive, and the next start picks it up again.
        let _slot = {
            self.announce_line();
            let slot = self.slots.acquire(id).await;
            self.announce_line();
            slot
        };
        let client = self.observing(id, client);
        // A new attempt: the last one's error is history.
        if self.advance(id, |r| r.error = None).is_err() {
            lock(&self.live).entry(id.to_string()).or_default().task = None;
            return;
        }
        while let Ok(record) = self.library.get(id) {
            let step = match record.status {
                RecordStatus::Waiting => self.submit(&record, &client).await,
                RecordStatus::Queued | RecordStatus::Processing => {
                    self.follow(&record, &client).await
                }
                RecordStatus::Downloading => self.download(&record, &client).await,
                _ => Ok(Next::Done),
            };
            match step {
                Ok(Next::Continue) => continue,
                Ok(Next::Done) | Err(_) => break,
            }
        }
        lock(&self.live).entry(id.to_string()).or_default().task = None;
        drop(_slot);
        self.announce_line();
    }

    /// The client for one job: a 429 pauses every submission until it lifts.
    fn observing(self: &Arc<Self>, id: &str, client: SegmindClient) -> SegmindClient {
        let manager = Arc::downgrade(self);
        let job_id = id.to_string();
        client.observed(Arc::new(move |notice| {
            if let (RetryNotice::RateLimited { until_ms }, Some(manager)) =
                (notice, manager.upgrade())
            {
                manager.gate.pause_until(until_ms);
                if let Ok(record) = manager.library.get(&job_id) {
                    manager.announce(record);
                }
            }
        }))
    }

    async fn submit(&self, record: &JobRecord, client: &SegmindClient) -> AppResult<Next> {
        if self.gate.paused_until().is_some() {
            self.announce(record.clone());
            self.gate.wait().await;
        }
        // On disk before the POST: a crash from here on is never a silent re-send.
        self.advance(&record.id, |r| {
            r.status = RecordStatus::Sending;
            r.error = None;
        })?;
        match client.submit(&record.request).await {
            Ok(job) => {
                self.advance(&record.id, |r| {
                    r.status = RecordStatus::Queued;
                    r.request_id = Some(job.request_id);
                    r.status_url = job.status_url;
                    r.response_url = job.response_url;
                })?;
                Ok(Next::Continue)
            }
            Err(error) if error.code == ErrorCode::RateLimited => {
                // Refused, so not billed: back in line until the limit lifts.
                self.gate
                    .pause_until(error.retry_at_ms.unwrap_or_else(|| now_ms() + 60_000));
                self.advance(&record.id, |r| r.status = RecordStatus::Waiting)?;
                Ok(Next::Continue)
            }
            Err(error) => {
                let status = if error.may_be_billed {
                    RecordStatus::Unknown
                } else {
                    RecordStatus::Failed
                };
                self.advance(&record.id, |r| {
                    r.status = status;
                    r.error = Some(error);
                })?;
                Ok(Next::Done)
            }
        }
    }

    async fn follow(&self, record: &JobRecord, client: &SegmindClient) -> AppResult<Next> {
        let job = SubmittedJob {
            request_id: record.request_id.clone().unwrap_or_default(),
            status_url: record.status_url.clone(),
            response_url: record.response_url.clone(),
        };
        let fetched = match self.poll_until_done(record, &job, client).await {
            Ok(metrics) => self
                .fetch_video_url(&job, client)
                .await
                .map(|(url, output)| (url, output.or(metrics))),
            Err(error) => Err(error),
        };
        match fetched {
            Ok((url, metrics)) => {
                self.advance(&record.id, |r| {
                    r.status = RecordStatus::Downloading;
                    r.output_url = Some(url);
                    r.metrics = metrics;
                })?;
                Ok(Next::Continue)
            }
            Err(error) => self.fail_following(record, error),
        }
    }

    /// The finished job's video URL. The response URL may lag behind the status
    /// (no output yet) or fail for a moment: it is asked again, as polls are,
    /// until the deadline; the job is paid for, its video must not be dropped.
    async fn fetch_video_url(
        &self,
        job: &SubmittedJob,
        client: &SegmindClient,
    ) -> AppResult<(String, Option<Metrics>)> {
        let started = Instant::now();
        loop {
            match client.result(job).await {
                Ok(output) if output.status == JobStatus::Completed => {
                    if let Some(url) = output.video_url() {
                        return Ok((url.to_string(), output.metrics.clone()));
                    }
                    return Err(no_video(job));
                }
                Ok(_) => {}
                Err(err) if err.is_transient() || err.code == ErrorCode::RateLimited => {}
                Err(err) => return Err(err),
            }
            if started.elapsed() > self.poll.deadline {
                return Err(AppError {
                    may_be_billed: true,
                    ..AppError::new(
                        ErrorCode::Timeout,
                        "Segmind finished this video but has not handed it over yet. Try again in a while.",
                    )
                });
            }
            tokio::time::sleep(self.poll.interval).await;
        }
    }

    /// Polls until COMPLETED, with growing pauses. Passing troubles (the network, a
    /// 503) do not end following: only the deadline, a failed or forgotten job do.
    async fn poll_until_done(
        &self,
        record: &JobRecord,
        job: &SubmittedJob,
        client: &SegmindClient,
    ) -> AppResult<Option<Metrics>> {
        let started = Instant::now();
        let mut pause = self.poll.interval;
        loop {
            if started.elapsed() > self.poll.deadline {
                return Err(AppError {
                    may_be_billed: true,
                    ..AppError::new(
                        ErrorCode::Timeout,
                        format!(
                            "Segmind has taken more than {} minutes, much longer than usual, so the app stopped waiting. \
                             The job may still finish on Segmind and be billed.",
                            self.poll.deadline.as_secs() / 60
                        ),
                    )
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause + pause / 10).min(self.poll.max_interval);
            match client.status(job).await {
                Ok(report) => match report.status {
                    JobStatus::Completed => return Ok(report.metrics),
                    // The reason comes with the response URL's 422.
                    JobStatus::Failed => {
                        return Err(client.result(job).await.err().unwrap_or_else(|| {
                            AppError::new(
                                ErrorCode::JobFailed,
                                "Segmind could not make this video. Your credits were not used.",
                            )
                        }))
                    }
                    JobStatus::Processing
                        if self.library.get(&record.id)?.status != RecordStatus::Processing =>
                    {
                        self.advance(&record.id, |r| r.status = RecordStatus::Processing)?;
                    }
                    _ => {}
                },
                Err(err) if err.is_transient() || err.code == ErrorCode::RateLimited => continue,
                Err(err) => return Err(err),
            }
        }
    }

    /// A job that ended while being followed: failed, forgotten, or unreachable for now.
    fn fail_following(&self, record: &JobRecord, error: AppError) -> AppResult<Next> {
        let status = match error.code {
            ErrorCode::JobFailed => RecordStatus::Failed,
            ErrorCode::JobExpired => RecordStatus::Expired,
            // Anything else (a time-out, the deadline, a key that stopped working)
            // leaves the job as it is, with its error: Segmind may still have the
            // video, and the next start or "Try again" goes on fetching it.
            _ => {
                self.advance(&record.id, |r| r.error = Some(error))?;
                return Ok(Next::Done);
            }
        };
        self.end(record, status, error)
    }

    fn end(&self, record: &JobRecord, status: RecordStatus, error: AppError) -> AppResult<Next> {
        self.advance(&record.id, |r| {
            r.status = status;
            r.error = Some(error);
        })?;
        Ok(Next::Done)
    }

    async fn download(&self, record: &JobRecord, client: &SegmindClient) -> AppResult<Next> {
        let Some(url) = record.output_url.clone() else {
            return self.end(
                record,
                RecordStatus::Failed,
                no_video(&SubmittedJob {
                    request_id: record.request_id.clone().unwrap_or_default(),
                    status_url: None,
                    response_url: None,
                }),
            );
        };
        let target = self.library.video_path(&record.id);
        // The app stopped between finishing the file and recording it: it is whole
        // (only a complete download is ever renamed to its final name).
        if target.is_file() && !crate::client::part_path(&target).exists() {
            let bytes = std::fs::metadata(&target).map(|m| m.len()).ok();
            self.advance(&record.id, |r| {
                r.status = RecordStatus::Ready;
                r.bytes = bytes;
            })?;
            return Ok(Next::Done);
        }
        let mut last: Option<(Instant, u64)> = None;
        let mut progress = |received: u64, total: Option<u64>| {
            // At most every 1% or 100 ms, so the window is not flooded.
            let step = total.map_or(256 * 1024, |t| (t / 100).max(1));
            let due = last.is_none_or(|(at, bytes)| {
                total == Some(received)
                    || received >= bytes + step
                    || at.elapsed() >= Duration::from_millis(100)
            });
            if due {
                last = Some((Instant::now(), received));
                {
                    let mut live = lock(&self.live);
                    let entry = live.entry(record.id.clone()).or_default();
                    entry.received = Some(received);
                    entry.total = total;
                }
                if let Ok(current) = self.library.get(&record.id) {
                    self.announce(current);
                }
            }
        };
        match client.download(&url, &target, &mut progress).await {
            Ok(bytes) => {
                self.advance(&record.id, |r| {
                    r.status = RecordStatus::Ready;
                    r.bytes = Some(bytes);
                    r.error = None;
                })?;
                Ok(Next::Done)
            }
            Err(error) if error.code == ErrorCode::NotFound => {
                self.end(record, RecordStatus::Failed, error)
            }
            Err(error) => {
                // Still downloadable: kept as "downloading", resumed at the next start
                // or by "Try again"; the part file keeps what already arrived.
                self.advance(&record.id, |r| r.error = Some(error))?;
                Ok(Next::Done)
            }
        }
    }
}

fn no_video(job: &SubmittedJob) -> AppError {
    AppError::new(
        ErrorCode::UnexpectedResponse,
        "Segmind finished the job but gave no video to download.",
    )
    .with_detail(format!("job {}", job.request_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_carry_the_job_as_it_is_now() {
        let record = JobRecord::new(
            "j-1".into(),
            GenerationRequest {
                prompt: "p".into(),
                ..Default::default()
            },
        );
        let view = JobView {
            record,
            video_url: None,
            received: Some(5),
            total: None,
            waiting_until_ms: None,
            queue_position: Some(1),
        };
        let value = serde_json::to_value(StudioEvent::Job {
            job: Box::new(view),
        })
        .unwrap();
        assert_eq!(value["kind"], "job");
        assert_eq!(value["job"]["id"], "j-1");
        assert_eq!(value["job"]["status"], "waiting");
        assert_eq!(value["job"]["received"], 5);
        assert_eq!(value["job"]["queuePosition"], 1);
        assert_eq!(value["job"]["request"]["duration"], "5");
        let deleted = serde_json::to_value(StudioEvent::Deleted {
            job_id: "j-1".into(),
        })
        .unwrap();
        assert_eq!(deleted, json!({"kind": "deleted", "jobId": "j-1"}));
    }
}
