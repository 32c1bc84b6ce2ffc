//! The merchant dashboard over HTTP: sign-in, CSRF, the item list, the
//! designation buttons (htmx and plain forms), bulk edits, item forms, the
//! counter, the activity log and the hosted shop page.

#[path = "../common/mod.rs"]
mod common;

mod activity;
mod auth;
mod bulk;
mod counter;
mod designation;
mod item_form;
mod items;
mod shop;
mod support;
