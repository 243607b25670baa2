//! The app's use cases, free of any window, one feature per file: the account
//! (`account`), money (`money`), the creator's choices (`preferences`), making
//! videos (`videos`), their files (`files`), voices (`voices`) and support
//! (`support`). The Tauri commands are thin calls into these; `Studio` holds
//! what they share.

mod account;
mod files;
pub mod form_rules;
mod money;
mod pictures;
mod preferences;
mod support;
mod videos;
mod voices;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::Serialize;

pub use account::SavedKey;
pub use money::{PriceView, SpendView};
pub use pictures::PictureView;
pub use preferences::{LoadedSettings, DEFAULT_MAX_RUNNING_JOBS, MAX_RUNNING_JOBS_LIMIT};
pub use videos::{AnotherTake, Order, MAX_TAKES};

use crate::client::ClientConfig;
use crate::jobs::library::Library;
use crate::jobs::{JobManager, JobView, Listener, PollPolicy, StudioEvent, Subscriber};
use crate::keystore::KeyStore;
use crate::library_lock::LibraryLock;
use crate::media_server::MediaServer;
use crate::price;
use crate::records::DamagedEntry;
use crate::settings::SettingsFile;
use crate::voices::making::{self, VoicePolling};
use crate::voices::{VoiceBook, VoiceView};
use preferences::max_running_jobs;

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
    settings: Arc<SettingsFile>,
    client_config: ClientConfig,
    jobs: Arc<JobManager>,
    /// Every Generate click's id, so a repeated click or shortcut never sends twice.
    submissions: Mutex<HashSet<String>>,
    /// The balance Segmind last reported: a request it cannot cover is not sent.
    balance: Mutex<Option<f64>>,
    /// What deleted videos cost: still spent.
    spent_ledger: price::SpentLedger,
    /// Saving finished videos as files (shared with the saver that saves each
    /// one as it finishes).
    files: files::VideoFiles,
    voices: Arc<VoiceBook>,
    voice_polling: VoicePolling,
    /// Voices whose create job a task is following now: never two at once.
    following_voices: Arc<Mutex<HashSet<String>>>,
}

/// The library as the window first sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LibrarySnapshot {
    pub jobs: Vec<JobView>,
    /// Records that could not be read, set aside; every other job is kept.
    pub damaged: Vec<DamagedEntry>,
    /// The creator's voices, newest first.
    pub voices: Vec<VoiceView>,
}

impl Studio {
    /// Opens the library and starts its media server. Fails with an error for which
    /// `library_lock::is_held_elsewhere` holds when another copy of the app has it.
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
        making::recover_interrupted(&voices);
        let media =
            MediaServer::start(library.videos_dir(), voices.dir(), library.pictures().dir())
                .await?;
        let voice_polling = VoicePolling {
            interval: poll.interval,
            max_pause: poll.max_retry_pause,
            deadline: poll.deadline,
        };
        let settings = Arc::new(SettingsFile::new(&paths.config_dir));
        let max_running = max_running_jobs(&settings.load());
        let jobs = JobManager::new(library, media, &client_config, max_running, poll)
            .map_err(std::io::Error::other)?;
        // Before any drive exists: a job found mid-send is never sent again.
        jobs.recover_interrupted();
        jobs.reread_kept_answers();
        jobs.keep_saving();
        let files = files::VideoFiles {
            jobs: Arc::clone(&jobs),
            settings: Arc::clone(&settings),
            library_dir: paths.library_dir.clone(),
            default_output_dir: paths.default_output_dir.clone(),
        };
        files.save_each_as_it_finishes();
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
            files,
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
}

/// A studio over a library in `dir`, whose Segmind is nowhere (nothing listens
/// on port 9): for the use cases that must refuse before anything is sent.
#[cfg(test)]
pub(crate) async fn studio_for_tests(dir: &std::path::Path) -> Studio {
    let paths = StudioPaths {
        library_dir: dir.join("library"),
        config_dir: dir.join("config"),
        default_output_dir: dir.join("Videos/Kling Studio"),
    };
    let nowhere = url::Url::parse("http://127.0.0.1:9/").unwrap();
    Studio::start(
        paths,
        ClientConfig::new(nowhere),
        PollPolicy::default(),
        "kling-studio-unit-test",
    )
    .await
    .unwrap()
}
