//! The app's state and use cases, free of any window: the key, the settings, the
//! jobs in flight and their videos. The Tauri commands are thin calls into this.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Local};
use serde::Serialize;

use crate::api_key::ApiKey;
use crate::client::{ClientConfig, RetryNotice, SegmindClient};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::job::{run_job, JobEvent, PollPolicy};
use crate::keystore::{KeyStatus, KeyStore};
use crate::media_server::MediaServer;
use crate::request::GenerationRequest;
use crate::save;
use crate::settings::{Settings, SettingsFile};

/// Where the app keeps things.
#[derive(Debug, Clone)]
pub struct StudioPaths {
    /// Finished videos, named `<job id>.mp4`, served to the preview.
    pub videos_dir: PathBuf,
    pub config_dir: PathBuf,
    /// Save's folder until the creator picks another: Videos/Kling Studio.
    pub default_output_dir: PathBuf,
}

pub type Reporter = Arc<dyn Fn(JobEvent) + Send + Sync>;

struct JobEntry {
    request: GenerationRequest,
    created: DateTime<Local>,
    report: Reporter,
    task: Option<tokio::task::AbortHandle>,
    video: Option<PathBuf>,
}

pub struct Studio {
    paths: StudioPaths,
    keys: Arc<KeyStore>,
    settings: SettingsFile,
    client_config: ClientConfig,
    poll: PollPolicy,
    media: MediaServer,
    jobs: Mutex<HashMap<String, JobEntry>>,
    /// Every Generate click's id, so a repeated click or shortcut never sends twice.
    submissions: Mutex<HashSet<String>>,
    /// Files saved this session: the only ones "Show in folder" will reveal.
    saved: Mutex<HashSet<PathBuf>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedKey {
    pub status: KeyStatus,
    pub credits: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartedJob {
    pub job_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadedSettings {
    pub request: GenerationRequest,
    pub output_dir: PathBuf,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the whole app down with a poisoned lock.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn job_not_found(job_id: &str) -> AppError {
    AppError::new(ErrorCode::JobNotFound, "That video is no longer in this session.").with_detail(format!("job {job_id}"))
}

impl Studio {
    pub async fn start(paths: StudioPaths, client_config: ClientConfig, poll: PollPolicy, keyring_service: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(&paths.videos_dir)?;
        let media = MediaServer::start(&paths.videos_dir).await?;
        Ok(Self {
            settings: SettingsFile::new(&paths.config_dir),
            paths,
            keys: Arc::new(KeyStore::new(keyring_service)),
            client_config,
            poll,
            media,
            jobs: Mutex::new(HashMap::new()),
            submissions: Mutex::new(HashSet::new()),
            saved: Mutex::new(HashSet::new()),
        })
    }

    /// Runs a keychain call off the async threads: it blocks on D-Bus.
    async fn with_keys<T: Send + 'static>(&self, call: impl FnOnce(&KeyStore) -> AppResult<T> + Send + 'static) -> AppResult<T> {
        let keys = Arc::clone(&self.keys);
        tokio::task::spawn_blocking(move || call(&keys)).await.map_err(|e| AppError::internal(e.to_string()))?
    }

    pub async fn key_status(&self) -> AppResult<KeyStatus> {
        self.with_keys(|keys| Ok(keys.status())).await
    }

    /// Checks the key with Segmind's free credits call, then stores it.
    pub async fn save_api_key(&self, text: &str, session_only: bool) -> AppResult<SavedKey> {
        let key = ApiKey::parse(text).ok_or_else(|| AppError::new(ErrorCode::Auth, "Paste your Segmind API key first."))?;
        let credits = SegmindClient::new(self.client_config.clone(), key.clone())?.credits().await?;
        let status = self
            .with_keys(move |keys| {
                if session_only {
                    keys.save_for_session(key);
                } else {
                    keys.save(&key)?;
                }
                Ok(keys.status())
            })
            .await?;
        Ok(SavedKey { status, credits })
    }

    pub async fn remove_api_key(&self) -> AppResult<KeyStatus> {
        self.with_keys(|keys| {
            keys.remove()?;
            Ok(keys.status())
        })
        .await
    }

    async fn client(&self) -> AppResult<SegmindClient> {
        let key = self.with_keys(|keys| keys.get()).await?.ok_or_else(|| {
            AppError::new(ErrorCode::NoApiKey, "Add your Segmind API key first: Settings, then Add key.")
        })?;
        SegmindClient::new(self.client_config.clone(), key)
    }

    pub async fn credits(&self) -> AppResult<f64> {
        self.client().await?.credits().await
    }

    pub fn load_settings(&self) -> LoadedSettings {
        let Settings { last_request, output_dir } = self.settings.load();
        LoadedSettings {
            request: last_request.unwrap_or_default(),
            output_dir: output_dir.unwrap_or_else(|| self.paths.default_output_dir.clone()),
        }
    }

    pub fn remember_request(&self, request: GenerationRequest) -> AppResult<()> {
        self.settings.update(|s| s.last_request = Some(request)).map(drop)
    }

    pub fn set_output_dir(&self, dir: PathBuf) -> AppResult<()> {
        self.settings.update(|s| s.output_dir = Some(dir)).map(drop)
    }

    /// Starts one job for one Generate click. A repeated `submission_id` is refused,
    /// an invalid request is refused before anything is sent.
    pub async fn start_job(&self, request: GenerationRequest, submission_id: &str, report: Reporter) -> AppResult<StartedJob> {
        if submission_id.trim().is_empty() || !lock(&self.submissions).insert(submission_id.to_string()) {
            return Err(AppError::new(
                ErrorCode::DuplicateSubmission,
                "This video is already being made: the same click arrived twice, so it was sent only once.",
            ));
        }
        let problems = request.validate();
        if !problems.is_empty() {
            return Err(AppError::invalid_request(problems));
        }
        let client = self.client().await?;
        let job_id = uuid::Uuid::new_v4().to_string();
        let target = self.paths.videos_dir.join(format!("{job_id}.mp4"));
        let video_url = self.media.url_for(&format!("{job_id}.mp4"));

        let waiting = Arc::clone(&report);
        let client = client.observed(Arc::new(move |notice| {
            if let RetryNotice::RateLimited { until_ms } = notice {
                waiting(JobEvent::Waiting { until_ms, reason: "rate_limited" });
            }
        }));
        lock(&self.jobs).insert(
            job_id.clone(),
            JobEntry { request: request.clone(), created: Local::now(), report: Arc::clone(&report), task: None, video: None },
        );
        let poll = self.poll.clone();
        let task = tokio::spawn(async move {
            let event = match run_job(&client, &request, &target, &poll, report.as_ref()).await {
                Ok(done) => JobEvent::Ready { video_url, path: done.path, bytes: done.bytes, metrics: done.metrics },
                Err(error) => JobEvent::Failed { error },
            };
            report(event);
        });
        if let Some(entry) = lock(&self.jobs).get_mut(&job_id) {
            entry.task = Some(task.abort_handle());
        }
        Ok(StartedJob { job_id })
    }

    /// Stops following a job. Segmind has no cancel: the job may still be billed.
    pub fn stop_following(&self, job_id: &str) -> AppResult<()> {
        let jobs = lock(&self.jobs);
        let entry = jobs.get(job_id).ok_or_else(|| job_not_found(job_id))?;
        if let Some(task) = &entry.task {
            if !task.is_finished() {
                task.abort();
                (entry.report)(JobEvent::Stopped);
            }
        }
        Ok(())
    }

    /// The finished video of a job, once it is on disk.
    fn video_of(&self, job_id: &str) -> AppResult<(PathBuf, String, DateTime<Local>)> {
        let mut jobs = lock(&self.jobs);
        let entry = jobs.get_mut(job_id).ok_or_else(|| job_not_found(job_id))?;
        let path = self.paths.videos_dir.join(format!("{job_id}.mp4"));
        if entry.video.is_none() && path.is_file() {
            entry.video = Some(path);
        }
        let video = entry.video.clone().ok_or_else(|| {
            AppError::new(ErrorCode::JobNotFound, "This video is not ready yet.").with_detail(format!("job {job_id}"))
        })?;
        Ok((video, entry.request.prompt.clone(), entry.created))
    }

    /// Copies a job's video into `dir` (default: the output folder) under a new name.
    pub fn save_video(&self, job_id: &str, dir: Option<&Path>) -> AppResult<PathBuf> {
        let (video, prompt, created) = self.video_of(job_id)?;
        let dir = dir.map(Path::to_path_buf).unwrap_or_else(|| self.load_settings().output_dir);
        let path = save::copy_without_overwrite(&video, &dir, &save::file_name(&prompt, created))
            .map_err(|e| AppError::io(&format!("save the video in {}", dir.display()), &e))?;
        lock(&self.saved).insert(path.clone());
        Ok(path)
    }

    /// Copies a job's video to exactly `path` (a "Save as…" choice, which the OS
    /// dialog has already confirmed if it replaces a file).
    pub fn save_video_to(&self, job_id: &str, path: &Path) -> AppResult<PathBuf> {
        let (video, _, _) = self.video_of(job_id)?;
        std::fs::copy(&video, path).map_err(|e| AppError::io(&format!("save the video as {}", path.display()), &e))?;
        lock(&self.saved).insert(path.to_path_buf());
        Ok(path.to_path_buf())
    }

    /// `path` if this session saved it: the webview cannot make the app reveal
    /// arbitrary files.
    pub fn saved_file(&self, path: &Path) -> AppResult<PathBuf> {
        lock(&self.saved)
            .get(path)
            .cloned()
            .ok_or_else(|| AppError::new(ErrorCode::JobNotFound, "Save the video first, then show it in its folder."))
    }

    /// A suggested name for "Save as…".
    pub fn suggested_name(&self, job_id: &str) -> AppResult<String> {
        let (_, prompt, created) = self.video_of(job_id)?;
        Ok(save::file_name(&prompt, created))
    }
}
