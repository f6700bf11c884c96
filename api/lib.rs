//! ce-api: the JSON REST service behind a medical continuing-education program.
//!
//! Module map (see docs/ARCHITECTURE.md for the request flow):
//! - [`config`]: settings from `CE_*` variables;
//! - [`startup`]: the actix application, shared by `main` and the tests;
//! - [`error`]: the error policy and problem+json rendering;
//! - [`db`]: connections, pool, migrations, schema;
//! - [`http`]: shared HTTP plumbing (JSON extractor, request ids, fallback);
//! - [`openapi`]: the generated contract;
//! - one module per resource.

pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod http;
pub mod openapi;
pub mod startup;
pub mod telemetry;
