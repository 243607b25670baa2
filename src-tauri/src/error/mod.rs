//! The one error type the front end sees: a stable `code`, an optional `reason`
//! (which case of the code), typed `params` the words need, and the technical
//! `detail` kept for a "Details" disclosure. Rust composes no sentence: the UI's
//! catalogues turn codes and reasons into words, in the creator's language.
//!
//! Codes and reasons are part of the contract with the UI (and with tests outside
//! this repo); the shape is pinned by a test below. Rename one only with the
//! catalogues in `ui/locales/`.
//!
//! Over 400 lines before its tests, and kept whole on purpose: the codes, what
//! each means for the creator's money, which ones pass by themselves, and the
//! shape sent to the page are one contract, read together when a code is added.
//! Reasons and field rules have files of their own (`reason.rs`, `rule.rs`).

use serde::{Deserialize, Serialize};

/// Declares an enum of names the page and the catalogues key their words by,
/// its wire names and `ALL` in one list, so the three cannot drift.
macro_rules! wire_names {
    ($(#[$what:meta])* $enum:ident; $($(#[$doc:meta])* $variant:ident = $name:literal,)+) => {
        $(#[$what])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(test, derive(ts_rs::TS))]
        pub enum $enum {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)+
        }

        impl $enum {
            pub const ALL: &'static [$enum] = &[$($enum::$variant,)+];
        }

        impl crate::error::WireName for $enum {
            fn name(self) -> &'static str {
                match self {
                    $($enum::$variant => $name,)+
                }
            }
        }
    };
}

mod reason;
mod rule;
pub use reason::{ErrorReason, Reason};
pub use rule::{FieldRule, Rule};

/// A name on the wire and in the catalogues.
pub trait WireName: Copy {
    fn name(self) -> &'static str;
}

/// A name as a record holds it: one this version knows, or one a newer version
/// wrote, read and written back as it was, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(untagged)]
pub enum KeptAsWritten<T> {
    Known(T),
    FromANewerVersion(Box<str>),
}

impl<T: WireName> KeptAsWritten<T> {
    pub fn name(&self) -> &str {
        match self {
            KeptAsWritten::Known(known) => known.name(),
            KeptAsWritten::FromANewerVersion(name) => name,
        }
    }
}

impl<T> From<T> for KeptAsWritten<T> {
    fn from(known: T) -> Self {
        KeptAsWritten::Known(known)
    }
}

impl<T: PartialEq> PartialEq<T> for KeptAsWritten<T> {
    fn eq(&self, other: &T) -> bool {
        matches!(self, KeptAsWritten::Known(known) if known == other)
    }
}

impl<T: WireName> PartialEq<&str> for KeptAsWritten<T> {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl<T: WireName> std::fmt::Display for KeptAsWritten<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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
    /// The video would take this month's spending past the creator's limit, and
    /// the creator has not agreed to that (nothing was sent).
    OverLimit,
    /// The job is in a step that must not be interrupted (being sent), or is
    /// already being fetched.
    Busy,
    /// A job id the app does not know.
    JobNotFound,
    /// A voice (or a chosen clip) the app does not know: deleted, or gone.
    VoiceNotFound,
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

impl ErrorCode {
    /// Every code this version sends, for the catalogue tests (each needs words).
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidRequest,
        ErrorCode::BadRequest,
        ErrorCode::Auth,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::JobExpired,
        ErrorCode::MethodNotAllowed,
        ErrorCode::InsufficientCredits,
        ErrorCode::InvalidContentType,
        ErrorCode::ModelRetired,
        ErrorCode::JobFailed,
        ErrorCode::RateLimited,
        ErrorCode::ServerError,
        ErrorCode::Transient,
        ErrorCode::Network,
        ErrorCode::Timeout,
        ErrorCode::DownloadIncomplete,
        ErrorCode::KeychainUnavailable,
        ErrorCode::Keychain,
        ErrorCode::NoApiKey,
        ErrorCode::DuplicateSubmission,
        ErrorCode::OverLimit,
        ErrorCode::Busy,
        ErrorCode::JobNotFound,
        ErrorCode::VoiceNotFound,
        ErrorCode::Io,
        ErrorCode::LibraryNotWritable,
        ErrorCode::UnexpectedResponse,
        ErrorCode::NotAVideo,
        ErrorCode::LinkExpired,
        ErrorCode::Internal,
    ];
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", into = "AppErrorOnTheWire")]
pub struct AppError {
    pub code: ErrorCode,
    /// Which case of the code, where one code covers several (`busy`:
    /// `being_sent`, `downloading_paid`…). The words are keyed by it.
    pub reason: Option<ErrorReason>,
    /// Numbers and names the words need (`minutes`, `path`), as data.
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Segmind's own words for this (a 422's reason, a 400's complaint), untouched.
    pub server_message: Option<Box<str>>,
    /// Status line, server message or OS error, for support. Never holds the key.
    pub detail: Option<Box<str>>,
    /// Field problems, for `InvalidRequest` (and a 400 we could map to a field).
    /// A boxed slice, not a Vec: every `AppResult` carries this type, and it is
    /// kept within 128 bytes.
    #[serde(default)]
    pub fields: Box<[FieldError]>,
    /// When a rate limit lifts, as Unix milliseconds, if Segmind said.
    pub retry_at_ms: Option<i64>,
    /// The request may have reached Segmind, so it may be billed (and is never re-sent).
    #[serde(default)]
    pub may_be_billed: bool,
    /// A verdict its maker knows better than the code alone (`in_a_paid_call`).
    #[serde(skip)]
    pub billing_known: Option<Billing>,
}

/// What a problem means for the creator's money. Rust decides it; the page
/// only words it (`money.<verdict>`), and says nothing for `Unsaid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// Nothing reached Segmind, or Segmind refused it: nothing was spent.
    NotBilled,
    /// Segmind said it failed, and it does not bill what fails.
    NotBilledFailed,
    /// Segmind accepted the job: it is paid for, and the app goes on with it.
    Accepted,
    /// It may have reached Segmind: it may be billed.
    MayBeBilled,
    /// Money is beside the point (a file not saved, the keychain busy).
    Unsaid,
}

/// What a code says of money by itself, before its moment is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeMoney {
    /// Nothing was spent, whatever the moment (the request was refused).
    Nothing,
    /// Segmind does not bill what fails.
    NotForFailures,
    /// It depends on whether Segmind had accepted the job.
    DependsOnTheJob,
    /// Money is beside the point.
    BesideThePoint,
}

impl ErrorCode {
    pub fn money(self) -> CodeMoney {
        use CodeMoney::*;
        use ErrorCode::*;
        match self {
            InvalidRequest | BadRequest | Auth | Forbidden | InsufficientCredits
            | InvalidContentType | ModelRetired | MethodNotAllowed | NoApiKey | OverLimit
            | VoiceNotFound => Nothing,
            JobFailed => NotForFailures,
            NotFound | JobExpired | RateLimited | ServerError | Transient | Network | Timeout
            | DownloadIncomplete | JobNotFound | LinkExpired | NotAVideo | LibraryNotWritable
            | UnexpectedResponse | Internal | Other => DependsOnTheJob,
            KeychainUnavailable | Keychain | Busy | DuplicateSubmission | Io => BesideThePoint,
        }
    }
}

impl AppError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            reason: None,
            params: serde_json::Map::new(),
            server_message: None,
            detail: None,
            fields: Box::default(),
            retry_at_ms: None,
            may_be_billed: false,
            billing_known: None,
        }
    }

    /// What this means for the creator's money, outside any job: a click that
    /// was refused spent nothing; anything else is not about money.
    pub fn billing(&self) -> Billing {
        if self.may_be_billed {
            Billing::MayBeBilled
        } else if let Some(known) = self.billing_known {
            known
        } else if self.code.money() == CodeMoney::Nothing {
            Billing::NotBilled
        } else {
            Billing::Unsaid
        }
    }

    /// The error of a paid call that has no job card (making a voice): unless it
    /// may have reached Segmind, nothing was spent, or it failed there unbilled.
    pub fn in_a_paid_call(mut self) -> Self {
        self.billing_known = match self.code.money() {
            CodeMoney::NotForFailures => Some(Billing::NotBilledFailed),
            CodeMoney::Nothing | CodeMoney::DependsOnTheJob => Some(Billing::NotBilled),
            CodeMoney::BesideThePoint => None,
        };
        self
    }

    /// Which case of the code this is (a key in the catalogues: `reason.<reason>`).
    pub fn because(mut self, reason: Reason) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The reason's name, whichever version wrote it.
    pub fn reason_name(&self) -> Option<&str> {
        self.reason.as_ref().map(|reason| reason.name())
    }

    /// A value the words need, such as `minutes` or `path`.
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.params.insert(name.to_string(), value.into());
        self
    }

    pub fn with_server_message(mut self, text: Option<&str>) -> Self {
        self.server_message = text.map(Into::into);
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into().into());
        self
    }

    pub fn invalid_request(fields: Vec<FieldError>) -> Self {
        Self {
            fields: fields.into_boxed_slice(),
            ..Self::new(ErrorCode::InvalidRequest)
        }
    }

    /// A file that could not be read or written; `reason` says which step.
    pub fn io(reason: Reason, err: &std::io::Error) -> Self {
        Self::new(ErrorCode::Io)
            .because(reason)
            .with_detail(err.to_string())
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal).with_detail(detail)
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

/// An `AppError` as the page receives it (the shape `serialised_shape_is_pinned`
/// pins): its fields and the money verdict, computed as it is sent so that it
/// never goes stale.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "AppError"))]
#[serde(rename_all = "camelCase")]
pub struct AppErrorOnTheWire {
    code: ErrorCode,
    reason: Option<ErrorReason>,
    params: serde_json::Map<String, serde_json::Value>,
    server_message: Option<Box<str>>,
    detail: Option<Box<str>>,
    fields: Box<[FieldError]>,
    retry_at_ms: Option<i64>,
    may_be_billed: bool,
    billing: Billing,
}

impl From<AppError> for AppErrorOnTheWire {
    fn from(error: AppError) -> Self {
        Self {
            billing: error.billing(),
            code: error.code,
            reason: error.reason,
            params: error.params,
            server_message: error.server_message,
            detail: error.detail,
            fields: error.fields,
            retry_at_ms: error.retry_at_ms,
            may_be_billed: error.may_be_billed,
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.code)?;
        if let Some(reason) = &self.reason {
            write!(f, " ({reason})")?;
        }
        if let Some(text) = &self.server_message {
            write!(f, ": {text}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

pub type AppResult<T> = Result<T, AppError>;

/// One problem with one field: which rule it breaks, and the numbers the words
/// need. The UI's catalogues word it (`field.rule.<rule>`) in the creator's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FieldError {
    /// A path into the request: `prompt`, `multi_prompt[2].prompt`, `voice_ids[0]`.
    pub field: String,
    pub rule: FieldRule,
    #[serde(default)]
    pub params: serde_json::Value,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: Rule, params: serde_json::Value) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
            params,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The UI and outside tests read exactly these keys and codes.
    #[test]
    fn serialised_shape_is_pinned() {
        let err = AppError {
            retry_at_ms: Some(1_700_000_000_000),
            ..AppError::new(ErrorCode::RateLimited).with_detail("HTTP 429")
        };
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({
                "code": "rate_limited",
                "reason": null,
                "params": {},
                "serverMessage": null,
                "detail": "HTTP 429",
                "fields": [],
                "retryAtMs": 1_700_000_000_000_i64,
                "mayBeBilled": false,
                "billing": "unsaid"
            })
        );
        let timeout = AppError::new(ErrorCode::Timeout)
            .because(Reason::FollowDeadline)
            .with("minutes", 20)
            .with_server_message(Some("still PROCESSING"));
        let value = serde_json::to_value(&timeout).unwrap();
        assert_eq!(value["reason"], "follow_deadline");
        assert_eq!(value["params"], json!({"minutes": 20}));
        assert_eq!(value["serverMessage"], "still PROCESSING");
        let invalid = AppError::invalid_request(vec![FieldError::new(
            "prompt",
            Rule::TooLong,
            json!({"max": 2500, "count": 2501}),
        )]);
        let value = serde_json::to_value(&invalid).unwrap();
        assert_eq!(value["code"], "invalid_request");
        assert_eq!(
            value["fields"],
            json!([{"field": "prompt", "rule": "too_long", "params": {"max": 2500, "count": 2501}}])
        );
        assert_eq!(value["detail"], serde_json::Value::Null);
    }

    #[test]
    fn the_money_verdict_is_decided_here() {
        let verdict = |error: AppError| serde_json::to_value(&error).unwrap()["billing"].clone();
        assert_eq!(verdict(AppError::new(ErrorCode::OverLimit)), "not_billed");
        assert_eq!(verdict(AppError::new(ErrorCode::Network)), "unsaid");
        assert_eq!(verdict(AppError::new(ErrorCode::Io)), "unsaid");
        let maybe = AppError {
            may_be_billed: true,
            ..AppError::new(ErrorCode::Network)
        };
        assert_eq!(verdict(maybe.clone()), "may_be_billed");
        // A paid call without a card (a voice): what did not reach Segmind cost nothing.
        let paid = |code| verdict(AppError::new(code).in_a_paid_call());
        assert_eq!(paid(ErrorCode::Network), "not_billed");
        assert_eq!(paid(ErrorCode::JobFailed), "not_billed_failed");
        assert_eq!(paid(ErrorCode::Busy), "unsaid");
        assert_eq!(verdict(maybe.in_a_paid_call()), "may_be_billed");
    }

    /// A new code fails to compile here until it is listed in `ALL` too (and so
    /// gets words in every catalogue).
    #[test]
    fn all_lists_every_code() {
        fn listed(code: ErrorCode) -> bool {
            match code {
                ErrorCode::Other => false,
                ErrorCode::InvalidRequest
                | ErrorCode::BadRequest
                | ErrorCode::Auth
                | ErrorCode::Forbidden
                | ErrorCode::NotFound
                | ErrorCode::JobExpired
                | ErrorCode::MethodNotAllowed
                | ErrorCode::InsufficientCredits
                | ErrorCode::InvalidContentType
                | ErrorCode::ModelRetired
                | ErrorCode::JobFailed
                | ErrorCode::RateLimited
                | ErrorCode::ServerError
                | ErrorCode::Transient
                | ErrorCode::Network
                | ErrorCode::Timeout
                | ErrorCode::DownloadIncomplete
                | ErrorCode::KeychainUnavailable
                | ErrorCode::Keychain
                | ErrorCode::NoApiKey
                | ErrorCode::DuplicateSubmission
                | ErrorCode::OverLimit
                | ErrorCode::Busy
                | ErrorCode::JobNotFound
                | ErrorCode::VoiceNotFound
                | ErrorCode::Io
                | ErrorCode::LibraryNotWritable
                | ErrorCode::UnexpectedResponse
                | ErrorCode::NotAVideo
                | ErrorCode::LinkExpired
                | ErrorCode::Internal => ErrorCode::ALL.contains(&code),
            }
        }
        assert!(ErrorCode::ALL.iter().all(|code| listed(*code)));
        assert_eq!(ErrorCode::ALL.len(), 31);
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
            "code": "voice_upload_failed", "reason": "a_new_reason", "detail": null,
            "fields": [], "retryAtMs": null, "mayBeBilled": true
        }))
        .unwrap();
        assert_eq!(err.code, ErrorCode::Other);
        assert!(err.may_be_billed);
        assert_eq!(err.reason_name(), Some("a_new_reason"));
    }

    /// Records written before errors carried reasons (with an English `message`)
    /// are still read.
    #[test]
    fn an_error_from_before_reasons_is_read() {
        let err: AppError = serde_json::from_value(json!({
            "code": "timeout", "message": "Segmind did not answer in time.", "detail": null,
            "fields": [], "retryAtMs": null, "mayBeBilled": true
        }))
        .unwrap();
        assert_eq!(err.code, ErrorCode::Timeout);
        assert_eq!(err.reason, None);
        assert!(err.params.is_empty());
    }
}
