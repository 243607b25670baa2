//! What the creator chose: the last form, the output folder, the language, how
//! many videos are made at once.

use std::path::PathBuf;

use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use super::files::chosen_path;
use crate::error::AppResult;
use crate::i18n::{self, PageWords};
use crate::request::GenerationRequest;
use crate::studio::{LoadedSettings, Studio};

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
