//! The storage seam: one `Store` over sqlx's `Any` driver with portable SQL, so SQLite (the
//! embedded default) and PostgreSQL (several replicas) run the same statements, checked by
//! one test suite run against both. This module is the only place with SQL.

use serde::Serialize;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row as _};

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// The subscription has no free seat.
    #[error("no free seat")]
    NoSeat,
    /// The user already holds a seat in this tenant.
    #[error("the user already has a seat")]
    AlreadyAssigned,
    /// Not found.
    #[error("not found")]
    NotFound,
}

/// The database in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A user: `tenant_id` (`tid`) + `user_id` (`oid`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The tenant.
    pub tenant_id: String,
    /// The user's object id.
    pub user_id: String,
    /// The name.
    pub name: Option<String>,
    /// The address.
    pub email: Option<String>,
    /// First seen.
    pub created_at: i64,
    /// Last licensed use.
    pub last_used_at: Option<i64>,
}

/// A license a user holds through a seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seat {
    /// The subscription.
    pub subscription_id: String,
    /// Its plan.
    pub plan: String,
    /// When it ends, if it does.
    pub expires_at: Option<i64>,
}

/// A subscription and its seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// Our id.
    pub id: String,
    /// `paddle` or `marketplace`.
    pub source: String,
    /// The seller's id.
    pub external_id: String,
    /// The tenant it licenses.
    pub tenant_id: String,
    /// The buyer (an admin of it).
    pub buyer_user_id: Option<String>,
    /// The plan.
    pub plan: String,
    /// Seats bought.
    pub seats: i64,
    /// Seats assigned.
    pub seats_used: i64,
    /// `active`, `canceled`, `suspended`.
    pub status: String,
    /// When it ends, if known.
    pub expires_at: Option<i64>,
    /// The billing contact (the seller's customer id).
    pub billing_contact: Option<String>,
    /// The last transaction id.
    pub transaction_id: Option<String>,
}

/// A seat holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// The user's object id.
    pub user_id: String,
    /// The name.
    pub name: Option<String>,
    /// The address.
    pub email: Option<String>,
}

/// A purchase to record (from Paddle or the marketplace).
#[derive(Debug, Clone)]
pub struct Purchase {
    /// `paddle` or `marketplace`.
    pub source: &'static str,
    /// The seller's subscription (or transaction) id.
    pub external_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The buyer, if known.
    pub buyer_user_id: Option<String>,
    /// The plan.
    pub plan: String,
    /// Seats.
    pub seats: i64,
    /// `active`, `canceled`, `suspended`.
    pub status: String,
    /// End of the paid period.
    pub expires_at: Option<i64>,
    /// Billing contact.
    pub billing_contact: Option<String>,
    /// Transaction id.
    pub transaction_id: Option<String>,
}

/// What someone may do with a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The buyer: everything, including naming delegated admins.
    Buyer,
    /// A delegated admin: seats only.
    Delegated,
}

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_graph_token.sql")),
];

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

fn sub_from(r: &sqlx::any::AnyRow) -> Result<Subscription, sqlx::Error> {
    Ok(Subscription {
        id: r.try_get("id")?,
        source: r.try_get("source")?,
        external_id: r.try_get("external_id")?,
        tenant_id: r.try_get("tenant_id")?,
        buyer_user_id: r.try_get("buyer_user_id")?,
        plan: r.try_get("plan")?,
        seats: r.try_get("seats")?,
        seats_used: r.try_get("seats_used")?,
        status: r.try_get("status")?,
        expires_at: r.try_get("expires_at")?,
        billing_contact: r.try_get("billing_contact")?,
        transaction_id: r.try_get("transaction_id")?,
    })
}

const SUB_COLUMNS: &str = "id, source, external_id, tenant_id, buyer_user_id, plan, seats, seats_used, status, \
     expires_at, billing_contact, transaction_id";

impl Store {
    /// Connects (creating a SQLite file if needed) and applies the migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("postgres") { Backend::Postgres } else { Backend::Sqlite };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA busy_timeout = 10000",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA foreign_keys = ON",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> Result<(), StoreError> {
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

    /// The seat a user holds in an active, unexpired subscription.
    pub async fn seat(&self, tid: &str, oid: &str, now: i64) -> Result<Option<Seat>, StoreError> {
        let row = sqlx::query(
            "SELECT s.id, s.plan, s.expires_at FROM assignments a JOIN subscriptions s ON s.id = a.subscription_id \
             WHERE a.tenant_id = $1 AND a.user_id = $2 AND s.status = 'active' AND (s.expires_at IS NULL OR s.expires_at > $3)",
        )
        .bind(tid)
        .bind(oid)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some(Seat {
                subscription_id: r.try_get("id")?,
                plan: r.try_get("plan")?,
                expires_at: r.try_get("expires_at")?,
            }),
            None => None,
        })
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

    /// Creates or updates a subscription by its seller id; returns it.
    pub async fn upsert_subscription(&self, p: &Purchase, now: i64) -> Result<Subscription, StoreError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        sqlx::query(
            "INSERT INTO subscriptions (id, source, external_id, tenant_id, buyer_user_id, plan, seats, seats_used, status, \
             expires_at, billing_contact, transaction_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11, $12, $12) \
             ON CONFLICT (source, external_id) DO UPDATE SET plan = excluded.plan, seats = excluded.seats, \
             status = excluded.status, expires_at = COALESCE(excluded.expires_at, subscriptions.expires_at), \
             billing_contact = COALESCE(excluded.billing_contact, subscriptions.billing_contact), \
             transaction_id = COALESCE(excluded.transaction_id, subscriptions.transaction_id), \
             buyer_user_id = COALESCE(subscriptions.buyer_user_id, excluded.buyer_user_id), updated_at = excluded.updated_at",
        )
        .bind(&id)
        .bind(p.source)
        .bind(&p.external_id)
        .bind(&p.tenant_id)
        .bind(p.buyer_user_id.as_deref())
        .bind(&p.plan)
        .bind(p.seats)
        .bind(&p.status)
        .bind(p.expires_at)
        .bind(p.billing_contact.as_deref())
        .bind(p.transaction_id.as_deref())
        .bind(now)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {SUB_COLUMNS} FROM subscriptions WHERE source = $1 AND external_id = $2"
        ))
        .bind(p.source)
        .bind(&p.external_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(sub_from(&row)?)
    }

    /// A subscription by id.
    pub async fn subscription(&self, id: &str) -> Result<Subscription, StoreError> {
        let row = sqlx::query(&format!("SELECT {SUB_COLUMNS} FROM subscriptions WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(sub_from(&row)?)
    }

    /// What the user may do with the subscription (only within its tenant).
    pub async fn role(&self, sub: &Subscription, tid: &str, oid: &str) -> Result<Option<Role>, StoreError> {
        if sub.tenant_id != tid {
            return Ok(None);
        }
        if sub.buyer_user_id.as_deref() == Some(oid) {
            return Ok(Some(Role::Buyer));
        }
        let row = sqlx::query("SELECT user_id FROM admins WHERE subscription_id = $1 AND user_id = $2")
            .bind(&sub.id)
            .bind(oid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|_| Role::Delegated))
    }

    /// Subscriptions the user administers.
    pub async fn administered(&self, tid: &str, oid: &str) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUB_COLUMNS} FROM subscriptions WHERE tenant_id = $1 AND (buyer_user_id = $2 OR id IN \
             (SELECT subscription_id FROM admins WHERE tenant_id = $1 AND user_id = $2)) ORDER BY created_at"
        ))
        .bind(tid)
        .bind(oid)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(sub_from).collect::<Result<_, _>>()?)
    }

    /// The seat holders of a subscription.
    pub async fn holders(&self, sub_id: &str) -> Result<Vec<Holder>, StoreError> {
        let rows = sqlx::query("SELECT user_id, name, email FROM assignments WHERE subscription_id = $1 ORDER BY assigned_at, user_id")
            .bind(sub_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Holder {
                    user_id: r.try_get("user_id")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Gives a user a seat. One transaction: the seat count is taken by a conditional update
    /// of the subscription row, which concurrent transactions (two replicas racing for the
    /// last seat) serialise on, so a subscription is never oversubscribed.
    pub async fn assign(&self, sub: &Subscription, holder: &Holder, now: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let taken = sqlx::query(
            "UPDATE subscriptions SET seats_used = seats_used + 1, updated_at = $1 WHERE id = $2 AND seats_used < seats",
        )
        .bind(now)
        .bind(&sub.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken != 1 {
            tx.rollback().await?;
            return Err(StoreError::NoSeat);
        }
        let inserted = sqlx::query(
            "INSERT INTO assignments (subscription_id, tenant_id, user_id, name, email, assigned_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&sub.id)
        .bind(&sub.tenant_id)
        .bind(&holder.user_id)
        .bind(holder.name.as_deref())
        .bind(holder.email.as_deref())
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {
                tx.commit().await?;
                Ok(())
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                tx.rollback().await?;
                Err(StoreError::AlreadyAssigned)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Takes a user's seat back.
    pub async fn unassign(&self, sub_id: &str, oid: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("DELETE FROM assignments WHERE subscription_id = $1 AND user_id = $2")
            .bind(sub_id)
            .bind(oid)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE subscriptions SET seats_used = seats_used - 1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(sub_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Names a delegated admin (seats only, no billing).
    pub async fn add_admin(&self, sub: &Subscription, holder: &Holder) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO admins (subscription_id, tenant_id, user_id, name, email) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (subscription_id, user_id) DO UPDATE SET name = excluded.name, email = excluded.email",
        )
        .bind(&sub.id)
        .bind(&sub.tenant_id)
        .bind(&holder.user_id)
        .bind(holder.name.as_deref())
        .bind(holder.email.as_deref())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Everything stored about a user.
    pub async fn export(&self, tid: &str, oid: &str) -> Result<serde_json::Value, StoreError> {
        let user = sqlx::query(
            "SELECT name, email, created_at, last_used_at FROM users WHERE tenant_id = $1 AND user_id = $2",
        )
        .bind(tid)
        .bind(oid)
        .fetch_optional(&self.pool)
        .await?;
        let user = match user {
            Some(r) => serde_json::json!({
                "tenant_id": tid, "user_id": oid,
                "name": r.try_get::<Option<String>, _>("name")?,
                "email": r.try_get::<Option<String>, _>("email")?,
                "created_at": r.try_get::<i64, _>("created_at")?,
                "last_used_at": r.try_get::<Option<i64>, _>("last_used_at")?,
            }),
            None => serde_json::Value::Null,
        };
        let seats = sqlx::query("SELECT subscription_id, name, email, assigned_at FROM assignments WHERE tenant_id = $1 AND user_id = $2")
            .bind(tid)
            .bind(oid)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "subscription_id": r.try_get::<String, _>("subscription_id")?,
                    "name": r.try_get::<Option<String>, _>("name")?,
                    "email": r.try_get::<Option<String>, _>("email")?,
                    "assigned_at": r.try_get::<i64, _>("assigned_at")?,
                }))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let admin_of = sqlx::query(
            "SELECT subscription_id, name, email FROM admins WHERE tenant_id = $1 AND user_id = $2",
        )
        .bind(tid)
        .bind(oid)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(serde_json::json!({
                "subscription_id": r.try_get::<String, _>("subscription_id")?,
                "name": r.try_get::<Option<String>, _>("name")?,
                "email": r.try_get::<Option<String>, _>("email")?,
            }))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
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
        Ok(serde_json::json!({ "user": user, "seats": seats, "admin_of": admin_of, "purchases": purchases }))
    }

    /// Revokes a user at once: their seats and admin roles go, the account is marked for
    /// the purge.
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
        sqlx::query("DELETE FROM assignments WHERE tenant_id = $1 AND user_id = $2")
            .bind(tid)
            .bind(oid)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM admins WHERE tenant_id = $1 AND user_id = $2")
            .bind(tid)
            .bind(oid)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO users (tenant_id, user_id, created_at, deleted_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET deleted_at = excluded.deleted_at",
        )
        .bind(tid)
        .bind(oid)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Purges users revoked before `cutoff`: their row goes, and purchases they made keep
    /// only anonymised billing records. Returns how many users were purged.
    pub async fn purge(&self, cutoff: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE subscriptions SET buyer_user_id = NULL, billing_contact = NULL WHERE buyer_user_id IS NOT NULL AND EXISTS \
             (SELECT 1 FROM users u WHERE u.tenant_id = subscriptions.tenant_id AND u.user_id = subscriptions.buyer_user_id \
             AND u.deleted_at IS NOT NULL AND u.deleted_at <= $1)",
        )
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query("DELETE FROM users WHERE deleted_at IS NOT NULL AND deleted_at <= $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
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
