//! Every way out of the app asks the same question while videos are being sent or
//! made: the window's close button, and the app menu's Quit (Ctrl+Q here; ⌘Q on
//! macOS, where the item is the same `app_menu` item). Keys are pressed in the
//! real window through XTEST, so the menu's accelerator fires as it does for a
//! person; WebDriver's key actions reach only the page.

use std::time::Duration;

use e2e::*;
use fake_segmind::{Fault, Target};

#[tokio::test]
async fn quit_from_the_app_menu_asks_the_same_question_as_closing_the_window() {
    keychain_store(KEY);
    let env = Env::start("quit-menu").await;
    // Segmind answers the POST a byte at a time: the video is being sent all along.
    env.fake.push_fault(
        Target::Submit,
        Fault::SlowBody {
            chunk: 1,
            delay: Duration::from_millis(500),
        },
    );
    let app = env.launch().await;

    // The menu's Settings… (Ctrl+,) opens the page's Settings.
    app.wait_visible("prompt").await;
    env.press_keys("ctrl+comma");
    app.wait_visible("settings-dialog").await;
    app.js("document.getElementById('settings-dialog').close()", vec![])
        .await;

    app.generate("A lighthouse keeper waves at a passing ship")
        .await;
    wait_until(
        "the POST to reach Segmind",
        Duration::from_secs(30),
        || async { env.posts() == 1 },
    )
    .await;

    env.press_keys("ctrl+q");
    app.wait_visible("close-dialog").await;
    let by_menu = app.text("close-dialog").await;
    assert!(by_menu.contains("A video is still being made"), "{by_menu}");
    app.screenshot("quit-menu-question").await;
    assert_eq!(env.app_pids().len(), 1, "the app is still open");

    // Not now: the question goes, and the window's close button asks the same.
    app.js("document.getElementById('close-dialog').close()", vec![])
        .await;
    env.ask_window_to_close();
    app.wait_visible("close-dialog").await;
    assert_eq!(app.text("close-dialog").await, by_menu, "the same question");
    assert_eq!(env.app_pids().len(), 1, "the app is still open");

    // Where the web view keeps Ctrl+Q from the menu (Windows), the page passes it
    // on through `choose_menu_item`: the same item, the same question.
    app.js("document.getElementById('close-dialog').close()", vec![])
        .await;
    app.js(
        "window.__TAURI__.core.invoke('choose_menu_item', { action: 'quit' })",
        vec![],
    )
    .await;
    app.wait_visible("close-dialog").await;
    assert_eq!(app.text("close-dialog").await, by_menu, "the same question");
    assert_eq!(env.app_pids().len(), 1, "the app is still open");
    assert_eq!(env.posts(), 1, "nothing sent again");
    app.quit().await;
}
