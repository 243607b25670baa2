//! The job library: one JSON record per job in the app's data folder, written
//! atomically (temp file, fsync, rename) at every change of state. A crash at any
//! instant leaves every record readable; a record damaged by hand is set aside and
//! reported, and every other job is kept.
//!
//! A record is written *before* the POST (status `Sending`) and gets the
//! `request_id` the moment the answer arrives, so no restart can lose a job that
//! Segmind accepted, nor send one twice.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::client::Metrics;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult, Billing, CodeMoney, ErrorCode, Reason};
use crate::records::{Record, RecordStore};
use crate::request::GenerationRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Waiting for a free slot (the cap on jobs at once) or for a rate limit to lift.
    /// Nothing was sent: safe to send after a restart.
    Waiting,
    /// The POST is under way. Found like this after a crash, its outcome is unknown.
    Sending,
    /// The POST may have reached Segmind and may be billed; never sent again.
    Unknown,
    Queued,
    Processing,
    Downloading,
    Ready,
    Failed,
    /// Segmind forgot the job before its video was fetched.
    Expired,
    /// The creator stopped following it (or the deadline passed).
    Stopped,
    /// A status written by a newer version of the app. Never kept: `Library::open`
    /// reads such a job as the nearest status this version knows.
    #[serde(other)]
    Unrecognized,
}

impl RecordStatus {
    /// Whether the app still has work to do for this job.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::Waiting | Self::Sending | Self::Queued | Self::Processing | Self::Downloading
        )
    }
}

impl JobRecord {
    /// A job that stopped on a problem and goes on where it was at "Try again"
    /// (`JobManager::resume`). Never one caught while being sent: sending it
    /// again could pay twice.
    pub fn is_resumable(&self) -> bool {
        self.error.is_some()
            && matches!(
                self.status,
                RecordStatus::Waiting
                    | RecordStatus::Queued
                    | RecordStatus::Processing
                    | RecordStatus::Downloading
            )
    }

    /// "Stop following" applies (`JobManager::stop`): the app still works on it,
    /// and it is neither being sent (cutting the POST short could lose the answer
    /// of a paid job) nor downloading (the video is finished and paid for).
    pub fn is_stoppable(&self) -> bool {
        self.status.is_active()
            && !matches!(
                self.status,
                RecordStatus::Sending | RecordStatus::Downloading
            )
    }

    /// What this job's problem, or its stop, means for the creator's money
    /// (`None` when all is well): the page words it on the card and the stage.
    pub fn billing(&self) -> Option<Billing> {
        if self.status == RecordStatus::Stopped && self.error.is_none() {
            // No longer followed: Segmind may still make, and bill, what it accepted.
            return Some(if self.request_id.is_some() {
                Billing::MayBeBilled
            } else {
                Billing::NotBilled
            });
        }
        // A job ended by Segmind's word carries no error of its own: its status says it.
        let (money, may_be_billed) = match (&self.error, self.status) {
            (Some(error), _) => (error.code.money(), error.may_be_billed),
            (None, RecordStatus::Failed) => (CodeMoney::NotForFailures, false),
            (None, RecordStatus::Expired) => (CodeMoney::DependsOnTheJob, false),
            (None, RecordStatus::Unknown) => (CodeMoney::DependsOnTheJob, true),
            (None, _) => return None,
        };
        Some(if may_be_billed {
            Billing::MayBeBilled
        } else if money == CodeMoney::NotForFailures {
            Billing::NotBilledFailed
        } else if self.status == RecordStatus::Expired {
            // Forgotten by Segmind before the video came: it may have been made.
            Billing::MayBeBilled
        } else if self.request_id.is_some() {
            // Segmind accepted it: paid for if it goes on, else it may be.
            match (self.is_resumable(), money) {
                (true, _) => Billing::Accepted,
                (false, CodeMoney::Nothing) => Billing::Unsaid,
                (false, _) => Billing::MayBeBilled,
            }
        } else if money == CodeMoney::BesideThePoint {
            Billing::Unsaid
        } else {
            // Segmind never accepted it, and nothing says it reached them.
            Billing::NotBilled
        })
    }

    /// An ended job whose video Segmind may still hand over: "Fetch it after all"
    /// (`JobManager::resume`) downloads it, or follows the job again. Stopped by
    /// the creator, or failed or expired by an older version's too-quick verdict.
    pub fn is_fetchable(&self) -> bool {
        match self.status {
            RecordStatus::Stopped | RecordStatus::Failed | RecordStatus::Expired
                if self.output_url.is_some() =>
            {
                true
            }
            RecordStatus::Stopped | RecordStatus::Expired => self.request_id.is_some(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub request: GenerationRequest,
    pub status: RecordStatus,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub status_url: Option<String>,
    #[serde(default)]
    pub response_url: Option<String>,
    /// Where the finished video is downloaded from (kept to resume a download).
    #[serde(default)]
    pub output_url: Option<String>,
    #[serde(default)]
    pub metrics: Option<Metrics>,
    #[serde(default)]
    pub error: Option<AppError>,
    /// Size of the finished video in the library, once it is there.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// When Segmind accepted the job (Unix ms): a 404 soon after is Segmind lagging.
    #[serde(default)]
    pub sent_at_ms: Option<i64>,
    /// One of several takes of the same request ("Takes: 3", or "Another take"
    /// later): which set, which one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take: Option<Take>,
    /// The take the creator chose to keep among its set ("Keep"). A field of the
    /// record, not of `Take`, so an older version keeps it when it rewrites one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kept: bool,
    /// What the app estimated one video of this request would cost when it was
    /// asked for, so the result can say when Segmind billed quite another sum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_usd: Option<f64>,
    /// Segmind said the job was done, and its answer named no video this version
    /// can read: kept, so that a newer version reads it again at start and support
    /// can see it, with every web address it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_answer: Option<UnreadAnswer>,
    /// Where the app last saved a copy of the finished video (by itself as it
    /// finished, or by Save): "Show file" opens that folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<std::path::PathBuf>,
    /// Fields a newer version of the app wrote: kept as they are when rewritten.
    #[serde(flatten)]
    #[cfg_attr(test, ts(skip))]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A finished job's answer that named no video the app could read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UnreadAnswer {
    /// When it was first seen (Unix ms).
    pub first_seen_ms: i64,
    /// The answer as Segmind sent it, cut at `UNREAD_ANSWER_MAX` bytes.
    pub answer: String,
    /// Every web address in it: one of them may be the video.
    pub addresses: Vec<String>,
}

/// The most of an unread answer a record keeps.
pub const UNREAD_ANSWER_MAX: usize = 64 * 1024;

impl UnreadAnswer {
    pub fn keep(answer: &serde_json::Value, first_seen_ms: i64) -> Self {
        let mut text = answer.to_string();
        if text.len() > UNREAD_ANSWER_MAX {
            let mut end = UNREAD_ANSWER_MAX;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
        }
        Self {
            first_seen_ms,
            answer: text,
            addresses: crate::client::web_addresses(answer),
        }
    }
}

/// Takes of one request share a `set`; each is its own job, sent once. The set
/// grows with "Another take": `n` is the take's place in it and `of` how many
/// takes the set had when this record was last written (each member is told).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Take {
    pub set: String,
    pub n: u8,
    pub of: u8,
}

/// Estimates follow the creator's own bills once this many videos of a kind
/// were billed (`price::Rates`); a job's view says so when its bill missed.
pub const BILLS_TO_LEARN_FROM: usize = 3;

/// A bill quite unlike its estimate (off by more than a fifth, either way), so
/// the result says so, and says the estimate learns from the creator's bills.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct EstimateMiss {
    pub estimated: f64,
    pub billed: f64,
    /// Estimates follow the creator's own bills from this many videos of a kind.
    pub learns_after: u32,
}

impl JobRecord {
    /// What Segmind said the video cost, if it said.
    pub fn billed_usd(&self) -> Option<f64> {
        self.metrics
            .as_ref()
            .and_then(|m| m.cost)
            .filter(|c| c.is_finite() && *c >= 0.0)
    }

    pub fn estimate_miss(&self) -> Option<EstimateMiss> {
        let estimated = self.estimated_usd.filter(|e| e.is_finite() && *e > 0.0)?;
        let billed = self.billed_usd()?;
        ((billed - estimated).abs() > estimated / 5.0).then_some(EstimateMiss {
            estimated,
            billed,
            learns_after: BILLS_TO_LEARN_FROM as u32,
        })
    }

    pub fn new(id: String, request: GenerationRequest) -> Self {
        let now = now_ms();
        Self {
            id,
            created_at_ms: now,
            updated_at_ms: now,
            request,
            status: RecordStatus::Waiting,
            request_id: None,
            status_url: None,
            response_url: None,
            output_url: None,
            metrics: None,
            error: None,
            bytes: None,
            sent_at_ms: None,
            take: None,
            kept: false,
            estimated_usd: None,
            unread_answer: None,
            saved_to: None,
            extra: serde_json::Map::new(),
        }
    }
}

impl Record for JobRecord {
    const WRITE_ACTION: Reason = Reason::RecordJob;
    const DELETE_ACTION: Reason = Reason::DeleteJob;

    fn id(&self) -> &str {
        &self.id
    }

    fn created_at_ms(&self) -> i64 {
        self.created_at_ms
    }

    fn not_found(id: &str) -> AppError {
        AppError::new(ErrorCode::JobNotFound)
            .because(Reason::NotInLibrary)
            .with_detail(format!("job {id}"))
    }

    fn before_write(&mut self) {
        self.updated_at_ms = now_ms();
    }
}

/// The jobs' records (`jobs/<id>.json`), their videos and stills (`videos/`),
/// and the pictures they start and end on (`pictures/`).
pub struct Library {
    records: RecordStore<JobRecord>,
    videos_dir: PathBuf,
    pictures: crate::pictures::Pictures,
}

impl Library {
    /// Reads every record; unreadable ones are renamed `*.damaged` and listed.
    pub fn open(root: &Path) -> std::io::Result<Self> {
        let videos_dir = root.join("videos");
        fs::create_dir_all(&videos_dir)?;
        let records = RecordStore::open(&root.join("jobs"), |record: &mut JobRecord| {
            if record.status == RecordStatus::Unrecognized {
                record.status = nearest_known_status(record, &videos_dir);
            }
        })?;
        Ok(Self {
            records,
            videos_dir,
            pictures: crate::pictures::Pictures::open(root)?,
        })
    }

    pub fn pictures(&self) -> &crate::pictures::Pictures {
        &self.pictures
    }

    pub fn videos_dir(&self) -> &Path {
        &self.videos_dir
    }

    /// Where a job's finished video lives in the library.
    pub fn video_path(&self, id: &str) -> PathBuf {
        self.videos_dir.join(format!("{id}.mp4"))
    }

    /// Where a job's still (a small JPEG of one frame) lives, beside its video.
    pub fn still_path(&self, id: &str) -> PathBuf {
        self.videos_dir.join(format!("{id}.jpg"))
    }

    /// Removes a job's record, its video (whole or part-downloaded) and its still.
    pub fn delete(&self, id: &str) -> AppResult<()> {
        self.records.delete(id, Reason::DeleteVideo, |_| {
            Ok(vec![
                self.video_path(id),
                crate::client::part_path(&self.video_path(id)),
                self.still_path(id),
            ])
        })
    }
}

impl std::ops::Deref for Library {
    type Target = RecordStore<JobRecord>;

    /// `library.get(id)`, `library.update(…)`: the store's calls, on jobs.
    fn deref(&self) -> &Self::Target {
        &self.records
    }
}

/// What a job whose status a newer version wrote is, to this version: its video
/// is in the library, or is to be downloaded, or Segmind has it, or it may have
/// been sent. A paid job is never orphaned by a downgrade.
fn nearest_known_status(record: &JobRecord, videos_dir: &Path) -> RecordStatus {
    if videos_dir.join(format!("{}.mp4", record.id)).is_file() {
        RecordStatus::Ready
    } else if record.output_url.is_some() {
        RecordStatus::Downloading
    } else if record.request_id.is_some() {
        RecordStatus::Processing
    } else {
        RecordStatus::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, prompt: &str) -> JobRecord {
        JobRecord::new(
            id.into(),
            GenerationRequest {
                prompt: prompt.into(),
                ..Default::default()
            },
        )
    }

    #[test]
    fn only_a_job_stopped_on_a_problem_outside_the_send_is_resumable() {
        use RecordStatus::*;
        let problem = Some(AppError::new(ErrorCode::Network));
        for (status, error, resumable) in [
            (Waiting, problem.clone(), true),
            (Queued, problem.clone(), true),
            (Processing, problem.clone(), true),
            (Downloading, problem.clone(), true),
            (Processing, None, false),         // going on by itself
            (Sending, problem.clone(), false), // sending again could pay twice
            (Failed, problem.clone(), false),
            (Stopped, None, false),
            (Ready, None, false),
        ] {
            let mut job = record("j", "p");
            job.status = status;
            job.error = error;
            assert_eq!(job.is_resumable(), resumable, "{status:?}");
        }
    }

    #[test]
    fn the_money_verdict_follows_what_segmind_had_of_the_job() {
        use Billing::*;
        use RecordStatus::*;
        let error = |code| Some(AppError::new(code));
        let maybe = Some(AppError {
            may_be_billed: true,
            ..AppError::new(ErrorCode::Network)
        });
        for (status, accepted, problem, verdict) in [
            (Ready, true, None, None),
            (Stopped, true, None, Some(MayBeBilled)),
            (Stopped, false, None, Some(NotBilled)),
            (Processing, true, None, None),
            (Failed, true, None, Some(NotBilledFailed)),
            (
                Failed,
                true,
                error(ErrorCode::JobFailed),
                Some(NotBilledFailed),
            ),
            (Expired, true, None, Some(MayBeBilled)),
            (Unknown, false, None, Some(MayBeBilled)),
            (Sending, false, maybe.clone(), Some(MayBeBilled)),
            // Accepted and going on where it was at "Try again".
            (Processing, true, error(ErrorCode::Network), Some(Accepted)),
            (
                Downloading,
                true,
                error(ErrorCode::LinkExpired),
                Some(Accepted),
            ),
            // Accepted, then stopped on a problem: it may have been billed.
            (Stopped, true, error(ErrorCode::Timeout), Some(MayBeBilled)),
            (Stopped, true, error(ErrorCode::Auth), Some(Unsaid)),
            // Never accepted: nothing spent, unless money is beside the point.
            (Waiting, false, error(ErrorCode::Network), Some(NotBilled)),
            (Failed, false, error(ErrorCode::BadRequest), Some(NotBilled)),
            (Waiting, false, error(ErrorCode::Io), Some(Unsaid)),
        ] {
            let mut job = record("j", "p");
            job.status = status;
            job.request_id = accepted.then(|| "req".to_string());
            job.error = problem.clone();
            assert_eq!(job.billing(), verdict, "{status:?} {accepted} {problem:?}");
        }
    }

    #[test]
    fn stop_applies_to_work_in_progress_but_never_mid_send_or_download() {
        use RecordStatus::*;
        for (status, stoppable) in [
            (Waiting, true),
            (Queued, true),
            (Processing, true),
            (Sending, false),
            (Downloading, false),
            (Ready, false),
            (Stopped, false),
        ] {
            let mut job = record("j", "p");
            job.status = status;
            assert_eq!(job.is_stoppable(), stoppable, "{status:?}");
        }
    }

    #[test]
    fn an_ended_job_segmind_may_still_have_can_be_fetched() {
        use RecordStatus::*;
        for (status, request_id, output_url, fetchable) in [
            (Stopped, true, false, true),
            (Stopped, false, false, false), // never sent: nothing to fetch
            (Expired, true, false, true),
            (Failed, true, false, false), // Segmind said it failed
            (Failed, true, true, true),   // an older version's verdict, video known
            (Expired, false, true, true),
            (Ready, true, true, false),
            (Processing, true, false, false), // still followed
        ] {
            let mut job = record("j", "p");
            job.status = status;
            job.request_id = request_id.then(|| "req".to_string());
            job.output_url = output_url.then(|| "https://files.example/v.mp4".to_string());
            assert_eq!(
                job.is_fetchable(),
                fetchable,
                "{status:?} {request_id} {output_url}"
            );
        }
    }

    #[test]
    fn records_survive_a_reopen_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let library = Library::open(dir.path()).unwrap();
        library.put(record("a-1", "first")).unwrap();
        let mut second = record("b-2", "second");
        second.created_at_ms += 10;
        library.put(second).unwrap();
        library
            .update("a-1", |r| r.request_id = Some("req-1".into()))
            .unwrap();
        let reopened = Library::open(dir.path()).unwrap();
        let ids: Vec<String> = reopened.list().into_iter().map(|r| r.id).collect();
        assert_eq!(ids, ["b-2", "a-1"]);
        assert_eq!(
            reopened.get("a-1").unwrap().request_id.as_deref(),
            Some("req-1")
        );
        assert!(reopened.damaged().is_empty());
    }

    #[test]
    fn a_damaged_record_is_set_aside_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let library = Library::open(dir.path()).unwrap();
        library.put(record("good-1", "kept")).unwrap();
        library.put(record("bad-1", "damaged")).unwrap();
        let bad = dir.path().join("jobs/bad-1.json");
        let text = fs::read(&bad).unwrap();
        fs::write(&bad, &text[..text.len() / 2]).unwrap();
        fs::write(dir.path().join("jobs/zero-1.json"), b"").unwrap();
        let reopened = Library::open(dir.path()).unwrap();
        assert_eq!(reopened.list().len(), 1);
        assert_eq!(reopened.get("good-1").unwrap().request.prompt, "kept");
        assert_eq!(reopened.damaged().len(), 2);
        assert!(dir.path().join("jobs/bad-1.json.damaged").exists());
    }

    #[test]
    fn a_record_that_cannot_be_read_now_is_left_as_it_is_not_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        Library::open(dir.path()).unwrap();
        // A read that fails (here: a folder where a file should be), unlike a parse.
        let unreadable = dir.path().join("jobs/held-1.json");
        fs::create_dir(&unreadable).unwrap();
        let reopened = Library::open(dir.path()).unwrap();
        assert!(reopened.damaged().is_empty());
        assert!(unreadable.is_dir());
        assert!(!dir.path().join("jobs/held-1.json.damaged").exists());
    }

    #[test]
    fn delete_removes_the_record_and_the_video() {
        let dir = tempfile::tempdir().unwrap();
        let library = Library::open(dir.path()).unwrap();
        library.put(record("gone-1", "x")).unwrap();
        fs::write(library.video_path("gone-1"), b"video").unwrap();
        fs::write(library.still_path("gone-1"), b"still").unwrap();
        library.delete("gone-1").unwrap();
        assert!(!library.video_path("gone-1").exists());
        assert!(!library.still_path("gone-1").exists());
        assert!(library.get("gone-1").is_err());
        assert!(Library::open(dir.path()).unwrap().list().is_empty());
    }

    #[test]
    fn records_from_a_newer_version_are_read_forward_compatibly() {
        let dir = tempfile::tempdir().unwrap();
        let library = Library::open(dir.path()).unwrap();
        let mut paid = record("paid-1", "paid");
        paid.request_id = Some("req-1".into());
        library.put(paid).unwrap();
        library.put(record("unsent-1", "unsent")).unwrap();
        // A newer version wrote a status, an error code and a field this one lacks.
        for id in ["paid-1", "unsent-1"] {
            let path = dir.path().join(format!("jobs/{id}.json"));
            let mut value: serde_json::Value =
                serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
            value["status"] = "uploading_voice".into();
            value["takeGroup"] = "g-7".into();
            value["error"] = serde_json::json!({"code": "voice_gone", "message": "m",
                "detail": null, "retryAtMs": null, "mayBeBilled": false});
            fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
        }
        let reopened = Library::open(dir.path()).unwrap();
        assert!(reopened.damaged().is_empty(), "{:?}", reopened.damaged());
        assert_eq!(
            reopened.get("paid-1").unwrap().status,
            RecordStatus::Processing
        );
        assert_eq!(
            reopened.get("unsent-1").unwrap().status,
            RecordStatus::Unknown
        );
        reopened.update("paid-1", |r| r.bytes = Some(1)).unwrap();
        let text = fs::read_to_string(dir.path().join("jobs/paid-1.json")).unwrap();
        assert!(text.contains("\"takeGroup\": \"g-7\""), "{text}");
    }

    #[test]
    fn only_job_ids_become_file_names() {
        let dir = tempfile::tempdir().unwrap();
        let library = Library::open(dir.path()).unwrap();
        assert!(library.put(record("../escape", "x")).is_err());
    }

    #[test]
    fn a_bill_off_its_estimate_by_more_than_a_fifth_is_a_miss_either_way() {
        let with = |estimated: Option<f64>, cost: Option<f64>| {
            let mut r = record("a", "a fox");
            r.status = RecordStatus::Ready;
            r.metrics = Some(crate::client::Metrics {
                cost,
                ..Default::default()
            });
            r.estimated_usd = estimated;
            r.estimate_miss()
        };
        let miss = with(Some(1.68), Some(3.0)).expect("billed far more");
        assert_eq!(
            (miss.estimated, miss.billed, miss.learns_after),
            (1.68, 3.0, 3)
        );
        assert!(with(Some(3.0), Some(1.68)).is_some(), "billed far less");
        assert_eq!(with(Some(1.68), Some(2.0)), None, "within a fifth");
        assert_eq!(with(Some(1.68), Some(1.40)), None, "within a fifth");
        assert_eq!(
            with(None, Some(3.0)),
            None,
            "an older record: no estimate kept"
        );
        assert_eq!(with(Some(1.68), None), None, "no bill reported");
        assert_eq!(with(Some(0.0), Some(3.0)), None);
    }
}
