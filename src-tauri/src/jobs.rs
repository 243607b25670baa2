//! Running jobs from the library: each job is driven from its record's status,
//! so a job picks up where it stopped after any crash or restart. A job is sent
//! at most once; a finished video is downloaded into the library at once, whether
//! or not a window is looking.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use tokio::sync::{watch, Notify};

use crate::client::{
    now_ms, ClientConfig, FileFetcher, JobStatus, Metrics, RetryNotice, SegmindClient, SubmittedJob,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::library::{JobRecord, Library, RecordStatus};
use crate::media_server::MediaServer;
use crate::slots::{RateGate, Slots};

#[derive(Debug, Clone)]
pub struct PollPolicy {
    /// The first pause between status calls; the contract asks for 2-5 s.
    pub interval: Duration,
    /// Pauses grow by a tenth each time up to this, to spare the plan's request rate.
    pub max_interval: Duration,
    /// Following ends here, never silently: the card says so. One clock per drive,
    /// for the status and the result calls together.
    pub deadline: Duration,
    /// After a failed call the pause doubles from `interval` up to this.
    pub max_retry_pause: Duration,
    /// How long a download keeps trying by itself (a Wi-Fi drop, a busy file host)
    /// before it asks for a click.
    pub download_patience: Duration,
    /// Segmind keeps a job about an hour after it ends: a 404 for a job sent less
    /// than this long ago is Segmind lagging, not forgetting, and is asked again.
    pub retention: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(3),
            max_interval: Duration::from_secs(10),
            deadline: Duration::from_secs(20 * 60),
            max_retry_pause: Duration::from_secs(30),
            download_patience: Duration::from_secs(10 * 60),
            retention: Duration::from_secs(70 * 60),
        }
    }
}

impl PollPolicy {
    /// The pause after `troubles` failed calls in a row.
    fn retry_pause(&self, troubles: u32) -> Duration {
        let factor = 2u32.saturating_pow(troubles.saturating_sub(1).min(16));
        self.interval
            .saturating_mul(factor)
            .min(self.max_retry_pause)
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
    /// The video's still for the history's card, once one is made.
    pub still_url: Option<String>,
    /// Download progress in bytes, while downloading.
    pub received: Option<u64>,
    pub total: Option<u64>,
    /// Segmind asked us to slow down: submissions wait until then (Unix ms).
    pub waiting_until_ms: Option<i64>,
    /// Place in the line of jobs waiting for a free slot (1 = next).
    pub queue_position: Option<usize>,
    /// A passing problem the app is riding out by itself (no click needed).
    pub trouble: Option<AppError>,
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
    /// A voice was made, or changed (being made, ready, failed, renamed).
    Voice {
        voice: Box<crate::voices::VoiceView>,
    },
    VoiceDeleted {
        id: String,
    },
}

/// Receives events; answers false once it is gone, and is then dropped.
pub type Subscriber = Arc<dyn Fn(&StudioEvent) -> bool + Send + Sync>;

/// Who listens: a page (which can answer the close question) or the desktop side
/// (the notifier), so that "is there a page to ask?" is asked, not guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Page,
    Desktop,
}

#[derive(Default)]
struct Live {
    task: Option<tokio::task::AbortHandle>,
    received: Option<u64>,
    total: Option<u64>,
    trouble: Option<AppError>,
    /// "Try again" while the drive waits: it tries at once.
    nudge: Arc<Notify>,
}

pub struct JobManager {
    library: Library,
    media: MediaServer,
    files: FileFetcher,
    /// The client with the key as it is now; `None` without a key. Every call of
    /// a drive takes it afresh, so a new key (or a removed one) applies at once.
    client: watch::Sender<Option<SegmindClient>>,
    slots: Arc<Slots>,
    gate: RateGate,
    poll: PollPolicy,
    subscribers: Mutex<Vec<(Listener, Subscriber)>>,
    live: Mutex<HashMap<String, Live>>,
    /// Bumped at every change of a job, for whoever waits for jobs to settle.
    changes: watch::Sender<()>,
    /// Places in line as last told to the window: only a job whose place moved is
    /// told again.
    told_places: Mutex<HashMap<String, usize>>,
    /// The app is quitting: nothing new is sent from now on.
    closing: AtomicBool,
}

/// How often changes the disk refused are written again.
const SAVE_RETRY: Duration = Duration::from_secs(2);

use crate::locks::lock;

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
}

impl JobManager {
    pub fn new(
        library: Library,
        media: MediaServer,
        config: &ClientConfig,
        max_running: usize,
        poll: PollPolicy,
    ) -> AppResult<Arc<Self>> {
        Ok(Arc::new(Self {
            library,
            media,
            files: FileFetcher::new(config)?,
            client: watch::Sender::new(None),
            slots: Slots::new(max_running),
            gate: RateGate::default(),
            poll,
            subscribers: Mutex::new(Vec::new()),
            live: Mutex::new(HashMap::new()),
            changes: watch::Sender::new(()),
            told_places: Mutex::new(HashMap::new()),
            closing: AtomicBool::new(false),
        }))
    }

    /// Where the webview's `<audio>` plays a voice's clip from.
    pub fn voice_clip_url(&self, file_name: &str) -> String {
        self.media.voice_url_for(file_name)
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The key changed (saved, or removed with `None`): every drive uses the new
    /// client from its next call on, and drives waiting for a key go on.
    pub fn set_client(&self, client: Option<SegmindClient>) {
        self.client.send_replace(client);
    }

    /// The key as the keychain has it now (read again at every Generate): a key
    /// changed outside the app applies from the next call; the same key wakes no one.
    pub fn offer_client(&self, client: SegmindClient) {
        self.client.send_if_modified(|current| {
            if current.as_ref().is_some_and(|c| c.same_key(&client)) {
                false
            } else {
                *current = Some(client);
                true
            }
        });
    }

    pub fn subscribe(&self, listener: Listener, subscriber: Subscriber) {
        lock(&self.subscribers).push((listener, subscriber));
    }

    /// Tells every subscriber; answers how many pages are still listening.
    /// Subscribers are called with no lock held: one may ask the main thread
    /// something while the main thread waits to publish (closing the window), and
    /// must not deadlock.
    pub fn publish(&self, event: &StudioEvent) -> usize {
        let subscribers = lock(&self.subscribers).clone();
        let mut gone = Vec::new();
        let mut pages = 0;
        for (listener, subscriber) in &subscribers {
            if !subscriber(event) {
                gone.push(Arc::clone(subscriber));
            } else if *listener == Listener::Page {
                pages += 1;
            }
        }
        if !gone.is_empty() {
            lock(&self.subscribers).retain(|(_, s)| !gone.iter().any(|g| Arc::ptr_eq(s, g)));
        }
        pages
    }

    /// Tells the window a job's view changed without its record (a still was made).
    pub fn refresh(&self, id: &str) -> AppResult<JobView> {
        let record = self.library.get(id)?;
        self.announce(record.clone());
        Ok(self.view(record))
    }

    pub fn set_max_running(&self, cap: usize) {
        self.slots.set_cap(cap);
    }

    pub fn view(&self, record: JobRecord) -> JobView {
        let live = lock(&self.live);
        let progress = live.get(&record.id);
        let downloading = record.status == RecordStatus::Downloading;
        let ready = record.status == RecordStatus::Ready;
        let video_url = ready.then(|| self.media.url_for(&format!("{}.mp4", record.id)));
        let still_url = (ready && self.library.still_path(&record.id).is_file())
            .then(|| self.media.url_for(&format!("{}.jpg", record.id)));
        JobView {
            video_url,
            still_url,
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
            trouble: progress
                .filter(|_| record.status.is_active())
                .and_then(|p| p.trouble.clone()),
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
        self.changes.send_replace(());
        self.publish(&StudioEvent::Job { job });
    }

    /// Tells the window of the waiting jobs whose place in line moved (one job,
    /// not the whole line: a line of 300 costs the same as a line of 3 per change).
    fn announce_line(&self) {
        let places: HashMap<String, usize> = self
            .slots
            .waiting()
            .into_iter()
            .enumerate()
            .map(|(index, id)| (id, index + 1))
            .collect();
        let moved: Vec<String> = {
            let mut told = lock(&self.told_places);
            let moved = places
                .iter()
                .filter(|(id, place)| told.get(*id) != Some(place))
                .map(|(id, _)| id.clone())
                .collect();
            *told = places;
            moved
        };
        for id in moved {
            if let Ok(record) = self.library.get(&id) {
                if record.status == RecordStatus::Waiting {
                    self.announce(record);
                }
            }
        }
    }

    /// Shows (or clears) a passing problem on a job's card.
    fn set_trouble(&self, id: &str, trouble: Option<AppError>) {
        if let Some(trouble) = &trouble {
            log::warn!(
                "job {id}: riding out {}",
                crate::logging::error_line(trouble)
            );
        }
        let changed = {
            let mut live = lock(&self.live);
            let entry = live.entry(id.to_string()).or_default();
            let changed = entry.trouble != trouble;
            entry.trouble = trouble;
            changed
        };
        if changed {
            if let Ok(record) = self.library.get(id) {
                self.announce(record);
            }
        }
    }

    /// Waits `pause`, or less if the creator says "Try again".
    async fn pause(&self, id: &str, pause: Duration) {
        let nudge = Arc::clone(&lock(&self.live).entry(id.to_string()).or_default().nudge);
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = nudge.notified() => {}
        }
    }

    /// A change made by a job's drive: only while the job is still active, so a
    /// job stopped meanwhile is never moved on (and never sent) by its drive.
    fn advance_once(&self, id: &str, change: impl FnOnce(&mut JobRecord)) -> AppResult<JobRecord> {
        let mut before = None;
        let record = self
            .library
            .try_update(id, |r| {
                if !r.status.is_active() {
                    return Err(AppError::new(ErrorCode::Busy).because("job_stopped"));
                }
                before = Some((r.status, r.error.clone()));
                change(r);
                Ok(true)
            })?
            .expect("an accepted change is stored");
        if let Some((status, error)) = before {
            log_change(&record, status, error.as_ref());
        }
        self.announce(record.clone());
        Ok(record)
    }

    /// A change made by a job's drive, kept whatever the disk does: when the record
    /// cannot be written (disk full), the change lives in memory, the job goes on,
    /// the card says why, and the write is tried again at the drive's next step
    /// (`store_unsaved`). A paid job's request id is never dropped for a failed write.
    async fn advance(&self, id: &str, change: impl Fn(&mut JobRecord)) -> AppResult<JobRecord> {
        let outcome = self.advance_once(id, |r| {
            if r.error.as_ref().is_some_and(is_disk_error) {
                r.error = None;
            }
            change(r);
        });
        match outcome {
            Err(error) if error.code == ErrorCode::Io => {
                let remembered = self.library.remember(id, |r| {
                    if !r.status.is_active() {
                        return Err(AppError::new(ErrorCode::Busy).because("job_stopped"));
                    }
                    if r.error.as_ref().is_some_and(is_disk_error) {
                        r.error = None;
                    }
                    change(r);
                    if r.error.is_none() {
                        r.error = Some(disk_error(&error));
                    }
                    Ok(())
                })?;
                self.announce(remembered.clone());
                Ok(remembered)
            }
            other => other,
        }
    }

    /// Writes, every few seconds, the changes the disk refused, until it takes them,
    /// whether or not their job is still driven.
    pub fn keep_saving(self: &Arc<Self>) {
        let manager = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAVE_RETRY);
            loop {
                tick.tick().await;
                let Some(manager) = manager.upgrade() else {
                    return;
                };
                manager.save_unsaved();
            }
        });
    }

    fn save_unsaved(&self) {
        for id in self.library.unsaved() {
            let saved = self.library.update(&id, |r| {
                if r.error.as_ref().is_some_and(is_disk_error) {
                    r.error = None;
                }
            });
            if let Ok(record) = saved {
                self.announce(record);
            }
        }
    }

    pub fn active_count(&self) -> usize {
        self.library
            .list()
            .iter()
            .filter(|r| r.status.is_active())
            .count()
    }

    /// Waits up to `limit` for every job being sent to get its answer (quitting
    /// must not cut a POST that Segmind may bill). Answers how many still are.
    pub async fn settle_sends(&self, limit: Duration) -> usize {
        self.closing.store(true, Ordering::SeqCst);
        let mut changes = self.changes.subscribe();
        let until = tokio::time::Instant::now() + limit;
        loop {
            let sending = self
                .library
                .list()
                .iter()
                .filter(|r| r.status == RecordStatus::Sending)
                .count();
            if sending == 0 {
                self.save_unsaved();
                return self.library.unsaved().len();
            }
            if tokio::time::timeout_at(until, changes.changed())
                .await
                .is_err()
            {
                return sending;
            }
        }
    }

    /// Records a new job (before anything is sent) and starts driving it.
    /// Records every job of one click, then starts them: a disk that refuses one
    /// leaves none recorded and none sent (a click is all or nothing).
    pub fn create(self: &Arc<Self>, records: Vec<JobRecord>) -> AppResult<Vec<JobView>> {
        let mut stored = Vec::with_capacity(records.len());
        for record in records {
            match self.library.put(record) {
                Ok(record) => stored.push(record),
                Err(error) => {
                    // Never left waiting: a waiting record is sent at the next start.
                    for record in &stored {
                        if self.library.delete(&record.id).is_err() {
                            if let Err(stop) = self
                                .library
                                .update(&record.id, |r| r.status = RecordStatus::Stopped)
                            {
                                log::error!(
                                    "job {}: neither deleted nor stopped after a failed click: {}",
                                    record.id,
                                    crate::logging::error_line(&stop)
                                );
                            }
                        }
                    }
                    return Err(error);
                }
            }
        }
        let views: Vec<JobView> = stored
            .into_iter()
            .map(|record| {
                log::info!(
                    "job {}: recorded, {} s, {}",
                    record.id,
                    record.request.duration,
                    crate::logging::preview(&record.request.prompt)
                );
                self.spawn(&record.id);
                self.view(record)
            })
            .collect();
        self.changes.send_replace(());
        for view in &views {
            self.publish(&StudioEvent::Job {
                job: Box::new(view.clone()),
            });
        }
        Ok(views)
    }

    /// At start, before any drive: a job found mid-send may have been billed, and
    /// is never sent again.
    pub fn recover_interrupted(&self) {
        for record in self.library.list() {
            if record.status != RecordStatus::Sending {
                continue;
            }
            log::warn!(
                "job {}: found being sent at start; may have been billed, never re-sent",
                record.id
            );
            let unknown = |r: &mut JobRecord| {
                r.status = RecordStatus::Unknown;
                r.error = Some(AppError {
                    may_be_billed: true,
                    ..AppError::new(ErrorCode::Timeout).because("closed_while_sending")
                });
            };
            // A disk that refuses: memory says so, and the saver writes it later.
            let stored = self.library.update(&record.id, unknown).or_else(|_| {
                self.library.remember(&record.id, |r| {
                    unknown(r);
                    Ok(())
                })
            });
            if let Ok(record) = stored {
                self.announce(record);
            }
        }
    }

    /// Drives every unfinished job that is not driven yet, oldest first. Safe to call
    /// at any time: a job that has a drive (one being sent, say) is left to it.
    pub fn drive_all(self: &Arc<Self>) {
        let mut unfinished: Vec<JobRecord> = self
            .library
            .list()
            .into_iter()
            .filter(|r| r.status.is_active() && r.status != RecordStatus::Sending)
            .collect();
        unfinished.sort_by_key(|r| r.created_at_ms);
        for record in unfinished {
            self.spawn(&record.id);
        }
    }

    /// Drives a job again: a download or a follow that paused with a problem, or a
    /// job the creator stopped following that Segmind has (its video is theirs).
    /// A job already driven tries its next call at once.
    pub fn resume(self: &Arc<Self>, id: &str) -> AppResult<JobView> {
        let record = self.library.try_update(id, |r| match r.status {
            RecordStatus::Queued
            | RecordStatus::Processing
            | RecordStatus::Downloading
            | RecordStatus::Waiting => Ok(false),
            // Stopped, or failed or expired by an older version's too-quick verdict:
            // a job Segmind finished is the creator's to fetch.
            RecordStatus::Stopped | RecordStatus::Failed | RecordStatus::Expired
                if r.output_url.is_some() =>
            {
                r.status = RecordStatus::Downloading;
                r.error = None;
                Ok(true)
            }
            RecordStatus::Stopped | RecordStatus::Expired if r.request_id.is_some() => {
                r.status = RecordStatus::Processing;
                r.error = None;
                Ok(true)
            }
            _ => Err(AppError::new(ErrorCode::JobNotFound).because("nothing_to_fetch")),
        })?;
        if let Some(record) = record {
            self.announce(record);
        }
        if !self.spawn(id) {
            let nudge = Arc::clone(&lock(&self.live).entry(id.to_string()).or_default().nudge);
            nudge.notify_one();
        }
        Ok(self.view(self.library.get(id)?))
    }

    /// Starts driving a job unless it is driven already: one drive per job, ever,
    /// so two never send, poll or write the same file at once.
    fn spawn(self: &Arc<Self>, id: &str) -> bool {
        let mut live = lock(&self.live);
        let entry = live.entry(id.to_string()).or_default();
        if entry.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return false;
        }
        let manager = Arc::clone(self);
        let job_id = id.to_string();
        let task = tokio::spawn(async move { manager.drive(&job_id).await });
        entry.task = Some(task.abort_handle());
        true
    }

    /// Stops following a job: nothing more is fetched. Segmind has no cancel, so a
    /// job it already has may still be billed. Refused while the job is being sent
    /// (cutting a POST short would lose the answer of a job Segmind may have billed)
    /// and while it downloads (the video is finished and paid for: it is kept).
    pub fn stop(&self, id: &str) -> AppResult<JobView> {
        self.halt(id, false)
    }

    fn halt(&self, id: &str, deleting: bool) -> AppResult<JobView> {
        let decide = |r: &mut JobRecord| match r.status {
            RecordStatus::Sending => Err(AppError::new(ErrorCode::Busy).because("being_sent")),
            RecordStatus::Downloading if !deleting => {
                Err(AppError::new(ErrorCode::Busy).because("downloading_paid"))
            }
            status if status.is_active() => {
                r.status = RecordStatus::Stopped;
                Ok(true)
            }
            _ => Ok(false),
        };
        let stopped = match self.library.try_update(id, decide) {
            // The disk refuses: the stop holds in memory (the drive ends now, so
            // nothing is sent), and the saver writes it when the disk allows.
            Err(error) if error.code == ErrorCode::Io => {
                Some(self.library.remember(id, |r| decide(r).map(drop))?)
            }
            other => other?,
        };
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
        self.halt(id, true)?;
        self.library.delete(id)?;
        lock(&self.live).remove(id);
        self.changes.send_replace(());
        self.publish(&StudioEvent::Deleted {
            job_id: id.to_string(),
        });
        Ok(())
    }

    async fn drive(self: &Arc<Self>, id: &str) {
        // Every error worth keeping is on the record; a failure to write the record
        // itself is retried by `advance`, and a job stopped meanwhile ends the drive.
        let Ok(first) = self.library.get(id) else {
            return;
        };
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
        log::info!("job {id}: drive starts ({:?})", first.status);
        // A new attempt: the last one's error is history.
        if self.advance(id, |r| r.error = None).await.is_ok() {
            let deadline = Instant::now() + self.poll.deadline;
            let mut rate_limited = 0;
            while let Ok(record) = self.library.get(id) {
                let step = match record.status {
                    RecordStatus::Waiting => self.submit(&record, &mut rate_limited).await,
                    RecordStatus::Queued | RecordStatus::Processing => {
                        self.follow(&record, deadline).await
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
    /// place, says why, and goes on by itself once a new key is saved.
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
        if self.closing.load(Ordering::SeqCst) {
            // Quitting: the job stays waiting, unsent, for the next start.
            std::future::pending::<()>().await;
        }
        // On disk before the POST: a crash from here on is never a silent re-send.
        // Only a waiting job is sent, so no second drive could ever send it too. A
        // disk that cannot take it holds the job back, unsent, until it can.
        let mut troubles = 0;
        loop {
            let sending = self.library.try_update(&record.id, |r| {
                if r.status != RecordStatus::Waiting {
                    return Err(AppError::new(ErrorCode::Busy).because("no_longer_waiting"));
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
    /// job, a job Segmind surely forgot, or the deadline end following; every other
    /// trouble (a 500, an unreadable answer, the network) is ridden out with growing
    /// pauses, and a refused key waits for a new one.
    async fn follow(self: &Arc<Self>, record: &JobRecord, deadline: Instant) -> AppResult<Next> {
        let job = SubmittedJob {
            request_id: record.request_id.clone().unwrap_or_default(),
            status_url: record.status_url.clone(),
            response_url: record.response_url.clone(),
        };
        let sent_at = record.sent_at_ms.unwrap_or(record.created_at_ms);
        let mut pause = self.poll.interval;
        let mut troubles = 0;
        let mut last_trouble: Option<AppError> = None;
        loop {
            if Instant::now() >= deadline {
                self.set_trouble(&record.id, None);
                let minutes = self.poll.deadline.as_secs() / 60;
                let error = AppError {
                    may_be_billed: true,
                    detail: last_trouble.as_ref().map(|e| e.to_string().into()),
                    ..AppError::new(ErrorCode::Timeout)
                        .because("follow_deadline")
                        .with("minutes", minutes)
                };
                // Left as it is, with its error: "Try again" goes on following it.
                self.advance(&record.id, |r| r.error = Some(error.clone()))
                    .await?;
                return Ok(Next::Done);
            }
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
                Err(error) => match error.code {
                    ErrorCode::JobFailed => {
                        self.set_trouble(&record.id, None);
                        return self.end(record, RecordStatus::Failed, error).await;
                    }
                    ErrorCode::JobExpired
                        if now_ms() - sent_at > self.poll.retention.as_millis() as i64 =>
                    {
                        self.set_trouble(&record.id, None);
                        return self.end(record, RecordStatus::Expired, error).await;
                    }
                    ErrorCode::Auth | ErrorCode::Forbidden => {
                        self.set_trouble(&record.id, None);
                        self.wait_for_new_key(&record.id, error, keys).await?;
                        pause = Duration::ZERO;
                    }
                    _ => {
                        troubles += 1;
                        pause = self.poll.retry_pause(troubles);
                        self.set_trouble(&record.id, Some(error.clone()));
                        last_trouble = Some(error);
                    }
                },
            }
        }
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
                        None => Err(no_video(job)),
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
        let started = Instant::now();
        let mut troubles = 0;
        loop {
            let outcome = self
                .files
                .download(&url, &target, &mut progress, &|_| {})
                .await;
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

/// A status change (and a new error) of a job, for the log.
fn log_change(record: &JobRecord, before: RecordStatus, error_before: Option<&AppError>) {
    if record.status != before {
        log::info!(
            "job {}: {:?} -> {:?}{}",
            record.id,
            before,
            record.status,
            record
                .request_id
                .as_deref()
                .map(|r| format!(" (request {r})"))
                .unwrap_or_default()
        );
    }
    if let Some(error) = record.error.as_ref().filter(|e| Some(*e) != error_before) {
        log::warn!("job {}: {}", record.id, crate::logging::error_line(error));
    }
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

fn no_video(job: &SubmittedJob) -> AppError {
    AppError::new(ErrorCode::UnexpectedResponse)
        .because("no_video")
        .with_detail(format!("job {}", job.request_id))
}

fn is_disk_error(error: &AppError) -> bool {
    error.code == ErrorCode::LibraryNotWritable
}

fn disk_error(cause: &AppError) -> AppError {
    AppError::new(ErrorCode::LibraryNotWritable).with_detail(
        cause
            .detail
            .clone()
            .unwrap_or_else(|| cause.to_string().into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::GenerationRequest;
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
            still_url: None,
            received: Some(5),
            total: None,
            waiting_until_ms: None,
            queue_position: Some(1),
            trouble: None,
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
