//! A job's drive: from its record's status to the video in the library. It is
//! sent at most once, followed within one deadline, and its video downloaded at
//! once; every step is written to the record before the next one starts.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{disk_error, JobManager};
use crate::client::{JobOutput, JobStatus, Metrics, RetryNotice, SegmindClient, SubmittedJob};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::jobs::library::{JobRecord, RecordStatus, UnreadAnswer};
use crate::mutex::lock;

impl JobManager {
    pub(super) async fn drive(self: &Arc<Self>, id: &str, attempt: Attempt) {
        // Every error worth keeping is on the record; a failure to write the record
        // itself is retried by `advance`, and a job stopped meanwhile ends the drive.
        let Ok(first) = self.library.get(id) else {
            return;
        };
        if !first.status.is_active() {
            return;
        }
        // The cap limits what is sent: a job Segmind already has never waits in
        // line behind unsent ones (it could expire there), though it counts.
        let _slot = if first.status == RecordStatus::Waiting {
            self.slots.join(id);
            self.announce_line();
            let slot = self.slots.acquire(id).await;
            self.announce_line();
            slot
        } else {
            self.slots.take_now()
        };
        log::info!("job {id}: drive starts ({:?}, {attempt:?})", first.status);
        // A new attempt: the last one's error is history. A later look keeps it on
        // the card until the look finds better.
        let started = match attempt {
            Attempt::Fresh => self.advance(id, |r| r.error = None).await.is_ok(),
            Attempt::LaterLook => true,
        };
        if started {
            let mut rate_limited = 0;
            while let Ok(record) = self.library.get(id) {
                let step = match record.status {
                    RecordStatus::Waiting => self.submit(&record, &mut rate_limited).await,
                    RecordStatus::Queued | RecordStatus::Processing => {
                        self.follow(&record, attempt).await
                    }
                    RecordStatus::Downloading => self.download(&record).await,
                    _ => Ok(Next::Done),
                };
                match step {
                    Ok(Next::Continue) => continue,
                    Ok(Next::Done) => break,
                    Err(error) => {
                        // The record says what the creator needs; the log says why.
                        log::warn!(
                            "job {id}: drive ends: {}",
                            crate::logging::error_line(&error)
                        );
                        break;
                    }
                }
            }
        }
        {
            let mut live = lock(&self.live);
            let entry = live.entry(id.to_string()).or_default();
            // Only this drive's own handle: a newer drive's must stay.
            if entry
                .task
                .as_ref()
                .is_some_and(|t| Some(t.id()) == tokio::task::try_id())
            {
                entry.task = None;
            }
            entry.trouble = None;
        }
        drop(_slot);
        self.announce_line();
        self.look_again_later(id);
    }

    /// A paid job this drive left with a problem (the deadline, a download out of
    /// patience, a result it cannot read) is never left to a click: it is looked
    /// at again every `slow_interval`, holding no slot, until `keep_asking` after
    /// Segmind accepted it. The card says when.
    fn look_again_later(self: &Arc<Self>, id: &str) {
        let Ok(record) = self.library.get(id) else {
            return;
        };
        let sent_at = record.sent_at_ms.unwrap_or(record.created_at_ms);
        let at = now_ms() + self.poll.slow_interval.as_millis() as i64;
        let wanted = record.request_id.is_some()
            && record.status.is_active()
            && record.status != RecordStatus::Sending
            && (record.error.is_some() || record.unread_answer.is_some())
            && at <= sent_at + self.poll.keep_asking.as_millis() as i64;
        {
            let mut live = lock(&self.live);
            // Gone with a delete meanwhile: nothing to plan, nothing to announce.
            let Some(entry) = live.get_mut(id) else {
                return;
            };
            if entry.task.as_ref().is_some_and(|t| !t.is_finished()) {
                return; // a newer drive has it
            }
            entry.next_look_at_ms = wanted.then_some(at);
        }
        // The record as it is now (a stop may have landed meanwhile).
        if let Ok(record) = self.library.get(id) {
            self.announce(record);
        }
        if !wanted {
            log::info!("job {id}: no later look (done, or asked long enough)");
            return;
        }
        let manager = Arc::downgrade(self);
        let job_id = id.to_string();
        let pause = self.poll.slow_interval;
        tokio::spawn(async move {
            tokio::time::sleep(pause).await;
            let Some(manager) = manager.upgrade() else {
                return;
            };
            let due = {
                let mut live = lock(&manager.live);
                let entry = live.get_mut(&job_id);
                // "Try again", a stop or a delete meanwhile took the look over.
                match entry {
                    Some(entry) if entry.next_look_at_ms == Some(at) => {
                        entry.next_look_at_ms = None;
                        true
                    }
                    _ => false,
                }
            };
            if due {
                log::info!("job {job_id}: looking again, as planned");
                manager.spawn(&job_id, Attempt::LaterLook);
            }
        });
    }

    /// The client for one job, with the key as it is now. Without a key the job
    /// says so and waits for one (or for "Try again").
    async fn client_for(self: &Arc<Self>, id: &str) -> AppResult<SegmindClient> {
        let mut keys = self.client.subscribe();
        loop {
            let current = keys.borrow_and_update().clone();
            if let Some(client) = current {
                return Ok(self.observing(id, client));
            }
            self.advance(id, |r| r.error = Some(AppError::new(ErrorCode::NoApiKey)))
                .await?;
            let _ = keys.changed().await;
            self.advance(id, |r| r.error = None).await?;
        }
    }

    /// Segmind refused the key while following a paid job: the job keeps its
    /// place, says why, and goes on by itself once a new key is saved, or every
    /// `slow_interval` with the same key (keys come back after a billing fix).
    async fn wait_for_new_key(
        &self,
        id: &str,
        error: AppError,
        mut keys: watch::Receiver<Option<SegmindClient>>,
    ) -> AppResult<()> {
        if keys.has_changed().unwrap_or(false) {
            return Ok(()); // a new key arrived while the refused call ran: try it
        }
        self.advance(id, |r| r.error = Some(error.clone())).await?;
        let nudge = Arc::clone(&lock(&self.live).entry(id.to_string()).or_default().nudge);
        tokio::select! {
            _ = keys.changed() => {}
            () = nudge.notified() => {}
            () = tokio::time::sleep(self.poll.slow_interval) => {
                log::info!("job {id}: asking again with the same key");
            }
        }
        self.advance(id, |r| r.error = None).await.map(drop)
    }

    /// The client for one job: a 429 pauses every submission until it lifts.
    fn observing(self: &Arc<Self>, id: &str, client: SegmindClient) -> SegmindClient {
        let manager = Arc::downgrade(self);
        let job_id = id.to_string();
        client.observed(Arc::new(move |notice| {
            match &notice {
                RetryNotice::RateLimited { until_ms } => {
                    log::warn!("job {job_id}: rate limited (429) until {until_ms}");
                }
                RetryNotice::Retrying { attempt, delay } => {
                    log::warn!("job {job_id}: retrying in {delay:?} (attempt {attempt})");
                }
            }
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

    async fn submit(
        self: &Arc<Self>,
        record: &JobRecord,
        rate_limited: &mut u32,
    ) -> AppResult<Next> {
        if self.gate.paused_until().is_some() {
            self.announce(record.clone());
            self.gate.wait().await;
        }
        // The key as it is now, after any wait: a removed key is never billed.
        let client = self.client_for(&record.id).await?;
        // On disk before the POST: a crash from here on is never a silent re-send.
        // Only a waiting job is sent, so no second drive could ever send it too. A
        // disk that cannot take it holds the job back, unsent, until it can.
        let mut troubles = 0;
        loop {
            // `closing` is read under the record's write lock, as `settle_sends`
            // sets it: quitting never counts zero sends while one starts.
            let mut quitting = false;
            let sending = self.library.try_update(&record.id, |r| {
                if r.status != RecordStatus::Waiting {
                    return Err(AppError::new(ErrorCode::Busy).because("no_longer_waiting"));
                }
                if self.closing.load(Ordering::SeqCst) {
                    quitting = true;
                    return Ok(false);
                }
                r.status = RecordStatus::Sending;
                r.error = None;
                Ok(true)
            });
            let error = match sending {
                Ok(Some(record)) => {
                    log::info!("job {}: Waiting -> Sending", record.id);
                    self.announce(record);
                    break;
                }
                Ok(None) if quitting => {
                    // Quitting: the job stays waiting, unsent, for the next start.
                    std::future::pending::<()>().await;
                    return Ok(Next::Done);
                }
                Ok(None) => return Err(AppError::internal("the send was not recorded")),
                Err(error) => error,
            };
            if error.code != ErrorCode::Io {
                return Err(error);
            }
            troubles += 1;
            let remembered = self.library.remember(&record.id, |r| {
                r.error = Some(disk_error(&error));
                Ok(())
            })?;
            self.announce(remembered);
            self.pause(&record.id, self.poll.retry_pause(troubles))
                .await;
        }
        match client.submit(&record.request).await {
            Ok(job) => {
                *rate_limited = 0;
                let sent_at = now_ms();
                self.advance(&record.id, |r| {
                    r.status = RecordStatus::Queued;
                    r.request_id = Some(job.request_id.clone());
                    r.status_url = job.status_url.clone();
                    r.response_url = job.response_url.clone();
                    r.sent_at_ms = Some(sent_at);
                })
                .await?;
                Ok(Next::Continue)
            }
            Err(error) if error.code == ErrorCode::RateLimited => {
                // Refused, so not billed: back in line until the limit lifts. A reset
                // time already past (or none) still waits, longer each time.
                *rate_limited += 1;
                let floor = now_ms() + self.poll.retry_pause(*rate_limited).as_millis() as i64;
                self.gate
                    .pause_until(error.retry_at_ms.unwrap_or(floor).max(floor));
                self.advance(&record.id, |r| r.status = RecordStatus::Waiting)
                    .await?;
                Ok(Next::Continue)
            }
            Err(error) => {
                let status = if error.may_be_billed {
                    RecordStatus::Unknown
                } else {
                    RecordStatus::Failed
                };
                self.end(record, status, error).await
            }
        }
    }

    /// Follows a job Segmind has until its video's address is known. Only a failed
    /// job, a job Segmind surely forgot, or the deadline (counted from when
    /// Segmind accepted the job) end following; every other trouble (a 500, an
    /// unreadable answer, the network) is ridden out with growing pauses, and a
    /// refused key waits for a new one. Past the deadline a drive looks once and
    /// leaves the job to `look_again_later`.
    async fn follow(self: &Arc<Self>, record: &JobRecord, attempt: Attempt) -> AppResult<Next> {
        let job = SubmittedJob {
            request_id: record.request_id.clone().unwrap_or_default(),
            status_url: record.status_url.clone(),
            response_url: record.response_url.clone(),
        };
        let sent_at = record.sent_at_ms.unwrap_or(record.created_at_ms);
        let deadline = sent_at + self.poll.deadline.as_millis() as i64;
        let mut pause = match attempt {
            Attempt::Fresh => self.poll.interval,
            Attempt::LaterLook => Duration::ZERO,
        };
        let mut troubles = 0;
        let mut last_trouble: Option<AppError> = None;
        loop {
            self.pause(&record.id, pause).await;
            // Subscribed before the call: a key saved while it runs is not missed.
            let mut keys = self.client.subscribe();
            keys.borrow_and_update();
            let client = self.client_for(&record.id).await?;
            match self.look(&record.id, &job, &client).await {
                Ok(Look::Video(url, metrics)) => {
                    self.set_trouble(&record.id, None);
                    self.advance(&record.id, |r| {
                        r.status = RecordStatus::Downloading;
                        r.output_url = Some(url.clone());
                        r.metrics = metrics.clone();
                        r.unread_answer = None;
                        r.error = None;
                    })
                    .await?;
                    return Ok(Next::Continue);
                }
                Ok(Look::NotYet) => {
                    if troubles > 0 {
                        troubles = 0;
                        pause = self.poll.interval;
                        self.set_trouble(&record.id, None);
                    }
                    pause = (pause + pause / 10).min(self.poll.max_interval);
                }
                Ok(Look::Unread(output)) => {
                    self.keep_unread(&record.id, &job, &output).await?;
                    troubles += 1;
                    pause = self.poll.retry_pause(troubles);
                }
                Err(error) => match error.code {
                    ErrorCode::JobFailed => {
                        self.set_trouble(&record.id, None);
                        return self.end(record, RecordStatus::Failed, error).await;
                    }
                    ErrorCode::JobExpired
                        if now_ms() - sent_at > self.poll.retention.as_millis() as i64 =>
                    {
                        self.set_trouble(&record.id, None);
                        // What an unread answer held (its addresses) stays on the card.
                        let error = match self.library.get(&record.id)?.unread_answer {
                            Some(unread) => unreadable_result(&job, &unread),
                            None => error,
                        };
                        return self.end(record, RecordStatus::Expired, error).await;
                    }
                    ErrorCode::Auth | ErrorCode::Forbidden => {
                        self.set_trouble(&record.id, None);
                        self.wait_for_new_key(&record.id, error, keys).await?;
                        pause = Duration::ZERO;
                        continue;
                    }
                    _ => {
                        troubles += 1;
                        pause = self.poll.retry_pause(troubles);
                        self.set_trouble(&record.id, Some(error.clone()));
                        last_trouble = Some(error);
                    }
                },
            }
            if now_ms() >= deadline {
                self.set_trouble(&record.id, None);
                let current = self.library.get(&record.id)?;
                // A result it cannot read says so, not "taking long": with an error
                // on the card, a later look (or "Try again") goes on following it.
                let error = match &current.unread_answer {
                    Some(unread) => unreadable_result(&job, unread),
                    None => AppError {
                        may_be_billed: true,
                        detail: last_trouble.as_ref().map(|e| e.to_string().into()),
                        ..AppError::new(ErrorCode::Timeout)
                            .because("follow_deadline")
                            .with("minutes", self.poll.deadline.as_secs() / 60)
                    },
                };
                let said = current.error.as_ref().and_then(|e| e.reason.as_deref());
                if said != error.reason.as_deref() {
                    self.advance(&record.id, |r| r.error = Some(error.clone()))
                        .await?;
                }
                return Ok(Next::Done);
            }
        }
    }

    /// Segmind says the job is done and its answer names no video this version
    /// can read: the answer is kept in the record (a newer version reads it again
    /// at start) and its shape logged. For `unread_patience` it is a passing
    /// trouble (the response URL may lag); then the card says so, plainly.
    async fn keep_unread(&self, id: &str, job: &SubmittedJob, output: &JobOutput) -> AppResult<()> {
        let current = self.library.get(id)?;
        let now = now_ms();
        let first_seen = current
            .unread_answer
            .as_ref()
            .map_or(now, |u| u.first_seen_ms);
        let unread = UnreadAnswer::keep(&output.answer, first_seen);
        let error = unreadable_result(job, &unread);
        let patience_over = now - first_seen >= self.poll.unread_patience.as_millis() as i64;
        let changed = current.unread_answer.as_ref().map(|u| &u.answer) != Some(&unread.answer);
        if changed {
            log::warn!(
                "job {id}: Segmind's result names no video this version reads; kept. Shape: {}",
                crate::client::answer_shape(&output.answer)
            );
        }
        let error_due = patience_over && current.error.as_ref() != Some(&error);
        if changed || error_due {
            self.advance(id, |r| {
                r.unread_answer = Some(unread.clone());
                if patience_over {
                    r.error = Some(error.clone());
                }
                if r.metrics.is_none() {
                    r.metrics = output.metrics.clone();
                }
            })
            .await?;
        }
        self.set_trouble(id, (!patience_over).then_some(error));
        Ok(())
    }

    /// One look at a job: its status, and once it is done, its video's address.
    async fn look(&self, id: &str, job: &SubmittedJob, client: &SegmindClient) -> AppResult<Look> {
        let report = client.status(job).await?;
        match report.status {
            JobStatus::Completed => {
                let output = client.result(job).await?;
                match output.status {
                    // The response URL can lag behind the status URL.
                    JobStatus::Queued | JobStatus::Processing => Ok(Look::NotYet),
                    JobStatus::Failed => Err(job_failed()),
                    _ => match output.video_url() {
                        Some(url) => Ok(Look::Video(
                            url.to_string(),
                            output.metrics.clone().or(report.metrics),
                        )),
                        None => {
                            let mut output = output;
                            output.metrics = output.metrics.or(report.metrics);
                            Ok(Look::Unread(Box::new(output)))
                        }
                    },
                }
            }
            // The reason comes with the response URL's 422.
            JobStatus::Failed => Err(client
                .result(job)
                .await
                .err()
                .filter(|e| e.code == ErrorCode::JobFailed)
                .unwrap_or_else(job_failed)),
            JobStatus::Processing => {
                if self.library.get(id)?.status != RecordStatus::Processing {
                    self.advance(id, |r| r.status = RecordStatus::Processing)
                        .await?;
                }
                Ok(Look::NotYet)
            }
            _ => Ok(Look::NotYet),
        }
    }

    async fn end(
        &self,
        record: &JobRecord,
        status: RecordStatus,
        error: AppError,
    ) -> AppResult<Next> {
        self.advance(&record.id, |r| {
            r.status = status;
            r.error = Some(error.clone());
        })
        .await?;
        Ok(Next::Done)
    }

    /// A fresh address for a finished video, if Segmind still has the job.
    async fn fresh_video_url(self: &Arc<Self>, record: &JobRecord) -> Option<String> {
        let client = self.client.borrow().clone()?;
        let job = SubmittedJob {
            request_id: record.request_id.clone()?,
            status_url: record.status_url.clone(),
            response_url: record.response_url.clone(),
        };
        let output = client.result(&job).await.ok()?;
        output.video_url().map(str::to_string)
    }

    /// Downloads a finished, paid video into the library. It is never given up:
    /// passing troubles (the network, a 404 or an error page from the file host)
    /// are retried for `download_patience`, with a fresh address from Segmind now
    /// and then; after that the job waits, resumable, with its error.
    async fn download(self: &Arc<Self>, record: &JobRecord) -> AppResult<Next> {
        let mut url = match record.output_url.clone() {
            Some(url) => url,
            None => match self.fresh_video_url(record).await {
                Some(url) => url,
                None => {
                    let error = no_video(&SubmittedJob {
                        request_id: record.request_id.clone().unwrap_or_default(),
                        status_url: None,
                        response_url: None,
                    });
                    self.advance(&record.id, |r| r.error = Some(error.clone()))
                        .await?;
                    return Ok(Next::Done);
                }
            },
        };
        log::info!(
            "job {}: downloading from {}",
            record.id,
            crate::logging::host(&url)
        );
        let target = self.library.video_path(&record.id);
        // The app stopped between finishing the file and recording it: it is whole
        // (only a complete download that looks like a video is ever renamed).
        if target.is_file()
            && !crate::client::part_path(&target).exists()
            && starts_like_a_video(&target)
        {
            let bytes = std::fs::metadata(&target).map(|m| m.len()).ok();
            self.advance(&record.id, |r| {
                r.status = RecordStatus::Ready;
                r.bytes = bytes;
            })
            .await?;
            return Ok(Next::Done);
        }
        // At most four times a second, and at the end (the fetcher's promise): each
        // announcement redraws the card in the window.
        let mut progress = |received: u64, total: Option<u64>| {
            {
                let mut live = lock(&self.live);
                let entry = live.entry(record.id.clone()).or_default();
                entry.received = Some(received);
                entry.total = total;
            }
            if let Ok(current) = self.library.get(&record.id) {
                self.announce(current);
            }
        };
        let started = Instant::now();
        let mut troubles = 0;
        loop {
            let outcome = self.files.download(&url, &target, &mut progress).await;
            let error = match outcome {
                Ok(bytes) => {
                    self.set_trouble(&record.id, None);
                    self.advance(&record.id, |r| {
                        r.status = RecordStatus::Ready;
                        r.bytes = Some(bytes);
                        r.error = None;
                    })
                    .await?;
                    return Ok(Next::Done);
                }
                Err(error) => error,
            };
            troubles += 1;
            // A disk that cannot take the video needs the creator; so does an
            // address that is not a web address, unless Segmind gives another.
            let hopeless = error.code == ErrorCode::Io
                || (error.code == ErrorCode::UnexpectedResponse && troubles > 1);
            if hopeless || started.elapsed() >= self.poll.download_patience {
                self.set_trouble(&record.id, None);
                self.advance(&record.id, |r| r.error = Some(error.clone()))
                    .await?;
                return Ok(Next::Done);
            }
            self.set_trouble(&record.id, Some(error.clone()));
            let stale_address = matches!(
                error.code,
                ErrorCode::LinkExpired | ErrorCode::NotAVideo | ErrorCode::UnexpectedResponse
            );
            if stale_address && troubles % 2 == 1 {
                if let Some(fresh) = self.fresh_video_url(record).await.filter(|f| *f != url) {
                    url = fresh;
                    self.advance(&record.id, |r| r.output_url = Some(url.clone()))
                        .await?;
                    continue;
                }
            }
            self.pause(&record.id, self.poll.retry_pause(troubles))
                .await;
        }
    }
}

/// How a job's drive ended, for the record.
enum Next {
    /// Go on with the record's new status.
    Continue,
    /// Nothing more to do now.
    Done,
}

/// What one look at a job found.
enum Look {
    NotYet,
    Video(String, Option<Metrics>),
    /// Done, and the answer names no video this version can read.
    Unread(Box<JobOutput>),
}

/// Why a drive runs: a new attempt (a click, a start) or a planned later look,
/// which keeps the card's problem until it finds better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attempt {
    Fresh,
    LaterLook,
}

fn starts_like_a_video(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| crate::client::looks_like_mp4(&head))
}

fn job_failed() -> AppError {
    AppError::new(ErrorCode::JobFailed)
}

/// Segmind finished the job and its answer names no video this version reads.
/// Details name every address the answer holds: one may be the video.
fn unreadable_result(job: &SubmittedJob, unread: &UnreadAnswer) -> AppError {
    let addresses = if unread.addresses.is_empty() {
        "none".to_string()
    } else {
        unread.addresses.join(" ")
    };
    AppError {
        may_be_billed: true,
        ..AppError::new(ErrorCode::UnexpectedResponse)
            .because("unreadable_result")
            .with_detail(format!(
                "job {}; web addresses in Segmind's answer: {addresses}",
                job.request_id
            ))
    }
}

fn no_video(job: &SubmittedJob) -> AppError {
    AppError::new(ErrorCode::UnexpectedResponse)
        .because("no_video")
        .with_detail(format!("job {}", job.request_id))
}
