//! One-shot faults: what they are, and how a route answers when one is queued for it.

use std::future::{ready, Future};
use std::io;
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::{stream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::reply::ApiError;
use crate::server::Shutdown;
use crate::state::Shared;

/// A route (or group of routes) that faults can be queued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// `GET /v1/get-user-credits`
    Credits,
    /// `POST /v2/kling-3-pro-text2video`
    Submit,
    /// `POST /v1/kling-3-pro-text2video`
    SubmitBlocking,
    /// `GET /v2/requests/<id>/status`
    Status,
    /// `GET /v2/requests/<id>` and `GET /v1/requests/<id>`
    Result,
    /// `GET /files/<id>.mp4` and `GET /assets/<name>` on the files origin
    File,
    /// `POST /upload-asset` on the upload origin
    Upload,
    /// `POST /v2/kling-create-voice`
    CreateVoice,
}

/// What the next request to a target gets instead of (or on top of) its normal answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer this status, body and content type instead.
    Status {
        code: u16,
        body: String,
        #[serde(deserialize_with = "static_str")]
        content_type: StaticStr,
    },
    /// 429 `{"error":"Rate limit exceeded"}` with `x-rate-limit-reset-at-utc` set
    /// `reset_after` from now (rounded up to the second), and no `Retry-After`.
    RateLimited {
        #[serde(rename = "reset_after_ms", with = "millis")]
        reset_after: Duration,
    },
    /// Accept the request and never answer; the connection closes at shutdown.
    Hang,
    /// The normal status and headers, `Content-Length` of the full body, then only
    /// `after` bytes of it before the connection is cut.
    TruncatedBody { after: usize },
    /// The normal answer, body sent `chunk` bytes at a time, one chunk per `delay`.
    SlowBody {
        chunk: usize,
        #[serde(rename = "delay_ms", with = "millis")]
        delay: Duration,
    },
    /// The normal JSON answer with its inferred fields in other shapes the
    /// contract allows for: `status` in lower case, `video` a plain URL string
    /// (the `output` URL), `metrics` a string.
    OddShape,
    /// `302 Found` to `location` instead of the answer.
    Redirect { location: String },
    /// The normal answer with `output` as a string holding JSON (Segmind's SDK
    /// 1.1.0: "the v2 async output is a stringified copy of the provider JSON"):
    /// a video's `{"video":{"url":…}}`, a voice's `{"voice_id":…}`; `video` is gone.
    StringOutput,
    /// The upload's answer as Segmind's storage docs show it: `urls`, not `file_urls`.
    UploadUrls,
    /// A COMPLETED result whose `output` names no web address at all (a storage
    /// key), and no `video`: a shape no version of the app can read.
    NoReadableUrl,
}

/// Answers a request to `target`: the normal answer from `normal`, unless a fault is
/// queued for the target, in which case the oldest one is used up.
///
/// Faults that only damage the delivery (`TruncatedBody`, `SlowBody`) still run the
/// normal handling: on a submit the job is then created and billed even though the
/// client may never learn its id, which is the case the client must never retry.
pub(crate) async fn answer<F, Fut>(shared: &Shared, target: Target, normal: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Response>,
{
    let Some(fault) = shared.pop_fault(target) else {
        return normal().await;
    };
    match fault {
        Fault::Status {
            code,
            body,
            content_type,
        } => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let content_type = HeaderValue::from_str(content_type)
                .unwrap_or(HeaderValue::from_static("text/plain"));
            (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Fault::RateLimited { reset_after } => {
            let mut response =
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded").into_response();
            if let Ok(value) = HeaderValue::from_str(&reset_at(Utc::now(), reset_after)) {
                response
                    .headers_mut()
                    .insert("x-rate-limit-reset-at-utc", value);
            }
            response
        }
        Fault::Hang => {
            shared.shutdown.wait().await;
            // Never delivered: the connection refuses writes once shutdown has fired.
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Fault::TruncatedBody { after } => truncate(normal().await, after).await,
        Fault::OddShape => reshape(normal().await).await,
        Fault::StringOutput | Fault::UploadUrls | Fault::NoReadableUrl => {
            rework(normal().await, &fault).await
        }
        Fault::Redirect { location } => {
            let location =
                HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/"));
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }
        Fault::SlowBody { chunk, delay } => {
            slow(normal().await, chunk, delay, shared.shutdown.clone()).await
        }
    }
}

/// `now + after` as RFC 3339 UTC to the second, rounded up so that a client waiting
/// until then has waited at least `after`.
fn reset_at(now: DateTime<Utc>, after: Duration) -> String {
    // Capped so absurd durations cannot overflow the calendar.
    let after_ms = after.as_millis().min(10 * 365 * 24 * 3600 * 1000) as i64;
    let secs = (now.timestamp_millis() + after_ms + 999).div_euclid(1000);
    DateTime::<Utc>::from_timestamp(secs, 0)
        .unwrap_or(now)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The body of a response, whole: faults rework the bytes a handler produced.
async fn split(response: Response) -> (axum::http::response::Parts, Bytes) {
    let (parts, body) = response.into_parts();
    // Handler bodies are in-memory buffers, so this cannot fail.
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    (parts, bytes)
}

/// How long the cut waits after the last bytes: hyper sends buffered bytes only once
/// the body stops yielding, so erroring at once would lose the head and the prefix.
const FLUSH_PAUSE: Duration = Duration::from_millis(25);

async fn truncate(response: Response, after: usize) -> Response {
    let (mut parts, bytes) = split(response).await;
    // The promised length is the full one, so the client sees a short body, not a short file.
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let head = bytes.slice(..after.min(bytes.len()));
    let cut = async {
        tokio::time::sleep(FLUSH_PAUSE).await;
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "fake-segmind: truncated body fault",
        ))
    };
    let body = stream::once(ready(Ok::<Bytes, io::Error>(head))).chain(stream::once(cut));
    Response::from_parts(parts, Body::from_stream(body))
}

async fn reshape(response: Response) -> Response {
    let (mut parts, bytes) = split(response).await;
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if let Some(status) = json.get("status").and_then(|s| s.as_str()) {
        json["status"] = status.to_lowercase().into();
    }
    if let Some(output) = json.get("output").filter(|o| o.is_string()).cloned() {
        json["video"] = output;
    }
    if json.get("metrics").is_some() {
        json["metrics"] = "not available".into();
    }
    let body = serde_json::to_vec(&json).unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    Response::from_parts(parts, Body::from(body))
}

/// Reworks a JSON answer into one of the shapes the real Segmind may send.
async fn rework(response: Response, fault: &Fault) -> Response {
    let (mut parts, bytes) = split(response).await;
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if let Some(map) = json.as_object_mut() {
        match fault {
            Fault::StringOutput => {
                let inner = match map.remove("output") {
                    Some(serde_json::Value::String(url)) => {
                        serde_json::json!({ "video": { "url": url } })
                    }
                    Some(other) => other,
                    None => serde_json::Value::Null,
                };
                map.remove("video");
                map.insert("output".into(), inner.to_string().into());
            }
            Fault::UploadUrls => {
                if let Some(urls) = map.remove("file_urls") {
                    map.insert("urls".into(), urls);
                }
            }
            Fault::NoReadableUrl => {
                map.remove("video");
                map.insert(
                    "output".into(),
                    serde_json::json!({ "artifact": "kling/outputs/7f3a.bin" })
                        .to_string()
                        .into(),
                );
            }
            _ => {}
        }
    }
    let body = serde_json::to_vec(&json).unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    Response::from_parts(parts, Body::from(body))
}

async fn slow(response: Response, chunk: usize, delay: Duration, shutdown: Shutdown) -> Response {
    let (mut parts, bytes) = split(response).await;
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let chunk = chunk.max(1);
    let chunks: Vec<Bytes> = (0..bytes.len())
        .step_by(chunk)
        .map(|start| bytes.slice(start..(start + chunk).min(bytes.len())))
        .collect();
    let body = stream::iter(chunks).then(move |piece| {
        let shutdown = shutdown.clone();
        async move {
            tokio::select! {
                () = tokio::time::sleep(delay) => Ok(piece),
                () = shutdown.wait() => Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "fake-segmind is shutting down",
                )),
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(body))
}

/// Durations as whole milliseconds in JSON.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis().try_into().unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// `&'static str` by another name: serde's derive treats a field spelt `&str` as
/// borrowed from the input, which would tie `Fault` to `'static` input and rule out
/// deserializing it from a request body.
type StaticStr = &'static str;

/// `Fault::Status` keeps its content type `&'static str` so tests can write literals;
/// from JSON, the common ones map to constants and any other is leaked (a handful of
/// bytes per admin call, in a test server).
fn static_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    const KNOWN: &[&str] = &[
        "application/json",
        "text/html",
        "text/plain",
        "text/html; charset=utf-8",
        "text/plain; charset=utf-8",
        "application/json; charset=utf-8",
    ];
    let s = String::deserialize(d)?;
    Ok(KNOWN
        .iter()
        .find(|k| **k == s)
        .copied()
        .unwrap_or_else(|| Box::leak(s.into_boxed_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_time_rounds_up_to_the_second() {
        let now = DateTime::<Utc>::from_timestamp(1_795_498_200, 250_000_000).unwrap();
        assert_eq!(
            reset_at(now, Duration::from_millis(500)),
            "2026-11-24T05:30:01Z"
        );
        assert_eq!(
            reset_at(now, Duration::from_millis(750)),
            "2026-11-24T05:30:01Z"
        );
        assert_eq!(
            reset_at(now, Duration::from_secs(2)),
            "2026-11-24T05:30:03Z"
        );
    }

    #[test]
    fn faults_round_trip_through_json() {
        let faults = [
            Fault::Status {
                code: 405,
                body: "<html></html>".into(),
                content_type: "text/html",
            },
            Fault::RateLimited {
                reset_after: Duration::from_millis(1500),
            },
            Fault::Hang,
            Fault::TruncatedBody { after: 10 },
            Fault::SlowBody {
                chunk: 4,
                delay: Duration::from_millis(20),
            },
            Fault::OddShape,
            Fault::StringOutput,
            Fault::UploadUrls,
            Fault::NoReadableUrl,
            Fault::Redirect {
                location: "http://127.0.0.1:9/elsewhere".into(),
            },
        ];
        for fault in faults {
            let text = serde_json::to_string(&fault).unwrap();
            assert_eq!(
                serde_json::from_str::<Fault>(&text).unwrap(),
                fault,
                "{text}"
            );
        }
        let parsed: Fault =
            serde_json::from_str(r#"{"kind":"rate_limited","reset_after_ms":2000}"#).unwrap();
        assert_eq!(
            parsed,
            Fault::RateLimited {
                reset_after: Duration::from_secs(2)
            }
        );
    }
}
