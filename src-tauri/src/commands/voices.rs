//! Voices: a clip checked and kept, made into a voice, renamed, deleted.

use tauri::ipc::Channel;
use tauri::State;

use crate::error::{AppError, AppResult};
use crate::studio::Studio;
use crate::voices::making::VoiceProgress;
use crate::voices::{StagedClip, VoiceView};

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
