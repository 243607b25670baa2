//! One generation from click to file: submit once, follow the job until Segmind
//! finishes it, download the video. Knows nothing of windows; it reports its
//! phases to whoever passes `report`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client::{JobStatus, Metrics, SegmindClient, SubmittedJob};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::request::GenerationRequest;

/// A job's phase as the job card shows it, tagged `phase` on the wire.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "phase", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum JobEvent {
    Sending,
    Queued { request_id: String },
    Processing,
    /// Segmind asked us to slow down; we try again at `until_ms` (Unix ms).
    Waiting { until_ms: i64, reason: &'static str },
    Downloading { received: u64, total: Option<u64> },
    Ready { video_url: String, path: PathBuf, bytes: u64, metrics: Option<Metrics> },
    Failed { error: AppError },
    Stopped,
}

#[derive(Debug, Clone)]
pub struct PollPolicy {
    /// The contract asks for 2-5 s between status calls.
    pub interval: Duration,
    /// Following ends here, never silently: the card says so.
    pub deadline: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self { interval: Duration::from_secs(3), deadline: Duration::from_secs(20 * 60) }
    }
}

/// A finished job: the video is on disk at `path`.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedJob {
    pub request_id: String,
    pub path: PathBuf,
    pub bytes: u64,
    pub metrics: Option<Metrics>,
}

/// Sends `request` once, follows it and downloads the video to `target`.
pub async fn run_job(
    client: &SegmindClient,
    request: &GenerationRequest,
    target: &Path,
    poll: &PollPolicy,
    report: &(dyn Fn(JobEvent) + Send + Sync),
) -> AppResult<FinishedJob> {
    report(JobEvent::Sending);
    let job = client.submit(request).await?;
    report(JobEvent::Queued { request_id: job.request_id.clone() });
    let metrics = follow(client, &job, poll, report).await?;
    let output = client.result(&job).await?;
    let url = output.video_url().ok_or_else(|| {
        AppError::new(ErrorCode::UnexpectedResponse, "Segmind finished the job but gave no video to download.")
            .with_detail(format!("job {}", job.request_id))
    })?;
    let bytes = download_with_progress(client, url, target, report).await?;
    Ok(FinishedJob {
        request_id: job.request_id,
        path: target.to_path_buf(),
        bytes,
        metrics: output.metrics.or(metrics),
    })
}

/// Polls the status until COMPLETED. Passing troubles (the network, a 503) do not
/// end following: only the deadline, a failed job or an expired record do.
async fn follow(
    client: &SegmindClient,
    job: &SubmittedJob,
    poll: &PollPolicy,
    report: &(dyn Fn(JobEvent) + Send + Sync),
) -> AppResult<Option<Metrics>> {
    let started = Instant::now();
    let mut last = JobStatus::Queued;
    loop {
        if started.elapsed() > poll.deadline {
            return Err(AppError::new(
                ErrorCode::Timeout,
                format!(
                    "Segmind has taken more than {} minutes, much longer than usual, so the app stopped waiting. \
                     The job may still finish on Segmind and be billed.",
                    poll.deadline.as_secs() / 60
                ),
            )
            .with_detail(format!("job {}", job.request_id)));
        }
        tokio::time::sleep(poll.interval).await;
        match client.status(job).await {
            Ok(report_) if report_.status == JobStatus::Completed => return Ok(report_.metrics),
            Ok(report_) if report_.status == JobStatus::Failed => {
                // The reason comes with the response URL's 422.
                return Err(client.result(job).await.err().unwrap_or_else(|| {
                    AppError::new(ErrorCode::JobFailed, "Segmind could not make this video. Your credits were not used.")
                }));
            }
            Ok(report_) => {
                if report_.status == JobStatus::Processing && last != JobStatus::Processing {
                    report(JobEvent::Processing);
                }
                last = report_.status;
            }
            Err(err) if err.is_transient() || err.code == ErrorCode::RateLimited => continue,
            Err(err) => return Err(err),
        }
    }
}

/// The download, with progress at most every 1% or 100 ms so the window is not flooded.
async fn download_with_progress(
    client: &SegmindClient,
    url: &str,
    target: &Path,
    report: &(dyn Fn(JobEvent) + Send + Sync),
) -> AppResult<u64> {
    let mut last_sent: Option<(Instant, u64)> = None;
    let mut progress = |received: u64, total: Option<u64>| {
        let step = total.map_or(256 * 1024, |t| (t / 100).max(1));
        let due = match last_sent {
            None => true,
            Some((at, bytes)) => {
                total == Some(received) || received >= bytes + step || at.elapsed() >= Duration::from_millis(100)
            }
        };
        if due {
            last_sent = Some((Instant::now(), received));
            report(JobEvent::Downloading { received, total });
        }
    };
    client.download(url, target, &mut progress).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_tagged_by_phase_with_camel_case_fields() {
        let queued = serde_json::to_value(JobEvent::Queued { request_id: "r1".into() }).unwrap();
        assert_eq!(queued, json!({"phase": "queued", "requestId": "r1"}));
        let downloading = serde_json::to_value(JobEvent::Downloading { received: 5, total: None }).unwrap();
        assert_eq!(downloading, json!({"phase": "downloading", "received": 5, "total": null}));
        let waiting = serde_json::to_value(JobEvent::Waiting { until_ms: 7, reason: "rate_limited" }).unwrap();
        assert_eq!(waiting, json!({"phase": "waiting", "untilMs": 7, "reason": "rate_limited"}));
        assert_eq!(serde_json::to_value(JobEvent::Stopped).unwrap(), json!({"phase": "stopped"}));
    }
}
