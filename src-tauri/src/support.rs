//! "Copy details for support": what a helper needs to know about a creator's
//! computer and library, in plain text the creator can read before sending.
//! Never the key, a prompt or a path inside a video's name.

use std::collections::BTreeMap;

use serde::Deserialize;

/// What only the page can tell: its engine, and whether it plays H.264.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PageFacts {
    #[serde(default)]
    pub user_agent: String,
    /// Whether H.264 in MP4 plays: "probably", "maybe" or "" (canPlayType's words).
    #[serde(default)]
    pub h264: String,
}

/// Everything else, gathered by the studio.
#[derive(Debug, Clone, Default)]
pub struct AppFacts {
    pub version: &'static str,
    pub language: String,
    pub key: String,
    pub keychain_problem: Option<String>,
    pub jobs_by_status: BTreeMap<String, usize>,
    pub voices_by_status: BTreeMap<String, usize>,
    pub damaged_records: usize,
    /// Finished jobs whose answer named no video this version reads: Segmind's
    /// request id and the answer's shape (keys and kinds, never an address).
    pub unread_answers: Vec<String>,
    pub log_dir: String,
    /// How the web view paints: "GPU", or "CPU (no GPU found)" (see webview_painting.rs).
    pub painting: &'static str,
}

/// The keychain this build uses, by platform.
pub const KEYCHAIN_BACKEND: &str = if cfg!(target_os = "macos") {
    "macOS Keychain"
} else if cfg!(target_os = "windows") {
    "Windows Credential Manager"
} else {
    "Secret Service (D-Bus)"
};

/// The OS and its version, as far as it says without a helper program.
pub fn os_description() -> String {
    let release = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .map(|name| name.trim_matches('"').to_string())
        });
    match release {
        Some(name) => format!(
            "{name} ({} {})",
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
        None => format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

fn counts(map: &BTreeMap<String, usize>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(status, n)| format!("{status} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn details(app: &AppFacts, page: &PageFacts) -> String {
    let h264 = match page.h264.as_str() {
        "probably" | "maybe" => "yes",
        _ => "no (see README: video codecs)",
    };
    let keychain = match &app.keychain_problem {
        Some(problem) => format!("{KEYCHAIN_BACKEND}: {problem}"),
        None => format!("{KEYCHAIN_BACKEND}: available"),
    };
    [
        format!("Kling Studio {}", app.version),
        format!("System: {}", os_description()),
        format!(
            "Web view: {}",
            page.user_agent.chars().take(300).collect::<String>()
        ),
        format!("H.264 video playback: {h264}"),
        format!("Painting: {}", app.painting),
        format!("Keychain: {keychain}"),
        format!("API key: {}", app.key),
        format!("Language: {}", app.language),
        format!("Videos: {}", counts(&app.jobs_by_status)),
        format!("Voices: {}", counts(&app.voices_by_status)),
        format!("Records set aside as damaged: {}", app.damaged_records),
        format!(
            "Segmind answers the app could not read: {}",
            if app.unread_answers.is_empty() {
                "none".to_string()
            } else {
                app.unread_answers.join("; ")
            }
        ),
        format!("Logs: {}", app.log_dir),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_say_what_a_helper_needs_in_plain_lines() {
        let app = AppFacts {
            version: "1.2.3",
            language: "en".into(),
            key: "saved in the keychain (…7788)".into(),
            jobs_by_status: BTreeMap::from([("ready".into(), 12), ("failed".into(), 1)]),
            log_dir: "/home/a/.local/share/app/logs".into(),
            painting: "CPU (no GPU found)",
            ..AppFacts::default()
        };
        let page = PageFacts {
            user_agent: "Mozilla/5.0 AppleWebKit/605.1.15".into(),
            h264: "probably".into(),
        };
        let text = details(&app, &page);
        assert!(text.starts_with("Kling Studio 1.2.3\nSystem: "), "{text}");
        assert!(text.contains("H.264 video playback: yes"));
        assert!(text.contains("Videos: failed 1, ready 12"));
        assert!(text.contains("Voices: none"));
        assert!(text.contains("Keychain: "));
        assert!(text.contains("Painting: CPU (no GPU found)"));
        assert!(text.contains("Segmind answers the app could not read: none"));
        let unread = details(
            &AppFacts {
                unread_answers: vec!["request r-1: {output:json({artifact:text})}".into()],
                ..app.clone()
            },
            &page,
        );
        assert!(unread.contains(
            "Segmind answers the app could not read: request r-1: {output:json({artifact:text})}"
        ));
        let no_codec = details(&app, &PageFacts::default());
        assert!(no_codec.contains("H.264 video playback: no"));
    }
}
