//! A job's drive: from its record's status to the video in the library. It is
//! sent at most once, followed within one deadline, and its video downloaded at
//! once; every step is written to the record before the next one starts.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::watch;

use super::{disk_error, JobManager};
use crate::client::{RetryNotice, SegmindClient, SubmittedJob};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::jobs::library::{JobRecord, RecordStatus};
use crate::mutex::lock;
use crate::request::{FrameUrls, GenerationRequest};

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
    pub(super) async fn client_for(self: &Arc<Self>, id: &str) -> AppResult<SegmindClient> {
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
    pub(super) async fn wait_for_new_key(
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
        // Pictures go up first (free): a failed upload leaves the job waiting,
        // unsent, with nothing spent, for "Try again".
        let frames = match self.upload_frames(&client, &record.request).await {
            Ok(frames) => frames,
            Err(error) => {
                self.advance(&record.id, |r| r.error = Some(error.clone()))
                    .await?;
                return Err(error);
            }
        };
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
                    return Err(AppError::new(ErrorCode::Busy).because(Reason::NoLongerWaiting));
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
        match client.submit_with(&record.request, &frames).await {
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

    pub(super) async fn end(
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
}

/// How a job's drive ended, for the record.
pub(super) enum Next {
    /// Go on with the record's new status.
    Continue,
    /// Nothing more to do now.
    Done,
}

impl JobManager {
    /// Uploads a request's first and last frames from the library, answering
    /// their URLs (none for a video from text).
    async fn upload_frames(
        &self,
        client: &SegmindClient,
        request: &GenerationRequest,
    ) -> AppResult<FrameUrls> {
        Ok(FrameUrls {
            start: self
                .upload_frame(client, request.start_image.as_deref())
                .await?,
            end: self
                .upload_frame(client, request.end_image.as_deref())
                .await?,
        })
    }

    async fn upload_frame(
        &self,
        client: &SegmindClient,
        name: Option<&str>,
    ) -> AppResult<Option<String>> {
        let Some(name) = name else {
            return Ok(None);
        };
        let (bytes, format) = self.library.pictures().read(name)?;
        let url = client
            .upload_asset(&bytes, format.mime(), Arc::new(|_, _| {}))
            .await
            .map_err(|e| AppError {
                // Nothing is billed by an upload, whatever went wrong.
                may_be_billed: false,
                ..e.because(Reason::UploadPicture)
            })?;
        log::info!("picture {name} uploaded ({} bytes)", bytes.len());
        Ok(Some(url))
    }
}

/// Why a drive runs: a new attempt (a click, a start) or a planned later look,
/// which keeps the card's problem until it finds better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attempt {
    Fresh,
    LaterLook,
}

pub(super) fn no_video(job: &SubmittedJob) -> AppError {
    AppError::new(ErrorCode::UnexpectedResponse)
        .because(Reason::NoVideo)
        .with_detail(format!("job {}", job.request_id))
}
