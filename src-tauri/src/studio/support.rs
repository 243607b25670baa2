//! "Copy details for support": the computer, the keychain, the library by
//! status, and answers Segmind sent that this version could not read.

use std::path::Path;

use super::Studio;
use crate::support;

impl Studio {
    /// "Copy details for support": the computer, the keychain, the library by status.
    pub async fn support_details(&self, page: &support::PageFacts, log_dir: &Path) -> String {
        let status = self.key_status().await.ok();
        let keychain_problem = self
            .with_keys(|keys| Ok(keys.keychain_problem()))
            .await
            .ok()
            .flatten();
        let key = match &status {
            Some(s) if s.state == crate::keystore::KeyState::Keychain => {
                format!(
                    "saved in the keychain (…{})",
                    s.last4.clone().unwrap_or_default()
                )
            }
            Some(s) if s.state == crate::keystore::KeyState::Session => {
                format!(
                    "for this session only (…{})",
                    s.last4.clone().unwrap_or_default()
                )
            }
            _ => "none saved".to_string(),
        };
        let name = |value: serde_json::Value| value.as_str().unwrap_or("unknown").to_string();
        let mut jobs_by_status = std::collections::BTreeMap::new();
        let mut unread_answers = Vec::new();
        for record in self.jobs.library().list() {
            if let Some(unread) = &record.unread_answer {
                let shape = serde_json::from_str(&unread.answer)
                    .map(|answer| crate::client::answer_shape(&answer))
                    .unwrap_or_else(|_| "cut short at 64 KiB".into());
                unread_answers.push(format!(
                    "request {}: {shape}",
                    record.request_id.as_deref().unwrap_or("unknown")
                ));
            }
            *jobs_by_status
                .entry(name(
                    serde_json::to_value(record.status).unwrap_or_default(),
                ))
                .or_insert(0) += 1;
        }
        let mut voices_by_status = std::collections::BTreeMap::new();
        for voice in self.voices.list() {
            *voices_by_status
                .entry(name(serde_json::to_value(voice.status).unwrap_or_default()))
                .or_insert(0) += 1;
        }
        let app = support::AppFacts {
            version: env!("CARGO_PKG_VERSION"),
            language: self.language().to_string(),
            key,
            keychain_problem: keychain_problem
                .map(|code| name(serde_json::to_value(code).unwrap_or_default())),
            jobs_by_status,
            voices_by_status,
            damaged_records: self.jobs.library().damaged().len() + self.voices.damaged().len(),
            unread_answers,
            log_dir: log_dir.display().to_string(),
            painting: crate::webview_painting::chosen().describe(),
        };
        support::details(&app, page)
    }
}
