//! The account, seat and landing pages. HTML comes from `templates/` (askama: compiled, and
//! every value escaped unless a template says otherwise, which none does). Seat changes go
//! through `seats`, as the API's do, with the same answers: a subscription that is not the
//! caller's is not found.

use askama::Template;
use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::app::Shared;
use crate::billing::marketplace::{self, MarketplaceError};
use crate::seats::{self, SeatError};
use crate::web::directory::{self, SearchError};
use crate::web::session::{self, checked, csrf};

/// The fields the pages' forms post (all optional: a missing one is a 400, never a 500).
#[derive(Debug, Default, Deserialize)]
pub struct FormIn {
    /// The form token.
    pub csrf: Option<String>,
    /// A subscription id.
    pub subscription: Option<String>,
    /// A person's object id.
    pub user_id: Option<String>,
    /// Their name.
    pub name: Option<String>,
    /// Their address.
    pub email: Option<String>,
    /// The organisation's usage counts: `"1"` turns them off, `"0"` back on.
    pub telemetry_off: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    text: &'a str,
    alert: bool,
    link: Option<(&'a str, &'a str)>,
    signed_in: Option<String>,
}

fn html(t: &impl Template) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A page of one sentence (an alert unless the status is a success), with a link.
pub fn message(
    status: StatusCode,
    title: &str,
    text: &str,
    signed_in: Option<String>,
    link: Option<(&str, &str)>,
) -> Response {
    let page = MessagePage { title, text, alert: !status.is_success(), link, signed_in };
    (status, html(&page)).into_response()
}

fn sign_in_first() -> Response {
    message(
        StatusCode::OK,
        "Sign in",
        "Sign in with your Microsoft 365 account to see your license.",
        None,
        Some(("/login", "Sign in")),
    )
}

fn storage_failed() -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again",
        "The server could not read its records; try again.",
        None,
        None,
    )
}

struct Checkout {
    token: String,
    price: String,
    tenant: String,
    user: String,
    sandbox: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    title: &'static str,
    signed_in: Option<String>,
    name: String,
    email: String,
    plan: Option<String>,
    checkout: Option<Checkout>,
    csrf: String,
}

/// `GET /account`.
pub async fn account(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let Some(s) = session::session(&state, &headers).await else { return sign_in_first() };
    let now = crate::now_ms();
    let (Ok(user), Ok(seat)) =
        (state.store.user(&s.tid, &s.oid).await, state.store.seat(&s.tid, &s.oid, now).await)
    else {
        return storage_failed();
    };
    // The "Buy" button: Paddle's checkout, carrying the buyer's tenant and user ids so the
    // purchase webhook gives them a seat.
    let checkout = match (&state.config.paddle_client_token, &state.config.paddle_checkout_price) {
        (Some(token), Some(price)) => Some(Checkout {
            token: token.clone(),
            price: price.clone(),
            tenant: s.tid.clone(),
            user: s.oid.clone(),
            sandbox: state.config.paddle_sandbox,
        }),
        _ => None,
    };
    let token = csrf(&state, &s);
    html(&AccountPage {
        title: "Your account",
        signed_in: Some(token.clone()),
        name: user.as_ref().and_then(|u| u.name.clone()).unwrap_or_default(),
        email: user.as_ref().and_then(|u| u.email.clone()).unwrap_or_default(),
        plan: seat.map(|s| s.plan),
        checkout,
        csrf: token,
    })
}

/// `GET /account/export`.
pub async fn account_export(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let Some(s) = session::session(&state, &headers).await else {
        return message(
            StatusCode::UNAUTHORIZED,
            "Sign in",
            "Sign in to download your data.",
            None,
            Some(("/login", "Sign in")),
        );
    };
    match state.store.export(&s.tid, &s.oid).await {
        Ok(v) => Json(v).into_response(),
        Err(_) => storage_failed(),
    }
}

/// `POST /account/delete`: the same deletion as `DELETE /v1/me`; the session ends with it.
pub async fn account_delete(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<FormIn>,
) -> Response {
    let s = match checked(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if crate::http::me::erase(&state, &s.tid, &s.oid).await.is_err() {
        return storage_failed();
    }
    let mut r =
        message(StatusCode::OK, "Account deleted", "Your license and your data are gone.", None, None);
    r.headers_mut().append(header::SET_COOKIE, session::clear_session());
    r
}

struct HolderRow {
    user_id: String,
    name: String,
    email: String,
    label: String,
}

struct SubView {
    id: String,
    plan: String,
    seats: i64,
    seats_used: i64,
    status: &'static str,
    active: bool,
    holders: Vec<HolderRow>,
}

struct Found {
    user_id: String,
    name: String,
    email: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    title: &'static str,
    signed_in: Option<String>,
    csrf: String,
    query: String,
    consent_needed: bool,
    search_failed: bool,
    subscriptions: Vec<SubView>,
    found: Vec<Found>,
    telemetry_off: bool,
}

#[derive(Debug, Deserialize)]
pub struct AdminQuery {
    #[serde(default)]
    q: Option<String>,
}

/// `GET /admin`: the subscriptions the user administers, their holders, a directory search.
pub async fn admin(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(aq): Query<AdminQuery>,
) -> Response {
    let Some(s) = session::session(&state, &headers).await else { return sign_in_first() };
    let token = csrf(&state, &s);
    let Ok(subs) = state.store.administered(&s.tid, &s.oid).await else { return storage_failed() };
    if subs.is_empty() {
        return message(
            StatusCode::OK,
            "Seats",
            "You do not administer any localmerge subscription.",
            Some(token),
            None,
        );
    }
    let query = aq.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let found = match query {
        Some(q) => Some(directory::search(&state, &s.tid, &s.oid, q).await),
        None => None,
    };
    let now = crate::now_ms();
    let mut views = Vec::new();
    for sub in subs {
        let Ok(holders) = state.store.holders(&sub.id).await else { return storage_failed() };
        views.push(SubView {
            active: sub.status == crate::store::Status::Active && sub.expires_at > now,
            status: sub.status.as_str(),
            holders: holders
                .into_iter()
                .map(|h| HolderRow {
                    label: h.name.clone().unwrap_or_else(|| h.user_id.clone()),
                    name: h.name.unwrap_or_default(),
                    email: h.email.unwrap_or_default(),
                    user_id: h.user_id,
                })
                .collect(),
            id: sub.id,
            plan: sub.plan,
            seats: sub.seats,
            seats_used: sub.seats_used,
        });
    }
    let (consent_needed, search_failed) = match &found {
        Some(Err(SearchError::Consent)) => (true, false),
        Some(Err(SearchError::Failed)) => (false, true),
        _ => (false, false),
    };
    let found = match found {
        Some(Ok(users)) => users
            .into_iter()
            .map(|u| Found {
                email: u.mail.or(u.upn).unwrap_or_default(),
                name: u.display_name.unwrap_or_default(),
                user_id: u.id,
            })
            .collect(),
        _ => Vec::new(),
    };
    let Ok(telemetry_off) = state.store.telemetry_off(&s.tid).await else { return storage_failed() };
    html(&AdminPage {
        title: "Seats",
        signed_in: Some(token.clone()),
        csrf: token,
        query: aq.q.unwrap_or_default(),
        consent_needed,
        search_failed,
        subscriptions: views,
        found,
        telemetry_off,
    })
}

/// `POST /admin/telemetry`: an administrator turns the organisation's usage counts off, or
/// back on; the next license check tells every pane of the organisation.
pub async fn admin_telemetry(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<FormIn>,
) -> Response {
    let s = match checked(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let token = csrf(&state, &s);
    let off = match f.telemetry_off.as_deref() {
        Some("1") => true,
        Some("0") => false,
        _ => {
            return message(
                StatusCode::BAD_REQUEST,
                "Usage counts",
                "The form says neither on nor off.",
                Some(token),
                Some(("/admin", "Back")),
            );
        }
    };
    match seats::administers_tenant(&state.store, &s.tid, &s.oid).await {
        Ok(true) => {}
        Ok(false) => return seat_refused(&SeatError::NotFound, token),
        Err(e) => return seat_refused(&e, token),
    }
    match state.store.set_telemetry_off(&s.tid, off, crate::now_ms()).await {
        Ok(()) => Redirect::to("/admin").into_response(),
        Err(_) => storage_failed(),
    }
}

fn seat_refused(e: &SeatError, token: String) -> Response {
    let status = match e {
        SeatError::NotFound | SeatError::NotHolder => StatusCode::NOT_FOUND,
        SeatError::BadUser => StatusCode::BAD_REQUEST,
        SeatError::BuyerOnly => StatusCode::FORBIDDEN,
        SeatError::NoSeat | SeatError::AlreadyAssigned | SeatError::Inactive => StatusCode::CONFLICT,
        SeatError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    let text = match e {
        SeatError::Store(_) => "The server could not record the change; try again.".to_owned(),
        e => format!("{}.", capitalised(&e.to_string())),
    };
    message(status, "Seats", &text, Some(token), Some(("/admin", "Back")))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

async fn seat_change(state: &Shared, headers: &HeaderMap, f: &FormIn, assign: bool) -> Response {
    let s = match checked(state, headers, f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let token = csrf(state, &s);
    let (Some(sub_id), Some(user)) = (&f.subscription, &f.user_id) else {
        return message(
            StatusCode::BAD_REQUEST,
            "Seats",
            "The form names no subscription or person.",
            Some(token),
            Some(("/admin", "Back")),
        );
    };
    let now = crate::now_ms();
    let result = async {
        let admin = seats::authorize(&state.store, sub_id, &s.tid, &s.oid).await?;
        if assign {
            let h = seats::holder(user, f.name.as_deref(), f.email.as_deref())?;
            seats::assign(&state.store, &admin, &h, now).await
        } else {
            seats::unassign(&state.store, &admin, user, now).await
        }
    }
    .await;
    match result {
        Ok(()) => {
            state.metrics.seat(if assign { "assigned" } else { "unassigned" }, 1);
            Redirect::to("/admin").into_response()
        }
        Err(e) => seat_refused(&e, token),
    }
}

/// `POST /admin/assign`.
pub async fn admin_assign(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<FormIn>,
) -> Response {
    seat_change(&state, &headers, &f, true).await
}

/// `POST /admin/unassign`.
pub async fn admin_unassign(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<FormIn>,
) -> Response {
    seat_change(&state, &headers, &f, false).await
}

#[derive(Debug, Deserialize)]
pub struct Landing {
    token: Option<String>,
}

/// `GET /marketplace/landing?token=…`: a marketplace purchase is resolved, activated and
/// recorded; the buyer gets a seat.
pub async fn landing(State(state): State<Shared>, Query(q): Query<Landing>) -> Response {
    let Some(token) = q.token.filter(|t| marketplace::landing_token(t)) else {
        return message(
            StatusCode::BAD_REQUEST,
            "localmerge",
            "This page is opened from the Microsoft marketplace.",
            None,
            None,
        );
    };
    match marketplace::activate(&state, &token).await {
        Ok(sub) => message(
            StatusCode::OK,
            "Thank you",
            &format!("Your subscription ({} seats, {} plan) is active.", sub.seats, sub.plan),
            None,
            Some(("/admin", "Assign seats")),
        ),
        Err(e) => {
            let (status, text) = match &e {
                MarketplaceError::Refused(_) | MarketplaceError::Unauthorized(_) => (
                    StatusCode::BAD_REQUEST,
                    "The marketplace does not know this purchase. Open it again from the Azure portal or the Microsoft 365 admin center.",
                ),
                MarketplaceError::NotConfigured(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Marketplace purchases are not set up on this server yet.",
                ),
                MarketplaceError::Upstream(_) | MarketplaceError::Seat(_) => {
                    (StatusCode::BAD_GATEWAY, "The marketplace could not be reached; try again in a minute.")
                }
            };
            tracing::warn!(error = %e, "marketplace landing failed");
            message(status, "localmerge", text, None, None)
        }
    }
}
