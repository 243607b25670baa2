//! Making videos: the form's rules, the library and its changes, a Generate click,
//! stop, try again, delete.

use std::sync::Arc;

use tauri::ipc::Channel;
use tauri::State;

use crate::error::FieldError;
use crate::error::{AppError, AppResult};
use crate::jobs::{JobView, StudioEvent};
use crate::request::GenerationRequest;
use crate::studio::form_rules::{form_rules as rules, FormRules};
use crate::studio::{AnotherTake, LibrarySnapshot, Order, PictureView, Studio};

/// Asked at start-up, before the page's modules load (ui/early.js).
#[tauri::command]
pub fn form_rules() -> FormRules {
    crate::desktop::report_first_command();
    rules()
}

#[tauri::command]
pub fn validate_request(request: GenerationRequest) -> Vec<FieldError> {
    request.validate()
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

/// One "Another take" click: one more video of a job's request, in its set.
#[tauri::command]
pub async fn another_take(studio: State<'_, Studio>, order: AnotherTake) -> AppResult<JobView> {
    log::info!(
        "command another_take: click {}, of job {}",
        order.submission_id,
        order.job_id
    );
    studio.another_take(order).await
}

#[tauri::command]
pub async fn keep_take(studio: State<'_, Studio>, job_id: String) -> AppResult<JobView> {
    log::info!("command keep_take: job {job_id}");
    crate::blocking::run(|| studio.keep_take(&job_id))
}

/// A chosen picture's bytes, as a raw body; `field` says which frame it is for.
#[tauri::command]
pub async fn stage_picture(
    studio: State<'_, Studio>,
    request: tauri::ipc::Request<'_>,
) -> AppResult<PictureView> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::internal(
            "stage_picture expects the picture as a raw body",
        ));
    };
    let field = request
        .headers()
        .get(FRAME_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    log::info!("command stage_picture: {field}, {} bytes", bytes.len());
    crate::blocking::run(|| studio.stage_picture(&field, bytes))
}

/// Which frame a staged picture is for: a header beside its raw bytes.
const FRAME_HEADER: &str = "x-frame-field";

/// A picture of the library, for a request filled back into the form.
#[tauri::command]
pub async fn picture(studio: State<'_, Studio>, name: String) -> AppResult<PictureView> {
    crate::blocking::run(|| studio.picture(&name))
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
