//! The app's download path against curl, on the same loopback server and disk,
//! with the same durability: the app fsyncs a finished video, so curl's file is
//! synced too before its clock stops.

use std::process::Command;
use std::time::Instant;

use kling_studio::client::{parse_base_url, ClientConfig, FileFetcher};

use crate::fixtures;
use crate::{median, Row};

const RUNS: usize = 5;

/// A line of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Runs in a child process: downloads `url` to `target` with the app's client and
/// prints bytes, seconds and the growth of peak memory while doing it.
pub fn child(url: &str, target: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        // The fetcher a job downloads with: no key, wherever the file is.
        let config = ClientConfig::new(parse_base_url("http://127.0.0.2:9").unwrap());
        let files = FileFetcher::new(&config).unwrap();
        let before = status_kib("VmHWM:");
        let started = Instant::now();
        let bytes = files
            .download(url, std::path::Path::new(target), &mut |_, _| {})
            .await
            .expect("download");
        let secs = started.elapsed().as_secs_f64();
        let growth = status_kib("VmHWM:").saturating_sub(before);
        println!("{bytes} {secs} {growth}");
    });
}

/// Writes back every dirty page first, so that no run pays for the last one's
/// data reaching the disk (a 1 GiB run leaves 1 GiB of it behind).
fn settle_disk() {
    let synced = Command::new("sync").status().expect("sync runs");
    assert!(synced.success());
}

pub async fn download() -> Vec<Row> {
    let file = fixtures::gigabyte_file();
    let addr = fixtures::serve(file.parent().unwrap().to_path_buf());
    let url = format!(
        "http://{addr}/{}",
        file.file_name().unwrap().to_str().unwrap()
    );
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("download.bin");
    let me = std::env::current_exe().unwrap();
    let (mut ours, mut curl, mut growth) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let _ = std::fs::remove_file(&target);
        settle_disk();
        let output = Command::new(&me)
            .args(["download-child", &url, target.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        let fields: Vec<f64> = text
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();
        assert_eq!(fields[0] as u64, 1 << 30);
        ours.push(fields[0] / fields[1] / (1024.0 * 1024.0));
        growth.push(fields[2] / 1024.0);

        let _ = std::fs::remove_file(&target);
        settle_disk();
        let started = Instant::now();
        let status = Command::new("curl")
            .args(["-s", "-o"])
            .arg(&target)
            .arg(&url)
            .status()
            .expect("curl runs");
        assert!(status.success());
        // The app makes a finished video durable (fsync) before it calls it done;
        // the reference does the same, or it would be measuring a weaker promise.
        let synced = Command::new("sync")
            .arg(&target)
            .status()
            .expect("sync runs");
        assert!(synced.success());
        curl.push((1u64 << 30) as f64 / started.elapsed().as_secs_f64() / (1024.0 * 1024.0));
    }
    let (ours, curl, growth) = (
        median(ours),
        median(curl),
        growth.into_iter().fold(0.0, f64::max),
    );
    vec![
        Row {
            name: "Download 1 GiB over loopback (median of 5)",
            figure: ours,
            reference: curl,
            unit: "MiB/s",
            reference_name: "curl -o, then sync",
            budget: "≥ 0.9× curl".into(),
            within: ours >= 0.9 * curl,
        },
        Row {
            name: "Peak memory growth during that download",
            figure: growth,
            reference: 32.0,
            unit: "MiB",
            reference_name: "budget",
            budget: "≤ 32 MiB".into(),
            within: growth <= 32.0,
        },
    ]
}
