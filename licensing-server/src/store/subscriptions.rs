//! Subscriptions: recorded from the sellers' events, looked up for their admins.

use super::{Holder, Purchase, Role, SUB_COLUMNS, Store, StoreError, Subscription, sub_from};

impl Store {
    /// Creates or updates a subscription by its seller id; returns it. Once its buyer has
    /// deleted their account (`erased_at`), no event brings their id or billing contact
    /// back: the purchase keeps only its anonymised billing record.
    pub async fn upsert_subscription(&self, p: &Purchase, now: i64) -> Result<Subscription, StoreError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        sqlx::query(
            "INSERT INTO subscriptions (id, source, external_id, tenant_id, buyer_user_id, plan, seats, seats_used, status, \
             expires_at, billing_contact, transaction_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11, $12, $12) \
             ON CONFLICT (source, external_id) DO UPDATE SET plan = excluded.plan, seats = excluded.seats, \
             status = excluded.status, expires_at = excluded.expires_at, \
             billing_contact = CASE WHEN subscriptions.erased_at IS NULL \
               THEN COALESCE(excluded.billing_contact, subscriptions.billing_contact) ELSE subscriptions.billing_contact END, \
             transaction_id = COALESCE(excluded.transaction_id, subscriptions.transaction_id), \
             buyer_user_id = CASE WHEN subscriptions.erased_at IS NULL \
               THEN COALESCE(subscriptions.buyer_user_id, excluded.buyer_user_id) END, \
             updated_at = excluded.updated_at",
        )
        .bind(&id)
        .bind(p.source.as_str())
        .bind(&p.external_id)
        .bind(&p.tenant_id)
        .bind(p.buyer_user_id.as_deref())
        .bind(&p.plan)
        .bind(p.seats)
        .bind(p.status.as_str())
        .bind(p.expires_at)
        .bind(p.billing_contact.as_deref())
        .bind(p.transaction_id.as_deref())
        .bind(now)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {SUB_COLUMNS} FROM subscriptions WHERE source = $1 AND external_id = $2"
        ))
        .bind(p.source.as_str())
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
}
