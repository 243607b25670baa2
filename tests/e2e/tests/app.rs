//! The creator's path through the real app, in a real window: set a key, see an
//! invalid form refused for free, make a video once, watch it, save it, meet each
//! failure in plain words, and find everything still there after a restart.
//!
//! Tests share the test session's keychain, so each sets the keychain state it
//! needs first; `run-tests.sh` runs them one at a time.

use std::time::Duration;

use e2e::*;
use fake_segmind::FakeSegmind;

const JOB_LIMIT: Duration = Duration::from_secs(60);

/// Records every command's name and answer as they cross the IPC transport, to
/// prove the key never comes back from Rust.
async fn record_ipc(app: &App) {
    app.js(
        r#"
        'use strict';
        // Tauri's invoke is read-only; its transport on Linux is fetch to the ipc:
        // scheme, so every command and its answer pass through here.
        const original = window.fetch;
        window.__ipcLog = [];
        window.fetch = async (input, init) => {
          const response = await original(input, init);
          const url = String(input && input.url ? input.url : input);
          if (url.startsWith('ipc:') || url.includes('ipc.localhost')) {
            const answer = await response.clone().text();
            window.__ipcLog.push({cmd: decodeURIComponent(url), answer});
          }
          return response;
        };
        "#,
        vec![],
    )
    .await;
}

async fn ipc_log(app: &App) -> String {
    app.js("return JSON.stringify(window.__ipcLog || [])", vec![])
        .await
        .as_str()
        .unwrap_or("[]")
        .to_string()
}

/// Why Generate is off, as the page files it (`data-reason`).
async fn reason_kind(app: &App) -> String {
    app.js(
        "return document.querySelector(\"[data-testid='generate-reason']\").dataset.reason || ''",
        vec![],
    )
    .await
    .as_str()
    .unwrap_or("")
    .to_string()
}

async fn generate_enabled(app: &App) -> bool {
    app.el("generate").await.is_enabled().await.unwrap()
}

#[tokio::test]
async fn a_key_is_checked_stored_in_the_keychain_and_shown_only_by_its_last_4() {
    keychain_clear();
    let env = Env::start("key-setup").await;
    let app = env.launch().await;
    record_ipc(&app).await;
    app.wait_visible("api-key-input").await;
    app.screenshot("01-first-run").await;

    // A wrong key is refused, in plain words, and not stored.
    app.type_into("api-key-input", "sk-not-a-real-key-0000")
        .await;
    app.click("api-key-save").await;
    app.wait_text("api-key-status", "not accept", Duration::from_secs(15))
        .await;
    assert_eq!(keychain_lookup(), None);
    app.screenshot("02-key-refused").await;

    app.type_into("api-key-input", KEY).await;
    app.click("api-key-save").await;
    app.wait_text("api-key-status", "7788", Duration::from_secs(15))
        .await;
    assert_eq!(
        keychain_lookup().as_deref(),
        Some(KEY),
        "another keychain client reads the key back"
    );
    assert!(
        env.fake.count("GET", "/v1/get-user-credits") >= 2,
        "both keys were checked with the free call"
    );
    app.wait_text("credits", "Balance: $100.00", Duration::from_secs(10))
        .await;
    app.screenshot("03-key-saved").await;

    assert_eq!(
        app.value("api-key-input").await,
        "",
        "the input forgets the key"
    );
    assert!(
        !app.page_state().await.contains(KEY),
        "the page holds no copy of the key"
    );
    let ipc = ipc_log(&app).await;
    assert!(
        ipc.contains("save_api_key") && ipc.contains("7788"),
        "{ipc}"
    );
    assert!(
        !ipc.contains(KEY),
        "no command answered with the key: {ipc}"
    );
    app.quit().await;
    env.assert_key_written_nowhere();
}

#[tokio::test]
async fn an_invalid_form_shows_its_messages_and_sends_nothing() {
    keychain_store(KEY);
    let env = Env::start("invalid-form").await;
    let app = env.launch().await;

    // Untouched, the form invites rather than scolds: Generate waits for a
    // description, and says so without "Fix 1 thing".
    wait_until("Generate's reason", Duration::from_secs(10), || async {
        reason_kind(&app).await == "describe"
    })
    .await;
    assert!(!generate_enabled(&app).await, "nothing to send yet");
    assert_eq!(
        app.field_errors().await,
        Vec::<String>::new(),
        "an untouched form shows no error"
    );

    app.type_into("prompt", "").await;
    app.select("duration", "5").await;
    wait_until("the prompt's message", Duration::from_secs(10), || async {
        app.field_errors().await.contains(&"prompt".to_string())
    })
    .await;
    // Voices: a reference to voice 2 with one voice id is refused beside the prompt.
    app.type_into("prompt", "<<<voice_2>>> greets the sunrise")
        .await;
    // A voice made elsewhere, pasted by id under the advanced disclosure.
    app.js(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
        vec![serde_json::json!(testid("voices-advanced"))],
    )
    .await;
    app.click("voices-advanced").await;
    app.wait_visible("voice-id-1").await;
    app.type_into("voice-id-1", "voice-abc").await;
    wait_until(
        "the voice reference message",
        Duration::from_secs(10),
        || async { app.field_errors().await.contains(&"prompt".to_string()) },
    )
    .await;
    assert!(
        !generate_enabled(&app).await,
        "Generate is off while the form is invalid"
    );
    assert!(
        !app.text("generate-reason").await.trim().is_empty(),
        "the reason is visible"
    );
    assert_eq!(reason_kind(&app).await, "fix", "after an edit, what to fix");
    app.screenshot("04-invalid-form").await;

    // Even a forced click (the shortcut, too) sends nothing.
    app.js(
        "document.querySelector(\"[data-testid='generate']\").click()",
        vec![],
    )
    .await;
    app.js(
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', ctrlKey: true, bubbles: true}))",
        vec![],
    )
    .await;
    // A valid form afterwards proves the page was listening: its messages go away.
    app.type_into("voice-id-1", "").await;
    app.type_into("prompt", "A calm lake").await;
    wait_until("the messages to clear", Duration::from_secs(10), || async {
        app.field_errors().await.is_empty()
    })
    .await;
    assert!(generate_enabled(&app).await);
    assert_eq!(env.posts(), 0, "an invalid request is never sent");
    app.quit().await;
}

#[tokio::test]
async fn one_double_click_makes_one_video_that_plays_inline_and_saves() {
    keychain_store(KEY);
    let env = Env::start("generate").await;
    let app = env.launch().await;
    record_ipc(&app).await;
    app.type_into(
        "prompt",
        "A paper lantern rises over a quiet harbour at night",
    )
    .await;
    app.select("duration", "5").await;
    wait_until("the form to be valid", Duration::from_secs(10), || {
        generate_enabled(&app)
    })
    .await;
    app.screenshot("05-filled-form").await;

    // A double click and the shortcut on top: still one job.
    app.js(
        "const b = document.querySelector(\"[data-testid='generate']\"); b.click(); b.click(); \
         document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', ctrlKey: true, bubbles: true}));",
        vec![],
    )
    .await;
    let mut seen: Vec<String> = Vec::new();
    let started = std::time::Instant::now();
    loop {
        let status = app.status().await;
        if !status.is_empty() && seen.last() != Some(&status) {
            if status == "processing" {
                app.screenshot("06-generating").await;
            }
            seen.push(status.clone());
        }
        if status == "ready" || status == "failed" {
            break;
        }
        assert!(
            started.elapsed() < JOB_LIMIT,
            "the job did not finish: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        seen.last().map(String::as_str),
        Some("ready"),
        "{seen:?}; error: {}",
        app.text("error-message").await
    );
    for phase in ["queued", "processing"] {
        assert!(
            seen.iter().any(|s| s == phase),
            "the card showed {phase}: {seen:?}"
        );
    }
    assert_eq!(env.posts(), 1, "exactly one POST");

    // The video plays inline: enough data for the current frame, and the clip's length.
    wait_until("the video to load", Duration::from_secs(20), || async {
        app.js("const v = document.querySelector(\"[data-testid='preview-video']\"); return !!v && v.readyState >= 2", vec![])
            .await
            .as_bool()
            == Some(true)
    })
    .await;
    let duration = app
        .js(
            "return document.querySelector(\"[data-testid='preview-video']\").duration",
            vec![],
        )
        .await
        .as_f64()
        .unwrap();
    assert!(
        (duration - 2.0).abs() < 0.2,
        "the clip is 2 s, the player says {duration}"
    );
    app.screenshot("07-ready").await;
    // One money unit on the screen: dollars in the header, the button and the
    // result, never "credits" beside them.
    let screen = app
        .js("return document.body.innerText", vec![])
        .await
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        !screen.to_lowercase().contains("credit") && screen.contains("Balance: $"),
        "{screen}"
    );

    // In the folder without a click (the setting is on by default), and the
    // stage says so; Save has gone, Show file and Save as… stay.
    app.wait_text("saved-path", ".mp4", Duration::from_secs(10))
        .await;
    let folder = env.home.path().join("Videos/Kling Studio");
    let saved: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(
        std::fs::read(&saved[0]).unwrap(),
        FakeSegmind::clip(),
        "the saved file is the clip, byte for byte"
    );
    let file_name = saved[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(app.text("saved-path").await.contains(&file_name));
    assert!(!app.visible("save-video").await, "nothing left to save");
    assert!(app.visible("show-in-folder").await);
    assert!(
        app.visible("history-show-file").await,
        "the card offers the file too"
    );
    app.screenshot("08-saved").await;

    let ipc = ipc_log(&app).await;
    assert!(ipc.contains("start_job"), "{ipc}");
    assert!(!ipc.contains(KEY) && !app.page_state().await.contains(KEY));
    app.quit().await;
    env.assert_key_written_nowhere();
}

async fn generate_and_wait_for_failure(app: &App, prompt: &str) -> String {
    app.type_into("prompt", prompt).await;
    wait_until("the form to be valid", Duration::from_secs(10), || {
        generate_enabled(app)
    })
    .await;
    app.click("generate").await;
    app.wait_status("failed", JOB_LIMIT).await;
    app.text("error-message").await
}

#[tokio::test]
async fn wrong_key_missing_credits_and_a_failed_job_each_say_what_happened() {
    keychain_store(KEY);
    let env = Env::start("failures").await;
    let app = env.launch().await;

    env.fake.set_credits(1.0);
    let text = generate_and_wait_for_failure(&app, "A snowy owl takes off").await;
    assert!(
        text.contains("balance is too low") && text.contains("Nothing was charged"),
        "{text}"
    );
    app.screenshot("09-no-credits").await;

    env.fake.set_credits(100.0);
    let text = generate_and_wait_for_failure(&app, "[fail] A storm over the sea").await;
    assert!(text.contains("could not make this video"), "{text}");
    // Rust's verdict on the money (JobView.billing), worded by the page.
    assert!(text.contains("does not bill videos that fail"), "{text}");
    // Segmind's own reason, untouched, for a support request.
    let details = app
        .js(
            "return document.getElementById('error-detail-text').textContent",
            vec![],
        )
        .await;
    assert!(
        details
            .as_str()
            .unwrap_or_default()
            .contains("content filter"),
        "{details}"
    );
    app.screenshot("10-job-failed").await;

    // A key Segmind stops accepting (revoked on its site, say).
    keychain_store("sk-revoked-key-0000");
    let text = generate_and_wait_for_failure(&app, "A quiet forest").await;
    assert!(
        text.contains("API key") && text.contains("Nothing was charged"),
        "{text}"
    );
    app.screenshot("11-key-refused").await;
    assert_eq!(env.posts(), 3);
    app.quit().await;
}

#[tokio::test]
async fn after_a_restart_the_key_and_the_last_settings_are_still_there() {
    keychain_clear();
    let env = Env::start("restart").await;
    let app = env.launch().await;
    app.wait_visible("api-key-input").await;
    app.type_into("api-key-input", KEY).await;
    app.click("api-key-save").await;
    app.wait_text("api-key-status", "7788", Duration::from_secs(15))
        .await;

    app.type_into("prompt", "Remember me: a red kite over green hills")
        .await;
    app.select("duration", "9").await;
    app.click("shape-9-16").await;
    // Remembered when the settings file on disk says so.
    let settings = env
        .home
        .path()
        .join(".config/app.klingstudio.desktop/settings.json");
    wait_until(
        "the settings to be written",
        Duration::from_secs(10),
        || async {
            std::fs::read_to_string(&settings)
                .is_ok_and(|s| s.contains("red kite") && s.contains("\"9:16\""))
        },
    )
    .await;
    app.quit().await;

    let app = env.launch().await;
    wait_until(
        "the form to be restored",
        Duration::from_secs(10),
        || async { app.value("prompt").await == "Remember me: a red kite over green hills" },
    )
    .await;
    assert_eq!(app.value("duration").await, "9");
    assert_eq!(app.shape().await, "9:16");
    assert!(
        !app.visible("api-key-input").await,
        "no key setup: the keychain still has the key"
    );
    app.wait_text("api-key-status", "7788", Duration::from_secs(10))
        .await;
    app.screenshot("12-restored").await;
    app.quit().await;
}
