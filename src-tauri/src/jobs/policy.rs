//! How often and how long a job is asked after, and how patiently.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct PollPolicy {
    /// The first pause between status calls; the contract asks for 2-5 s.
    pub interval: Duration,
    /// Pauses grow by a tenth each time up to this, to spare the plan's request rate.
    pub max_interval: Duration,
    /// Following ends here, never silently: the card says so. One clock per drive,
    /// for the status and the result calls together.
    pub deadline: Duration,
    /// After a failed call the pause doubles from `interval` up to this.
    pub max_retry_pause: Duration,
    /// How long a download keeps trying by itself (a Wi-Fi drop, a busy file host)
    /// before it asks for a click.
    pub download_patience: Duration,
    /// Segmind keeps a job about an hour after it ends: a 404 for a job sent less
    /// than this long ago is Segmind lagging, not forgetting, and is asked again.
    pub retention: Duration,
    /// A paid job the app could not finish by itself (the deadline passed, the
    /// download ran out of patience, the key was refused, the result could not be
    /// read) is asked after again this often, by itself, without holding a slot.
    pub slow_interval: Duration,
    /// ...until this long after Segmind accepted it: surely past Segmind's
    /// retention of a job that finished, and past any video still being made.
    pub keep_asking: Duration,
    /// A finished job whose answer names no video is asked again (the response
    /// URL lagging behind) this long before the card says so.
    pub unread_patience: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(3),
            max_interval: Duration::from_secs(10),
            deadline: Duration::from_secs(20 * 60),
            max_retry_pause: Duration::from_secs(30),
            download_patience: Duration::from_secs(10 * 60),
            retention: Duration::from_secs(70 * 60),
            slow_interval: Duration::from_secs(5 * 60),
            keep_asking: Duration::from_secs(24 * 60 * 60),
            unread_patience: Duration::from_secs(60),
        }
    }
}

impl PollPolicy {
    /// The pause after `troubles` failed calls in a row.
    pub(super) fn retry_pause(&self, troubles: u32) -> Duration {
        let factor = 2u32.saturating_pow(troubles.saturating_sub(1).min(16));
        self.interval
            .saturating_mul(factor)
            .min(self.max_retry_pause)
    }
}
