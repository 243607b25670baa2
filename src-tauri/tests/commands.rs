//! The app's commands are listed three times, and each list has its own job:
//! `generate_handler!` in lib.rs makes them callable, src/command_names.rs
//! names them (build.rs makes a permission for each, the page's contract types
//! `invoke` with them), and the capability grants them to the window. A command
//! missing from one list fails only at run time (or is granted without
//! existing): the three lists must be the same, and the UI may call nothing else.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(src().join(path)).unwrap()
}

fn handler_list() -> BTreeSet<String> {
    let lib = read("src/lib.rs");
    let start = lib
        .find("generate_handler![")
        .expect("lib.rs registers commands");
    let end = start + lib[start..].find(']').unwrap();
    lib[start..end]
        .split("commands::")
        .skip(1)
        .map(|path| {
            // `commands::videos::start_job,`: the command is the last segment.
            let path = path.trim_end_matches(|c: char| c == ',' || c.is_whitespace());
            path.rsplit("::").next().unwrap().to_string()
        })
        .collect()
}

fn build_list() -> BTreeSet<String> {
    let build = read("src/command_names.rs");
    let start = build.find("const COMMANDS: &[&str] = &[").unwrap();
    let end = start + build[start..].find("];").unwrap();
    build[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn granted() -> BTreeSet<String> {
    let capability: serde_json::Value =
        serde_json::from_str(&read("capabilities/main.json")).unwrap();
    capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|name| name.replace('-', "_"))
        .collect()
}

fn called_by_the_ui() -> BTreeSet<String> {
    let api = std::fs::read_to_string(src().join("../ui/api.js")).unwrap();
    let mut called = BTreeSet::new();
    for marker in ["call('", "callWithChannel('"] {
        for piece in api.split(marker).skip(1) {
            called.insert(piece.split('\'').next().unwrap().to_string());
        }
    }
    called
}

#[test]
fn every_command_is_registered_permitted_and_granted_alike() {
    let handlers = handler_list();
    assert!(handlers.len() > 30, "{handlers:?}");
    assert_eq!(handlers, build_list(), "lib.rs vs build.rs");
    assert_eq!(handlers, granted(), "lib.rs vs capabilities/main.json");
}

#[test]
fn the_ui_calls_only_commands_that_exist() {
    let handlers = handler_list();
    let called = called_by_the_ui();
    assert!(called.len() > 30, "{called:?}");
    let unknown: Vec<_> = called.difference(&handlers).collect();
    assert!(
        unknown.is_empty(),
        "api.js calls commands that do not exist: {unknown:?}"
    );
}

#[test]
fn only_the_plugin_permissions_the_ui_needs_are_granted() {
    let capability: serde_json::Value =
        serde_json::from_str(&read("capabilities/main.json")).unwrap();
    let plugins: Vec<&str> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .filter(|p| p.contains(':'))
        .collect();
    // core:default is the IPC channel's own; log:allow-log takes the page's console.
    for permission in &plugins {
        assert!(
            ["core:default", "log:allow-log"].contains(permission),
            "an extra plugin permission: {permission}"
        );
    }
}
