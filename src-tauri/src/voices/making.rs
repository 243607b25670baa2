//! Making a voice, step by step: upload the staged clip (free), record the voice,
//! send the one paid create call, and follow it until the voice id arrives. The
//! same rules as videos: a create call that may have reached Segmind is never sent
//! again by itself, and the voice id is written down the moment it is known.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::client::{JobStatus, SegmindClient};
use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::voices::{VoiceBook, VoiceRecord, VoiceStatus};

/// What the dialog shows while a voice is made.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(
    tag = "phase",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum VoiceProgress {
    Uploading {
        sent: u64,
        total: u64,
    },
    /// The paid call is on its way, or Segmind is making the voice.
    Creating,
}

/// How often and how long a voice is asked after.
#[derive(Debug, Clone, Copy)]
pub struct VoicePolling {
    pub interval: Duration,
    /// The longest pause between two calls while Segmind or the network has trouble.
    pub max_pause: Duration,
    /// Segmind takes ~26 s; after this the voice waits for the next start.
    pub deadline: Duration,
}

/// A change the window is told of.
pub enum VoiceChange<'a> {
    Stored(&'a VoiceRecord),
    /// A record that surely cost nothing, gone.
    Forgotten(&'a str),
}

pub type VoiceChanged = Arc<dyn Fn(VoiceChange<'_>) + Send + Sync>;

/// Uploads a staged clip and sends the create call: answers the record, now being
/// made (`follow` waits for its id). On an error, the record (if one was made) says
/// where it stands.
pub async fn make(
    book: &VoiceBook,
    client: &SegmindClient,
    clip_id: &str,
    clip_name: &str,
    name: &str,
    progress: impl Fn(VoiceProgress) + Send + Sync + 'static,
    changed: VoiceChanged,
) -> AppResult<VoiceRecord> {
    let name = book.check_name(name, None)?;
    let (staged, bytes, info) = book.staged(clip_id)?;
    let progress = Arc::new(progress);
    let uploading = progress.clone();
    progress(VoiceProgress::Uploading {
        sent: 0,
        total: info.bytes,
    });
    let clip_url = client
        .upload_asset(
            &bytes,
            info.format.mime(),
            Arc::new(move |sent, total| uploading(VoiceProgress::Uploading { sent, total })),
        )
        .await
        .map_err(|e| {
            // Nothing was billed by an upload, whatever went wrong.
            let e = AppError {
                may_be_billed: false,
                ..e
            };
            if e.reason.is_none() {
                e.because(Reason::Upload)
            } else {
                e
            }
        })?;
    drop(bytes);
    log::info!("voice {name:?}: clip uploaded ({} bytes)", info.bytes);

    // Written before the paid call: a crash while it is on its way is then known.
    // The name is checked again: another voice may have taken it meanwhile.
    let name = book.check_name(&name, None)?;
    let mut record = VoiceBook::new_record(name, clip_name, &info);
    record.clip_url = Some(clip_url.clone());
    record.clip_file = book.keep_clip(&staged, &record.id, info.format)?;
    let record = book.put(record)?;
    changed(VoiceChange::Stored(&record));
    progress(VoiceProgress::Creating);

    let job = match client.create_voice(&clip_url).await {
        Ok(job) => {
            log::info!("voice {}: sent, request {}", record.id, job.request_id);
            job
        }
        Err(error) if !error.may_be_billed => {
            log::info!(
                "voice {}: refused, not billed: {}",
                record.id,
                crate::logging::error_line(&error)
            );
            // Surely not made: the clip goes back to the dialog, which can try again.
            let _ = std::fs::rename(book.dir().join(&record.clip_file), &staged);
            book.forget(&record.id);
            changed(VoiceChange::Forgotten(&record.id));
            return Err(error);
        }
        Err(error) => {
            log::warn!(
                "voice {}: {}",
                record.id,
                crate::logging::error_line(&error)
            );
            keep(book, &record.id, &changed, |r| {
                r.status = VoiceStatus::Failed;
                r.error = Some(error.clone());
            })?;
            return Err(error);
        }
    };
    keep(book, &record.id, &changed, |r| {
        r.status = VoiceStatus::Making;
        r.job = Some(job.clone());
    })
}

/// Changes a paid voice's record, kept in memory if the disk refuses (the next
/// write stores it), so nothing Segmind answered is dropped. A voice being made
/// cannot be deleted meanwhile (`VoiceBook::delete` refuses).
fn keep(
    book: &VoiceBook,
    id: &str,
    changed: &VoiceChanged,
    change: impl Fn(&mut VoiceRecord),
) -> AppResult<VoiceRecord> {
    let (record, _) = book.update_or_remember(id, change)?;
    changed(VoiceChange::Stored(&record));
    Ok(record)
}

/// Asks Segmind after a voice being made until its id arrives, it fails, or the
/// deadline passes (the voice then stays "being made", asked again next start).
/// The status first, as for videos; the answer with the voice id once COMPLETED.
/// Trouble on the way (a 500, a 429, no network) is waited out, not final.
pub async fn follow(
    book: &VoiceBook,
    client: &SegmindClient,
    id: &str,
    polling: VoicePolling,
    changed: VoiceChanged,
) -> AppResult<VoiceRecord> {
    let record = book.get(id)?;
    let Some(job) = record
        .job
        .clone()
        .filter(|_| record.status == VoiceStatus::Making)
    else {
        return Ok(record);
    };
    let give_up = tokio::time::Instant::now() + polling.deadline;
    let mut pause = polling.interval;
    loop {
        tokio::time::sleep(pause).await;
        let outcome = match client.status(&job).await {
            Ok(report) if report.status == JobStatus::Completed => {
                client.voice_result(&job).await.map(Some)
            }
            Ok(report) if report.status == JobStatus::Failed => {
                Err(AppError::new(ErrorCode::JobFailed))
            }
            Ok(_) => Ok(None),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(Some(answer)) => {
                let cost = answer.metrics.and_then(|m| m.cost);
                let Some(voice_id) = answer.voice_id else {
                    // Done and paid, but the id is not where the contract says.
                    let error = AppError {
                        may_be_billed: true,
                        ..AppError::new(ErrorCode::UnexpectedResponse).because(Reason::NoVoiceId)
                    };
                    keep(book, id, &changed, |r| {
                        r.status = VoiceStatus::Failed;
                        r.error = Some(error.clone());
                        r.cost = cost;
                    })?;
                    return Err(error);
                };
                log::info!("voice {id}: ready");
                return keep(book, id, &changed, |r| {
                    r.status = VoiceStatus::Ready;
                    r.voice_id = Some(voice_id.clone());
                    r.cost = cost;
                    r.error = None;
                });
            }
            Ok(None) => pause = polling.interval,
            Err(error) if matches!(error.code, ErrorCode::JobFailed | ErrorCode::JobExpired) => {
                // Segmind does not bill a voice it could not make; a forgotten job
                // may have been made and billed.
                let error = AppError {
                    may_be_billed: error.code == ErrorCode::JobExpired,
                    ..error
                };
                log::warn!("voice {id}: {}", crate::logging::error_line(&error));
                keep(book, id, &changed, |r| {
                    r.status = VoiceStatus::Failed;
                    r.error = Some(error.clone());
                })?;
                return Err(error);
            }
            Err(error) => {
                log::warn!(
                    "voice {id}: riding out {}",
                    crate::logging::error_line(&error)
                );
                pause = (pause * 2).min(polling.max_pause);
            }
        }
        if tokio::time::Instant::now() >= give_up {
            return Err(AppError {
                may_be_billed: true,
                ..AppError::new(ErrorCode::Timeout).because(Reason::VoiceStillMaking)
            });
        }
    }
}

/// A voice found "sending" at start-up: the app stopped while its paid call was on
/// the way, so Segmind may have made (and billed) it, with no id to ask after.
pub fn recover_interrupted(book: &VoiceBook) {
    for record in book.list_where(|r| r.status == VoiceStatus::Sending) {
        log::warn!(
            "voice {}: found being sent at start; may have been billed",
            record.id
        );
        // A disk that refuses: memory says so, and the next write stores it.
        let marked = book.update_or_remember(&record.id, |r| {
            r.status = VoiceStatus::Failed;
            r.error = Some(AppError {
                may_be_billed: true,
                ..AppError::new(ErrorCode::Network).because(Reason::Interrupted)
            });
        });
        if let Err(error) = marked {
            log::error!(
                "voice {}: could not be marked: {}",
                record.id,
                crate::logging::error_line(&error)
            );
        }
    }
}

/// The voices still being made, to follow again at start-up.
pub fn being_made(book: &VoiceBook) -> Vec<String> {
    book.list_where(|r| r.status == VoiceStatus::Making && r.job.is_some())
        .into_iter()
        .map(|r| r.id)
        .collect()
}
