//! Money you can see, in the real window: the estimate beside Generate follows the
//! length and the sound; a monthly limit asks first and "Cancel" sends nothing;
//! two takes are two videos, two POSTs, two cards, compared side by side and
//! playing together; one is kept; "Another take" adds a third to the set; a bill
//! unlike its estimate says so.

use std::time::Duration;

use e2e::*;

const JOB_LIMIT: Duration = Duration::from_secs(90);

async fn price_line(app: &App) -> String {
    app.text("price").await
}

/// Waits until the price line shows `needle` (it follows the form a moment later).
async fn price_shows(app: &App, needle: &str) {
    wait_until(
        &format!("the price to show {needle}"),
        Duration::from_secs(10),
        || async { price_line(app).await.contains(needle) },
    )
    .await;
}

#[tokio::test]
async fn the_estimate_follows_length_and_sound_and_a_limit_asks_before_spending() {
    keychain_store(KEY);
    let env = Env::start("money").await;
    let app = env.launch().await;
    app.type_into("prompt", "A lighthouse at dusk, waves below")
        .await;

    // 5 s with sound, from the dated price table.
    price_shows(&app, "$1.68").await;
    assert!(
        price_line(&app).await.contains("estimate"),
        "{}",
        price_line(&app).await
    );
    app.select("duration", "10").await;
    price_shows(&app, "$3.36").await;
    app.click("generate-audio").await; // sound off
    price_shows(&app, "$2.24").await;
    app.screenshot("money-01-estimate").await;

    // A $2 monthly limit: this $2.24 video asks first.
    app.click("open-settings").await;
    app.wait_visible("monthly-limit").await;
    // "Videos made at once" offers Rust's choices (1 to its limit) and shows its value.
    assert_eq!(
        app.js(
            "const s = document.querySelector(\"[data-testid='max-running-jobs']\"); \
             return [...s.options].map(o => o.value).join() + ' ' + s.value",
            vec![],
        )
        .await,
        "1,2,3,4,5 2"
    );
    app.type_into("monthly-limit", "2").await;
    app.click("monthly-limit-save").await;
    wait_until("the limit saved", Duration::from_secs(5), || async {
        app.js(
            "return document.getElementById('monthly-limit-status').textContent",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .contains("$2.00")
    })
    .await;
    app.screenshot("money-settings-spending").await;
    app.js("document.getElementById('settings-dialog').close()", vec![])
        .await;

    app.click("generate").await;
    app.wait_visible("money-dialog").await;
    let question = app.text("money-dialog").await;
    assert!(
        question.contains("$2.24") && question.contains("$2.00"),
        "names both amounts: {question}"
    );
    app.screenshot("money-02-limit-question").await;
    app.click("money-cancel").await;
    wait_until("the question to close", Duration::from_secs(5), || async {
        !app.visible("money-dialog").await
    })
    .await;
    assert_eq!(env.posts(), 0, "Cancel sends nothing");
    assert!(app.history().await.is_empty(), "nothing recorded");
    app.quit().await;
}

#[tokio::test]
async fn takes_are_sent_once_each_compared_side_by_side_kept_and_grown() {
    keychain_store(KEY);
    let env = Env::start("takes").await;
    let app = env.launch().await;
    app.type_into("prompt", "A paper boat on a puddle").await;
    app.select("takes", "2").await;
    wait_until(
        "the button to say two videos",
        Duration::from_secs(5),
        || async { app.text("generate").await.contains("2 videos") },
    )
    .await;
    price_shows(&app, "2 videos").await;

    app.click("generate").await;
    app.wait_visible("money-dialog").await;
    let question = app.text("money-dialog").await;
    assert!(
        question.contains("2 videos") && question.contains("$3.36"),
        "{question}"
    );
    app.click("money-confirm").await;

    app.wait_for("two videos ready", JOB_LIMIT, || async {
        app.history().await == ["ready", "ready"]
    })
    .await;
    assert_eq!(env.posts(), 2, "one POST per take, each once");
    let facts = app.card_facts().await.join(" | ");
    assert!(
        facts.contains("Take 1 of 2") && facts.contains("Take 2 of 2"),
        "{facts}"
    );
    assert!(
        facts.contains("$3.00"),
        "the cost Segmind reported: {facts}"
    );
    app.screenshot("money-03-two-takes").await;

    // The fake bills $3.00 against the $1.68 estimated: the result says so.
    app.wait_text(
        "job-extra",
        "billed more than the $1.68",
        Duration::from_secs(10),
    )
    .await;

    // Side by side, both playing from one button.
    app.wait_text("compare-takes", "2 takes", Duration::from_secs(10))
        .await;
    app.click("compare-takes").await;
    app.wait_visible("takes-dialog").await;
    let videos = "[...document.querySelectorAll(\"[data-testid='take-video']\")]";
    wait_until("both takes to load", Duration::from_secs(20), || async {
        app.js(
            &format!(
                "const v = {videos}; return v.length === 2 && v.every(x => x.readyState >= 2)"
            ),
            vec![],
        )
        .await
            == true
    })
    .await;
    app.click("takes-play").await;
    wait_until("both takes to play", Duration::from_secs(10), || async {
        app.js(
            &format!("return {videos}.every(x => x.currentTime > 0.3 && (!x.paused || x.ended))"),
            vec![],
        )
        .await
            == true
    })
    .await;
    let heard = app
        .js(&format!("return {videos}.map(x => x.muted)"), vec![])
        .await;
    assert_eq!(heard, serde_json::json!([false, true]), "one take is heard");
    app.screenshot("money-04-takes-side-by-side").await;

    // Keep the second: the tile and the card say so.
    app.js(
        "document.querySelectorAll(\"[data-testid='take-keep']\")[1].click()",
        vec![],
    )
    .await;
    wait_until("take 2 to be kept", Duration::from_secs(10), || async {
        app.js(
            "return [...document.querySelectorAll(\"[data-testid='take-tile']\")].map(t => t.dataset.kept).join()",
            vec![],
        )
        .await
            == "false,true"
    })
    .await;
    app.click("takes-close").await;
    wait_until("the takes to close", Duration::from_secs(5), || async {
        !app.visible("takes-dialog").await
    })
    .await;
    let facts = app.card_facts().await.join(" | ");
    assert!(facts.contains("Take 2 of 2, kept"), "{facts}");

    // Another take of the video on the stage: its price on the button, one POST.
    app.wait_text("another-take", "$1.68", Duration::from_secs(10))
        .await;
    app.click("another-take").await;
    app.wait_for("the third take ready", JOB_LIMIT, || async {
        app.history().await == ["ready", "ready", "ready"]
    })
    .await;
    assert_eq!(env.posts(), 3, "one more POST, once");
    app.wait_text("compare-takes", "3 takes", Duration::from_secs(10))
        .await;
    let takes: Vec<String> = app
        .card_facts()
        .await
        .iter()
        .map(|f| f.split(" · ").next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        takes,
        ["Take 1 of 3", "Take 2 of 3, kept", "Take 3 of 3"],
        "the set stays together, in take order"
    );
    app.quit().await;
}
