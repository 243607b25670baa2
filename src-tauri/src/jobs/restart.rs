//! At start, before any drive: what an earlier run left is read again. A job
//! found mid-send may have been billed and is never sent again; a finished
//! job's answer that an older version could not read is read again.

use super::JobManager;
use crate::error::{AppError, ErrorCode, Reason};
use crate::jobs::library::{JobRecord, RecordStatus};

impl JobManager {
    /// At start, before any drive: a job found mid-send may have been billed, and
    /// is never sent again.
    pub fn recover_interrupted(&self) {
        for record in self
            .library
            .list_where(|r| r.status == RecordStatus::Sending)
        {
            log::warn!(
                "job {}: found being sent at start; may have been billed, never re-sent",
                record.id
            );
            let unknown = |r: &mut JobRecord| {
                r.status = RecordStatus::Unknown;
                r.error = Some(AppError {
                    may_be_billed: true,
                    ..AppError::new(ErrorCode::Timeout).because(Reason::ClosedWhileSending)
                });
            };
            // A disk that refuses: memory says so, and the saver writes it later.
            if let Ok((record, _)) = self.library.update_or_remember(&record.id, unknown) {
                self.announce(record);
            }
        }
    }

    /// At start: a finished job whose kept answer this version can read now (a
    /// newer version reads more shapes) goes on to its download.
    pub fn reread_kept_answers(&self) {
        for record in self.library.list_where(|r| r.unread_answer.is_some()) {
            let Some(unread) = &record.unread_answer else {
                continue;
            };
            if record.output_url.is_some() || !(record.status.is_active() || record.is_fetchable())
            {
                continue;
            }
            let Some(url) = serde_json::from_str(&unread.answer)
                .ok()
                .map(crate::client::JobOutput::read)
                .and_then(|output| output.video_url().map(str::to_string))
            else {
                continue;
            };
            log::info!("job {}: its kept answer reads now; downloading", record.id);
            let stored = self.library.update(&record.id, |r| {
                r.status = RecordStatus::Downloading;
                r.output_url = Some(url.clone());
                r.unread_answer = None;
                r.error = None;
            });
            match stored {
                Ok(record) => self.announce(record),
                Err(error) => log::warn!(
                    "job {}: kept answer read, not recorded: {}",
                    record.id,
                    crate::logging::error_line(&error)
                ),
            }
        }
    }
}
