//! Minimal Tauri 2 app: a page that calls one command as soon as it loads.
//! With `BENCH_REPORT_READY` set, the first call prints a marker line, the same
//! probe Kling Studio has, so both start-ups are measured the same way.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static ANSWERED: AtomicBool = AtomicBool::new(false);

#[tauri::command]
fn ping() -> &'static str {
    if !ANSWERED.swap(true, Ordering::SeqCst) && std::env::var_os("BENCH_REPORT_READY").is_some() {
        let mut out = std::io::stdout();
        let _ = writeln!(out, "first-command-answered");
        let _ = out.flush();
    }
    "pong"
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ping])
        .run(tauri::generate_context!())
        .expect("the hello app runs");
}
