//! The sellers: Paddle (signed webhooks) and the Microsoft commercial marketplace (landing
//! page and confirmed operations). Each maps its events to a `Purchase`; `seats` applies it.

pub mod marketplace;
pub mod paddle;
