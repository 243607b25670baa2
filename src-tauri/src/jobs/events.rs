//! What the window is told: a job as it is now (its view), the events that carry
//! it, who listens, and the line of waiting jobs told only where it moved.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use super::JobManager;
use crate::client::Metrics;
use crate::error::{AppError, Billing};
use crate::jobs::library::{EstimateMiss, JobRecord, RecordStatus, Take};
use crate::mutex::lock;
use crate::request::GenerationRequest;

/// What the window is told: a job as it is now. It reaches the page as
/// `JobOnTheWire`: what the page shows and may do, not the record on disk (no
/// Segmind addresses, no fields a newer version wrote).
#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub record: JobRecord,
    pub video_url: Option<String>,
    pub still_url: Option<String>,
    pub first_frame_url: Option<String>,
    pub received: Option<u64>,
    pub total: Option<u64>,
    pub waiting_until_ms: Option<i64>,
    pub queue_position: Option<usize>,
    pub trouble: Option<AppError>,
    pub next_look_at_ms: Option<i64>,
    pub active: bool,
    pub resumable: bool,
    pub stoppable: bool,
    pub fetchable: bool,
    pub billing: Option<Billing>,
}

impl Serialize for JobView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        JobOnTheWire::from(self).serialize(serializer)
    }
}

/// A job as the page receives it (`JobView` in ui/contract.d.ts), borrowed
/// from the view as it is sent.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "JobView"))]
#[serde(rename_all = "camelCase")]
pub struct JobOnTheWire<'a> {
    id: &'a str,
    created_at_ms: i64,
    updated_at_ms: i64,
    request: &'a GenerationRequest,
    status: RecordStatus,
    /// One of several takes of the same request: which set, which one.
    take: Option<&'a Take>,
    /// The creator chose this take among its set ("Keep").
    kept: bool,
    /// Segmind billed quite another sum than the estimate (`JobRecord::estimate_miss`).
    estimate_miss: Option<EstimateMiss>,
    /// What Segmind said it cost, once it said.
    metrics: Option<&'a Metrics>,
    /// The problem it stopped on.
    error: Option<&'a AppError>,
    /// Size of the finished video in the library, once it is there.
    bytes: Option<u64>,
    /// Where the app last saved a copy of it, by itself or by Save.
    saved_to: Option<&'a std::path::PathBuf>,
    /// Where the preview plays the video from, once it is in the library.
    video_url: Option<&'a str>,
    /// The video's still for the history's card, once one is made.
    still_url: Option<&'a str>,
    /// Where the picture it started from shows from (image to video).
    first_frame_url: Option<&'a str>,
    /// Download progress in bytes, while downloading.
    received: Option<u64>,
    total: Option<u64>,
    /// Segmind asked us to slow down: submissions wait until then (Unix ms).
    waiting_until_ms: Option<i64>,
    /// Place in the line of jobs waiting for a free slot (1 = next).
    queue_position: Option<usize>,
    /// A passing problem the app is riding out by itself (no click needed).
    trouble: Option<&'a AppError>,
    /// A paid job left with a problem is looked at again then, by itself (Unix ms).
    next_look_at_ms: Option<i64>,
    /// The app still has work to do for it (`RecordStatus::is_active`).
    active: bool,
    /// It stopped on a problem and "Try again" goes on where it was
    /// (`JobRecord::is_resumable`).
    resumable: bool,
    /// "Stop following" applies (`JobRecord::is_stoppable`).
    stoppable: bool,
    /// "Fetch it after all" applies (`JobRecord::is_fetchable`). The page asks
    /// these four, never the statuses, for what a job may do.
    fetchable: bool,
    /// What its problem means for the creator's money (`JobRecord::billing`).
    billing: Option<Billing>,
}

impl<'a> From<&'a JobView> for JobOnTheWire<'a> {
    fn from(view: &'a JobView) -> Self {
        let record = &view.record;
        Self {
            id: &record.id,
            created_at_ms: record.created_at_ms,
            updated_at_ms: record.updated_at_ms,
            request: &record.request,
            status: record.status,
            take: record.take.as_ref(),
            kept: record.kept,
            estimate_miss: record.estimate_miss(),
            metrics: record.metrics.as_ref(),
            error: record.error.as_ref(),
            bytes: record.bytes,
            saved_to: record.saved_to.as_ref(),
            video_url: view.video_url.as_deref(),
            still_url: view.still_url.as_deref(),
            first_frame_url: view.first_frame_url.as_deref(),
            received: view.received,
            total: view.total,
            waiting_until_ms: view.waiting_until_ms,
            queue_position: view.queue_position,
            trouble: view.trouble.as_ref(),
            next_look_at_ms: view.next_look_at_ms,
            active: view.active,
            resumable: view.resumable,
            stoppable: view.stoppable,
            fetchable: view.fetchable,
            billing: view.billing,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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
    /// The window was asked to close while videos or voices are being made.
    CloseRequested {
        active_jobs: usize,
        voices_being_made: usize,
    },
    /// A voice was made, or changed (being made, ready, failed, renamed).
    Voice {
        voice: Box<crate::voices::VoiceView>,
    },
    VoiceDeleted {
        id: String,
    },
    /// The app menu's Settings… (⌘, or Ctrl+,): the page opens its Settings.
    SettingsAsked,
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

impl JobManager {
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

    pub fn view(&self, record: JobRecord) -> JobView {
        let live = lock(&self.live);
        let progress = live.get(&record.id);
        let downloading = record.status == RecordStatus::Downloading;
        let ready = record.status == RecordStatus::Ready;
        let video_url = ready.then(|| self.media.url_for(&format!("{}.mp4", record.id)));
        let still_url = (ready && self.library.still_path(&record.id).is_file())
            .then(|| self.media.url_for(&format!("{}.jpg", record.id)));
        let first_frame_url = record
            .request
            .start_image
            .as_deref()
            .filter(|name| crate::pictures::format_of(name).is_some())
            .map(|name| self.media.picture_url_for(name));
        JobView {
            video_url,
            still_url,
            first_frame_url,
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
            next_look_at_ms: progress
                .filter(|_| record.status.is_active())
                .and_then(|p| p.next_look_at_ms),
            active: record.status.is_active(),
            resumable: record.is_resumable(),
            stoppable: record.is_stoppable(),
            fetchable: record.is_fetchable(),
            billing: record.billing(),
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

    pub(super) fn announce(&self, record: JobRecord) {
        let job = Box::new(self.view(record));
        self.changes.send_replace(());
        self.publish(&StudioEvent::Job { job });
    }

    /// Tells the window of the waiting jobs whose place in line moved (one job,
    /// not the whole line: a line of 300 costs the same as a line of 3 per change).
    pub(super) fn announce_line(&self) {
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
}

/// A status change (and a new error) of a job, for the log.
pub(super) fn log_change(
    record: &JobRecord,
    before: RecordStatus,
    error_before: Option<&AppError>,
) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_carry_the_job_as_it_is_now() {
        let mut record = JobRecord::new(
            "j-1".into(),
            GenerationRequest {
                prompt: "p".into(),
                ..Default::default()
            },
        );
        record.request_id = Some("r-1".into());
        record.status_url = Some("https://api.segmind.com/v1/requests/r-1".into());
        record.sent_at_ms = Some(3);
        record.extra.insert("fromANewerVersion".into(), json!(true));
        let view = JobView {
            record,
            video_url: None,
            still_url: None,
            first_frame_url: None,
            received: Some(5),
            total: None,
            waiting_until_ms: None,
            queue_position: Some(1),
            trouble: None,
            next_look_at_ms: Some(7),
            active: true,
            resumable: false,
            stoppable: true,
            fetchable: false,
            billing: None,
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
        assert_eq!(value["job"]["nextLookAtMs"], 7);
        assert_eq!(value["job"]["active"], true);
        assert_eq!(value["job"]["resumable"], false);
        assert_eq!(value["job"]["billing"], serde_json::Value::Null);
        assert_eq!(value["job"]["request"]["duration"], "5");
        // The page gets its own fields, not the record on disk.
        let sent: Vec<&str> = value["job"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for kept_home in [
            "requestId",
            "statusUrl",
            "responseUrl",
            "outputUrl",
            "sentAtMs",
            "unreadAnswer",
            "fromANewerVersion",
        ] {
            assert!(
                !sent.contains(&kept_home),
                "{kept_home} reached the page: {sent:?}"
            );
        }
        let deleted = serde_json::to_value(StudioEvent::Deleted {
            job_id: "j-1".into(),
        })
        .unwrap();
        assert_eq!(deleted, json!({"kind": "deleted", "jobId": "j-1"}));
    }
}
