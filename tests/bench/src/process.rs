//! Start-up time and memory: the app run as a user runs it (no WebDriver), against
//! the minimal Tauri app, alternating runs so that both see the same machine.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::fixtures::{self, Home};
use crate::{median, ms, Row};

const RUNS: usize = 10;

/// A running app, killed (by its own PID) when dropped.
pub struct Running {
    child: Child,
    started: Instant,
    lines: mpsc::Receiver<(String, Instant)>,
    pub ready_after: Duration,
}

impl Running {
    /// Waits for a later marker line; the time from launch to it.
    pub fn then(&self, marker: &str) -> Duration {
        wait_for(&self.lines, marker) - self.started
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(lines: &mpsc::Receiver<(String, Instant)>, marker: &str) -> Instant {
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok((line, at)) if line == marker => return at,
            Ok(_) => {}
            Err(_) => panic!("the app never printed {marker}"),
        }
    }
}

/// Starts `binary` and waits for its "first command answered" marker.
fn launch(binary: &Path, home: &Home) -> Running {
    launch_until(binary, home, "first-command-answered")
}

/// Starts `binary` and waits for the line `marker` on its output.
pub fn launch_until(binary: &Path, home: &Home, marker: &'static str) -> Running {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .envs(home.envs())
        .env("BENCH_REPORT_READY", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send((line.trim().to_string(), Instant::now()));
        }
    });
    let ready = wait_for(&lines, marker);
    Running {
        child,
        started,
        lines,
        ready_after: ready - started,
    }
}

pub fn startup() -> Vec<Row> {
    let (app, hello) = (fixtures::app(), fixtures::hello());
    e2e::keychain_store(e2e::KEY); // the form, not the key setup, is what starts
    let (app_home, hello_home) = (Home::new(), Home::new());
    // One warm-up each: the first run also builds WebKit's caches in the HOME.
    drop(launch(&app, &app_home));
    drop(launch(&hello, &hello_home));
    let (mut ours, mut shown, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let running = launch(&app, &app_home);
        ours.push(ms(running.ready_after));
        shown.push(ms(running.then("page-shown")));
        drop(running);
        floor.push(ms(launch(&hello, &hello_home).ready_after));
    }
    let (figure, shown, reference) = (median(ours), median(shown), median(floor));
    vec![
        Row {
            name: "Start-up to first command (median of 10)",
            figure,
            reference,
            unit: "ms",
            reference_name: "tauri-hello",
            budget: "≤ 1.25× the floor".into(),
            within: figure <= 1.25 * reference,
        },
        // The hello app's page is shown when it asks; ours has its words, form
        // rules, settings and key status to take in and its form to draw first.
        Row {
            name: "Start-up to the page drawn and answering clicks (median of 10)",
            figure: shown,
            reference,
            unit: "ms",
            reference_name: "tauri-hello's first command",
            budget: "(no budget; for the trend)".into(),
            within: true,
        },
    ]
}

/// Proportional set size of a process and everything below it, in MiB: shared
/// libraries are split between their users, not counted twice.
pub fn tree_pss_mib(pid: u32) -> f64 {
    let mut pids = vec![pid];
    pids.extend(e2e::descendants(pid));
    let kib: u64 = pids
        .iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
        .filter_map(|text| {
            text.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .sum();
    kib as f64 / 1024.0
}

/// Memory once the app is up and has settled (WebKit finishes its start-up work
/// a moment after the first command).
fn settled_pss(binary: &Path, home: &Home) -> f64 {
    let running = launch(binary, home);
    std::thread::sleep(Duration::from_secs(3));
    tree_pss_mib(running.child.id())
}

pub fn footprint() -> Vec<Row> {
    let (app, hello) = (fixtures::app(), fixtures::hello());
    let deb =
        |prefix| std::fs::metadata(fixtures::deb(prefix)).unwrap().len() as f64 / (1024.0 * 1024.0);
    let (app_deb, hello_deb) = (deb("Kling Studio"), deb("Tauri Hello"));

    e2e::keychain_store(e2e::KEY);
    let (idle_home, hello_home, video_home) = (Home::new(), Home::new(), Home::new());
    fixtures::add_ready_video(
        video_home.path(),
        "7f3c2a10-0000-4000-8000-00000000b001",
        &fixtures::small_video(),
    );
    let (mut idle, mut with_video, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        idle.push(settled_pss(&app, &idle_home));
        with_video.push(settled_pss(&app, &video_home));
        floor.push(settled_pss(&hello, &hello_home));
    }
    let (idle, with_video, floor) = (median(idle), median(with_video), median(floor));
    vec![
        Row {
            name: ".deb size",
            figure: app_deb,
            reference: hello_deb,
            unit: "MiB",
            reference_name: "tauri-hello .deb",
            budget: "≤ 10 MiB".into(),
            within: app_deb <= 10.0,
        },
        Row {
            name: "Memory, idle with the form (PSS, process tree)",
            figure: idle,
            reference: floor,
            unit: "MiB",
            reference_name: "tauri-hello idle",
            budget: "≤ 1.2× the minimal app".into(),
            within: idle <= 1.2 * floor,
        },
        Row {
            name: "Memory, a finished video in the library",
            figure: with_video,
            reference: floor,
            unit: "MiB",
            reference_name: "tauri-hello idle",
            budget: "(no budget; for reference)".into(),
            within: true,
        },
    ]
}
