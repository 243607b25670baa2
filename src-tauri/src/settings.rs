//! What the app remembers between runs: the last form, the output folder, how many
//! videos are made at once and the language.
//! Written atomically (temp file, fsync, rename), so a crash never leaves half a file;
//! a damaged file is set aside and the defaults are used.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, Reason};
use crate::records::write_atomically;
use crate::request::GenerationRequest;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    #[serde(default)]
    pub last_request: Option<GenerationRequest>,
    #[serde(default)]
    pub output_dir: Option<PathBuf>,
    /// How many jobs may run at once; more wait in line.
    #[serde(default)]
    pub max_running_jobs: Option<usize>,
    /// A monthly spending limit in dollars: a generation that would pass it asks first.
    #[serde(default)]
    pub monthly_limit_usd: Option<f64>,
    /// Each finished video is copied into the output folder as it finishes; none:
    /// yes (a creator who opens the folder finds what they paid for).
    #[serde(default)]
    pub save_finished_videos: Option<bool>,
    /// The language the creator chose in Settings; none: the system's.
    #[serde(default)]
    pub language: Option<String>,
    /// Settings a newer version of the app wrote: kept as they are when rewritten.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

pub struct SettingsFile {
    path: PathBuf,
    /// One change at a time: two at once (the limit and the last form, say)
    /// would each load the old file and one would be lost.
    updating: std::sync::Mutex<()>,
}

impl SettingsFile {
    pub fn new(config_dir: &Path) -> Self {
        Self {
            path: config_dir.join("settings.json"),
            updating: std::sync::Mutex::new(()),
        }
    }

    pub fn load(&self) -> Settings {
        let Ok(text) = fs::read(&self.path) else {
            return Settings::default();
        };
        serde_json::from_slice(&text).unwrap_or_else(|_| {
            // Keep the damaged file for a support request rather than overwrite it.
            let _ = fs::rename(&self.path, self.path.with_extension("json.damaged"));
            Settings::default()
        })
    }

    pub fn store(&self, settings: &Settings) -> AppResult<()> {
        let json =
            serde_json::to_vec_pretty(settings).map_err(|e| AppError::internal(e.to_string()))?;
        write_atomically(&self.path, &json).map_err(|e| AppError::io(Reason::RememberSettings, &e))
    }

    /// Loads, changes and stores in one step.
    pub fn update(&self, change: impl FnOnce(&mut Settings)) -> AppResult<Settings> {
        let _one_at_a_time = crate::mutex::lock(&self.updating);
        let mut settings = self.load();
        change(&mut settings);
        self.store(&settings)?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::new(dir.path());
        assert_eq!(file.load(), Settings::default());
        let request = GenerationRequest {
            prompt: "a whale".into(),
            duration: "9".into(),
            ..Default::default()
        };
        file.update(|s| s.last_request = Some(request.clone()))
            .unwrap();
        assert_eq!(
            SettingsFile::new(dir.path()).load().last_request,
            Some(request)
        );
    }

    #[test]
    fn settings_of_a_newer_version_survive_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("settings.json"),
            br#"{"maxRunningJobs": 3, "language": "zh-CN"}"#,
        )
        .unwrap();
        let file = SettingsFile::new(dir.path());
        file.update(|s| s.max_running_jobs = Some(4)).unwrap();
        let text = fs::read_to_string(dir.path().join("settings.json")).unwrap();
        assert!(text.contains("\"language\": \"zh-CN\""), "{text}");
        assert_eq!(file.load().max_running_jobs, Some(4));
    }

    #[test]
    fn a_damaged_file_gives_defaults_and_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("settings.json"),
            b"{\"lastRequest\": {\"prom",
        )
        .unwrap();
        let file = SettingsFile::new(dir.path());
        assert_eq!(file.load(), Settings::default());
        assert!(dir.path().join("settings.json.damaged").exists());
    }
}
