//! The Segmind client against the fake Segmind: every path of the contract, every
//! status of its table, every fault, over real HTTP on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fake_segmind::{Config, FakeSegmind, Fault, Origin, Target};
use kling_studio::client::{JobStatus, SubmittedJob};
use kling_studio::error::ErrorCode;
use kling_studio::request::{GenerationRequest, Shot};

const SUBMIT: &str = "/v2/kling-3-pro-text2video";

fn request() -> GenerationRequest {
    GenerationRequest {
        prompt: "A paper boat drifts down a rainy street".into(),
        ..Default::default()
    }
}

fn json_fault(code: u16, error: &str) -> Fault {
    Fault::Status {
        code,
        body: format!(r#"{{"error":"{error}"}}"#),
        content_type: "application/json",
    }
}

fn no_progress() -> impl FnMut(u64, Option<u64>) + Send {
    |_, _| {}
}

async fn submitted(fake: &FakeSegmind) -> SubmittedJob {
    client(fake).submit(&request()).await.expect("submit")
}

/// Polls a job the way the app does, until Segmind says COMPLETED (or fails).
async fn until_completed(
    fake: &FakeSegmind,
    job: &SubmittedJob,
) -> Result<(), kling_studio::error::AppError> {
    loop {
        let report = client(fake).status(job).await?;
        if report.status == JobStatus::Completed {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_job_goes_from_submit_to_a_byte_identical_file_with_one_post() {
    let fake = fake().await;
    let client = client(&fake);
    let job = client.submit(&request()).await.expect("submit");
    until_completed(&fake, &job).await.expect("completes");
    let output = client.result(&job).await.expect("result");
    assert_eq!(
        output.metrics.as_ref().and_then(|m| m.cost),
        Some(3.0),
        "metrics are read"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut last = (0, None);
    let mut progress = |received, total| last = (received, total);
    let bytes = files(&fake)
        .download(output.video_url().unwrap(), &target_in(&dir), &mut progress)
        .await
        .expect("download");

    let total = FakeSegmind::clip().len() as u64;
    assert_eq!(bytes, total);
    assert_eq!(
        last,
        (total, Some(total)),
        "progress ends at the whole file"
    );
    assert_eq!(std::fs::read(target_in(&dir)).unwrap(), FakeSegmind::clip());
    assert_eq!(fake.count("POST", SUBMIT), 1);
    assert_eq!(fake.credits(), 97.0, "one job billed once");
    assert_key_only_to_segmind(&fake);
    // The body sent is the wire format: duration as a string, unset fields omitted.
    let post = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    let body = post.json().unwrap();
    assert_eq!(body["duration"], "5");
    assert!(body.get("multi_prompt").is_none());
    assert_eq!(post.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn credits_check_a_key_without_spending() {
    let fake = fake().await;
    assert_eq!(client(&fake).credits().await.unwrap(), 100.0);
    let err = client_with_key(&fake, "sk-wrong")
        .credits()
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Auth);
    assert!(err.detail.as_deref().unwrap().starts_with("HTTP 401"));
    assert_eq!(fake.credits(), 100.0);
}

#[tokio::test]
async fn an_invalid_request_is_never_sent() {
    let fake = fake().await;
    let bad = GenerationRequest {
        prompt: " ".into(),
        duration: "20".into(),
        multi_prompt: Some(vec![Shot {
            prompt: "x".repeat(600),
            duration: "3".into(),
        }]),
        ..request()
    };
    let err = client(&fake).submit(&bad).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["prompt", "duration", "multi_prompt[0].prompt"]);
    assert!(fake.requests().is_empty(), "nothing reached Segmind");
}

#[tokio::test]
async fn each_error_status_of_a_submit_becomes_its_code_and_is_sent_once() {
    let cases = [
        (
            json_fault(400, "cfg_scale must be between 0 and 1"),
            ErrorCode::BadRequest,
        ),
        (json_fault(403, "Forbidden"), ErrorCode::Forbidden),
        (json_fault(404, "Model not found"), ErrorCode::NotFound),
        (
            Fault::Status {
                code: 405,
                body: "<html><body><h1>405 Not Allowed</h1></body></html>".into(),
                content_type: "text/html",
            },
            ErrorCode::MethodNotAllowed,
        ),
        (
            json_fault(406, "Invalid content type. Use application/json."),
            ErrorCode::InvalidContentType,
        ),
        (json_fault(410, "Model retired"), ErrorCode::ModelRetired),
        (
            json_fault(500, "Internal server error"),
            ErrorCode::ServerError,
        ),
        // A POST that may have arrived is never sent again, even on a "temporary" answer.
        (json_fault(502, "Bad gateway"), ErrorCode::Transient),
        (json_fault(503, "Service unavailable"), ErrorCode::Transient),
        (json_fault(504, "Gateway timeout"), ErrorCode::Transient),
    ];
    let fake = fake().await;
    for (fault, code) in cases {
        fake.reset_requests();
        fake.push_fault(Target::Submit, fault.clone());
        let err = client(&fake).submit(&request()).await.unwrap_err();
        assert_eq!(err.code, code, "{fault:?}");
        assert_eq!(fake.count("POST", SUBMIT), 1, "{fault:?} was sent again");
        // Codes, never sentences: the UI's catalogues word them.
        assert!(
            err.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("HTTP ")),
            "the status is kept for Details: {err:?}"
        );
    }
    assert_eq!(fake.credits(), 100.0, "no fault billed anything");
}

#[tokio::test]
async fn a_405_html_page_is_understood() {
    let fake = fake().await;
    fake.push_fault(
        Target::Credits,
        Fault::Status {
            code: 405,
            body: "<html><body>405 Not Allowed</body></html>".into(),
            content_type: "text/html",
        },
    );
    let err = client(&fake).credits().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::MethodNotAllowed);
    assert_eq!(err.detail.as_deref(), Some("HTTP 405"));
}

#[tokio::test]
async fn insufficient_credits_is_told_apart_from_a_content_type_406_and_bills_nothing() {
    let fake = fake_with(Config {
        credits: 1.0,
        ..Config::default()
    })
    .await;
    let err = client(&fake).submit(&request()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InsufficientCredits);
    assert!(!err.may_be_billed, "a refusal for credits bills nothing");
    assert_eq!(fake.credits(), 1.0);
}

#[tokio::test]
async fn a_wrong_key_is_refused_with_401() {
    let fake = fake().await;
    let err = client_with_key(&fake, "sk-nope")
        .submit(&request())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Auth);
    assert_eq!(fake.count("POST", SUBMIT), 1);
    assert!(
        !format!("{err:?}").contains("sk-nope"),
        "the key is not in the error"
    );
}

#[tokio::test]
async fn a_failed_job_reports_the_servers_reason() {
    let fake = fake().await;
    fake.fail_next_job("The prompt was rejected by the content filter.");
    let job = submitted(&fake).await;
    let err = until_completed(&fake, &job).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::JobFailed);
    assert_eq!(
        err.server_message.as_deref(),
        Some("The prompt was rejected by the content filter."),
        "Segmind's own reason reaches the creator untouched"
    );
    assert_eq!(fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn an_expired_job_record_is_reported_as_expired() {
    let fake = fake().await;
    let job = submitted(&fake).await;
    fake.expire_all_records();
    let err = client(&fake).status(&job).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::JobExpired);
    let err = client(&fake).result(&job).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::JobExpired);
}

#[tokio::test]
async fn status_polls_ride_out_temporary_errors() {
    let fake = fake().await;
    let job = submitted(&fake).await;
    for code in [502, 503, 504] {
        fake.push_fault(Target::Status, json_fault(code, "temporary"));
    }
    client(&fake)
        .status(&job)
        .await
        .expect("the fourth try succeeds");
    assert_eq!(
        fake.count("GET", &format!("/v2/requests/{}/status", job.request_id)),
        4
    );
}

#[tokio::test]
async fn retries_stop_at_their_limit() {
    let fake = fake().await;
    for _ in 0..6 {
        fake.push_fault(Target::Credits, json_fault(503, "down"));
    }
    let err = client(&fake).credits().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Transient);
    assert_eq!(
        fake.count("GET", "/v1/get-user-credits"),
        4,
        "max_attempts is 4"
    );
}

#[tokio::test]
async fn a_429_on_submit_is_handed_back_at_once_with_its_reset_time_and_nothing_billed() {
    // The app's own line waits it out with the job unsent ("waiting"), so quitting
    // during the wait never leaves a job "being sent".
    let fake = fake().await;
    fake.push_fault(
        Target::Submit,
        Fault::RateLimited {
            reset_after: Duration::from_secs(30),
        },
    );
    let started = Instant::now();
    let err = client(&fake).submit(&request()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert!(!err.may_be_billed, "a 429 is a refusal: nothing was made");
    let reset = err.retry_at_ms.expect("the reset time comes along");
    assert!(reset > kling_studio::clock::now_ms() + 20_000, "{reset}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not waited out here"
    );
    assert_eq!(fake.count("POST", SUBMIT), 1);
    assert_eq!(fake.credits(), 100.0, "nothing billed");
}

#[tokio::test]
async fn a_500_on_submit_may_have_been_billed() {
    let fake = fake().await;
    fake.push_fault(
        Target::Submit,
        json_fault(500, r#"{"error":"Internal error"}"#),
    );
    let err = client(&fake).submit(&request()).await.unwrap_err();
    assert!(
        err.may_be_billed,
        "Segmind may have made the job before failing"
    );
    assert_eq!(fake.count("POST", SUBMIT), 1, "never sent again");
}

#[tokio::test]
async fn a_hung_status_call_times_out_and_is_retried() {
    let fake = fake().await;
    let job = submitted(&fake).await;
    fake.push_fault(Target::Status, Fault::Hang);
    client(&fake)
        .status(&job)
        .await
        .expect("the retry after the timeout succeeds");
    assert_eq!(
        fake.count("GET", &format!("/v2/requests/{}/status", job.request_id)),
        2
    );
}

#[tokio::test]
async fn a_hung_submit_is_never_sent_again() {
    let fake = fake().await;
    fake.push_fault(Target::Submit, Fault::Hang);
    let err = client(&fake).submit(&request()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Timeout);
    assert!(err.may_be_billed);
    assert_eq!(fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error() {
    let fake = fake().await;
    let mut config = config_for(&fake);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    config.base_url =
        kling_studio::client::parse_base_url(&format!("http://127.0.0.1:{port}")).unwrap();
    let client = kling_studio::client::SegmindClient::new(
        config,
        kling_studio::api_key::ApiKey::parse(KEY).unwrap(),
    )
    .unwrap();
    let err = client.submit(&request()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Network);
}

async fn video_url(fake: &FakeSegmind) -> String {
    let job = submitted(fake).await;
    loop {
        let output = client(fake).result(&job).await.unwrap();
        if let Some(url) = output.video_url() {
            return url.to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_cut_download_resumes_with_range_and_ends_byte_identical() {
    let fake = fake().await;
    let url = video_url(&fake).await;
    assert!(
        url.starts_with(&fake.file_base_url()),
        "the file comes from the second origin"
    );
    fake.push_fault(Target::File, Fault::TruncatedBody { after: 20_000 });
    let dir = tempfile::tempdir().unwrap();
    let bytes = files(&fake)
        .download(&url, &target_in(&dir), &mut no_progress())
        .await
        .expect("resumed");
    assert_eq!(bytes, FakeSegmind::clip().len() as u64);
    assert_eq!(std::fs::read(target_in(&dir)).unwrap(), FakeSegmind::clip());
    let gets: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.origin == Origin::Files)
        .collect();
    assert_eq!(gets.len(), 2);
    assert_eq!(gets[1].header("range"), Some("bytes=20000-"));
    assert!(!dir.path().join("video.mp4.part").exists());
    assert_key_only_to_segmind(&fake);
}

#[tokio::test]
async fn a_download_cut_every_time_fails_and_leaves_no_final_file() {
    let fake = fake().await;
    let url = video_url(&fake).await;
    for _ in 0..4 {
        fake.push_fault(Target::File, Fault::TruncatedBody { after: 1000 });
    }
    let dir = tempfile::tempdir().unwrap();
    let err = files(&fake)
        .download(&url, &target_in(&dir), &mut no_progress())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::DownloadIncomplete);
    assert!(!target_in(&dir).exists(), "no file that looks complete");
    let part = std::fs::read(dir.path().join("video.mp4.part")).unwrap();
    assert_eq!(
        part,
        &FakeSegmind::clip()[..4000],
        "what did arrive is kept, in order, for a resume"
    );
}

#[tokio::test]
async fn a_slow_download_completes_with_steady_progress() {
    let fake = fake().await;
    let url = video_url(&fake).await;
    // 13 chunks a tenth of a second apart: over a second of transfer.
    fake.push_fault(
        Target::File,
        Fault::SlowBody {
            chunk: 4096,
            delay: Duration::from_millis(100),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    let mut progress = |received: u64, total: Option<u64>| seen.push((received, total));
    let started = std::time::Instant::now();
    files(&fake)
        .download(&url, &target_in(&dir), &mut progress)
        .await
        .expect("slow but whole");
    let took = started.elapsed().as_secs_f64();
    assert_eq!(std::fs::read(target_in(&dir)).unwrap(), FakeSegmind::clip());
    let total = FakeSegmind::clip().len() as u64;
    assert!(
        seen.len() >= 4,
        "progress was reported along the way: {seen:?}"
    );
    assert!(
        seen.len() as f64 <= 2.0 + took / 0.25,
        "at most four reports a second, with the first and the last: {} in {took:.2} s",
        seen.len()
    );
    assert!(
        seen.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress never goes back"
    );
    assert_eq!(
        seen.last(),
        Some(&(total, Some(total))),
        "the last byte is reported"
    );
}

#[tokio::test]
async fn a_hung_download_times_out_and_resumes() {
    let fake = fake().await;
    let url = video_url(&fake).await;
    fake.push_fault(Target::File, Fault::Hang);
    let dir = tempfile::tempdir().unwrap();
    files(&fake)
        .download(&url, &target_in(&dir), &mut no_progress())
        .await
        .expect("second try");
    assert_eq!(std::fs::read(target_in(&dir)).unwrap(), FakeSegmind::clip());
}

#[tokio::test]
async fn a_keyed_call_redirected_to_another_host_is_not_followed() {
    let fake = fake().await;
    let client = client(&fake);
    let job = client.submit(&request()).await.unwrap();
    fake.push_fault(
        Target::Status,
        Fault::Redirect {
            location: format!("{}/files/elsewhere.mp4", fake.file_base_url()),
        },
    );
    assert!(client.status(&job).await.is_err());
    assert!(
        fake.requests().iter().all(|r| r.origin == Origin::Api),
        "the key never followed the redirect to the file host"
    );
}

#[tokio::test]
async fn checking_a_key_with_no_connection_says_so_at_once_without_retrying() {
    // A port nothing listens on: every connection is refused, as offline.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let retries = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = retries.clone();
    let config = kling_studio::client::ClientConfig::new(
        kling_studio::client::parse_base_url(&base).unwrap(),
    );
    let client = kling_studio::client::SegmindClient::new(
        config,
        kling_studio::api_key::ApiKey::parse(KEY).unwrap(),
    )
    .unwrap()
    .observed(std::sync::Arc::new(move |_| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }));
    let err = client.credits().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Network);
    // The default policy would pause 1 s, 2 s, 4 s… between tries: none was made.
    assert_eq!(retries.load(std::sync::atomic::Ordering::SeqCst), 0);
}
