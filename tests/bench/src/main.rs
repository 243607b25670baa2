//! `make bench`: Kling Studio against its references, measured in the same run on
//! the same machine, as a table of figure, reference, ratio and budget.
//!
//! 1. Start-up: process start → first command answered, median of 10 (vs tauri-hello).
//! 2. Footprint: .deb size; PSS of the whole process tree, idle with the form shown
//!    and with a finished video in the library (vs tauri-hello idle).
//! 3. Download: 1 GiB from a loopback server through the app's download code (vs curl),
//!    and the peak RSS growth while doing it.
//! 4. Preview: a 200 MB video in the library → `<video>` readyState >= 2, median of 5
//!    (vs the same for a 50 KB clip: independent of size).
//! 5. Responsiveness: a command's round trip from the webview while a 4 GiB download
//!    runs in the app, p99 of 200 (vs the same with no download).
//! 6. Scale: 0, 100 and 1,000 finished videos in the library: start-up to the
//!    history, memory idle and after scrolling the whole history (vs the empty library).
//!
//! Needs: release builds (`make bundle` and tauri-hello), Xvfb and a test D-Bus with a
//! Secret Service (`make bench` runs it inside `with-test-session.sh` and `xvfb-run`).

mod download;
mod fixtures;
mod process;
mod scale;
mod window;

use std::time::Duration;

/// One line of the table.
pub struct Row {
    pub name: &'static str,
    pub figure: f64,
    pub reference: f64,
    pub unit: &'static str,
    pub reference_name: &'static str,
    /// The budget, as text, and whether the figure keeps it.
    pub budget: String,
    pub within: bool,
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

pub fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_table(rows: &[Row]) {
    println!();
    println!("| benchmark | Kling Studio | reference | ratio | budget | |");
    println!("|---|---|---|---|---|---|");
    for row in rows {
        let ratio = if row.reference > 0.0 {
            row.figure / row.reference
        } else {
            f64::NAN
        };
        println!(
            "| {} | {:.1} {} | {:.1} {} ({}) | {:.2}× | {} | {} |",
            row.name,
            row.figure,
            row.unit,
            row.reference,
            row.unit,
            row.reference_name,
            ratio,
            row.budget,
            if row.within { "ok" } else { "MISSED" }
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("download-child") {
        // The app's download code alone in a process, so its memory is its own.
        download::child(&args[1], &args[2]);
        return;
    }
    if args.first().map(String::as_str) == Some("serve") {
        // The benchmarks' loopback file server on its own, to profile against by hand.
        println!(
            "http://{}/",
            fixtures::serve(std::path::PathBuf::from(&args[1]))
        );
        loop {
            std::thread::park();
        }
    }
    // Every app measured here (the reference too) paints as Kling Studio would on
    // this machine (on the CPU when it has no GPU; see webview_painting.rs): the figures
    // compare the apps, not two ways of painting.
    kling_studio::webview_painting::choose_for_this_machine();
    let which = args.first().map(String::as_str).unwrap_or("all");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut rows = Vec::new();
    if matches!(which, "all" | "startup") {
        rows.extend(process::startup());
    }
    if matches!(which, "all" | "footprint") {
        rows.extend(process::footprint());
    }
    if matches!(which, "all" | "download") {
        rows.extend(runtime.block_on(download::download()));
    }
    if matches!(which, "all" | "window") {
        rows.extend(runtime.block_on(window::preview_and_responsiveness()));
    }
    if matches!(which, "all" | "scale") {
        rows.extend(runtime.block_on(scale::scale()));
    }
    print_table(&rows);
    let missed = rows.iter().filter(|r| !r.within).count();
    println!(
        "\n{} benchmarks, {} within budget, {} missed",
        rows.len(),
        rows.len() - missed,
        missed
    );
}
