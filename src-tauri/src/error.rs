//! The one error type the front end sees: a stable `code`, a plain-language
//! `message`, and the technical `detail` kept for a "Details" disclosure.
//!
//! Codes are part of the contract with the UI (and with tests outside this repo);
//! the shape is pinned by a test below. Rename a code only with the UI's `errors.js`.

use serde::{Deserialize, Serialize};

use crate::request::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The form has problems; nothing was sent.
    InvalidRequest,
    /// Segmind answered 400.
    BadRequest,
    /// 401: no key or a key Segmind does not accept.
    Auth,
    /// 403: the key may not use this model.
    Forbidden,
    /// 404 on a model or an endpoint.
    NotFound,
    /// 404 on a job: Segmind forgets jobs about an hour after they finish.
    JobExpired,
    /// 405: the app called something the wrong way (an app bug).
    MethodNotAllowed,
    /// 406 with a message about credits.
    InsufficientCredits,
    /// 406 about the content type (an app bug).
    InvalidContentType,
    /// 410: the model was retired.
    ModelRetired,
    /// 422: the job failed on Segmind's side, with its reason.
    JobFailed,
    /// 429, after waiting and retrying did not help.
    RateLimited,
    /// 500 and other unexpected server answers.
    ServerError,
    /// 502/503/504 that outlasted the retries.
    Transient,
    /// Could not reach Segmind (no connection, DNS, TLS, reset).
    Network,
    /// Segmind did not answer in time.
    Timeout,
    /// The download stopped before the whole video arrived.
    DownloadIncomplete,
    /// No OS keychain (Secret Service) to keep the key in.
    KeychainUnavailable,
    /// The keychain refused or failed.
    Keychain,
    /// No API key has been set yet.
    NoApiKey,
    /// The same Generate click arrived twice.
    DuplicateSubmission,
    /// The job is in a step that must not be interrupted (being sent), or is
    /// already being fetched.
    Busy,
    /// A job id the app does not know.
    JobNotFound,
    /// Reading or writing a local file failed.
    Io,
    /// A job's record could not be written (disk full): the job goes on from
    /// memory and the record is written as soon as the disk allows.
    LibraryNotWritable,
    /// Segmind answered something the contract does not describe.
    UnexpectedResponse,
    /// The file host answered something that is not a video (an error page).
    NotAVideo,
    /// The file host refused the video's link (expired or not allowed).
    LinkExpired,
    /// A bug in the app itself.
    Internal,
    /// A code written by a newer version of the app: read, never refused.
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// Status line, server message or OS error, for support. Never holds the key.
    pub detail: Option<String>,
    /// Field problems, for `InvalidRequest` (and a 400 we could map to a field).
    #[serde(default)]
    pub fields: Vec<FieldError>,
    /// When a rate limit lifts, as Unix milliseconds, if Segmind said.
    pub retry_at_ms: Option<i64>,
    /// The request may have reached Segmind, so it may be billed (and is never re-sent).
    #[serde(default)]
    pub may_be_billed: bool,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: None,
            fields: Vec::new(),
            retry_at_ms: None,
            may_be_billed: false,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn invalid_request(fields: Vec<FieldError>) -> Self {
        let count = fields.len();
        let message = if count == 1 {
            "One thing in the form needs fixing before this can be sent. Nothing was sent or charged.".to_string()
        } else {
            format!("{count} things in the form need fixing before this can be sent. Nothing was sent or charged.")
        };
        Self {
            fields,
            ..Self::new(ErrorCode::InvalidRequest, message)
        }
    }

    pub fn io(what: &str, err: &std::io::Error) -> Self {
        Self::new(ErrorCode::Io, format!("Could not {what}.")).with_detail(err.to_string())
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::Internal,
            "Something went wrong inside Kling Studio.",
        )
        .with_detail(detail)
    }

    /// Whether a retry of a safe request could help.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::Transient
                | ErrorCode::Network
                | ErrorCode::Timeout
                | ErrorCode::DownloadIncomplete
        )
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The UI and outside tests read exactly these keys and codes.
    #[test]
    fn serialised_shape_is_pinned() {
        let err = AppError {
            retry_at_ms: Some(1_700_000_000_000),
            ..AppError::new(ErrorCode::RateLimited, "Segmind is busy.").with_detail("HTTP 429")
        };
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({
                "code": "rate_limited",
                "message": "Segmind is busy.",
                "detail": "HTTP 429",
                "fields": [],
                "retryAtMs": 1_700_000_000_000_i64,
                "mayBeBilled": false
            })
        );
        let invalid = AppError::invalid_request(vec![FieldError {
            field: "prompt".into(),
            message: "m".into(),
        }]);
        let value = serde_json::to_value(&invalid).unwrap();
        assert_eq!(value["code"], "invalid_request");
        assert_eq!(
            value["fields"],
            json!([{"field": "prompt", "message": "m"}])
        );
        assert_eq!(value["detail"], serde_json::Value::Null);
    }

    #[test]
    fn every_code_has_a_stable_snake_case_name() {
        let codes = [
            (ErrorCode::InsufficientCredits, "insufficient_credits"),
            (ErrorCode::JobExpired, "job_expired"),
            (ErrorCode::KeychainUnavailable, "keychain_unavailable"),
            (ErrorCode::DownloadIncomplete, "download_incomplete"),
            (ErrorCode::MethodNotAllowed, "method_not_allowed"),
            (ErrorCode::NotAVideo, "not_a_video"),
        ];
        for (code, name) in codes {
            assert_eq!(serde_json::to_value(code).unwrap(), name);
        }
    }

    #[test]
    fn a_code_from_a_newer_version_is_read_not_refused() {
        let err: AppError = serde_json::from_value(json!({
            "code": "voice_upload_failed", "message": "m", "detail": null,
            "fields": [], "retryAtMs": null, "mayBeBilled": true
        }))
        .unwrap();
        assert_eq!(err.code, ErrorCode::Other);
        assert!(err.may_be_billed);
    }
}
