//! The seat rules, in one place: who may change a subscription's seats, who may hold one,
//! and what a purchase event does to them. The API, the web pages and the billing webhooks
//! all go through here; the store's transactions hold the rules that races could break
//! (the count, an inactive subscription, one seat per user per tenant).
//!
//! - Only the buyer and delegated admins of a subscription, in its tenant, see or change
//!   it; to anyone else it does not exist (the same answer as an unknown id).
//! - Only the buyer names delegated admins.
//! - A canceled, suspended or ended subscription takes no new holder, by any path.
//! - A lower quantity takes back the seats beyond it, the most recently given first.
//! - A person who deleted their account is never given a seat or a role by an event.

use crate::store::{Holder, Purchase, Role, Store, StoreError, Subscription};

/// Why a seat change is refused.
#[derive(Debug, thiserror::Error)]
pub enum SeatError {
    /// No such subscription, or not the caller's.
    #[error("no such subscription")]
    NotFound,
    /// Only the buyer may do this.
    #[error("only the buyer may do this")]
    BuyerOnly,
    /// Every seat is taken.
    #[error("every seat is taken")]
    NoSeat,
    /// The person already holds a seat in this tenant.
    #[error("this person already has a seat")]
    AlreadyAssigned,
    /// The person holds no seat of this subscription.
    #[error("this person holds no seat here")]
    NotHolder,
    /// The subscription is canceled, suspended or ended.
    #[error("the subscription is not active")]
    Inactive,
    /// The user id is not a directory object id.
    #[error("not a directory object id")]
    BadUser,
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SeatError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSeat => SeatError::NoSeat,
            StoreError::Inactive => SeatError::Inactive,
            StoreError::AlreadyAssigned => SeatError::AlreadyAssigned,
            StoreError::NotFound => SeatError::NotFound,
            e @ StoreError::Db(_) => SeatError::Store(e),
        }
    }
}

/// Whether `id` has the syntax of a directory object id (or of our subscription ids, or
/// of the marketplace's): the one check every path's ids go through.
pub(crate) fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A person to give a seat or a role: the id checked, name and address clipped to 256
/// characters and stripped of control characters.
pub fn holder(user_id: &str, name: Option<&str>, email: Option<&str>) -> Result<Holder, SeatError> {
    let id = user_id.trim();
    if !is_id(id) {
        return Err(SeatError::BadUser);
    }
    let clean = |s: Option<&str>| {
        s.map(|s| s.chars().filter(|c| !c.is_control()).take(256).collect::<String>())
            .filter(|s| !s.trim().is_empty())
    };
    Ok(Holder { user_id: id.to_owned(), name: clean(name), email: clean(email) })
}

/// A subscription the caller administers, and their role in it.
#[derive(Debug, Clone)]
pub struct Administered {
    /// The subscription.
    pub sub: Subscription,
    /// The caller's role.
    pub role: Role,
}

/// The subscription `sub_id` if `tid`/`oid` administers it; `NotFound` otherwise, whether
/// it does not exist, belongs to another tenant or to someone else in the same tenant.
pub async fn authorize(store: &Store, sub_id: &str, tid: &str, oid: &str) -> Result<Administered, SeatError> {
    if !is_id(sub_id) {
        return Err(SeatError::NotFound);
    }
    let sub = store.subscription(sub_id).await?;
    match store.role(&sub, tid, oid).await? {
        Some(role) => Ok(Administered { sub, role }),
        None => Err(SeatError::NotFound),
    }
}

/// Whether `tid`/`oid` may change their organisation's settings (its usage counts): they
/// bought or administer one of its subscriptions.
pub async fn administers_tenant(store: &Store, tid: &str, oid: &str) -> Result<bool, SeatError> {
    Ok(!store.administered(tid, oid).await?.is_empty())
}

/// Gives `holder` a seat.
pub async fn assign(store: &Store, admin: &Administered, holder: &Holder, now: i64) -> Result<(), SeatError> {
    store.assign(&admin.sub.id, &admin.sub.tenant_id, holder, now).await?;
    Ok(())
}

/// Takes `user_id`'s seat back.
pub async fn unassign(store: &Store, admin: &Administered, user_id: &str, now: i64) -> Result<(), SeatError> {
    if !is_id(user_id) {
        return Err(SeatError::NotHolder);
    }
    store.unassign(&admin.sub.id, user_id, now).await.map_err(|e| match e {
        StoreError::NotFound => SeatError::NotHolder,
        e => e.into(),
    })
}

/// Moves `from`'s seat to `to`, in one transaction.
pub async fn reassign(
    store: &Store,
    admin: &Administered,
    from: &str,
    to: &Holder,
    now: i64,
) -> Result<(), SeatError> {
    if !is_id(from) {
        return Err(SeatError::NotHolder);
    }
    store.reassign(&admin.sub.id, &admin.sub.tenant_id, from, to, now).await.map_err(|e| match e {
        StoreError::NotFound => SeatError::NotHolder,
        e => e.into(),
    })
}

/// Names a delegated admin: the buyer only.
pub async fn add_admin(store: &Store, admin: &Administered, holder: &Holder) -> Result<(), SeatError> {
    if admin.role != Role::Buyer {
        return Err(SeatError::BuyerOnly);
    }
    store.add_admin(&admin.sub, holder).await?;
    Ok(())
}

/// What a purchase event did.
#[derive(Debug)]
pub struct Applied {
    /// The subscription as it now is.
    pub sub: Subscription,
    /// Seats taken back because the quantity went down.
    pub released: u64,
    /// Whether the buyer was given a seat.
    pub buyer_seated: bool,
}

/// Records a purchase event: the subscription's plan, quantity, state and end; the seats
/// beyond a lower quantity taken back; with `seat_buyer`, a seat for the buyer — unless
/// they deleted their account (then the purchase keeps no trace of them).
pub async fn apply_purchase(
    store: &Store,
    mut purchase: Purchase,
    seat_buyer: bool,
    now: i64,
) -> Result<Applied, SeatError> {
    if let Some(buyer) = &purchase.buyer_user_id
        && store.revoked(&purchase.tenant_id, buyer).await?
    {
        purchase.buyer_user_id = None;
        purchase.billing_contact = None;
    }
    let sub = store.upsert_subscription(&purchase, now).await?;
    let released = store.release_excess(&sub.id, now).await?;
    let mut buyer_seated = false;
    // The stored buyer, not the event's: a subscription whose buyer deleted their
    // account has none, whatever the event says.
    if seat_buyer
        && let (Some(buyer), Some(named)) = (&sub.buyer_user_id, &purchase.buyer_user_id)
        && buyer == named
    {
        let h = Holder { user_id: buyer.clone(), name: None, email: None };
        match store.assign(&sub.id, &sub.tenant_id, &h, now).await {
            Ok(()) => buyer_seated = true,
            Err(StoreError::AlreadyAssigned | StoreError::NoSeat | StoreError::Inactive) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let sub = if released > 0 || buyer_seated { store.subscription(&sub.id).await? } else { sub };
    Ok(Applied { sub, released, buyer_seated })
}
