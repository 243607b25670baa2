//! Lists the app's commands so that capabilities must grant each one by name
//! (least privilege: a command not granted cannot be called from the webview).

const COMMANDS: &[&str] = &[
    "form_rules",
    "validate_request",
    "key_status",
    "save_api_key",
    "remove_api_key",
    "get_credits",
    "load_settings",
    "remember_request",
    "set_max_running_jobs",
    "watch_jobs",
    "start_job",
    "stop_following",
    "resume_job",
    "delete_job",
    "quit_app",
    "run_in_background",
    "save_video",
    "save_still",
    "save_video_as",
    "choose_output_folder",
    "show_in_folder",
    "open_help_link",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
