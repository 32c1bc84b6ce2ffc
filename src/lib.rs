//! shelfsync: one inventory, two channels. A merchant keeps one catalogue and
//! one stock count per store; each channel gets the list it should see.

/// `shelfsync export` and `shelfsync import`: the catalogue as a CSV file.
pub mod catalog_commands;
/// Settings from flags and environment variables.
pub mod config;
/// Storage: pool, backend selection, migrations, schema and rows.
pub mod db;
/// The webhook dispatcher: delivers outbox events to merchants' endpoints.
pub mod delivery;
/// The demo merchant "Corner Goods".
pub mod demo;
/// Validated values: sku, money, designations, …
pub mod domain;
/// The inventory service: designations, lists, audit, outbox.
pub mod inventory;
/// Log lines (human or JSON) and the request id they carry.
pub mod logging;
/// The Prometheus metrics `/metrics` reports.
pub mod metrics;
/// Work that falls due at a time (expired holds), done by the server.
pub mod scheduler;
/// Builds and runs the server, and the CLI's other subcommands.
pub mod startup;
/// HTTP: dashboard, storefront page, assets, auth, CSRF, errors.
pub mod web;
