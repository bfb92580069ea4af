//! Users: recorded at sign-in and at licensed use (name and address refreshed each time).

use sqlx::Row as _;

use super::{Store, StoreError, User};

impl Store {
    /// Records a user at sign-in (`used: false`) or at a licensed use (`used: true`, which
    /// sets the last use): created if needed, name and address refreshed — one statement.
    pub async fn record_user(
        &self,
        tid: &str,
        oid: &str,
        name: Option<&str>,
        email: Option<&str>,
        now: i64,
        used: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO users (tenant_id, user_id, name, email, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET name = excluded.name, email = excluded.email, \
             last_used_at = COALESCE(excluded.last_used_at, users.last_used_at), deleted_at = NULL",
        )
        .bind(tid)
        .bind(oid)
        .bind(name)
        .bind(email)
        .bind(now)
        .bind(used.then_some(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether a user was revoked and awaits the purge.
    pub async fn revoked(&self, tid: &str, oid: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT deleted_at FROM users WHERE tenant_id = $1 AND user_id = $2")
            .bind(tid)
            .bind(oid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
            None => false,
        })
    }

    /// A user.
    pub async fn user(&self, tid: &str, oid: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT name, email, created_at, last_used_at FROM users WHERE tenant_id = $1 AND user_id = $2",
        )
        .bind(tid)
        .bind(oid)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some(User {
                tenant_id: tid.to_owned(),
                user_id: oid.to_owned(),
                name: r.try_get("name")?,
                email: r.try_get("email")?,
                created_at: r.try_get("created_at")?,
                last_used_at: r.try_get("last_used_at")?,
            }),
            None => None,
        })
    }
}
