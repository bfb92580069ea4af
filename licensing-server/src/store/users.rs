//! Users: recorded at sign-in and at licensed use (name and address refreshed each time).

use sqlx::Row as _;

use super::{Store, StoreError, User};

impl Store {
    /// Records a signed-in user (name and email refresh at each sign-in).
    pub async fn upsert_user(
        &self,
        tid: &str,
        oid: &str,
        name: Option<&str>,
        email: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO users (tenant_id, user_id, name, email, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET name = excluded.name, email = excluded.email, deleted_at = NULL",
        )
        .bind(tid)
        .bind(oid)
        .bind(name)
        .bind(email)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a licensed user's use: creates them if needed, refreshes name and address,
    /// sets the last use — one statement.
    pub async fn touch(
        &self,
        tid: &str,
        oid: &str,
        name: Option<&str>,
        email: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO users (tenant_id, user_id, name, email, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET name = excluded.name, email = excluded.email, \
             last_used_at = excluded.last_used_at, deleted_at = NULL",
        )
        .bind(tid)
        .bind(oid)
        .bind(name)
        .bind(email)
        .bind(now)
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
