//! What a deployer operates by, over HTTP and on `shelfsync serve`'s own
//! output, on SQLite and PostgreSQL: request ids on every response and log
//! line, the JSON log format, the quiet first start, and `/metrics`.

#[path = "../common/mod.rs"]
mod common;

mod logs;
mod metrics;
mod request_ids;
mod support;
