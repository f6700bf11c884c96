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

/// mimalloc instead of the system allocator, for every binary built from this crate (the
/// service, its tests and its benchmarks run the same one). A page of the catalog allocates
/// and frees hundreds of strings on the blocking threads, and glibc's malloc took about a fifth
/// of their time (docs/BENCHMARKS.md, "a seventh session").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod access;
pub mod accounts;
pub mod activities;
pub mod auth;
pub mod auth_sessions;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod credit_claims;
pub mod credit_events;
pub mod credits;
pub mod db;
pub mod enrollments;
pub mod error;
pub mod health;
pub mod http;
pub mod integration_clients;
pub mod mail;
pub mod metrics;
pub mod oauth;
pub mod openapi;
pub mod outbound;
pub mod provider;
pub mod rate_limits;
pub mod reporting;
pub mod reports;
pub mod seed;
pub mod startup;
pub mod state;
pub mod surveys;
pub mod telemetry;
pub mod users;
pub mod webhooks;
