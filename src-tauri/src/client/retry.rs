//! When and how long to wait before trying a call again, and the one loop that
//! does it for every call the client retries (Segmind's calls and downloads).

use std::time::Duration;

use super::RetryNotice;
use crate::clock::now_ms;
use crate::error::{AppError, ErrorCode};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries in all, the first one included.
    pub max_attempts: u32,
    /// The first backoff; each next one doubles, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest a 429's reset time may make us wait before one more try.
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(5 * 60),
        }
    }
}

impl RetryPolicy {
    /// Backoff before try number `attempt + 1` (attempt counts from 1): doubling,
    /// plus up to a quarter more at random, so that every job hit by one outage
    /// does not come back in the same instant; never past `max_delay`.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let delay = self.base_delay.saturating_mul(factor);
        (delay + delay.mul_f64(random_fraction() / 4.0)).min(self.max_delay)
    }

    /// How long a 429 asks us to wait: until its reset time when it gives one
    /// (capped), else the ordinary backoff.
    fn rate_limit_wait(&self, reset_at_ms: Option<i64>, attempt: u32) -> Duration {
        match reset_at_ms {
            Some(at) => {
                let wait_ms = (at - now_ms()).max(0) as u64;
                // A small margin: the server's clock and ours are not the same clock.
                (Duration::from_millis(wait_ms) + Duration::from_millis(250))
                    .min(self.max_rate_limit_wait)
            }
            None => self.backoff(attempt),
        }
    }
}

impl RetryPolicy {
    /// The tries of one call, counted from the first; `what` names it in the log.
    pub fn tries<'a>(&'a self, what: &'a str) -> Tries<'a> {
        Tries {
            policy: self,
            what,
            attempt: 1,
        }
    }
}

/// The bookkeeping of one retried call. Each loop decides what may be tried again
/// (that differs: a billable POST is never re-sent once it may have arrived); this
/// decides how many tries, how long each pause, and what is logged and told.
pub struct Tries<'a> {
    policy: &'a RetryPolicy,
    what: &'a str,
    attempt: u32,
}

impl Tries<'_> {
    /// After a try that failed with `error`, worth trying again: `Err(error)` once
    /// the tries are spent. Otherwise waits (until a 429's reset time, else the
    /// backoff), having logged it and told `notify`, and answers `Ok(())`.
    pub async fn pause(
        &mut self,
        error: AppError,
        notify: impl FnOnce(RetryNotice),
    ) -> Result<(), AppError> {
        let (policy, attempt, what) = (self.policy, self.attempt, self.what);
        if attempt >= policy.max_attempts {
            log::warn!(
                "{what} gave up after {attempt} attempts: {}",
                crate::logging::error_line(&error)
            );
            return Err(error);
        }
        // Every 429 is `RateLimited` (answer.rs maps it so for every call).
        let rate_limited = error.code == ErrorCode::RateLimited;
        let wait = if rate_limited {
            policy.rate_limit_wait(error.retry_at_ms, attempt)
        } else {
            policy.backoff(attempt)
        };
        log::info!(
            "{what}: {}; trying again in {wait:?} (attempt {attempt})",
            crate::logging::error_line(&error)
        );
        notify(if rate_limited {
            RetryNotice::RateLimited {
                until_ms: now_ms() + wait.as_millis() as i64,
            }
        } else {
            RetryNotice::Retrying {
                attempt,
                delay: wait,
            }
        });
        tokio::time::sleep(wait).await;
        self.attempt += 1;
        Ok(())
    }
}

/// A number in [0, 1) that differs from call to call: std's per-map random keys,
/// stirred with the clock. Spreading retries needs no better randomness.
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_i64(now_ms());
    (hasher.finish() % 1_000_000) as f64 / 1_000_000.0
}

/// `x-rate-limit-reset-at-utc` as Unix milliseconds. The contract only infers this
/// header, so every likely spelling is accepted: RFC 3339, an HTTP date, or Unix
/// seconds/milliseconds.
pub fn parse_reset_at(value: &str) -> Option<i64> {
    let value = value.trim();
    if let Ok(number) = value.parse::<f64>() {
        // `inf`, `NaN` and negatives are no time at all.
        if !number.is_finite() || number < 0.0 {
            return None;
        }
        // Anything past the year 33658 in seconds is surely milliseconds.
        return Some(if number > 1e12 {
            number as i64
        } else {
            (number * 1000.0) as i64
        });
    }
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(value) {
        return Some(time.timestamp_millis());
    }
    if let Ok(time) = chrono::DateTime::parse_from_rfc2822(value) {
        return Some(time.timestamp_millis());
    }
    // RFC 3339 without an offset: the header's name says UTC.
    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(60),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tries_pause_with_the_backoff_then_give_up_with_the_last_error() {
        let policy = quick(3);
        let mut tries = policy.tries("Test call");
        let mut heard = Vec::new();
        let started = tokio::time::Instant::now();
        for _ in 0..2 {
            let error = AppError::new(ErrorCode::Network);
            tries
                .pause(error, |n| heard.push(n))
                .await
                .expect("a try is left");
        }
        let waited = started.elapsed();
        // 1 s then 2 s, each with up to a quarter more.
        assert!(
            waited >= Duration::from_secs(3) && waited <= Duration::from_millis(3750),
            "{waited:?}"
        );
        assert!(
            matches!(
                heard[..],
                [
                    RetryNotice::Retrying { attempt: 1, .. },
                    RetryNotice::Retrying { attempt: 2, .. }
                ]
            ),
            "{heard:?}"
        );
        let last = AppError::new(ErrorCode::Transient);
        let given_up = tries.pause(last, |n| heard.push(n)).await.unwrap_err();
        assert_eq!(
            given_up.code,
            ErrorCode::Transient,
            "the last error is the answer"
        );
        assert_eq!(
            heard.len(),
            2,
            "no pause is announced once the tries are spent"
        );
        assert!(started.elapsed() == waited, "and none is waited");
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_waits_until_its_reset_time() {
        let policy = quick(5);
        let mut tries = policy.tries("Test call");
        let reset_at = now_ms() + 10_000;
        let error = AppError {
            retry_at_ms: Some(reset_at),
            ..AppError::new(ErrorCode::RateLimited)
        };
        let mut heard = None;
        let started = tokio::time::Instant::now();
        tries.pause(error, |n| heard = Some(n)).await.unwrap();
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(9) && waited <= Duration::from_millis(10_300),
            "{waited:?}"
        );
        match heard {
            Some(RetryNotice::RateLimited { until_ms }) => {
                assert!(
                    (until_ms - reset_at).abs() < 1_000,
                    "{until_ms} vs {reset_at}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..Default::default()
        };
        for _ in 0..50 {
            let waits: Vec<u128> = (1..=4).map(|a| policy.backoff(a).as_millis()).collect();
            assert!((100..=125).contains(&waits[0]), "{waits:?}");
            assert!((200..=250).contains(&waits[1]), "{waits:?}");
            assert_eq!(waits[2..], [350, 350], "capped");
        }
        // The jitter spreads: 50 first waits are not all the same.
        let firsts: std::collections::BTreeSet<u128> =
            (0..50).map(|_| policy.backoff(1).as_micros()).collect();
        assert!(firsts.len() > 10, "{firsts:?}");
    }

    #[test]
    fn reset_header_is_read_in_every_likely_format() {
        let expected = 1_795_000_000_000_i64; // 2026-11-18T…Z
        let rfc3339 = chrono::DateTime::from_timestamp_millis(expected)
            .unwrap()
            .to_rfc3339();
        assert_eq!(parse_reset_at(&rfc3339), Some(expected));
        assert_eq!(parse_reset_at("1795000000"), Some(expected));
        assert_eq!(parse_reset_at("1795000000000"), Some(expected));
        let http_date = chrono::DateTime::from_timestamp_millis(expected)
            .unwrap()
            .to_rfc2822();
        assert_eq!(parse_reset_at(&http_date), Some(expected));
        let naive = chrono::DateTime::from_timestamp_millis(expected)
            .unwrap()
            .naive_utc()
            .to_string();
        assert_eq!(parse_reset_at(&naive), Some(expected));
        assert_eq!(parse_reset_at("soon"), None);
        assert_eq!(parse_reset_at("inf"), None);
        assert_eq!(parse_reset_at("NaN"), None);
        assert_eq!(parse_reset_at("-5"), None);
    }

    #[test]
    fn rate_limit_wait_follows_the_reset_time_within_the_cap() {
        let policy = RetryPolicy {
            max_rate_limit_wait: Duration::from_secs(10),
            ..Default::default()
        };
        let in_two_seconds = policy.rate_limit_wait(Some(now_ms() + 2000), 1);
        assert!(
            in_two_seconds > Duration::from_millis(1500)
                && in_two_seconds <= Duration::from_millis(2300)
        );
        assert_eq!(
            policy.rate_limit_wait(Some(now_ms() + 3_600_000), 1),
            Duration::from_secs(10)
        );
        assert!(policy.rate_limit_wait(Some(now_ms() - 5000), 1) <= Duration::from_millis(250));
        let wait = policy.rate_limit_wait(None, 2);
        assert!(wait >= policy.base_delay * 2 && wait <= policy.base_delay * 2 * 5 / 4);
    }
}
