//! A finished job's video, fetched into the library: never given up, with a
//! fresh address from Segmind when the one it has goes stale, and recorded
//! only once every byte has arrived.

use std::sync::Arc;
use std::time::Instant;

use super::drive::{no_video, Next};
use super::JobManager;
use crate::client::SubmittedJob;
use crate::error::{AppResult, ErrorCode};
use crate::jobs::library::{JobRecord, RecordStatus};
use crate::mutex::lock;

impl JobManager {
    /// A fresh address for a finished video, if Segmind still has the job.
    pub(super) async fn fresh_video_url(self: &Arc<Self>, record: &JobRecord) -> Option<String> {
        let client = self.client.borrow().clone()?;
        let job = SubmittedJob {
            request_id: record.request_id.clone()?,
            status_url: record.status_url.clone(),
            response_url: record.response_url.clone(),
        };
        let output = client.result(&job).await.ok()?;
        output.video_url().map(str::to_string)
    }

    /// Downloads a finished, paid video into the library. It is never given up:
    /// passing troubles (the network, a 404 or an error page from the file host)
    /// are retried for `download_patience`, with a fresh address from Segmind now
    /// and then; after that the job waits, resumable, with its error.
    pub(super) async fn download(self: &Arc<Self>, record: &JobRecord) -> AppResult<Next> {
        let mut url = match record.output_url.clone() {
            Some(url) => url,
            None => match self.fresh_video_url(record).await {
                Some(url) => url,
                None => {
                    let error = no_video(&SubmittedJob {
                        request_id: record.request_id.clone().unwrap_or_default(),
                        status_url: None,
                        response_url: None,
                    });
                    self.advance(&record.id, |r| r.error = Some(error.clone()))
                        .await?;
                    return Ok(Next::Done);
                }
            },
        };
        log::info!(
            "job {}: downloading from {}",
            record.id,
            crate::logging::host(&url)
        );
        let target = self.library.video_path(&record.id);
        // The app stopped between finishing the file and recording it: it is whole
        // (only a complete download that looks like a video is ever renamed).
        if target.is_file()
            && !crate::client::part_path(&target).exists()
            && starts_like_a_video(&target)
        {
            let bytes = std::fs::metadata(&target).map(|m| m.len()).ok();
            self.advance(&record.id, |r| {
                r.status = RecordStatus::Ready;
                r.bytes = bytes;
            })
            .await?;
            return Ok(Next::Done);
        }
        // At most four times a second, and at the end (the fetcher's promise): each
        // announcement redraws the card in the window.
        let mut progress = |received: u64, total: Option<u64>| {
            {
                let mut live = lock(&self.live);
                let entry = live.entry(record.id.clone()).or_default();
                entry.received = Some(received);
                entry.total = total;
            }
            if let Ok(current) = self.library.get(&record.id) {
                self.announce(current);
            }
        };
        let started = Instant::now();
        let mut troubles = 0;
        loop {
            let outcome = self.files.download(&url, &target, &mut progress).await;
            let error = match outcome {
                Ok(bytes) => {
                    self.set_trouble(&record.id, None);
                    self.advance(&record.id, |r| {
                        r.status = RecordStatus::Ready;
                        r.bytes = Some(bytes);
                        r.error = None;
                    })
                    .await?;
                    return Ok(Next::Done);
                }
                Err(error) => error,
            };
            troubles += 1;
            // A disk that cannot take the video needs the creator; so does an
            // address that is not a web address, unless Segmind gives another.
            let hopeless = error.code == ErrorCode::Io
                || (error.code == ErrorCode::UnexpectedResponse && troubles > 1);
            if hopeless || started.elapsed() >= self.poll.download_patience {
                self.set_trouble(&record.id, None);
                self.advance(&record.id, |r| r.error = Some(error.clone()))
                    .await?;
                return Ok(Next::Done);
            }
            self.set_trouble(&record.id, Some(error.clone()));
            let stale_address = matches!(
                error.code,
                ErrorCode::LinkExpired | ErrorCode::NotAVideo | ErrorCode::UnexpectedResponse
            );
            if stale_address && troubles % 2 == 1 {
                if let Some(fresh) = self.fresh_video_url(record).await.filter(|f| *f != url) {
                    url = fresh;
                    self.advance(&record.id, |r| r.output_url = Some(url.clone()))
                        .await?;
                    continue;
                }
            }
            self.pause(&record.id, self.poll.retry_pause(troubles))
                .await;
        }
    }
}

fn starts_like_a_video(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| crate::client::looks_like_mp4(&head))
}
