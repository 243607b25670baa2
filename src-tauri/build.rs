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
    "words",
    "set_language",
    "estimate_price",
    "spend_summary",
    "set_monthly_limit",
    "stage_voice_clip",
    "make_voice",
    "rename_voice",
    "delete_voice",
    "open_logs_folder",
    "support_details",
    "menu_keys",
    "choose_menu_item",
];

/// Every catalogue in `ui/locales/` is built in: adding a language is adding one file.
fn embed_catalogues() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/locales");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("ui/locales exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut code = String::from("pub const CATALOGUES: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let lang = path.file_stem().unwrap().to_string_lossy();
        let full = path.canonicalize().expect("the catalogue can be read");
        code.push_str(&format!(
            "    ({lang:?}, include_str!({:?})),\n",
            full.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("locales.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

fn main() {
    embed_catalogues();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
