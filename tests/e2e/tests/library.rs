//! Never lose a paid video: the real app is killed (SIGKILL) while its job is
//! queued, processing or downloading; started again, it finishes the job from
//! its library with the video byte-identical and exactly one POST, on the stage
//! from the moment the window opens while it is still being made. And re-run from
//! history fills the form with the old parameters, without sending anything.

use std::time::Duration;

use e2e::*;
use fake_segmind::{Config, FakeSegmind, Fault, Origin, Target};

const JOB_LIMIT: Duration = Duration::from_secs(90);

/// Starts a job, kills the app once the job card shows `phase`, starts the app
/// again and waits for the job to be ready from the library.
async fn survives_a_kill_while(phase: &str, env: &Env) {
    keychain_store(KEY);
    let app = env.launch().await;
    app.generate(&format!(
        "Killed while {phase}: a tram crosses a bridge in the rain"
    ))
    .await;
    app.wait_status(phase, JOB_LIMIT).await;
    if phase == "downloading" {
        // Killed once part of the video is on disk, so a resume has something to resume.
        app.wait_for("some of the video on disk", JOB_LIMIT, || async {
            env.library_files("part")
                .iter()
                .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        })
        .await;
    }
    env.kill_app();
    app.abandon().await;
    assert!(
        env.library_videos().is_empty(),
        "no video in the library yet"
    );

    let app = env.launch().await;
    if phase != "downloading" {
        // The stage shows the job being made, not an empty stage that asks for a
        // Generate click (which would pay twice). (A resumed download's last bytes
        // arrive before the window's first paint: that job is ready, not in progress.)
        app.wait_for(
            "the stage to show the job being made",
            JOB_LIMIT,
            || async { !app.status().await.is_empty() },
        )
        .await;
        app.wait_status("ready", JOB_LIMIT).await;
    }
    app.wait_for("the resumed job to be ready", JOB_LIMIT, || async {
        app.history().await == ["ready"]
    })
    .await;
    app.screenshot(&format!("resumed-after-kill-while-{phase}"))
        .await;
    let videos = env.library_videos();
    assert_eq!(videos.len(), 1, "{videos:?}");
    assert_eq!(
        std::fs::read(&videos[0]).unwrap(),
        FakeSegmind::clip(),
        "byte-identical"
    );
    assert_eq!(env.posts(), 1, "exactly one POST, across the crash");
    app.quit().await;
}

fn slow_jobs() -> Config {
    // Long enough phases that the kill lands inside each of them.
    Config {
        queued: Duration::from_millis(4000),
        processing: Duration::from_millis(5000),
        ..Config::default()
    }
}

#[tokio::test]
async fn a_job_killed_while_queued_finishes_after_a_restart() {
    let env = Env::start_with("kill-queued", slow_jobs()).await;
    survives_a_kill_while("queued", &env).await;
}

#[tokio::test]
async fn a_job_killed_while_processing_finishes_after_a_restart() {
    let env = Env::start_with("kill-processing", slow_jobs()).await;
    survives_a_kill_while("processing", &env).await;
}

#[tokio::test]
async fn a_job_killed_while_downloading_resumes_its_download_after_a_restart() {
    let env = Env::start("kill-downloading").await;
    // 50 KB at 1 KB every 100 ms: the download takes about 5 s.
    env.fake.push_fault(
        Target::File,
        Fault::SlowBody {
            chunk: 1024,
            delay: Duration::from_millis(100),
        },
    );
    survives_a_kill_while("downloading", &env).await;
    let file_requests: Vec<_> = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.origin == Origin::Files)
        .collect();
    assert_eq!(file_requests.len(), 2, "one cut download, one resumed");
    assert!(
        file_requests[1]
            .header("range")
            .is_some_and(|r| r.starts_with("bytes=") && r != "bytes=0-"),
        "the second download continued where the first stopped: {:?}",
        file_requests[1].header("range")
    );
}

#[tokio::test]
async fn re_run_from_history_fills_the_form_with_the_old_parameters_and_sends_nothing() {
    keychain_store(KEY);
    let env = Env::start("rerun").await;
    let app = env.launch().await;
    app.type_into("prompt", "A hot-air balloon drifts over lavender fields")
        .await;
    app.select("duration", "7").await;
    app.click("shape-9-16").await;
    app.type_into("negative-prompt", "text, watermark").await;
    wait_until("the form to be valid", Duration::from_secs(10), || async {
        app.el("generate").await.is_enabled().await.unwrap()
    })
    .await;
    app.click("generate").await;
    app.wait_for("the video to be ready", JOB_LIMIT, || async {
        app.history().await == ["ready"]
    })
    .await;

    // Change everything, then re-run the old job.
    app.type_into("prompt", "Something else entirely").await;
    app.select("duration", "12").await;
    app.click("shape-1-1").await;
    app.type_into("negative-prompt", "").await;
    app.js("document.querySelector(\"[data-testid='history-rerun']\").scrollIntoView({block: 'center'})", vec![]).await;
    // The history places its cards on the next frame after a scroll: click then.
    app.next_frame().await;
    app.click("history-rerun").await;
    app.wait_for("the form to be filled", Duration::from_secs(10), || async {
        app.value("prompt").await == "A hot-air balloon drifts over lavender fields"
    })
    .await;
    assert_eq!(app.value("duration").await, "7");
    assert_eq!(app.shape().await, "9:16");
    assert_eq!(app.value("negative-prompt").await, "text, watermark");
    app.screenshot("history-rerun").await;
    assert_eq!(env.posts(), 1, "re-run fills the form; only Generate sends");
    app.quit().await;
}

#[tokio::test]
async fn a_video_that_needs_a_click_is_announced_above_the_fold_while_another_is_shown() {
    keychain_store(KEY);
    let env = Env::start("attention").await;
    env.add_ready_video("older", "A lighthouse in a storm", 60_000);
    // Segmind refuses the key once while the new video is being made: the job
    // keeps its place and waits for a click (a key looked at again).
    env.fake.push_fault(
        Target::Status,
        Fault::Status {
            code: 401,
            body: r#"{"error":"Invalid API key"}"#.into(),
            content_type: "application/json",
        },
    );
    let app = env.launch().await;
    app.generate("A kite over the dunes").await;
    app.wait_visible("try-again").await;
    assert!(
        !app.visible("attention").await,
        "the stage itself shows the problem"
    );

    // The creator looks at the older video: the stage shows it, the library is
    // below the fold, and the line at the top says what waits.
    app.js(
        "[...document.querySelectorAll(\"[data-testid='history-item']\")].find(c => c.textContent.includes('lighthouse')).querySelector('button').click()",
        vec![],
    )
    .await;
    app.wait_visible("attention").await;
    app.wait_text("attention", "A kite over the dunes", Duration::from_secs(5))
        .await;
    let in_view = app
        .js(
            "const r = document.querySelector(\"[data-testid='attention']\").getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight",
            vec![],
        )
        .await;
    assert_eq!(in_view, true, "above the fold");
    let below = app
        .js(
            "return document.getElementById('history').getBoundingClientRect().top >= innerHeight",
            vec![],
        )
        .await;
    assert_eq!(below, true, "the library itself starts below the fold");
    app.screenshot("attention-above-the-fold").await;

    app.click("attention-show").await;
    app.wait_visible("try-again").await;
    assert!(
        !app.visible("attention").await,
        "shown, it is no longer announced"
    );
    assert_eq!(env.posts(), 1);
    app.quit().await;
}
