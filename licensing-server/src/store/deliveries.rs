//! Webhook deliveries already applied (at-least-once delivery, applied once).

use super::{Store, StoreError};

impl Store {
    /// Whether a webhook event was applied before.
    pub async fn seen(&self, event_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT event_id FROM webhook_events WHERE event_id = $1")
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Records a webhook event id; `false` when it was seen before (a redelivery).
    pub async fn first_delivery(&self, event_id: &str, source: &str, now: i64) -> Result<bool, StoreError> {
        let n = sqlx::query("INSERT INTO webhook_events (event_id, source, received_at) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING")
            .bind(event_id)
            .bind(source)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}
