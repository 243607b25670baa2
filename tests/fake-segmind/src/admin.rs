//! The admin API under `/_fake/` on the API origin, for tests that drive the fake from
//! outside Rust (the end-to-end suite, a shell). Never recorded, never faulted.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::faults::{Fault, Target};
use crate::record::RecordedRequest;
use crate::state::Shared;

const PREFIX: &str = "/_fake/";

pub(crate) fn is_admin_path(path: &str) -> bool {
    path.starts_with(PREFIX)
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_fake/requests", get(requests))
        .route("/_fake/reset-requests", post(reset_requests))
        .route("/_fake/faults", post(push_fault))
        .route("/_fake/credits", get(credits).post(set_credits))
        .route("/_fake/fail-next-job", post(fail_next_job))
        .route("/_fake/expire-records", post(expire_records))
}

async fn requests(State(shared): State<Arc<Shared>>) -> Json<Vec<RecordedRequest>> {
    Json(shared.requests())
}

async fn reset_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset_requests();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct PushFault {
    target: Target,
    fault: Fault,
}

async fn push_fault(State(shared): State<Arc<Shared>>, Json(body): Json<PushFault>) -> StatusCode {
    shared.push_fault(body.target, body.fault);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Credits {
    credits: f64,
}

async fn credits(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "credits": shared.credits() }))
}

async fn set_credits(State(shared): State<Arc<Shared>>, Json(body): Json<Credits>) -> StatusCode {
    shared.set_credits(body.credits);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct FailNextJob {
    reason: String,
}

async fn fail_next_job(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<FailNextJob>,
) -> StatusCode {
    shared.fail_next_job(&body.reason);
    StatusCode::NO_CONTENT
}

async fn expire_records(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.expire_all_records();
    StatusCode::NO_CONTENT
}
