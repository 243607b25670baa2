//! One running copy: a double click on a launcher starts the app twice at once.
//! Over a library holding a job that waits its turn, exactly one copy drives it:
//! one POST, the job ends ready, and one copy (one window) remains.

use std::time::Duration;

use e2e::*;
use fake_segmind::FakeSegmind;

const JOB: &str = "0000eeee-0000-0000-0000-000000000005";

#[tokio::test]
async fn two_copies_started_at_once_send_the_waiting_job_once_and_one_remains() {
    keychain_store(KEY);
    let env = Env::start("two-copies").await;
    env.add_waiting_job(JOB, "A lighthouse keeper climbs the stairs at dusk");
    let mut first = env.spawn_app("two-copies-first");
    let mut second = env.spawn_app("two-copies-second");
    wait_until(
        "one copy to hand over and exit",
        Duration::from_secs(30),
        || {
            let exited = first.has_exited() || second.has_exited();
            async move { exited }
        },
    )
    .await;
    wait_until(
        "the waiting job to be ready",
        Duration::from_secs(90),
        || {
            let ready = env.job_status(JOB).as_deref() == Some("ready");
            async move { ready }
        },
    )
    .await;
    assert_eq!(env.posts(), 1, "exactly one POST for one job");
    assert_eq!(env.fake.credits(), 97.0, "billed once");
    let videos = env.library_videos();
    assert_eq!(videos.len(), 1, "{videos:?}");
    assert_eq!(std::fs::read(&videos[0]).unwrap(), FakeSegmind::clip());
    assert!(
        env.library_files("part").is_empty(),
        "no download left half-done"
    );
    assert_eq!(
        [first.has_exited(), second.has_exited()]
            .iter()
            .filter(|exited| !**exited)
            .count(),
        1,
        "exactly one copy is still running"
    );
}
