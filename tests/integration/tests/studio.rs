//! The app's use cases without a window: one click makes one job, the video is
//! previewed over the loopback media server, and saved without overwriting.
//! The key is kept for the session only here: the keychain is the end-to-end tests' job.

mod common;

use std::sync::Arc;

use common::*;
use fake_segmind::FakeSegmind;
use kling_studio::error::ErrorCode;
use kling_studio::job::JobEvent;
use kling_studio::request::GenerationRequest;
use kling_studio::studio::{Reporter, Studio, StudioPaths};
use tokio::sync::mpsc;

struct Setup {
    fake: FakeSegmind,
    studio: Studio,
    dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let paths = StudioPaths {
        videos_dir: dir.path().join("data/videos"),
        config_dir: dir.path().join("config"),
        default_output_dir: dir.path().join("Videos/Kling Studio"),
    };
    let studio = Studio::start(paths, config_for(&fake), fast_poll(), "kling-studio-integration-test").await.unwrap();
    Setup { fake, studio, dir }
}

fn channel() -> (Reporter, mpsc::UnboundedReceiver<JobEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Arc::new(move |event| drop(tx.send(event))), rx)
}

/// Waits for the job's last event: ready, failed or stopped.
async fn outcome(rx: &mut mpsc::UnboundedReceiver<JobEvent>) -> JobEvent {
    while let Some(event) = rx.recv().await {
        if matches!(event, JobEvent::Ready { .. } | JobEvent::Failed { .. } | JobEvent::Stopped) {
            return event;
        }
    }
    panic!("the job ended without a last event");
}

fn request() -> GenerationRequest {
    GenerationRequest { prompt: "A lighthouse at dawn, waves crashing".into(), ..Default::default() }
}

#[tokio::test]
async fn without_a_key_nothing_is_sent() {
    let s = setup().await;
    let (report, _rx) = channel();
    let err = s.studio.start_job(request(), "click-1", report).await.unwrap_err();
    // With a keychain the key is missing; without one there is nowhere to read it from.
    assert!(matches!(err.code, ErrorCode::NoApiKey | ErrorCode::KeychainUnavailable), "{err:?}");
    assert!(s.fake.requests().is_empty());
}

#[tokio::test]
async fn a_key_is_checked_before_it_is_kept() {
    let s = setup().await;
    let err = s.studio.save_api_key("sk-wrong", true).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Auth);
    let saved = s.studio.save_api_key("  sk-test ", true).await.unwrap();
    assert_eq!(saved.credits, 100.0);
    assert_eq!(saved.status.last4.as_deref(), Some("test"));
    let json = serde_json::to_string(&saved).unwrap();
    assert!(!json.contains("sk-test"), "the key never goes back to the webview: {json}");
}

#[tokio::test]
async fn one_click_makes_one_job_even_when_it_arrives_twice() {
    let s = setup().await;
    s.studio.save_api_key(KEY, true).await.unwrap();
    let (report, mut rx) = channel();
    let started = s.studio.start_job(request(), "click-1", Arc::clone(&report)).await.unwrap();
    let again = s.studio.start_job(request(), "click-1", report).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::DuplicateSubmission);

    let JobEvent::Ready { video_url, path, bytes, .. } = outcome(&mut rx).await else { panic!("not ready") };
    assert_eq!(s.fake.count("POST", "/v2/kling-3-pro-text2video"), 1);
    assert_eq!(bytes, FakeSegmind::clip().len() as u64);
    assert_eq!(path, s.dir.path().join(format!("data/videos/{}.mp4", started.job_id)));

    // The preview URL serves the file with Range (seeking), and nothing without the token.
    let http = reqwest::Client::new();
    let ranged = http.get(&video_url).header("range", "bytes=100-199").send().await.unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap(), &FakeSegmind::clip()[100..200]);
    let tokenless = video_url.replacen("/videos/", "x/videos/", 1);
    assert_eq!(http.get(&tokenless).send().await.unwrap().status(), 404);
    let rebinding = http.get(&video_url).header("host", "evil.example:80").send().await.unwrap();
    assert_eq!(rebinding.status(), 404, "a foreign Host header is refused");

    // Save copies into the output folder and never overwrites.
    let first = s.studio.save_video(&started.job_id, None).unwrap();
    let second = s.studio.save_video(&started.job_id, None).unwrap();
    assert_ne!(first, second);
    assert!(first.starts_with(s.dir.path().join("Videos/Kling Studio")));
    let name = first.file_name().unwrap().to_string_lossy().to_string();
    assert!(name.starts_with("kling-") && name.ends_with("-a-lighthouse-at-dawn-waves-crashing.mp4"), "{name}");
    assert_eq!(std::fs::read(&first).unwrap(), FakeSegmind::clip());
    assert_eq!(std::fs::read(&second).unwrap(), FakeSegmind::clip());
    assert_eq!(s.studio.saved_file(&first).unwrap(), first);
    assert!(s.studio.saved_file(std::path::Path::new("/etc/passwd")).is_err());
}

#[tokio::test]
async fn an_invalid_request_costs_nothing() {
    let s = setup().await;
    s.studio.save_api_key(KEY, true).await.unwrap();
    s.fake.reset_requests();
    let (report, _rx) = channel();
    let bad = GenerationRequest { prompt: String::new(), cfg_scale: 2.0, ..request() };
    let err = s.studio.start_job(bad, "click-1", report).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert_eq!(err.fields.len(), 2);
    assert!(s.fake.requests().is_empty());
}

#[tokio::test]
async fn stop_following_ends_the_job_card_and_downloads_nothing() {
    let s = setup().await;
    s.studio.save_api_key(KEY, true).await.unwrap();
    let (report, mut rx) = channel();
    let started = s.studio.start_job(request(), "click-1", report).await.unwrap();
    // Stop once Segmind has the job, before it is done.
    while let Some(event) = rx.recv().await {
        if matches!(event, JobEvent::Queued { .. }) {
            break;
        }
    }
    s.studio.stop_following(&started.job_id).unwrap();
    assert_eq!(outcome(&mut rx).await, JobEvent::Stopped);
    assert!(s.fake.requests().iter().all(|r| r.origin == fake_segmind::Origin::Api), "no download");
}

#[tokio::test]
async fn the_last_form_is_remembered() {
    let s = setup().await;
    let loaded = s.studio.load_settings();
    assert_eq!(loaded.request, GenerationRequest::default());
    assert_eq!(loaded.output_dir, s.dir.path().join("Videos/Kling Studio"));
    let request = GenerationRequest { duration: "12".into(), ..request() };
    s.studio.remember_request(request.clone()).unwrap();
    assert_eq!(s.studio.load_settings().request, request);
}
