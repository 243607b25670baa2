//! Money: the price before the click, the spend after, the monthly limit.

use tauri::State;

use crate::error::AppResult;
use crate::request::GenerationRequest;
use crate::studio::{PriceView, SpendView, Studio};

/// The price before the click, for `takes` videos of this request.
#[tauri::command]
pub async fn estimate_price(
    studio: State<'_, Studio>,
    request: GenerationRequest,
    takes: u8,
) -> AppResult<PriceView> {
    Ok(studio.price(&request, takes))
}

/// The spend after: this week, this month, in total, and the balance.
#[tauri::command]
pub async fn spend_summary(studio: State<'_, Studio>) -> AppResult<SpendView> {
    Ok(studio.spend())
}

#[tauri::command]
pub async fn set_monthly_limit(
    studio: State<'_, Studio>,
    limit: Option<f64>,
) -> AppResult<SpendView> {
    studio.set_monthly_limit(limit)
}
