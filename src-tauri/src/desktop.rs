//! What the app does with the desktop around its window: a notification when a
//! video is ready and nobody is looking, and no job lost when the window closes.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tauri::{AppHandle, Manager, Window, WindowEvent};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
use tauri_plugin_notification::NotificationExt;

use crate::i18n;
use crate::jobs::StudioEvent;
use crate::library::RecordStatus;
use crate::studio::Studio;

/// Shows a desktop notification when a video becomes ready while the window is
/// not focused. Where notifications are not permitted, nothing is shown.
pub fn notify_when_ready(app: &AppHandle, studio: &Studio) {
    let app = app.clone();
    let told: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    studio.observe_jobs(Arc::new(move |event| {
        if let StudioEvent::Job { job } = event {
            let ready = job.record.status == RecordStatus::Ready;
            if ready && crate::locks::lock(&told).insert(job.record.id.clone()) {
                let focused = app
                    .get_webview_window("main")
                    .and_then(|w| w.is_focused().ok())
                    .unwrap_or(false);
                if !focused {
                    let first_line: String = job
                        .record
                        .request
                        .prompt
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .chars()
                        .take(80)
                        .collect();
                    let Some(studio) = app.try_state::<Studio>() else {
                        return true;
                    };
                    let _ = app
                        .notification()
                        .builder()
                        .title(i18n::tr(studio.language(), "notify.ready.title", &[]))
                        .body(first_line)
                        .show();
                }
            }
        }
        true
    }));
}

/// Set in a copy that started itself again, so it never does so twice.
const STARTED_AGAIN: &str = "KLING_STUDIO_STARTED_AGAIN";

/// A copy started right after another one crashed (or was killed) can find the
/// dead copy still named on D-Bus for a moment: the single-instance hand-over
/// then fails ("recipient disconnected") and the plugin refuses to start. Once
/// the bus has noticed, a fresh start works, so this copy starts itself again in
/// place (same process, same arguments); the library lock still guards the jobs.
pub fn start_again_or_fail(error: tauri::Error) -> ! {
    #[cfg(unix)]
    if matches!(&error, tauri::Error::PluginInitialization(plugin, _) if plugin == "single-instance")
        && std::env::var_os(STARTED_AGAIN).is_none()
    {
        use std::os::unix::process::CommandExt;
        eprintln!("Kling Studio: {error}; starting again");
        std::thread::sleep(std::time::Duration::from_millis(500));
        if let Ok(exe) = std::env::current_exe() {
            let failed = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env(STARTED_AGAIN, "1")
                .exec();
            eprintln!("Kling Studio could not start again: {failed}");
        }
    }
    panic!("Kling Studio could not start its window: {error}");
}

/// A second launch of the app: the window that is already open comes forward.
pub fn bring_forward(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Another copy holds the library (the single-instance hand-over did not work):
/// this copy drives nothing, says so in plain words, and ends.
pub fn say_already_open_and_exit(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.hide();
    }
    let handle = app.clone();
    // The other copy owns the settings: the system's language is the best guess.
    let lang = i18n::pick(None, i18n::system_locale().as_deref());
    app.dialog()
        .message(i18n::tr(lang, "already_open.message", &[]))
        .title(i18n::tr(lang, "already_open.title", &[]))
        .kind(MessageDialogKind::Info)
        .show(move |_| handle.exit(0));
}

/// The window's side of quitting, as app state (managed by Tauri).
#[derive(Default)]
pub struct Quitting {
    /// The creator chose to quit although videos are being made (they resume at
    /// the next start): the window closes without asking again.
    confirmed: AtomicBool,
}

impl Quitting {
    pub fn confirm(&self) {
        self.confirmed.store(true, Ordering::SeqCst);
    }
}

/// Closing the window while jobs run asks first (in the page); with no page to
/// ask, or once the creator chose to quit, it closes: nothing is lost either way,
/// unfinished jobs resume at the next start.
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        if window
            .try_state::<Quitting>()
            .is_some_and(|q| q.confirmed.load(Ordering::SeqCst))
        {
            return;
        }
        // No studio: this copy found another one open and is on its way out.
        let Some(studio) = window.try_state::<Studio>() else {
            return;
        };
        let active_jobs = studio.active_jobs();
        let voices_being_made = studio.voices_being_made();
        if active_jobs + voices_being_made > 0
            && studio.publish(&StudioEvent::CloseRequested {
                active_jobs,
                voices_being_made,
            }) > 0
        {
            api.prevent_close();
        }
    }
}

/// With `BENCH_REPORT_READY` set, the first answered command prints one marker
/// line: the start-up benchmark's "form interactive" (the tauri-hello reference
/// app prints the same marker the same way).
pub fn report_first_command() {
    static ANSWERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    report_once(&ANSWERED, "first-command-answered");
}

/// With `BENCH_REPORT_READY` set, the first library handed to the page prints a
/// marker: the scale benchmark's "history shown" (the page draws its first cards
/// from that answer, in the same task).
pub fn report_library_delivered() {
    static DELIVERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    report_once(&DELIVERED, "library-delivered");
}

fn report_once(flag: &std::sync::atomic::AtomicBool, marker: &str) {
    if !flag.swap(true, Ordering::SeqCst) && std::env::var_os("BENCH_REPORT_READY").is_some() {
        use std::io::Write;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{marker}");
        let _ = out.flush();
    }
}
