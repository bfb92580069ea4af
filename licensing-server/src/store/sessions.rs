//! Web sessions: the cookie holds a random id, this table its SHA-256, the user and an
//! absolute end. Sign-out and account deletion remove the row, so a copied cookie stops
//! working at once.

use sqlx::Row as _;

use super::{Store, StoreError};

impl Store {
    /// Opens a session.
    pub async fn open_session(
        &self,
        id_hash: &str,
        tid: &str,
        oid: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, tenant_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(tid)
        .bind(oid)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user of a session that has not ended.
    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<(String, String)>, StoreError> {
        let row =
            sqlx::query("SELECT tenant_id, user_id FROM sessions WHERE id_hash = $1 AND expires_at > $2")
                .bind(id_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("tenant_id")?, r.try_get("user_id")?)),
            None => None,
        })
    }

    /// Ends a session (sign-out).
    pub async fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }
}
