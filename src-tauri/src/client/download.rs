//! Downloading a finished video without ever leaving a file that looks complete
//! and is not: bytes stream to `<target>.part`, which is renamed to `target` only
//! once its length matches what the server announced. Memory stays flat whatever
//! the size: the body is never held whole. A cut connection resumes with `Range`
//! where the server allows it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, RANGE};
use reqwest::{Response, StatusCode};
use std::io::Write;
use tokio::fs::{File, OpenOptions};
use url::Url;

use super::answer::{error_for_status, server_message, Call};
use super::{transport_error, RetryNotice, SegmindClient};
use crate::error::{AppError, AppResult, ErrorCode};

/// Told the bytes received so far and the total, when known.
pub type Progress<'a> = dyn FnMut(u64, Option<u64>) + Send + 'a;

/// Small chunks are gathered up to this; chunks this size or larger (most of them,
/// on a fast link) go straight to the file without another copy.
const WRITE_BUFFER: usize = 64 << 10;
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Runs a disk write that may block: on a multi-threaded runtime the worker's
/// other tasks move elsewhere meanwhile (a single-threaded one has nowhere to go).
fn blocking<T>(write: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(write),
        _ => write(),
    }
}

pub fn part_path(target: &Path) -> PathBuf {
    let mut name = target
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    target.with_file_name(name)
}

fn incomplete(received: u64, expected: Option<u64>) -> AppError {
    let detail = match expected {
        Some(total) => format!("received {received} of {total} bytes"),
        None => format!("received {received} bytes, then the connection ended"),
    };
    AppError::new(
        ErrorCode::DownloadIncomplete,
        "The video download was cut off before it finished.",
    )
    .with_detail(detail)
}

fn io_error(err: std::io::Error) -> AppError {
    AppError::io("write the video to disk", &err)
}

impl SegmindClient {
    /// Downloads `url` to `target`, retrying and resuming cut transfers. The key
    /// never goes along, wherever `url` points.
    pub async fn download(
        &self,
        url: &str,
        target: &Path,
        progress: &mut Progress<'_>,
    ) -> AppResult<u64> {
        let url = Url::parse(url).map_err(|e| {
            AppError::new(
                ErrorCode::UnexpectedResponse,
                "Segmind gave a video address Kling Studio cannot use.",
            )
            .with_detail(e.to_string())
        })?;
        let part = part_path(target);
        let policy = &self.config.retry;
        let mut attempt = 1;
        loop {
            let error = match self.download_once(&url, &part, progress).await {
                Ok(bytes) => {
                    tokio::fs::rename(&part, target).await.map_err(io_error)?;
                    return Ok(bytes);
                }
                Err(error) => error,
            };
            let retryable = error.is_transient() || error.code == ErrorCode::RateLimited;
            if !retryable || attempt >= policy.max_attempts {
                return Err(self.redact(error));
            }
            let wait = if error.code == ErrorCode::RateLimited {
                policy.rate_limit_wait(error.retry_at_ms, attempt)
            } else {
                policy.backoff(attempt)
            };
            self.notify(RetryNotice::Retrying {
                attempt,
                delay: wait,
            });
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One try: continue the `.part` file from where it stops when the server agrees.
    async fn download_once(
        &self,
        url: &Url,
        part: &Path,
        progress: &mut Progress<'_>,
    ) -> AppResult<u64> {
        let have = tokio::fs::metadata(part)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        // Never the key: the download client follows redirects to any host, and
        // reqwest keeps custom headers such as x-api-key across them.
        let mut request = self.files.get(url.clone());
        if have > 0 {
            request = request.header(RANGE, format!("bytes={have}-"));
        }
        let response = request.send().await.map_err(|e| transport_error(&e))?;
        let status = response.status();
        if status == StatusCode::RANGE_NOT_SATISFIABLE {
            // The part file is not a prefix of what the server has now: start over.
            tokio::fs::remove_file(part).await.map_err(io_error)?;
            return Err(incomplete(0, None));
        }
        if !status.is_success() {
            let code = status.as_u16();
            let reset_at = response
                .headers()
                .get(super::RATE_LIMIT_RESET_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(super::parse_reset_at);
            let body = response.bytes().await.unwrap_or_default();
            return Err(AppError {
                retry_at_ms: reset_at,
                ..error_for_status(code, server_message(&body).as_deref(), Call::Download)
            });
        }
        if status == StatusCode::PARTIAL_CONTENT && !(have > 0 && range_starts_at(&response, have))
        {
            // A part the server was not asked for: appending it would corrupt the
            // video. Start over from the first byte on the next try.
            let _ = tokio::fs::remove_file(part).await;
            return Err(incomplete(have, None));
        }
        let resumed = status == StatusCode::PARTIAL_CONTENT;
        let file = if resumed {
            OpenOptions::new().append(true).open(part).await
        } else {
            File::create(part).await
        }
        .map_err(io_error)?;
        let offset = if resumed { have } else { 0 };
        write_body(response, file, offset, progress).await
    }
}

fn range_starts_at(response: &Response, offset: u64) -> bool {
    response
        .headers()
        .get(CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes "))
        .and_then(|v| v.split('-').next())
        .and_then(|start| start.parse::<u64>().ok())
        == Some(offset)
}

/// Saves a response that is the video itself (the blocking v1 call). No retry:
/// the request was a billable POST.
pub(super) async fn save_response(
    response: Response,
    target: &Path,
    progress: &mut Progress<'_>,
) -> AppResult<u64> {
    let part = part_path(target);
    let file = File::create(&part).await.map_err(io_error)?;
    let bytes = write_body(response, file, 0, progress).await?;
    tokio::fs::rename(&part, target).await.map_err(io_error)?;
    Ok(bytes)
}

/// Streams the body after `offset` bytes already on disk; succeeds only when the
/// file holds every byte the server announced, flushed to disk.
async fn write_body(
    response: Response,
    file: File,
    offset: u64,
    progress: &mut Progress<'_>,
) -> AppResult<u64> {
    let expected = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map(|len| len + offset);
    // Written from this task, through a plain buffered file that passes large
    // chunks straight through, like curl. Those writes land in the OS's page
    // cache at once; only the final fsync waits for the disk, and it first hands
    // this worker's other tasks to another thread (measured: block_in_place on
    // every MiB cost ~10% of throughput for nothing).
    let mut file = std::io::BufWriter::with_capacity(WRITE_BUFFER, file.into_std().await);
    let mut received = offset;
    progress(received, expected);
    let mut body = response.bytes_stream();
    let mut cut = false;
    let mut flushed_at = Instant::now();
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else {
            cut = true;
            break;
        };
        // A slow download still reaches the disk every second, so that if the app
        // dies a restart resumes after those bytes.
        let reaches_disk = file.buffer().len() + chunk.len() > file.capacity()
            || flushed_at.elapsed() >= FLUSH_EVERY;
        if reaches_disk {
            file.write_all(&chunk)
                .and_then(|()| file.flush())
                .map_err(io_error)?;
            flushed_at = Instant::now();
        } else {
            file.write_all(&chunk).map_err(io_error)?;
        }
        received += chunk.len() as u64;
        progress(received, expected);
    }
    // What did arrive is kept in the part file, so the next try resumes after it.
    blocking(|| file.flush().and_then(|()| file.get_ref().sync_all())).map_err(io_error)?;
    if cut || expected.is_some_and(|total| received != total) {
        return Err(incomplete(received, expected));
    }
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_file_sits_beside_the_target() {
        assert_eq!(
            part_path(Path::new("/v/clip.mp4")),
            Path::new("/v/clip.mp4.part")
        );
    }
}
