//! `POST /v1/telemetry`: the add-in's daily usage counts and error reports. Anonymous: no
//! token is asked for or read, the caller's address is used only by the rate limit (never
//! stored), and a report is refused unless every word in it is on the lists of
//! `crate::telemetry`; what is kept is the day's sums.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;

use crate::app::Shared;
use crate::http::error::{ApiError, ApiResult};
use crate::telemetry::{ReportIn, check};

/// `POST /v1/telemetry`.
pub async fn report(State(state): State<Shared>, body: Bytes) -> ApiResult<StatusCode> {
    let report: ReportIn = serde_json::from_slice(&body).map_err(|_| {
        ApiError::BadRequest(
            "expected {\"day\", \"version\", \"platform\", \"counts\", \"errors\"}".to_owned(),
        )
    })?;
    let today = jiff::Timestamp::from_millisecond(crate::now_ms())
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let report = check(&report, today).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    state.store.add_telemetry(&report).await?;
    Ok(StatusCode::NO_CONTENT)
}
