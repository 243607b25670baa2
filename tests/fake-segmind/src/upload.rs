//! The upload origin, a third listener like Segmind's `workflows-api` host: clips
//! arrive as base64 data URLs and are answered with URLs on the files origin,
//! which serves them to anyone (no key), as Segmind's public asset URLs are.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{middleware, Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};

use crate::faults::{self, Target};
use crate::record::{self, Origin, Recorder};
use crate::reply::{self, ApiError};
use crate::state::{Asset, Shared};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let recorder = Recorder {
        shared: shared.clone(),
        origin: Origin::Upload,
    };
    Router::new()
        .route("/upload-asset", post(upload))
        .fallback(reply::not_found)
        .method_not_allowed_fallback(reply::method_not_allowed)
        .layer(middleware::from_fn_with_state(recorder, record::record))
        .with_state(shared)
}

/// Where an uploaded clip is served.
pub(crate) fn asset_url(file_base: &str, name: &str) -> String {
    format!("{file_base}/assets/{name}")
}

async fn upload(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    faults::answer(&shared, Target::Upload, || async {
        if let Err(e) = crate::api::authorize(&shared, &headers) {
            return e.into_response();
        }
        let urls = match read_data_urls(&body) {
            Ok(assets) => assets
                .into_iter()
                .map(|(extension, asset)| {
                    asset_url(&shared.file_base, &shared.add_asset(extension, asset))
                })
                .collect::<Vec<_>>(),
            Err(message) => return ApiError::new(StatusCode::BAD_REQUEST, message).into_response(),
        };
        Json(json!({ "file_urls": urls, "message": "Files uploaded successfully" })).into_response()
    })
    .await
}

/// `{"data_urls":["data:<mime>;base64,<bytes>", …]}`, each decoded, with the file
/// extension its media type calls for.
fn read_data_urls(body: &[u8]) -> Result<Vec<(&'static str, Asset)>, String> {
    let body: Value =
        serde_json::from_slice(body).map_err(|e| format!("Invalid JSON body: {e}"))?;
    let urls = body
        .get("data_urls")
        .and_then(Value::as_array)
        .filter(|urls| !urls.is_empty())
        .ok_or("data_urls must be a non-empty list")?;
    urls.iter()
        .map(|url| {
            let text = url.as_str().ok_or("each data URL must be a string")?;
            let (mime, data) = text
                .strip_prefix("data:")
                .and_then(|rest| rest.split_once(";base64,"))
                .ok_or("each data URL must be data:<type>;base64,<data>")?;
            let extension = match mime {
                "audio/mpeg" | "audio/mp3" => "mp3",
                "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
                "video/mp4" | "audio/mp4" => "mp4",
                "video/quicktime" => "mov",
                "image/jpeg" => "jpg",
                "image/png" => "png",
                other => return Err(format!("Unsupported file type: {other}")),
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| format!("Invalid base64 data: {e}"))?;
            Ok((
                extension,
                Asset {
                    mime: mime.to_owned(),
                    bytes: Arc::new(bytes),
                },
            ))
        })
        .collect()
}
