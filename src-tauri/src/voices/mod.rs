//! The creator's voices: one record each (`voices/<id>.json`, written atomically),
//! with a copy of the clip it was made from (`voices/<id>.<ext>`) to listen to
//! again. A clip chosen but not yet made into a voice waits in `voices/staged/`,
//! emptied at every start.

pub mod clip;
pub mod making;

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::client::SubmittedJob;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult, Billing, ErrorCode, FieldError, Reason, Rule};
use crate::records::{is_plain_id, write_atomically, Record, RecordStore};
use clip::{ClipFormat, ClipInfo, ClipProblem};

/// Kling's own API limits a voice name to this many characters.
pub const MAX_NAME_CHARS: usize = 20;
/// What Segmind charges to make a voice, for the dialog's "about" [doc: model directory].
pub const ESTIMATED_COST: f64 = 0.007;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum VoiceStatus {
    /// The create call is on its way: if the app stops now, it may have been billed.
    Sending,
    /// Segmind has the job; its voice id is still to come.
    Making,
    Ready,
    Failed,
    /// Written by a newer version: kept and shown, never driven.
    #[serde(other)]
    Unrecognized,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceRecord {
    pub id: String,
    pub name: String,
    pub status: VoiceStatus,
    /// Segmind's id, what `voice_ids` carries; set the moment it arrives.
    #[serde(default)]
    pub voice_id: Option<String>,
    /// The create-voice job, to follow it again after a restart.
    #[serde(default)]
    pub job: Option<SubmittedJob>,
    /// Where Segmind keeps the clip (a public asset URL, no key needed).
    #[serde(default)]
    pub clip_url: Option<String>,
    /// The copy of the clip in the voices folder.
    pub clip_file: String,
    /// The file name the creator chose it under.
    pub clip_name: String,
    pub clip_millis: u64,
    pub created_at_ms: i64,
    #[serde(default)]
    pub error: Option<AppError>,
    #[serde(default)]
    pub cost: Option<f64>,
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

/// A voice as the window shows it: no job or asset URL, and where to hear its clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VoiceView {
    pub id: String,
    pub name: String,
    pub status: VoiceStatus,
    pub voice_id: Option<String>,
    pub clip_name: String,
    pub clip_millis: u64,
    pub created_at_ms: i64,
    pub error: Option<AppError>,
    /// What its problem means for the creator's money (a voice has no card:
    /// the verdict of a paid call).
    pub billing: Option<Billing>,
    pub cost: Option<f64>,
    /// The clip on the app's loopback media server.
    pub listen_url: String,
}

impl VoiceView {
    pub fn of(record: &VoiceRecord, listen_url: String) -> Self {
        Self {
            id: record.id.clone(),
            name: record.name.clone(),
            status: record.status,
            voice_id: record.voice_id.clone(),
            clip_name: record.clip_name.clone(),
            clip_millis: record.clip_millis,
            created_at_ms: record.created_at_ms,
            error: record.error.clone(),
            billing: record
                .error
                .clone()
                .map(|error| error.in_a_paid_call().billing()),
            cost: record.cost,
            listen_url,
        }
    }
}

/// A clip that passed the checks, waiting for a name and a click.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StagedClip {
    pub clip_id: String,
    pub format: &'static str,
    pub millis: u64,
    pub bytes: u64,
}

impl Record for VoiceRecord {
    const WRITE_ACTION: Reason = Reason::RecordVoice;
    const DELETE_ACTION: Reason = Reason::DeleteVoice;

    fn id(&self) -> &str {
        &self.id
    }

    fn created_at_ms(&self) -> i64 {
        self.created_at_ms
    }

    fn not_found(_: &str) -> AppError {
        AppError::new(ErrorCode::VoiceNotFound)
    }
}

/// The voices' records (`voices/<id>.json`), their clips, and clips waiting to
/// become a voice (`voices/staged/`).
pub struct VoiceBook {
    records: RecordStore<VoiceRecord>,
    staged_dir: PathBuf,
}

/// Clips chosen and not (yet) made into a voice, kept at most: choosing another
/// file drops the oldest.
const MAX_STAGED: usize = 3;

/// The clip's problem as a field rule the form words, with the numbers it needs.
pub fn clip_error(problem: &ClipProblem) -> AppError {
    let seconds = |millis: u64| (millis as f64 / 100.0).round() / 10.0;
    let (rule, params) = match problem {
        ClipProblem::NotAudio => (Rule::ClipNotAudio, serde_json::json!({})),
        ClipProblem::Damaged => (Rule::ClipDamaged, serde_json::json!({})),
        ClipProblem::NoAudioTrack => (Rule::ClipNoSound, serde_json::json!({})),
        ClipProblem::TooShort { millis } => (
            Rule::ClipTooShort,
            serde_json::json!({ "min": clip::MIN_SECONDS, "seconds": seconds(*millis) }),
        ),
        ClipProblem::TooLong { millis } => (
            Rule::ClipTooLong,
            serde_json::json!({ "max": clip::MAX_SECONDS, "seconds": seconds(*millis) }),
        ),
        ClipProblem::TooLarge { bytes } => (
            Rule::ClipTooLarge,
            serde_json::json!({ "maxMb": clip::MAX_BYTES / (1024 * 1024), "bytes": bytes }),
        ),
    };
    AppError::invalid_request(vec![FieldError::new("voice_clip", rule, params)])
}

impl VoiceBook {
    /// Reads every record; unreadable ones are renamed `*.damaged` and listed.
    pub fn open(library_dir: &Path) -> std::io::Result<Self> {
        let dir = library_dir.join("voices");
        let staged_dir = dir.join("staged");
        // Clips chosen in an earlier run and never made into a voice.
        let _ = fs::remove_dir_all(&staged_dir);
        fs::create_dir_all(&staged_dir)?;
        Ok(Self {
            records: RecordStore::open(&dir, |_| {})?,
            staged_dir,
        })
    }

    /// Checks a chosen clip's bytes and keeps them for the create step. Nothing is
    /// sent: a clip that breaks a rule is refused here, naming the rule.
    pub fn stage(&self, bytes: &[u8]) -> AppResult<StagedClip> {
        let info = clip::inspect(bytes).map_err(|p| clip_error(&p))?;
        self.drop_old_staged();
        let clip_id = uuid::Uuid::new_v4().to_string();
        let path = self.staged_path(&clip_id, info.format);
        write_atomically(&path, bytes).map_err(|e| AppError::io(Reason::KeepClip, &e))?;
        Ok(StagedClip {
            clip_id,
            format: info.format.name(),
            millis: info.millis,
            bytes: info.bytes,
        })
    }

    fn drop_old_staged(&self) {
        let Ok(entries) = fs::read_dir(&self.staged_dir) else {
            return;
        };
        let mut staged: Vec<(std::time::SystemTime, PathBuf)> = entries
            .flatten()
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        staged.sort();
        let extra = (staged.len() + 1).saturating_sub(MAX_STAGED);
        for (_, path) in staged.into_iter().take(extra) {
            let _ = fs::remove_file(path);
        }
    }

    fn staged_path(&self, clip_id: &str, format: ClipFormat) -> PathBuf {
        self.staged_dir
            .join(format!("{clip_id}.{}", format.extension()))
    }

    /// A staged clip's bytes, checked again (the file could have been touched).
    pub fn staged(&self, clip_id: &str) -> AppResult<(PathBuf, Vec<u8>, ClipInfo)> {
        let gone = || AppError::new(ErrorCode::VoiceNotFound).because(Reason::ClipGone);
        if !is_plain_id(clip_id) {
            return Err(gone());
        }
        for format in [
            ClipFormat::Mp3,
            ClipFormat::Wav,
            ClipFormat::Mp4,
            ClipFormat::Mov,
        ] {
            let path = self.staged_path(clip_id, format);
            if let Ok(bytes) = fs::read(&path) {
                let info = clip::inspect(&bytes).map_err(|p| clip_error(&p))?;
                return Ok((path, bytes, info));
            }
        }
        Err(gone())
    }

    /// Moves a staged clip beside the voice's record; answers its file name.
    pub fn keep_clip(
        &self,
        staged: &Path,
        voice_id: &str,
        format: ClipFormat,
    ) -> AppResult<String> {
        let name = format!("{voice_id}.{}", format.extension());
        fs::rename(staged, self.dir().join(&name))
            .map_err(|e| AppError::io(Reason::KeepClip, &e))?;
        Ok(name)
    }

    /// The name, trimmed, if it follows the rules: given, at most 20 characters,
    /// not the name of another voice (case aside).
    pub fn check_name(&self, name: &str, except: Option<&str>) -> AppResult<String> {
        let name = name.trim();
        let count = name.chars().count();
        let problem = if name.is_empty() {
            Some((Rule::NameRequired, serde_json::json!({})))
        } else if count > MAX_NAME_CHARS {
            Some((
                Rule::TooLong,
                serde_json::json!({ "max": MAX_NAME_CHARS, "count": count }),
            ))
        } else if self
            .records
            .any(|v| Some(v.id.as_str()) != except && v.name.to_lowercase() == name.to_lowercase())
        {
            Some((Rule::NameTaken, serde_json::json!({})))
        } else {
            None
        };
        match problem {
            Some((rule, params)) => Err(AppError::invalid_request(vec![FieldError::new(
                "voice_name",
                rule,
                params,
            )])),
            None => Ok(name.to_string()),
        }
    }

    /// The voices whose paid create call is on its way or whose id is still to
    /// come: quitting asks first.
    pub fn being_made_count(&self) -> usize {
        self.records
            .count_where(|r| matches!(r.status, VoiceStatus::Sending | VoiceStatus::Making))
    }

    /// The voices whose paid create call is on its way.
    pub fn sending_count(&self) -> usize {
        self.records
            .count_where(|r| r.status == VoiceStatus::Sending)
    }

    pub fn rename(&self, id: &str, name: &str) -> AppResult<VoiceRecord> {
        let name = self.check_name(name, Some(id))?;
        self.update(id, |record| record.name = name)
    }

    /// Forgets a record that surely cost nothing (its create call was refused).
    pub fn forget(&self, id: &str) {
        let clip = |r: &VoiceRecord| Ok(vec![self.dir().join(&r.clip_file)]);
        let _ = self.records.delete(id, Reason::DeleteVoice, clip);
    }

    /// Removes a voice's record and its clip. Videos made with it keep their sound;
    /// Segmind keeps the voice itself (it has no delete call).
    pub fn delete(&self, id: &str) -> AppResult<()> {
        self.records.delete(id, Reason::DeleteVoice, |record| {
            if matches!(record.status, VoiceStatus::Sending | VoiceStatus::Making) {
                // Paid for, or about to be: its id is still to come and must be kept.
                return Err(AppError::new(ErrorCode::Busy).because(Reason::VoiceBeingMade));
            }
            let clip_is_its_own =
                is_plain_id(record.clip_file.split('.').next().unwrap_or_default());
            Ok(clip_is_its_own
                .then(|| self.dir().join(&record.clip_file))
                .into_iter()
                .collect())
        })
    }

    /// A new record for a clip about to be sent.
    pub fn new_record(name: String, clip_name: &str, info: &ClipInfo) -> VoiceRecord {
        let id = uuid::Uuid::new_v4().to_string();
        VoiceRecord {
            clip_file: format!("{id}.{}", info.format.extension()),
            id,
            name,
            status: VoiceStatus::Sending,
            voice_id: None,
            job: None,
            clip_url: None,
            clip_name: clip_name.chars().take(200).collect(),
            clip_millis: info.millis,
            created_at_ms: now_ms(),
            error: None,
            cost: None,
            unknown: serde_json::Map::new(),
        }
    }
}

impl std::ops::Deref for VoiceBook {
    type Target = RecordStore<VoiceRecord>;

    /// `book.get(id)`, `book.update(…)`: the store's calls, on voices. A change
    /// is read and written under the store's one lock, so a rename racing the
    /// arrival of the voice id never writes back a copy without the paid id.
    fn deref(&self) -> &Self::Target {
        &self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ClipInfo {
        ClipInfo {
            format: ClipFormat::Wav,
            millis: 6000,
            bytes: 96_044,
        }
    }

    #[test]
    fn records_survive_a_reopen_and_a_damaged_one_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let book = VoiceBook::open(dir.path()).unwrap();
        let mut record = VoiceBook::new_record("Anna".into(), "memo.wav", &info());
        record.status = VoiceStatus::Ready;
        record.voice_id = Some("829877809978941442".into());
        let stored = book.put(record).unwrap();
        fs::write(book.dir().join("broken.json"), b"{ not json").unwrap();

        let again = VoiceBook::open(dir.path()).unwrap();
        assert_eq!(again.list(), vec![stored]);
        assert_eq!(again.damaged().len(), 1);
        assert!(again.dir().join("broken.json.damaged").exists());
    }

    #[test]
    fn names_are_required_short_and_unique() {
        let dir = tempfile::tempdir().unwrap();
        let book = VoiceBook::open(dir.path()).unwrap();
        let anna = book
            .put(VoiceBook::new_record("Anna".into(), "a.wav", &info()))
            .unwrap();
        let rule = |result: AppResult<String>| result.unwrap_err().fields[0].rule.clone();
        assert_eq!(rule(book.check_name("   ", None)), "name_required");
        assert_eq!(rule(book.check_name(&"é".repeat(21), None)), "too_long");
        assert_eq!(
            book.check_name(&"é".repeat(20), None)
                .unwrap()
                .chars()
                .count(),
            20
        );
        assert_eq!(rule(book.check_name(" anna ", None)), "name_taken");
        assert_eq!(book.check_name("ANNA", Some(&anna.id)).unwrap(), "ANNA");
        assert_eq!(book.rename(&anna.id, " Ben ").unwrap().name, "Ben");
    }

    #[test]
    fn delete_removes_the_record_and_the_clip() {
        let dir = tempfile::tempdir().unwrap();
        let book = VoiceBook::open(dir.path()).unwrap();
        let mut ready = VoiceBook::new_record("Anna".into(), "a.wav", &info());
        ready.status = VoiceStatus::Ready;
        let record = book.put(ready).unwrap();
        fs::write(book.dir().join(&record.clip_file), b"RIFF").unwrap();
        book.delete(&record.id).unwrap();
        assert!(book.list().is_empty());
        // A voice being made is paid for (or about to be): it cannot be deleted.
        let mut making = VoiceBook::new_record("Ben".into(), "b.wav", &info());
        making.status = VoiceStatus::Making;
        let making = book.put(making).unwrap();
        assert_eq!(book.delete(&making.id).unwrap_err().code, ErrorCode::Busy);
        assert!(!book.dir().join(&record.clip_file).exists());
        assert!(!book.dir().join(format!("{}.json", record.id)).exists());
    }

    #[test]
    fn a_clip_that_breaks_a_rule_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let book = VoiceBook::open(dir.path()).unwrap();
        let err = book
            .stage(b"hello, this is a text file renamed .mp3")
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        assert_eq!(err.fields[0].field, "voice_clip");
        assert_eq!(err.fields[0].rule, "clip_not_audio");
    }
}
