//! The app's use cases without a window, against the fake Segmind: one click makes
//! one job, jobs live in the library and survive restarts, run at most N at once,
//! wait out rate limits, and their videos are previewed and saved.
//! The key is kept for the session only here: the keychain is the end-to-end tests' job.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use fake_segmind::{Config, FakeSegmind, Fault, Origin, Target};
use kling_studio::error::ErrorCode;
use kling_studio::jobs::library::{JobRecord, Library, RecordStatus};
use kling_studio::jobs::StudioEvent;
use kling_studio::request::GenerationRequest;

#[tokio::test]
async fn without_a_key_nothing_is_sent() {
    let s = setup_with(Config::default()).await;
    let err = s
        .studio
        .start_job(request("a fox"), "click-1")
        .await
        .unwrap_err();
    // With a keychain the key is missing; without one there is nowhere to read it from.
    assert!(
        matches!(
            err.code,
            ErrorCode::NoApiKey | ErrorCode::KeychainUnavailable
        ),
        "{err:?}"
    );
    assert!(s.fake.requests().is_empty());
    assert!(
        s.studio
            .watch_jobs(Arc::new(|_: &StudioEvent| false))
            .jobs
            .is_empty(),
        "nothing recorded"
    );
}

#[tokio::test]
async fn a_key_is_checked_before_it_is_kept() {
    let s = setup_with(Config::default()).await;
    let err = s.studio.save_api_key("sk-wrong", true).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Auth);
    let saved = s.studio.save_api_key("  sk-test ", true).await.unwrap();
    assert_eq!(saved.credits, 100.0);
    assert_eq!(saved.status.last4.as_deref(), Some("test"));
    let json = serde_json::to_string(&saved).unwrap();
    assert!(
        !json.contains("sk-test"),
        "the key never goes back to the webview: {json}"
    );
}

#[tokio::test]
async fn one_click_makes_one_job_in_the_library_previewed_and_saved() {
    let mut s = setup_with_key().await;
    let started = s
        .studio
        .start_job(request("A lighthouse at dawn, waves crashing"), "click-1")
        .await
        .unwrap();
    assert_eq!(
        started.record.status,
        RecordStatus::Waiting,
        "recorded before anything is sent"
    );
    let again = s
        .studio
        .start_job(request("A lighthouse at dawn, waves crashing"), "click-1")
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::DuplicateSubmission);

    let id = started.record.id.clone();
    let ready = until(&mut s.rx, &id, ended).await;
    assert_eq!(
        ready.record.status,
        RecordStatus::Ready,
        "{:?}",
        ready.record.error
    );
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
    assert_eq!(ready.record.bytes, Some(FakeSegmind::clip().len() as u64));
    assert_eq!(
        ready.record.metrics.as_ref().and_then(|m| m.cost),
        Some(3.0)
    );
    assert!(ready.record.request_id.is_some());
    let in_library = s.dir.path().join(format!("data/library/videos/{id}.mp4"));
    assert_eq!(std::fs::read(&in_library).unwrap(), FakeSegmind::clip());

    // Saved into the output folder by itself as it finished (the default), and
    // the job says where: the window shows it and "Show file" opens it.
    let folder = s.dir.path().join("Videos/Kling Studio");
    let by_itself = until(&mut s.rx, &id, |job| job.record.saved_to.is_some())
        .await
        .record
        .saved_to
        .unwrap();
    assert_eq!(by_itself.parent(), Some(folder.as_path()));
    assert_eq!(std::fs::read(&by_itself).unwrap(), FakeSegmind::clip());
    assert_eq!(s.studio.video_file_to_show(&id).unwrap(), by_itself);

    // The preview URL serves the file with Range (seeking), and nothing without the token.
    let video_url = ready.video_url.clone().expect("a preview URL");
    let http = reqwest::Client::new();
    let ranged = http
        .get(&video_url)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(
        ranged.bytes().await.unwrap(),
        &FakeSegmind::clip()[100..200]
    );
    let tokenless = video_url.replacen("/videos/", "x/videos/", 1);
    assert_eq!(http.get(&tokenless).send().await.unwrap().status(), 404);
    let rebinding = http
        .get(&video_url)
        .header("host", "evil.example:80")
        .send()
        .await
        .unwrap();
    assert_eq!(rebinding.status(), 404, "a foreign Host header is refused");

    // Save copies from the library into the output folder and never overwrites,
    // even once Segmind has forgotten the job.
    s.fake.expire_all_records();
    let first = s.studio.save_video(&id, None).unwrap();
    let second = s.studio.save_video(&id, None).unwrap();
    assert_ne!(first, second);
    assert!(first.starts_with(&folder));
    let name = by_itself.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("kling-") && name.ends_with("-a-lighthouse-at-dawn-waves-crashing.mp4"),
        "{name}"
    );
    let taken = first.file_name().unwrap().to_string_lossy().to_string();
    assert_eq!(
        taken,
        name.replace(".mp4", " (2).mp4"),
        "a taken name is not reused"
    );
    assert_eq!(std::fs::read(&first).unwrap(), FakeSegmind::clip());
    assert_eq!(std::fs::read(&second).unwrap(), FakeSegmind::clip());
    // "Show file" opens the newest copy.
    assert_eq!(s.studio.video_file_to_show(&id).unwrap(), second);
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 3);
}

#[tokio::test]
async fn an_invalid_request_costs_nothing_and_records_nothing() {
    let s = setup_with_key().await;
    let bad = GenerationRequest {
        prompt: String::new(),
        cfg_scale: 2.0,
        ..request("x")
    };
    let err = s.studio.start_job(bad, "click-1").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert_eq!(err.fields.len(), 2);
    assert!(s.fake.requests().is_empty());
    assert!(s
        .studio
        .watch_jobs(Arc::new(|_: &StudioEvent| false))
        .jobs
        .is_empty());
}

#[tokio::test]
async fn stop_following_ends_the_job_and_downloads_nothing() {
    let mut s = setup_with_key().await;
    let id = s
        .studio
        .start_job(request("a kite"), "click-1")
        .await
        .unwrap()
        .record
        .id;
    until(&mut s.rx, &id, has_status(RecordStatus::Queued)).await;
    let stopped = s.studio.stop_following(&id).unwrap();
    assert_eq!(stopped.record.status, RecordStatus::Stopped);
    // The fake finishes the job on its side; the app fetches nothing more.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        s.fake.requests().iter().all(|r| r.origin == Origin::Api),
        "no download"
    );
    assert_eq!(
        s.studio.watch_jobs(Arc::new(|_: &StudioEvent| false)).jobs[0]
            .record
            .status,
        RecordStatus::Stopped
    );
}

#[tokio::test]
async fn the_last_form_and_the_cap_are_remembered() {
    let s = setup_with(Config::default()).await;
    let loaded = s.studio.load_settings();
    assert_eq!(loaded.request, GenerationRequest::default());
    assert_eq!(loaded.output_dir, s.dir.path().join("Videos/Kling Studio"));
    assert_eq!(loaded.max_running_jobs, 2);
    let request = GenerationRequest {
        duration: "12".into(),
        ..request("x")
    };
    s.studio.remember_request(request.clone()).unwrap();
    assert_eq!(s.studio.set_max_running_jobs(9).unwrap(), 5, "capped at 5");
    drop(s.studio); // the app closed: only one copy holds the library
    let reopened = open_studio(&s.fake, s.dir.path()).await;
    assert_eq!(reopened.load_settings().request, request);
    assert_eq!(reopened.load_settings().max_running_jobs, 5);
    assert_eq!(reopened.load_settings().max_running_jobs_limit, 5);

    // A settings file edited by hand to 0 would run nothing, ever: it runs one.
    drop(reopened);
    let file = studio_paths(s.dir.path()).config_dir.join("settings.json");
    std::fs::write(&file, r#"{"maxRunningJobs": 0}"#).unwrap();
    let edited = open_studio(&s.fake, s.dir.path()).await;
    assert_eq!(edited.load_settings().max_running_jobs, 1);
}

#[tokio::test]
async fn three_jobs_with_a_cap_of_two_two_run_one_waits_all_finish() {
    let mut s = setup_with_key().await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(
            s.studio
                .start_job(request(&format!("job {n}")), &format!("click-{n}"))
                .await
                .unwrap()
                .record
                .id,
        );
    }
    let mut status: HashMap<String, RecordStatus> = HashMap::new();
    let mut most_running = 0;
    let mut third_waited_in_line = false;
    while ids
        .iter()
        .any(|id| status.get(id).is_none_or(|s| s.is_active()))
    {
        let event = tokio::time::timeout(Duration::from_secs(30), s.rx.recv())
            .await
            .unwrap()
            .unwrap();
        if let StudioEvent::Job { job } = event {
            if job.record.id == ids[2] && job.queue_position == Some(1) {
                third_waited_in_line = true;
            }
            status.insert(job.record.id.clone(), job.record.status);
            let running = status
                .values()
                .filter(|s| s.is_active() && **s != RecordStatus::Waiting)
                .count();
            most_running = most_running.max(running);
        }
    }
    assert!(
        ids.iter().all(|id| status[id] == RecordStatus::Ready),
        "{status:?}"
    );
    assert_eq!(
        most_running, 2,
        "never more than two at once, and two did run together"
    );
    assert!(
        third_waited_in_line,
        "the third job showed its place in line"
    );
    assert_eq!(s.fake.count("POST", SUBMIT), 3);
}

#[tokio::test]
async fn a_429_on_submit_waits_for_the_reset_then_submits_once() {
    let mut s = setup_with_key().await;
    s.fake.push_fault(
        Target::Submit,
        Fault::RateLimited {
            reset_after: Duration::from_secs(1),
        },
    );
    let id = s
        .studio
        .start_job(request("a heron"), "click-1")
        .await
        .unwrap()
        .record
        .id;
    let waiting = until(&mut s.rx, &id, |job| job.waiting_until_ms.is_some()).await;
    assert!(waiting.record.status.is_active());
    let done = until(&mut s.rx, &id, ended).await;
    assert_eq!(done.record.status, RecordStatus::Ready);
    assert_eq!(
        s.fake.count("POST", SUBMIT),
        2,
        "the refused one and the real one"
    );
    assert_eq!(s.fake.credits(), 97.0, "one job billed once");
}

#[tokio::test]
async fn an_expired_record_is_shown_as_expired_and_never_sent_again() {
    let mut s = setup_with(Config {
        processing: Duration::from_secs(5),
        ..Config::default()
    })
    .await;
    s.studio.save_api_key(KEY, true).await.unwrap();
    let id = s
        .studio
        .start_job(request("a glacier"), "click-1")
        .await
        .unwrap()
        .record
        .id;
    until(&mut s.rx, &id, has_status(RecordStatus::Queued)).await;
    s.fake.expire_all_records();
    let expired = until(&mut s.rx, &id, ended).await;
    assert_eq!(expired.record.status, RecordStatus::Expired);
    assert_eq!(
        expired.record.error.as_ref().map(|e| e.code),
        Some(ErrorCode::JobExpired)
    );
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn a_cut_download_is_resumed_and_the_library_never_holds_a_corrupt_file() {
    let mut s = setup_with_key().await;
    s.fake
        .push_fault(Target::File, Fault::TruncatedBody { after: 10_000 });
    let id = s
        .studio
        .start_job(request("a swift"), "click-1")
        .await
        .unwrap()
        .record
        .id;
    let done = until(&mut s.rx, &id, ended).await;
    assert_eq!(done.record.status, RecordStatus::Ready);
    let video = s.dir.path().join(format!("data/library/videos/{id}.mp4"));
    assert_eq!(std::fs::read(video).unwrap(), FakeSegmind::clip());
}

#[tokio::test]
async fn a_download_that_fails_for_longer_than_its_patience_waits_and_try_again_finishes_it() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open_studio_with(
        &fake,
        dir.path(),
        kling_studio::jobs::PollPolicy {
            download_patience: Duration::from_millis(300),
            ..fast_poll()
        },
    )
    .await;
    let (_, mut rx) = watch(&studio);
    studio.save_api_key(KEY, true).await.unwrap();
    for _ in 0..12 {
        fake.push_fault(
            Target::File,
            Fault::Status {
                code: 503,
                body: "busy".into(),
                content_type: "text/plain",
            },
        );
    }
    let id = studio
        .start_job(request("a comet"), "click-1")
        .await
        .unwrap()
        .record
        .id;
    let stuck = until(&mut rx, &id, |job| job.record.error.is_some()).await;
    assert_eq!(stuck.record.status, RecordStatus::Downloading);
    assert_eq!(
        stuck.record.error.as_ref().map(|e| e.code),
        Some(ErrorCode::Transient)
    );
    let video = dir.path().join(format!("data/library/videos/{id}.mp4"));
    assert!(!video.exists(), "no file that looks complete");
    // Whatever faults are left, "Try again" gets a fresh patience and finishes it.
    studio.resume_job(&id).await.unwrap();
    let done = until(&mut rx, &id, ended).await;
    assert_eq!(done.record.status, RecordStatus::Ready);
    assert_eq!(std::fs::read(video).unwrap(), FakeSegmind::clip());
    assert_eq!(fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn a_damaged_library_entry_is_reported_and_every_readable_job_kept() {
    let mut s = setup_with_key().await;
    let id = s
        .studio
        .start_job(request("a meadow"), "click-1")
        .await
        .unwrap()
        .record
        .id;
    until(&mut s.rx, &id, ended).await;
    let jobs_dir = s.dir.path().join("data/library/jobs");
    std::fs::write(
        jobs_dir.join("0badc0de-0000-0000-0000-000000000000.json"),
        b"{\"id\": \"0badc0de-",
    )
    .unwrap();
    drop(s.studio); // the app closed: only one copy holds the library
    let reopened = open_studio(&s.fake, s.dir.path()).await;
    let (snapshot, _) = watch(&reopened);
    assert_eq!(snapshot.damaged.len(), 1);
    assert_eq!(snapshot.jobs.len(), 1);
    assert_eq!(snapshot.jobs[0].record.id, id);
    assert_eq!(snapshot.jobs[0].record.status, RecordStatus::Ready);
}

#[tokio::test]
async fn a_job_found_mid_send_after_a_crash_is_never_sent_again() {
    let s = setup_with(Config::default()).await;
    let library = Library::open(&s.dir.path().join("data/library")).unwrap();
    let mut record = JobRecord::new(
        "5e4d1ab0-0000-0000-0000-000000000001".into(),
        request("a lynx"),
    );
    record.status = RecordStatus::Sending;
    library.put(record).unwrap();
    drop(s.studio); // the app closed: only one copy holds the library
    let reopened = open_studio(&s.fake, s.dir.path()).await;
    reopened.save_api_key(KEY, true).await.unwrap(); // a key resumes unfinished jobs
    let (snapshot, _) = watch(&reopened);
    let job = &snapshot.jobs[0];
    assert_eq!(job.record.status, RecordStatus::Unknown);
    assert!(job.record.error.as_ref().is_some_and(|e| e.may_be_billed));
    assert_eq!(s.fake.count("POST", SUBMIT), 0);
}

/// A whole app run on its own runtime, so that "the app died" can be the runtime
/// dropped mid-job: every task gone, only what is on disk left.
#[test]
fn a_job_interrupted_while_processing_finishes_after_a_restart_with_one_post() {
    let server = tokio::runtime::Runtime::new().unwrap();
    let fake = server.block_on(fake_with(Config {
        processing: Duration::from_millis(800),
        ..Config::default()
    }));
    let dir = tempfile::tempdir().unwrap();

    let first_run = tokio::runtime::Runtime::new().unwrap();
    let id = first_run.block_on(async {
        let studio = open_studio(&fake, dir.path()).await;
        let (_, mut rx) = watch(&studio);
        studio.save_api_key(KEY, true).await.unwrap();
        let id = studio
            .start_job(request("a night train"), "click-1")
            .await
            .unwrap()
            .record
            .id;
        until(&mut rx, &id, has_status(RecordStatus::Processing)).await;
        id
    });
    first_run.shutdown_background();
    assert!(
        fake.requests().iter().all(|r| r.origin == Origin::Api),
        "the crash came before the download"
    );

    let second_run = tokio::runtime::Runtime::new().unwrap();
    second_run.block_on(async {
        let studio = open_studio(&fake, dir.path()).await;
        let (snapshot, mut rx) = watch(&studio);
        assert_eq!(
            snapshot.jobs[0].record.status,
            RecordStatus::Processing,
            "the library kept the job"
        );
        studio.save_api_key(KEY, true).await.unwrap();
        let done = until(&mut rx, &id, ended).await;
        assert_eq!(done.record.status, RecordStatus::Ready);
    });
    let video = dir.path().join(format!("data/library/videos/{id}.mp4"));
    assert_eq!(std::fs::read(video).unwrap(), FakeSegmind::clip());
    assert_eq!(fake.count("POST", SUBMIT), 1);
    drop(fake);
}

#[tokio::test]
async fn an_accepted_job_whose_answer_is_cut_is_may_have_been_billed_never_failed() {
    let mut s = setup_with_key().await;
    // Segmind creates (and bills) the job, then the answer breaks off.
    s.fake
        .push_fault(Target::Submit, Fault::TruncatedBody { after: 10 });
    let id = s
        .studio
        .start_job(request("a lantern"), "click-1")
        .await
        .unwrap()
        .record
        .id;
    let job = until(&mut s.rx, &id, ended).await;
    assert_eq!(job.record.status, RecordStatus::Unknown);
    assert!(job.record.error.as_ref().is_some_and(|e| e.may_be_billed));
    assert_eq!(s.fake.count("POST", SUBMIT), 1, "never sent again");
}

#[tokio::test]
async fn a_job_being_sent_cannot_be_stopped_deleted_or_resumed() {
    let mut s = setup_with_key().await;
    s.fake.push_fault(Target::Submit, Fault::Hang);
    let id = s
        .studio
        .start_job(request("an orchard"), "click-1")
        .await
        .unwrap()
        .record
        .id;
    until(&mut s.rx, &id, has_status(RecordStatus::Sending)).await;
    assert_eq!(
        s.studio.stop_following(&id).unwrap_err().code,
        ErrorCode::Busy
    );
    assert_eq!(s.studio.delete_job(&id).unwrap_err().code, ErrorCode::Busy);
    assert!(
        s.studio.resume_job(&id).await.is_err(),
        "a send is never started again"
    );
    // The hung POST times out: it may have arrived, so it is never sent again.
    let job = until(&mut s.rx, &id, ended).await;
    assert_eq!(job.record.status, RecordStatus::Unknown);
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn a_job_is_driven_once_even_when_asked_again() {
    let mut s = setup_with(Config {
        processing: Duration::from_secs(2),
        ..Config::default()
    })
    .await;
    s.studio.save_api_key(KEY, true).await.unwrap();
    let id = s
        .studio
        .start_job(request("a canal"), "click-1")
        .await
        .unwrap()
        .record
        .id;
    until(&mut s.rx, &id, has_status(RecordStatus::Queued)).await;
    // "Try again" on a job that is driven only makes its next call come sooner.
    s.studio.resume_job(&id).await.unwrap();
    s.studio.save_api_key(KEY, true).await.unwrap(); // resumes unfinished jobs: not this one twice
    let done = until(&mut s.rx, &id, ended).await;
    assert_eq!(done.record.status, RecordStatus::Ready);
    let file_gets = s
        .fake
        .requests()
        .iter()
        .filter(|r| r.origin == Origin::Files)
        .count();
    assert_eq!(file_gets, 1, "one drive, one download");
}

#[tokio::test]
async fn a_second_studio_over_the_same_library_is_refused_and_sends_nothing() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let library = Library::open(&dir.path().join("data/library")).unwrap();
    library
        .put(JobRecord::new(
            "0000dddd-0000-0000-0000-000000000004".into(),
            request("waiting its turn"),
        ))
        .unwrap();
    drop(library);
    let first = open_studio(&fake, dir.path()).await;
    let refused = kling_studio::studio::Studio::start(
        studio_paths(dir.path()),
        config_for(&fake),
        fast_poll(),
        "kling-studio-integration-test",
    )
    .await
    .err()
    .expect("a second copy is refused");
    assert!(
        kling_studio::library_lock::is_held_elsewhere(&refused),
        "{refused}"
    );
    // The first copy drives the waiting job; the refused one touched nothing.
    let (_, mut rx) = watch(&first);
    first.save_api_key(KEY, true).await.unwrap();
    let done = until(&mut rx, "0000dddd-0000-0000-0000-000000000004", ended).await;
    assert_eq!(done.record.status, RecordStatus::Ready);
    assert_eq!(fake.count("POST", SUBMIT), 1);
    // Once the first copy is gone, the library can be opened again.
    drop(first);
    let (snapshot, _) = watch(&open_studio(&fake, dir.path()).await);
    assert_eq!(snapshot.jobs.len(), 1);
}
