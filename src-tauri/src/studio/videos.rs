//! Making videos: one Generate click (its takes, each sent once), another take
//! and the one kept among them, following,
//! stopping, trying again, and deleting a video (its cost stays spent).

use serde::Deserialize;

use super::Studio;
use crate::error::{AppError, AppResult, ErrorCode, FieldError, Rule};
use crate::jobs::library::{JobRecord, Take};
use crate::jobs::JobView;
use crate::mutex::lock;
use crate::request::GenerationRequest;

/// At most this many takes per click.
pub const MAX_TAKES: u8 = 4;

/// One Generate click.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub request: GenerationRequest,
    pub submission_id: String,
    pub takes: u8,
    /// The creator answered "make it anyway" to the monthly limit's question.
    #[serde(default)]
    pub past_limit_agreed: bool,
}

/// One "Another take" click on a video.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AnotherTake {
    pub job_id: String,
    pub submission_id: String,
    #[serde(default)]
    pub past_limit_agreed: bool,
}

impl Studio {
    /// Starts one job for one Generate click (see `start_takes`).
    pub async fn start_job(
        &self,
        request: GenerationRequest,
        submission_id: &str,
    ) -> AppResult<JobView> {
        let order = Order {
            request,
            submission_id: submission_id.to_string(),
            takes: 1,
            past_limit_agreed: false,
        };
        let mut started = self.start_takes(order).await?;
        Ok(started.remove(0))
    }

    /// Starts `takes` jobs of one request for one Generate click, each sent once
    /// through the queue (see `admit` for what refuses a click).
    pub async fn start_takes(&self, order: Order) -> AppResult<Vec<JobView>> {
        let Order {
            request,
            submission_id,
            takes,
            past_limit_agreed,
        } = order;
        let estimated = self
            .admit(&request, takes, &submission_id, past_limit_agreed)
            .await?;
        let set = uuid::Uuid::new_v4().to_string();
        let records = (1..=takes)
            .map(|n| {
                let take = (takes > 1).then(|| Take {
                    set: set.clone(),
                    n,
                    of: takes,
                });
                new_job(&request, take, estimated)
            })
            .collect();
        self.jobs.create(records)
    }

    /// "Another take": one more video of a job's request, in that job's set of
    /// takes (a set it starts, if the job was made alone). A click like Generate:
    /// its own `submission_id`, the same checks, sent once.
    pub async fn another_take(&self, order: AnotherTake) -> AppResult<JobView> {
        let AnotherTake {
            job_id,
            submission_id,
            past_limit_agreed,
        } = order;
        let first = self.jobs.library().get(&job_id)?;
        let estimated = self
            .admit(&first.request, 1, &submission_id, past_limit_agreed)
            .await?;
        let set = first
            .take
            .as_ref()
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), |take| take.set.clone());
        let members = self.jobs.library().list_where(|r| in_set(r, &set));
        let last = members
            .iter()
            .filter_map(|r| r.take.as_ref())
            .map(|t| t.n)
            .max();
        // A video made alone is take 1 of the set it now starts.
        let Some(n) = last.unwrap_or(1).checked_add(1) else {
            lock(&self.submissions).remove(&submission_id);
            return Err(AppError::invalid_request(vec![FieldError::new(
                "takes",
                Rule::TakesRange,
                serde_json::json!({"min": 1, "max": u8::MAX}),
            )]));
        };
        let take = Take {
            set: set.clone(),
            n,
            of: n,
        };
        let mut started = self
            .jobs
            .create(vec![new_job(&first.request, Some(take), estimated)])?;
        // The others learn the set's new size; the new take is sent whatever
        // happens here (a refused disk is noted on the job, as for any change).
        let others = if members.is_empty() {
            vec![first]
        } else {
            members
        };
        for other in others {
            let told = self.jobs.amend(&other.id, |record| {
                let place = record.take.as_ref().map_or(1, |t| t.n);
                record.take = Some(Take {
                    set: set.clone(),
                    n: place,
                    of: n,
                });
            });
            if let Err(error) = told {
                log::warn!(
                    "take {}: the set's new size was not written: {error}",
                    other.id
                );
            }
        }
        Ok(started.remove(0))
    }

    /// "Keep": this take is the one the creator chose among its set; the
    /// set's other takes are no longer kept (a creator keeps one per set).
    pub fn keep_take(&self, job_id: &str) -> AppResult<JobView> {
        let chosen = self.jobs.library().get(job_id)?;
        if let Some(take) = &chosen.take {
            for other in self
                .jobs
                .library()
                .list_where(|r| r.kept && in_set(r, &take.set))
            {
                if other.id != job_id {
                    self.jobs.amend(&other.id, |record| record.kept = false)?;
                }
            }
        }
        self.jobs.amend(job_id, |record| record.kept = true)
    }

    /// Whether a click may spend: refused before anything is recorded or sent on
    /// a repeated `submission_id`, an invalid request, a balance Segmind said is
    /// below the estimate, or spending past the monthly limit the creator has not
    /// agreed to. Answers the estimate of one video, kept with each job.
    async fn admit(
        &self,
        request: &GenerationRequest,
        takes: u8,
        submission_id: &str,
        past_limit_agreed: bool,
    ) -> AppResult<f64> {
        if submission_id.trim().is_empty()
            || !lock(&self.submissions).insert(submission_id.to_string())
        {
            return Err(AppError::new(ErrorCode::DuplicateSubmission));
        }
        let mut problems = request.validate();
        if !(1..=MAX_TAKES).contains(&takes) {
            problems.push(FieldError::new(
                "takes",
                Rule::TakesRange,
                serde_json::json!({"min": 1, "max": MAX_TAKES}),
            ));
        }
        if !problems.is_empty() {
            lock(&self.submissions).remove(submission_id);
            return Err(AppError::invalid_request(problems));
        }
        let price = match self.may_spend(request, takes, past_limit_agreed).await {
            Ok(price) => price,
            Err(error) => {
                // Nothing was sent: the same click may be made again once settled.
                lock(&self.submissions).remove(submission_id);
                return Err(error);
            }
        };
        let client = self.client().await?;
        self.jobs.offer_client(client);
        Ok(price.each.usd)
    }

    /// Stops following a job. Segmind has no cancel: the job may still be billed.
    pub fn stop_following(&self, job_id: &str) -> AppResult<JobView> {
        self.jobs.stop(job_id)
    }

    /// Tries an interrupted job again: follows it or resumes its download.
    pub async fn resume_job(&self, job_id: &str) -> AppResult<JobView> {
        // A finished video downloads without a key; anything else needs one.
        match self.client().await {
            Ok(client) => self.jobs.offer_client(client),
            Err(error) if self.jobs.library().get(job_id)?.output_url.is_none() => {
                return Err(error)
            }
            Err(_) => {}
        }
        self.jobs.resume(job_id)
    }

    /// Waits a few seconds for jobs being sent to get their answer, so quitting
    /// never cuts a POST Segmind may bill; answers how many are still being sent.
    /// A voice's paid create call on its way gets the same few seconds.
    pub async fn settle_sends(&self, limit: std::time::Duration) -> usize {
        let until = tokio::time::Instant::now() + limit;
        let videos = self.jobs.settle_sends(limit).await;
        // Voices have no change signal: their one paid call is looked at a few
        // times a second, for at most what is left of the limit.
        loop {
            let voices = self.voices.sending_count();
            if voices == 0 || tokio::time::Instant::now() >= until {
                return videos + voices;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Deletes a video; what it cost or may have cost stays in the spend.
    pub fn delete_job(&self, job_id: &str) -> AppResult<()> {
        self.keep_bill_of(job_id)?;
        self.jobs.delete(job_id)
    }
}

fn new_job(request: &GenerationRequest, take: Option<Take>, estimated_usd: f64) -> JobRecord {
    let mut record = JobRecord::new(uuid::Uuid::new_v4().to_string(), request.clone());
    record.take = take;
    record.estimated_usd = Some(estimated_usd);
    record
}

fn in_set(record: &JobRecord, set: &str) -> bool {
    record.take.as_ref().is_some_and(|t| t.set == set)
}

#[cfg(test)]
mod tests {
    use super::super::studio_for_tests;
    use super::*;

    fn order(submission_id: &str, takes: u8) -> Order {
        Order {
            request: GenerationRequest {
                prompt: "a paper boat".into(),
                ..Default::default()
            },
            submission_id: submission_id.into(),
            takes,
            past_limit_agreed: false,
        }
    }

    #[tokio::test]
    async fn a_refused_click_records_nothing_and_may_be_made_again_but_a_repeat_may_not() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio_for_tests(dir.path()).await;
        for takes in [0, MAX_TAKES + 1] {
            let refused = studio
                .start_takes(order("click-1", takes))
                .await
                .unwrap_err();
            assert_eq!(refused.code, ErrorCode::InvalidRequest);
            assert_eq!(refused.fields[0].field, "takes");
        }
        studio.set_monthly_limit(Some(0.5)).unwrap();
        let refused = studio.start_takes(order("click-1", 1)).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::OverLimit);
        assert_eq!(studio.jobs.library().count(), 0);
        // Agreed past the limit, the click goes as far as the key (none here)…
        let mut agreed = order("click-1", 1);
        agreed.past_limit_agreed = true;
        let _ = studio.start_takes(agreed.clone()).await;
        // …and the very same click never goes again.
        let repeat = studio.start_takes(agreed).await.unwrap_err();
        assert_eq!(repeat.code, ErrorCode::DuplicateSubmission);
    }
}
