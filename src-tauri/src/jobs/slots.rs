//! How many jobs run at once, in order: a first-come, first-served queue of job
//! ids with a cap that can change while jobs wait. And the gate that holds every
//! submission back while Segmind's rate limit lasts.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::clock::now_ms;

struct Queue {
    cap: usize,
    running: usize,
    waiting: VecDeque<String>,
}

pub struct Slots {
    queue: Mutex<Queue>,
    changed: Notify,
}

/// A running job's place; dropping it lets the next job in line start.
pub struct Slot {
    slots: Arc<Slots>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock().running -= 1;
        self.slots.changed.notify_waiters();
    }
}

impl Slots {
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(Queue {
                cap: cap.max(1),
                running: 0,
                waiting: VecDeque::new(),
            }),
            changed: Notify::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        crate::mutex::lock(&self.queue)
    }

    pub fn set_cap(&self, cap: usize) {
        self.lock().cap = cap.max(1);
        self.changed.notify_waiters();
    }

    /// Waits for this job's turn. Jobs start in the order they asked. If the wait
    /// is abandoned (the job stopped), the job leaves the line.
    pub async fn acquire(self: &Arc<Self>, id: &str) -> Slot {
        struct InLine<'a> {
            slots: &'a Slots,
            id: &'a str,
            served: bool,
        }
        impl Drop for InLine<'_> {
            fn drop(&mut self) {
                if !self.served {
                    self.slots.leave(self.id);
                }
            }
        }
        self.join(id);
        let mut in_line = InLine {
            slots: self,
            id,
            served: false,
        };
        loop {
            // Register for a wake-up before looking, so no release is missed.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut queue = self.lock();
                if queue.waiting.front().map(String::as_str) == Some(id)
                    && queue.running < queue.cap
                {
                    queue.waiting.pop_front();
                    queue.running += 1;
                    drop(queue);
                    in_line.served = true;
                    self.changed.notify_waiters();
                    return Slot {
                        slots: Arc::clone(self),
                    };
                }
            }
            notified.await;
        }
    }

    /// Puts a job at the end of the line (once), so its place can be told before it
    /// waits; `acquire` then waits from there. A job that joins and never acquires
    /// must `leave`.
    pub fn join(&self, id: &str) {
        let mut queue = self.lock();
        if !queue.waiting.iter().any(|w| w == id) {
            queue.waiting.push_back(id.to_string());
        }
    }

    /// A place for a job Segmind already has: taken at once, even over the cap (it
    /// must not wait behind unsent jobs), and counted, so new sends wait for it.
    pub fn take_now(self: &Arc<Self>) -> Slot {
        self.lock().running += 1;
        Slot {
            slots: Arc::clone(self),
        }
    }

    /// Takes a job out of the line (stopped while waiting, or its task ended).
    pub fn leave(&self, id: &str) {
        self.lock().waiting.retain(|w| w != id);
        self.changed.notify_waiters();
    }

    /// 1 for the next job to start, `None` when not waiting.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.lock()
            .waiting
            .iter()
            .position(|w| w == id)
            .map(|p| p + 1)
    }

    /// The jobs waiting for a slot, next first.
    pub fn waiting(&self) -> Vec<String> {
        self.lock().waiting.iter().cloned().collect()
    }

    pub fn running(&self) -> usize {
        self.lock().running
    }
}

/// Holds submissions back until a rate limit's reset time.
#[derive(Default)]
pub struct RateGate {
    paused_until_ms: AtomicI64,
}

/// The longest one 429 may hold every submission back, whatever its reset time
/// says (`inf`, microseconds, a year ahead): then one more try tells.
pub const MAX_RATE_PAUSE: Duration = Duration::from_secs(5 * 60);

impl RateGate {
    pub fn pause_until(&self, until_ms: i64) {
        let now = now_ms();
        let until = until_ms.clamp(now, now + MAX_RATE_PAUSE.as_millis() as i64);
        self.paused_until_ms.fetch_max(until, Ordering::SeqCst);
    }

    /// When submissions may go again, if they are paused now.
    pub fn paused_until(&self) -> Option<i64> {
        let until = self.paused_until_ms.load(Ordering::SeqCst);
        (until > now_ms()).then_some(until)
    }

    pub async fn wait(&self) {
        while let Some(until) = self.paused_until() {
            tokio::time::sleep(Duration::from_millis((until - now_ms()).max(1) as u64)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_start_in_order_within_the_cap() {
        let slots = Slots::new(2);
        let a = slots.acquire("a").await;
        let b = slots.acquire("b").await;
        assert_eq!(slots.running(), 2);
        let waiter = {
            let slots = Arc::clone(&slots);
            tokio::spawn(async move { slots.acquire("c").await })
        };
        // "c" is in line until a slot frees.
        while slots.position("c").is_none() {
            tokio::task::yield_now().await;
        }
        assert_eq!(slots.position("c"), Some(1));
        drop(a);
        let c = waiter.await.unwrap();
        assert_eq!(slots.running(), 2);
        assert_eq!(slots.position("c"), None);
        drop((b, c));
        assert_eq!(slots.running(), 0);
    }

    #[tokio::test]
    async fn raising_the_cap_lets_waiting_jobs_start() {
        let slots = Slots::new(1);
        let _a = slots.acquire("a").await;
        let waiter = {
            let slots = Arc::clone(&slots);
            tokio::spawn(async move { slots.acquire("b").await })
        };
        while slots.position("b").is_none() {
            tokio::task::yield_now().await;
        }
        slots.set_cap(2);
        let _b = waiter.await.unwrap();
        assert_eq!(slots.running(), 2);
    }

    #[tokio::test]
    async fn an_abandoned_wait_leaves_the_line() {
        let slots = Slots::new(1);
        let a = slots.acquire("a").await;
        let waiter = {
            let slots = Arc::clone(&slots);
            tokio::spawn(async move { slots.acquire("b").await })
        };
        while slots.position("b").is_none() {
            tokio::task::yield_now().await;
        }
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(slots.position("b"), None);
        drop(a);
        let _c = slots.acquire("c").await;
    }

    #[test]
    fn the_gate_believes_no_reset_time_beyond_its_cap() {
        let gate = RateGate::default();
        gate.pause_until(i64::MAX);
        let until = gate.paused_until().unwrap();
        assert!(until <= now_ms() + MAX_RATE_PAUSE.as_millis() as i64);
        let past = RateGate::default();
        past.pause_until(now_ms() - 60_000);
        assert_eq!(past.paused_until(), None);
    }

    #[tokio::test]
    async fn a_job_segmind_has_never_waits_in_line() {
        let slots = Slots::new(1);
        let _unsent = slots.acquire("a").await;
        let _followed = slots.take_now();
        assert_eq!(slots.running(), 2);
        let waiter = {
            let slots = Arc::clone(&slots);
            tokio::spawn(async move { slots.acquire("b").await })
        };
        while slots.position("b").is_none() {
            tokio::task::yield_now().await;
        }
        drop(_unsent);
        // Still over the cap with the followed job: "b" waits for it too.
        tokio::task::yield_now().await;
        assert_eq!(slots.position("b"), Some(1));
        drop(_followed);
        let _b = waiter.await.unwrap();
    }

    #[test]
    fn the_gate_remembers_the_latest_reset() {
        let gate = RateGate::default();
        assert_eq!(gate.paused_until(), None);
        let later = now_ms() + 60_000;
        gate.pause_until(later);
        gate.pause_until(now_ms() + 1000);
        assert_eq!(gate.paused_until(), Some(later));
    }
}
