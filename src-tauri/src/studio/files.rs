//! A finished video as a file: saved to the output folder or "Save as…", its
//! still kept beside it, and shown in the system's file manager.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, TimeZone};

use super::Studio;
use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::jobs::library::RecordStatus;
use crate::jobs::JobView;
use crate::mutex::lock;
use crate::save;

/// A still is a small JPEG (a card shows it at 128 px wide): far below this.
const MAX_STILL_BYTES: usize = 512 * 1024;

impl Studio {
    /// The finished video of a job in the library, with what names it.
    pub(super) fn video_of(&self, job_id: &str) -> AppResult<(PathBuf, String, DateTime<Local>)> {
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
    pub fn save_video(&self, job_id: &str, dir: Option<&Path>) -> AppResult<PathBuf> {
        let (video, prompt, created) = self.video_of(job_id)?;
        let dir = dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.load_settings().output_dir);
        self.refuse_library_destination(&dir.join("video.mp4"))?;
        let path = save::copy_without_overwrite(&video, &dir, &save::file_name(&prompt, created))
            .map_err(|e| {
            AppError::io(Reason::SaveVideo, &e).with("path", dir.display().to_string())
        })?;
        lock(&self.saved).insert(path.clone());
        Ok(path)
    }

    /// Copies a job's video to exactly `path` (a "Save as…" choice, which the OS
    /// dialog has already confirmed if it replaces a file).
    pub fn save_video_to(&self, job_id: &str, path: &Path) -> AppResult<PathBuf> {
        let (video, _, _) = self.video_of(job_id)?;
        self.refuse_library_destination(path)?;
        save::copy_replacing(&video, path).map_err(|e| {
            AppError::io(Reason::SaveVideoAs, &e).with("path", path.display().to_string())
        })?;
        lock(&self.saved).insert(path.to_path_buf());
        Ok(path.to_path_buf())
    }

    /// The library keeps its own files: a copy onto one of them would empty it (a
    /// file copied onto itself) or replace another job's video.
    pub(super) fn refuse_library_destination(&self, path: &Path) -> AppResult<()> {
        let inside = |dir: &Path| {
            let library = std::fs::canonicalize(&self.paths.library_dir)
                .unwrap_or_else(|_| self.paths.library_dir.clone());
            std::fs::canonicalize(dir).is_ok_and(|d| d.starts_with(&library))
        };
        if path.parent().is_some_and(inside) {
            return Err(AppError::new(ErrorCode::Io)
                .because(Reason::OutsideLibrary)
                .with_detail(path.display().to_string()));
        }
        Ok(())
    }

    /// Keeps the still the page drew from a finished video (a JPEG of a few dozen
    /// KB), beside the video in the library; deleted with it.
    pub fn save_still(&self, job_id: &str, jpeg: &[u8]) -> AppResult<JobView> {
        self.video_of(job_id)?;
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
        let (_, prompt, created) = self.video_of(job_id)?;
        Ok(save::file_name(&prompt, created))
    }

    /// `path` if this session saved it, or a video of the library: the webview
    /// cannot make the app reveal arbitrary files.
    pub fn revealable(&self, path: &Path) -> AppResult<PathBuf> {
        let in_library = path.parent() == Some(self.jobs.library().videos_dir()) && path.is_file();
        if in_library || lock(&self.saved).contains(path) {
            return Ok(path.to_path_buf());
        }
        Err(AppError::new(ErrorCode::JobNotFound).because(Reason::SaveFirst))
    }
}

#[cfg(test)]
mod tests {
    use super::super::studio_for_tests;
    use super::*;

    #[tokio::test]
    async fn only_a_finished_video_is_saved_and_only_saved_files_are_shown() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        let missing = studio.save_video("no-such-job", None).unwrap_err();
        assert_eq!(missing.code, ErrorCode::JobNotFound);
        let elsewhere = dir.path().join("secret.txt");
        std::fs::write(&elsewhere, b"x").unwrap();
        let refused = studio.revealable(&elsewhere).unwrap_err();
        assert_eq!(refused.reason_name(), Some("save_first"));
    }

    #[tokio::test]
    async fn nothing_is_saved_into_the_library_itself() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        let inside = studio.jobs.library().videos_dir().join("other-job.mp4");
        let refused = studio.refuse_library_destination(&inside).unwrap_err();
        assert_eq!(refused.reason_name(), Some("outside_library"));
        let outside = dir.path().join("Videos/boat.mp4");
        std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
        studio.refuse_library_destination(&outside).unwrap();
    }
}
