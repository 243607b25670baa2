//! A short end-to-end pass over the fake with raw HTTP/1.1, to see on the wire what
//! a client will see: exact bytes, premature closes, hangs. The thorough client tests
//! live in tests/integration.

use std::time::Duration;

use fake_segmind::{Config, FakeSegmind, Fault, Origin, Target};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MODEL: &str = "/v2/kling-3-pro-text2video";

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Sends one request on a fresh connection and reads until the server closes it.
async fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head += &format!("{name}: {value}\r\n");
    }
    head += &format!("Content-Length: {}\r\n\r\n{body}", body.len());
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    // A cut connection may end in a reset rather than a clean close; either way, what arrived is the answer.
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("the server answered within 10 s");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

const KEY: (&str, &str) = ("x-api-key", "sk-test");
const JSON: (&str, &str) = ("content-type", "application/json");

/// Timings short enough for a quick test, long enough for a loaded 2-core machine to
/// observe each phase.
const QUEUED: Duration = Duration::from_millis(400);
const PROCESSING: Duration = Duration::from_millis(800);

async fn fast() -> FakeSegmind {
    FakeSegmind::start(Config {
        queued: QUEUED,
        processing: PROCESSING,
        ..Config::default()
    })
    .await
    .unwrap()
}

/// Submits a job and waits until it has ended.
async fn finished_job(fake: &FakeSegmind, body: &str) -> String {
    let job = send(&fake.base_url(), "POST", MODEL, &[KEY, JSON], body)
        .await
        .json();
    tokio::time::sleep(QUEUED + PROCESSING + Duration::from_millis(100)).await;
    job["request_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_job_goes_from_queued_to_a_downloadable_file() {
    let fake = fast().await;
    let base = fake.base_url();
    let start = tokio::time::Instant::now();
    let submitted = send(
        &base,
        "POST",
        MODEL,
        &[KEY, JSON],
        r#"{"prompt":"a cat","duration":"5"}"#,
    )
    .await;
    assert_eq!(submitted.status, 200);
    let job = submitted.json();
    let id = job["request_id"].as_str().unwrap().to_owned();
    assert_eq!(job["status"], "QUEUED");
    assert_eq!(job["status_url"], format!("{base}/v2/requests/{id}/status"));
    assert_eq!(submitted.header("x-request-id"), Some(id.as_str()));
    assert_eq!(fake.credits(), 97.0);

    let status_path = format!("/v2/requests/{id}/status");
    assert_eq!(
        send(&base, "GET", &status_path, &[KEY], "").await.json()["status"],
        "QUEUED"
    );
    tokio::time::sleep_until(start + QUEUED + Duration::from_millis(100)).await;
    assert_eq!(
        send(&base, "GET", &status_path, &[KEY], "").await.json()["status"],
        "PROCESSING"
    );
    let early = send(&base, "GET", &format!("/v2/requests/{id}"), &[KEY], "")
        .await
        .json();
    assert_eq!(
        (early["status"].as_str(), early["output"].is_null()),
        (Some("PROCESSING"), true)
    );
    tokio::time::sleep_until(start + QUEUED + PROCESSING + Duration::from_millis(100)).await;

    let result = send(&base, "GET", &format!("/v1/requests/{id}"), &[KEY], "").await;
    assert_eq!(result.status, 200);
    let result = result.json();
    let url = result["video"]["url"].as_str().unwrap();
    assert_eq!(result["output"], url);
    assert_eq!(result["metrics"]["remaining_credits"], 97.0);
    let (origin, path) = url.split_at(url.find("/files/").unwrap());
    assert_eq!(origin, fake.file_base_url());

    let file = send(origin, "GET", path, &[], "").await;
    assert_eq!(
        (file.status, file.header("content-type")),
        (200, Some("video/mp4"))
    );
    assert_eq!(file.body, FakeSegmind::clip());
    let ranged = send(origin, "GET", path, &[("range", "bytes=100-")], "").await;
    assert_eq!(ranged.status, 206);
    assert_eq!(ranged.body, FakeSegmind::clip()[100..]);
    let len = FakeSegmind::clip().len();
    assert_eq!(
        ranged.header("content-range"),
        Some(format!("bytes 100-{}/{len}", len - 1).as_str())
    );

    fake.expire_all_records();
    assert_eq!(
        send(&base, "GET", &status_path, &[KEY], "").await.status,
        404
    );
    assert_eq!(
        send(origin, "GET", path, &[], "").await.status,
        200,
        "files outlive records"
    );
    assert_eq!(fake.count("GET", &status_path), 3);
    assert_eq!(fake.requests().last().unwrap().origin, Origin::Files);
}

#[tokio::test]
async fn refusals_follow_the_contract() {
    let fake = fast().await;
    let base = fake.base_url();
    let body = r#"{"prompt":"a cat"}"#;
    let no_key = send(
        &base,
        "POST",
        MODEL,
        &[JSON, ("authorization", "Bearer sk-test")],
        body,
    )
    .await;
    assert_eq!(no_key.status, 401);
    assert!(no_key.json()["error"]
        .as_str()
        .unwrap()
        .contains("No API key"));
    let bad_key = send(&base, "POST", MODEL, &[("x-api-key", "nope"), JSON], body).await;
    assert_eq!(bad_key.json()["error"], "Invalid API key");
    let not_json = send(
        &base,
        "POST",
        MODEL,
        &[KEY, ("content-type", "text/plain")],
        body,
    )
    .await;
    assert_eq!(not_json.status, 406);
    let bad = send(
        &base,
        "POST",
        MODEL,
        &[KEY, JSON],
        r#"{"prompt":"a","duration":5}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("duration"));
    let get = send(&base, "GET", MODEL, &[KEY], "").await;
    assert_eq!(
        (get.status, get.header("content-type")),
        (405, Some("text/html"))
    );
    let other = send(&base, "POST", "/v2/some-other-model", &[KEY, JSON], body).await;
    assert_eq!(other.status, 404);

    fake.set_credits(2.0);
    let broke = send(&base, "POST", MODEL, &[KEY, JSON], body).await;
    assert_eq!(broke.status, 406);
    assert!(broke.json()["error"]
        .as_str()
        .unwrap()
        .contains("Insufficient credits"));
    assert_eq!(fake.credits(), 2.0);
}

#[tokio::test]
async fn a_failed_job_answers_422_and_is_refunded() {
    let fake = fast().await;
    let base = fake.base_url();
    let id = send(
        &base,
        "POST",
        MODEL,
        &[KEY, JSON],
        r#"{"prompt":"a cat [fail]"}"#,
    )
    .await
    .json();
    assert_eq!(fake.credits(), 97.0);
    tokio::time::sleep(QUEUED + PROCESSING + Duration::from_millis(100)).await;
    let path = format!("/v2/requests/{}", id["request_id"].as_str().unwrap());
    let failed = send(&base, "GET", &path, &[KEY], "").await;
    assert_eq!(failed.status, 422);
    assert_eq!(
        failed.json()["error"],
        "The prompt was rejected by the content filter."
    );
    assert_eq!(fake.credits(), 100.0);
}

#[tokio::test]
async fn the_blocking_call_answers_the_video() {
    let fake = fast().await;
    let answer = send(
        &fake.base_url(),
        "POST",
        "/v1/kling-3-pro-text2video",
        &[KEY, JSON],
        r#"{"prompt":"a"}"#,
    )
    .await;
    assert_eq!(
        (answer.status, answer.header("content-type")),
        (200, Some("video/mp4"))
    );
    assert_eq!(answer.body, FakeSegmind::clip());
    assert_eq!(answer.header("x-remaining-credits"), Some("97"));
}

#[tokio::test]
async fn faults_apply_once_and_a_refused_submit_bills_nothing() {
    let fake = fast().await;
    let base = fake.base_url();
    fake.push_fault(
        Target::Submit,
        Fault::RateLimited {
            reset_after: Duration::from_secs(30),
        },
    );
    let limited = send(&base, "POST", MODEL, &[KEY, JSON], r#"{"prompt":"a"}"#).await;
    assert_eq!(limited.status, 429);
    let reset = limited.header("x-rate-limit-reset-at-utc").unwrap();
    assert!(reset.ends_with('Z') && reset.len() == 20, "{reset}");
    assert!(limited.header("retry-after").is_none());
    assert_eq!(fake.credits(), 100.0);
    assert_eq!(fake.count("POST", MODEL), 1, "recorded before the fault");
    assert_eq!(
        send(&base, "POST", MODEL, &[KEY, JSON], r#"{"prompt":"a"}"#)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_truncated_body_promises_everything_and_delivers_a_prefix() {
    let fake = fast().await;
    let id = finished_job(&fake, r#"{"prompt":"a"}"#).await;
    fake.push_fault(Target::File, Fault::TruncatedBody { after: 1000 });
    let cut = send(
        &fake.file_base_url(),
        "GET",
        &format!("/files/{id}.mp4"),
        &[],
        "",
    )
    .await;
    assert_eq!(cut.status, 200);
    assert_eq!(
        cut.header("content-length"),
        Some(FakeSegmind::clip().len().to_string().as_str())
    );
    assert_eq!(cut.body, FakeSegmind::clip()[..1000]);
}

#[tokio::test]
async fn a_hung_request_is_closed_at_shutdown() {
    let fake = fast().await;
    fake.push_fault(Target::Credits, Fault::Hang);
    let addr = fake.base_url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let request =
        format!("GET /v1/get-user-credits HTTP/1.1\r\nHost: {addr}\r\nx-api-key: sk-test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = [0u8; 64];
    let waited = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await;
    assert!(waited.is_err(), "a hang answers nothing");
    fake.shutdown();
    let closed = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "closed without an answer: {closed:?}"
    );
    assert!(
        TcpStream::connect(&addr).await.is_err(),
        "no longer listening"
    );
}
