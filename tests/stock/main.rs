//! Unified stock over HTTP, against a running shelfsync on SQLite and
//! PostgreSQL, with many concurrent clients: the last-unit race, conservation
//! under thousands of mixed operations, idempotent replay, all-or-nothing
//! orders, bad input, counter sales and the dashboard's stock forms.

#[path = "../common/mod.rs"]
mod common;

mod concurrency;
mod requests;
mod reservations;
mod support;
