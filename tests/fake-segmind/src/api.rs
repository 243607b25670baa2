//! The API origin: credits, submitting jobs (async and blocking), and job status and results.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde_json::{json, Value};

use crate::faults::{self, Target};
use crate::record::{self, Origin, Recorder};
use crate::reply::{self, ApiError};
use crate::state::{JobView, NewJob, Phase, Shared};
use crate::validate;

/// The models this fake serves: from text, and from a first frame.
pub(crate) const MODEL: &str = "kling-3-pro-text2video";
pub(crate) const IMAGE_MODEL: &str = "kling-3-pro-image2video";
/// Makes a voice from an uploaded clip: `{"voice_url": …}` → `voice_id`.
pub(crate) const CREATE_VOICE: &str = "kling-create-voice";
const EMAIL: &str = "test@example.com";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let recorder = Recorder {
        shared: shared.clone(),
        origin: Origin::Api,
    };
    Router::new()
        .route("/v1/get-user-credits", get(credits))
        // GET on the model routes is nginx's 405 page, like any other wrong method.
        .route("/v2/{slug}", post(submit))
        .route("/v1/{slug}", post(submit_blocking))
        .route("/v2/requests/{id}/status", get(status))
        .route("/v2/requests/{id}", get(result))
        .route("/v1/requests/{id}", get(result))
        .merge(crate::admin::router())
        .fallback(reply::not_found)
        .method_not_allowed_fallback(reply::method_not_allowed)
        .layer(middleware::from_fn_with_state(recorder, record::record))
        .with_state(shared)
}

/// Segmind's two 401s differ: no key at all (including a key sent as a Bearer token)
/// versus a key it does not know.
pub(crate) fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get("x-api-key") {
        Some(key) if key.as_bytes() == shared.api_key.as_bytes() => Ok(()),
        Some(key) if !key.is_empty() => {
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "Invalid API key"))
        }
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "No API key provided. Send it in the x-api-key header.",
        )),
    }
}

async fn credits(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    faults::answer(&shared, Target::Credits, || async {
        if let Err(e) = authorize(&shared, &headers) {
            return e.into_response();
        }
        let credits = shared.credits();
        let mut response = Json(json!({ "credits": credits, "email": EMAIL })).into_response();
        set(&mut response, "x-remaining-credits", credits.to_string());
        response
    })
    .await
}

/// A 406 unless the body is declared JSON (parameters such as a charset aside).
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    // Parameters such as `; charset=utf-8` are fine; only the media type matters.
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "Invalid content type. Use application/json.",
        ));
    }
    Ok(())
}

fn insufficient_credits() -> ApiError {
    ApiError::new(
        StatusCode::NOT_ACCEPTABLE,
        "Insufficient credits. Please top up your account.",
    )
}

/// Everything both submit routes check, in order, before the job is opened and billed.
fn admit(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
    from_picture: bool,
) -> Result<NewJob, ApiError> {
    authorize(shared, headers)?;
    require_json(headers)?;
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("Invalid JSON body: {e}")))?;
    let accepted = validate::generation_request(&body, from_picture)
        .map_err(|message| ApiError::new(StatusCode::BAD_REQUEST, message))?;
    // Each picture is one this fake's asset store handed out, and one Kling reads:
    // a JPEG or PNG of at most 10 MB (the contract's image limits).
    for url in &accepted.pictures {
        let asset = url
            .strip_prefix(&format!("{}/assets/", shared.file_base))
            .and_then(|name| shared.asset(name))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "Image URL must be a file uploaded to Segmind.",
                )
            })?;
        let picture = asset.bytes.starts_with(&[0xFF, 0xD8, 0xFF])
            || asset.bytes.starts_with(b"\x89PNG\r\n\x1a\n");
        if !picture || asset.bytes.len() > 10 * 1024 * 1024 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "Image pixel is invalid",
            ));
        }
    }
    shared
        .open_job(&accepted)
        .map_err(|_| insufficient_credits())
}

/// A create-voice call: a URL this fake's asset store issued, of a clip it can
/// hear. A WAV outside 5-30 s is accepted and billed, then FAILS (refunded), as
/// Kling checks the clip while it works; other formats' lengths are not checked.
fn admit_voice(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<NewJob, ApiError> {
    authorize(shared, headers)?;
    require_json(headers)?;
    let bad = |message: &str| ApiError::new(StatusCode::BAD_REQUEST, message.to_owned());
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("Invalid JSON body: {e}")))?;
    let fields = body
        .as_object()
        .ok_or_else(|| bad("The body must be an object."))?;
    if let Some(unknown) = fields.keys().find(|k| *k != "voice_url") {
        return Err(bad(&format!("Unknown field: {unknown}")));
    }
    let url = fields
        .get("voice_url")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("voice_url is required."))?;
    let asset = url
        .strip_prefix(&format!("{}/assets/", shared.file_base))
        .and_then(|name| shared.asset(name))
        .ok_or_else(|| bad("voice_url must be a file uploaded to Segmind."))?;
    let failure = validate::wav_millis(&asset.bytes)
        .filter(|millis| !(5000..=30000).contains(millis))
        .map(|_| "The audio must be between 5 and 30 seconds long.".to_owned());
    shared
        .open_voice_job(failure)
        .map_err(|_| insufficient_credits())
}

async fn create_voice(shared: Arc<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    faults::answer(&shared, Target::CreateVoice, || async {
        match admit_voice(&shared, &headers, &body) {
            Ok(job) => accepted(&shared, job),
            Err(e) => e.into_response(),
        }
    })
    .await
}

/// The answer to an accepted async call: where to follow the job.
fn accepted(shared: &Shared, job: NewJob) -> Response {
    let base = &shared.api_base;
    let id = &job.id;
    let mut response = Json(json!({
        "request_id": id,
        "status": "QUEUED",
        "poll_url": format!("{base}/v1/requests/{id}"),
        "status_url": format!("{base}/v2/requests/{id}/status"),
        "response_url": format!("{base}/v2/requests/{id}"),
    }))
    .into_response();
    set(&mut response, "x-request-id", job.id.clone());
    set(
        &mut response,
        "x-remaining-credits",
        job.remaining_credits.to_string(),
    );
    response
}

/// An unknown model is a 404, but only for a caller with a valid key.
fn unknown_model(shared: &Shared, headers: &HeaderMap) -> Response {
    authorize(shared, headers)
        .err()
        .unwrap_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Model not found"))
        .into_response()
}

async fn submit(
    State(shared): State<Arc<Shared>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if slug == CREATE_VOICE {
        return create_voice(shared, headers, body).await;
    }
    if slug != MODEL && slug != IMAGE_MODEL {
        return unknown_model(&shared, &headers);
    }
    faults::answer(&shared, Target::Submit, || async {
        match admit(&shared, &headers, &body, slug == IMAGE_MODEL) {
            Ok(job) => accepted(&shared, job),
            Err(e) => e.into_response(),
        }
    })
    .await
}

/// The v1 call holds the connection for the whole generation, then answers the MP4 itself.
async fn submit_blocking(
    State(shared): State<Arc<Shared>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if slug != MODEL {
        return unknown_model(&shared, &headers);
    }
    faults::answer(&shared, Target::SubmitBlocking, || async {
        let job = match admit(&shared, &headers, &body, false) {
            Ok(job) => job,
            Err(e) => return e.into_response(),
        };
        tokio::select! {
            () = tokio::time::sleep_until(job.done_at) => {}
            // Never delivered: the connection refuses writes once shutdown has fired.
            () = shared.shutdown.wait() => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
        let Some(view) = shared.job(&job.id) else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        if view.phase == Phase::Failed {
            return failed(view.failure.unwrap_or_default());
        }
        let mut response = (
            [(header::CONTENT_TYPE, "video/mp4")],
            Bytes::from_static(crate::CLIP),
        )
            .into_response();
        set(&mut response, "x-cost", view.cost.to_string());
        set(
            &mut response,
            "x-remaining-credits",
            shared.credits().to_string(),
        );
        set(&mut response, "x-request-id", job.id);
        set(
            &mut response,
            "x-generation-time",
            seconds(shared.timings.total()).to_string(),
        );
        response
    })
    .await
}

async fn status(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    faults::answer(&shared, Target::Status, || async {
        let job = match live_job(&shared, &headers, &id) {
            Ok(job) => job,
            Err(answer) => return answer.into_response(),
        };
        let t = shared.timings;
        let (status, metrics) = match job.phase {
            Phase::Queued => ("QUEUED", json!({ "queue_time": seconds(job.elapsed) })),
            Phase::Processing => (
                "PROCESSING",
                json!({
                    "queue_time": seconds(t.queued),
                    "inference_time": seconds(job.elapsed.saturating_sub(t.queued)),
                }),
            ),
            Phase::Completed => (
                "COMPLETED",
                completed_metrics(&shared, job.cost, shared.credits()),
            ),
            Phase::Failed => return failed(job.failure.unwrap_or_default()),
        };
        Json(json!({ "status": status, "request_id": id, "metrics": metrics })).into_response()
    })
    .await
}

async fn result(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    faults::answer(&shared, Target::Result, || async {
        let job = match live_job(&shared, &headers, &id) {
            Ok(job) => job,
            Err(answer) => return answer.into_response(),
        };
        let pending = |status| Json(json!({ "status": status, "error": null, "output": null }));
        match job.phase {
            Phase::Queued => pending("QUEUED").into_response(),
            Phase::Processing => pending("PROCESSING").into_response(),
            Phase::Failed => failed(job.failure.unwrap_or_default()),
            Phase::Completed if job.voice_id.is_some() => {
                let credits = shared.credits();
                Json(json!({
                    "status": "COMPLETED",
                    "error": null,
                    "output": { "voice_id": job.voice_id },
                    "metrics": completed_metrics(&shared, job.cost, credits),
                }))
                .into_response()
            }
            Phase::Completed => {
                let url = crate::files::url(&shared.file_base, &id);
                let credits = shared.credits();
                let mut response = Json(json!({
                    "status": "COMPLETED",
                    "error": null,
                    "output": url,
                    "video": {
                        "url": url,
                        "content_type": "video/mp4",
                        "file_name": format!("{id}.mp4"),
                        "file_size": crate::CLIP.len(),
                    },
                    "metrics": completed_metrics(&shared, job.cost, credits),
                }))
                .into_response();
                set(&mut response, "x-remaining-credits", credits.to_string());
                response
            }
        }
    })
    .await
}

fn completed_metrics(shared: &Shared, cost: f64, credits: f64) -> Value {
    let t = shared.timings;
    json!({
        "cost": cost,
        "remaining_credits": credits,
        "inference_time": seconds(t.processing),
        "queue_time": seconds(t.queued),
        "total_time": seconds(t.total()),
    })
}

/// A failed job answers 422, from every job endpoint, with the reason.
fn failed(reason: String) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "status": "FAILED", "error": reason, "metrics": {} })),
    )
        .into_response()
}

/// The job a job route asks about, or the answer that says why not (401, 404
/// once unknown or expired).
fn live_job(shared: &Shared, headers: &HeaderMap, id: &str) -> Result<JobView, ApiError> {
    authorize(shared, headers)?;
    shared
        .job(id)
        .filter(|job| !job.expired)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Request not found"))
}

/// Seconds with millisecond precision, as Segmind reports times.
fn seconds(d: Duration) -> f64 {
    d.as_millis() as f64 / 1000.0
}

fn set(response: &mut Response, name: &'static str, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
}
