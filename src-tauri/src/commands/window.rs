//! The window and its menu: quitting, running in the background, the shortcuts
//! the page passes on.

use tauri::{AppHandle, State};

use crate::error::{AppError, AppResult};
use crate::studio::Studio;

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

/// The page is drawn and answers clicks: start-up's last step, in the log.
#[tauri::command]
pub fn page_shown() {
    crate::desktop::report_page_shown();
}
