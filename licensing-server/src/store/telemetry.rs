//! Usage counts (each day's sums, nothing else) and the organisations that turned them off.

use sqlx::Row as _;

use super::{Store, StoreError};
use crate::telemetry::Report;

/// One stored sum.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DailySum {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// The add-in's version.
    pub version: String,
    /// The kind of Outlook.
    pub platform: String,
    /// A counter, or `error.<kind>.<location>`.
    pub name: String,
    /// The day's total.
    pub total: i64,
}

impl Store {
    /// Adds a checked report to its day's sums, in one transaction.
    pub async fn add_telemetry(&self, report: &Report) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (name, n) in &report.sums {
            sqlx::query(
                "INSERT INTO telemetry_daily (day, version, platform, name, total) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (day, version, platform, name) DO UPDATE SET total = telemetry_daily.total + excluded.total",
            )
            .bind(&report.day)
            .bind(&report.version)
            .bind(report.platform)
            .bind(name)
            .bind(*n)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every stored sum, by day, version, platform and name.
    pub async fn telemetry(&self) -> Result<Vec<DailySum>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, version, platform, name, total FROM telemetry_daily ORDER BY day, version, platform, name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DailySum {
                    day: r.try_get("day")?,
                    version: r.try_get("version")?,
                    platform: r.try_get("platform")?,
                    name: r.try_get("name")?,
                    total: r.try_get("total")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Whether the organisation's administrator turned usage counts off.
    pub async fn telemetry_off(&self, tid: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT telemetry_off FROM tenant_settings WHERE tenant_id = $1")
            .bind(tid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<i64, _>("telemetry_off")? != 0,
            None => false,
        })
    }

    /// Turns the organisation's usage counts off or back on.
    pub async fn set_telemetry_off(&self, tid: &str, off: bool, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tenant_settings (tenant_id, telemetry_off, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET telemetry_off = excluded.telemetry_off, updated_at = excluded.updated_at",
        )
        .bind(tid)
        .bind(i64::from(off))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
