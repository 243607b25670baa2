//! Lists the app's commands so that capabilities must grant each one by name
//! (least privilege: a command not granted cannot be called from the webview).

include!("src/command_names.rs");

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
    println!("cargo:rerun-if-changed=src/command_names.rs");
    embed_catalogues();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
