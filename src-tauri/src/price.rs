//! What a video costs: an estimate before the click, and the spend after.
//!
//! Segmind bills per second of video in three tiers (no sound, sound, sound with
//! a cast voice), and its prices move. So the table here is an estimate with the
//! date it was last checked, kept in this one place; once the creator has finished
//! videos whose cost Segmind reported (`metrics.cost` or `x-cost`), the estimate
//! uses their own recent per-second cost for that tier instead.
//!
//! Over 400 lines before its tests, and kept whole on purpose: the dated table,
//! the learned rates and the spend all read the same tiers and the same records,
//! and each part would need the other two if split.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone};
use serde::Serialize;

use crate::error::Reason;
use crate::jobs::library::{JobRecord, RecordStatus};
use crate::request::GenerationRequest;

/// The sound tier of a request: what Segmind bills per second depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Silent,
    Sound,
    Voice,
}

impl Tier {
    pub fn of(request: &GenerationRequest) -> Self {
        if !request.generate_audio {
            Tier::Silent
        } else if request.voice_ids.as_ref().is_some_and(|v| !v.is_empty()) {
            Tier::Voice
        } else {
            Tier::Sound
        }
    }
}

/// The published per-second prices of Kling 3 Pro, USD (Segmind bills 1 credit =
/// $1). Checked 2026-11-24 against the upstream tiers in `shared/segmind-api.md`
/// ("Price"): they give a 10 s video with sound ≈ $3.36, in line with Segmind's
/// $3.31 average per Pro generation.
/// From a first frame (image to video) Kling costs half as much a second
/// (fal's Pro image-to-video tiers; Segmind's directory gives $1.94 against
/// $3.31 on average), checked the same day.
pub const TABLE_CHECKED: &str = "2026-11-24";
pub fn table_rate(tier: Tier, from_picture: bool) -> f64 {
    match (tier, from_picture) {
        (Tier::Silent, false) => 0.224,
        (Tier::Sound, false) => 0.336,
        (Tier::Voice, false) => 0.392,
        (Tier::Silent, true) => 0.112,
        (Tier::Sound, true) => 0.168,
        (Tier::Voice, true) => 0.196,
    }
}

/// How many of the creator's own recent videos the learned rate looks at, and how
/// many it needs before it is trusted over the table.
const LEARN_FROM: usize = 10;
const LEARN_AT_LEAST: usize = crate::jobs::library::BILLS_TO_LEARN_FROM;

/// Where an estimate's rate comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Basis {
    /// The price table, last checked on `checked`.
    Table { checked: &'static str },
    /// The creator's own last `videos` videos of this tier, as Segmind billed them.
    Learned { videos: usize },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    /// For one video.
    pub usd: f64,
    pub seconds: u32,
    pub tier: Tier,
    pub per_second: f64,
    pub basis: Basis,
}

fn seconds_of(request: &GenerationRequest) -> u32 {
    request.duration.trim().parse().unwrap_or(0)
}

/// What one video of this request will cost, about.
pub fn estimate(request: &GenerationRequest, library: &[JobRecord]) -> Estimate {
    Rates::learn(library).estimate(request)
}

/// The per-second rate of each tier, learned from the library once, so pricing
/// many requests (every video still being made) reads the library once.
pub struct Rates {
    /// By model (from text, from a picture), then by tier.
    learned: [[Option<(f64, usize)>; 3]; 2],
}

const TIERS: [Tier; 3] = [Tier::Silent, Tier::Sound, Tier::Voice];

impl Rates {
    pub fn learn(library: &[JobRecord]) -> Self {
        Self {
            learned: [false, true]
                .map(|from_picture| TIERS.map(|tier| learned_rate(tier, from_picture, library))),
        }
    }

    pub fn estimate(&self, request: &GenerationRequest) -> Estimate {
        let tier = Tier::of(request);
        let from_picture = request.from_picture();
        let seconds = seconds_of(request);
        let learned = TIERS
            .iter()
            .position(|t| *t == tier)
            .and_then(|i| self.learned[usize::from(from_picture)][i]);
        let (per_second, basis) = match learned {
            Some((rate, videos)) => (rate, Basis::Learned { videos }),
            None => (
                table_rate(tier, from_picture),
                Basis::Table {
                    checked: TABLE_CHECKED,
                },
            ),
        };
        Estimate {
            usd: round_cents(per_second * f64::from(seconds)),
            seconds,
            tier,
            per_second,
            basis,
        }
    }
}

fn round_cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

/// The median per-second cost of the creator's last videos of this tier and model: finished
/// ones only (Segmind does not bill failures), and a median so one odd bill (a
/// promotion, a price change mid-way) does not swing the estimate.
fn learned_rate(tier: Tier, from_picture: bool, library: &[JobRecord]) -> Option<(f64, usize)> {
    let mut recent: Vec<&JobRecord> = library
        .iter()
        .filter(|r| r.status == RecordStatus::Ready && Tier::of(&r.request) == tier)
        .filter(|r| r.request.from_picture() == from_picture)
        .filter(|r| r.billed_usd().is_some_and(|c| c > 0.0) && seconds_of(&r.request) > 0)
        .collect();
    recent.sort_by_key(|r| std::cmp::Reverse(r.created_at_ms));
    let mut rates: Vec<f64> = recent
        .iter()
        .take(LEARN_FROM)
        .filter_map(|r| Some(r.billed_usd()? / f64::from(seconds_of(&r.request))))
        .collect();
    if rates.len() < LEARN_AT_LEAST {
        return None;
    }
    rates.sort_by(f64::total_cmp);
    let n = rates.len();
    let median = if n % 2 == 1 {
        rates[n / 2]
    } else {
        (rates[n / 2 - 1] + rates[n / 2]) / 2.0
    };
    Some((median, n))
}

/// What the creator spent: every job Segmind may have billed, at the cost it
/// reported, else at its estimate.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Spend {
    /// Since Monday 00:00, local time.
    pub week: f64,
    /// Since the 1st of the month 00:00, local time.
    pub month: f64,
    pub total: f64,
    /// Jobs counted at their estimate (Segmind did not report what they cost),
    /// in all and in each period: a sum holding one is "about".
    pub estimated: usize,
    pub estimated_week: usize,
    pub estimated_month: usize,
}

/// A billed amount and when it was billed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bill {
    pub at_ms: i64,
    pub cost: f64,
    /// The estimate of a job Segmind may have billed without saying what.
    #[serde(default)]
    pub estimated: bool,
}

/// A deleted job's bill, under its job's id: a delete tried twice (or one that
/// failed after the bill was kept) counts once, and never beside its record.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedBill {
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(flatten)]
    pub bill: Bill,
}

/// Whether Segmind may have billed a job: it accepted it, or may have (a send
/// cut short), and did not say it failed (Segmind does not bill failures).
fn may_have_been_billed(record: &JobRecord) -> bool {
    use RecordStatus::*;
    match record.status {
        Sending | Unknown | Queued | Processing | Downloading | Ready | Expired => true,
        Stopped => record.request_id.is_some(),
        // An older version's "failed" of a video whose address was known.
        Failed => record.output_url.is_some(),
        Waiting | Unrecognized => false,
    }
}

/// What a job cost or may have cost: Segmind's reported cost, else the estimate
/// of a job it may have billed; nothing for a job surely not billed.
pub fn bill_of(record: &JobRecord, rates: &Rates) -> Option<Bill> {
    // Billed when Segmind accepted it; older records know only when made.
    let at_ms = record.sent_at_ms.unwrap_or(record.created_at_ms);
    if let Some(cost) = record.billed_usd() {
        return Some(Bill {
            at_ms,
            cost,
            estimated: false,
        });
    }
    may_have_been_billed(record).then(|| Bill {
        at_ms,
        cost: rates.estimate(&record.request).usd,
        estimated: true,
    })
}

/// Sums what the library's jobs cost or may have cost, and `deleted` (bills of
/// jobs no longer in it), by period, in the time zone of `now` (the creator's, in
/// the app; any, in tests).
pub fn spend<Tz: TimeZone>(
    library: &[JobRecord],
    rates: &Rates,
    deleted: &[DeletedBill],
    now: &DateTime<Tz>,
) -> Spend {
    // Where the clocks skip midnight (a DST start at 00:00), the day starts at 01:00.
    let midnight = |date: chrono::NaiveDate| {
        [
            NaiveTime::MIN,
            NaiveTime::from_hms_opt(1, 0, 0).unwrap_or(NaiveTime::MIN),
        ]
        .into_iter()
        .find_map(|time| {
            now.timezone()
                .from_local_datetime(&date.and_time(time))
                .earliest()
        })
        .map_or(i64::MAX, |t| t.timestamp_millis())
    };
    let today = now.date_naive();
    let week_start =
        midnight(today - Duration::days(i64::from(today.weekday().num_days_from_monday())));
    let month_start = midnight(today.with_day(1).unwrap_or(today));
    let mut spend = Spend::default();
    let in_library: std::collections::HashSet<&str> =
        library.iter().map(|r| r.id.as_str()).collect();
    let bills = deleted
        .iter()
        .filter(|d| {
            !d.job_id
                .as_deref()
                .is_some_and(|id| in_library.contains(id))
        })
        .map(|d| d.bill)
        .chain(library.iter().filter_map(|r| bill_of(r, rates)));
    for bill in bills {
        let estimated = usize::from(bill.estimated);
        spend.estimated += estimated;
        spend.total += bill.cost;
        if bill.at_ms >= month_start {
            spend.month += bill.cost;
            spend.estimated_month += estimated;
        }
        if bill.at_ms >= week_start {
            spend.week += bill.cost;
            spend.estimated_week += estimated;
        }
    }
    spend.week = round_cents(spend.week);
    spend.month = round_cents(spend.month);
    spend.total = round_cents(spend.total);
    spend
}

/// What the monthly limit weighs a new click against: the month's spend, and
/// the estimates of jobs waiting to be sent (three quick clicks must not each
/// see the month as it was).
pub fn month_committed(spend: &Spend, library: &[JobRecord], rates: &Rates) -> f64 {
    let waiting: f64 = library
        .iter()
        .filter(|r| r.status == RecordStatus::Waiting)
        .map(|r| rates.estimate(&r.request).usd)
        .sum();
    round_cents(spend.month + waiting)
}

/// What deleted jobs cost or may have cost, kept beside the library
/// (`spent.json`): a deleted video was still billed, and still counts toward the
/// spend and the monthly limit. Read once; kept in memory. A ledger that cannot
/// be parsed is set aside (`spent.json.unreadable-<ms>`), never overwritten, and what
/// can be read of it is kept.
pub struct SpentLedger {
    path: std::path::PathBuf,
    bills: std::sync::Mutex<Ledger>,
}

struct Ledger {
    bills: Vec<DeletedBill>,
    /// The file could not be read at start (a sharing violation, a flaky disk):
    /// it is read again before anything is written over it.
    unread: bool,
}

impl SpentLedger {
    pub fn open(library_dir: &std::path::Path) -> Self {
        let path = library_dir.join("spent.json");
        let ledger = match Self::read(&path) {
            Ok(bills) => Ledger {
                bills,
                unread: false,
            },
            Err(error) => {
                log::warn!("spent.json not readable now, left as it is: {error}");
                Ledger {
                    bills: Vec::new(),
                    unread: true,
                }
            }
        };
        Self {
            path,
            bills: std::sync::Mutex::new(ledger),
        }
    }

    /// The bills in the file (none if there is no file). One that cannot be
    /// parsed is renamed aside, and what can still be read of it is written anew.
    fn read(path: &std::path::Path) -> std::io::Result<Vec<DeletedBill>> {
        let bytes = match std::fs::read(path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            other => other?,
        };
        let problem = match serde_json::from_slice::<Vec<DeletedBill>>(&bytes) {
            Ok(bills) => return Ok(bills),
            Err(error) => error,
        };
        // A name of its own each time: an earlier one set aside is kept too.
        let stamp = crate::clock::now_ms();
        let aside = (0u32..)
            .map(|n| path.with_extension(format!("json.unreadable-{stamp}-{n}")))
            .find(|p| !p.exists())
            .unwrap_or_else(|| path.with_extension("json.unreadable"));
        std::fs::rename(path, &aside)?;
        let kept: Vec<DeletedBill> = serde_json::from_slice::<Vec<serde_json::Value>>(&bytes)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect();
        log::warn!(
            "spent.json unreadable ({problem}); set aside as {}, {} bills kept",
            aside.display(),
            kept.len()
        );
        if !kept.is_empty() {
            let json = serde_json::to_vec(&kept).map_err(std::io::Error::other)?;
            crate::records::write_atomically(path, &json)?;
        }
        Ok(kept)
    }

    pub fn bills(&self) -> Vec<DeletedBill> {
        let mut ledger = crate::mutex::lock(&self.bills);
        // Not readable at start: tried again, so the spend is not short all session.
        if ledger.unread {
            if let Ok(bills) = Self::read(&self.path) {
                ledger.bills = bills;
                ledger.unread = false;
            }
        }
        ledger.bills.clone()
    }

    /// Keeps what job `job_id` cost or may have cost before it is deleted; a bill
    /// kept for it before (a delete tried again) is replaced.
    pub fn remember(&self, job_id: &str, bill: Option<Bill>) -> crate::error::AppResult<()> {
        let Some(bill) = bill else {
            return Ok(());
        };
        let io = |e: &std::io::Error| crate::error::AppError::io(Reason::RecordJob, e);
        let mut ledger = crate::mutex::lock(&self.bills);
        if ledger.unread {
            ledger.bills = Self::read(&self.path).map_err(|e| io(&e))?;
            ledger.unread = false;
        }
        let mut next = ledger.bills.clone();
        next.retain(|d| d.job_id.as_deref() != Some(job_id));
        next.push(DeletedBill {
            job_id: Some(job_id.to_string()),
            bill,
        });
        let json = serde_json::to_vec(&next)
            .map_err(|e| crate::error::AppError::internal(e.to_string()))?;
        crate::records::write_atomically(&self.path, &json).map_err(|e| io(&e))?;
        ledger.bills = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Metrics;
    use chrono::FixedOffset;

    fn request(duration: u32, sound: bool, voices: usize) -> GenerationRequest {
        GenerationRequest {
            prompt: "a fox".into(),
            duration: duration.to_string(),
            generate_audio: sound,
            voice_ids: (voices > 0).then(|| (1..=voices).map(|n| format!("v{n}")).collect()),
            ..Default::default()
        }
    }

    fn billed(
        req: GenerationRequest,
        cost: Option<f64>,
        status: RecordStatus,
        at_ms: i64,
    ) -> JobRecord {
        let mut record = JobRecord::new(format!("{at_ms}"), req);
        record.status = status;
        record.created_at_ms = at_ms;
        record.sent_at_ms = Some(at_ms);
        record.metrics = Some(Metrics {
            cost,
            ..Default::default()
        });
        record
    }

    #[test]
    fn the_table_prices_every_length_and_tier() {
        for seconds in 3..=15u32 {
            for (sound, voices, tier) in [
                (false, 0, Tier::Silent),
                (true, 0, Tier::Sound),
                (true, 1, Tier::Voice),
            ] {
                let e = estimate(&request(seconds, sound, voices), &[]);
                assert_eq!(e.tier, tier);
                assert_eq!(e.seconds, seconds);
                assert_eq!(
                    e.usd,
                    round_cents(table_rate(tier, false) * f64::from(seconds))
                );
                assert_eq!(
                    e.basis,
                    Basis::Table {
                        checked: TABLE_CHECKED
                    }
                );
            }
        }
        // Each tier costs more than the one below, and length counts.
        let price = |d, s, v| estimate(&request(d, s, v), &[]).usd;
        assert!(price(5, false, 0) < price(5, true, 0) && price(5, true, 0) < price(5, true, 2));
        assert!(price(15, true, 0) > 4.0 * price(3, true, 0));
        assert_eq!(price(10, true, 0), 3.36);
    }

    #[test]
    fn the_creators_own_recent_rate_wins_once_there_are_enough_videos() {
        let at = |n: i64| 1_700_000_000_000 + n * 60_000;
        let mut library = vec![
            billed(request(5, true, 0), Some(2.5), RecordStatus::Ready, at(1)),
            billed(request(10, true, 0), Some(5.0), RecordStatus::Ready, at(2)),
        ];
        // Two are not enough.
        assert!(matches!(
            estimate(&request(5, true, 0), &library).basis,
            Basis::Table { .. }
        ));
        library.push(billed(
            request(4, true, 0),
            Some(2.0),
            RecordStatus::Ready,
            at(3),
        ));
        // One outlier (a promotion) does not move the median.
        library.push(billed(
            request(5, true, 0),
            Some(0.05),
            RecordStatus::Ready,
            at(4),
        ));
        let e = estimate(&request(6, true, 0), &library);
        assert_eq!(e.basis, Basis::Learned { videos: 4 });
        assert_eq!(e.per_second, 0.5);
        assert_eq!(e.usd, 3.0);
        // Other tiers, failed jobs and unreported costs do not count.
        let mut others = vec![
            billed(request(5, false, 0), Some(9.0), RecordStatus::Ready, at(5)),
            billed(request(5, true, 1), Some(9.0), RecordStatus::Ready, at(6)),
            billed(request(5, true, 0), Some(9.0), RecordStatus::Failed, at(7)),
            billed(request(5, true, 0), None, RecordStatus::Ready, at(8)),
        ];
        others.extend(library.clone());
        assert_eq!(estimate(&request(6, true, 0), &others).per_second, 0.5);
    }

    #[test]
    fn only_the_last_ten_videos_teach_the_rate() {
        let old: Vec<JobRecord> = (0..10)
            .map(|n| billed(request(5, true, 0), Some(5.0), RecordStatus::Ready, n))
            .collect();
        let mut library = old;
        library.extend(
            (100..110).map(|n| billed(request(5, true, 0), Some(1.0), RecordStatus::Ready, n)),
        );
        let e = estimate(&request(5, true, 0), &library);
        assert_eq!(e.per_second, 0.2, "prices moved: the newest ten tell");
        assert_eq!(e.basis, Basis::Learned { videos: 10 });
    }

    #[test]
    fn spend_sums_by_week_and_month_across_a_month_boundary_in_the_creators_time_zone() {
        // Sunday 1 March 2026, 10:00 in UTC+8. The week began Monday 23 February.
        let tz = FixedOffset::east_opt(8 * 3600).unwrap();
        let now = tz.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        let ms = |y, mo, d, h| {
            tz.with_ymd_and_hms(y, mo, d, h, 0, 0)
                .unwrap()
                .timestamp_millis()
        };
        let library = vec![
            billed(
                request(5, true, 0),
                Some(1.0),
                RecordStatus::Ready,
                ms(2026, 3, 1, 0),
            ), // today, just after midnight
            billed(
                request(5, true, 0),
                Some(2.0),
                RecordStatus::Ready,
                ms(2026, 2, 28, 23),
            ), // last month, this week
            billed(
                request(5, true, 0),
                Some(4.0),
                RecordStatus::Ready,
                ms(2026, 2, 22, 23),
            ), // last week
            billed(
                request(5, true, 0),
                None,
                RecordStatus::Ready,
                ms(2026, 3, 1, 9),
            ), // not reported
            billed(
                request(5, true, 0),
                None,
                RecordStatus::Failed,
                ms(2026, 3, 1, 9),
            ), // failed: never billed
        ];
        // The video whose cost Segmind did not report counts at its estimate.
        let e = Rates::learn(&library).estimate(&request(5, true, 0)).usd;
        assert!(e > 0.0);
        let s = spend(&library, &Rates::learn(&library), &[], &now);
        assert_eq!(
            (s.week, s.month, s.total, s.estimated),
            (
                round_cents(3.0 + e),
                round_cents(1.0 + e),
                round_cents(7.0 + e),
                1
            )
        );
        // "About" only where the estimate is: here in every period.
        assert_eq!((s.estimated_week, s.estimated_month), (1, 1));
        // The same moments seen from UTC: the video made just after midnight on
        // 1 March in UTC+8 was made on 28 February there, so March has only the
        // estimated one.
        let utc_now = now.with_timezone(&chrono::Utc);
        let s = spend(&library, &Rates::learn(&library), &[], &utc_now);
        assert_eq!(
            (s.week, s.month, s.total),
            (round_cents(3.0 + e), round_cents(e), round_cents(7.0 + e))
        );
    }

    #[test]
    fn every_job_segmind_may_have_billed_counts_and_only_those() {
        use RecordStatus::*;
        let now = chrono::Utc::now();
        let at = now.timestamp_millis();
        let e = Rates::learn(&[]).estimate(&request(5, true, 0)).usd;
        for (status, request_id, counts) in [
            (Ready, true, true),
            (Downloading, true, true),
            (Processing, true, true),
            (Queued, true, true),
            (Sending, false, true),  // may have arrived
            (Unknown, false, true),  // may have arrived
            (Expired, true, true),   // Segmind may have made and billed it
            (Stopped, true, true),   // Segmind has no cancel
            (Stopped, false, false), // never sent
            (Failed, true, false),   // Segmind does not bill failures
            (Waiting, false, false), // not sent yet
        ] {
            let mut job = billed(request(5, true, 0), None, status, at);
            job.request_id = request_id.then(|| "req".into());
            let s = spend(&[job], &Rates::learn(&[]), &[], &now);
            let expected = if counts { e } else { 0.0 };
            assert_eq!(s.month, expected, "{status:?} {request_id}");
            assert_eq!(s.estimated, usize::from(counts), "{status:?}");
        }
        // A reported cost wins over the estimate, and is not "about".
        let exact = billed(request(5, true, 0), Some(3.31), Stopped, at);
        let s = spend(&[exact], &Rates::learn(&[]), &[], &now);
        assert_eq!((s.month, s.estimated), (3.31, 0));
        // The limit also weighs jobs waiting to be sent.
        let waiting = billed(request(5, true, 0), None, Waiting, at);
        let library = [waiting];
        assert_eq!(
            month_committed(
                &spend(&library, &Rates::learn(&library), &[], &now),
                &library,
                &Rates::learn(&library)
            ),
            round_cents(e)
        );
    }

    #[test]
    fn a_deleted_job_keeps_what_it_may_have_cost() {
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::Utc::now();
        let mut job = billed(
            request(5, true, 0),
            None,
            RecordStatus::Unknown,
            now.timestamp_millis(),
        );
        job.metrics = None;
        let bill = bill_of(&job, &Rates::learn(&[])).unwrap();
        assert!(bill.estimated);
        let ledger = SpentLedger::open(dir.path());
        ledger.remember(&job.id, Some(bill)).unwrap();
        // A delete that failed after its bill was kept, tried again: counted once,
        // and not beside its record while the record is still there.
        ledger.remember(&job.id, Some(bill)).unwrap();
        let reopened = SpentLedger::open(dir.path());
        assert_eq!(reopened.bills().len(), 1);
        assert_eq!(reopened.bills()[0].bill, bill);
        assert_eq!(
            spend(&[], &Rates::learn(&[]), &reopened.bills(), &now).estimated,
            1
        );
        let both = spend(
            std::slice::from_ref(&job),
            &Rates::learn(&[]),
            &reopened.bills(),
            &now,
        );
        assert_eq!((both.estimated, both.month), (1, bill.cost));
    }

    #[test]
    fn an_unreadable_ledger_is_set_aside_never_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spent.json");
        // One good bill, one damaged entry: the good one is kept.
        std::fs::write(&path, br#"[{"atMs":1,"cost":2.5},{"atMs":"x"}]"#).unwrap();
        let ledger = SpentLedger::open(dir.path());
        assert_eq!(
            ledger.bills(),
            vec![DeletedBill {
                job_id: None,
                bill: Bill {
                    at_ms: 1,
                    cost: 2.5,
                    estimated: false
                }
            }]
        );
        // The kept bill is written anew; the damaged file is beside it, whole.
        assert_eq!(SpentLedger::open(dir.path()).bills().len(), 1);
        // Not a list at all: set aside whole, nothing kept, nothing overwritten.
        std::fs::write(&path, b"{truncated").unwrap();
        let ledger = SpentLedger::open(dir.path());
        assert!(ledger.bills().is_empty());
        let mut aside: Vec<Vec<u8>> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("spent.json.unreadable-")
            })
            .map(|e| std::fs::read(e.path()).unwrap())
            .collect();
        aside.sort();
        assert_eq!(
            aside,
            vec![
                br#"[{"atMs":1,"cost":2.5},{"atMs":"x"}]"#.to_vec(),
                b"{truncated".to_vec()
            ]
        );
        // A ledger that cannot be read now (here: a folder in its place) is never
        // written over: the delete that would write it is refused instead.
        let blocked = tempfile::tempdir().unwrap();
        std::fs::create_dir(blocked.path().join("spent.json")).unwrap();
        let ledger = SpentLedger::open(blocked.path());
        let bill = Bill {
            at_ms: 1,
            cost: 1.0,
            estimated: true,
        };
        assert!(ledger.remember("j-1", Some(bill)).is_err());
        assert!(blocked.path().join("spent.json").is_dir());
    }

    #[test]
    fn a_video_from_a_picture_has_its_own_rates_table_and_learned() {
        let picture = |r: GenerationRequest| GenerationRequest {
            start_image: Some(format!("{}.jpg", "a".repeat(64))),
            ..r
        };
        let rates = Rates::learn(&[]);
        assert_eq!(rates.estimate(&picture(request(10, true, 0))).usd, 1.68);
        assert_eq!(rates.estimate(&request(10, true, 0)).usd, 3.36);
        // Three videos from text billed at $0.50 a second teach text only.
        let library: Vec<JobRecord> = (1..=3)
            .map(|i| billed(request(10, true, 0), Some(5.0), RecordStatus::Ready, i))
            .collect();
        let rates = Rates::learn(&library);
        assert_eq!(rates.estimate(&request(10, true, 0)).usd, 5.0);
        let from_picture = rates.estimate(&picture(request(10, true, 0)));
        assert_eq!(from_picture.usd, 1.68);
        assert!(matches!(from_picture.basis, Basis::Table { .. }));
        // And three from pictures teach pictures.
        let library: Vec<JobRecord> = (1..=3)
            .map(|i| {
                billed(
                    picture(request(10, true, 0)),
                    Some(2.0),
                    RecordStatus::Ready,
                    i,
                )
            })
            .collect();
        let rates = Rates::learn(&library);
        assert_eq!(rates.estimate(&picture(request(10, true, 0))).usd, 2.0);
        assert_eq!(rates.estimate(&request(10, true, 0)).usd, 3.36);
    }
}
