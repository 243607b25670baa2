//! Keeps every call to Segmind within the plan's request rate (5 a minute on free
//! plans, 50 on Pro), across all jobs at once: each call takes the next free
//! slot, first come first served.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug)]
pub struct RequestPacer {
    interval: Duration,
    next_slot: Mutex<Option<Instant>>,
}

impl RequestPacer {
    pub fn per_minute(requests: u32) -> Self {
        Self {
            interval: Duration::from_secs(60) / requests.max(1),
            next_slot: Mutex::new(None),
        }
    }

    /// Waits for this call's slot. tokio's Mutex is fair, so callers go in order.
    pub async fn wait(&self) {
        let mut next_slot = self.next_slot.lock().await;
        let now = Instant::now();
        let slot = next_slot.map_or(now, |slot| slot.max(now));
        tokio::time::sleep_until(slot).await;
        *next_slot = Some(slot + self.interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_by_the_plans_rate_across_callers() {
        let pacer = Arc::new(RequestPacer::per_minute(50)); // one call per 1.2 s
        let started = Instant::now();
        let mut calls = Vec::new();
        for _ in 0..3 {
            let pacer = Arc::clone(&pacer);
            calls.push(tokio::spawn(async move {
                pacer.wait().await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for call in calls {
            times.push(call.await.unwrap() - started);
        }
        times.sort();
        assert_eq!(
            times,
            [
                Duration::ZERO,
                Duration::from_millis(1200),
                Duration::from_millis(2400)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_pacer_lets_the_next_call_go_at_once() {
        let pacer = RequestPacer::per_minute(5);
        pacer.wait().await;
        tokio::time::advance(Duration::from_secs(60)).await;
        let before = Instant::now();
        pacer.wait().await;
        assert_eq!(Instant::now(), before);
    }
}
