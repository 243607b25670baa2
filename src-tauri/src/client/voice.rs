//! Making a voice: the clip goes to Segmind's asset store (the second Segmind host),
//! then the paid create-voice call turns its URL into a voice id. The contract marks
//! the slug, the field names and the upload host as the parts most likely to be
//! corrected, so each lives in one constant here.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;

use super::{read_json, unexpected, Call, Metrics, Resend, SegmindClient, SubmittedJob};
use crate::error::AppResult;

/// Segmind's asset store: a different origin from the API.
pub const DEFAULT_UPLOAD_BASE: &str = "https://workflows-api.segmind.com";
pub const UPLOAD_BASE_ENV: &str = "SEGMIND_UPLOAD_URL";
const UPLOAD_PATH: &str = "/upload-asset";
/// `POST /v2/<slug>` with `{"voice_url": …}` answers `voice_id` when the job completes.
pub const VOICE_SLUG: &str = "kling-create-voice";
const VOICE_URL_FIELD: &str = "voice_url";
const VOICE_ID_FIELD: &str = "voice_id";
/// The upload body goes out in pieces this size, each one reported as sent.
const UPLOAD_CHUNK: usize = 64 * 1024;

/// Told how many bytes of the clip have gone out, and of how many.
pub type UploadProgress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// What a poll of a create-voice job tells: the voice id once it is made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VoiceAnswer {
    pub voice_id: Option<String>,
    pub metrics: Option<Metrics>,
}

impl SegmindClient {
    fn upload_url(&self) -> url::Url {
        let mut url = self.config.upload_base.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{UPLOAD_PATH}"));
        url
    }

    /// Puts a file (a voice's clip, a first frame) in Segmind's asset store and
    /// answers its public URL. Free, so a failure may be retried (the worst case
    /// is an unused copy of the file).
    pub async fn upload_asset(
        &self,
        clip: &[u8],
        mime: &str,
        progress: UploadProgress,
    ) -> AppResult<String> {
        let body = data_url_body(clip, mime);
        let url = self.upload_url();
        let clip_len = clip.len() as u64;
        let timeout = self.config.request_timeout
            + std::time::Duration::from_secs(body.len() as u64 / 100_000);
        let response = self
            .send(Resend::Safe, Call::Upload, || {
                let stream = chunks(body.clone(), clip_len, progress.clone());
                self.keyed(self.api.post(url.clone()))
                    // A clip of 20 MB on a slow uplink takes minutes, not the
                    // minute other calls get: a second for every 100 kB more.
                    .timeout(timeout)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header(reqwest::header::CONTENT_LENGTH, body.len())
                    .body(reqwest::Body::wrap_stream(stream))
            })
            .await?;
        let answer: serde_json::Value = read_json(response).await?;
        super::find::uploaded_url(&answer).ok_or_else(|| {
            log::warn!(
                "upload answer without an address: {}",
                super::find::shape(&answer)
            );
            unexpected("the upload answer has no file URL")
        })
    }

    /// Asks Segmind to make a voice from an uploaded clip: billable, so sent once.
    pub async fn create_voice(&self, voice_url: &str) -> AppResult<SubmittedJob> {
        let body = serde_json::json!({ VOICE_URL_FIELD: voice_url });
        self.open_job(self.endpoint(&format!("/v2/{VOICE_SLUG}")), &body)
            .await
    }

    /// A create-voice job's answer: its voice id once done (a failed job is an error).
    pub async fn voice_result(&self, job: &SubmittedJob) -> AppResult<VoiceAnswer> {
        let url = self.job_url(job.response_url.as_deref(), &job.request_id, "");
        let response = self
            .send(Resend::Safe, Call::Job, || {
                self.keyed(self.api.get(url.clone()))
            })
            .await?;
        let answer: serde_json::Value = read_json(response).await?;
        Ok(VoiceAnswer {
            voice_id: super::find::voice_id(&answer, VOICE_ID_FIELD),
            metrics: answer
                .get("metrics")
                .and_then(|m| serde_json::from_value(m.clone()).ok()),
        })
    }
}

/// `{"data_urls":["data:<mime>;base64,<bytes>"]}`, as Segmind's SDK sends it.
fn data_url_body(clip: &[u8], mime: &str) -> Bytes {
    let encoded = base64::engine::general_purpose::STANDARD.encode(clip);
    let mut body = String::with_capacity(encoded.len() + mime.len() + 40);
    body.push_str(r#"{"data_urls":["data:"#);
    body.push_str(mime);
    body.push_str(";base64,");
    body.push_str(&encoded);
    body.push_str(r#""]}"#);
    Bytes::from(body)
}

/// The body as a stream of pieces, reporting after each how much of the clip
/// (not of its base64 form) has gone out.
fn chunks(
    body: Bytes,
    clip_len: u64,
    progress: UploadProgress,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let total = body.len().max(1) as u64;
    let pieces: Vec<Bytes> = (0..body.len())
        .step_by(UPLOAD_CHUNK)
        .map(|start| body.slice(start..(start + UPLOAD_CHUNK).min(body.len())))
        .collect();
    let mut sent = 0u64;
    futures_util::stream::iter(pieces.into_iter().map(move |piece| {
        sent += piece.len() as u64;
        progress(sent * clip_len / total, clip_len);
        Ok(piece)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_upload_body_is_a_data_url_and_its_progress_counts_clip_bytes() {
        let clip = vec![7u8; 200_000];
        let body = data_url_body(&clip, "audio/wav");
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let url = json["data_urls"][0].as_str().unwrap();
        let encoded = url.strip_prefix("data:audio/wav;base64,").unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap(),
            clip
        );
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let stream = chunks(
            body.clone(),
            clip.len() as u64,
            Arc::new(move |sent, total| log.lock().unwrap().push((sent, total))),
        );
        let pieces: Vec<Bytes> = futures_util::StreamExt::collect::<Vec<_>>(stream)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(pieces.concat(), body.to_vec());
        let seen = seen.lock().unwrap();
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
        assert_eq!(seen.last(), Some(&(200_000, 200_000)));
    }
}
