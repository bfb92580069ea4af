//! The storage seam: one `Store` over sqlx's `Any` driver with portable SQL, so SQLite (the
//! embedded default) and PostgreSQL (several replicas) run the same statements, checked by
//! one test suite run against both. This module tree is the only place with SQL, split by
//! aggregate; every multi-row change is one transaction.
//!
//! SQLite runs with `secure_delete`: a deleted row's bytes are overwritten with zeros in the
//! page, and the purge ends with a checkpoint that truncates the write-ahead log, so a
//! deleted person's name and address are gone from the files, not only from the tables.

mod deliveries;
mod migrate;
mod privacy;
mod seats;
mod sessions;
mod subscriptions;
mod telemetry;
mod tokens;
mod users;

use serde::Serialize;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row as _};

pub use migrate::MIGRATIONS;
pub use telemetry::DailySum;

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// The subscription has no free seat.
    #[error("no free seat")]
    NoSeat,
    /// The subscription is canceled, suspended or past its end.
    #[error("the subscription is not active")]
    Inactive,
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
    /// When it ends: every license has an end.
    pub expires_at: i64,
}

/// Where a subscription was bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Paddle.
    Paddle,
    /// The Microsoft commercial marketplace.
    Marketplace,
}

impl Source {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Paddle => "paddle",
            Source::Marketplace => "marketplace",
        }
    }
}

/// A subscription's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Paid: seats license their holders.
    Active,
    /// Ended by the buyer.
    Canceled,
    /// Halted by the seller (a failed payment).
    Suspended,
}

impl Status {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Canceled => "canceled",
            Status::Suspended => "suspended",
        }
    }

    fn parse(s: &str) -> Status {
        match s {
            "active" => Status::Active,
            "canceled" => Status::Canceled,
            _ => Status::Suspended,
        }
    }
}

/// A subscription and its seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// Our id.
    pub id: String,
    /// Where it was bought.
    pub source: String,
    /// The seller's id.
    pub external_id: String,
    /// The tenant it licenses.
    pub tenant_id: String,
    /// The buyer (an admin of it); none once the buyer deleted their account.
    pub buyer_user_id: Option<String>,
    /// The plan.
    pub plan: String,
    /// Seats bought.
    pub seats: i64,
    /// Seats assigned.
    pub seats_used: i64,
    /// Its state.
    pub status: Status,
    /// When it ends.
    pub expires_at: i64,
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
    /// Where.
    pub source: Source,
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
    /// Its state.
    pub status: Status,
    /// End of the paid period: every license has one.
    pub expires_at: i64,
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
        status: Status::parse(&r.try_get::<String, _>("status")?),
        expires_at: r.try_get::<Option<i64>, _>("expires_at")?.unwrap_or(0),
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
                            "PRAGMA secure_delete = ON",
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

    /// Whether the database answers and every migration is applied.
    pub async fn ready(&self) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM schema_migrations").fetch_one(&self.pool).await?;
        Ok(usize::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0) >= MIGRATIONS.len())
    }
}
