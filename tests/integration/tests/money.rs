//! Money you can see, against the fake (which bills per second and sound tier and
//! reports `metrics.cost`): a balance below the estimate sends nothing; a monthly
//! limit asks first; several takes are each sent exactly once; the spend adds up.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use fake_segmind::{Config, PerSecond};
use kling_studio::error::ErrorCode;
use kling_studio::jobs::library::RecordStatus;
use kling_studio::jobs::{JobView, StudioEvent};
use kling_studio::price::Basis;
use kling_studio::studio::{AnotherTake, Order};

async fn priced(credits: f64) -> Setup {
    let s = setup_with(Config {
        credits,
        per_second: Some(PerSecond::KLING_3_PRO),
        ..Config::default()
    })
    .await;
    // Checking the key tells the app the balance, as the window does at start.
    s.studio.save_api_key(KEY, true).await.unwrap();
    s.fake.reset_requests();
    s
}

/// Waits until every one of `jobs` has ended, in whatever order they end.
async fn all_ended(s: &mut Setup, jobs: &[JobView]) -> Vec<JobView> {
    let mut done: HashMap<String, JobView> = HashMap::new();
    let wait = async {
        while done.len() < jobs.len() {
            match s.rx.recv().await {
                Some(StudioEvent::Job { job }) if ended(&job) => {
                    if jobs.iter().any(|j| j.record.id == job.record.id) {
                        done.insert(job.record.id.clone(), *job);
                    }
                }
                Some(_) => {}
                None => panic!("the studio stopped publishing"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .expect("every take ended in time");
    jobs.iter()
        .map(|j| done.remove(&j.record.id).unwrap())
        .collect()
}

fn order(prompt: &str, takes: u8, past_limit_agreed: bool) -> Order {
    Order {
        request: request(prompt),
        submission_id: format!("click-{prompt}-{takes}-{past_limit_agreed}"),
        takes,
        past_limit_agreed,
    }
}

#[tokio::test]
async fn a_balance_below_the_estimate_sends_nothing() {
    // 5 s with sound is about $1.68; the balance is $1.
    let s = priced(1.0).await;
    let err = s
        .studio
        .start_takes(order("a lighthouse", 1, false))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InsufficientCredits);
    assert_eq!(err.reason_name(), Some("below_estimate"));
    assert_eq!(err.params["balance"], 1.0);
    assert_eq!(err.params["estimate"], 1.68);
    assert_eq!(s.fake.count("POST", SUBMIT), 0, "nothing sent");
    assert!(watch(&s.studio).0.jobs.is_empty(), "nothing recorded");
    assert_eq!(s.fake.credits(), 1.0);
}

#[tokio::test]
async fn a_top_up_since_the_last_look_is_seen_before_refusing() {
    let s = priced(1.0).await;
    // Topped up on Segmind's site after the app last looked.
    s.fake.set_credits(50.0);
    let mut s = s;
    let jobs = s
        .studio
        .start_takes(order("a harbour", 1, false))
        .await
        .unwrap();
    let done = until(&mut s.rx, &jobs[0].record.id, ended).await;
    assert_eq!(done.record.status, RecordStatus::Ready);
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn three_takes_are_three_jobs_each_sent_exactly_once() {
    let mut s = priced(100.0).await;
    let jobs = s
        .studio
        .start_takes(order("a fox in snow", 3, false))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 3);
    let set = jobs[0].record.take.as_ref().unwrap().set.clone();
    for (i, job) in jobs.iter().enumerate() {
        let take = job.record.take.as_ref().expect("a take of the set");
        assert_eq!(
            (take.set.as_str(), take.n, take.of),
            (set.as_str(), i as u8 + 1, 3)
        );
    }
    for done in all_ended(&mut s, &jobs).await {
        assert_eq!(
            done.record.status,
            RecordStatus::Ready,
            "{:?}",
            done.record.error
        );
        // The fake bills 5 s with sound at $0.336 a second, and says so.
        assert_eq!(
            done.record.metrics.as_ref().and_then(|m| m.cost),
            Some(1.68)
        );
    }
    assert_eq!(s.fake.count("POST", SUBMIT), 3, "exactly three POSTs");
    assert!(
        (s.fake.credits() - 94.96).abs() < 1e-9,
        "{}",
        s.fake.credits()
    );
    // The spend adds up, and the estimate now learns from these three.
    let spend = s.studio.spend();
    assert_eq!((spend.spend.month, spend.spend.total), (5.04, 5.04));
    let price = s.studio.price(&request("again"), 2);
    assert_eq!(price.each.basis, Basis::Learned { videos: 3 });
    assert_eq!(price.total, 3.36);
}

#[tokio::test]
async fn past_the_monthly_limit_it_asks_first_and_a_no_sends_nothing() {
    let mut s = priced(100.0).await;
    s.studio.set_monthly_limit(Some(3.0)).unwrap();
    // 2 takes: $3.36, past a $3 limit.
    let err = s
        .studio
        .start_takes(order("a comet", 2, false))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::OverLimit);
    assert_eq!(err.params["limit"], 3.0);
    assert_eq!(err.params["estimate"], 3.36);
    assert_eq!(
        s.fake.count("POST", SUBMIT),
        0,
        "the question costs nothing"
    );
    // Agreed: sent, and only what was asked.
    let jobs = s
        .studio
        .start_takes(order("a comet", 2, true))
        .await
        .unwrap();
    all_ended(&mut s, &jobs).await;
    assert_eq!(s.fake.count("POST", SUBMIT), 2);
    // No limit: no question.
    s.studio.set_monthly_limit(None).unwrap();
    assert!(!s.studio.price(&request("more"), 4).over_limit);
}

#[tokio::test]
async fn takes_out_of_range_are_refused_by_the_rules() {
    let s = priced(100.0).await;
    for takes in [0, 5] {
        let err = s
            .studio
            .start_takes(order("a kite", takes, false))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        assert_eq!(err.fields[0].field, "takes");
        assert_eq!(err.fields[0].rule, "takes_range");
    }
    assert_eq!(s.fake.count("POST", SUBMIT), 0);
}

#[tokio::test]
async fn videos_still_being_made_count_toward_the_limit() {
    let mut s = priced(100.0).await;
    s.studio.set_monthly_limit(Some(3.0)).unwrap();
    // $1.68: within the limit, no question.
    let first = s
        .studio
        .start_takes(order("a tide", 1, false))
        .await
        .unwrap();
    // Clicked again at once: the first is not billed yet, but it will be.
    let err = s
        .studio
        .start_takes(order("a tide again", 1, false))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::OverLimit);
    assert_eq!(err.params["month"], 1.68, "the video being made counts");
    until(&mut s.rx, &first[0].record.id, ended).await;
    assert_eq!(s.fake.count("POST", SUBMIT), 1);
}

#[tokio::test]
async fn a_deleted_video_still_counts_as_spent() {
    let mut s = priced(100.0).await;
    let jobs = s
        .studio
        .start_takes(order("a moth", 1, false))
        .await
        .unwrap();
    let id = jobs[0].record.id.clone();
    until(&mut s.rx, &id, ended).await;
    s.studio.delete_job(&id).unwrap();
    let spend = s.studio.spend();
    assert_eq!(
        (spend.spend.month, spend.spend.total),
        (1.68, 1.68),
        "billed is billed"
    );
    // And after a restart.
    drop(s.studio);
    let studio = open_studio(&s.fake, s.dir.path()).await;
    assert_eq!(studio.spend().spend.total, 1.68);
}

#[tokio::test]
async fn another_take_grows_the_set_with_one_post_and_one_take_is_kept() {
    let mut s = priced(100.0).await;
    let first = s
        .studio
        .start_takes(order("a heron", 1, false))
        .await
        .unwrap();
    assert!(first[0].record.take.is_none(), "one video is no set yet");
    assert_eq!(first[0].record.estimated_usd, Some(1.68));
    all_ended(&mut s, &first).await;
    let id = first[0].record.id.clone();
    let another = |submission_id: &str| AnotherTake {
        job_id: id.clone(),
        submission_id: submission_id.into(),
        past_limit_agreed: false,
    };

    let second = s.studio.another_take(another("more-1")).await.unwrap();
    let repeat = s.studio.another_take(another("more-1")).await.unwrap_err();
    assert_eq!(repeat.code, ErrorCode::DuplicateSubmission);
    let third = s.studio.another_take(another("more-2")).await.unwrap();
    let done = all_ended(&mut s, &[second.clone(), third.clone()]).await;
    assert!(done.iter().all(|j| j.record.status == RecordStatus::Ready));
    assert_eq!(s.fake.count("POST", SUBMIT), 3, "one POST per click, once");

    let record = |job: &str| {
        watch(&s.studio)
            .0
            .jobs
            .into_iter()
            .find(|j| j.record.id == job)
            .unwrap()
            .record
    };
    let set = record(&id).take.unwrap().set;
    for (job, n) in [(&id, 1), (&second.record.id, 2), (&third.record.id, 3)] {
        let t = record(job).take.unwrap();
        assert_eq!((t.set.as_str(), t.n, t.of), (set.as_str(), n, 3), "{job}");
        assert_eq!(record(job).request.prompt, "a heron");
    }

    // One take is kept per set: keeping another lets the first go.
    assert!(s.studio.keep_take(&second.record.id).unwrap().record.kept);
    s.studio.keep_take(&id).unwrap();
    let kept: Vec<String> = watch(&s.studio)
        .0
        .jobs
        .into_iter()
        .filter(|j| j.record.kept)
        .map(|j| j.record.id)
        .collect();
    assert_eq!(kept, [id]);
}

#[tokio::test]
async fn another_take_past_the_limit_asks_first_and_sends_nothing() {
    let mut s = priced(100.0).await;
    let first = s
        .studio
        .start_takes(order("a wren", 1, false))
        .await
        .unwrap();
    all_ended(&mut s, &first).await;
    s.studio.set_monthly_limit(Some(2.0)).unwrap();
    let refused = s
        .studio
        .another_take(AnotherTake {
            job_id: first[0].record.id.clone(),
            submission_id: "more".into(),
            past_limit_agreed: false,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::OverLimit);
    assert_eq!(s.fake.count("POST", SUBMIT), 1, "nothing more sent");
    let jobs = watch(&s.studio).0.jobs;
    assert_eq!(jobs.len(), 1, "nothing recorded");
    assert!(jobs[0].record.take.is_none(), "no set was started");
}
