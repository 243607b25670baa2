//! Kling Studio: make short films with Kling 3.0 Pro on Segmind.
//!
//! The domain modules (`request`, `client`, `job`, `keystore`, `settings`, `save`,
//! `media_server`, `studio`) know nothing of Tauri and are tested without a window;
//! `commands` and `run` are the thin shell around them.

pub mod api_key;
pub mod client;
pub mod commands;
pub mod error;
pub mod job;
pub mod keystore;
pub mod media_server;
pub mod request;
pub mod save;
pub mod settings;
pub mod studio;

use tauri::Manager;

use crate::client::ClientConfig;
use crate::job::PollPolicy;
use crate::keystore::KEYRING_SERVICE;
use crate::studio::{Studio, StudioPaths};

fn studio_paths(app: &tauri::App) -> tauri::Result<StudioPaths> {
    let path = app.path();
    let videos_root = path.video_dir().or_else(|_| path.home_dir().map(|home| home.join("Videos")))?;
    Ok(StudioPaths {
        videos_dir: path.app_data_dir()?.join("videos"),
        config_dir: path.app_config_dir()?,
        default_output_dir: videos_root.join("Kling Studio"),
    })
}

pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let config = ClientConfig::from_env()?;
            let studio = tauri::async_runtime::block_on(Studio::start(
                studio_paths(app)?,
                config,
                PollPolicy::default(),
                KEYRING_SERVICE,
            ))?;
            app.manage(studio);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::form_rules,
            commands::validate_request,
            commands::key_status,
            commands::save_api_key,
            commands::remove_api_key,
            commands::get_credits,
            commands::load_settings,
            commands::remember_request,
            commands::start_job,
            commands::stop_following,
            commands::save_video,
            commands::save_video_as,
            commands::choose_output_folder,
            commands::show_in_folder,
            commands::open_help_link,
        ])
        .run(tauri::generate_context!())
        .expect("Kling Studio could not start its window");
}
