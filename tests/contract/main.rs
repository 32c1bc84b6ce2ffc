//! The published contract of `/api/v1`: the OpenAPI document against the
//! router and the handlers' real answers, the reference page drawn from it,
//! and schema fuzzing (schemathesis) against a live server.

#[path = "../common/mod.rs"]
mod common;

mod document;
mod fuzzing;
mod reference_page;
