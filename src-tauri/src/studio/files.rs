//! A finished video as a file: saved into the output folder as it finishes (a
//! setting, on by default) or by Save, or "Save as…"; its still kept beside it;
//! its saved copy shown in the system's file manager.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Local, TimeZone};

use super::Studio;
use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::jobs::library::RecordStatus;
use crate::jobs::{JobManager, JobView, Listener, StudioEvent};
use crate::mutex::lock;
use crate::save;
use crate::settings::{Settings, SettingsFile};

/// A still is a small JPEG (a card shows it at 128 px wide): far below this.
const MAX_STILL_BYTES: usize = 512 * 1024;

/// What saving a finished video needs, shared by the commands (through `Studio`)
/// and by the saver that copies each video into the folder as it finishes.
#[derive(Clone)]
pub(super) struct VideoFiles {
    pub(super) jobs: Arc<JobManager>,
    pub(super) settings: Arc<SettingsFile>,
    pub(super) library_dir: PathBuf,
    pub(super) default_output_dir: PathBuf,
}

impl VideoFiles {
    /// The finished video of a job in the library, with what names it.
    fn video_of(&self, job_id: &str) -> AppResult<(PathBuf, String, DateTime<Local>)> {
        let record = self.jobs.library().get(job_id)?;
        let path = self.jobs.library().video_path(job_id);
        if record.status != RecordStatus::Ready || !path.is_file() {
            return Err(AppError::new(ErrorCode::JobNotFound)
                .because(Reason::NotReady)
                .with_detail(format!("job {job_id}")));
        }
        let created = Local
            .timestamp_millis_opt(record.created_at_ms)
            .single()
            .unwrap_or_else(Local::now);
        Ok((path, record.request.prompt, created))
    }

    /// Copies a job's video into `dir` (default: the output folder) under a new name.
    /// It copies from the library, so it works long after Segmind forgot the job.
    fn save_into_folder(&self, job_id: &str, dir: Option<&Path>) -> AppResult<PathBuf> {
        let (video, prompt, created) = self.video_of(job_id)?;
        let dir = dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| output_dir(&self.settings.load(), &self.default_output_dir));
        self.refuse_library_destination(&dir.join("video.mp4"))?;
        let path = save::copy_without_overwrite(&video, &dir, &save::file_name(&prompt, created))
            .map_err(|e| {
            AppError::io(Reason::SaveVideo, &e).with("path", dir.display().to_string())
        })?;
        self.note_saved(job_id, &path);
        Ok(path)
    }

    /// Copies a job's video to exactly `path` (a "Save as…" choice, which the OS
    /// dialog has already confirmed if it replaces a file).
    fn save_to(&self, job_id: &str, path: &Path) -> AppResult<PathBuf> {
        let (video, _, _) = self.video_of(job_id)?;
        self.refuse_library_destination(path)?;
        save::copy_replacing(&video, path).map_err(|e| {
            AppError::io(Reason::SaveVideoAs, &e).with("path", path.display().to_string())
        })?;
        self.note_saved(job_id, path);
        Ok(path.to_path_buf())
    }

    /// The job remembers its newest copy, and the window hears of it ("Saved to…",
    /// "Show file"). The copy is made either way: a record the disk refuses costs
    /// only the words, so it is logged, not reported as a failed save.
    fn note_saved(&self, job_id: &str, path: &Path) {
        let noted = self
            .jobs
            .amend(job_id, |r| r.saved_to = Some(path.to_path_buf()));
        if let Err(error) = noted {
            log::warn!("saved job {job_id}'s video, but its record does not say so: {error}");
        }
    }

    /// The copy "Show file" opens: the job's newest saved copy while it is still
    /// there, else a new one in the output folder.
    fn file_to_show(&self, job_id: &str) -> AppResult<PathBuf> {
        let record = self.jobs.library().get(job_id)?;
        match record.saved_to {
            Some(path) if path.is_file() => Ok(path),
            _ => self.save_into_folder(job_id, None),
        }
    }

    /// The library keeps its own files: a copy onto one of them would empty it (a
    /// file copied onto itself) or replace another job's video.
    fn refuse_library_destination(&self, path: &Path) -> AppResult<()> {
        let inside = |dir: &Path| {
            let library = std::fs::canonicalize(&self.library_dir)
                .unwrap_or_else(|_| self.library_dir.clone());
            std::fs::canonicalize(dir).is_ok_and(|d| d.starts_with(&library))
        };
        if path.parent().is_some_and(inside) {
            return Err(AppError::new(ErrorCode::Io)
                .because(Reason::OutsideLibrary)
                .with_detail(path.display().to_string()));
        }
        Ok(())
    }

    /// From now on, each video that finishes is copied into the output folder once,
    /// on a thread of its own (a 100 MB copy must not hold whoever announced it),
    /// while the setting is on. A copy that fails is logged: the video stays in the
    /// library and its Save button says what went wrong when pressed.
    ///
    /// "Finishes" is a ready record written since now: videos made before (by a
    /// version without this setting, or while it was off) are announced again when
    /// their still is made, and must not land in the folder unasked.
    pub(super) fn save_each_as_it_finishes(&self) {
        let files = self.clone();
        let since_ms = crate::clock::now_ms();
        let started: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
        self.jobs.subscribe(
            Listener::Desktop,
            Arc::new(move |event| {
                let StudioEvent::Job { job } = event else {
                    return true;
                };
                let record = &job.record;
                let finished = record.status == RecordStatus::Ready
                    && record.saved_to.is_none()
                    && record.updated_at_ms >= since_ms;
                // The setting is read here, before any thread: a small file, read
                // only as a video finishes.
                if finished
                    && files.settings.load().save_finished_videos.unwrap_or(true)
                    && lock(&started).insert(record.id.clone())
                {
                    let (files, id) = (files.clone(), record.id.clone());
                    std::thread::spawn(move || match files.save_into_folder(&id, None) {
                        Ok(path) => log::info!("job {id} saved to {}", path.display()),
                        Err(error) => log::warn!("job {id} not saved by itself: {error}"),
                    });
                }
                true
            }),
        );
    }
}

/// Save's folder: the creator's choice, else Videos/Kling Studio.
pub(super) fn output_dir(settings: &Settings, default: &Path) -> PathBuf {
    settings
        .output_dir
        .clone()
        .unwrap_or_else(|| default.to_path_buf())
}

impl Studio {
    pub fn save_video(&self, job_id: &str, dir: Option<&Path>) -> AppResult<PathBuf> {
        self.files.save_into_folder(job_id, dir)
    }

    pub fn save_video_to(&self, job_id: &str, path: &Path) -> AppResult<PathBuf> {
        self.files.save_to(job_id, path)
    }

    /// The saved copy "Show file" reveals in the system's file manager; saved first
    /// when there is none. The web view names a job, never a path: it cannot make
    /// the app reveal arbitrary files.
    pub fn video_file_to_show(&self, job_id: &str) -> AppResult<PathBuf> {
        self.files.file_to_show(job_id)
    }

    /// Keeps the still the page drew from a finished video (a JPEG of a few dozen
    /// KB), beside the video in the library; deleted with it.
    pub fn save_still(&self, job_id: &str, jpeg: &[u8]) -> AppResult<JobView> {
        self.files.video_of(job_id)?;
        let is_jpeg = jpeg.starts_with(&[0xFF, 0xD8, 0xFF]);
        if !is_jpeg || jpeg.len() > MAX_STILL_BYTES {
            return Err(AppError::new(ErrorCode::Internal)
                .because(Reason::StillNotKept)
                .with_detail(format!("{} bytes, JPEG: {is_jpeg}", jpeg.len())));
        }
        let path = self.jobs.library().still_path(job_id);
        crate::records::write_atomically(&path, jpeg)
            .map_err(|e| AppError::io(Reason::KeepStill, &e))?;
        self.jobs.refresh(job_id)
    }

    /// A suggested name for "Save as…".
    pub fn suggested_name(&self, job_id: &str) -> AppResult<String> {
        let (_, prompt, created) = self.files.video_of(job_id)?;
        Ok(save::file_name(&prompt, created))
    }

    /// Whether each finished video is saved into the output folder by itself.
    pub fn set_save_finished_videos(&self, on: bool) -> AppResult<bool> {
        self.settings
            .update(|s| s.save_finished_videos = Some(on))?;
        Ok(on)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::super::studio_for_tests;
    use super::*;
    use crate::jobs::library::JobRecord;
    use crate::request::GenerationRequest;

    /// A job as its download leaves it: ready, its video in the library, announced.
    fn finish(studio: &Studio, id: &str) {
        let library = studio.jobs.library();
        let request = GenerationRequest {
            prompt: "A boat at dusk".into(),
            ..Default::default()
        };
        let mut record = JobRecord::new(id.into(), request);
        record.status = RecordStatus::Ready;
        library.put(record).unwrap();
        std::fs::write(library.video_path(id), b"the video's bytes").unwrap();
        studio.jobs.refresh(id).unwrap();
    }

    /// Every saved copy the window hears of, in order.
    fn saved_copies(studio: &Studio) -> mpsc::Receiver<PathBuf> {
        let (tx, rx) = mpsc::channel();
        studio.observe_jobs(Arc::new(move |event| {
            if let StudioEvent::Job { job } = event {
                if let Some(path) = &job.record.saved_to {
                    let _ = tx.send(path.clone());
                }
            }
            true
        }));
        rx
    }

    fn files_in(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_finished_video_is_saved_into_the_folder_once_without_a_click() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        let copies = saved_copies(&studio);
        finish(&studio, "job-1");
        let saved = copies.recv_timeout(Duration::from_secs(10)).unwrap();
        let folder = dir.path().join("Videos/Kling Studio");
        assert_eq!(saved.parent(), Some(folder.as_path()));
        assert!(saved
            .file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with("-a-boat-at-dusk.mp4"));
        assert_eq!(std::fs::read(&saved).unwrap(), b"the video's bytes");
        let record = studio.jobs.library().get("job-1").unwrap();
        assert_eq!(
            record.saved_to.as_ref(),
            Some(&saved),
            "kept across restarts"
        );

        // Announced again (its still was made): the job already names its copy.
        studio.jobs.refresh("job-1").unwrap();
        assert_eq!(files_in(&folder), vec![saved.clone()]);
        // "Show file" shows that copy rather than making another.
        assert_eq!(studio.video_file_to_show("job-1").unwrap(), saved);

        // Moved away by the creator: "Show file" saves it again.
        std::fs::remove_file(&saved).unwrap();
        let again = studio.video_file_to_show("job-1").unwrap();
        assert_eq!(std::fs::read(&again).unwrap(), b"the video's bytes");
    }

    #[tokio::test]
    async fn a_video_finished_before_this_run_is_not_saved_when_announced_again() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        let library = studio.jobs.library();
        let mut record = JobRecord::new("old-job".into(), GenerationRequest::default());
        record.status = RecordStatus::Ready;
        library.put(record).unwrap();
        std::fs::write(library.video_path("old-job"), b"older bytes").unwrap();
        let written_at = library.get("old-job").unwrap().updated_at_ms;
        drop(studio);
        // The next run starts on a later millisecond, as any real one does.
        while crate::clock::now_ms() <= written_at {
            std::thread::yield_now();
        }
        // The next run makes its still: the job is announced again, unchanged.
        let studio = studio_for_tests(dir.path()).await;
        let copies = saved_copies(&studio);
        studio.jobs.refresh("old-job").unwrap();
        finish(&studio, "new-job");
        let saved = copies.recv_timeout(Duration::from_secs(10)).unwrap();
        let folder = dir.path().join("Videos/Kling Studio");
        assert_eq!(files_in(&folder), vec![saved], "only this run's video");
    }

    #[tokio::test]
    async fn with_the_setting_off_a_video_is_saved_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        assert!(!studio.set_save_finished_videos(false).unwrap());
        assert!(!studio.load_settings().save_finished_videos);
        finish(&studio, "job-2");
        let folder = dir.path().join("Videos/Kling Studio");
        assert!(studio
            .jobs
            .library()
            .get("job-2")
            .unwrap()
            .saved_to
            .is_none());
        let shown = studio.video_file_to_show("job-2").unwrap();
        assert_eq!(files_in(&folder), vec![shown.clone()]);
        let record = studio.jobs.library().get("job-2").unwrap();
        assert_eq!(record.saved_to, Some(shown));
    }

    #[tokio::test]
    async fn only_a_finished_video_is_saved_or_shown() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        let missing = studio.save_video("no-such-job", None).unwrap_err();
        assert_eq!(missing.code, ErrorCode::JobNotFound);
        let refused = studio.video_file_to_show("no-such-job").unwrap_err();
        assert_eq!(refused.code, ErrorCode::JobNotFound);
    }

    #[tokio::test]
    async fn nothing_is_saved_into_the_library_itself() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        let inside = studio.jobs.library().videos_dir().join("other-job.mp4");
        let refused = studio
            .files
            .refuse_library_destination(&inside)
            .unwrap_err();
        assert_eq!(refused.reason_name(), Some("outside_library"));
        let outside = dir.path().join("Videos/boat.mp4");
        std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
        studio.files.refuse_library_destination(&outside).unwrap();
    }
}
