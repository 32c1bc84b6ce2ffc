//! The doors of the application over HTTP, on SQLite and PostgreSQL: the
//! security headers on every route, sign-in throttling, and text input with
//! control characters refused in every field. Revocation through the command
//! line is in `cli/`, the event stream's end on revocation in `push/events.rs`.

#[path = "../common/mod.rs"]
mod common;

mod headers;
mod redirects;
mod revocation;
mod sign_in;
mod text_input;
