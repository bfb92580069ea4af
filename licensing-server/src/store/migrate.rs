//! Migrations, applied in order at start, safely from any replica.

use super::{Backend, Store, StoreError};

/// The schema's versions.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_graph_token.sql")),
    (3, include_str!("../../migrations/0003_sessions_erasure_ends.sql")),
    (4, include_str!("../../migrations/0004_telemetry.sql")),
];

impl Store {
    pub(super) async fn migrate(&self) -> Result<(), StoreError> {
        // Replicas starting together migrate one after the other: PostgreSQL's concurrent
        // `CREATE TABLE IF NOT EXISTS` can fail, so the first takes an advisory lock (held
        // by one connection) and the others wait for it. SQLite has one writer anyway.
        let mut lock = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_lock(7419532086)").execute(&mut *lock).await?;
        }
        let result = self.migrate_locked().await;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_unlock(7419532086)").execute(&mut *lock).await?;
        }
        result
    }

    async fn migrate_locked(&self) -> Result<(), StoreError> {
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .execute(&self.pool)
            .await?;
        for (version, sql) in MIGRATIONS {
            let mut tx = self.pool.begin().await?;
            let claimed = sqlx::query(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING",
            )
            .bind(*version)
            .bind(crate::now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 1 {
                // Statements end with `;`; comment lines (which may hold one) are dropped first.
                let code: String =
                    sql.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
                for statement in code.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    sqlx::query(statement).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(())
    }
}
