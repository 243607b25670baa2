//! A library that lasts for years: with hundreds of finished videos, the history
//! holds stills (images), never players, and only about a screenful of cards, from
//! the top of the list to its bottom.

use std::time::Duration;

use e2e::*;
use serde_json::Value;

const VIDEOS: usize = 300;

fn id(n: usize) -> String {
    format!("0000ffff-0000-0000-0000-{n:012}")
}

/// Scrolls the stage by `by` pixels (or to the top), waits for the list to be
/// redrawn, and tells what the page holds then.
async fn scroll_and_count(app: &App, by: i64) -> Value {
    app.client
        .execute_async(
            "const [by, done] = arguments; const s = document.querySelector('.stage');
             if (by < 0) s.scrollTop = 0; else s.scrollTop += by;
             requestAnimationFrame(() => requestAnimationFrame(() => done({
               top: s.scrollTop, bottom: s.scrollTop + s.clientHeight >= s.scrollHeight - 2,
               videos: document.querySelectorAll('video').length,
               cards: document.querySelectorAll(\"[data-testid='history-item']\").length,
               stills: document.querySelectorAll(\".h-poster[data-still='drawn']\").length,
               last: [...document.querySelectorAll('.h-prompt')].map(e => e.textContent).pop() || '',
             })));",
            vec![serde_json::json!(by)],
        )
        .await
        .expect("the page answers")
}

#[tokio::test]
async fn a_long_history_holds_stills_and_a_screenful_of_cards_top_to_bottom() {
    keychain_store(KEY);
    let env = Env::start("long-history").await;
    for n in 0..VIDEOS {
        // Video 0 is the newest, video 299 the oldest.
        env.add_ready_video(&id(n), &format!("Video number {n}"), n as i64 * 60_000);
    }
    let app = env.launch().await;
    wait_until("the history to show", Duration::from_secs(20), || async {
        !app.history().await.is_empty()
    })
    .await;
    // Stills are made for the cards in view, and shown as images.
    wait_until(
        "stills in the first cards",
        Duration::from_secs(60),
        || async {
            scroll_and_count(&app, 0).await["stills"]
                .as_u64()
                .unwrap_or(0)
                >= 2
        },
    )
    .await;
    app.screenshot("long-history-top").await;
    // Every Intl formatter made from now on is counted: the cards' dates, lengths
    // and costs must reuse the ones already made. One per card held ~30 MB of ICU
    // data in the web process after a scroll through 1,000 videos.
    app.js(
        "window.__formattersMade = 0;
         for (const kind of ['NumberFormat', 'DateTimeFormat', 'PluralRules']) {
           const Real = Intl[kind];
           const Counted = function (...args) { window.__formattersMade += 1; return new Real(...args); };
           Object.defineProperty(Counted, 'name', { value: Real.name });
           Intl[kind] = Counted;
         }",
        vec![],
    )
    .await;

    let mut most_cards = 0;
    let mut reached_bottom = false;
    for _ in 0..400 {
        let state = scroll_and_count(&app, 400).await;
        let cards = state["cards"].as_u64().unwrap() as usize;
        most_cards = most_cards.max(cards);
        assert!(
            state["videos"].as_u64().unwrap() <= 1,
            "only the stage's player is a video: {state}"
        );
        assert!(cards > 0, "some cards are always drawn: {state}");
        if state["bottom"].as_bool() == Some(true) {
            assert_eq!(
                state["last"].as_str(),
                Some(format!("Video number {}", VIDEOS - 1).as_str()),
                "the oldest video closes the list"
            );
            reached_bottom = true;
            break;
        }
    }
    assert!(reached_bottom, "scrolled to the end of the history");
    let made = app.js("return window.__formattersMade", vec![]).await;
    assert!(
        made.as_u64().is_some_and(|n| n <= 3),
        "scrolling {VIDEOS} cards made {made} new Intl formatters"
    );
    assert!(
        most_cards < VIDEOS / 4,
        "a screenful of cards at a time, not all {VIDEOS}: {most_cards}"
    );
    app.screenshot("long-history-bottom").await;
    // Stills are kept in the library beside their videos, as JPEGs.
    let stills = env.library_files("jpg");
    assert!(!stills.is_empty());
    for still in &stills {
        let bytes = std::fs::read(still).unwrap();
        assert!(
            bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            "{still:?} is a JPEG"
        );
        assert!(bytes.len() < 100_000, "{still:?}: {} bytes", bytes.len());
    }
    // Searching finds a video far down the list at once.
    scroll_and_count(&app, -1).await;
    app.type_into("history-search", "number 287").await;
    wait_until(
        "the search to narrow the list",
        Duration::from_secs(10),
        || async { app.history().await.len() == 1 },
    )
    .await;
    app.quit().await;
}
