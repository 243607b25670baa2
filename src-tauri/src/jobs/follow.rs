//! Following a job Segmind accepted, until its video is named: asked after
//! within one deadline, waiting out trouble on the way, and an answer this
//! version cannot read kept on the record, never taken for a failure.

use std::sync::Arc;
use std::time::Duration;

use super::drive::{Attempt, Next};
use super::JobManager;
use crate::client::{JobOutput, JobStatus, Metrics, SegmindClient, SubmittedJob};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::jobs::library::{JobRecord, RecordStatus, UnreadAnswer};

impl JobManager {
    /// Follows a job Segmind has until its video's address is known. Only a failed
    /// job, a job Segmind surely forgot, or the deadline (counted from when
    /// Segmind accepted the job) end following; every other trouble (a 500, an
    /// unreadable answer, the network) is ridden out with growing pauses, and a
    /// refused key waits for a new one. Past the deadline a drive looks once and
    /// leaves the job to `look_again_later`.
    pub(super) async fn follow(
        self: &Arc<Self>,
        record: &JobRecord,
        attempt: Attempt,
    ) -> AppResult<Next> {
        let job = SubmittedJob {
            request_id: record.request_id.clone().unwrap_or_default(),
            status_url: record.status_url.clone(),
            response_url: record.response_url.clone(),
        };
        let sent_at = record.sent_at_ms.unwrap_or(record.created_at_ms);
        let deadline = sent_at + self.poll.deadline.as_millis() as i64;
        let mut pause = match attempt {
            Attempt::Fresh => self.poll.interval,
            Attempt::LaterLook => Duration::ZERO,
        };
        let mut troubles = 0;
        let mut last_trouble: Option<AppError> = None;
        loop {
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
                        r.unread_answer = None;
                        r.error = None;
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
                Ok(Look::Unread(output)) => {
                    self.keep_unread(&record.id, &job, &output).await?;
                    troubles += 1;
                    pause = self.poll.retry_pause(troubles);
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
                        // What an unread answer held (its addresses) stays on the card.
                        let error = match self.library.get(&record.id)?.unread_answer {
                            Some(unread) => unreadable_result(&job, &unread),
                            None => error,
                        };
                        return self.end(record, RecordStatus::Expired, error).await;
                    }
                    ErrorCode::Auth | ErrorCode::Forbidden => {
                        self.set_trouble(&record.id, None);
                        self.wait_for_new_key(&record.id, error, keys).await?;
                        pause = Duration::ZERO;
                        continue;
                    }
                    _ => {
                        troubles += 1;
                        pause = self.poll.retry_pause(troubles);
                        self.set_trouble(&record.id, Some(error.clone()));
                        last_trouble = Some(error);
                    }
                },
            }
            if now_ms() >= deadline {
                self.set_trouble(&record.id, None);
                let current = self.library.get(&record.id)?;
                // A result it cannot read says so, not "taking long": with an error
                // on the card, a later look (or "Try again") goes on following it.
                let error = match &current.unread_answer {
                    Some(unread) => unreadable_result(&job, unread),
                    None => AppError {
                        may_be_billed: true,
                        detail: last_trouble.as_ref().map(|e| e.to_string().into()),
                        ..AppError::new(ErrorCode::Timeout)
                            .because(Reason::FollowDeadline)
                            .with("minutes", self.poll.deadline.as_secs() / 60)
                    },
                };
                let said = current.error.as_ref().and_then(|e| e.reason.as_ref());
                if said != error.reason.as_ref() {
                    self.advance(&record.id, |r| r.error = Some(error.clone()))
                        .await?;
                }
                return Ok(Next::Done);
            }
        }
    }

    /// Segmind says the job is done and its answer names no video this version
    /// can read: the answer is kept in the record (a newer version reads it again
    /// at start) and its shape logged. For `unread_patience` it is a passing
    /// trouble (the response URL may lag); then the card says so, plainly.
    async fn keep_unread(&self, id: &str, job: &SubmittedJob, output: &JobOutput) -> AppResult<()> {
        let current = self.library.get(id)?;
        let now = now_ms();
        let first_seen = current
            .unread_answer
            .as_ref()
            .map_or(now, |u| u.first_seen_ms);
        let unread = UnreadAnswer::keep(&output.answer, first_seen);
        let error = unreadable_result(job, &unread);
        let patience_over = now - first_seen >= self.poll.unread_patience.as_millis() as i64;
        let changed = current.unread_answer.as_ref().map(|u| &u.answer) != Some(&unread.answer);
        if changed {
            log::warn!(
                "job {id}: Segmind's result names no video this version reads; kept. Shape: {}",
                crate::client::answer_shape(&output.answer)
            );
        }
        let error_due = patience_over && current.error.as_ref() != Some(&error);
        if changed || error_due {
            self.advance(id, |r| {
                r.unread_answer = Some(unread.clone());
                if patience_over {
                    r.error = Some(error.clone());
                }
                if r.metrics.is_none() {
                    r.metrics = output.metrics.clone();
                }
            })
            .await?;
        }
        self.set_trouble(id, (!patience_over).then_some(error));
        Ok(())
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
                        None => {
                            let mut output = output;
                            output.metrics = output.metrics.or(report.metrics);
                            Ok(Look::Unread(Box::new(output)))
                        }
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
}

/// What one look at a job found.
enum Look {
    NotYet,
    Video(String, Option<Metrics>),
    /// Done, and the answer names no video this version can read.
    Unread(Box<JobOutput>),
}

fn job_failed() -> AppError {
    AppError::new(ErrorCode::JobFailed)
}

/// Segmind finished the job and its answer names no video this version reads.
/// Details name every address the answer holds: one may be the video.
fn unreadable_result(job: &SubmittedJob, unread: &UnreadAnswer) -> AppError {
    let addresses = if unread.addresses.is_empty() {
        "none".to_string()
    } else {
        unread.addresses.join(" ")
    };
    AppError {
        may_be_billed: true,
        ..AppError::new(ErrorCode::UnexpectedResponse)
            .because(Reason::UnreadableResult)
            .with_detail(format!(
                "job {}; web addresses in Segmind's answer: {addresses}",
                job.request_id
            ))
    }
}
