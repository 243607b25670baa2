//! Disk work that may block (an fsync, copying a video of hundreds of MB), called
//! from async code: on the app's multi-threaded runtime the worker hands its other
//! tasks to another thread meanwhile, so job drives and the window's calls go on.
//! Anywhere else (no runtime, a single-threaded test runtime, a blocking thread)
//! there is nothing to hand over, and the work simply runs.
//!
//! One case would still panic: a single-threaded runtime's `block_on` run while a
//! multi-threaded runtime's `Handle::enter()` guard is held (the flavour seen is
//! the entered one's). Nothing in the app nests runtimes that way.

pub fn run<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_with_no_runtime() {
        assert_eq!(super::run(|| 7), 7);
    }

    #[tokio::test]
    async fn runs_on_a_single_threaded_runtime_where_block_in_place_would_panic() {
        assert_eq!(super::run(|| 7), 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_on_a_worker_and_from_a_blocking_thread() {
        assert_eq!(super::run(|| 7), 7);
        let from_pool = tokio::task::spawn_blocking(|| super::run(|| 8))
            .await
            .unwrap();
        assert_eq!(from_pool, 8);
    }
}
