//! Segmind over HTTPS: the client trusts what the system's trust store trusts.
//! A root put there (as a company that inspects its traffic installs its own)
//! is accepted; a certificate no trusted root signed is refused before anything,
//! the key least of all, is sent.
//!
//! Its own test binary: it points `SSL_CERT_FILE` (where the system's store is
//! read from on Linux) at a file, for the whole process. One test, in steps:
//! the store as it is, then empty, then holding the fake's root.

mod common;

use std::time::Duration;

use common::*;
use fake_segmind::{Config, TestRoot};
use kling_studio::client::JobStatus;
use kling_studio::error::ErrorCode;

#[tokio::test]
async fn the_systems_trust_store_decides_and_a_refused_certificate_sends_nothing() {
    // The machine's store as a user's machine has it: this build machine also
    // points SSL_CERT_DIR and SSL_CERT_FILE at it, which would mask the steps below.
    std::env::remove_var("SSL_CERT_DIR");
    std::env::remove_var("SSL_CERT_FILE");
    let root = TestRoot::new();
    let fake = fake_with(Config {
        tls: Some(root.clone()),
        ..Config::default()
    })
    .await;
    assert!(fake.base_url().starts_with("https://"));

    // This machine's trust store does not hold the test root: refused, in words
    // of its own, and nothing reached the server.
    let refused = client(&fake)
        .credits()
        .await
        .expect_err("a certificate from an unknown root is refused");
    assert_eq!(refused.code, ErrorCode::Network, "{refused:?}");
    assert_eq!(
        refused.reason_name(),
        Some("certificate_refused"),
        "{refused:?}"
    );
    assert!(
        fake.requests().is_empty(),
        "nothing may reach a server the client does not trust: {:?}",
        fake.requests()
    );

    // A system with no trust store to read (Linux without ca-certificates): the
    // app still opens (its clients are built), and every call is refused.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-roots.pem");
    std::fs::write(&empty, "").unwrap();
    std::env::set_var("SSL_CERT_FILE", &empty);
    files(&fake); // builds too
    let refused = client(&fake)
        .credits()
        .await
        .expect_err("with no trusted roots, nothing is trusted");
    assert_eq!(
        refused.reason_name(),
        Some("certificate_refused"),
        "{refused:?}"
    );
    assert!(fake.requests().is_empty());

    // The root where the system's store is read from: trusted, the whole way.
    let roots = dir.path().join("roots.pem");
    std::fs::write(&roots, &root.pem).unwrap();
    std::env::set_var("SSL_CERT_FILE", &roots);

    let client = client(&fake);
    assert_eq!(client.credits().await.expect("a trusted root"), 100.0);
    let job = client
        .submit(&request("A lantern over a dark sea"))
        .await
        .expect("submit");
    loop {
        let report = client.status(&job).await.expect("status over https");
        if report.status == JobStatus::Completed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let output = client.result(&job).await.expect("result over https");
    let url = output.video_url().expect("a video").to_string();
    let target = target_in(&dir);
    files(&fake)
        .download(&url, &target, &mut |_, _| {})
        .await
        .expect("the video downloads");
    assert!(std::fs::metadata(&target).unwrap().len() > 0);
    assert_key_only_to_segmind(&fake);
}
