//! Running jobs from the library: each job is driven from its record's status,
//! so a job picks up where it stopped after any crash or restart. A job is sent
//! at most once; a finished video is downloaded into the library at once, whether
//! or not a window is looking.
//!
//! This file is the manager: which job is driven, stop, resume and delete.
//! `drive` takes one job from its status to its video: it sends it once, hands
//! it to `follow` (asked after until its video is named) and to `download`.
//! `keeping` keeps changes whatever the disk does, `restart` reads again what an
//! earlier run left, `events` is what the window is told, `policy` how often
//! and how long a job is asked after; `library` holds the records and `slots`
//! the queue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Notify};

use crate::client::{ClientConfig, FileFetcher, SegmindClient};
use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::jobs::library::{JobRecord, Library, RecordStatus};
use crate::jobs::slots::{RateGate, Slots};
use crate::media_server::MediaServer;
use crate::mutex::lock;

mod download;
mod drive;
use drive::Attempt;
mod events;
mod follow;
mod keeping;
pub mod library;
mod policy;
mod restart;
pub mod slots;

use keeping::disk_error;

pub use events::{JobOnTheWire, JobView, Listener, StudioEvent, Subscriber};
pub use policy::PollPolicy;

#[derive(Default)]
struct Live {
    task: Option<tokio::task::AbortHandle>,
    received: Option<u64>,
    total: Option<u64>,
    trouble: Option<AppError>,
    /// "Try again" while the drive waits: it tries at once.
    nudge: Arc<Notify>,
    /// When a paid job left with a problem is looked at again (Unix ms).
    next_look_at_ms: Option<i64>,
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

    /// Where the webview shows a picture of the library from.
    pub fn picture_url(&self, file_name: &str) -> String {
        self.media.picture_url_for(file_name)
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The client the drives use now, if there is a key.
    pub fn client(&self) -> Option<SegmindClient> {
        self.client.borrow().clone()
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

    /// Tells the window a job's view changed without its record (a still was made).
    pub fn refresh(&self, id: &str) -> AppResult<JobView> {
        let record = self.library.get(id)?;
        self.announce(record.clone());
        Ok(self.view(record))
    }

    pub fn set_max_running(&self, cap: usize) {
        self.slots.set_cap(cap);
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

    pub fn active_count(&self) -> usize {
        self.library.count_where(|r| r.status.is_active())
    }

    /// Waits up to `limit` for every job being sent to get its answer (quitting
    /// must not cut a POST that Segmind may bill). Answers how many still are.
    pub async fn settle_sends(&self, limit: Duration) -> usize {
        // Under the lock that turns Waiting into Sending (`drive::submit`): a job is
        // either counted as sending below, or sees `closing` and stays unsent.
        self.library
            .while_writing(|| self.closing.store(true, Ordering::SeqCst));
        let mut changes = self.changes.subscribe();
        let until = tokio::time::Instant::now() + limit;
        loop {
            let sending = self
                .library
                .count_where(|r| r.status == RecordStatus::Sending);
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
                self.spawn(&record.id, Attempt::Fresh);
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

    /// Drives every unfinished job that is not driven yet, oldest first. Safe to call
    /// at any time: a job that has a drive (one being sent, say) is left to it.
    pub fn drive_all(self: &Arc<Self>) {
        let mut unfinished = self
            .library
            .list_where(|r| r.status.is_active() && r.status != RecordStatus::Sending);
        unfinished.sort_by_key(|r| r.created_at_ms);
        for record in unfinished {
            self.spawn(&record.id, Attempt::Fresh);
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
            // A job Segmind finished is the creator's to fetch; one it has, to follow.
            _ if r.is_fetchable() => {
                r.status = if r.output_url.is_some() {
                    RecordStatus::Downloading
                } else {
                    RecordStatus::Processing
                };
                r.error = None;
                Ok(true)
            }
            _ => Err(AppError::new(ErrorCode::JobNotFound).because(Reason::NothingToFetch)),
        })?;
        if let Some(record) = record {
            self.announce(record);
        }
        if !self.spawn(id, Attempt::Fresh) {
            let nudge = Arc::clone(&lock(&self.live).entry(id.to_string()).or_default().nudge);
            nudge.notify_one();
        }
        Ok(self.view(self.library.get(id)?))
    }

    /// Starts driving a job unless it is driven already: one drive per job, ever,
    /// so two never send, poll or write the same file at once.
    fn spawn(self: &Arc<Self>, id: &str, attempt: Attempt) -> bool {
        let mut live = lock(&self.live);
        let entry = live.entry(id.to_string()).or_default();
        if entry.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return false;
        }
        // A drive now replaces any look planned for later.
        entry.next_look_at_ms = None;
        let manager = Arc::clone(self);
        let job_id = id.to_string();
        let task = tokio::spawn(async move { manager.drive(&job_id, attempt).await });
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
            RecordStatus::Sending => Err(AppError::new(ErrorCode::Busy).because(Reason::BeingSent)),
            RecordStatus::Downloading if !deleting => {
                Err(AppError::new(ErrorCode::Busy).because(Reason::DownloadingPaid))
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
        if let Some(live) = lock(&self.live).get_mut(id) {
            live.next_look_at_ms = None;
            if let Some(task) = live.task.take() {
                task.abort();
            }
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
}
