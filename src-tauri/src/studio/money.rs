//! Money, decided in one room: the price before the click, what was spent,
//! the balance and the monthly limit, and whether a click may spend. The rates
//! and the bills themselves are `crate::price`'s.

use super::Studio;
use serde::Serialize;

use crate::error::{AppError, AppResult, ErrorCode, Reason};
use crate::jobs::library::JobRecord;
use crate::mutex::lock;
use crate::price;
use crate::request::GenerationRequest;

/// The price of a request before the click.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PriceView {
    pub each: price::Estimate,
    /// What the Sound switch changes in the price of one video, either way it
    /// is set (the same rates, the switch the other way round).
    pub sound_costs: f64,
    pub takes: u8,
    pub total: f64,
    /// The balance Segmind last reported, if the app has asked.
    pub balance: Option<f64>,
    pub short_of_balance: bool,
    /// Spent this month, from the library.
    pub month: f64,
    pub limit: Option<f64>,
    pub over_limit: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SpendView {
    #[serde(flatten)]
    pub spend: price::Spend,
    pub balance: Option<f64>,
    pub limit: Option<f64>,
}

impl Studio {
    /// What this request will cost for `takes` videos, and how that sits with the
    /// balance and the creator's monthly limit.
    pub fn price(&self, request: &GenerationRequest, takes: u8) -> PriceView {
        let library = self.jobs.library().list();
        let rates = price::Rates::learn(&library);
        let each = rates.estimate(request);
        let other_way = rates.estimate(&GenerationRequest {
            generate_audio: !request.generate_audio,
            ..request.clone()
        });
        let total = (each.usd * f64::from(takes.max(1)) * 100.0).round() / 100.0;
        let month = price::month_committed(&self.spend_now(&library, &rates), &library, &rates);
        let limit = self.settings.load().monthly_limit_usd;
        let balance = *lock(&self.balance);
        PriceView {
            takes: takes.max(1),
            total,
            balance,
            short_of_balance: balance.is_some_and(|b| b < total),
            month,
            limit,
            over_limit: limit.is_some_and(|l| month + total > l),
            sound_costs: ((each.usd - other_way.usd).abs() * 100.0).round() / 100.0,
            each,
        }
    }

    /// What the creator spent, from the library and the costs of deleted videos.
    pub(super) fn spend_now(&self, library: &[JobRecord], rates: &price::Rates) -> price::Spend {
        let now = chrono::Local::now();
        price::spend(library, rates, &self.spent_ledger.bills(), &now)
    }

    /// What the creator spent, and the balance last seen.
    pub fn spend(&self) -> SpendView {
        let library = self.jobs.library().list();
        SpendView {
            spend: self.spend_now(&library, &price::Rates::learn(&library)),
            balance: *lock(&self.balance),
            limit: self.settings.load().monthly_limit_usd,
        }
    }

    /// None: no limit. A limit is a positive amount of dollars.
    pub fn set_monthly_limit(&self, limit: Option<f64>) -> AppResult<SpendView> {
        let limit = limit.filter(|l| l.is_finite() && *l > 0.0);
        self.settings.update(|s| s.monthly_limit_usd = limit)?;
        Ok(self.spend())
    }

    /// Whether one click may spend what `takes` videos of `request` cost: refused
    /// when the balance Segmind last reported (asked again first, as it may be
    /// old) is below the estimate, or when it passes the monthly limit and the
    /// creator has not agreed to that.
    pub(super) async fn may_spend(
        &self,
        request: &GenerationRequest,
        takes: u8,
        past_limit_agreed: bool,
    ) -> AppResult<PriceView> {
        let mut price = self.price(request, takes);
        if price.short_of_balance {
            // The balance seen last may be old (a top-up on Segmind's site): asking
            // is free. Unreachable, Segmind itself refuses what it cannot bill.
            match self.credits().await {
                Ok(_) => price = self.price(request, takes),
                Err(_) => price.short_of_balance = false,
            }
        }
        if price.short_of_balance {
            Err(AppError::new(ErrorCode::InsufficientCredits)
                .because(Reason::BelowEstimate)
                .with("balance", price.balance.unwrap_or_default())
                .with("estimate", price.total))
        } else if price.over_limit && !past_limit_agreed {
            Err(AppError::new(ErrorCode::OverLimit)
                .with("limit", price.limit.unwrap_or_default())
                .with("month", price.month)
                .with("estimate", price.total))
        } else {
            Ok(price)
        }
    }

    /// Keeps what a video about to be deleted cost, or may have cost: still spent.
    pub(super) fn keep_bill_of(&self, job_id: &str) -> AppResult<()> {
        let library = self.jobs.library().list();
        let record = self.jobs.library().get(job_id)?;
        let bill = price::bill_of(&record, &price::Rates::learn(&library));
        self.spent_ledger.remember(job_id, bill)
    }
}

#[cfg(test)]
mod tests {
    use super::super::studio_for_tests;
    use super::*;

    fn request() -> GenerationRequest {
        GenerationRequest {
            prompt: "a paper boat".into(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn a_click_past_the_monthly_limit_is_refused_until_the_creator_agrees() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        studio.may_spend(&request(), 2, false).await.unwrap();
        assert_eq!(
            studio.set_monthly_limit(Some(1.0)).unwrap().limit,
            Some(1.0)
        );
        let price = studio.price(&request(), 2);
        assert!(price.over_limit && price.total > 1.0, "{price:?}");
        let refused = studio.may_spend(&request(), 2, false).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::OverLimit);
        studio.may_spend(&request(), 2, true).await.unwrap();
    }

    #[tokio::test]
    async fn the_price_says_what_sound_changes_either_way_it_is_set() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        let with_sound = GenerationRequest {
            generate_audio: true,
            ..request()
        };
        let without = GenerationRequest {
            generate_audio: false,
            ..request()
        };
        let (on, off) = (studio.price(&with_sound, 1), studio.price(&without, 1));
        assert!(on.each.usd > off.each.usd, "{on:?} {off:?}");
        let difference = ((on.each.usd - off.each.usd) * 100.0).round() / 100.0;
        assert_eq!(on.sound_costs, difference);
        assert_eq!(off.sound_costs, difference);
    }

    #[tokio::test]
    async fn a_limit_that_is_no_amount_means_no_limit() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        for nonsense in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                studio.set_monthly_limit(Some(nonsense)).unwrap().limit,
                None
            );
        }
    }
}
