//! An admin's Graph access token (directory search), encrypted by the caller.

use sqlx::Row as _;

use super::{Store, StoreError};

impl Store {
    /// Keeps a user's Graph access token (already encrypted by the caller).
    pub async fn save_graph_token(
        &self,
        tid: &str,
        oid: &str,
        sealed: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET graph_token = $1, graph_token_expires_at = $2 WHERE tenant_id = $3 AND user_id = $4")
            .bind(sealed)
            .bind(expires_at)
            .bind(tid)
            .bind(oid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A user's encrypted Graph token, while it is valid.
    pub async fn graph_token(&self, tid: &str, oid: &str, now: i64) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT graph_token FROM users WHERE tenant_id = $1 AND user_id = $2 AND graph_token_expires_at > $3",
        )
        .bind(tid)
        .bind(oid)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => r.try_get("graph_token")?,
            None => None,
        })
    }
}
