//! The `localmerge` command-line contract, tested against the built binary.
// Test helpers fail loudly; the production lints against panicking do not apply here.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod contacts;
mod drive;
mod preview;
mod send;
