//! The Tauri commands: a few lines each, handing off to `Studio` and the request
//! rules. Native dialogs and the file manager are opened from here, so the webview
//! needs no permission of its own for them.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::FieldError;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::i18n::{self, PageWords};
use crate::jobs::{JobView, StudioEvent};
use crate::keystore::KeyStatus;
use crate::request::GenerationRequest;
use crate::studio::form_rules::{form_rules as rules, FormRules};
use crate::studio::{
    LibrarySnapshot, LoadedSettings, Order, PriceView, SavedKey, SpendView, Studio,
};
use crate::voices::making::VoiceProgress;
use crate::voices::{StagedClip, VoiceView};

/// Fixed pages the app may open in the browser; the webview cannot name a URL.
const API_KEYS_URL: &str = "https://cloud.segmind.com/console/api-keys";
const TOP_UP_URL: &str = "https://cloud.segmind.com/console/billing";

#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HelpLink {
    ApiKeys,
    TopUp,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SavedFile {
    pub path: PathBuf,
}

/// The page's first call at start-up.
#[tauri::command]
pub fn form_rules() -> FormRules {
    crate::desktop::report_first_command();
    rules()
}

#[tauri::command]
pub fn validate_request(request: GenerationRequest) -> Vec<FieldError> {
    request.validate()
}

#[tauri::command]
pub async fn key_status(studio: State<'_, Studio>) -> AppResult<KeyStatus> {
    studio.key_status().await
}

#[tauri::command]
pub async fn save_api_key(
    studio: State<'_, Studio>,
    key: String,
    session_only: bool,
) -> AppResult<SavedKey> {
    log::info!("command save_api_key (session only: {session_only})");
    studio.save_api_key(&key, session_only).await
}

#[tauri::command]
pub async fn remove_api_key(studio: State<'_, Studio>) -> AppResult<KeyStatus> {
    log::info!("command remove_api_key");
    studio.remove_api_key().await
}

#[tauri::command]
pub async fn get_credits(studio: State<'_, Studio>) -> AppResult<f64> {
    studio.credits().await
}

#[tauri::command]
pub async fn load_settings(studio: State<'_, Studio>) -> AppResult<LoadedSettings> {
    Ok(studio.load_settings())
}

#[tauri::command]
pub async fn remember_request(
    studio: State<'_, Studio>,
    request: GenerationRequest,
) -> AppResult<()> {
    crate::blocking::run(|| studio.remember_request(request))
}

/// The catalogue of the language in use, and the languages on offer.
#[tauri::command]
pub async fn words(studio: State<'_, Studio>) -> AppResult<PageWords> {
    Ok(studio.words())
}

#[tauri::command]
pub async fn set_language(
    app: AppHandle,
    studio: State<'_, Studio>,
    lang: String,
) -> AppResult<PageWords> {
    let words = studio.set_language(&lang)?;
    if let Err(error) = crate::app_menu::install(&app, words.lang) {
        log::warn!("the menu keeps its old words: {error}");
    }
    Ok(words)
}

#[tauri::command]
pub async fn set_max_running_jobs(studio: State<'_, Studio>, count: usize) -> AppResult<usize> {
    studio.set_max_running_jobs(count)
}

/// The library now, and every change to it from now on through `on_event`.
#[tauri::command]
pub async fn watch_jobs(
    studio: State<'_, Studio>,
    on_event: Channel<StudioEvent>,
) -> AppResult<LibrarySnapshot> {
    // A reloaded or closed page drops its channel; it is then forgotten.
    let subscriber = Arc::new(move |event: &StudioEvent| on_event.send(event.clone()).is_ok());
    let snapshot = studio.watch_jobs(subscriber);
    crate::desktop::report_library_delivered();
    Ok(snapshot)
}

/// One Generate click: `order.takes` videos of one request.
#[tauri::command]
pub async fn start_job(studio: State<'_, Studio>, order: Order) -> AppResult<Vec<JobView>> {
    log::info!(
        "command start_job: click {}, {} take(s)",
        order.submission_id,
        order.takes
    );
    studio.start_takes(order).await
}

/// The price before the click, for `takes` videos of this request.
#[tauri::command]
pub async fn estimate_price(
    studio: State<'_, Studio>,
    request: GenerationRequest,
    takes: u8,
) -> AppResult<PriceView> {
    Ok(studio.price(&request, takes))
}

/// The spend after: this week, this month, in total, and the balance.
#[tauri::command]
pub async fn spend_summary(studio: State<'_, Studio>) -> AppResult<SpendView> {
    Ok(studio.spend())
}

#[tauri::command]
pub async fn set_monthly_limit(
    studio: State<'_, Studio>,
    limit: Option<f64>,
) -> AppResult<SpendView> {
    studio.set_monthly_limit(limit)
}

#[tauri::command]
pub async fn stop_following(studio: State<'_, Studio>, job_id: String) -> AppResult<JobView> {
    log::info!("command stop_following: job {job_id}");
    studio.stop_following(&job_id)
}

#[tauri::command]
pub async fn resume_job(studio: State<'_, Studio>, job_id: String) -> AppResult<JobView> {
    log::info!("command resume_job: job {job_id}");
    studio.resume_job(&job_id).await
}

#[tauri::command]
pub async fn delete_job(studio: State<'_, Studio>, job_id: String) -> AppResult<()> {
    log::info!("command delete_job: job {job_id}");
    crate::blocking::run(|| studio.delete_job(&job_id))
}

/// "Quit anyway": unfinished jobs wait in the library for the next start. A job
/// being sent gets a few seconds for its answer first: cut off, it could be
/// billed without the app ever learning its id.
#[tauri::command]
pub async fn quit_app(
    app: AppHandle,
    studio: State<'_, Studio>,
    quitting: State<'_, crate::desktop::Quitting>,
) -> AppResult<()> {
    log::info!("command quit_app");
    studio.settle_sends(crate::desktop::QUIT_SETTLE).await;
    quitting.confirm();
    app.exit(0);
    Ok(())
}

/// "Keep making them": the window gets out of the way, the jobs go on.
#[tauri::command]
pub fn run_in_background(window: tauri::WebviewWindow) -> AppResult<()> {
    window
        .minimize()
        .map_err(|e| AppError::internal(e.to_string()))
}

/// The page's still of a finished video: the JPEG bytes as the raw body (no JSON
/// array of numbers), the job in the `job-id` header.
#[tauri::command]
pub async fn save_still(
    studio: State<'_, Studio>,
    request: tauri::ipc::Request<'_>,
) -> AppResult<JobView> {
    let job_id = request
        .headers()
        .get("job-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let tauri::ipc::InvokeBody::Raw(jpeg) = request.body() else {
        return Err(AppError::internal(
            "save_still expects the JPEG as a raw body",
        ));
    };
    crate::blocking::run(|| studio.save_still(job_id, jpeg))
}

/// A clip the creator chose for a voice: its bytes as the raw body. Checked and
/// kept for `make_voice`; nothing is sent anywhere.
#[tauri::command]
pub async fn stage_voice_clip(
    studio: State<'_, Studio>,
    request: tauri::ipc::Request<'_>,
) -> AppResult<StagedClip> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::internal(
            "stage_voice_clip expects the clip as a raw body",
        ));
    };
    crate::blocking::run(|| studio.stage_voice_clip(bytes))
}

/// Makes a voice from a staged clip, telling `on_progress` how far it got.
#[tauri::command]
pub async fn make_voice(
    studio: State<'_, Studio>,
    clip_id: String,
    clip_name: String,
    name: String,
    on_progress: Channel<VoiceProgress>,
) -> AppResult<VoiceView> {
    log::info!("command make_voice: clip {clip_id}");
    studio
        .make_voice(&clip_id, &clip_name, &name, move |step| {
            let _ = on_progress.send(step);
        })
        .await
}

#[tauri::command]
pub async fn rename_voice(
    studio: State<'_, Studio>,
    id: String,
    name: String,
) -> AppResult<VoiceView> {
    log::info!("command rename_voice: voice {id}");
    studio.rename_voice(&id, &name)
}

#[tauri::command]
pub async fn delete_voice(studio: State<'_, Studio>, id: String) -> AppResult<()> {
    log::info!("command delete_voice: voice {id}");
    studio.delete_voice(&id)
}

#[tauri::command]
pub async fn save_video(studio: State<'_, Studio>, job_id: String) -> AppResult<SavedFile> {
    log::info!("command save_video: job {job_id}");
    crate::blocking::run(|| studio.save_video(&job_id, None)).map(|path| SavedFile { path })
}

#[tauri::command]
pub async fn save_video_as(
    app: AppHandle,
    studio: State<'_, Studio>,
    job_id: String,
) -> AppResult<Option<SavedFile>> {
    let name = studio.suggested_name(&job_id)?;
    let dialog = app
        .dialog()
        .file()
        .set_title(i18n::tr(studio.language(), "file_dialog.save_as", &[]))
        .set_directory(studio.load_settings().output_dir)
        .set_file_name(name)
        .add_filter(
            i18n::tr(studio.language(), "file_dialog.mp4", &[]),
            &["mp4"],
        );
    let Some(path) = chosen_path(|answer| dialog.save_file(answer)).await? else {
        return Ok(None);
    };
    crate::blocking::run(|| studio.save_video_to(&job_id, &path))
        .map(|path| Some(SavedFile { path }))
}

/// Opens a native file dialog (`open` hands it its callback) and waits for the
/// creator's choice: `None` when they cancel.
async fn chosen_path(
    open: impl FnOnce(Box<dyn FnOnce(Option<tauri_plugin_dialog::FilePath>) + Send>),
) -> AppResult<Option<PathBuf>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    open(Box::new(move |chosen| {
        let _ = tx.send(chosen);
    }));
    match rx.await.ok().flatten() {
        Some(chosen) => chosen
            .into_path()
            .map(Some)
            .map_err(|e| AppError::internal(e.to_string())),
        None => Ok(None),
    }
}

#[tauri::command]
pub async fn choose_output_folder(
    app: AppHandle,
    studio: State<'_, Studio>,
) -> AppResult<Option<PathBuf>> {
    let dialog = app
        .dialog()
        .file()
        .set_title(i18n::tr(
            studio.language(),
            "file_dialog.choose_folder",
            &[],
        ))
        .set_directory(studio.load_settings().output_dir);
    let Some(dir) = chosen_path(|answer| dialog.pick_folder(answer)).await? else {
        return Ok(None);
    };
    studio.set_output_dir(dir.clone())?;
    Ok(Some(dir))
}

#[tauri::command]
pub async fn show_in_folder(studio: State<'_, Studio>, path: PathBuf) -> AppResult<()> {
    let path = studio.revealable(&path)?;
    tauri_plugin_opener::reveal_item_in_dir(&path).map_err(|e| {
        AppError::new(ErrorCode::Io)
            .because("open_folder")
            .with_detail(e.to_string())
    })
}

/// The menu's shortcuts the page must pass on, on this system (`app_menu`).
#[tauri::command]
pub fn menu_keys() -> Vec<crate::app_menu::PageKey> {
    crate::app_menu::keys_the_page_routes()
}

/// A menu item chosen by its shortcut in the page: what the menu itself does.
#[tauri::command]
pub fn choose_menu_item(app: AppHandle, action: crate::app_menu::MenuAction) {
    crate::app_menu::choose(&app, action);
}

/// Opens the folder the app writes its logs to, for a support request.
#[tauri::command]
pub async fn open_logs_folder(app: AppHandle) -> AppResult<()> {
    crate::desktop::open_logs_folder(&app)
}

/// The text "Copy details for support" copies: never the key.
#[tauri::command]
pub async fn support_details(
    app: AppHandle,
    studio: State<'_, Studio>,
    page: crate::support::PageFacts,
) -> AppResult<String> {
    Ok(studio
        .support_details(&page, &crate::desktop::logs_dir(&app)?)
        .await)
}

#[tauri::command]
pub async fn open_help_link(link: HelpLink) -> AppResult<()> {
    let url = match link {
        HelpLink::ApiKeys => API_KEYS_URL,
        HelpLink::TopUp => TOP_UP_URL,
    };
    tauri_plugin_opener::open_url(url, None::<&str>).map_err(|e| {
        AppError::new(ErrorCode::Io)
            .because("open_browser")
            .with("url", url.to_string())
            .with_detail(e.to_string())
    })
}
