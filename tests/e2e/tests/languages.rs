//! The app on a computer set to Chinese speaks 简体中文 on every screen a creator
//! meets (first run, the form, a validation message, a failed job, the history,
//! the question before two videos, a ready take, takes side by side, Settings,
//! the voices, a new voice, a video that needs a click, a picture to start from),
//! with no English sentence left but brand names; English chosen in Settings
//! applies at once, and is remembered. Each screen is captured at the window's 1200×800.

use std::time::Duration;

use e2e::{keychain_clear, wait_until, App, Env, KEY};
use fake_segmind::{Fault, Target};

const JOB_LIMIT: Duration = Duration::from_secs(60);

/// Runs of two or more English words visible on the page, brand names aside.
async fn english_left(app: &App) -> Vec<String> {
    let found = app
        .js(
            "let text = document.body.innerText;
             for (const brand of ['Kling Studio', 'Kling 3.0 Pro', 'Kling', 'Segmind', 'API',
                                  'GNOME Keyring', 'KeePassXC', 'Secret Service', 'Ctrl', 'Enter']) {
               text = text.split(brand).join(' ');
             }
             return text.match(/[A-Za-z]{2,}(?:[ '’-]+[A-Za-z]{2,})+/g) || [];",
            vec![],
        )
        .await;
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

async fn assert_all_chinese(app: &App, screen: &str) {
    let english = english_left(app).await;
    assert!(
        english.is_empty(),
        "{screen}: English left on the screen: {english:?}"
    );
    let lang = app.js("return document.documentElement.lang", vec![]).await;
    assert_eq!(lang.as_str(), Some("zh-CN"), "{screen}");
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[tokio::test]
async fn a_chinese_computer_gets_chinese_everywhere_and_english_is_one_click_away() {
    keychain_clear();
    let env = Env::start_in_locale("zh", "zh_CN.UTF-8").await;
    let app = env.launch().await;

    // First run.
    app.wait_visible("api-key-input").await;
    assert_all_chinese(&app, "first run").await;
    app.screenshot("zh-01-first-run").await;

    app.type_into("api-key-input", KEY).await;
    app.click("api-key-save").await;
    app.wait_visible("prompt").await;

    // The form, and a validation message.
    app.type_into("prompt", "<<<voice_1>>> 说：你好").await;
    wait_until("a validation message", Duration::from_secs(10), || async {
        !app.field_errors().await.is_empty()
    })
    .await;
    let errors = app
        .js(
            "return [...document.querySelectorAll(\"[data-testid='field-error']\")].map(e => e.textContent)",
            vec![],
        )
        .await;
    let errors: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert!(
        !errors.is_empty() && errors.iter().all(|e| has_chinese(e)),
        "{errors:?}"
    );
    assert_all_chinese(&app, "form with a validation message").await;
    app.screenshot("zh-02-invalid-form").await;

    // A failed job, in the history too.
    app.type_into("prompt", "[fail] 海上的风暴").await;
    wait_until("the form to be valid", Duration::from_secs(10), || async {
        app.el("generate").await.is_enabled().await.unwrap()
    })
    .await;
    app.click("generate").await;
    app.wait_status("failed", JOB_LIMIT).await;
    let message = app.text("error-message").await;
    assert!(has_chinese(&message), "{message}");
    assert_all_chinese(&app, "a failed job and the history").await;
    app.screenshot("zh-03-failed-job").await;

    // English, from Settings, at once: no restart, no reload.
    app.click("open-settings").await;
    app.wait_visible("language").await;
    app.select("language", "en").await;
    wait_until("English on the screen", Duration::from_secs(5), || async {
        app.text("generate").await.contains("Generate video")
    })
    .await;
    let lang = app.js("return document.documentElement.lang", vec![]).await;
    assert_eq!(lang.as_str(), Some("en"));
    let message = app.text("error-message").await;
    assert!(message.contains("could not make this video"), "{message}");
    app.screenshot("zh-04-switched-to-english").await;
    app.quit().await;

    // Remembered: the next start is in English although the computer is Chinese.
    let app = env.launch().await;
    app.wait_visible("prompt").await;
    let lang = app.js("return document.documentElement.lang", vec![]).await;
    assert_eq!(lang.as_str(), Some("en"));
    app.quit().await;
}

/// Closes an open modal dialog the way a creator would: Esc.
async fn close_dialog(app: &App, id: &str) {
    app.js(
        "document.querySelector(arguments[0]).dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })); document.querySelector(arguments[0]).close()",
        vec![serde_json::json!(e2e::testid(id))],
    )
    .await;
    wait_until(
        &format!("{id} to close"),
        Duration::from_secs(5),
        || async { !app.visible(id).await },
    )
    .await;
}

#[tokio::test]
async fn every_other_screen_speaks_chinese_too() {
    e2e::keychain_store(KEY);
    let env = Env::start_in_locale("zh-screens", "zh_CN.UTF-8").await;
    env.add_ready_video("older", "暴风雨中的灯塔", 60_000);
    let app = env.launch().await;
    app.wait_visible("prompt").await;

    // Two takes: the question before spending, then both ready on the stage.
    app.type_into("prompt", "一只纸船在雨后的水洼里漂").await;
    app.select("takes", "2").await;
    wait_until("the form to be valid", Duration::from_secs(10), || async {
        app.el("generate").await.is_enabled().await.unwrap()
    })
    .await;
    app.screenshot("zh-05-form").await;
    assert_all_chinese(&app, "the form").await;
    app.click("generate").await;
    app.wait_visible("money-dialog").await;
    assert_all_chinese(&app, "the question before two videos").await;
    app.screenshot("zh-06-two-videos-question").await;
    app.click("money-confirm").await;
    app.wait_for("two videos ready", JOB_LIMIT, || async {
        app.history().await.iter().filter(|s| *s == "ready").count() == 3
    })
    .await;
    app.wait_visible("compare-takes").await;
    assert_all_chinese(&app, "a ready take").await;
    app.screenshot("zh-07-ready-take").await;

    app.click("compare-takes").await;
    app.wait_visible("takes-dialog").await;
    assert_all_chinese(&app, "takes side by side").await;
    app.screenshot("zh-08-takes-side-by-side").await;
    close_dialog(&app, "takes-dialog").await;

    app.click("open-settings").await;
    app.wait_visible("settings-dialog").await;
    assert_all_chinese(&app, "settings").await;
    app.screenshot("zh-09-settings").await;
    close_dialog(&app, "settings-dialog").await;

    app.click("open-voices-header").await;
    app.wait_visible("voices-dialog").await;
    assert_all_chinese(&app, "the voices").await;
    app.screenshot("zh-10-voices").await;
    app.click("voice-new").await;
    app.wait_visible("voice-dialog").await;
    assert_all_chinese(&app, "a new voice").await;
    app.screenshot("zh-11-new-voice").await;
    app.click("voice-dialog-close").await;
    close_dialog(&app, "voices-dialog").await;

    // A video that waits for a click, announced while another is on the stage.
    env.fake.push_fault(
        Target::Status,
        Fault::Status {
            code: 401,
            body: r#"{"error":"Invalid API key"}"#.into(),
            content_type: "application/json",
        },
    );
    app.select("takes", "1").await;
    app.type_into("prompt", "风筝飞过沙丘").await;
    app.click("generate").await;
    app.wait_visible("try-again").await;
    app.js(
        "[...document.querySelectorAll(\"[data-testid='history-item']\")].find(c => c.textContent.includes('灯塔')).querySelector('button').click()",
        vec![],
    )
    .await;
    app.wait_visible("attention").await;
    assert_all_chinese(&app, "a video that needs a click").await;
    app.screenshot("zh-12-attention").await;

    // A picture to start from: refused in Chinese, then shown with its size.
    for (name, w, h) in [("small.png", 200, 200), ("tall.png", 720, 1280)] {
        let path = env.files_dir().join(name);
        image::RgbImage::from_pixel(w, h, image::Rgb([40, 90, 160]))
            .save(&path)
            .unwrap();
        app.choose_file("start-image-file", &path).await;
        if w < 300 {
            wait_until("the picture's problem", Duration::from_secs(10), || async {
                app.field_errors()
                    .await
                    .contains(&"start_image_url".to_string())
            })
            .await;
            assert_all_chinese(&app, "a refused picture").await;
        }
    }
    app.wait_visible("start-image").await;
    app.js(
        "document.querySelector(\"[data-testid='start-image']\").scrollIntoView({block: 'center'})",
        vec![],
    )
    .await;
    assert_all_chinese(&app, "a picture to start from").await;
    app.screenshot("zh-13-picture").await;
    app.quit().await;
}
