//! What the creator chose and the app remembers: the last form, the output
//! folder, how many videos are made at once, the language.

use std::path::PathBuf;

use serde::Serialize;

use super::files::output_dir;
use super::Studio;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, PageWords};
use crate::request::GenerationRequest;
use crate::settings::Settings;

pub const DEFAULT_MAX_RUNNING_JOBS: usize = 2;
pub const MAX_RUNNING_JOBS_LIMIT: usize = 5;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LoadedSettings {
    pub request: GenerationRequest,
    pub output_dir: PathBuf,
    /// Always within 1..=`max_running_jobs_limit`, whatever the file says.
    pub max_running_jobs: usize,
    /// The largest choice the settings offer.
    pub max_running_jobs_limit: usize,
    /// Each finished video is saved into `output_dir` by itself (on unless the
    /// creator turned it off).
    pub save_finished_videos: bool,
}

/// How many jobs may run at once: the creator's choice, kept within the limit
/// (a settings file edited by hand to 0 would otherwise run nothing, ever).
pub(super) fn max_running_jobs(settings: &Settings) -> usize {
    settings
        .max_running_jobs
        .unwrap_or(DEFAULT_MAX_RUNNING_JOBS)
        .clamp(1, MAX_RUNNING_JOBS_LIMIT)
}

/// The language these settings speak: the creator's choice, else the system's.
fn language_of(settings: &Settings) -> &'static str {
    i18n::pick(
        settings.language.as_deref(),
        i18n::system_locale().as_deref(),
    )
}

/// The form before anything was sent: the model page's defaults, with the
/// "things to avoid" in the language the app speaks.
fn first_request(lang: &str) -> GenerationRequest {
    GenerationRequest {
        negative_prompt: Some(i18n::tr(lang, "form.negativePrompt.default", &[])),
        ..GenerationRequest::default()
    }
}

impl Studio {
    pub fn load_settings(&self) -> LoadedSettings {
        let settings = self.settings.load();
        LoadedSettings {
            max_running_jobs: max_running_jobs(&settings),
            max_running_jobs_limit: MAX_RUNNING_JOBS_LIMIT,
            output_dir: output_dir(&settings, &self.paths.default_output_dir),
            save_finished_videos: settings.save_finished_videos.unwrap_or(true),
            request: match settings.last_request {
                Some(request) => request,
                None => first_request(language_of(&settings)),
            },
        }
    }

    pub fn remember_request(&self, request: GenerationRequest) -> AppResult<()> {
        self.settings
            .update(|s| s.last_request = Some(request))
            .map(drop)
    }

    pub fn set_output_dir(&self, dir: PathBuf) -> AppResult<()> {
        self.settings.update(|s| s.output_dir = Some(dir)).map(drop)
    }

    /// The language the app speaks: the creator's choice, else the system's.
    pub fn language(&self) -> &'static str {
        language_of(&self.settings.load())
    }

    pub fn words(&self) -> PageWords {
        i18n::page_words(self.language())
    }

    /// Applied at once by the page, and remembered for the next start.
    pub fn set_language(&self, lang: &str) -> AppResult<PageWords> {
        if !i18n::is_known(lang) {
            return Err(AppError::internal(format!("no catalogue for {lang:?}")));
        }
        self.settings
            .update(|s| s.language = Some(lang.to_string()))?;
        Ok(i18n::page_words(lang))
    }

    pub fn set_max_running_jobs(&self, cap: usize) -> AppResult<usize> {
        let cap = cap.clamp(1, MAX_RUNNING_JOBS_LIMIT);
        self.settings.update(|s| s.max_running_jobs = Some(cap))?;
        self.jobs.set_max_running(cap);
        Ok(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::super::studio_for_tests;
    use super::*;

    #[tokio::test]
    async fn the_cap_on_videos_at_once_stays_within_its_limits_and_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        assert_eq!(
            studio.load_settings().max_running_jobs,
            DEFAULT_MAX_RUNNING_JOBS
        );
        assert_eq!(studio.set_max_running_jobs(0).unwrap(), 1);
        assert_eq!(
            studio.set_max_running_jobs(99).unwrap(),
            MAX_RUNNING_JOBS_LIMIT
        );
        assert_eq!(
            studio.load_settings().max_running_jobs,
            MAX_RUNNING_JOBS_LIMIT
        );
        assert_eq!(
            studio.load_settings().output_dir,
            dir.path().join("Videos/Kling Studio")
        );
    }

    #[tokio::test]
    async fn a_language_without_a_catalogue_is_refused_and_a_known_one_kept() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        assert!(studio.set_language("xx").is_err());
        studio.set_language("zh-CN").unwrap();
        assert_eq!(studio.language(), "zh-CN");
    }

    #[tokio::test]
    async fn the_first_forms_things_to_avoid_are_in_the_apps_language() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        studio.set_language("en").unwrap();
        let english = studio.load_settings().request.negative_prompt;
        assert_eq!(
            english.as_deref(),
            Some(crate::request::DEFAULT_NEGATIVE_PROMPT),
            "the model page's default"
        );
        studio.set_language("zh-CN").unwrap();
        let chinese = studio.load_settings().request.negative_prompt.unwrap();
        assert!(chinese.contains("模糊"), "{chinese}");
        // Once a request was sent, the form is that request, in any language.
        let sent = GenerationRequest {
            negative_prompt: Some("rain".into()),
            ..GenerationRequest::default()
        };
        studio.remember_request(sent).unwrap();
        let kept = studio.load_settings().request.negative_prompt;
        assert_eq!(kept.as_deref(), Some("rain"));
    }
}
