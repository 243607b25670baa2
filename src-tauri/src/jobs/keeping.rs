//! Changes of a job kept whatever the disk does: a drive's change is stored,
//! or, when the disk refuses it (full, read-only), kept in memory, said on the
//! card, and written again every few seconds until the disk takes it. A paid
//! job's request id is never dropped for a failed write.

use std::sync::Arc;

use super::events::log_change;
use super::{JobManager, JobView, SAVE_RETRY};
use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::jobs::library::JobRecord;

impl JobManager {
    /// A change made by a job's drive: only while the job is still active, so a
    /// job stopped meanwhile is never moved on (and never sent) by its drive.
    pub(super) fn advance_once(
        &self,
        id: &str,
        change: impl FnOnce(&mut JobRecord),
    ) -> AppResult<JobRecord> {
        let mut before = None;
        let record = self
            .library
            .try_update(id, |r| {
                if !r.status.is_active() {
                    return Err(AppError::new(ErrorCode::Busy).because(Reason::JobStopped));
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
    /// and every few seconds (`save_unsaved`). A paid job's request id is never dropped for a failed write.
    pub(super) async fn advance(
        &self,
        id: &str,
        change: impl Fn(&mut JobRecord),
    ) -> AppResult<JobRecord> {
        let outcome = self.advance_once(id, |r| {
            drop_disk_note(r);
            change(r);
        });
        match outcome {
            Err(error) if error.code == ErrorCode::Io => {
                let remembered = self.library.remember(id, |r| {
                    if !r.status.is_active() {
                        return Err(AppError::new(ErrorCode::Busy).because(Reason::JobStopped));
                    }
                    drop_disk_note(r);
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

    pub(super) fn save_unsaved(&self) {
        for record in self.library.store_unsaved(drop_disk_note) {
            self.announce(record);
        }
    }

    /// Changes a job's record from outside its drive (where a copy of its video was
    /// saved) and tells the window. A change the disk had refused is stored with
    /// it, so the job's "library not writable" note goes too, as when the saver
    /// stores it.
    pub fn amend(&self, id: &str, change: impl FnOnce(&mut JobRecord)) -> AppResult<JobView> {
        let record = self.library.update(id, |r| {
            change(r);
            drop_disk_note(r);
        })?;
        self.announce(record.clone());
        Ok(self.view(record))
    }
}

/// Once a record is on disk, the note that the disk refused it is no longer true.
fn drop_disk_note(record: &mut JobRecord) {
    if record.error.as_ref().is_some_and(is_disk_error) {
        record.error = None;
    }
}

pub(super) fn is_disk_error(error: &AppError) -> bool {
    error.code == ErrorCode::LibraryNotWritable
}

pub(super) fn disk_error(cause: &AppError) -> AppError {
    AppError::new(ErrorCode::LibraryNotWritable).with_detail(
        cause
            .detail
            .clone()
            .unwrap_or_else(|| cause.to_string().into()),
    )
}
