//! The merchant dashboard over HTTP: sign-in, CSRF, the item list, the
//! designation buttons (htmx and plain forms), bulk edits, item forms, the
//! counter and the activity log. The hosted shop page is in `api/shop.rs`.

#[path = "../common/mod.rs"]
mod common;

mod activity;
mod auth;
mod bulk;
mod bulk_edit;
mod counter;
mod counter_reservations;
mod counter_sales;
mod designation;
mod error_pages;
mod item_form;
mod items;
mod online_stock;
mod schedules;
mod sessions;
mod support;
mod vocabulary;
