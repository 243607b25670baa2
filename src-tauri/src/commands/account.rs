//! The creator's Segmind account: the key (checked, then kept in the keychain) and
//! the balance.

use tauri::State;

use crate::error::AppResult;
use crate::keystore::KeyStatus;
use crate::studio::{SavedKey, Studio};

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
