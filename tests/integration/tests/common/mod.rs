//! Shared set-up: a fresh fake Segmind per test and a client with short timers.

#![allow(dead_code)] // Each test file uses its own part of this.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fake_segmind::{Config, FakeSegmind, Origin};
use kling_studio::api_key::ApiKey;
use kling_studio::client::{parse_base_url, ClientConfig, FileFetcher, RetryPolicy, SegmindClient};
use kling_studio::jobs::library::RecordStatus;
use kling_studio::jobs::{JobView, PollPolicy, StudioEvent};
use kling_studio::request::GenerationRequest;
use kling_studio::studio::{LibrarySnapshot, Studio, StudioPaths};
use tokio::sync::mpsc;

pub const KEY: &str = "sk-test";

pub async fn fake() -> FakeSegmind {
    fake_with(Config::default()).await
}

/// The fake with `config`; timings left at the fake's defaults are made quicker
/// (100 ms queued, 200 ms processing), timings a test set are kept.
pub async fn fake_with(config: Config) -> FakeSegmind {
    let config = config.phases_unless_set(Duration::from_millis(100), Duration::from_millis(200));
    FakeSegmind::start(config)
        .await
        .expect("the fake Segmind starts")
}

/// Real timers, scaled down: retries after 20 ms, a hung call gives up after 1 s.
pub fn config_for(fake: &FakeSegmind) -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(1),
        download_idle_timeout: Duration::from_secs(1),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
            max_rate_limit_wait: Duration::from_secs(5),
        },
        upload_base: parse_base_url(&fake.upload_base_url()).unwrap(),
        ..ClientConfig::new(parse_base_url(&fake.base_url()).unwrap())
    }
}

/// Downloads as a job does: no key, wherever the file is.
pub fn files(fake: &FakeSegmind) -> FileFetcher {
    FileFetcher::new(&config_for(fake)).unwrap()
}

pub fn client(fake: &FakeSegmind) -> SegmindClient {
    client_with_key(fake, KEY)
}

pub fn client_with_key(fake: &FakeSegmind, key: &str) -> SegmindClient {
    SegmindClient::new(config_for(fake), ApiKey::parse(key).unwrap()).unwrap()
}

/// Polls every 50-100 ms; troubles back off to 200 ms; a download retries for
/// 10 s; a 404 within 2 s of sending is Segmind lagging; a paid job left with a
/// problem is looked at again every 500 ms for a minute; an unread result is a
/// passing trouble for 300 ms.
pub fn fast_poll() -> PollPolicy {
    PollPolicy {
        interval: Duration::from_millis(50),
        max_interval: Duration::from_millis(100),
        deadline: Duration::from_secs(20),
        max_retry_pause: Duration::from_millis(200),
        download_patience: Duration::from_secs(10),
        retention: Duration::from_secs(2),
        slow_interval: Duration::from_millis(500),
        keep_asking: Duration::from_secs(60),
        unread_patience: Duration::from_millis(300),
    }
}

pub fn target_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("video.mp4")
}

/// The key went with every call to the API origin and with none to the file host.
pub fn assert_key_only_to_segmind(fake: &FakeSegmind) {
    let requests = fake.requests();
    assert!(
        requests.iter().any(|r| r.origin == Origin::Files),
        "the test downloaded nothing"
    );
    for request in &requests {
        match request.origin {
            Origin::Api | Origin::Upload => assert_eq!(
                request.header("x-api-key"),
                Some(KEY),
                "{} {}",
                request.method,
                request.path
            ),
            Origin::Files => {
                assert_eq!(
                    request.header("x-api-key"),
                    None,
                    "key sent to the file host: {}",
                    request.path
                );
                assert_eq!(request.header("authorization"), None);
            }
        }
    }
}

// ---------- the studio, without a window ----------

pub const SUBMIT: &str = "/v2/kling-3-pro-text2video";

pub async fn open_studio(fake: &FakeSegmind, dir: &Path) -> Studio {
    open_studio_with(fake, dir, fast_poll()).await
}

pub fn studio_paths(dir: &Path) -> StudioPaths {
    StudioPaths {
        library_dir: dir.join("data/library"),
        config_dir: dir.join("config"),
        default_output_dir: dir.join("Videos/Kling Studio"),
    }
}

pub async fn open_studio_with(fake: &FakeSegmind, dir: &Path, poll: PollPolicy) -> Studio {
    let paths = studio_paths(dir);
    Studio::start(
        paths,
        config_for(fake),
        poll,
        "kling-studio-integration-test",
    )
    .await
    .unwrap()
}

/// Every event the studio publishes, in order.
pub fn watch(studio: &Studio) -> (LibrarySnapshot, mpsc::UnboundedReceiver<StudioEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let snapshot = studio.watch_jobs(Arc::new(move |event: &StudioEvent| {
        tx.send(event.clone()).is_ok()
    }));
    (snapshot, rx)
}

/// Waits until job `id` satisfies `done`, answering its view then.
pub async fn until(
    rx: &mut mpsc::UnboundedReceiver<StudioEvent>,
    id: &str,
    done: impl Fn(&JobView) -> bool,
) -> JobView {
    let wait = async {
        while let Some(event) = rx.recv().await {
            if let StudioEvent::Job { job } = event {
                if job.record.id == id && done(&job) {
                    return *job;
                }
            }
        }
        panic!("the studio stopped publishing");
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .expect("the job got there in time")
}

pub fn ended(job: &JobView) -> bool {
    !job.record.status.is_active()
}

pub fn has_status(status: RecordStatus) -> impl Fn(&JobView) -> bool {
    move |job| job.record.status == status
}

pub fn request(prompt: &str) -> GenerationRequest {
    GenerationRequest {
        prompt: prompt.into(),
        ..Default::default()
    }
}

pub struct Setup {
    pub fake: FakeSegmind,
    pub studio: Studio,
    pub dir: tempfile::TempDir,
    pub rx: mpsc::UnboundedReceiver<StudioEvent>,
}

pub async fn setup_with(config: Config) -> Setup {
    let fake = fake_with(config).await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open_studio(&fake, dir.path()).await;
    let (_, rx) = watch(&studio);
    Setup {
        fake,
        studio,
        dir,
        rx,
    }
}

pub async fn setup_with_key() -> Setup {
    let s = setup_with(Config::default()).await;
    s.studio.save_api_key(KEY, true).await.unwrap();
    s.fake.reset_requests();
    s
}
