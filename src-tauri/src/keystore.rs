//! Where the API key lives: the OS keychain (macOS Keychain, Windows Credential
//! Manager, Linux Secret Service), or, when there is none and the creator agrees,
//! this process's memory for this session only. Never a plain file.
//!
//! `keyring` calls block (D-Bus on Linux), so callers run these on a blocking thread.

use std::sync::Mutex;

use serde::Serialize;

use crate::api_key::ApiKey;
use crate::error::{AppError, AppResult, ErrorCode};

pub const KEYRING_SERVICE: &str = "kling-studio";
pub const KEYRING_USER: &str = "segmind-api-key";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Missing,
    Keychain,
    Session,
}

/// What the webview may know about the key: never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct KeyStatus {
    pub state: KeyState,
    pub last4: Option<String>,
    /// Why the keychain cannot be used (`keychain_unavailable` or `keychain`),
    /// worded by the UI.
    pub keychain_problem: Option<ErrorCode>,
}

pub struct KeyStore {
    service: String,
    session: Mutex<Option<ApiKey>>,
}

/// Sorts keyring's failures into "there is no keychain" (the app can go on with a
/// session key) and "the keychain said no".
fn keychain_error(err: keyring::Error) -> AppError {
    let detail = err.to_string();
    let lower = detail.to_lowercase();
    let unavailable = matches!(err, keyring::Error::NoStorageAccess(_))
        || lower.contains("dbus")
        || lower.contains("d-bus")
        || lower.contains("org.freedesktop.secrets")
        || lower.contains("secret service");
    if unavailable {
        AppError::new(ErrorCode::KeychainUnavailable).with_detail(detail)
    } else {
        AppError::new(ErrorCode::Keychain).with_detail(detail)
    }
}

impl KeyStore {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            session: Mutex::new(None),
        }
    }

    fn entry(&self) -> AppResult<keyring::Entry> {
        keyring::Entry::new(&self.service, KEYRING_USER).map_err(keychain_error)
    }

    fn session_key(&self) -> Option<ApiKey> {
        crate::mutex::lock(&self.session).clone()
    }

    fn set_session_key(&self, key: Option<ApiKey>) {
        *crate::mutex::lock(&self.session) = key;
    }

    /// The key to use now: this session's, else the keychain's.
    pub fn get(&self) -> AppResult<Option<ApiKey>> {
        if let Some(key) = self.session_key() {
            return Ok(Some(key));
        }
        match self.entry()?.get_password() {
            Ok(text) => Ok(ApiKey::parse(&text)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(keychain_error(err)),
        }
    }

    /// Stores the key in the keychain; the session copy, if any, gives way to it.
    pub fn save(&self, key: &ApiKey) -> AppResult<()> {
        self.entry()?
            .set_password(key.expose())
            .map_err(keychain_error)?;
        self.set_session_key(None);
        Ok(())
    }

    /// Keeps the key in memory only, until the app quits.
    pub fn save_for_session(&self, key: ApiKey) {
        self.set_session_key(Some(key));
    }

    /// Forgets the key everywhere it may be.
    pub fn remove(&self) -> AppResult<()> {
        self.set_session_key(None);
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(keychain_error(err)),
        }
    }

    /// Why the keychain cannot be used right now, whichever key is in use (a
    /// session key hides it from `status`): for the support details.
    pub fn keychain_problem(&self) -> Option<ErrorCode> {
        let probe = self.entry().and_then(|entry| match entry.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(keychain_error(err)),
        });
        probe.err().map(|e| e.code)
    }

    pub fn status(&self) -> KeyStatus {
        if let Some(key) = self.session_key() {
            return KeyStatus {
                state: KeyState::Session,
                last4: Some(key.last4()),
                keychain_problem: None,
            };
        }
        match self.get() {
            Ok(Some(key)) => KeyStatus {
                state: KeyState::Keychain,
                last4: Some(key.last4()),
                keychain_problem: None,
            },
            Ok(None) => KeyStatus {
                state: KeyState::Missing,
                last4: None,
                keychain_problem: None,
            },
            Err(err) => KeyStatus {
                state: KeyState::Missing,
                last4: None,
                keychain_problem: Some(err.code),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_never_carries_the_key() {
        let store = KeyStore::new("kling-studio-unit-test-session");
        store.save_for_session(ApiKey::parse("sk-live-abcdef9876").unwrap());
        let status = store.status();
        assert_eq!(status.state, KeyState::Session);
        assert_eq!(status.last4.as_deref(), Some("9876"));
        let json = serde_json::to_string(&status).unwrap();
        assert!(!json.contains("abcdef"), "{json}");
        assert_eq!(
            json,
            r#"{"state":"session","last4":"9876","keychainProblem":null}"#
        );
    }

    /// The system's own store, for real: the Secret Service of the test session on
    /// Linux, the login Keychain on macOS and the Credential Manager on Windows (the
    /// CI workflow runs this on all three). keyring 3 falls back to a store in
    /// memory when a platform's feature is missing, which would pass a round trip
    /// and lose the key at every restart: the persistence is checked first.
    #[test]
    fn the_key_goes_to_the_system_keychain_and_back() {
        assert!(
            matches!(
                keyring::default::default_credential_builder().persistence(),
                keyring::credential::CredentialPersistence::UntilDelete
            ),
            "keyring has no system store on this OS: its feature is missing in Cargo.toml"
        );
        let service = format!("kling-studio-unit-test-{}", std::process::id());
        let store = KeyStore::new(service.clone());
        let key = ApiKey::parse("SG_unit-test-key-5678").unwrap();
        store.save(&key).unwrap();
        // A second store of the same service reads what the first one wrote: the key
        // lives in the keychain, not in this value.
        let again = KeyStore::new(service);
        assert_eq!(again.get().unwrap(), Some(key));
        assert_eq!(again.status().state, KeyState::Keychain);
        again.remove().unwrap();
        assert_eq!(store.get().unwrap(), None);
        assert_eq!(store.status().state, KeyState::Missing);
        store.remove().unwrap();
    }

    #[test]
    fn dbus_failures_mean_no_keychain() {
        let err = keychain_error(keyring::Error::PlatformFailure(
            "The name org.freedesktop.secrets was not provided by any .service files".into(),
        ));
        assert_eq!(err.code, ErrorCode::KeychainUnavailable);
        let other = keychain_error(keyring::Error::BadEncoding(vec![0xff]));
        assert_eq!(other.code, ErrorCode::Keychain);
    }
}
