//! Downloading a finished video without ever leaving a file that looks complete
//! and is not: bytes stream to `<target>.part`, which is renamed to `target` only
//! once its length matches what the server announced. Memory stays flat whatever
//! the size: the body is never held whole. A cut connection resumes with `Range`
//! where the server allows it.
//!
//! Over 400 lines before its tests, and kept whole on purpose: resuming, the
//! length check and the disk writer's thread all keep one `.part` file's promise
//! (never a file that looks complete and is not), which is checked in one place.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use reqwest::{Response, StatusCode};
use std::io::Write;
use tokio::fs::{File, OpenOptions};
use url::Url;

use super::answer::{error_for_status, server_message, Call};
use super::transport_error;
use crate::error::{AppError, AppResult, ErrorCode, Reason};

/// Told the bytes received so far and the total, when known: when the download
/// starts, at most every `PROGRESS_EVERY` after, and when the last byte is in.
pub type Progress<'a> = dyn FnMut(u64, Option<u64>) + Send + 'a;

/// Each report redraws the job's card in the window; a fast download used to
/// report every chunk (thousands of times a second at 1 GB/s).
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Small chunks are gathered up to this; chunks this size or larger (most of them,
/// on a fast link) go straight to the file without another copy.
const WRITE_BUFFER: usize = 64 << 10;
const FLUSH_EVERY: Duration = Duration::from_secs(1);

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
    AppError::new(ErrorCode::DownloadIncomplete).with_detail(detail)
}

fn io_error(err: std::io::Error) -> AppError {
    AppError::io(Reason::WriteVideo, &err)
}

/// Where finished videos come from: any host `output` names, never with the key.
/// Needs no key at all, so a paid video is fetched even after the key is removed.
#[derive(Clone)]
pub struct FileFetcher {
    files: reqwest::Client,
    retry: super::RetryPolicy,
}

/// Redirects a download may follow: never from https down to plain http (a
/// signed URL must not leak onto the wire), and not endlessly.
pub fn may_follow_redirect(previous: &[Url], next: &Url) -> bool {
    let downgrade =
        previous.last().is_some_and(|p| p.scheme() == "https") && next.scheme() != "https";
    previous.len() < 10 && !downgrade
}

impl FileFetcher {
    pub fn new(config: &super::ClientConfig) -> AppResult<Self> {
        let files = super::tls::build_client(config, |builder| {
            builder.read_timeout(config.download_idle_timeout).redirect(
                reqwest::redirect::Policy::custom(|attempt| {
                    if may_follow_redirect(attempt.previous(), attempt.url()) {
                        attempt.follow()
                    } else {
                        attempt.error(
                            "a redirect the app does not follow (to plain http, or too many)",
                        )
                    }
                }),
            )
        })?;
        Ok(Self {
            files,
            retry: config.retry.clone(),
        })
    }

    /// Downloads `url` to `target`, retrying and resuming cut transfers a few
    /// times (the job's drive retries longer). The transfer runs on the background
    /// runtime (`crate::background`), below the window's priority; its progress
    /// comes back here, to `progress`, at most four times a second. Dropping the
    /// returned future stops the transfer.
    pub async fn download(
        &self,
        url: &str,
        target: &Path,
        progress: &mut Progress<'_>,
    ) -> AppResult<u64> {
        let (report, mut reports) = tokio::sync::watch::channel((0, None));
        let (this, url, target) = (self.clone(), url.to_string(), target.to_path_buf());
        let mut transfer = crate::background::spawn(async move {
            let mut last: Option<Instant> = None;
            let mut throttled = |received: u64, total: Option<u64>| {
                let due =
                    last.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY) || total == Some(received);
                if due {
                    last = Some(Instant::now());
                    report.send_replace((received, total));
                }
            };
            this.download_retrying(&url, &target, &mut throttled).await
        });
        loop {
            tokio::select! {
                biased;
                finished = &mut transfer => {
                    if reports.has_changed().unwrap_or(false) {
                        let (received, total) = *reports.borrow_and_update();
                        progress(received, total);
                    }
                    return finished;
                }
                Ok(()) = reports.changed() => {
                    let (received, total) = *reports.borrow_and_update();
                    progress(received, total);
                }
            }
        }
    }

    async fn download_retrying(
        &self,
        url: &str,
        target: &Path,
        progress: &mut Progress<'_>,
    ) -> AppResult<u64> {
        let url = video_address(url)?;
        let part = part_path(target);
        // The file is named after the job: the log says whose download it is.
        let what = format!(
            "Download to {}",
            target.file_name().unwrap_or_default().to_string_lossy()
        );
        let mut tries = self.retry.tries(&what);
        loop {
            let error = match self.download_once(&url, &part, progress).await {
                Ok(bytes) => {
                    tokio::fs::rename(&part, target).await.map_err(io_error)?;
                    return Ok(bytes);
                }
                Err(error) => error,
            };
            if !(error.is_transient() || error.code == ErrorCode::RateLimited) {
                return Err(error);
            }
            // No one to tell: the job's card already shows the download going on.
            tries.pause(error, drop).await?;
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
        // Never the key: this client follows redirects to any host.
        let mut request = self.files.get(url.clone());
        if have > 0 {
            request = request.header(RANGE, format!("bytes={have}-"));
        }
        let response = request.send().await.map_err(|e| {
            if e.is_redirect() {
                // Refused by the policy above: no connection problem, and no retry helps.
                AppError::new(ErrorCode::UnexpectedResponse)
                    .because(Reason::RedirectRefused)
                    .with_detail(format!("{e:#}"))
            } else {
                transport_error(&e)
            }
        })?;
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
            let body = super::error_body(response).await;
            return Err(AppError {
                retry_at_ms: reset_at,
                ..error_for_status(code, server_message(&body).as_deref(), Call::Download)
            });
        }
        check_is_video(&response)?;
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
        let bytes = write_body(response, (file, part), offset, progress).await?;
        if let Err(error) = check_starts_like_a_video(part).await {
            // An error page of exactly the promised length is still not the video.
            let _ = tokio::fs::remove_file(part).await;
            return Err(error);
        }
        Ok(bytes)
    }
}

/// Only web addresses are fetched: a `file:` or `data:` URL is Segmind's mistake,
/// not a connection problem, and trying it again would not help.
fn video_address(text: &str) -> AppResult<Url> {
    let unusable = |detail: String| {
        AppError::new(ErrorCode::UnexpectedResponse)
            .because(Reason::UnusableAddress)
            .with_detail(detail)
    };
    let url = Url::parse(text.trim()).map_err(|e| unusable(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        let shown: String = text.chars().take(40).collect();
        return Err(unusable(format!("not a web address: {shown}")));
    }
    Ok(url)
}

/// The biggest file accepted as a video: far above any Kling clip (15 s of 1080p
/// is tens of MB), small enough that a runaway answer cannot fill the disk.
pub const MAX_VIDEO_BYTES: u64 = 8 << 30;

fn not_a_video(detail: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::NotAVideo).with_detail(detail)
}

/// Pages and JSON are never a video, whatever their length; an unlabelled or
/// binary answer is checked by its first bytes once it is on disk.
fn check_is_video(response: &Response) -> AppResult<()> {
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let textual = content_type.starts_with("text/")
        || content_type.contains("json")
        || content_type.contains("xml")
        || content_type.contains("html");
    if textual {
        return Err(not_a_video(format!("content type {content_type}")));
    }
    let announced = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|len| len > MAX_VIDEO_BYTES) {
        return Err(not_a_video(format!(
            "{} bytes announced",
            announced.unwrap_or(0)
        )));
    }
    Ok(())
}

/// An MP4 or QuickTime file opens with a box: `ftyp` usually, though a QuickTime
/// file may open with `moov`, `mdat`, `free`, `wide`, `skip` or `pnot`. A page,
/// JSON or plain text never does.
pub fn looks_like_mp4(head: &[u8]) -> bool {
    const FIRST_BOXES: [&[u8; 4]; 7] = [
        b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot",
    ];
    head.len() >= 8 && FIRST_BOXES.iter().any(|b| &head[4..8] == *b)
}

async fn check_starts_like_a_video(part: &Path) -> AppResult<()> {
    use tokio::io::AsyncReadExt;
    let mut head = [0u8; 8];
    let mut file = File::open(part).await.map_err(io_error)?;
    let read = file.read(&mut head).await.map_err(io_error)?;
    if looks_like_mp4(&head[..read]) {
        Ok(())
    } else {
        Err(not_a_video(format!(
            "the file starts with {:?}",
            String::from_utf8_lossy(&head[..read])
        )))
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

/// How many chunks may wait for the disk: a disk slower than the link then slows
/// the link (the network side waits for room), never the window, and the memory a
/// download holds stays bounded (a few MiB) whatever the video's size.
const CHUNKS_IN_FLIGHT: usize = 64;

/// The file's side of a download, on a thread of tokio's blocking pool. A write the
/// kernel holds up (dirty pages past their limit: tens of milliseconds on a busy
/// disk) and the final fsync then never hold a worker of the runtime that answers
/// the window's commands; the network side only awaits room in the channel. Writes
/// go through a buffer that passes large chunks straight on, like curl, and reach
/// the OS at least every second, so that if the app dies a restart resumes after them.
struct DiskWriter {
    chunks: tokio::sync::mpsc::Sender<bytes::Bytes>,
    writing: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl DiskWriter {
    fn start(file: std::fs::File) -> Self {
        let (chunks, mut incoming) = tokio::sync::mpsc::channel::<bytes::Bytes>(CHUNKS_IN_FLIGHT);
        let writing = tokio::task::spawn_blocking(move || {
            let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
            let mut flushed_at = Instant::now();
            while let Some(chunk) = incoming.blocking_recv() {
                let reaches_os = out.buffer().len() + chunk.len() > out.capacity()
                    || flushed_at.elapsed() >= FLUSH_EVERY;
                out.write_all(&chunk)?;
                if reaches_os {
                    out.flush()?;
                    flushed_at = Instant::now();
                }
            }
            // Every chunk handed over is in the file, on the disk.
            out.flush()?;
            out.get_ref().sync_all()
        });
        Self { chunks, writing }
    }

    /// Hands a chunk to the disk; false once the writer has stopped on an error,
    /// which `finish` then answers.
    async fn write(&self, chunk: bytes::Bytes) -> bool {
        self.chunks.send(chunk).await.is_ok()
    }

    /// Waits until every chunk handed over is written and synced.
    async fn finish(self) -> std::io::Result<()> {
        drop(self.chunks);
        self.writing.await.map_err(std::io::Error::other)?
    }
}

/// Streams the body after `offset` bytes already on disk; succeeds only when the
/// file holds every byte the server announced, flushed to disk.
async fn write_body(
    response: Response,
    (file, part): (File, &Path),
    offset: u64,
    progress: &mut Progress<'_>,
) -> AppResult<u64> {
    let expected = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map(|len| len + offset);
    let disk = DiskWriter::start(file.into_std().await);
    let mut received = offset;
    progress(received, expected);
    let mut body = response.bytes_stream();
    let mut cut = false;
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else {
            cut = true;
            break;
        };
        let len = chunk.len() as u64;
        if !disk.write(chunk).await {
            break; // the disk refused: `finish` says why
        }
        received += len;
        if received > MAX_VIDEO_BYTES {
            // Nothing of it is kept: a retry must not grow it further.
            let _ = disk.finish().await;
            let _ = tokio::fs::remove_file(part).await;
            return Err(not_a_video(format!("more than {MAX_VIDEO_BYTES} bytes")));
        }
        progress(received, expected);
    }
    // What did arrive is kept in the part file, so the next try resumes after it.
    disk.finish().await.map_err(io_error)?;
    if cut || expected.is_some_and(|total| received != total) {
        return Err(incomplete(received, expected));
    }
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_are_fetched() {
        assert!(video_address("https://cdn.example/v.mp4").is_ok());
        for bad in [
            "file:///etc/passwd",
            "data:video/mp4;base64,AAAA",
            "ftp://x/v.mp4",
            "v.mp4",
        ] {
            let err = video_address(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::UnexpectedResponse, "{bad}");
            assert!(!err.is_transient(), "{bad}");
        }
    }

    #[test]
    fn redirects_never_go_from_https_to_http() {
        let https = Url::parse("https://files.example/v.mp4").unwrap();
        let http = Url::parse("http://files.example/v.mp4").unwrap();
        assert!(may_follow_redirect(std::slice::from_ref(&https), &https));
        assert!(!may_follow_redirect(std::slice::from_ref(&https), &http));
        assert!(may_follow_redirect(std::slice::from_ref(&http), &http));
        assert!(!may_follow_redirect(&vec![http.clone(); 10], &http));
    }

    #[test]
    fn an_mp4_is_told_from_a_page_by_its_first_box() {
        assert!(looks_like_mp4(b"\0\0\0\x18ftypmp42"));
        assert!(looks_like_mp4(b"\0\0\0\x08wide\0\0"));
        assert!(!looks_like_mp4(b"<!DOCTYPE html>"));
        assert!(!looks_like_mp4(b"\0\0"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_disk_writer_keeps_every_chunk_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4.part");
        let disk = DiskWriter::start(std::fs::File::create(&path).unwrap());
        let mut expected = Vec::new();
        // Small chunks gathered, large ones passed straight on, more than the
        // channel holds at once.
        for n in 0..(CHUNKS_IN_FLIGHT * 3) {
            let chunk = vec![(n % 251) as u8; if n % 7 == 0 { 200 << 10 } else { 1000 }];
            expected.extend_from_slice(&chunk);
            assert!(disk.write(bytes::Bytes::from(chunk)).await);
        }
        disk.finish().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_disk_that_refuses_ends_the_download_with_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4.part");
        std::fs::write(&path, b"").unwrap();
        // A handle that cannot write, as a full or vanished disk answers.
        let disk = DiskWriter::start(std::fs::File::open(&path).unwrap());
        let offered = CHUNKS_IN_FLIGHT * 8;
        let mut accepted = 0;
        for _ in 0..offered {
            if !disk.write(bytes::Bytes::from(vec![0u8; 4096])).await {
                break;
            }
            accepted += 1;
        }
        assert!(accepted < offered, "the writer stopped taking chunks");
        assert!(disk.finish().await.is_err(), "and says why");
    }

    #[test]
    fn part_file_sits_beside_the_target() {
        assert_eq!(
            part_path(Path::new("/v/clip.mp4")),
            Path::new("/v/clip.mp4.part")
        );
    }
}
