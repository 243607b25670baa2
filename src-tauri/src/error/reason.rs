//! Which case of a code an error is (`busy`: `being_sent`, `downloading_paid`…).
//! Each name is a key in the catalogues (`reason.<name>`) and in errors.js's
//! `REASONS`; the catalogue test and tsc check both against `Reason::ALL` and the
//! generated contract.
//!
//! A record may hold a reason a newer version wrote: it is read and written back
//! as it was (`KeptAsWritten::FromANewerVersion`), never dropped.

use super::KeptAsWritten;

wire_names! {
    /// Which case of a code an error is.
    Reason;
    // Busy: the job or voice is in a state that refuses the click.
    JobStopped = "job_stopped",
    NoLongerWaiting = "no_longer_waiting",
    BeingSent = "being_sent",
    DownloadingPaid = "downloading_paid",
    VoiceBeingMade = "voice_being_made",
    // Not found, or not there yet.
    NothingToFetch = "nothing_to_fetch",
    NotReady = "not_ready",
    NotInLibrary = "not_in_library",
    OutsideLibrary = "outside_library",
    StillNotKept = "still_not_kept",
    ClipGone = "clip_gone",
    PictureGone = "picture_gone",
    // Following a paid job, and what its answer held.
    ClosedWhileSending = "closed_while_sending",
    FollowDeadline = "follow_deadline",
    NoVideo = "no_video",
    UnreadableResult = "unreadable_result",
    UnusableAddress = "unusable_address",
    RedirectRefused = "redirect_refused",
    // Making a voice.
    Upload = "upload",
    UploadPicture = "upload_picture",
    NoVoiceId = "no_voice_id",
    VoiceStillMaking = "voice_still_making",
    Interrupted = "interrupted",
    // The connection and the account.
    CertificateRefused = "certificate_refused",
    BaseUrlNotUrl = "base_url_not_url",
    BaseUrlNotHttps = "base_url_not_https",
    KeyMissing = "key_missing",
    BelowEstimate = "below_estimate",
    // Files: which step the disk refused.
    RecordJob = "record_job",
    DeleteJob = "delete_job",
    DeleteVideo = "delete_video",
    RecordVoice = "record_voice",
    DeleteVoice = "delete_voice",
    KeepClip = "keep_clip",
    KeepPicture = "keep_picture",
    KeepStill = "keep_still",
    WriteVideo = "write_video",
    SaveVideo = "save_video",
    SaveVideoAs = "save_video_as",
    RememberSettings = "remember_settings",
    // The system's helpers.
    OpenFolder = "open_folder",
    OpenBrowser = "open_browser",
}

/// A reason as an error holds it: one this version knows, or one a newer
/// version wrote into a record, kept as it was.
pub type ErrorReason = KeptAsWritten<Reason>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::WireName;

    #[test]
    fn every_reason_goes_out_by_its_name_and_comes_back() {
        for reason in Reason::ALL {
            let value = serde_json::to_value(ErrorReason::from(*reason)).unwrap();
            assert_eq!(value, reason.name());
            let back: ErrorReason = serde_json::from_value(value).unwrap();
            assert_eq!(back, *reason);
        }
    }

    #[test]
    fn a_reason_from_a_newer_version_is_kept_as_written() {
        let read: ErrorReason = serde_json::from_str("\"a_new_reason\"").unwrap();
        assert_eq!(
            read,
            KeptAsWritten::FromANewerVersion("a_new_reason".into())
        );
        assert_eq!(serde_json::to_string(&read).unwrap(), "\"a_new_reason\"");
        assert_eq!(read.name(), "a_new_reason");
    }

    #[test]
    fn names_are_unique() {
        let names: std::collections::BTreeSet<&str> =
            Reason::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(names.len(), Reason::ALL.len());
    }
}
