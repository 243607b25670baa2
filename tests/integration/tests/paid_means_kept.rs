//! Paid means kept: every ordinary hiccup between Segmind's "yes" and the video in
//! the library is ridden out without a click, and nothing is ever sent twice.
//! Each test here failed before the fix it names (issue 13).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use fake_segmind::{Config, FakeSegmind, Fault, Origin, Target};
use kling_studio::error::ErrorCode;
use kling_studio::jobs::library::{JobRecord, Library, RecordStatus};
use kling_studio::jobs::StudioEvent;

async fn start(s: &Setup, prompt: &str) -> String {
    s.studio
        .start_job(request(prompt), &format!("click-{prompt}"))
        .await
        .unwrap()
        .record
        .id
}

fn json_fault(code: u16, body: &str) -> Fault {
    Fault::Status {
        code,
        body: body.into(),
        content_type: "application/json",
    }
}

/// The job is ready, its video byte-identical, and Segmind billed it once.
fn assert_kept(s: &Setup, id: &str, job: &kling_studio::jobs::JobView) {
    assert_eq!(
        job.record.status,
        RecordStatus::Ready,
        "{:?}",
        job.record.error
    );
    let video = s.dir.path().join(format!("data/library/videos/{id}.mp4"));
    assert_eq!(std::fs::read(video).unwrap(), FakeSegmind::clip());
    assert_eq!(s.fake.credits(), 97.0, "billed once");
}

#[tokio::test]
async fn saving_a_key_while_a_job_is_being_sent_keeps_its_answer() {
    let mut s = setup_with_key().await;
    s.fake.push_fault(
        Target::Submit,
        Fault::RateLimited {
            reset_after: Duration::from_millis(1500),
        },
    );
    let id = start(&s, "a heron").await;
    until(&mut s.rx, &id, has_status(RecordStatus::Sending)).await;
    // During the 429 wait, the creator saves their key again.
    s.studio.save_api_key(KEY, true).await.unwrap();
    let done = until(&mut s.rx, &id, ended).await;
    assert_kept(&s, &id, &done);
    assert_eq!(
        s.fake.count("POST", SUBMIT),
        2,
        "the refused one and the real one"
    );
}

#[tokio::test]
async fn a_record_that_cannot_be_written_after_the_post_lives_in_memory_until_it_can() {
    let mut s = setup_with_key().await;
    // The answer takes a moment, so the disk can "fill up" while it comes.
    s.fake.push_fault(
        Target::Submit,
        Fault::SlowBody {
            chunk: 32,
            delay: Duration::from_millis(50),
        },
    );
    let id = start(&s, "a quarry").await;
    until(&mut s.rx, &id, has_status(RecordStatus::Sending)).await;
    // The record's file becomes a folder: every write of this record now fails.
    let record_file = s.dir.path().join(format!("data/library/jobs/{id}.json"));
    std::fs::remove_file(&record_file).unwrap();
    std::fs::create_dir(&record_file).unwrap();
    let held = until(&mut s.rx, &id, |job| {
        job.record.error.as_ref().map(|e| e.code) == Some(ErrorCode::LibraryNotWritable)
    })
    .await;
    assert!(
        held.record.request_id.is_some(),
        "the paid job's id is kept in memory"
    );
    assert!(held.record.status.is_active());
    // Space comes back: the record is written and the job finishes by itself.
    std::fs::remove_dir(&record_file).unwrap();
    let done = until(&mut s.rx, &id, ended).await;
    assert_kept(&s, &id, &done);
    assert!(done.record.error.is_none());
    let on_disk = Library::open(&s.dir.path().join("data/library")).unwrap();
    let stored = on_disk.get(&id).unwrap();
    assert_eq!(stored.request_id, done.record.request_id);
    assert_eq!(stored.status, RecordStatus::Ready);
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn bad_answers_while_following_do_not_end_following() {
    let mut s = setup_with_key().await;
    s.fake.push_fault(
        Target::Status,
        json_fault(500, r#"{"error":"Internal error"}"#),
    );
    s.fake.push_fault(
        Target::Status,
        Fault::Status {
            code: 200,
            body: "<html>gateway</html>".into(),
            content_type: "text/html",
        },
    );
    s.fake.push_fault(Target::Status, Fault::OddShape);
    s.fake.push_fault(
        Target::Result,
        json_fault(500, r#"{"error":"Internal error"}"#),
    );
    s.fake.push_fault(Target::Result, Fault::OddShape);
    let id = start(&s, "a windmill").await;
    let done = until(&mut s.rx, &id, ended).await;
    assert_kept(&s, &id, &done);
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn a_result_whose_video_is_a_plain_string_is_still_read() {
    let mut s = setup_with_key().await;
    // Every result answer reshaped: the first COMPLETED one carries `video` as a string.
    for _ in 0..20 {
        s.fake.push_fault(Target::Result, Fault::OddShape);
    }
    let id = start(&s, "a lighthouse keeper").await;
    let done = until(&mut s.rx, &id, ended).await;
    assert_kept(&s, &id, &done);
}

#[tokio::test]
async fn a_refused_key_while_following_waits_for_a_new_key_then_goes_on() {
    let mut s = setup_with_key().await;
    s.fake.push_fault(
        Target::Status,
        json_fault(401, r#"{"error":"Invalid API key"}"#),
    );
    let id = start(&s, "a ferry").await;
    let waiting = until(&mut s.rx, &id, |job| {
        job.record.error.as_ref().map(|e| e.code) == Some(ErrorCode::Auth)
    })
    .await;
    assert!(waiting.record.status.is_active(), "the job keeps its place");
    s.studio.save_api_key(KEY, true).await.unwrap();
    let done = until(&mut s.rx, &id, ended).await;
    assert_kept(&s, &id, &done);
}

#[tokio::test]
async fn a_removed_key_is_not_used_again_and_a_new_one_goes_on() {
    // Long enough that removing the key (a keychain call, slow on a busy machine)
    // surely lands while Segmind is still making the video.
    let mut s = setup_with(Config {
        processing: Duration::from_secs(8),
        ..Config::default()
    })
    .await;
    s.studio.save_api_key(KEY, true).await.unwrap();
    let id = start(&s, "a lamplighter").await;
    until(&mut s.rx, &id, has_status(RecordStatus::Processing)).await;
    s.studio.remove_api_key().await.unwrap();
    let waiting = until(&mut s.rx, &id, |job| {
        job.record.error.as_ref().map(|e| e.code) == Some(ErrorCode::NoApiKey)
    })
    .await;
    assert_eq!(waiting.record.status, RecordStatus::Processing);
    let calls_without_key = s.fake.requests().len();
    s.studio.save_api_key(KEY, true).await.unwrap();
    let done = until(&mut s.rx, &id, ended).await;
    assert_kept(&s, &id, &done);
    // Between the removal and the new key, the only call was the new key's check.
    let later = &s.fake.requests()[calls_without_key..];
    assert_eq!(later[0].path, "/v1/get-user-credits", "{later:?}");
}

#[tokio::test]
async fn a_404_seconds_after_sending_is_segmind_lagging_not_forgetting() {
    let mut s = setup_with_key().await;
    s.fake.push_fault(
        Target::Status,
        json_fault(404, r#"{"error":"Request not found"}"#),
    );
    s.fake.push_fault(
        Target::Status,
        json_fault(404, r#"{"error":"Request not found"}"#),
    );
    let id = start(&s, "a marsh at dusk").await;
    let done = until(&mut s.rx, &id, ended).await;
    assert_kept(&s, &id, &done);
}

#[tokio::test]
async fn a_404_or_an_error_page_from_the_file_host_is_tried_again_never_kept() {
    let mut s = setup_with_key().await;
    s.fake
        .push_fault(Target::File, json_fault(404, r#"{"error":"Not found"}"#));
    s.fake.push_fault(
        Target::File,
        Fault::Status {
            code: 200,
            body: "<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>".into(),
            content_type: "text/html",
        },
    );
    // An error page labelled as binary, of any length, is told by its first bytes.
    s.fake.push_fault(
        Target::File,
        Fault::Status {
            code: 200,
            body: "<html>Access denied</html>".into(),
            content_type: "video/mp4",
        },
    );
    let id = start(&s, "a fjord").await;
    let done = until(&mut s.rx, &id, ended).await;
    assert_kept(&s, &id, &done);
    assert_eq!(done.record.bytes, Some(FakeSegmind::clip().len() as u64));
    let file_gets = s
        .fake
        .requests()
        .iter()
        .filter(|r| r.origin == Origin::Files)
        .count();
    assert!(file_gets >= 4, "{file_gets}");
}

#[tokio::test]
async fn a_finished_video_cannot_be_stopped_and_a_stopped_job_can_be_fetched_after_all() {
    let mut s = setup_with_key().await;
    // Downloading takes about 2 s: time for the creator to press Stop.
    s.fake.push_fault(
        Target::File,
        Fault::SlowBody {
            chunk: 4096,
            delay: Duration::from_millis(150),
        },
    );
    let id = start(&s, "a blacksmith").await;
    until(&mut s.rx, &id, has_status(RecordStatus::Downloading)).await;
    let refused = s.studio.stop_following(&id).unwrap_err();
    assert_eq!(refused.code, ErrorCode::Busy);
    let done = until(&mut s.rx, &id, ended).await;
    assert_kept(&s, &id, &done);

    // Stopped while Segmind made it: its video is still the creator's to fetch.
    let second = start(&s, "a second take").await;
    until(&mut s.rx, &second, has_status(RecordStatus::Queued)).await;
    let stopped = s.studio.stop_following(&second).unwrap();
    assert_eq!(stopped.record.status, RecordStatus::Stopped);
    s.studio.resume_job(&second).await.unwrap();
    // (Events from before the stop may still be in line: wait for "ready" itself.)
    let fetched = until(&mut s.rx, &second, has_status(RecordStatus::Ready)).await;
    assert_eq!(fetched.record.status, RecordStatus::Ready);
    assert_eq!(s.fake.count("POST", SUBMIT), 2, "fetched, never sent again");
}

#[tokio::test]
async fn a_job_segmind_has_never_waits_behind_unsent_ones() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    // A paid job from an earlier run, and an older unsent one that takes the one slot.
    let paid = client(&fake)
        .submit(&request("paid earlier"))
        .await
        .unwrap();
    let library = Library::open(&dir.path().join("data/library")).unwrap();
    let mut unsent = JobRecord::new(
        "0000aaaa-0000-0000-0000-000000000001".into(),
        request("unsent"),
    );
    unsent.created_at_ms -= 60_000;
    library.put(unsent.clone()).unwrap();
    let mut followed = JobRecord::new(
        "0000bbbb-0000-0000-0000-000000000002".into(),
        request("paid earlier"),
    );
    followed.status = RecordStatus::Processing;
    followed.request_id = Some(paid.request_id.clone());
    followed.status_url = paid.status_url.clone();
    followed.response_url = paid.response_url.clone();
    library.put(followed.clone()).unwrap();
    drop(library);
    // The unsent job's POST meets a long rate limit and holds its slot meanwhile.
    fake.push_fault(
        Target::Submit,
        Fault::RateLimited {
            reset_after: Duration::from_secs(4),
        },
    );
    let studio = open_studio(&fake, dir.path()).await;
    studio.set_max_running_jobs(1).unwrap();
    let (_, mut rx) = watch(&studio);
    studio.save_api_key(KEY, true).await.unwrap();
    let done = until(&mut rx, &followed.id, ended).await;
    assert_eq!(done.record.status, RecordStatus::Ready);
    let snapshot = studio.watch_jobs(Arc::new(|_: &StudioEvent| false));
    let other = snapshot
        .jobs
        .iter()
        .find(|j| j.record.id == unsent.id)
        .unwrap();
    assert!(
        other.record.status.is_active(),
        "the paid job finished while the unsent one still held its slot"
    );
    let sent = until(&mut rx, &unsent.id, ended).await;
    assert_eq!(sent.record.status, RecordStatus::Ready);
}

#[tokio::test]
async fn quitting_waits_for_a_job_being_sent_to_get_its_answer() {
    let mut s = setup_with_key().await;
    s.fake.push_fault(
        Target::Submit,
        Fault::SlowBody {
            chunk: 32,
            delay: Duration::from_millis(50),
        },
    );
    let id = start(&s, "a glassblower").await;
    until(&mut s.rx, &id, has_status(RecordStatus::Sending)).await;
    assert_eq!(s.studio.settle_sends(Duration::from_secs(10)).await, 0);
    let on_disk = Library::open(&s.dir.path().join("data/library")).unwrap();
    assert!(
        on_disk.get(&id).unwrap().request_id.is_some(),
        "the answer was on disk before quitting"
    );
}

#[test]
fn a_subscriber_may_call_back_into_the_studio_without_a_deadlock() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(fake());
    let dir = tempfile::tempdir().unwrap();
    let studio = Arc::new(runtime.block_on(open_studio(&fake, dir.path())));
    // Like the "video ready" notifier asking the main thread something while the
    // main thread publishes: a subscriber that publishes in turn.
    let depth = Arc::new(AtomicUsize::new(0));
    let weak = Arc::downgrade(&studio);
    studio.watch_jobs(Arc::new(move |event: &StudioEvent| {
        if matches!(event, StudioEvent::CloseRequested { .. })
            && depth.fetch_add(1, Ordering::SeqCst) == 0
        {
            if let Some(studio) = weak.upgrade() {
                studio.publish(&StudioEvent::CloseRequested {
                    active_jobs: 2,
                    voices_being_made: 0,
                });
            }
        }
        true
    }));
    // The desktop notifier listens too, but only a page can answer "quit?".
    studio.observe_jobs(Arc::new(|_: &StudioEvent| true));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let publisher = Arc::clone(&studio);
    std::thread::spawn(move || {
        let listening = publisher.publish(&StudioEvent::CloseRequested {
            active_jobs: 1,
            voices_being_made: 0,
        });
        let _ = done_tx.send(listening);
    });
    let listening = done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("publishing returned: no deadlock");
    assert_eq!(
        listening, 1,
        "one page listens (the desktop observer is not a page)"
    );
}

#[tokio::test]
async fn a_paid_job_written_by_a_newer_version_is_followed_not_set_aside() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let paid = client(&fake)
        .submit(&request("from the future"))
        .await
        .unwrap();
    let jobs = dir.path().join("data/library/jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    let id = "0000cccc-0000-0000-0000-000000000003";
    let mut record =
        serde_json::to_value(JobRecord::new(id.into(), request("from the future"))).unwrap();
    record["status"] = "rendering_takes".into();
    record["requestId"] = paid.request_id.clone().into();
    record["takeOf"] = "g-1".into();
    std::fs::write(
        jobs.join(format!("{id}.json")),
        serde_json::to_vec(&record).unwrap(),
    )
    .unwrap();
    let studio = open_studio(&fake, dir.path()).await;
    let (snapshot, mut rx) = watch(&studio);
    assert!(snapshot.damaged.is_empty());
    studio.save_api_key(KEY, true).await.unwrap();
    let done = until(&mut rx, id, ended).await;
    assert_eq!(
        done.record.status,
        RecordStatus::Ready,
        "{:?}",
        done.record.error
    );
    assert_eq!(
        fake.count("POST", SUBMIT),
        1,
        "the one sent before, never again"
    );
}

#[tokio::test]
async fn save_as_never_writes_into_the_library() {
    let mut s = setup_with_key().await;
    let id = start(&s, "a cellist").await;
    until(&mut s.rx, &id, ended).await;
    let own = s.dir.path().join(format!("data/library/videos/{id}.mp4"));
    let err = s.studio.save_video_to(&id, &own).unwrap_err();
    assert_eq!(err.code, ErrorCode::Io);
    assert_eq!(
        std::fs::read(&own).unwrap(),
        FakeSegmind::clip(),
        "not emptied"
    );
    let beside = s.dir.path().join("data/library/videos/other.mp4");
    assert!(s.studio.save_video_to(&id, &beside).is_err());
    assert!(!beside.exists());
    assert!(s
        .studio
        .save_video(&id, Some(&s.dir.path().join("data/library")))
        .is_err());
    // Anywhere else, Save as… replaces the chosen file with the whole video.
    let chosen = s.dir.path().join("chosen.mp4");
    std::fs::write(&chosen, b"old").unwrap();
    s.studio.save_video_to(&id, &chosen).unwrap();
    assert_eq!(std::fs::read(&chosen).unwrap(), FakeSegmind::clip());
}

#[tokio::test]
async fn a_change_the_disk_refused_is_written_once_it_can_even_after_the_job_ended() {
    let mut s = setup_with_key().await;
    // The download takes a moment: time for the disk to "fill up" before "ready".
    s.fake.push_fault(
        Target::File,
        Fault::SlowBody {
            chunk: 8192,
            delay: Duration::from_millis(60),
        },
    );
    let id = start(&s, "a tide pool").await;
    until(&mut s.rx, &id, has_status(RecordStatus::Downloading)).await;
    let record_file = s.dir.path().join(format!("data/library/jobs/{id}.json"));
    std::fs::remove_file(&record_file).unwrap();
    std::fs::create_dir(&record_file).unwrap();
    let ready_in_memory = until(&mut s.rx, &id, has_status(RecordStatus::Ready)).await;
    assert_eq!(
        ready_in_memory.record.error.as_ref().map(|e| e.code),
        Some(ErrorCode::LibraryNotWritable),
        "the card says the disk refused"
    );
    // The drive has ended; space comes back and the record is written anyway.
    std::fs::remove_dir(&record_file).unwrap();
    let saved = until(&mut s.rx, &id, |job| {
        job.record.status == RecordStatus::Ready && job.record.error.is_none()
    })
    .await;
    assert_kept(&s, &id, &saved);
    let on_disk = Library::open(&s.dir.path().join("data/library")).unwrap();
    assert_eq!(on_disk.get(&id).unwrap().status, RecordStatus::Ready);
}

#[tokio::test]
async fn an_expired_link_from_the_file_host_is_not_blamed_on_the_key_and_is_fetched_again() {
    let mut s = setup_with_key().await;
    s.fake.push_fault(
        Target::File,
        Fault::Status {
            code: 403,
            body: "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
                .into(),
            content_type: "application/xml",
        },
    );
    let id = start(&s, "a snow owl").await;
    let troubled = until(&mut s.rx, &id, |job| job.trouble.is_some()).await;
    assert_eq!(
        troubled.trouble.as_ref().map(|e| e.code),
        Some(ErrorCode::LinkExpired)
    );
    let done = until(&mut s.rx, &id, ended).await;
    assert_kept(&s, &id, &done);
}
