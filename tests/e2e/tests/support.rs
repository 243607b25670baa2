//! When something goes wrong on a creator's computer: the app writes a log a
//! supporter can read (a trouble names its job; the page's own errors are there
//! too) that holds no part of the key, and Settings copies plain details.

use std::time::Duration;

use e2e::*;
use fake_segmind::{Fault, Target};

#[tokio::test]
async fn the_log_explains_a_trouble_by_job_and_holds_no_key() {
    keychain_store(KEY);
    let env = Env::start("support").await;
    // Segmind's gateway fails once while the job is followed: ridden out, logged.
    env.fake.push_fault(
        Target::Status,
        Fault::Status {
            code: 502,
            body: r#"{"error":"Bad gateway"}"#.into(),
            content_type: "application/json",
        },
    );
    let app = env.launch().await;
    app.generate("A paper boat on a rainy street").await;
    app.wait_for("the video to be ready", Duration::from_secs(90), || async {
        app.history().await == ["ready"]
    })
    .await;
    let job = app
        .js(
            "return document.querySelector(\"[data-testid='history-item']\").dataset.jobId",
            vec![],
        )
        .await
        .as_str()
        .unwrap()
        .to_string();

    // The page's own errors reach the log too.
    app.js("console.error('page console probe 4711')", vec![])
        .await;

    // Settings → Help: the details are shown and say what a supporter needs.
    app.click("open-settings").await;
    app.js(
        "document.querySelector(\"[data-testid='copy-support']\").scrollIntoView({block: 'center'})",
        vec![],
    )
    .await;
    // Written when Settings opens, shown before anything is copied.
    wait_until("the details", Duration::from_secs(10), || async {
        !app.value("support-details").await.is_empty()
    })
    .await;
    app.click("copy-support").await;
    app.wait_text("support-status", "Copied", Duration::from_secs(5))
        .await;
    let details = app.value("support-details").await;
    for needed in [
        "Kling Studio ",
        "System: ",
        "H.264 video playback: yes",
        "Keychain: Secret Service",
        "API key: saved in the keychain (…7788)",
        "Videos: ready 1",
        "Logs: ",
    ] {
        assert!(
            details.contains(needed),
            "{needed:?} missing from:\n{details}"
        );
    }
    // The app chose how its web view paints before the web view started: on the
    // CPU when this machine shows no GPU (see webview_painting.rs).
    let render_node = std::fs::read_dir("/dev/dri")
        .map(|dri| {
            dri.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false);
    let software = std::env::var("LIBGL_ALWAYS_SOFTWARE")
        .is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    let gpu = (render_node || std::path::Path::new("/dev/nvidia0").exists()) && !software;
    let painting = if std::env::var_os("WEBKIT_SKIA_ENABLE_CPU_RENDERING").is_some() {
        "Painting: as set in the environment"
    } else if gpu {
        "Painting: GPU"
    } else {
        "Painting: CPU (no GPU found)"
    };
    assert!(
        details.contains(painting),
        "{painting:?} missing from:\n{details}"
    );
    assert!(!details.contains(KEY));
    app.js(
        "document.querySelector(\"[data-testid='support-details']\").scrollIntoView({block: 'center'})",
        vec![],
    )
    .await;
    app.screenshot("support-details").await;
    app.quit().await;

    wait_until(
        "the page's error in the log",
        Duration::from_secs(10),
        || async {
            env.log_lines()
                .iter()
                .any(|l| l.contains("page console probe 4711"))
        },
    )
    .await;
    let lines = env.log_lines();
    let about_job: Vec<&String> = lines.iter().filter(|l| l.contains(&job)).collect();
    assert!(
        about_job.iter().any(|l| l.contains("retrying")),
        "no line says the job {job} rode out the 502:\n{}",
        lines.join("\n")
    );
    assert!(
        about_job.iter().any(|l| l.contains("-> Ready")),
        "the job's end is logged:\n{}",
        lines.join("\n")
    );
    assert!(
        lines.iter().any(|l| l.contains("HTTP 502")),
        "the 502 itself is logged:\n{}",
        lines.join("\n")
    );
    env.assert_key_written_nowhere();
}
