//! Making a voice against the fake: the clip is checked before anything is sent,
//! uploaded to the asset store (free), then made by one paid create call whose
//! voice id is written down the moment it arrives. Every status of both calls has
//! its answer; the key goes to the API and the upload origin only.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use fake_segmind::{wav_clip, Config, Fault, Origin, Target};
use kling_studio::error::{AppError, ErrorCode};
use kling_studio::voices::making::VoiceProgress;
use kling_studio::voices::{VoiceStatus, VoiceView};

const CREATE: &str = "/v2/kling-create-voice";
const UPLOAD: &str = "/upload-asset";

/// Stages a 6 s clip and makes it into a voice called `name`, keeping every progress step.
async fn make(s: &Setup, name: &str) -> (Result<VoiceView, AppError>, Vec<VoiceProgress>) {
    let staged = s.studio.stage_voice_clip(&wav_clip(6000)).unwrap();
    make_staged(s, &staged.clip_id, name).await
}

async fn make_staged(
    s: &Setup,
    clip_id: &str,
    name: &str,
) -> (Result<VoiceView, AppError>, Vec<VoiceProgress>) {
    let steps = Arc::new(Mutex::new(Vec::new()));
    let seen = steps.clone();
    let made = s
        .studio
        .make_voice(clip_id, "memo.wav", name, move |step| {
            seen.lock().unwrap().push(step)
        })
        .await;
    let steps = steps.lock().unwrap().clone();
    (made, steps)
}

fn status(code: u16, body: &str) -> Fault {
    Fault::Status {
        code,
        body: body.into(),
        content_type: if body.starts_with('<') {
            "text/html"
        } else {
            "application/json"
        },
    }
}

#[tokio::test]
async fn a_clip_becomes_a_voice_with_one_upload_and_one_paid_call() {
    let s = setup_with_key().await;
    let credits = s.fake.credits();
    let (made, steps) = make(&s, "Anna").await;
    let voice = made.unwrap();
    assert_eq!(voice.status, VoiceStatus::Ready);
    assert_eq!(voice.name, "Anna");
    assert_eq!(voice.clip_millis, 6000);
    assert!(voice.voice_id.as_deref().is_some_and(|id| id.len() > 10));
    assert_eq!(voice.cost, Some(0.007));
    assert!((credits - s.fake.credits() - 0.007).abs() < 1e-9);

    assert_eq!(s.fake.count("POST", UPLOAD), 1);
    assert_eq!(s.fake.count("POST", CREATE), 1);
    let upload = &s.fake.requests()[0];
    assert_eq!(upload.origin, Origin::Upload);
    // The upload reported its bytes up to the whole clip, then the create step.
    let total = wav_clip(6000).len() as u64;
    assert!(steps.contains(&VoiceProgress::Uploading { sent: total, total }));
    assert_eq!(steps.last(), Some(&VoiceProgress::Creating));

    // The create call named the URL the asset store gave, and the key went to the
    // two Segmind origins only, never to the asset host.
    let create = s
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == CREATE)
        .unwrap();
    let url = create.json().unwrap()["voice_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with(&format!("{}/assets/", s.fake.file_base_url())));
    for request in s.fake.requests() {
        let keyed = request.header("x-api-key") == Some(KEY);
        assert_eq!(keyed, request.origin != Origin::Files, "{}", request.path);
    }

    // The voice is in the library, with its clip to listen to, after a restart.
    drop(s.studio);
    let again = open_studio(&s.fake, s.dir.path()).await;
    let voices = again.voices();
    assert_eq!(voices.len(), 1);
    assert_eq!(voices[0].voice_id, voice.voice_id);
    let clip = reqwest::get(&voices[0].listen_url).await.unwrap();
    assert_eq!(clip.status(), 200);
    assert_eq!(clip.bytes().await.unwrap().to_vec(), wav_clip(6000));
}

#[tokio::test]
async fn a_clip_that_breaks_a_rule_costs_nothing_and_sends_nothing() {
    let s = setup_with_key().await;
    for (bytes, rule) in [
        (
            b"hello, a text file renamed .mp3".to_vec(),
            "clip_not_audio",
        ),
        (wav_clip(4900), "clip_too_short"),
        (wav_clip(30_100), "clip_too_long"),
    ] {
        let err = s.studio.stage_voice_clip(&bytes).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        assert_eq!(err.fields[0].field, "voice_clip");
        assert_eq!(err.fields[0].rule, rule);
    }
    // A name that breaks a rule is refused before the upload.
    let staged = s.studio.stage_voice_clip(&wav_clip(5000)).unwrap();
    let (made, _) = make_staged(&s, &staged.clip_id, &"x".repeat(21)).await;
    assert_eq!(made.unwrap_err().fields[0].rule, "too_long");
    assert!(s.fake.requests().is_empty(), "{:?}", s.fake.requests());
}

#[tokio::test]
async fn every_refused_upload_says_nothing_was_spent_and_never_creates() {
    let cases = [
        (
            400,
            r#"{"error":"Invalid data URL"}"#,
            ErrorCode::BadRequest,
        ),
        (401, r#"{"error":"Invalid API key"}"#, ErrorCode::Auth),
        (403, r#"{"error":"Forbidden"}"#, ErrorCode::Forbidden),
        (404, r#"{"error":"Not found"}"#, ErrorCode::NotFound),
        (
            405,
            "<html>405 Not Allowed</html>",
            ErrorCode::MethodNotAllowed,
        ),
        (
            406,
            r#"{"error":"Insufficient credits"}"#,
            ErrorCode::InsufficientCredits,
        ),
        (410, r#"{"error":"Gone"}"#, ErrorCode::ModelRetired),
        (500, r#"{"error":"Internal error"}"#, ErrorCode::ServerError),
    ];
    for (code, body, expected) in cases {
        let s = setup_with_key().await;
        s.fake.push_fault(Target::Upload, status(code, body));
        let (made, _) = make(&s, "Anna").await;
        let err = made.unwrap_err();
        assert_eq!(err.code, expected, "{code}");
        assert_eq!(err.reason_name(), Some("upload"), "{code}");
        assert!(!err.may_be_billed, "{code}");
        assert_eq!(s.fake.count("POST", CREATE), 0, "{code}");
        assert!(s.studio.voices().is_empty(), "{code}");
    }
}

#[tokio::test]
async fn a_busy_asset_store_is_ridden_out() {
    for fault in [
        status(502, r#"{"error":"Bad gateway"}"#),
        status(503, r#"{"error":"Unavailable"}"#),
        status(504, r#"{"error":"Timeout"}"#),
        Fault::RateLimited {
            reset_after: Duration::from_millis(300),
        },
    ] {
        let s = setup_with_key().await;
        s.fake.push_fault(Target::Upload, fault.clone());
        let (made, _) = make(&s, "Anna").await;
        assert_eq!(made.unwrap().status, VoiceStatus::Ready, "{fault:?}");
        assert_eq!(s.fake.count("POST", UPLOAD), 2, "{fault:?}");
        assert_eq!(s.fake.count("POST", CREATE), 1, "{fault:?}");
    }
}

#[tokio::test]
async fn a_refused_create_call_is_never_resent_and_says_whether_it_may_be_billed() {
    let cases = [
        (400, ErrorCode::BadRequest, false),
        (401, ErrorCode::Auth, false),
        (403, ErrorCode::Forbidden, false),
        (404, ErrorCode::NotFound, false),
        (405, ErrorCode::MethodNotAllowed, false),
        (406, ErrorCode::InsufficientCredits, false),
        (410, ErrorCode::ModelRetired, false),
        (429, ErrorCode::RateLimited, false),
        (500, ErrorCode::ServerError, true),
        (502, ErrorCode::Transient, true),
        (503, ErrorCode::Transient, true),
        (504, ErrorCode::Transient, true),
    ];
    for (code, expected, may_be_billed) in cases {
        let mut s = setup_with_key().await;
        let body = if code == 406 {
            r#"{"error":"Insufficient credits"}"#
        } else {
            r#"{"error":"No"}"#
        };
        s.fake.push_fault(Target::CreateVoice, status(code, body));
        let staged = s.studio.stage_voice_clip(&wav_clip(6000)).unwrap();
        let (made, _) = make_staged(&s, &staged.clip_id, "Anna").await;
        let err = made.unwrap_err();
        assert_eq!(err.code, expected, "{code}");
        assert_eq!(err.may_be_billed, may_be_billed, "{code}");
        assert_eq!(
            s.fake.count("POST", CREATE),
            1,
            "{code}: one POST per click"
        );
        let voices = s.studio.voices();
        if may_be_billed {
            // Kept, saying it may have been billed: never sent again by itself.
            assert_eq!(voices.len(), 1, "{code}");
            assert_eq!(voices[0].status, VoiceStatus::Failed, "{code}");
            assert!(voices[0].error.as_ref().unwrap().may_be_billed, "{code}");
        } else {
            // Surely not made: gone from the window's list too, and the dialog may
            // simply try again with the same clip.
            assert!(voices.is_empty(), "{code}");
            let mut told_gone = false;
            while let Ok(event) = s.rx.try_recv() {
                told_gone |= matches!(event, kling_studio::jobs::StudioEvent::VoiceDeleted { .. });
            }
            assert!(told_gone, "{code}: the window was told the voice is gone");
            let (again, _) = make_staged(&s, &staged.clip_id, "Anna").await;
            assert_eq!(again.unwrap().status, VoiceStatus::Ready, "{code}");
            assert_eq!(s.fake.count("POST", CREATE), 2, "{code}");
        }
    }
}

#[tokio::test]
async fn an_answer_cut_short_is_never_resent() {
    let s = setup_with_key().await;
    s.fake
        .push_fault(Target::CreateVoice, Fault::TruncatedBody { after: 10 });
    let (made, _) = make(&s, "Anna").await;
    assert!(made.unwrap_err().may_be_billed);
    assert_eq!(s.fake.count("POST", CREATE), 1);
    assert_eq!(s.studio.voices()[0].status, VoiceStatus::Failed);
}

#[tokio::test]
async fn a_voice_segmind_could_not_make_says_why() {
    let s = setup_with_key().await;
    s.fake.fail_next_job("The audio has more than one speaker.");
    let (made, _) = make(&s, "Anna").await;
    let err = made.unwrap_err();
    assert_eq!(err.code, ErrorCode::JobFailed);
    assert_eq!(
        err.server_message.as_deref(),
        Some("The audio has more than one speaker.")
    );
    let voice = &s.studio.voices()[0];
    assert_eq!(voice.status, VoiceStatus::Failed);
    assert_eq!(voice.voice_id, None);
}

#[tokio::test]
async fn a_voice_being_made_when_the_app_stops_is_finished_at_the_next_start() {
    let fake = fake_segmind::FakeSegmind::start(Config {
        queued: Duration::from_millis(100),
        processing: Duration::from_secs(2),
        ..Config::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let studio = open_studio(&fake, dir.path()).await;
    let (_, mut rx) = watch(&studio);
    studio.save_api_key(KEY, true).await.unwrap();
    let staged = studio.stage_voice_clip(&wav_clip(6000)).unwrap();
    // The dialog closes (the call is dropped) as soon as Segmind has the job.
    let making = studio.make_voice(&staged.clip_id, "memo.wav", "Anna", |_| {});
    tokio::select! {
        made = making => panic!("the voice was made before the cut: {made:?}"),
        () = voice_reaches(&mut rx, VoiceStatus::Making) => {}
    }
    assert_eq!(fake.count("POST", CREATE), 1);
    let making = &studio.voices()[0];
    assert_eq!(making.status, VoiceStatus::Making);
    // Paid for, its id still to come: it cannot be deleted now.
    assert_eq!(
        studio.delete_voice(&making.id).unwrap_err().code,
        ErrorCode::Busy
    );

    drop(studio);
    let again = open_studio(&fake, dir.path()).await;
    let (_, mut rx) = watch(&again);
    again.save_api_key(KEY, true).await.unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        voice_reaches(&mut rx, VoiceStatus::Ready),
    )
    .await
    .expect("the voice was finished");
    assert!(again.voices()[0].voice_id.is_some());
    assert_eq!(
        fake.count("POST", CREATE),
        1,
        "followed again, never re-sent"
    );
}

async fn voice_reaches(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<kling_studio::jobs::StudioEvent>,
    wanted: VoiceStatus,
) {
    loop {
        match rx.recv().await {
            Some(kling_studio::jobs::StudioEvent::Voice { voice }) if voice.status == wanted => {
                return
            }
            Some(_) => {}
            None => panic!("the studio stopped publishing"),
        }
    }
}

#[tokio::test]
async fn voices_are_renamed_and_deleted_by_name_rules() {
    let s = setup_with_key().await;
    let anna = make(&s, "Anna").await.0.unwrap();
    let ben = make(&s, "Ben").await.0.unwrap();
    let taken = s.studio.rename_voice(&ben.id, " anna ").unwrap_err();
    assert_eq!(taken.fields[0].rule, "name_taken");
    assert_eq!(
        s.studio.rename_voice(&ben.id, "Benedict").unwrap().name,
        "Benedict"
    );
    s.studio.delete_voice(&anna.id).unwrap();
    let left: Vec<String> = s.studio.voices().into_iter().map(|v| v.name).collect();
    assert_eq!(left, ["Benedict"]);
    assert_eq!(
        s.studio.delete_voice(&anna.id).unwrap_err().code,
        ErrorCode::VoiceNotFound
    );
}

#[tokio::test]
async fn a_redirect_from_the_asset_store_never_carries_the_key_elsewhere() {
    let s = setup_with_key().await;
    s.fake.push_fault(
        Target::Upload,
        Fault::Redirect {
            location: format!("{}/assets/elsewhere", s.fake.file_base_url()),
        },
    );
    let (made, _) = make(&s, "Anna").await;
    assert!(made.is_err());
    assert!(s
        .fake
        .requests()
        .iter()
        .all(|r| r.origin != Origin::Files && r.header("x-api-key") == Some(KEY)));
    assert_eq!(s.fake.count("POST", CREATE), 0);
}
