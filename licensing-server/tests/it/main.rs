//! The licensing server through HTTP, against SQLite and PostgreSQL alike, with a local
//! identity provider (our own RSA keys, JWKS and OpenID metadata).
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod harness;
mod oidc;

mod admin;
mod attack;
mod license;
mod marketplace;
mod openapi;
mod privacy;
mod replicas;
mod seats;
mod telemetry;
mod web;
mod webhooks;
