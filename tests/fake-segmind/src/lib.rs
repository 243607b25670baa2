//! A local stand-in for Segmind's API for Kling 3.0 Pro text-to-video, following
//! `shared/segmind-api.md`, failures included. It is a real HTTP server on 127.0.0.1
//! with three origins: the API (`base_url`), a second host for output files and
//! uploaded clips (`file_base_url`), since the client must never send its key to a
//! download URL, and the asset store clips are uploaded to (`upload_base_url`).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use fake_segmind::{Config, FakeSegmind, Fault, Target};
//! let fake = FakeSegmind::start(Config::default()).await?;
//! fake.push_fault(Target::Submit, Fault::Status {
//!     code: 503,
//!     body: r#"{"error":"Service unavailable"}"#.into(),
//!     content_type: "application/json",
//! });
//! // ... point the client at fake.base_url() ...
//! assert_eq!(fake.count("POST", "/v2/kling-3-pro-text2video"), 1);
//! # Ok(()) }
//! ```
//!
//! # Behaviour worth knowing
//! - A job is QUEUED for `Config::queued`, PROCESSING for `Config::processing`, then
//!   COMPLETED, or FAILED if `fail_next_job` was armed or a prompt contains `[fail]`.
//!   A job is billed at submit; a failed one is refunded when it reaches FAILED.
//! - Job endpoints answer 404 once `record_ttl` has passed after the end, or after
//!   `expire_all_records`; the file of a completed job stays downloadable regardless.
//! - Faults are one-shot and FIFO per [`Target`]. `Status`, `RateLimited` and `Hang`
//!   replace the answer, so a faulted submit creates and bills nothing.
//!   `TruncatedBody` and `SlowBody` damage the delivery of the normal answer, so a
//!   submit hit by them *does* create and bill a job, whose id the client may never
//!   see: the case where it must not retry. `OddShape` reshapes the normal answer
//!   (lower-case status, `video` as a plain string, `metrics` a string);
//!   `StringOutput`, `UploadUrls` and `NoReadableUrl` rework it into the shapes the
//!   real Segmind may send (the contract's "What the real Segmind may answer");
//!   `Redirect` answers 302 to another address instead.
//! - The request body is validated strictly: unknown fields and `null`s are 400s.
//! - Voices: `POST /upload-asset` (upload origin, keyed) takes
//!   `{"data_urls":["data:<mime>;base64,…"]}` and answers `{"file_urls":[…]}` on the
//!   files origin (`/assets/<name>`, no key). `POST /v2/kling-create-voice` with
//!   `{"voice_url": …}` accepts only URLs it issued (else 400), bills `voice_cost`,
//!   and follows the job lifecycle; its result is `{"output":{"voice_id":"…"}}`. A
//!   WAV clip outside 5-30 s makes the job FAIL (refunded).
//! - Pictures: the same upload takes JPEG and PNG. `POST /v2/kling-3-pro-image2video`
//!   takes the text-to-video fields plus `start_image_url` (required) and
//!   `end_image_url` (not with `multi_prompt`), each a URL its asset store issued
//!   of a JPEG or PNG of at most 10 MB (else 400), and bills as text-to-video.
//!
//! # Admin HTTP API (API origin; never recorded, never faulted)
//! | call | body | answer |
//! |---|---|---|
//! | `GET /_fake/requests` | – | 200, JSON array of [`RecordedRequest`] |
//! | `POST /_fake/reset-requests` | – | 204, forgets recorded requests |
//! | `POST /_fake/faults` | `{"target": <Target>, "fault": <Fault>}` | 204 |
//! | `GET /_fake/credits` | – | 200, `{"credits": 97.0}` |
//! | `POST /_fake/credits` | `{"credits": 12.5}` | 204 |
//! | `POST /_fake/fail-next-job` | `{"reason": "…"}` | 204 |
//! | `POST /_fake/expire-records` | – | 204 |
//!
//! JSON shapes:
//! - `Target`: `"credits"`, `"submit"`, `"submit_blocking"`, `"status"`, `"result"`,
//!   `"file"`, `"upload"`, `"create_voice"`.
//! - `Fault`, tagged by `kind`:
//!   `{"kind":"status","code":503,"body":"{\"error\":\"busy\"}","content_type":"application/json"}`,
//!   `{"kind":"rate_limited","reset_after_ms":2000}`, `{"kind":"hang"}`,
//!   `{"kind":"truncated_body","after":1000}`, `{"kind":"slow_body","chunk":4096,"delay_ms":50}`,
//!   `{"kind":"odd_shape"}`, `{"kind":"redirect","location":"http://…"}`.
//! - `RecordedRequest`: `{"origin":"api"|"files"|"upload","method":"POST","path":"/v2/…",
//!   "query":null,"headers":[["x-api-key","sk-test"],…],"body":"<text>"}`; the body is
//!   the raw body as a string (invalid UTF-8 replaced).

mod admin;
mod api;
mod faults;
mod files;
mod record;
mod reply;
mod server;
mod state;
mod tls;
mod upload;
mod validate;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use faults::{Fault, Target};
pub use record::{Origin, RecordedRequest};
pub use tls::TestRoot;

use state::Shared;

/// The MP4 served as every job's output: 2 s, 640x360 (each side past Kling's 300 px
/// for a first frame, as its own videos are), 24 fps, H.264 + AAC, faststart.
pub(crate) const CLIP: &[u8] = include_bytes!("../assets/clip.mp4");

/// How the fake behaves; `Config::default()` suits most tests.
#[derive(Debug, Clone)]
pub struct Config {
    /// The only key accepted in `x-api-key`.
    pub api_key: String,
    /// The starting balance.
    pub credits: f64,
    /// Billed at submit; refunded if the job fails.
    pub cost_per_job: f64,
    /// What making a voice costs (Segmind: about $0.007).
    pub voice_cost: f64,
    /// When set, a job costs its seconds times the rate of its sound tier instead
    /// (as Segmind bills Kling 3 Pro), and `metrics.cost` says so.
    pub per_second: Option<PerSecond>,
    /// Time a job spends QUEUED.
    pub queued: Duration,
    /// Time a job then spends PROCESSING.
    pub processing: Duration,
    /// How long after COMPLETED/FAILED a job's record answers, before 404s.
    pub record_ttl: Duration,
    /// The API port; 0 picks a free one.
    pub port: u16,
    /// The files port; `None` is a free one when `port` is 0, else `port + 1`.
    pub file_port: Option<u16>,
    /// The upload port; `None` is a free one when `port` is 0, else `port + 2`.
    pub upload_port: Option<u16>,
    /// When set, the API speaks HTTPS with a certificate this root signed.
    pub tls: Option<TestRoot>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_key: "sk-test".into(),
            credits: 100.0,
            cost_per_job: 3.0,
            voice_cost: 0.007,
            per_second: None,
            queued: Duration::from_millis(300),
            processing: Duration::from_millis(700),
            record_ttl: Duration::from_secs(3600),
            port: 0,
            file_port: None,
            upload_port: None,
            tls: None,
        }
    }
}

impl Config {
    /// This config with `queued` and `processing` where it holds the fake's own
    /// defaults: a harness's pace for its tests, while timings a test set are kept.
    pub fn phases_unless_set(self, queued: Duration, processing: Duration) -> Self {
        let defaults = Config::default();
        let pick = |set: Duration, default: Duration, pace: Duration| {
            if set == default {
                pace
            } else {
                set
            }
        };
        Config {
            queued: pick(self.queued, defaults.queued, queued),
            processing: pick(self.processing, defaults.processing, processing),
            ..self
        }
    }
}

/// A spoken-length test clip: a WAV of `millis` ms (16-bit mono, 16 kHz) holding a
/// quiet 220 Hz tone, playable by any media stack.
pub fn wav_clip(millis: u64) -> Vec<u8> {
    const RATE: u32 = 16_000;
    let samples = (millis * u64::from(RATE) / 1000) as usize;
    let data_len = (samples * 2) as u32;
    let mut wav = Vec::with_capacity(44 + samples * 2);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&RATE.to_le_bytes());
    wav.extend_from_slice(&(RATE * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for n in 0..samples {
        let phase = n as f64 * 220.0 * std::f64::consts::TAU / f64::from(RATE);
        wav.extend_from_slice(&((phase.sin() * 3000.0) as i16).to_le_bytes());
    }
    wav
}

/// Per-second prices of the three sound tiers, in credits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerSecond {
    pub silent: f64,
    pub sound: f64,
    pub voice: f64,
}

impl PerSecond {
    /// Kling 3 Pro's published tiers (see shared/segmind-api.md, "Price").
    pub const KLING_3_PRO: PerSecond = PerSecond {
        silent: 0.224,
        sound: 0.336,
        voice: 0.392,
    };
}

/// A running fake. Dropping it (or `shutdown`) stops both servers and closes every
/// connection, hung ones included.
#[derive(Debug)]
pub struct FakeSegmind {
    shared: Arc<Shared>,
    api_scheme: &'static str,
    api_addr: SocketAddr,
    files_addr: SocketAddr,
    upload_addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl FakeSegmind {
    /// Binds both listeners on 127.0.0.1 and serves them in tokio tasks; it accepts
    /// connections as soon as this returns.
    pub async fn start(config: Config) -> io::Result<FakeSegmind> {
        let api = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let file_port = match (config.file_port, config.port) {
            (Some(port), _) => port,
            (None, 0) => 0,
            (None, port) => port.checked_add(1).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "port 65535 leaves no room for the files port; set file_port (--file-port)",
                )
            })?,
        };
        let files = TcpListener::bind((Ipv4Addr::LOCALHOST, file_port)).await?;
        let upload_port = match (config.upload_port, config.port) {
            (Some(port), _) => port,
            (None, 0) => 0,
            (None, port) => port.checked_add(2).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the port leaves no room for the upload port; set upload_port (--upload-port)",
                )
            })?,
        };
        let upload = TcpListener::bind((Ipv4Addr::LOCALHOST, upload_port)).await?;
        let api_addr = api.local_addr()?;
        let files_addr = files.local_addr()?;
        let upload_addr = upload.local_addr()?;

        let (stop, shutdown) = server::shutdown_channel();
        let api_scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let shared = Arc::new(Shared::new(
            &config,
            format!("{api_scheme}://{api_addr}"),
            format!("http://{files_addr}"),
            shutdown.clone(),
        ));
        let mut tasks = match &config.tls {
            Some(root) => Vec::from(server::spawn_tls(
                api,
                api::router(shared.clone()),
                shutdown.clone(),
                root.server.clone(),
            )),
            None => vec![server::spawn(
                api,
                api::router(shared.clone()),
                shutdown.clone(),
            )],
        };
        tasks.push(server::spawn(
            files,
            files::router(shared.clone()),
            shutdown.clone(),
        ));
        tasks.push(server::spawn(
            upload,
            upload::router(shared.clone()),
            shutdown,
        ));
        Ok(FakeSegmind {
            shared,
            api_scheme,
            api_addr,
            files_addr,
            upload_addr,
            stop,
            tasks,
        })
    }

    /// `http://127.0.0.1:P` (`https://` with `Config::tls`), without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.api_scheme, self.api_addr)
    }

    /// `http://127.0.0.1:Q`: the other origin, which serves output files.
    pub fn file_base_url(&self) -> String {
        format!("http://{}", self.files_addr)
    }

    /// `http://127.0.0.1:R`: the asset store, where clips are uploaded.
    pub fn upload_base_url(&self) -> String {
        format!("http://{}", self.upload_addr)
    }

    /// How many clips have been uploaded.
    pub fn uploaded_assets(&self) -> usize {
        self.shared.asset_count()
    }

    /// Every request any origin saw (admin calls excepted), in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Forgets the requests recorded so far.
    pub fn reset_requests(&self) {
        self.shared.reset_requests();
    }

    /// How many recorded requests had this method (any case) and exactly this path.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.shared
            .requests()
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
            .count()
    }

    /// Queues a one-shot fault: the next request to `target` gets it (FIFO per target).
    pub fn push_fault(&self, target: Target, fault: Fault) {
        self.shared.push_fault(target, fault);
    }

    /// The balance now (failed jobs already refunded).
    pub fn credits(&self) -> f64 {
        self.shared.credits()
    }

    pub fn set_credits(&self, credits: f64) {
        self.shared.set_credits(credits);
    }

    /// The next job submitted (either path) ends FAILED with this reason.
    pub fn fail_next_job(&self, reason: &str) {
        self.shared.fail_next_job(reason);
    }

    /// Every existing job record answers 404 from now on, as after Segmind's 1 h expiry.
    /// Their files stay downloadable.
    pub fn expire_all_records(&self) {
        self.shared.expire_all_records();
    }

    /// The bytes of the MP4 every job outputs.
    pub fn clip() -> &'static [u8] {
        CLIP
    }

    /// Stops both servers; the same as dropping the handle.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for FakeSegmind {
    fn drop(&mut self) {
        // The signal closes live connections (and ends hangs); aborting stops accepting
        // at once and releases the ports, without waiting for any connection.
        self.stop.send_replace(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}
