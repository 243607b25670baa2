//! A finished video as a file: Save, Save as…, its still, Show file, and whether
//! each one is saved by itself. Native dialogs and the file manager are opened
//! here, so the webview needs no permission of its own for them.

use std::path::PathBuf;

use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::i18n::{self};
use crate::jobs::JobView;
use crate::studio::Studio;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SavedFile {
    pub path: PathBuf,
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
pub(super) async fn chosen_path(
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

/// Reveals the job's saved copy in the system's file manager, saving it into the
/// output folder first when there is none.
#[tauri::command]
pub async fn show_video_file(studio: State<'_, Studio>, job_id: String) -> AppResult<()> {
    let path = crate::blocking::run(|| studio.video_file_to_show(&job_id))?;
    tauri_plugin_opener::reveal_item_in_dir(&path).map_err(|e| {
        AppError::new(ErrorCode::Io)
            .because(Reason::OpenFolder)
            .with_detail(e.to_string())
    })
}

#[tauri::command]
pub async fn set_save_finished_videos(studio: State<'_, Studio>, on: bool) -> AppResult<bool> {
    crate::blocking::run(|| studio.set_save_finished_videos(on))
}
