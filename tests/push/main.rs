//! Pushing changes to online stores: the webhook dispatcher, signatures, the
//! delivery log, the live event stream and the reference consumer, on
//! SQLite and PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

#[path = "../../examples/storefront_mirror/mirror.rs"]
mod mirror;

mod behind_nginx;
mod dashboard;
mod delivery;
mod end_to_end;
mod endpoints_api;
mod events;
mod expiry;
mod instances;
mod nginx;
mod outage;
mod restart;
mod retention;
mod rolling_restart;
mod schedules;
mod shutdown;
mod signatures;
mod ssrf;
mod standard;
mod storefront_only;
mod support;
