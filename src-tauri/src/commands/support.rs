//! Help: the log folder, the details for a support request, Segmind's pages.

use serde::Deserialize;
use tauri::{AppHandle, State};

use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::studio::Studio;

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
            .because(Reason::OpenBrowser)
            .with("url", url.to_string())
            .with_detail(e.to_string())
    })
}
