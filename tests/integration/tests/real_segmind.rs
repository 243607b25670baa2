//! Paid means kept against the real Segmind (issue 19): every answer shape its own
//! sources say it may send is read or kept, and no paid job waits on a click to be
//! followed again, whatever clock ran out.

mod common;

use std::time::Duration;

use common::*;
use fake_segmind::{Config, FakeSegmind, Fault, Target};
use kling_studio::error::ErrorCode;
use kling_studio::jobs::library::RecordStatus;
use kling_studio::jobs::{JobView, PollPolicy};
use kling_studio::voices::VoiceStatus;
use tokio::sync::mpsc;

async fn start(studio: &kling_studio::studio::Studio, prompt: &str) -> String {
    studio
        .start_job(request(prompt), &format!("click-{prompt}"))
        .await
        .unwrap()
        .record
        .id
}

fn reason(job: &JobView) -> Option<&str> {
    job.record.error.as_ref().and_then(|e| e.reason_name())
}

fn assert_ready_and_whole(dir: &std::path::Path, job: &JobView) {
    assert_eq!(
        job.record.status,
        RecordStatus::Ready,
        "{:?}",
        job.record.error
    );
    let video = dir.join(format!("data/library/videos/{}.mp4", job.record.id));
    assert_eq!(std::fs::read(video).unwrap(), FakeSegmind::clip());
}

/// A studio with its own poll policy and a key, watched from its first event.
struct Watched {
    fake: FakeSegmind,
    studio: kling_studio::studio::Studio,
    dir: tempfile::TempDir,
    rx: mpsc::UnboundedReceiver<kling_studio::jobs::StudioEvent>,
}

async fn watched(config: Config, poll: PollPolicy) -> Watched {
    let fake = fake_with(config).await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open_studio_with(&fake, dir.path(), poll).await;
    let (_, rx) = watch(&studio);
    studio.save_api_key(KEY, true).await.unwrap();
    Watched {
        fake,
        studio,
        dir,
        rx,
    }
}

/// Every view of job `id` until it ends.
async fn views_until_ended(
    rx: &mut mpsc::UnboundedReceiver<kling_studio::jobs::StudioEvent>,
    id: &str,
) -> Vec<JobView> {
    let mut seen = Vec::new();
    loop {
        let view = until(rx, id, |_| true).await;
        let done = ended(&view);
        seen.push(view);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn a_result_whose_output_is_a_json_string_is_downloaded_once_paid_once() {
    let mut s = setup_with_key().await;
    for _ in 0..20 {
        s.fake.push_fault(Target::Result, Fault::StringOutput);
    }
    let id = start(&s.studio, "a paper boat").await;
    let done = until(&mut s.rx, &id, ended).await;
    assert_ready_and_whole(s.dir.path(), &done);
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
    assert_eq!(s.fake.credits(), 97.0, "billed once");
}

#[tokio::test]
async fn a_result_naming_no_video_is_kept_said_plainly_and_never_sent_again() {
    let mut s = setup_with_key().await;
    for _ in 0..400 {
        s.fake.push_fault(Target::Result, Fault::NoReadableUrl);
    }
    let id = start(&s.studio, "a glass harp").await;
    let said = until(&mut s.rx, &id, |job| {
        reason(job) == Some("unreadable_result")
    })
    .await;
    // Kept, following on, and never sent again.
    assert_eq!(said.record.status, RecordStatus::Processing);
    assert!(said.resumable);
    let error = said.record.error.as_ref().unwrap();
    assert_eq!(error.code, ErrorCode::UnexpectedResponse);
    assert!(error.may_be_billed);
    let kept = said
        .record
        .unread_answer
        .clone()
        .expect("the answer is kept");
    assert!(kept.answer.contains("kling/outputs/7f3a.bin"), "{kept:?}");
    assert!(kept.addresses.is_empty());
    // It is kept on disk, not only in memory.
    let record =
        std::fs::read_to_string(s.dir.path().join(format!("data/library/jobs/{id}.json"))).unwrap();
    assert!(record.contains("unreadAnswer"), "{record}");
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
    let request_id = said.record.request_id.clone().unwrap();

    // A newer version reads the kept answer at start: here, the kept answer is
    // made one this version reads, as if an older version had kept it.
    drop(s.studio);
    let path = s.dir.path().join(format!("data/library/jobs/{id}.json"));
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let url = format!("{}/files/{request_id}.mp4", s.fake.file_base_url());
    let readable = serde_json::json!({
        "status": "COMPLETED",
        "output": serde_json::json!({ "video": { "url": url } }).to_string(),
    });
    value["unreadAnswer"]["answer"] = readable.to_string().into();
    std::fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
    let again = open_studio(&s.fake, s.dir.path()).await;
    let (_, mut rx) = watch(&again);
    again.resume_jobs().await;
    let done = until(&mut rx, &id, ended).await;
    assert_ready_and_whole(s.dir.path(), &done);
    assert!(done.record.unread_answer.is_none());
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn a_job_past_its_deadline_is_looked_at_again_by_itself_until_it_is_ready() {
    let mut s = watched(
        Config {
            processing: Duration::from_secs(3),
            ..Config::default()
        },
        PollPolicy {
            deadline: Duration::from_secs(1),
            ..fast_poll()
        },
    )
    .await;
    let id = start(&s.studio, "a slow tide").await;
    let late = until(&mut s.rx, &id, |job| {
        reason(job) == Some("follow_deadline") && job.next_look_at_ms.is_some()
    })
    .await;
    assert!(late.record.status.is_active(), "not given up");
    assert!(late.next_look_at_ms.is_some(), "the card says when");
    // No click: the later looks find it done.
    let done = until(&mut s.rx, &id, ended).await;
    assert_ready_and_whole(s.dir.path(), &done);
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn the_deadline_counts_from_when_segmind_has_the_job_not_from_the_wait_before() {
    let mut s = watched(
        Config::default(),
        PollPolicy {
            deadline: Duration::from_millis(1500),
            ..fast_poll()
        },
    )
    .await;
    // A 429 holds the POST back for longer than the whole deadline.
    s.fake.push_fault(
        Target::Submit,
        Fault::RateLimited {
            reset_after: Duration::from_millis(2000),
        },
    );
    let id = start(&s.studio, "a late train").await;
    let seen = views_until_ended(&mut s.rx, &id).await;
    assert!(
        seen.iter()
            .all(|job| reason(job) != Some("follow_deadline")),
        "followed from when Segmind had it: {:?}",
        seen.iter().filter_map(reason).collect::<Vec<_>>()
    );
    assert_ready_and_whole(s.dir.path(), seen.last().unwrap());
    assert_eq!(s.fake.count("POST", SUBMIT), 2, "one 429, one accepted");
}

#[tokio::test]
async fn a_refused_key_is_tried_again_by_itself_and_a_key_that_came_back_goes_on() {
    let mut s = watched(Config::default(), fast_poll()).await;
    s.fake.push_fault(
        Target::Status,
        fake_segmind::Fault::Status {
            code: 401,
            body: r#"{"error":"Invalid API key"}"#.into(),
            content_type: "application/json",
        },
    );
    let id = start(&s.studio, "a lantern").await;
    until(&mut s.rx, &id, |job| {
        job.record.error.as_ref().map(|e| e.code) == Some(ErrorCode::Auth)
    })
    .await;
    // No new key is saved: the same key, asked again later, is accepted.
    let done = until(&mut s.rx, &id, ended).await;
    assert_ready_and_whole(s.dir.path(), &done);
}

#[tokio::test]
async fn a_download_out_of_patience_is_tried_again_by_itself() {
    let mut s = watched(
        Config::default(),
        PollPolicy {
            download_patience: Duration::from_millis(300),
            ..fast_poll()
        },
    )
    .await;
    for _ in 0..12 {
        s.fake.push_fault(
            Target::File,
            Fault::Status {
                code: 503,
                body: "busy".into(),
                content_type: "text/plain",
            },
        );
    }
    let id = start(&s.studio, "a kite").await;
    // The card says the problem, and when the app tries again.
    until(&mut s.rx, &id, |job| {
        job.record.status == RecordStatus::Downloading
            && job.record.error.is_some()
            && job.next_look_at_ms.is_some()
    })
    .await;
    let done = until(&mut s.rx, &id, ended).await;
    assert_ready_and_whole(s.dir.path(), &done);
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn a_voice_is_made_when_the_upload_answers_urls_and_its_id_comes_as_a_string() {
    let s = setup_with_key().await;
    s.fake.push_fault(Target::Upload, Fault::UploadUrls);
    for _ in 0..20 {
        s.fake.push_fault(Target::Result, Fault::StringOutput);
    }
    let staged = s
        .studio
        .stage_voice_clip(&fake_segmind::wav_clip(6000))
        .unwrap();
    let voice = s
        .studio
        .make_voice(&staged.clip_id, "memo.wav", "Iris", |_| {})
        .await
        .unwrap();
    assert_eq!(voice.status, VoiceStatus::Ready);
    assert!(voice.voice_id.as_deref().is_some_and(|id| id.len() > 10));
    assert_eq!(s.fake.count("POST", "/v2/kling-create-voice"), 1);
}

#[tokio::test]
async fn an_unread_result_first_seen_past_the_deadline_is_said_and_looked_at_again() {
    // The answer arrives after the deadline, long before unread_patience: the
    // card must still say so, and the job be looked at again, not left silent.
    let mut s = watched(
        Config {
            processing: Duration::from_secs(2),
            ..Config::default()
        },
        PollPolicy {
            deadline: Duration::from_millis(500),
            unread_patience: Duration::from_secs(600),
            ..fast_poll()
        },
    )
    .await;
    for _ in 0..400 {
        s.fake.push_fault(Target::Result, Fault::NoReadableUrl);
    }
    let id = start(&s.studio, "a quiet harbour").await;
    let said = until(&mut s.rx, &id, |job| {
        reason(job) == Some("unreadable_result") && job.next_look_at_ms.is_some()
    })
    .await;
    assert!(said.resumable, "Try again is offered");
    assert!(said.record.unread_answer.is_some());
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
}
