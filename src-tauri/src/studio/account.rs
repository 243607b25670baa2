//! The creator's Segmind account: the API key (checked, then kept in the
//! system's keychain) and the balance Segmind reports.

use std::sync::Arc;

use serde::Serialize;

use super::Studio;
use crate::api_key::ApiKey;
use crate::client::SegmindClient;
use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::keystore::{KeyStatus, KeyStore};
use crate::mutex::lock;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SavedKey {
    pub status: KeyStatus,
    pub credits: f64,
}

impl Studio {
    /// Runs a keychain call off the async threads: it blocks on D-Bus.
    pub(super) async fn with_keys<T: Send + 'static>(
        &self,
        call: impl FnOnce(&KeyStore) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let keys = Arc::clone(&self.keys);
        tokio::task::spawn_blocking(move || call(&keys))
            .await
            .map_err(|e| AppError::internal(e.to_string()))?
    }

    pub async fn key_status(&self) -> AppResult<KeyStatus> {
        self.with_keys(|keys| Ok(keys.status())).await
    }

    /// Checks the key with Segmind's free credits call, then stores it.
    pub async fn save_api_key(&self, text: &str, session_only: bool) -> AppResult<SavedKey> {
        let key = ApiKey::parse(text)
            .ok_or_else(|| AppError::new(ErrorCode::Auth).because(Reason::KeyMissing))?;
        let client = SegmindClient::new(self.client_config.clone(), key.clone())?;
        let credits = client.credits().await?;
        *lock(&self.balance) = Some(credits);
        let status = self
            .with_keys(move |keys| {
                if session_only {
                    keys.save_for_session(key);
                } else {
                    keys.save(&key)?;
                }
                Ok(keys.status())
            })
            .await?;
        // Every drive uses the new key from its next call; a job being sent right
        // now keeps its drive and its answer.
        self.resume_voices(&client);
        self.jobs.set_client(Some(client));
        self.jobs.drive_all();
        Ok(SavedKey { status, credits })
    }

    pub async fn remove_api_key(&self) -> AppResult<KeyStatus> {
        let status = self
            .with_keys(|keys| {
                keys.remove()?;
                Ok(keys.status())
            })
            .await?;
        // No drive keeps using the removed key: jobs wait for a new one.
        self.jobs.set_client(None);
        Ok(status)
    }

    /// A client with the key as the keychain has it now. The drives' client when
    /// it sends that key: one pool of connections, and the system's certificates
    /// read once, not again at every Generate and balance check.
    pub(super) async fn client(&self) -> AppResult<SegmindClient> {
        let key = self
            .with_keys(|keys| keys.get())
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NoApiKey))?;
        match self.jobs.client().filter(|current| current.sends(&key)) {
            Some(current) => Ok(current),
            None => SegmindClient::new(self.client_config.clone(), key),
        }
    }

    pub async fn credits(&self) -> AppResult<f64> {
        let credits = self.client().await?.credits().await?;
        *lock(&self.balance) = Some(credits);
        Ok(credits)
    }
}

#[cfg(test)]
mod tests {
    use super::super::studio_for_tests;
    use super::*;

    #[tokio::test]
    async fn an_empty_key_is_refused_before_anything_is_asked() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        let refused = studio.save_api_key("   ", false).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::Auth);
        assert_eq!(refused.reason_name(), Some("key_missing"));
    }
}
