//! The app's state and use cases, free of any window: the key, the settings, the
//! job library and its running jobs. The Tauri commands are thin calls into this.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Local, TimeZone};
use serde::{Deserialize, Serialize};

use crate::api_key::ApiKey;
use crate::client::{ClientConfig, SegmindClient};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::i18n::{self, PageWords};
use crate::instance::LibraryLock;
use crate::jobs::{JobManager, JobView, Listener, PollPolicy, StudioEvent, Subscriber};
use crate::keystore::{KeyStatus, KeyStore};
use crate::library::{DamagedEntry, JobRecord, Library, RecordStatus, Take};
use crate::media_server::MediaServer;
use crate::price;
use crate::request::{FieldError, GenerationRequest};
use crate::save;
use crate::settings::{Settings, SettingsFile};
use crate::support;
use crate::voices::{StagedClip, VoiceBook, VoiceRecord, VoiceView};
use crate::voicing::{self, VoiceChange, VoiceChanged, VoicePolling, VoiceProgress};

pub const DEFAULT_MAX_RUNNING_JOBS: usize = 2;
pub const MAX_RUNNING_JOBS_LIMIT: usize = 5;
/// A still is a small JPEG (a card shows it at 128 px wide): far below this.
const MAX_STILL_BYTES: usize = 512 * 1024;

/// Where the app keeps things.
#[derive(Debug, Clone)]
pub struct StudioPaths {
    /// The job library: `jobs/<id>.json` and `videos/<id>.mp4`.
    pub library_dir: PathBuf,
    pub config_dir: PathBuf,
    /// Save's folder until the creator picks another: Videos/Kling Studio.
    pub default_output_dir: PathBuf,
}

pub struct Studio {
    /// This copy's hold on the library: only one copy ever drives its jobs.
    _library_lock: LibraryLock,
    paths: StudioPaths,
    keys: Arc<KeyStore>,
    settings: SettingsFile,
    client_config: ClientConfig,
    jobs: Arc<JobManager>,
    /// Every Generate click's id, so a repeated click or shortcut never sends twice.
    submissions: Mutex<HashSet<String>>,
    /// The balance Segmind last reported: a request it cannot cover is not sent.
    balance: Mutex<Option<f64>>,
    /// What deleted videos cost: still spent.
    spent_ledger: price::SpentLedger,
    /// Files saved this session: the only ones "Show in folder" will reveal.
    saved: Mutex<HashSet<PathBuf>>,
    voices: Arc<VoiceBook>,
    voice_polling: VoicePolling,
    /// Voices whose create job a task is following now: never two at once.
    following_voices: Arc<Mutex<HashSet<String>>>,
}

/// At most this many takes per click.
pub const MAX_TAKES: u8 = 4;

/// One Generate click.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub request: GenerationRequest,
    pub submission_id: String,
    pub takes: u8,
    /// The creator answered "make it anyway" to the monthly limit's question.
    #[serde(default)]
    pub past_limit_agreed: bool,
}

/// The price of a request before the click.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceView {
    pub each: price::Estimate,
    pub takes: u8,
    pub total: f64,
    /// The balance Segmind last reported, if the app has asked.
    pub balance: Option<f64>,
    pub short_of_balance: bool,
    /// Spent this month, from the library.
    pub month: f64,
    pub limit: Option<f64>,
    pub over_limit: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpendView {
    #[serde(flatten)]
    pub spend: price::Spend,
    pub balance: Option<f64>,
    pub limit: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedKey {
    pub status: KeyStatus,
    pub credits: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadedSettings {
    pub request: GenerationRequest,
    pub output_dir: PathBuf,
    /// Always within 1..=`max_running_jobs_limit`, whatever the file says.
    pub max_running_jobs: usize,
    /// The largest choice the settings offer.
    pub max_running_jobs_limit: usize,
}

/// How many jobs may run at once: the creator's choice, kept within the limit
/// (a settings file edited by hand to 0 would otherwise run nothing, ever).
fn max_running_jobs(settings: &Settings) -> usize {
    settings
        .max_running_jobs
        .unwrap_or(DEFAULT_MAX_RUNNING_JOBS)
        .clamp(1, MAX_RUNNING_JOBS_LIMIT)
}

/// The library as the window first sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LibrarySnapshot {
    pub jobs: Vec<JobView>,
    /// Records that could not be read, set aside; every other job is kept.
    pub damaged: Vec<DamagedEntry>,
    /// The creator's voices, newest first.
    pub voices: Vec<VoiceView>,
}

use crate::locks::lock;

/// A voice as the window shows it: its clip on the app's media server.
fn view_of_voice(jobs: &JobManager, record: &VoiceRecord) -> VoiceView {
    VoiceView::of(record, jobs.voice_clip_url(&record.clip_file))
}

impl Studio {
    /// Opens the library and starts its media server. Fails with an error for which
    /// `instance::is_held_elsewhere` holds when another copy of the app has it.
    pub async fn start(
        paths: StudioPaths,
        client_config: ClientConfig,
        poll: PollPolicy,
        keyring_service: &str,
    ) -> std::io::Result<Self> {
        // First of all: a second copy must not even read the jobs it could drive.
        let library_lock = LibraryLock::acquire(&paths.library_dir)?;
        let library = Library::open(&paths.library_dir)?;
        let voices = Arc::new(VoiceBook::open(&paths.library_dir)?);
        voicing::recover_interrupted(&voices);
        let media = MediaServer::start(library.videos_dir(), voices.dir()).await?;
        let voice_polling = VoicePolling {
            interval: poll.interval,
            max_pause: poll.max_retry_pause,
            deadline: poll.deadline,
        };
        let settings = SettingsFile::new(&paths.config_dir);
        let max_running = max_running_jobs(&settings.load());
        let jobs = JobManager::new(library, media, &client_config, max_running, poll)
            .map_err(std::io::Error::other)?;
        // Before any drive exists: a job found mid-send is never sent again.
        jobs.recover_interrupted();
        jobs.reread_kept_answers();
        jobs.keep_saving();
        let spent_ledger = price::SpentLedger::open(&paths.library_dir);
        log::info!(
            "library opened: {} videos, {} voices, {} damaged records set aside",
            jobs.library().count(),
            voices.count(),
            jobs.library().damaged().len() + voices.damaged().len()
        );
        Ok(Self {
            _library_lock: library_lock,
            jobs,
            settings,
            paths,
            keys: Arc::new(KeyStore::new(keyring_service)),
            client_config,
            submissions: Mutex::new(HashSet::new()),
            balance: Mutex::new(None),
            spent_ledger,
            saved: Mutex::new(HashSet::new()),
            voices,
            voice_polling,
            following_voices: Arc::new(Mutex::new(HashSet::new())),
        })
    }

    /// Picks up every unfinished job of an earlier run. Without a key, downloads of
    /// finished videos go on and the rest wait for one, saying so.
    pub async fn resume_jobs(&self) {
        if let Ok(client) = self.client().await {
            self.resume_voices(&client);
            self.jobs.set_client(Some(client));
        }
        self.jobs.drive_all();
    }

    /// Follows again every voice an earlier run left being made.
    fn resume_voices(&self, client: &SegmindClient) {
        for id in voicing::being_made(&self.voices) {
            let following = self.follow_voice(client.clone(), id);
            tokio::spawn(async move {
                let _ = following.await;
            });
        }
    }

    /// Runs a keychain call off the async threads: it blocks on D-Bus.
    async fn with_keys<T: Send + 'static>(
        &self,
        call: impl FnOnce(&KeyStore) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let keys = Arc::clone(&self.keys);
        tokio::task::spawn_blocking(move || call(&keys))
            .await
            .map_err(|e| AppError::internal(e.to_string()))?
    }

    pub async fn key_status(&self) -> AppResult<KeyStatus> {
        self.with_keys(|keys| Ok(keys.status())).await
    }

    /// Checks the key with Segmind's free credits call, then stores it.
    pub async fn save_api_key(&self, text: &str, session_only: bool) -> AppResult<SavedKey> {
        let key = ApiKey::parse(text)
            .ok_or_else(|| AppError::new(ErrorCode::Auth).because("key_missing"))?;
        let client = SegmindClient::new(self.client_config.clone(), key.clone())?;
        let credits = client.credits().await?;
        *lock(&self.balance) = Some(credits);
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
        // Every drive uses the new key from its next call; a job being sent right
        // now keeps its drive and its answer.
        self.resume_voices(&client);
        self.jobs.set_client(Some(client));
        self.jobs.drive_all();
        Ok(SavedKey { status, credits })
    }

    pub async fn remove_api_key(&self) -> AppResult<KeyStatus> {
        let status = self
            .with_keys(|keys| {
                keys.remove()?;
                Ok(keys.status())
            })
            .await?;
        // No drive keeps using the removed key: jobs wait for a new one.
        self.jobs.set_client(None);
        Ok(status)
    }

    /// A client with the key as the keychain has it now. The drives' client when
    /// it sends that key: one pool of connections, and the system's certificates
    /// read once, not again at every Generate and balance check.
    async fn client(&self) -> AppResult<SegmindClient> {
        let key = self
            .with_keys(|keys| keys.get())
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NoApiKey))?;
        match self.jobs.client().filter(|current| current.sends(&key)) {
            Some(current) => Ok(current),
            None => SegmindClient::new(self.client_config.clone(), key),
        }
    }

    pub async fn credits(&self) -> AppResult<f64> {
        let credits = self.client().await?.credits().await?;
        *lock(&self.balance) = Some(credits);
        Ok(credits)
    }

    /// What this request will cost for `takes` videos, and how that sits with the
    /// balance and the creator's monthly limit.
    pub fn price(&self, request: &GenerationRequest, takes: u8) -> PriceView {
        let library = self.jobs.library().list();
        let rates = price::Rates::learn(&library);
        let each = rates.estimate(request);
        let total = (each.usd * f64::from(takes.max(1)) * 100.0).round() / 100.0;
        let month = price::month_committed(&self.spend_now(&library, &rates), &library, &rates);
        let limit = self.settings.load().monthly_limit_usd;
        let balance = *lock(&self.balance);
        PriceView {
            takes: takes.max(1),
            total,
            balance,
            short_of_balance: balance.is_some_and(|b| b < total),
            month,
            limit,
            over_limit: limit.is_some_and(|l| month + total > l),
            each,
        }
    }

    /// What the creator spent, from the library and the costs of deleted videos.
    fn spend_now(&self, library: &[JobRecord], rates: &price::Rates) -> price::Spend {
        let now = chrono::Local::now();
        price::spend(library, rates, &self.spent_ledger.bills(), &now)
    }

    /// What the creator spent, and the balance last seen.
    pub fn spend(&self) -> SpendView {
        let library = self.jobs.library().list();
        SpendView {
            spend: self.spend_now(&library, &price::Rates::learn(&library)),
            balance: *lock(&self.balance),
            limit: self.settings.load().monthly_limit_usd,
        }
    }

    /// None: no limit. A limit is a positive amount of dollars.
    pub fn set_monthly_limit(&self, limit: Option<f64>) -> AppResult<SpendView> {
        let limit = limit.filter(|l| l.is_finite() && *l > 0.0);
        self.settings.update(|s| s.monthly_limit_usd = limit)?;
        Ok(self.spend())
    }

    pub fn load_settings(&self) -> LoadedSettings {
        let settings = self.settings.load();
        LoadedSettings {
            max_running_jobs: max_running_jobs(&settings),
            max_running_jobs_limit: MAX_RUNNING_JOBS_LIMIT,
            request: settings.last_request.unwrap_or_default(),
            output_dir: settings
                .output_dir
                .unwrap_or_else(|| self.paths.default_output_dir.clone()),
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
        i18n::pick(
            self.settings.load().language.as_deref(),
            i18n::system_locale().as_deref(),
        )
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

    /// The whole library, and from now on every change to it, through `subscriber`:
    /// a page, which also answers the close question.
    pub fn watch_jobs(&self, subscriber: Subscriber) -> LibrarySnapshot {
        self.jobs.subscribe(Listener::Page, subscriber);
        LibrarySnapshot {
            jobs: self.jobs.views(),
            damaged: [self.jobs.library().damaged(), self.voices.damaged()].concat(),
            voices: self.voices(),
        }
    }

    /// Every change from now on, for the desktop side (the notifier).
    pub fn observe_jobs(&self, subscriber: Subscriber) {
        self.jobs.subscribe(Listener::Desktop, subscriber);
    }

    /// Tells every subscriber; answers how many pages listened.
    pub fn publish(&self, event: &StudioEvent) -> usize {
        self.jobs.publish(event)
    }

    pub fn active_jobs(&self) -> usize {
        self.jobs.active_count()
    }

    /// Voices whose paid create call is on its way or whose id is still to come.
    pub fn voices_being_made(&self) -> usize {
        self.voices.being_made_count()
    }

    /// Starts one job for one Generate click (see `start_takes`).
    pub async fn start_job(
        &self,
        request: GenerationRequest,
        submission_id: &str,
    ) -> AppResult<JobView> {
        let order = Order {
            request,
            submission_id: submission_id.to_string(),
            takes: 1,
            past_limit_agreed: false,
        };
        let mut started = self.start_takes(order).await?;
        Ok(started.remove(0))
    }

    /// Starts `takes` jobs of one request for one Generate click, each sent once
    /// through the queue. Refused before anything is recorded or sent: a repeated
    /// `submission_id`, an invalid request, a balance Segmind said is below the
    /// estimate, or spending past the monthly limit the creator has not agreed to.
    pub async fn start_takes(&self, order: Order) -> AppResult<Vec<JobView>> {
        let Order {
            request,
            submission_id,
            takes,
            past_limit_agreed,
        } = order;
        if submission_id.trim().is_empty() || !lock(&self.submissions).insert(submission_id.clone())
        {
            return Err(AppError::new(ErrorCode::DuplicateSubmission));
        }
        let mut problems = request.validate();
        if !(1..=MAX_TAKES).contains(&takes) {
            problems.push(FieldError::new(
                "takes",
                "takes_range",
                serde_json::json!({"min": 1, "max": MAX_TAKES}),
            ));
        }
        if !problems.is_empty() {
            lock(&self.submissions).remove(&submission_id);
            return Err(AppError::invalid_request(problems));
        }
        let mut price = self.price(&request, takes);
        if price.short_of_balance {
            // The balance seen last may be old (a top-up on Segmind's site): asking
            // is free. Unreachable, Segmind itself refuses what it cannot bill.
            match self.credits().await {
                Ok(_) => price = self.price(&request, takes),
                Err(_) => price.short_of_balance = false,
            }
        }
        let refusal = if price.short_of_balance {
            Some(
                AppError::new(ErrorCode::InsufficientCredits)
                    .because("below_estimate")
                    .with("balance", price.balance.unwrap_or_default())
                    .with("estimate", price.total),
            )
        } else if price.over_limit && !past_limit_agreed {
            Some(
                AppError::new(ErrorCode::OverLimit)
                    .with("limit", price.limit.unwrap_or_default())
                    .with("month", price.month)
                    .with("estimate", price.total),
            )
        } else {
            None
        };
        if let Some(error) = refusal {
            // Nothing was sent: the same click may be made again once settled.
            lock(&self.submissions).remove(&submission_id);
            return Err(error);
        }
        let client = self.client().await?;
        self.jobs.offer_client(client);
        let set = uuid::Uuid::new_v4().to_string();
        let records = (1..=takes)
            .map(|n| {
                let mut record = JobRecord::new(uuid::Uuid::new_v4().to_string(), request.clone());
                record.take = (takes > 1).then(|| Take {
                    set: set.clone(),
                    n,
                    of: takes,
                });
                record
            })
            .collect();
        self.jobs.create(records)
    }

    /// Stops following a job. Segmind has no cancel: the job may still be billed.
    pub fn stop_following(&self, job_id: &str) -> AppResult<JobView> {
        self.jobs.stop(job_id)
    }

    /// Tries an interrupted job again: follows it or resumes its download.
    pub async fn resume_job(&self, job_id: &str) -> AppResult<JobView> {
        // A finished video downloads without a key; anything else needs one.
        match self.client().await {
            Ok(client) => self.jobs.offer_client(client),
            Err(error) if self.jobs.library().get(job_id)?.output_url.is_none() => {
                return Err(error)
            }
            Err(_) => {}
        }
        self.jobs.resume(job_id)
    }

    /// Waits a few seconds for jobs being sent to get their answer, so quitting
    /// never cuts a POST Segmind may bill; answers how many are still being sent.
    /// A voice's paid create call on its way gets the same few seconds.
    pub async fn settle_sends(&self, limit: std::time::Duration) -> usize {
        let until = tokio::time::Instant::now() + limit;
        let videos = self.jobs.settle_sends(limit).await;
        // Voices have no change signal: their one paid call is looked at a few
        // times a second, for at most what is left of the limit.
        loop {
            let voices = self.voices.sending_count();
            if voices == 0 || tokio::time::Instant::now() >= until {
                return videos + voices;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

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
            painting: crate::painting::chosen().describe(),
        };
        support::details(&app, page)
    }

    /// Checks a clip the creator chose and keeps it for `make_voice`; nothing is sent.
    pub fn stage_voice_clip(&self, bytes: &[u8]) -> AppResult<StagedClip> {
        self.voices.stage(bytes)
    }

    fn voice_view(&self, record: &VoiceRecord) -> VoiceView {
        view_of_voice(&self.jobs, record)
    }

    /// Tells the window of every change to a voice.
    fn voice_changed(&self) -> VoiceChanged {
        let jobs = Arc::clone(&self.jobs);
        Arc::new(move |change: VoiceChange<'_>| {
            let event = match change {
                VoiceChange::Stored(record) => StudioEvent::Voice {
                    voice: Box::new(view_of_voice(&jobs, record)),
                },
                VoiceChange::Forgotten(id) => StudioEvent::VoiceDeleted { id: id.to_string() },
            };
            jobs.publish(&event);
        })
    }

    pub fn voices(&self) -> Vec<VoiceView> {
        self.voices
            .list()
            .iter()
            .map(|record| self.voice_view(record))
            .collect()
    }

    /// Makes a voice from a staged clip: upload, the one paid create call, then
    /// following it until Segmind answers the voice id.
    pub async fn make_voice(
        &self,
        clip_id: &str,
        clip_name: &str,
        name: &str,
        progress: impl Fn(VoiceProgress) + Send + Sync + 'static,
    ) -> AppResult<VoiceView> {
        let client = self.client().await?;
        let record = voicing::make(
            &self.voices,
            &client,
            clip_id,
            clip_name,
            name,
            progress,
            self.voice_changed(),
        )
        .await?;
        // From here Segmind has the job: whatever goes wrong may have been billed.
        let ready = self
            .follow_voice(client, record.id)
            .await
            .map_err(|error| AppError {
                may_be_billed: error.code != ErrorCode::JobFailed,
                ..error
            })?;
        Ok(self.voice_view(&ready))
    }

    /// Follows a voice being made, unless a task already does.
    fn follow_voice(
        &self,
        client: SegmindClient,
        id: String,
    ) -> impl std::future::Future<Output = AppResult<VoiceRecord>> + Send + 'static {
        let voices = Arc::clone(&self.voices);
        let following = Arc::clone(&self.following_voices);
        let polling = self.voice_polling;
        let changed = self.voice_changed();
        async move {
            // Another task follows it (a key saved meanwhile): wait for its end.
            while !lock(&following).insert(id.clone()) {
                tokio::time::sleep(polling.interval).await;
                let record = voices.get(&id)?;
                if record.status != crate::voices::VoiceStatus::Making {
                    return Ok(record);
                }
            }
            let result = voicing::follow(&voices, &client, &id, polling, changed).await;
            lock(&following).remove(&id);
            result
        }
    }

    pub fn rename_voice(&self, id: &str, name: &str) -> AppResult<VoiceView> {
        let record = self.voices.rename(id, name)?;
        (self.voice_changed())(VoiceChange::Stored(&record));
        Ok(self.voice_view(&record))
    }

    /// Forgets a voice here. Videos made with it keep their sound.
    pub fn delete_voice(&self, id: &str) -> AppResult<()> {
        self.voices.delete(id)?;
        self.jobs
            .publish(&StudioEvent::VoiceDeleted { id: id.to_string() });
        Ok(())
    }

    /// Deletes a video; what it cost or may have cost stays in the spend.
    pub fn delete_job(&self, job_id: &str) -> AppResult<()> {
        let library = self.jobs.library().list();
        let record = self.jobs.library().get(job_id)?;
        let bill = price::bill_of(&record, &price::Rates::learn(&library));
        self.spent_ledger.remember(job_id, bill)?;
        self.jobs.delete(job_id)
    }

    /// The finished video of a job in the library, with what names it.
    fn video_of(&self, job_id: &str) -> AppResult<(PathBuf, String, DateTime<Local>)> {
        let record = self.jobs.library().get(job_id)?;
        let path = self.jobs.library().video_path(job_id);
        if record.status != RecordStatus::Ready || !path.is_file() {
            return Err(AppError::new(ErrorCode::JobNotFound)
                .because("not_ready")
                .with_detail(format!("job {job_id}")));
        }
        let created = Local
            .timestamp_millis_opt(record.created_at_ms)
            .single()
            .unwrap_or_else(Local::now);
        Ok((path, record.request.prompt, created))
    }

    /// Copies a job's video into `dir` (default: the output folder) under a new name.
    /// It copies from the library, so it works long after Segmind forgot the job.
    pub fn save_video(&self, job_id: &str, dir: Option<&Path>) -> AppResult<PathBuf> {
        let (video, prompt, created) = self.video_of(job_id)?;
        let dir = dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.load_settings().output_dir);
        self.refuse_library_destination(&dir.join("video.mp4"))?;
        let path = save::copy_without_overwrite(&video, &dir, &save::file_name(&prompt, created))
            .map_err(|e| {
            AppError::io("save_video", &e).with("path", dir.display().to_string())
        })?;
        lock(&self.saved).insert(path.clone());
        Ok(path)
    }

    /// Copies a job's video to exactly `path` (a "Save as…" choice, which the OS
    /// dialog has already confirmed if it replaces a file).
    pub fn save_video_to(&self, job_id: &str, path: &Path) -> AppResult<PathBuf> {
        let (video, _, _) = self.video_of(job_id)?;
        self.refuse_library_destination(path)?;
        save::copy_replacing(&video, path).map_err(|e| {
            AppError::io("save_video_as", &e).with("path", path.display().to_string())
        })?;
        lock(&self.saved).insert(path.to_path_buf());
        Ok(path.to_path_buf())
    }

    /// The library keeps its own files: a copy onto one of them would empty it (a
    /// file copied onto itself) or replace another job's video.
    fn refuse_library_destination(&self, path: &Path) -> AppResult<()> {
        let inside = |dir: &Path| {
            let library = std::fs::canonicalize(&self.paths.library_dir)
                .unwrap_or_else(|_| self.paths.library_dir.clone());
            std::fs::canonicalize(dir).is_ok_and(|d| d.starts_with(&library))
        };
        if path.parent().is_some_and(inside) {
            return Err(AppError::new(ErrorCode::Io)
                .because("outside_library")
                .with_detail(path.display().to_string()));
        }
        Ok(())
    }

    /// Keeps the still the page drew from a finished video (a JPEG of a few dozen
    /// KB), beside the video in the library; deleted with it.
    pub fn save_still(&self, job_id: &str, jpeg: &[u8]) -> AppResult<JobView> {
        self.video_of(job_id)?;
        let is_jpeg = jpeg.starts_with(&[0xFF, 0xD8, 0xFF]);
        if !is_jpeg || jpeg.len() > MAX_STILL_BYTES {
            return Err(AppError::new(ErrorCode::Internal)
                .because("still_not_kept")
                .with_detail(format!("{} bytes, JPEG: {is_jpeg}", jpeg.len())));
        }
        let path = self.jobs.library().still_path(job_id);
        crate::settings::write_atomically(&path, jpeg)
            .map_err(|e| AppError::io("keep_still", &e))?;
        self.jobs.refresh(job_id)
    }

    /// A suggested name for "Save as…".
    pub fn suggested_name(&self, job_id: &str) -> AppResult<String> {
        let (_, prompt, created) = self.video_of(job_id)?;
        Ok(save::file_name(&prompt, created))
    }

    /// `path` if this session saved it, or a video of the library: the webview
    /// cannot make the app reveal arbitrary files.
    pub fn revealable(&self, path: &Path) -> AppResult<PathBuf> {
        let in_library = path.parent() == Some(self.jobs.library().videos_dir()) && path.is_file();
        if in_library || lock(&self.saved).contains(path) {
            return Ok(path.to_path_buf());
        }
        Err(AppError::new(ErrorCode::JobNotFound).because("save_first"))
    }
}
