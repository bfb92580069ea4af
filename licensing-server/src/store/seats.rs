//! Seats: who holds one, and the transactions that change them. Each change is one
//! transaction whose conditional update of the subscription row is what concurrent
//! transactions (two replicas racing for the last seat) serialise on: a subscription is
//! never oversubscribed, and an inactive one takes no new holder.

use sqlx::Row as _;

use super::{Holder, Seat, Store, StoreError};

/// The condition under which a subscription takes a new holder (bound: `$1` now, `$2` id).
const TAKES_HOLDERS: &str = "id = $2 AND status = 'active' AND expires_at > $1";

impl Store {
    /// The seat a user holds in an active, unexpired subscription.
    pub async fn seat(&self, tid: &str, oid: &str, now: i64) -> Result<Option<Seat>, StoreError> {
        let row = sqlx::query(
            "SELECT s.id, s.plan, s.expires_at FROM assignments a JOIN subscriptions s ON s.id = a.subscription_id \
             WHERE a.tenant_id = $1 AND a.user_id = $2 AND s.status = 'active' AND s.expires_at > $3",
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

    /// Why a subscription took no holder: inactive, or full.
    async fn refusal(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        sub_id: &str,
        now: i64,
    ) -> Result<StoreError, StoreError> {
        let active = sqlx::query(&format!("SELECT id FROM subscriptions WHERE {TAKES_HOLDERS}"))
            .bind(now)
            .bind(sub_id)
            .fetch_optional(&mut **tx)
            .await?;
        Ok(if active.is_some() { StoreError::NoSeat } else { StoreError::Inactive })
    }

    /// Gives a user a seat.
    pub async fn assign(
        &self,
        sub_id: &str,
        tenant_id: &str,
        holder: &Holder,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let taken = sqlx::query(&format!(
            "UPDATE subscriptions SET seats_used = seats_used + 1, updated_at = $1 WHERE {TAKES_HOLDERS} AND seats_used < seats"
        ))
        .bind(now)
        .bind(sub_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken != 1 {
            let why = self.refusal(&mut tx, sub_id, now).await?;
            tx.rollback().await?;
            return Err(why);
        }
        let inserted = insert_holder(&mut tx, sub_id, tenant_id, holder, now).await;
        finish(tx, inserted).await
    }

    /// Takes a user's seat back.
    pub async fn unassign(&self, sub_id: &str, oid: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Err(e) = remove_holder(&mut tx, sub_id, oid).await {
            tx.rollback().await?;
            return Err(e);
        }
        sqlx::query("UPDATE subscriptions SET seats_used = seats_used - 1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(sub_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves a seat from one user to another in one transaction: the seat is never free,
    /// so a racing assignment cannot take it, and a failure leaves the first holder with it.
    pub async fn reassign(
        &self,
        sub_id: &str,
        tenant_id: &str,
        from: &str,
        to: &Holder,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // The subscription row first: it serialises this change with every other one.
        let active = sqlx::query(&format!("UPDATE subscriptions SET updated_at = $1 WHERE {TAKES_HOLDERS}"))
            .bind(now)
            .bind(sub_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if active != 1 {
            tx.rollback().await?;
            return Err(StoreError::Inactive);
        }
        if let Err(e) = remove_holder(&mut tx, sub_id, from).await {
            tx.rollback().await?;
            return Err(e);
        }
        let inserted = insert_holder(&mut tx, sub_id, tenant_id, to, now).await;
        finish(tx, inserted).await
    }

    /// Takes back the seats beyond what a subscription now has (a lower quantity), the
    /// most recently given first. Returns how many were taken back.
    pub async fn release_excess(&self, sub_id: &str, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE subscriptions SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(sub_id)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query("SELECT seats, seats_used FROM subscriptions WHERE id = $1")
            .bind(sub_id)
            .fetch_one(&mut *tx)
            .await?;
        let excess = row.try_get::<i64, _>("seats_used")? - row.try_get::<i64, _>("seats")?;
        if excess <= 0 {
            tx.rollback().await?;
            return Ok(0);
        }
        let latest: Vec<String> = sqlx::query(
            "SELECT user_id FROM assignments WHERE subscription_id = $1 ORDER BY assigned_at DESC, user_id DESC LIMIT $2",
        )
        .bind(sub_id)
        .bind(excess)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get("user_id"))
        .collect::<Result<_, _>>()?;
        for user in &latest {
            sqlx::query("DELETE FROM assignments WHERE subscription_id = $1 AND user_id = $2")
                .bind(sub_id)
                .bind(user)
                .execute(&mut *tx)
                .await?;
        }
        let n = i64::try_from(latest.len()).unwrap_or(i64::MAX);
        sqlx::query("UPDATE subscriptions SET seats_used = seats_used - $1 WHERE id = $2")
            .bind(n)
            .bind(sub_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(latest.len() as u64)
    }
}

async fn insert_holder(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    sub_id: &str,
    tenant_id: &str,
    holder: &Holder,
    now: i64,
) -> Result<(), StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO assignments (subscription_id, tenant_id, user_id, name, email, assigned_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(sub_id)
    .bind(tenant_id)
    .bind(&holder.user_id)
    .bind(holder.name.as_deref())
    .bind(holder.email.as_deref())
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::AlreadyAssigned),
        Err(e) => Err(e.into()),
    }
}

/// Removes a holder; `NotFound` when they hold no seat of the subscription.
async fn remove_holder(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    sub_id: &str,
    user: &str,
) -> Result<(), StoreError> {
    let n = sqlx::query("DELETE FROM assignments WHERE subscription_id = $1 AND user_id = $2")
        .bind(sub_id)
        .bind(user)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Commits when the last step succeeded, rolls back otherwise.
async fn finish(
    tx: sqlx::Transaction<'_, sqlx::Any>,
    last: Result<(), StoreError>,
) -> Result<(), StoreError> {
    match last {
        Ok(()) => Ok(tx.commit().await?),
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}
