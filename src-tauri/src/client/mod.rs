//! The Segmind client: submit a job, follow it, fetch its result, download the
//! video; upload a clip and make a voice; the free credits call to check a key.
//!
//! Only the async (v2) path is used. The contract's blocking v1 call holds one
//! connection for the whole 4-5 minutes: a dropped connection then loses the job's
//! id, and with it a paid video; v2 keeps the id from the first second.
//!
//! Two rules shape it. A POST is billable and Segmind has no idempotency, so the
//! client retries a POST only when it surely never reached the server (the
//! connection was refused, or a 429 said "not now"). And the key goes only to the
//! Segmind origin: never to a download host, never across a redirect.

mod answer;
mod download;
mod find;
mod pacer;
mod retry;
mod tls;
mod voice;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, Response, StatusCode};
use url::Url;

pub use answer::{server_message, Call, JobOutput, JobStatus, Metrics, StatusReport, SubmittedJob};
pub use download::{looks_like_mp4, part_path, FileFetcher, Progress, MAX_VIDEO_BYTES};
pub use find::{shape as answer_shape, web_addresses};
pub use pacer::RequestPacer;
pub use retry::{parse_reset_at, RetryPolicy};
pub use voice::{UploadProgress, VoiceAnswer, DEFAULT_UPLOAD_BASE, UPLOAD_BASE_ENV, VOICE_SLUG};

use crate::api_key::ApiKey;
use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::request::{FrameUrls, GenerationRequest};

pub const DEFAULT_BASE_URL: &str = "https://api.segmind.com";
pub const BASE_URL_ENV: &str = "SEGMIND_BASE_URL";
pub const MODEL_SLUG: &str = "kling-3-pro-text2video";
/// The same model from a first frame (segmind-api.md, "Image to video").
pub const IMAGE_MODEL_SLUG: &str = "kling-3-pro-image2video";
pub const REQUESTS_PER_MINUTE_ENV: &str = "SEGMIND_REQUESTS_PER_MINUTE";
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 50;
const RATE_LIMIT_RESET_HEADER: &str = "x-rate-limit-reset-at-utc";

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: Url,
    /// Segmind's asset store, where a voice's clip is uploaded: the one other
    /// origin the key may go to.
    pub upload_base: Url,
    pub connect_timeout: Duration,
    /// The whole of one API call (submit, status, result, credits).
    pub request_timeout: Duration,
    /// The longest silence allowed in the middle of a download.
    pub download_idle_timeout: Duration,
    pub retry: RetryPolicy,
    /// Shared by every client made from this config (clones share it): the plan's
    /// request rate over all jobs. `None`: no pacing (tests against the fake).
    pub pacer: Option<Arc<RequestPacer>>,
}

impl ClientConfig {
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            upload_base: Url::parse(DEFAULT_UPLOAD_BASE).expect("a valid URL"),
            connect_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(60),
            download_idle_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            pacer: None,
        }
    }

    /// `SEGMIND_BASE_URL` and `SEGMIND_UPLOAD_URL` when set (proxies, tests), else
    /// Segmind's own; calls paced
    /// at `SEGMIND_REQUESTS_PER_MINUTE` (default 50, the Pro plan's rate; set 5 on a
    /// free plan; a 429 is waited out either way).
    pub fn from_env() -> AppResult<Self> {
        let text = std::env::var(BASE_URL_ENV).unwrap_or_else(|_| DEFAULT_BASE_URL.to_string());
        let per_minute = std::env::var(REQUESTS_PER_MINUTE_ENV)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_REQUESTS_PER_MINUTE);
        let upload = std::env::var(UPLOAD_BASE_ENV).unwrap_or_else(|_| DEFAULT_UPLOAD_BASE.into());
        Ok(Self {
            pacer: Some(Arc::new(RequestPacer::per_minute(per_minute))),
            upload_base: parse_base_url(&upload)?,
            ..Self::new(parse_base_url(&text)?)
        })
    }
}

pub fn parse_base_url(text: &str) -> AppResult<Url> {
    let url = Url::parse(text.trim()).map_err(|e| {
        AppError::new(ErrorCode::Internal)
            .because(Reason::BaseUrlNotUrl)
            .with_detail(e.to_string())
    })?;
    // Plain http would put the key on the wire: only to this computer (the fake
    // Segmind in tests, a local proxy), never across a network.
    let allowed = url.scheme() == "https" || (url.scheme() == "http" && is_this_computer(&url));
    if !allowed || url.host().is_none() {
        return Err(AppError::new(ErrorCode::Internal)
            .because(Reason::BaseUrlNotHttps)
            .with_detail(text.to_string()));
    }
    Ok(url)
}

/// Whether `url` names this computer (localhost, 127.0.0.0/8, ::1).
fn is_this_computer(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_is_https_or_loopback_http() {
        assert!(parse_base_url("https://api.segmind.com").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8787").is_ok());
        assert!(parse_base_url("http://localhost:8787/segmind/").is_ok());
        assert!(parse_base_url("http://[::1]:9").is_ok());
        for bad in [
            "http://api.segmind.com",
            "http://10.0.0.2:80",
            "ftp://x",
            "segmind",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }
}

/// What the client is doing about a problem it is riding out, for the job card.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryNotice {
    /// Segmind said 429: waiting until this time (Unix ms) before trying again.
    RateLimited { until_ms: i64 },
    /// A temporary failure: trying again after a pause.
    Retrying { attempt: u32, delay: Duration },
}

pub type RetryObserver = Arc<dyn Fn(RetryNotice) + Send + Sync>;

#[derive(Clone)]
pub struct SegmindClient {
    config: ClientConfig,
    key: ApiKey,
    /// Calls that carry the key: redirects are followed only within the origin called.
    api: reqwest::Client,
    observer: Option<RetryObserver>,
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resend {
    /// A GET: safe to repeat.
    Safe,
    /// A billable POST: only if it surely never arrived.
    OnlyIfNeverArrived,
}

impl SegmindClient {
    pub fn new(config: ClientConfig, key: ApiKey) -> AppResult<Self> {
        // A Segmind on this computer (the fake, in tests and by hand) is reached
        // directly: a system proxy would see its plain-http calls, key and all.
        let local = is_this_computer(&config.base_url);
        let api = tls::build_client(&config, |builder| {
            let builder = builder
                .timeout(config.request_timeout)
                .redirect(same_origin_only());
            if local {
                builder.no_proxy()
            } else {
                builder
            }
        })?;
        Ok(Self {
            config,
            key,
            api,
            observer: None,
        })
    }

    /// The same client, telling `observer` when it waits out a rate limit or retries.
    pub fn observed(&self, observer: RetryObserver) -> Self {
        Self {
            observer: Some(observer),
            ..self.clone()
        }
    }

    /// Whether this client sends `other`'s key.
    pub fn same_key(&self, other: &SegmindClient) -> bool {
        self.sends(&other.key)
    }

    /// Whether this client sends `key`.
    pub fn sends(&self, key: &ApiKey) -> bool {
        self.key == *key
    }

    fn endpoint(&self, path: &str) -> Url {
        // `join` would drop a path prefix of the base (a proxy at /segmind/), so append.
        let mut url = self.config.base_url.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{path}"));
        url
    }

    fn is_segmind_origin(&self, url: &Url) -> bool {
        url.origin() == self.config.base_url.origin()
    }

    fn keyed(&self, builder: RequestBuilder) -> RequestBuilder {
        builder.header("x-api-key", self.key.expose())
    }

    /// Strips the key from anything that might echo it back (a server message).
    fn redact(&self, mut err: AppError) -> AppError {
        let key = self.key.expose();
        if let Some(detail) = &err.detail {
            if detail.contains(key) {
                err.detail = Some(detail.replace(key, "[key]").into());
            }
        }
        if let Some(text) = &err.server_message {
            if text.contains(key) {
                err.server_message = Some(text.replace(key, "[key]").into());
            }
        }
        err
    }

    fn notify(&self, notice: RetryNotice) {
        if let Some(observer) = &self.observer {
            observer(notice);
        }
    }

    /// The credits left on the account; a free call, so it also checks a key.
    pub async fn credits(&self) -> AppResult<f64> {
        let url = self.endpoint("/v1/get-user-credits");
        let response = self
            .send(Resend::Safe, Call::Credits, || {
                self.keyed(self.api.get(url.clone()))
            })
            .await?;
        let body: serde_json::Value = read_json(response).await?;
        body.get("credits")
            .and_then(|c| {
                c.as_f64()
                    .or_else(|| c.as_str().and_then(|s| s.trim().parse().ok()))
            })
            .ok_or_else(|| unexpected("the credits answer has no balance"))
    }

    /// Sends one generation job from text. Validates first: an invalid request is
    /// never sent.
    pub async fn submit(&self, request: &GenerationRequest) -> AppResult<SubmittedJob> {
        self.submit_with(request, &FrameUrls::default()).await
    }

    /// Sends one generation job, from its first frame's uploaded URL when it has
    /// one (image to video). Validates first: an invalid request is never sent.
    pub async fn submit_with(
        &self,
        request: &GenerationRequest,
        frames: &FrameUrls,
    ) -> AppResult<SubmittedJob> {
        let problems = request.validate();
        if !problems.is_empty() {
            return Err(AppError::invalid_request(problems));
        }
        let slug = if request.from_picture() {
            if frames.start.is_none() || (request.end_image.is_some() && frames.end.is_none()) {
                return Err(AppError::internal(
                    "a picture was not uploaded before the send",
                ));
            }
            IMAGE_MODEL_SLUG
        } else {
            MODEL_SLUG
        };
        self.open_job(
            self.endpoint(&format!("/v2/{slug}")),
            &request.wire_body(frames),
        )
        .await
    }

    /// Sends one billable async call (a video, a voice) once: answers where to follow it.
    async fn open_job(&self, url: Url, body: &impl serde::Serialize) -> AppResult<SubmittedJob> {
        let response = self
            .send(Resend::OnlyIfNeverArrived, Call::Submit, || {
                self.keyed(self.api.post(url.clone())).json(body)
            })
            .await?;
        // Segmind said yes: from here on the job exists and is billed, so an answer
        // that cannot be read is "may have been billed", never "nothing charged".
        let job: SubmittedJob = read_json(response).await.map_err(may_have_arrived)?;
        if job.request_id.trim().is_empty() {
            return Err(may_have_arrived(unexpected(
                "Segmind's answer has no job id",
            )));
        }
        Ok(job)
    }

    /// The status URL Segmind gave, when it points at Segmind; else the contract's form.
    /// The key is never sent to a URL taken from an answer that leaves the origin.
    fn job_url(&self, given: Option<&str>, request_id: &str, suffix: &str) -> Url {
        given
            .and_then(|u| Url::parse(u).ok())
            .filter(|u| self.is_segmind_origin(u))
            .unwrap_or_else(|| self.endpoint(&format!("/v2/requests/{request_id}{suffix}")))
    }

    pub async fn status(&self, job: &SubmittedJob) -> AppResult<StatusReport> {
        let url = self.job_url(job.status_url.as_deref(), &job.request_id, "/status");
        let response = self
            .send(Resend::Safe, Call::Job, || {
                self.keyed(self.api.get(url.clone()))
            })
            .await?;
        read_json(response).await
    }

    pub async fn result(&self, job: &SubmittedJob) -> AppResult<JobOutput> {
        let url = self.job_url(job.response_url.as_deref(), &job.request_id, "");
        let response = self
            .send(Resend::Safe, Call::Job, || {
                self.keyed(self.api.get(url.clone()))
            })
            .await?;
        read_json(response).await.map(JobOutput::read)
    }

    /// Sends a request, riding out what may be ridden out: 429 (wait for the reset),
    /// and for safe requests 502/503/504, resets and timeouts (backoff).
    async fn send(
        &self,
        resend: Resend,
        call: Call,
        build: impl Fn() -> RequestBuilder,
    ) -> AppResult<Response> {
        let what = format!("{call:?} call");
        let mut tries = self.config.retry.tries(&what);
        loop {
            if let Some(pacer) = &self.config.pacer {
                pacer.wait().await;
            }
            let outcome = build().send().await;
            let error = match outcome {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    let reset_at = header_text(response.headers(), RATE_LIMIT_RESET_HEADER)
                        .and_then(|v| parse_reset_at(&v));
                    let error = AppError {
                        retry_at_ms: reset_at,
                        ..error_from_response(response, call).await
                    };
                    // A 429 on a billable POST is handed back at once, with its reset
                    // time: the job waits in the app's own line, unsent (and safe to
                    // quit), rather than "being sent" for minutes.
                    let retryable = resend == Resend::Safe
                        && (status == StatusCode::TOO_MANY_REQUESTS
                            || matches!(status.as_u16(), 502..=504));
                    if !retryable {
                        // A 500 or a gateway error on a POST: Segmind may have made
                        // (and billed) the job before failing to answer.
                        let error = if resend == Resend::OnlyIfNeverArrived
                            && matches!(status.as_u16(), 500 | 502..=504)
                        {
                            may_have_arrived(AppError {
                                retry_at_ms: None,
                                ..error
                            })
                        } else {
                            error
                        };
                        return Err(self.redact(error));
                    }
                    error
                }
                Err(err) => {
                    let never_arrived = err.is_connect();
                    let error = transport_error(&err);
                    if resend == Resend::OnlyIfNeverArrived && !never_arrived {
                        return Err(self.redact(may_have_arrived(error)));
                    }
                    // Checking a key (the free credits call), the creator waits: no
                    // connection at all is said at once, not after a minute of retries.
                    if call == Call::Credits && never_arrived {
                        log::warn!("{what}: {}", crate::logging::error_line(&error));
                        return Err(self.redact(error));
                    }
                    error
                }
            };
            tries
                .pause(error, |notice| self.notify(notice))
                .await
                .map_err(|error| self.redact(error))?;
        }
    }
}

/// A keyed call starts at one of the two Segmind origins and may be redirected
/// only within the origin it started at.
fn same_origin_only() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let started = attempt.previous().first().map(Url::origin);
        if attempt.previous().len() >= 5 || started != Some(attempt.url().origin()) {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A billable request that may or may not have reached Segmind: say so, because
/// sending it again could pay twice.
fn may_have_arrived(error: AppError) -> AppError {
    AppError {
        may_be_billed: true,
        ..error
    }
}

fn unexpected(what: &str) -> AppError {
    AppError::new(ErrorCode::UnexpectedResponse).with_detail(what.to_string())
}

async fn read_json<T: serde::de::DeserializeOwned>(response: Response) -> AppResult<T> {
    let bytes = response.bytes().await.map_err(|e| transport_error(&e))?;
    serde_json::from_slice(&bytes).map_err(|e| unexpected(&format!("unreadable answer: {e}")))
}

async fn error_from_response(response: Response, call: Call) -> AppError {
    let status = response.status().as_u16();
    let body = error_body(response).await;
    answer::error_for_status(status, server_message(&body).as_deref(), call)
}

/// The most of an error body read: enough for any message, never a whole file a
/// host sends with an error status.
const ERROR_BODY_MAX: usize = 16 * 1024;

/// The start of an error answer's body; if it cannot be read, the status alone
/// still tells.
async fn error_body(mut response: Response) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_MAX {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(ERROR_BODY_MAX);
    body
}

fn transport_error(err: &reqwest::Error) -> AppError {
    // reqwest's own text can carry the URL, never the key (it is a header), so it is
    // safe as detail.
    let detail = format!("{err:#}");
    if err.is_timeout() {
        AppError::new(ErrorCode::Timeout).with_detail(detail)
    } else if tls::certificate_refused(err) {
        AppError::new(ErrorCode::Network)
            .because(Reason::CertificateRefused)
            .with_detail(detail)
    } else {
        AppError::new(ErrorCode::Network).with_detail(detail)
    }
}
