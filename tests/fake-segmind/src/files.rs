//! The files origin: a second listener, like a CDN host, that serves finished videos
//! without authentication and with byte ranges, so downloads can resume.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Router};

use crate::faults::{self, Target};
use crate::record::{self, Origin, Recorder};
use crate::reply::{self, ApiError};
use crate::state::{Phase, Shared};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let recorder = Recorder {
        shared: shared.clone(),
        origin: Origin::Files,
    };
    Router::new()
        .route("/files/{name}", get(file))
        .route("/assets/{name}", get(asset))
        .fallback(reply::not_found)
        .method_not_allowed_fallback(reply::method_not_allowed)
        .layer(middleware::from_fn_with_state(recorder, record::record))
        .with_state(shared)
}

/// Where the video of job `id` is served.
pub(crate) fn url(file_base: &str, id: &str) -> String {
    format!("{file_base}/files/{id}.mp4")
}

async fn file(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    faults::answer(&shared, Target::File, || async {
        // Files outlive job records (they stay for days), so an expired record still
        // serves its file; only completed jobs have one.
        let exists = name
            .strip_suffix(".mp4")
            .and_then(|id| shared.job(id))
            .is_some_and(|job| job.phase == Phase::Completed);
        if !exists {
            return ApiError::new(StatusCode::NOT_FOUND, "File not found").into_response();
        }
        let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
        serve(crate::CLIP, range)
    })
    .await
}

/// An uploaded clip, public like Segmind's asset URLs.
async fn asset(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    faults::answer(&shared, Target::File, || async {
        match shared.asset(&name) {
            Some(asset) => (
                [(header::CONTENT_TYPE, asset.mime)],
                Bytes::from(asset.bytes.as_ref().clone()),
            )
                .into_response(),
            None => ApiError::new(StatusCode::NOT_FOUND, "File not found").into_response(),
        }
    })
    .await
}

/// The clip, whole or the one range asked for.
fn serve(data: &'static [u8], range: Option<&str>) -> Response {
    let len = data.len() as u64;
    let common = [
        (header::CONTENT_TYPE, "video/mp4"),
        (header::ACCEPT_RANGES, "bytes"),
    ];
    match parse_range(range, len) {
        Span::Whole => (common, Bytes::from_static(data)).into_response(),
        Span::Part { start, end } => (
            StatusCode::PARTIAL_CONTENT,
            common,
            [(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"))],
            Bytes::from_static(&data[start as usize..=end as usize]),
        )
            .into_response(),
        Span::Unsatisfiable => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            common,
            [(header::CONTENT_RANGE, format!("bytes */{len}"))],
        )
            .into_response(),
    }
}

/// What a `Range` header asks of a body of known length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    /// No usable range: the whole body, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Part { start: u64, end: u64 },
    /// A well-formed range that lies outside the body, 416.
    Unsatisfiable,
}

/// Parses `bytes=N-`, `bytes=N-M` and `bytes=-N` (the last N bytes). As RFC 9110
/// allows, a header that is malformed or asks for several ranges is ignored and the
/// whole body is served; an end past the body is clamped to its last byte.
fn parse_range(header: Option<&str>, len: u64) -> Span {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Span::Whole;
    };
    if spec.contains(',') {
        return Span::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Span::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        // `parse` would accept a leading '+', which a range may not have.
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || len == 0 {
                Span::Unsatisfiable
            } else {
                Span::Part {
                    start: len.saturating_sub(suffix),
                    end: len - 1,
                }
            }
        }
        (false, Some(start), None) if last.trim().is_empty() => {
            if start >= len {
                Span::Unsatisfiable
            } else {
                Span::Part {
                    start,
                    end: len - 1,
                }
            }
        }
        (false, Some(start), Some(end)) if start <= end => {
            if start >= len {
                Span::Unsatisfiable
            } else {
                Span::Part {
                    start,
                    end: end.min(len - 1),
                }
            }
        }
        _ => Span::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(start: u64, end: u64) -> Span {
        Span::Part { start, end }
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 100), Span::Whole);
        assert_eq!(parse_range(Some("bytes=0-"), 100), part(0, 99));
        assert_eq!(parse_range(Some("bytes=40-"), 100), part(40, 99));
        assert_eq!(parse_range(Some("bytes=99-"), 100), part(99, 99));
        assert_eq!(parse_range(Some("bytes=10-19"), 100), part(10, 19));
        assert_eq!(parse_range(Some("bytes=90-500"), 100), part(90, 99));
        assert_eq!(parse_range(Some("bytes=-10"), 100), part(90, 99));
        assert_eq!(parse_range(Some("bytes=-500"), 100), part(0, 99));
    }

    #[test]
    fn out_of_range_is_416() {
        assert_eq!(parse_range(Some("bytes=100-"), 100), Span::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=100-200"), 100), Span::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Span::Unsatisfiable);
    }

    #[test]
    fn malformed_or_multiple_ranges_serve_everything() {
        for h in [
            "items=0-1",
            "bytes=",
            "bytes=-",
            "bytes=5",
            "bytes=9-3",
            "bytes=a-",
            "bytes=+1-2",
            "bytes=0-1,5-6",
        ] {
            assert_eq!(parse_range(Some(h), 100), Span::Whole, "{h}");
        }
    }
}
