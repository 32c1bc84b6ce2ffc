//! The JSON API and the hosted storefront page over HTTP, on SQLite and
//! PostgreSQL: contracts (status, headers, body), tokens and scopes, ETags and
//! 304s, cursors and deltas while changes happen, and merchant isolation.

#[path = "../common/mod.rs"]
mod common;

mod consistency;
mod equivalence;
mod health;
mod isolation;
mod items;
mod pos;
mod reservations;
mod shop;
mod shop_items;
mod storefront;
mod support;
mod tokens;
