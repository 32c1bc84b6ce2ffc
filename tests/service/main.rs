//! The inventory service against real SQLite and PostgreSQL databases.

#[path = "../common/mod.rs"]
mod common;

mod changes;
mod designations;
mod import;
mod items;
mod layers;
mod lists;
mod reservations;
mod retention;
mod stock;
mod storage;
mod writer;
