//! Work the window must never wait for: downloading a video (and, to come, writing
//! a film), gigabytes at a time. It runs on a runtime of its own whose threads run
//! below the window's priority, so on a machine with two busy cores the scheduler
//! hands the window's threads (the UI thread, the web view, the runtime that
//! answers commands) the CPU first and the transfer takes what is left.
//!
//! Measured with `bench window` (README): in the window's first seconds, while
//! the page draws its first stills and a 4 GiB loopback download starts, a
//! command's round trip measured p99 105-116 ms with the download at the window's
//! priority and 56-101 ms below it (49-58 ms with no download). A trace showed no
//! lock or disk wait, only two full cores. Once the page has settled, both
//! measure 6-20 ms.
//!
//! A whole task moves, not a wrapped future: hyper reads the socket in a
//! connection task it spawns on the runtime the request is made from, and the
//! file's writer (`spawn_blocking`) lands on that runtime's blocking pool. Both
//! are started from here, so both get the lower priority.
//!
//! One value means "background" on each system (the thread-priority crate's
//! scale of 0 to 99, where about 50 is normal), checked against its source:
//! - Linux: nice 10 for the thread (a nice value is per thread on Linux,
//!   `setpriority(2)`, "BUGS"): about a tenth of the CPU of a normal thread when
//!   both want it, all of it when the window is idle.
//! - macOS: `SCHED_OTHER` priority 22 through `pthread_setschedparam` (the
//!   default is 31, the range 15 to 47), which XNU honours for time-sharing threads.
//! - Windows: `THREAD_PRIORITY_BELOW_NORMAL`. Not background mode
//!   (`THREAD_MODE_BACKGROUND_BEGIN`): that also drops the thread's disk and
//!   memory priority to "very low" (SetThreadPriority's documentation), and a paid
//!   video's file must not wait behind every other program's disk traffic.
//!
//! Lowering a priority needs no privilege on any of them; a system that refuses
//! anyway (a sandbox's policy) leaves the thread at normal priority, which is
//! slower to yield and never broken.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// Below normal on the crate's scale: nice 10 on Linux (its linear map of 0..99
/// onto nice 19..-20), priority 22 on macOS, `BELOW_NORMAL` (20..39) on Windows.
const BACKGROUND: u8 = 22;

fn lower_this_thread() {
    let outcome = thread_priority::ThreadPriorityValue::try_from(BACKGROUND)
        .map_err(|e| e.to_string())
        .and_then(|value| {
            thread_priority::set_current_thread_priority(
                thread_priority::ThreadPriority::Crossplatform(value),
            )
            .map_err(|e| e.to_string())
        });
    if let Err(error) = outcome {
        log::warn!("background work runs at normal priority: {error}");
    }
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            // Transfers wait on the network and the disk, not the CPU: one worker
            // keeps a connection's reads and its body on one thread.
            .worker_threads(1)
            .thread_name("kling-background")
            // Every thread the runtime starts, its blocking pool's included.
            .on_thread_start(lower_this_thread)
            .enable_all()
            .build()
            .expect("the background runtime starts")
    })
}

/// Runs `work` on the background runtime; awaiting the answer gives its output.
/// Dropping the answer stops the work, as dropping the future itself would have
/// (a job stopped or deleted mid-download stops its download).
pub fn spawn<F>(work: F) -> Background<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Background(runtime().spawn(work))
}

/// The answer of background work, which stops the work when dropped.
pub struct Background<T>(JoinHandle<T>);

impl<T> Future for Background<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|finished| match finished {
                Ok(output) => output,
                // Never cancelled but by our own drop; a panic is the work's own bug,
                // and goes on as it would have where the work was awaited.
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            })
    }
}

impl<T> Drop for Background<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nice value of the calling thread, from the kernel's own account of it.
    #[cfg(target_os = "linux")]
    fn nice_of_this_thread() -> i64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        // Fields after the command name (which may hold spaces) in parentheses;
        // nice is field 19 of stat(5), the 17th after the name.
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        after_name.split(' ').nth(16).unwrap().parse().unwrap()
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn background_work_and_its_disk_threads_run_below_the_window() {
        let caller = nice_of_this_thread();
        let (worker, blocking) = spawn(async {
            let blocking = tokio::task::spawn_blocking(nice_of_this_thread)
                .await
                .unwrap();
            (nice_of_this_thread(), blocking)
        })
        .await;
        assert_eq!(caller, 0, "the caller's thread is untouched");
        assert_eq!(worker, 10);
        assert_eq!(blocking, 10);
    }

    #[tokio::test]
    async fn dropping_the_answer_stops_the_work() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let answer = spawn(async move {
            // Held until the task ends: a stopped task drops it.
            let _tx = tx;
            std::future::pending::<()>().await
        });
        drop(answer);
        assert!(rx.await.is_err(), "the task ended without sending");
    }

    #[tokio::test]
    #[should_panic(expected = "the work's own bug")]
    async fn a_panic_in_the_work_reaches_the_caller() {
        spawn(async { panic!("the work's own bug") }).await
    }
}
