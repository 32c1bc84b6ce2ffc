//! Running one's own shop over HTTP: the first start without the demo and
//! its one-time setup page, stores, staff with roles (the role × route
//! matrix), invitation links, and the shop's own settings.

#[path = "../common/mod.rs"]
mod common;

mod activity;
mod catalog_export;
mod catalog_import;
mod counter;
mod reservations;
mod roles;
mod settings;
mod setup;
mod staff;
mod stores;
mod support;
