//! The creator's voices: a clip checked and kept, the one paid create call,
//! following it until Segmind answers the voice id (again after a restart).

use std::sync::Arc;

use super::Studio;
use crate::client::SegmindClient;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::jobs::{JobManager, StudioEvent};
use crate::mutex::lock;
use crate::voices::making::{self, VoiceChange, VoiceChanged, VoiceProgress};
use crate::voices::{StagedClip, VoiceRecord, VoiceView};

/// A voice as the window shows it: its clip on the app's media server.
fn view_of_voice(jobs: &JobManager, record: &VoiceRecord) -> VoiceView {
    VoiceView::of(record, jobs.voice_clip_url(&record.clip_file))
}

impl Studio {
    /// Follows again every voice an earlier run left being made.
    pub(super) fn resume_voices(&self, client: &SegmindClient) {
        for id in making::being_made(&self.voices) {
            let following = self.follow_voice(client.clone(), id);
            tokio::spawn(async move {
                let _ = following.await;
            });
        }
    }

    /// Voices whose paid create call is on its way or whose id is still to come.
    pub fn voices_being_made(&self) -> usize {
        self.voices.being_made_count()
    }

    /// Checks a clip the creator chose and keeps it for `make_voice`; nothing is sent.
    pub fn stage_voice_clip(&self, bytes: &[u8]) -> AppResult<StagedClip> {
        self.voices.stage(bytes)
    }

    pub(super) fn voice_view(&self, record: &VoiceRecord) -> VoiceView {
        view_of_voice(&self.jobs, record)
    }

    /// Tells the window of every change to a voice.
    pub(super) fn voice_changed(&self) -> VoiceChanged {
        let jobs = Arc::clone(&self.jobs);
        Arc::new(move |change: VoiceChange<'_>| {
            let event = match change {
                VoiceChange::Stored(record) => StudioEvent::Voice {
                    voice: Box::new(view_of_voice(&jobs, record)),
                },
                VoiceChange::Forgotten(id) => StudioEvent::VoiceDeleted { id: id.to_string() },
            };
            jobs.publish(&event);
        })
    }

    pub fn voices(&self) -> Vec<VoiceView> {
        self.voices
            .list()
            .iter()
            .map(|record| self.voice_view(record))
            .collect()
    }

    /// Makes a voice from a staged clip: upload, the one paid create call, then
    /// following it until Segmind answers the voice id.
    pub async fn make_voice(
        &self,
        clip_id: &str,
        clip_name: &str,
        name: &str,
        progress: impl Fn(VoiceProgress) + Send + Sync + 'static,
    ) -> AppResult<VoiceView> {
        // A voice has no card: each error says itself what was spent.
        let client = self.client().await.map_err(AppError::in_a_paid_call)?;
        let record = making::make(
            &self.voices,
            &client,
            clip_id,
            clip_name,
            name,
            progress,
            self.voice_changed(),
        )
        .await
        .map_err(AppError::in_a_paid_call)?;
        // From here Segmind has the job: whatever goes wrong may have been billed.
        let ready = self
            .follow_voice(client, record.id)
            .await
            .map_err(|error| {
                AppError {
                    may_be_billed: error.code != ErrorCode::JobFailed,
                    ..error
                }
                .in_a_paid_call()
            })?;
        Ok(self.voice_view(&ready))
    }

    /// Follows a voice being made, unless a task already does.
    pub(super) fn follow_voice(
        &self,
        client: SegmindClient,
        id: String,
    ) -> impl std::future::Future<Output = AppResult<VoiceRecord>> + Send + 'static {
        let voices = Arc::clone(&self.voices);
        let following = Arc::clone(&self.following_voices);
        let polling = self.voice_polling;
        let changed = self.voice_changed();
        async move {
            // Another task follows it (a key saved meanwhile): wait for its end.
            while !lock(&following).insert(id.clone()) {
                tokio::time::sleep(polling.interval).await;
                let record = voices.get(&id)?;
                if record.status != crate::voices::VoiceStatus::Making {
                    return Ok(record);
                }
            }
            let result = making::follow(&voices, &client, &id, polling, changed).await;
            lock(&following).remove(&id);
            result
        }
    }

    pub fn rename_voice(&self, id: &str, name: &str) -> AppResult<VoiceView> {
        let record = self.voices.rename(id, name)?;
        (self.voice_changed())(VoiceChange::Stored(&record));
        Ok(self.voice_view(&record))
    }

    /// Forgets a voice here. Videos made with it keep their sound.
    pub fn delete_voice(&self, id: &str) -> AppResult<()> {
        self.voices.delete(id)?;
        self.jobs
            .publish(&StudioEvent::VoiceDeleted { id: id.to_string() });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::studio_for_tests;
    use super::*;

    #[tokio::test]
    async fn a_clip_that_is_no_sound_is_refused_and_no_voice_is_listed() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        let refused = studio.stage_voice_clip(b"a text file").unwrap_err();
        assert_eq!(refused.fields[0].field, "voice_clip");
        assert!(studio.voices().is_empty());
        let unknown = studio.rename_voice("no-such-voice", "Anna").unwrap_err();
        assert_eq!(unknown.code, ErrorCode::VoiceNotFound);
    }
}
