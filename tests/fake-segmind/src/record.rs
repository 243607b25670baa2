//! The log of every request the fake saw, and the middleware that writes it.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::reply::ApiError;
use crate::state::Shared;

/// Request bodies are JSON documents, the largest an uploaded clip as base64 (the
/// app uploads at most 20 MiB); anything far larger is a client bug.
const MAX_BODY: usize = 48 * 1024 * 1024;

/// Which of the two listeners saw a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The API origin (`base_url`).
    Api,
    /// The origin that serves output files and uploaded clips (`file_base_url`).
    Files,
    /// The asset store's origin, where clips are uploaded (`upload_base_url`).
    Upload,
}

/// One request as it arrived, before any fault or handler touched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub origin: Origin,
    pub method: String,
    /// The path only; the query string is in `query`.
    pub path: String,
    pub query: Option<String>,
    /// In arrival order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// In JSON this is a string (invalid UTF-8 replaced), as bodies here are JSON or empty.
    #[serde(with = "lossy_text")]
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// State of the recording middleware: where to record, and as which origin.
#[derive(Clone)]
pub(crate) struct Recorder {
    pub shared: Arc<Shared>,
    pub origin: Origin,
}

/// Records the request, then hands it on unchanged. Runs before the handlers, so a
/// request that then meets a fault is still recorded. Admin calls are not traffic
/// under test and are left out.
pub(crate) async fn record(State(rec): State<Recorder>, req: Request, next: Next) -> Response {
    if crate::admin::is_admin_path(req.uri().path()) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.")
            .into_response();
    };
    rec.shared.record(RecordedRequest {
        origin: rec.origin,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: bytes.to_vec(),
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Bodies as text in JSON, so that scripts reading `/_fake/requests` see the JSON sent.
mod lossy_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(body: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(body))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(String::deserialize(d)?.into_bytes())
    }
}
