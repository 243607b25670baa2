//! What Segmind's answers mean: the status table of the contract turned into
//! `AppError`s, and the JSON bodies of the async lifecycle.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{AppError, ErrorCode};

/// Which call an answer belongs to: the same status means different things
/// (404 is a missing model on submit, an expired record on a job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Credits,
    Submit,
    Job,
    Download,
    /// A voice clip going to the asset store: free, so nothing is billed.
    Upload,
}

/// A job's state as Segmind reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Queued,
    Processing,
    Completed,
    Failed,
    /// A state this app does not know yet (or none at all): keep polling rather than fail.
    #[default]
    Unknown,
}

/// Read in any case (`"completed"`, `"Completed"`), and anything that is not a
/// known state (a number, null, a new word) as `Unknown`: one odd field must not
/// sink an answer that says where a paid video is.
impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let text = value
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_ascii_uppercase();
        Ok(match text.as_str() {
            "QUEUED" | "IN_QUEUE" => Self::Queued,
            "PROCESSING" | "IN_PROGRESS" | "RUNNING" => Self::Processing,
            "COMPLETED" | "SUCCEEDED" | "SUCCESS" => Self::Completed,
            "FAILED" | "ERROR" => Self::Failed,
            _ => Self::Unknown,
        })
    }
}

/// Numbers Segmind may add to an answer; every one is optional. Read in Segmind's
/// snake_case or the library's own camelCase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Metrics {
    #[serde(default, deserialize_with = "lenient_number")]
    pub cost: Option<f64>,
    #[serde(
        default,
        alias = "remainingCredits",
        deserialize_with = "lenient_number"
    )]
    pub remaining_credits: Option<f64>,
    #[serde(default, alias = "inferenceTime", deserialize_with = "lenient_number")]
    pub inference_time: Option<f64>,
    #[serde(default, alias = "queueTime", deserialize_with = "lenient_number")]
    pub queue_time: Option<f64>,
    #[serde(default, alias = "totalTime", deserialize_with = "lenient_number")]
    pub total_time: Option<f64>,
}

/// Metrics are "[inferred]" in the contract: accept `3`, `"3"` or junk (ignored).
fn lenient_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// The answer to `POST /v2/kling-3-pro-text2video`. The job is paid for once this
/// arrives: only `request_id` must be there (a string or a number); the URLs are
/// read leniently and fall back to the contract's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmittedJob {
    #[serde(deserialize_with = "lenient_id")]
    pub request_id: String,
    #[serde(default, deserialize_with = "lenient_url")]
    pub status_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_url")]
    pub response_url: Option<String>,
}

fn lenient_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    })
}

/// The answer of the status URL. Only `status` matters; everything is read leniently.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StatusReport {
    #[serde(default)]
    pub status: JobStatus,
    #[serde(default, deserialize_with = "lenient_metrics")]
    pub metrics: Option<Metrics>,
}

/// The answer of the response URL once a job is done. Only `status` and
/// `metrics` have one shape; the video's address is looked for everywhere
/// (`find::video_url`), and the answer itself is kept: a paid result the app
/// cannot read is kept for a newer version (or support) to read.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOutput {
    pub status: JobStatus,
    pub metrics: Option<Metrics>,
    video_url: Option<String>,
    pub answer: serde_json::Value,
}

impl JobOutput {
    pub fn read(answer: serde_json::Value) -> Self {
        let field = |name: &str| answer.get(name).cloned().unwrap_or_default();
        Self {
            status: serde_json::from_value(field("status")).unwrap_or_default(),
            metrics: lenient_metrics(field("metrics")).unwrap_or_default(),
            video_url: super::find::video_url(&answer),
            answer,
        }
    }

    /// The finished video's web address, if the answer holds one.
    pub fn video_url(&self) -> Option<&str> {
        self.video_url.as_deref()
    }
}

/// A URL from a string, `{"url": …}`, or the first of a list of those.
fn url_in(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        serde_json::Value::Object(map) => map.get("url").and_then(url_in),
        serde_json::Value::Array(items) => items.iter().find_map(url_in),
        _ => None,
    }
}

fn lenient_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(url_in(&serde_json::Value::deserialize(d)?))
}

/// Metrics that are not an object (a string, a list) are no metrics, not a bad answer.
fn lenient_metrics<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Metrics>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value
        .is_object()
        .then(|| serde_json::from_value(value).ok())
        .flatten())
}

/// The server's own words from an error body: `{"error": …}` (or `message`,
/// `detail`), else short plain text; HTML pages (405) give nothing.
pub fn server_message(body: &[u8]) -> Option<String> {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        for key in ["error", "message", "detail"] {
            if let Some(text) = json.get(key).and_then(|v| v.as_str()) {
                return Some(text.trim().to_string()).filter(|t| !t.is_empty());
            }
        }
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.starts_with('<') {
        return None;
    }
    Some(text.chars().take(300).collect())
}

/// The contract's status table. `server` is the server's message, if any: kept as
/// data for the words (a 422's reason) and for Details, never composed into text.
pub fn error_for_status(status: u16, server: Option<&str>, call: Call) -> AppError {
    use ErrorCode::*;
    let code = match status {
        // Signed links answer 403 (sometimes 400, 401, 404 or 410) once they expire:
        // the file host's refusal, never the key's (it is not sent there).
        400 | 401 | 403 | 404 | 410 if call == Call::Download => LinkExpired,
        400 => BadRequest,
        401 => Auth,
        403 => Forbidden,
        404 if call == Call::Job => JobExpired,
        404 => NotFound,
        405 => MethodNotAllowed,
        406 if server.is_some_and(|r| r.to_lowercase().contains("credit")) => InsufficientCredits,
        406 => InvalidContentType,
        410 => ModelRetired,
        422 => JobFailed,
        429 => RateLimited,
        502..=504 => Transient,
        _ => ServerError,
    };
    let detail = match server {
        Some(text) => format!("HTTP {status}: {text}"),
        None => format!("HTTP {status}"),
    };
    AppError::new(code)
        .with_server_message(server)
        .with_detail(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(text: &str) -> Result<JobOutput, serde_json::Error> {
        serde_json::from_str(text).map(JobOutput::read)
    }

    #[test]
    fn error_bodies_that_are_not_json_still_give_a_message_or_none() {
        assert_eq!(
            server_message(br#"{"error":"Invalid API key"}"#).as_deref(),
            Some("Invalid API key")
        );
        assert_eq!(
            server_message(b"<html><body>405 Not Allowed</body></html>"),
            None
        );
        assert_eq!(
            server_message(b"upstream timed out").as_deref(),
            Some("upstream timed out")
        );
        assert_eq!(server_message(b""), None);
        assert_eq!(server_message(br#"{"other":1}"#), None);
    }

    #[test]
    fn status_table_maps_to_codes() {
        let cases = [
            (400, Call::Submit, ErrorCode::BadRequest),
            (401, Call::Credits, ErrorCode::Auth),
            (403, Call::Submit, ErrorCode::Forbidden),
            (404, Call::Submit, ErrorCode::NotFound),
            (404, Call::Job, ErrorCode::JobExpired),
            (405, Call::Submit, ErrorCode::MethodNotAllowed),
            (410, Call::Submit, ErrorCode::ModelRetired),
            (422, Call::Job, ErrorCode::JobFailed),
            (429, Call::Submit, ErrorCode::RateLimited),
            (500, Call::Submit, ErrorCode::ServerError),
            (502, Call::Job, ErrorCode::Transient),
            (503, Call::Job, ErrorCode::Transient),
            (504, Call::Job, ErrorCode::Transient),
        ];
        for (status, call, code) in cases {
            assert_eq!(error_for_status(status, None, call).code, code, "{status}");
        }
    }

    #[test]
    fn a_406_is_told_apart_by_its_message() {
        let credits = error_for_status(
            406,
            Some("Insufficient credits. Please top up."),
            Call::Submit,
        );
        assert_eq!(credits.code, ErrorCode::InsufficientCredits);
        let content = error_for_status(406, Some("Invalid content type"), Call::Submit);
        assert_eq!(content.code, ErrorCode::InvalidContentType);
        assert_eq!(
            content.detail.as_deref(),
            Some("HTTP 406: Invalid content type")
        );
    }

    #[test]
    fn a_failed_job_carries_the_servers_reason() {
        let err = error_for_status(422, Some("content filter"), Call::Job);
        assert_eq!(err.server_message.as_deref(), Some("content filter"));
    }

    #[test]
    fn video_url_prefers_video_url_then_output() {
        let both = output(
            r#"{"status":"COMPLETED","output":"http://a/o.mp4","video":{"url":"http://a/v.mp4"}}"#,
        )
        .unwrap();
        assert_eq!(both.video_url(), Some("http://a/v.mp4"));
        let output_only = output(r#"{"status":"COMPLETED","output":"http://a/o.mp4"}"#).unwrap();
        assert_eq!(output_only.video_url(), Some("http://a/o.mp4"));
        let none = output(r#"{"status":"COMPLETED","output":null,"error":null}"#).unwrap();
        assert_eq!(none.video_url(), None);
    }

    #[test]
    fn a_submit_answer_needs_only_its_id() {
        let numeric: SubmittedJob =
            serde_json::from_str(r#"{"request_id": 829877809978941442, "status_url": {"x": 1}}"#)
                .unwrap();
        assert_eq!(numeric.request_id, "829877809978941442");
        assert_eq!(numeric.status_url, None);
        let odd = output(
            r#"{"status":"COMPLETED","video":{"url":"data:video/mp4;base64,AA"},"output":"https://a/o.mp4"}"#,
        )
        .unwrap();
        assert_eq!(odd.video_url(), Some("https://a/o.mp4"));
        for status in [400, 401, 403, 404, 410] {
            assert_eq!(
                error_for_status(status, None, Call::Download).code,
                ErrorCode::LinkExpired,
                "{status}"
            );
        }
    }

    #[test]
    fn odd_shapes_of_inferred_fields_still_give_the_video() {
        let plain_video = output(
            r#"{"status":"COMPLETED","output":"http://a/o.mp4","video":"http://a/v.mp4","metrics":"n/a"}"#,
        )
        .unwrap();
        assert_eq!(plain_video.video_url(), Some("http://a/v.mp4"));
        assert_eq!(plain_video.metrics, None);
        let listed =
            output(r#"{"status":"completed","output":["http://a/1.mp4"],"video":{"url":7}}"#)
                .unwrap();
        assert_eq!(listed.status, JobStatus::Completed);
        assert_eq!(listed.video_url(), Some("http://a/1.mp4"));
        let report: StatusReport =
            serde_json::from_str(r#"{"status":"Processing","metrics":[1,2]}"#).unwrap();
        assert_eq!(report.status, JobStatus::Processing);
        let no_status: StatusReport = serde_json::from_str(r#"{"status":null}"#).unwrap();
        assert_eq!(no_status.status, JobStatus::Unknown);
    }

    #[test]
    fn unknown_states_and_odd_metrics_do_not_break_parsing() {
        let report: StatusReport = serde_json::from_str(
            r#"{"status":"WARMING_UP","metrics":{"cost":"3.5","queue_time":null,"x":1}}"#,
        )
        .unwrap();
        assert_eq!(report.status, JobStatus::Unknown);
        assert_eq!(report.metrics.unwrap().cost, Some(3.5));
    }
}
