//! Shared set-up: a fresh fake Segmind per test and a client with short timers.

#![allow(dead_code)] // Each test file uses its own part of this.

use std::path::PathBuf;
use std::time::Duration;

use fake_segmind::{Config, FakeSegmind, Origin};
use kling_studio::api_key::ApiKey;
use kling_studio::client::{parse_base_url, ClientConfig, RetryPolicy, SegmindClient};
use kling_studio::jobs::PollPolicy;

pub const KEY: &str = "sk-test";

pub async fn fake() -> FakeSegmind {
    fake_with(Config::default()).await
}

pub async fn fake_with(config: Config) -> FakeSegmind {
    let config = Config {
        queued: Duration::from_millis(100),
        processing: Duration::from_millis(200),
        ..config
    };
    FakeSegmind::start(config)
        .await
        .expect("the fake Segmind starts")
}

/// Real timers, scaled down: retries after 20 ms, a hung call gives up after 1 s.
pub fn config_for(fake: &FakeSegmind) -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(1),
        blocking_timeout: Duration::from_secs(10),
        download_idle_timeout: Duration::from_secs(1),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
            max_rate_limit_wait: Duration::from_secs(5),
        },
        ..ClientConfig::new(parse_base_url(&fake.base_url()).unwrap())
    }
}

pub fn client(fake: &FakeSegmind) -> SegmindClient {
    client_with_key(fake, KEY)
}

pub fn client_with_key(fake: &FakeSegmind, key: &str) -> SegmindClient {
    SegmindClient::new(config_for(fake), ApiKey::parse(key).unwrap()).unwrap()
}

pub fn fast_poll() -> PollPolicy {
    PollPolicy {
        interval: Duration::from_millis(50),
        max_interval: Duration::from_millis(100),
        deadline: Duration::from_secs(20),
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
            Origin::Api => assert_eq!(
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
