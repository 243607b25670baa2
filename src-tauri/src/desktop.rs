//! What the app does with the desktop around its window: a notification when a
//! video is ready and nobody is looking, and no job lost when the window closes.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tauri::{AppHandle, Manager, Window, WindowEvent};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
use tauri_plugin_notification::NotificationExt;

use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::i18n;
use crate::jobs::library::RecordStatus;
use crate::jobs::StudioEvent;
use crate::studio::Studio;

/// Shows a desktop notification when a video becomes ready while the window is
/// not focused. Where notifications are not permitted, nothing is shown.
pub fn notify_when_ready(app: &AppHandle, studio: &Studio) {
    let app = app.clone();
    let told: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    studio.observe_jobs(Arc::new(move |event| {
        if let StudioEvent::Job { job } = event {
            let ready = job.record.status == RecordStatus::Ready;
            if ready && crate::mutex::lock(&told).insert(job.record.id.clone()) {
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
/// Linux only: the plugin hands over through D-Bus there, and through a named
/// mutex (Windows) or a socket (macOS), which a dead process cannot hold, elsewhere.
pub fn start_again_or_fail(error: tauri::Error) -> ! {
    #[cfg(target_os = "linux")]
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
        if held_for_the_question(window.app_handle()) {
            api.prevent_close();
        }
    }
}

/// The app menu's Quit (⌘Q on macOS, Ctrl+Q elsewhere): the same question as
/// closing the window, in the window, brought forward so the question is seen.
pub fn quit_asking_first(app: &AppHandle) {
    if held_for_the_question(app) {
        bring_forward(app);
    } else {
        app.exit(0);
    }
}

/// Whether leaving now waits for the creator's answer: videos or voices are being
/// sent or made, the creator has not chosen to quit yet, and a page is there to
/// ask (the question is then put to it). The one rule for every way out.
fn held_for_the_question(app: &AppHandle) -> bool {
    if app
        .try_state::<Quitting>()
        .is_some_and(|q| q.confirmed.load(Ordering::SeqCst))
    {
        return false;
    }
    // No studio: this copy found another one open and is on its way out.
    let Some(studio) = app.try_state::<Studio>() else {
        return false;
    };
    let active_jobs = studio.active_jobs();
    let voices_being_made = studio.voices_being_made();
    active_jobs + voices_being_made > 0
        && studio.publish(&StudioEvent::CloseRequested {
            active_jobs,
            voices_being_made,
        }) > 0
}

/// macOS: Quit from the Dock, logging out and shutting down ask too. AppKit asks
/// the app delegate's `applicationShouldTerminate:` before it ends an app; tao 0.37's
/// delegate (`TaoAppDelegateParent`) has no such method, so AppKit ends the app at
/// once (tauri issue #9198; tao PR #1003 adds it, unmerged). The app adds the
/// method to that class: it answers "cancel" (`NSTerminateCancel`) while the
/// question is being put to the page, "now" (`NSTerminateNow`) otherwise; a logout
/// then waits for the creator's answer, as it does for a document with unsaved
/// changes. Checked against objc2 0.6.5's runtime API; the macOS half of the CI
/// workflow builds it.
#[cfg(target_os = "macos")]
#[allow(unsafe_code)] // the Objective-C runtime has no safe way to add a method
pub mod macos_terminate {
    use std::sync::OnceLock;

    use objc2::runtime::{AnyClass, AnyObject, Imp, Sel};
    use objc2::{class, ffi, msg_send, sel};
    use tauri::AppHandle;

    static APP: OnceLock<AppHandle> = OnceLock::new();
    /// `NSApplicationTerminateReply`.
    const TERMINATE_CANCEL: usize = 0;
    const TERMINATE_NOW: usize = 1;

    extern "C-unwind" fn should_terminate(
        _this: &AnyObject,
        _cmd: Sel,
        _sender: *mut AnyObject,
    ) -> usize {
        match APP.get() {
            Some(app) if super::held_for_the_question(app) => {
                super::bring_forward(app);
                TERMINATE_CANCEL
            }
            _ => TERMINATE_NOW,
        }
    }

    /// Call once, on the main thread, after the event loop made its delegate.
    pub fn ask_first(app: &AppHandle) {
        let _ = APP.set(app.clone());
        let Some(class) = AnyClass::get(c"TaoAppDelegateParent") else {
            log::warn!("no tao app delegate: Dock quit cannot ask");
            return;
        };
        let method =
            should_terminate as extern "C-unwind" fn(&AnyObject, Sel, *mut AnyObject) -> usize;
        // SAFETY: `method` has the selector's C signature, "Q@:@" (an NSUInteger
        // from self, _cmd and the sender); the class is a registered class.
        let added = unsafe {
            let imp = std::mem::transmute::<_, Imp>(method);
            ffi::class_addMethod(
                class as *const AnyClass as *mut AnyClass,
                sel!(applicationShouldTerminate:),
                imp,
                c"Q@:@".as_ptr(),
            )
        };
        if !added.as_bool() {
            log::warn!("tao's delegate already answers applicationShouldTerminate:");
            return;
        }
        // AppKit may note what its delegate answers when the delegate is set: set
        // the same delegate again so the new method is seen.
        // SAFETY: plain messages to the shared application, on the main thread.
        unsafe {
            let ns_app: *mut AnyObject = msg_send![class!(NSApplication), sharedApplication];
            if !ns_app.is_null() {
                let delegate: *mut AnyObject = msg_send![ns_app, delegate];
                let _: () = msg_send![ns_app, setDelegate: delegate];
            }
        }
    }
}

/// How long a quit waits for videos and voices being sent to hear back from Segmind.
pub const QUIT_SETTLE: std::time::Duration = std::time::Duration::from_secs(15);

/// The app's last moment, whatever ended it. Windows ends the app at session end
/// without a question (tao runs `WM_ENDSESSION` straight to the exit; tao issue
/// #1115), as does macOS where `macos_terminate` could not be put in place (a
/// Linux logout's SIGTERM ends the process without even this event: the records
/// already written are what the next start reads). No question can be asked
/// there, so a paid call on its way first gets the same seconds to hear back
/// from Segmind that "Quit" in the question gives it: a video cut off mid-POST
/// would come back unknown, maybe billed, without its id.
///
/// On macOS, clicking the Dock icon of the running app (or opening it again from
/// Finder, which LaunchServices turns into the same "reopen" rather than a second
/// copy) brings the window back, minimised by "Keep making them" or not.
pub fn on_run_event(app: &AppHandle, event: tauri::RunEvent) {
    match event {
        tauri::RunEvent::Exit => {
            let confirmed = app
                .try_state::<Quitting>()
                .is_some_and(|q| q.confirmed.load(Ordering::SeqCst));
            if let (false, Some(studio)) = (confirmed, app.try_state::<Studio>()) {
                let unsettled = tauri::async_runtime::block_on(studio.settle_sends(QUIT_SETTLE));
                log::info!("the app ends; left unanswered or unsaved: {unsettled}");
            }
        }
        #[cfg(target_os = "macos")]
        tauri::RunEvent::Reopen { .. } => bring_forward(app),
        _ => {}
    }
}

/// The folder the app writes its logs to, opened in the system's file manager.
pub fn open_logs_folder(app: &AppHandle) -> AppResult<()> {
    let dir = logs_dir(app)?;
    std::fs::create_dir_all(&dir).map_err(|e| AppError::io(Reason::OpenFolder, &e))?;
    tauri_plugin_opener::open_path(&dir, None::<&str>).map_err(|e| {
        AppError::new(ErrorCode::Io)
            .because(Reason::OpenFolder)
            .with_detail(e.to_string())
    })
}

/// The system's log folder for the app (tauri-plugin-log writes there):
/// `~/Library/Logs/<id>` on macOS, `%LOCALAPPDATA%\<id>\logs` on Windows,
/// `$XDG_DATA_HOME/<id>/logs` on Linux.
pub fn logs_dir(app: &AppHandle) -> AppResult<std::path::PathBuf> {
    app.path()
        .app_log_dir()
        .map_err(|e| AppError::internal(e.to_string()))
}

/// With `BENCH_REPORT_READY` set, the first answered command prints one marker
/// line: the start-up benchmark's "first command" (the tauri-hello reference app
/// prints the same marker the same way).
pub fn report_first_command() {
    static ANSWERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    report_once(&ANSWERED, "first-command-answered");
}

/// The page says it is drawn and answers clicks: logged as start-up's last step,
/// and, with `BENCH_REPORT_READY` set, the start-up benchmark's "page shown".
pub fn report_page_shown() {
    static SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    report_once(&SHOWN, "page-shown");
}

/// With `BENCH_REPORT_READY` set, the first library handed to the page prints a
/// marker: the scale benchmark's "history shown" (the page draws its first cards
/// from that answer, in the same task).
pub fn report_library_delivered() {
    static DELIVERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    report_once(&DELIVERED, "library-delivered");
}

fn report_once(flag: &std::sync::atomic::AtomicBool, marker: &str) {
    if flag.swap(true, Ordering::SeqCst) {
        return;
    }
    log_start_step(marker);
    if std::env::var_os("BENCH_REPORT_READY").is_some() {
        use std::io::Write;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{marker}");
        let _ = out.flush();
    }
}

/// When `run` began: start-up's steps are logged against it, so a slow start on
/// a creator's machine shows in the log where its time went.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

pub fn mark_start() {
    STARTED.get_or_init(std::time::Instant::now);
}

pub fn log_start_step(step: &str) {
    if let Some(started) = STARTED.get() {
        log::info!(
            "start-up: {step} after {} ms",
            started.elapsed().as_millis()
        );
    }
}
