//! Kling Studio: make short films with Kling 3.0 Pro on Segmind.
//!
//! Everything but the shell knows nothing of Tauri and is tested without a
//! window; `commands`, `desktop`, `app_menu` and `run` are the thin shell. The
//! floors, each importing only those below it:
//! - the ground: `error`, `clock`, `mutex`, `blocking`, `background`,
//!   `records` (records on disk), `logging`, `api_key`, `i18n`, `save`,
//!   `support`, `library_lock`, `webview_painting`, `media_server`;
//! - the request and the settings: `request`, `settings`, `keystore`;
//! - Segmind: `client`;
//! - what the app keeps and drives: `jobs` (with its `library` and `slots`),
//!   `voices` (with `clip` and `making`), `price`;
//! - the use cases: `studio`, one feature per file.

pub mod api_key;
pub mod app_menu;
pub mod background;
pub mod blocking;
pub mod client;
pub mod clock;
pub mod command_names;
pub mod commands;
#[cfg(test)]
mod contract;
pub mod desktop;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod keystore;
pub mod library_lock;
pub mod logging;
pub mod media_server;
pub mod mutex;
pub mod pictures;
pub mod price;
pub mod records;
pub mod request;
pub mod save;
pub mod settings;
pub mod studio;
pub mod support;
pub mod voices;
pub mod webview_painting;

use tauri::Manager;

use crate::client::ClientConfig;
use crate::jobs::PollPolicy;
use crate::keystore::KEYRING_SERVICE;
use crate::studio::{Studio, StudioPaths};

/// Where each system expects the app's files (Tauri's path resolver, per OS):
/// - the library (videos, gigabytes): the *local* app data folder. On Windows that
///   is `%LOCALAPPDATA%\app.klingstudio.desktop`, not Roaming AppData, which a
///   roaming profile copies to every machine the creator signs in to ("Roaming …
///   should not contain large data", Microsoft's "Roaming application data" guide).
///   On macOS (`~/Library/Application Support/…`) and Linux (`$XDG_DATA_HOME/…`)
///   local and roaming are one folder.
/// - settings (a few bytes): the config folder, which may roam on Windows.
/// - saved videos: the system's Videos folder (`~/Movies` on macOS,
///   `FOLDERID_Videos` on Windows, `XDG_VIDEOS_DIR` on Linux), `~/Videos` where
///   a Linux desktop names none.
fn studio_paths(app: &tauri::App) -> tauri::Result<StudioPaths> {
    let path = app.path();
    let videos_root = path
        .video_dir()
        .or_else(|_| path.home_dir().map(|home| home.join("Videos")))?;
    Ok(StudioPaths {
        library_dir: path.app_local_data_dir()?.join("library"),
        config_dir: path.app_config_dir()?,
        default_output_dir: videos_root.join("Kling Studio"),
    })
}

/// Log lines go to a file in the OS's log folder (a few files of 2 MB, the oldest
/// dropped) and to stderr; every line is scrubbed of the key, whatever wrote it.
fn logs() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    use tauri_plugin_log::{RotationStrategy, Target, TargetKind};
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .targets([
            Target::new(TargetKind::LogDir {
                file_name: Some("kling-studio".into()),
            }),
            Target::new(TargetKind::Stderr),
        ])
        .max_file_size(2 * 1024 * 1024)
        .rotation_strategy(RotationStrategy::KeepSome(4))
        .level(log::LevelFilter::Info)
        // Libraries speak only when something is wrong.
        .level_for("tao", log::LevelFilter::Warn)
        .level_for("wry", log::LevelFilter::Warn)
        .level_for("hyper", log::LevelFilter::Warn)
        .level_for("reqwest", log::LevelFilter::Warn)
        .format(|out, message, record| {
            // The target too: the page's lines carry a location it chose.
            let line = format!("{} {}", record.target(), message);
            out.finish(format_args!(
                "{} {:<5} {}",
                chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.3f"),
                record.level(),
                logging::clean_line(&line)
            ))
        })
        .build()
}

/// A panic is written to the log before the process ends (release builds abort).
fn log_panics() {
    thread_local! {
        static PANICKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    std::panic::set_hook(Box::new(|info| {
        let text = logging::clean_line(&info.to_string());
        // The standard hook would print the raw text to stderr (a journal on a
        // Linux desktop): the cleaned text goes there instead, once.
        eprintln!("Kling Studio stopped: {text}");
        // A panic while logging (in the log file's writer) must not log again.
        if !PANICKING.with(|p| p.replace(true)) {
            log::error!(target: "panic", "{text}");
            log::logger().flush();
        }
    }));
}

pub fn run() {
    desktop::mark_start();
    // First: WebKit's processes read it from the environment when they start.
    webview_painting::choose_for_this_machine();
    log_panics();
    tauri::Builder::default()
        // First, so a second launch exits before it builds anything of its own.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            desktop::bring_forward(app)
        }))
        .plugin(logs())
        .manage(desktop::Quitting::default())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            log::info!(
                "web view painting: {}",
                webview_painting::chosen().describe()
            );
            let config = ClientConfig::from_env()?;
            let paths = studio_paths(app)?;
            let started = tauri::async_runtime::block_on(async {
                Studio::start(paths, config, PollPolicy::default(), KEYRING_SERVICE).await
            });
            let studio = match started {
                Ok(studio) => studio,
                Err(error) if library_lock::is_held_elsewhere(&error) => {
                    desktop::say_already_open_and_exit(app.handle());
                    return Ok(());
                }
                Err(error) => return Err(error.into()),
            };
            if let Err(error) = app_menu::install(app.handle(), studio.language()) {
                log::warn!("no app menu: {error}");
            }
            #[cfg(target_os = "macos")]
            desktop::macos_terminate::ask_first(app.handle());
            desktop::notify_when_ready(app.handle(), &studio);
            app.manage(studio);
            // Jobs of an earlier run go on at once, whether or not a window looks,
            // but not in the window's way: resuming reads the key from the
            // keychain (a D-Bus call here, 20-30 ms measured; on macOS it can
            // wait on the system's "allow access" prompt after an unsigned
            // build's update), and the window opens meanwhile.
            let app_handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                app_handle.state::<Studio>().resume_jobs().await;
                desktop::log_start_step("jobs resumed");
            });
            desktop::log_start_step("set up, the window next");
            Ok(())
        })
        .on_window_event(desktop::on_window_event)
        .on_menu_event(app_menu::on_menu_event)
        .invoke_handler(tauri::generate_handler![
            commands::videos::form_rules,
            commands::videos::validate_request,
            commands::account::key_status,
            commands::account::save_api_key,
            commands::account::remove_api_key,
            commands::account::get_credits,
            commands::preferences::load_settings,
            commands::preferences::remember_request,
            commands::preferences::set_max_running_jobs,
            commands::preferences::words,
            commands::preferences::set_language,
            commands::money::estimate_price,
            commands::money::spend_summary,
            commands::money::set_monthly_limit,
            commands::videos::watch_jobs,
            commands::videos::start_job,
            commands::videos::another_take,
            commands::videos::keep_take,
            commands::videos::stage_picture,
            commands::videos::picture,
            commands::videos::stop_following,
            commands::videos::resume_job,
            commands::videos::delete_job,
            commands::window::quit_app,
            commands::window::run_in_background,
            commands::files::save_video,
            commands::files::save_still,
            commands::files::save_video_as,
            commands::preferences::choose_output_folder,
            commands::files::show_video_file,
            commands::files::set_save_finished_videos,
            commands::support::open_help_link,
            commands::voices::stage_voice_clip,
            commands::voices::make_voice,
            commands::voices::rename_voice,
            commands::voices::delete_voice,
            commands::support::open_logs_folder,
            commands::support::support_details,
            commands::window::menu_keys,
            commands::window::choose_menu_item,
            commands::window::page_shown,
        ])
        .build(tauri::generate_context!())
        .unwrap_or_else(|error| desktop::start_again_or_fail(error))
        .run(desktop::on_run_event);
}
