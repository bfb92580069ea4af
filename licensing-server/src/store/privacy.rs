//! A person's rights over what is stored about them: export, and deletion — revoked at once
//! (seats, admin roles, sessions, the buyer's rights), purged of personal fields after the
//! configured delay, and physically: SQLite overwrites deleted rows (`secure_delete`) and the
//! purge truncates the write-ahead log.

use sqlx::Row as _;

use super::{Backend, SUB_COLUMNS, Store, StoreError, sub_from};

/// A column of an export, and its type.
enum Column {
    Text(&'static str),
    OptText(&'static str),
    Int(&'static str),
    OptInt(&'static str),
}

impl Store {
    /// Everything stored about a user.
    pub async fn export(&self, tid: &str, oid: &str) -> Result<serde_json::Value, StoreError> {
        use Column::{Int, OptInt, OptText, Text};
        let user = self
            .rows_of(
                tid,
                oid,
                "SELECT name, email, created_at, last_used_at FROM users",
                &[OptText("name"), OptText("email"), Int("created_at"), OptInt("last_used_at")],
            )
            .await?
            .pop()
            .map_or(serde_json::Value::Null, |mut u| {
                u["tenant_id"] = tid.into();
                u["user_id"] = oid.into();
                u
            });
        let seats = self
            .rows_of(
                tid,
                oid,
                "SELECT subscription_id, name, email, assigned_at FROM assignments",
                &[Text("subscription_id"), OptText("name"), OptText("email"), Int("assigned_at")],
            )
            .await?;
        let admin_of = self
            .rows_of(
                tid,
                oid,
                "SELECT subscription_id, name, email FROM admins",
                &[Text("subscription_id"), OptText("name"), OptText("email")],
            )
            .await?;
        let sessions = self
            .rows_of(
                tid,
                oid,
                "SELECT created_at, expires_at FROM sessions",
                &[Int("created_at"), Int("expires_at")],
            )
            .await?;
        let purchases = sqlx::query(&format!(
            "SELECT {SUB_COLUMNS} FROM subscriptions WHERE tenant_id = $1 AND buyer_user_id = $2"
        ))
        .bind(tid)
        .bind(oid)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(sub_from)
        .collect::<Result<Vec<_>, _>>()?;
        Ok(serde_json::json!({
            "user": user, "seats": seats, "admin_of": admin_of, "purchases": purchases, "sessions": sessions,
        }))
    }

    /// The rows of `select` (a `SELECT … FROM table`) that are the person's, as JSON objects
    /// of `columns`.
    async fn rows_of(
        &self,
        tid: &str,
        oid: &str,
        select: &str,
        columns: &[Column],
    ) -> Result<Vec<serde_json::Value>, StoreError> {
        let rows = sqlx::query(&format!("{select} WHERE tenant_id = $1 AND user_id = $2"))
            .bind(tid)
            .bind(oid)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut object = serde_json::Map::new();
            for c in columns {
                let (name, value) = match *c {
                    Column::Text(n) => (n, serde_json::json!(r.try_get::<String, _>(n)?)),
                    Column::OptText(n) => (n, serde_json::json!(r.try_get::<Option<String>, _>(n)?)),
                    Column::Int(n) => (n, serde_json::json!(r.try_get::<i64, _>(n)?)),
                    Column::OptInt(n) => (n, serde_json::json!(r.try_get::<Option<i64>, _>(n)?)),
                };
                object.insert(name.to_owned(), value);
            }
            out.push(serde_json::Value::Object(object));
        }
        Ok(out)
    }

    /// Revokes a user at once: their seats, admin roles and sessions go, the purchases they
    /// made lose their buyer (no right is left to them, and no later event of the seller
    /// brings them back), and the account is marked for the purge.
    pub async fn revoke(&self, tid: &str, oid: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let seats: Vec<String> =
            sqlx::query("SELECT subscription_id FROM assignments WHERE tenant_id = $1 AND user_id = $2")
                .bind(tid)
                .bind(oid)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get("subscription_id"))
                .collect::<Result<_, _>>()?;
        for sub in &seats {
            sqlx::query(
                "UPDATE subscriptions SET seats_used = seats_used - 1, updated_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(sub)
            .execute(&mut *tx)
            .await?;
        }
        for statement in [
            "DELETE FROM assignments WHERE tenant_id = $1 AND user_id = $2",
            "DELETE FROM admins WHERE tenant_id = $1 AND user_id = $2",
            "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2",
        ] {
            sqlx::query(statement).bind(tid).bind(oid).execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE subscriptions SET buyer_user_id = NULL, erased_at = $3 WHERE tenant_id = $1 AND buyer_user_id = $2",
        )
        .bind(tid)
        .bind(oid)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO users (tenant_id, user_id, created_at, deleted_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET deleted_at = excluded.deleted_at, graph_token = NULL",
        )
        .bind(tid)
        .bind(oid)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Purges users revoked before `cutoff`: their row goes, purchases they made keep only
    /// an anonymised billing record, and sessions ended before `now` go. On SQLite the
    /// write-ahead log is then checkpointed and truncated, so the deleted bytes are in no
    /// file. Returns how many users were purged.
    pub async fn purge(&self, cutoff: i64, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE subscriptions SET billing_contact = NULL WHERE erased_at IS NOT NULL AND erased_at <= $1 \
             AND billing_contact IS NOT NULL",
        )
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query("DELETE FROM users WHERE deleted_at IS NOT NULL AND deleted_at <= $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        if n > 0 && self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        }
        Ok(n)
    }
}
