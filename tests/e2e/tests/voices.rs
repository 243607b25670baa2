//! Voices in the real window: a creator with no voice id makes one from a clip
//! (chosen through the page's own file input), hears it, casts it by name, puts
//! its reference in the prompt and generates: the POST carries that voice id. A
//! clip that breaks a rule is refused before anything is sent; after a restart
//! the voices are still there and still play.

use std::time::Duration;

use e2e::*;
use fake_segmind::{wav_clip, Fault, Target};
use serde_json::json;

const VOICE_LIMIT: Duration = Duration::from_secs(30);

/// The media element's readyState (2 = it has the data to play the current frame).
async fn ready_state(app: &App, id: &str) -> i64 {
    app.js(
        "const e = document.querySelector(arguments[0]); return e ? e.readyState : -1",
        vec![json!(testid(id))],
    )
    .await
    .as_i64()
    .unwrap_or(-1)
}

async fn choose_file(app: &App, path: &std::path::Path) {
    app.choose_file("voice-file", path).await;
}

/// Opens "Your voices", then its "New voice" dialog.
async fn open_new_voice(app: &App) {
    app.click("open-voices").await;
    app.wait_visible("voices-dialog").await;
    app.click("voice-new").await;
    app.wait_visible("voice-dialog").await;
}

/// Makes a voice in the open "New voice" dialog; answers its voice id.
async fn make_voice(
    app: &App,
    env: &Env,
    clip: &std::path::Path,
    name: &str,
    shot: &str,
) -> String {
    choose_file(app, clip).await;
    app.wait_text("voice-clip-status", "seconds", Duration::from_secs(10))
        .await;
    wait_until("the clip to be heard", Duration::from_secs(10), || async {
        ready_state(app, "voice-preview").await >= 2
    })
    .await;
    app.type_into("voice-name", name).await;
    if !shot.is_empty() {
        app.screenshot(&format!("{shot}-clip-chosen")).await;
        // The asset store answers slowly this once: the dialog shows the upload.
        env.fake.push_fault(
            Target::Upload,
            Fault::SlowBody {
                chunk: 16,
                delay: Duration::from_millis(150),
            },
        );
    }
    app.click("voice-create").await;
    if !shot.is_empty() {
        app.wait_text("voice-progress", "Uploading", Duration::from_secs(10))
            .await;
        app.screenshot(&format!("{shot}-uploading")).await;
    }
    app.wait_for("the voice to be made", VOICE_LIMIT, || async {
        app.visible("voice-done").await
    })
    .await;
    if !shot.is_empty() {
        app.screenshot(&format!("{shot}-done")).await;
    }
    let made = app
        .js(
            "return [...document.querySelectorAll('[data-testid=voice-pick-1] option, [data-testid=voice-pick-2] option')].find(o => o.textContent === arguments[0])?.value ?? null",
            vec![json!(name)],
        )
        .await;
    made.as_str()
        .expect("the new voice is in the pickers")
        .to_string()
}

#[tokio::test]
async fn a_voice_made_in_the_app_speaks_in_the_video_and_stays() {
    keychain_store(KEY);
    let env = Env::start("voices").await;
    let clip = env.files_dir().join("grandpa-memo.wav");
    std::fs::write(&clip, wav_clip(6000)).unwrap();
    let second = env.files_dir().join("narrator.wav");
    std::fs::write(&second, wav_clip(8000)).unwrap();
    let not_audio = env.files_dir().join("notes.mp3");
    std::fs::write(&not_audio, "shopping list: milk, bread").unwrap();

    let app = env.launch().await;
    open_new_voice(&app).await;
    app.screenshot("voice-01-empty").await;

    // A text file called .mp3 is refused by what it is, and nothing is sent.
    choose_file(&app, &not_audio).await;
    wait_until("the clip's problem", Duration::from_secs(10), || async {
        app.visible("voice-clip-error").await
    })
    .await;
    assert!(
        app.text("voice-clip-error").await.contains("not an mp3"),
        "{}",
        app.text("voice-clip-error").await
    );
    assert!(!app.el("voice-create").await.is_enabled().await.unwrap());
    app.screenshot("voice-02-invalid-clip").await;
    assert!(
        env.fake.requests().iter().all(|r| r.method == "GET"),
        "nothing sent for a bad clip"
    );

    // A good clip: heard, named, made; cast as Voice 1 from the dialog.
    let grandpa = make_voice(&app, &env, &clip, "Grandpa", "voice-03").await;
    app.click("voice-use-1").await;
    assert_eq!(app.value("voice-pick-1").await, grandpa);

    // The second voice from the picker's "Make a new voice…": cast where it was asked for.
    app.select("voice-pick-2", "new").await;
    app.wait_visible("voice-dialog").await;
    let narrator = make_voice(&app, &env, &second, "Narrator", "").await;
    app.click("voice-dialog-close").await;
    assert_eq!(app.value("voice-pick-2").await, narrator);

    // Voices go in where the cursor is, by name; the legend says which voice each is.
    app.type_into("prompt", "An old man at a kitchen table says: ")
        .await;
    app.click("insert-voice-1").await;
    app.click("insert-voice-2").await;
    wait_until(
        "the legend to name both voices",
        Duration::from_secs(5),
        || async {
            let legend = app.text("voice-legend").await;
            legend.contains("[Grandpa]") && legend.contains("[Narrator]")
        },
    )
    .await;
    assert!(
        app.value("prompt")
            .await
            .ends_with("says: [Grandpa][Narrator]"),
        "{}",
        app.value("prompt").await
    );
    // A prompt pasted with Kling's own references shows the names too.
    app.js(
        "const ta = document.querySelector(\"[data-testid='prompt']\"); ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); \
         ta.setRangeText(' <<<voice_2>>> nods.', ta.value.length, ta.value.length, 'end'); \
         ta.dispatchEvent(new InputEvent('input', { inputType: 'insertFromPaste', bubbles: true }))",
        vec![],
    )
    .await;
    assert!(
        app.value("prompt")
            .await
            .ends_with("[Grandpa][Narrator] [Narrator] nods."),
        "{}",
        app.value("prompt").await
    );
    app.screenshot("voice-06-legend").await;
    app.js(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
        vec![json!(testid("voice-pick-2"))],
    )
    .await;
    app.screenshot("voice-06-two-voices-cast").await;

    wait_until("the form to be valid", Duration::from_secs(10), || async {
        app.el("generate").await.is_enabled().await.unwrap()
    })
    .await;
    app.click("generate").await;
    wait_until("the video to be sent", Duration::from_secs(20), || async {
        env.posts() == 1
    })
    .await;
    let post = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v2/kling-3-pro-text2video")
        .unwrap();
    assert_eq!(
        post.json().unwrap()["voice_ids"],
        json!([grandpa, narrator])
    );
    // Segmind reads Kling's references, never the names.
    let sent = post.json().unwrap()["prompt"].as_str().unwrap().to_string();
    assert!(
        sent.ends_with("says: <<<voice_1>>><<<voice_2>>> <<<voice_2>>> nods."),
        "{sent}"
    );
    assert_eq!(env.fake.count("POST", "/v2/kling-create-voice"), 2);
    // The key went to the API and the asset store only, never to the file host.
    for request in env.fake.requests() {
        let keyed = request.header("x-api-key") == Some(KEY);
        assert_eq!(
            keyed,
            request.origin != fake_segmind::Origin::Files,
            "{}",
            request.path
        );
    }
    app.quit().await;

    // After a restart the cast list still has both, and a clip still plays.
    let app = env.launch().await;
    app.click("open-voices-header").await;
    app.wait_visible("voices-dialog").await;
    let listed = app
        .js(
            "return [...document.querySelectorAll('[data-testid=voice-item]')].map(e => e.dataset.voiceId)",
            vec![],
        )
        .await;
    let mut listed: Vec<String> = serde_json::from_value(listed).unwrap();
    listed.sort();
    let mut expected = vec![grandpa.clone(), narrator.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    app.js(
        "document.querySelector('[data-testid=voice-item][data-voice-id=\"' + arguments[0] + '\"] [data-testid=voice-play]').click()",
        vec![json!(grandpa)],
    )
    .await;
    wait_until("the clip to play", Duration::from_secs(10), || async {
        ready_state(&app, "voice-player").await >= 2
    })
    .await;
    app.screenshot("voice-07-cast-list").await;

    // Narrator is deleted; a re-run of the video restores Grandpa by id and says
    // plainly that voice 2 is gone (its id kept).
    app.js(
        "document.querySelector('[data-testid=voice-item][data-voice-id=\"' + arguments[0] + '\"] .v-delete').click()",
        vec![json!(narrator)],
    )
    .await;
    app.wait_visible("voice-delete-confirm").await;
    app.click("voice-delete-confirm").await;
    wait_until(
        "the voice to be deleted",
        Duration::from_secs(10),
        || async {
            app.js(
                "return document.querySelectorAll('[data-testid=voice-item]').length",
                vec![],
            )
            .await
            .as_i64()
                == Some(1)
        },
    )
    .await;
    app.js("document.getElementById('voices-dialog').close()", vec![])
        .await;
    app.js(
        "document.querySelector(\"[data-testid='history-rerun']\").scrollIntoView({block: 'center'})",
        vec![],
    )
    .await;
    app.next_frame().await;
    app.click("history-rerun").await;
    wait_until("the re-run's voices", Duration::from_secs(10), || async {
        app.value("voice-pick-1").await == grandpa && app.visible("voice-missing").await
    })
    .await;
    assert_eq!(app.value("voice-pick-2").await, narrator);
    // Grandpa by name; the deleted voice keeps Kling's reference.
    assert!(
        app.value("prompt")
            .await
            .ends_with("says: [Grandpa]<<<voice_2>>> <<<voice_2>>> nods."),
        "{}",
        app.value("prompt").await
    );
    assert!(
        app.text("voice-missing").await.contains("Voice 2"),
        "{}",
        app.text("voice-missing").await
    );
    app.js(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
        vec![json!(testid("voice-missing"))],
    )
    .await;
    app.screenshot("voice-08-rerun-voice-deleted").await;
    app.quit().await;
    env.assert_key_written_nowhere();
}

#[tokio::test]
async fn a_voice_is_made_when_the_upload_answers_urls_and_the_id_comes_as_a_string() {
    keychain_store(KEY);
    let env = Env::start("voice-real-shapes").await;
    let clip = env.files_dir().join("memo.wav");
    std::fs::write(&clip, wav_clip(6000)).unwrap();
    // Segmind's storage docs answer `urls`; its SDK says a v2 output may be a
    // stringified copy of the provider's JSON.
    env.fake.push_fault(Target::Upload, Fault::UploadUrls);
    for _ in 0..10 {
        env.fake.push_fault(Target::Result, Fault::StringOutput);
    }
    let app = env.launch().await;
    open_new_voice(&app).await;
    let id = make_voice(&app, &env, &clip, "Iris", "").await;
    assert!(id.len() > 10, "a voice id from Segmind: {id}");
    assert_eq!(env.fake.count("POST", "/upload-asset"), 1);
    assert_eq!(env.fake.count("POST", "/v2/kling-create-voice"), 1);
    app.quit().await;
}

#[tokio::test]
async fn closing_the_window_while_a_voice_is_being_made_asks_first() {
    keychain_store(KEY);
    // Segmind takes its time with this voice: long enough to close the window.
    let env = Env::start_with(
        "close-voice",
        fake_segmind::Config {
            processing: Duration::from_secs(60),
            ..fake_segmind::Config::default()
        },
    )
    .await;
    let clip = env.files_dir().join("memo.wav");
    std::fs::write(&clip, wav_clip(6000)).unwrap();
    let app = env.launch().await;
    open_new_voice(&app).await;
    choose_file(&app, &clip).await;
    app.wait_text("voice-clip-status", "seconds", Duration::from_secs(10))
        .await;
    app.type_into("voice-name", "Iris").await;
    app.click("voice-create").await;
    app.wait_text("voice-progress", "Making the voice", VOICE_LIMIT)
        .await;
    wait_until("the paid call to be sent", VOICE_LIMIT, || async {
        env.fake.count("POST", "/v2/kling-create-voice") == 1
    })
    .await;

    // No video is being made: only the voice. The close button asks first.
    env.ask_window_to_close();
    app.wait_visible("close-dialog").await;
    let question = app.text("close-dialog").await;
    assert!(
        question.contains("A voice is still being made"),
        "{question}"
    );
    app.screenshot("close-voice-question").await;
    assert_eq!(env.app_pids().len(), 1, "the app is still open");
    app.quit().await;
}
