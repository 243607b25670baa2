//! Scale: a library of 0, 100 and 1,000 finished videos (real small MP4s,
//! hard-linked), prepared on disk before launch. For each: start-up to the library
//! handed to the page (median of 5, no WebDriver), and in the real window the PSS
//! of the process tree idle, then after scrolling the whole history top to bottom.
//! Each figure is compared with the empty library's in the same run: how a figure
//! grows with the library matters as much as the figure.

use std::time::Duration;

use serde_json::Value;

use crate::fixtures::{self, Home};
use crate::process::{launch_until, tree_pss_mib};
use crate::{median, ms, Row};

const SIZES: [usize; 3] = [0, 100, 1000];
const STARTS: usize = 5;
/// WebKit finishes its work a moment after the page settles.
const SETTLE: Duration = Duration::from_secs(3);

fn startup_ms() -> Vec<f64> {
    let app = fixtures::app();
    let homes: Vec<Home> = SIZES
        .iter()
        .map(|&n| {
            let home = Home::new();
            let still = fixtures::small_still();
            fixtures::add_ready_videos(home.path(), n, &fixtures::small_video(), Some(&still));
            home
        })
        .collect();
    // A warm-up each: WebKit's caches, and the first stills, as after a first use.
    for home in &homes {
        let running = launch_until(&app, home, "library-delivered");
        std::thread::sleep(Duration::from_secs(5));
        drop(running);
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); SIZES.len()];
    for _ in 0..STARTS {
        for (i, home) in homes.iter().enumerate() {
            times[i].push(ms(launch_until(&app, home, "library-delivered").ready_after));
        }
    }
    times.into_iter().map(median).collect()
}

/// Scrolls the history's pane one screen; answers whether it reached the bottom.
async fn scroll_a_screen(app: &e2e::App) -> bool {
    let value: Value = app
        .client
        .execute_async(
            "const done = arguments[0]; const s = document.querySelector('.stage'); \
             s.scrollTop += s.clientHeight; \
             requestAnimationFrame(() => requestAnimationFrame(() => \
               done(s.scrollTop + s.clientHeight >= s.scrollHeight - 2)));",
            vec![],
        )
        .await
        .expect("the page scrolls");
    value.as_bool() == Some(true)
}

/// PSS idle and after scrolling through the whole history, for `count` videos,
/// with their stills made already (`stills`) or still to be made.
async fn window_pss(count: usize, stills: bool) -> (f64, f64) {
    let env = e2e::Env::start(&format!("bench-scale-{count}")).await;
    let still = stills.then(fixtures::small_still);
    fixtures::add_ready_videos(
        env.home.path(),
        count,
        &fixtures::small_video(),
        still.as_deref(),
    );
    let app = env.launch().await;
    let pid = env.app_pids()[0];
    e2e::wait_until(
        "the stills of the cards in view",
        Duration::from_secs(60),
        || async {
            let state = app
                .js(
                    "const cards = document.querySelectorAll(\"[data-testid='history-item']\").length; \
                     const stills = document.querySelectorAll(\".h-poster[data-still='drawn']\").length; \
                     return cards === 0 || stills >= Math.min(cards, 6);",
                    vec![],
                )
                .await;
            state.as_bool() == Some(true)
        },
    )
    .await;
    tokio::time::sleep(SETTLE).await;
    let idle = tree_pss_mib(pid);
    let mut steps = 0;
    while !scroll_a_screen(&app).await {
        steps += 1;
        assert!(steps < 10_000, "the history never ended");
    }
    tokio::time::sleep(SETTLE).await;
    let scrolled = tree_pss_mib(pid);
    app.quit().await;
    (idle, scrolled)
}

fn names(count: usize) -> (&'static str, &'static str, &'static str) {
    if count == 100 {
        (
            "Start-up to the history, 100 videos (median of 5)",
            "Memory idle, 100 videos (PSS, process tree)",
            "Memory after scrolling all 100 videos",
        )
    } else {
        (
            "Start-up to the history, 1,000 videos (median of 5)",
            "Memory idle, 1,000 videos (PSS, process tree)",
            "Memory after scrolling all 1,000 videos",
        )
    }
}

pub async fn scale() -> Vec<Row> {
    std::env::set_var("KLING_STUDIO_BINARY", fixtures::app());
    e2e::keychain_store(e2e::KEY);
    let starts = startup_ms();
    let mut pss = Vec::new();
    for &count in &SIZES {
        pss.push(window_pss(count, true).await);
    }
    // The one session that makes the stills of a library from before stills.
    let first_time = window_pss(1000, false).await;
    let (start_empty, idle_empty) = (starts[0], pss[0].0);
    let mut rows = Vec::new();
    for (i, &count) in SIZES.iter().enumerate().skip(1) {
        let budgeted = count == 1000;
        let (start_name, idle_name, scrolled_name) = names(count);
        rows.push(Row {
            name: start_name,
            figure: starts[i],
            reference: start_empty,
            unit: "ms",
            reference_name: "empty library",
            budget: if budgeted {
                "≤ 1.2× empty".into()
            } else {
                "(for the trend)".into()
            },
            within: !budgeted || starts[i] <= 1.2 * start_empty,
        });
        rows.push(Row {
            name: idle_name,
            figure: pss[i].0,
            reference: idle_empty,
            unit: "MiB",
            reference_name: "empty library idle",
            budget: "(for the trend)".into(),
            within: true,
        });
        rows.push(Row {
            name: scrolled_name,
            figure: pss[i].1,
            reference: idle_empty,
            unit: "MiB",
            reference_name: "empty library idle",
            budget: if budgeted {
                "≤ 1.25× empty idle".into()
            } else {
                "(for the trend)".into()
            },
            within: !budgeted || pss[i].1 <= 1.25 * idle_empty,
        });
    }
    rows.push(Row {
        name: "Memory after scrolling 1,000 videos whose stills are still to be made",
        figure: first_time.1,
        reference: idle_empty,
        unit: "MiB",
        reference_name: "empty library idle",
        budget: "(once per library: for the trend)".into(),
        within: true,
    });
    rows.insert(
        0,
        Row {
            name: "Start-up to the history, empty library (median of 5)",
            figure: start_empty,
            reference: start_empty,
            unit: "ms",
            reference_name: "itself",
            budget: "(the reference)".into(),
            within: true,
        },
    );
    rows.insert(
        1,
        Row {
            name: "Memory idle, empty library (PSS, process tree, WebDriver)",
            figure: idle_empty,
            reference: idle_empty,
            unit: "MiB",
            reference_name: "itself",
            budget: "(the reference)".into(),
            within: true,
        },
    );
    rows
}
