//! Accredited activities: the catalog, the planners' editing with optimistic concurrency, the
//! publish workflow with its accreditation checks, sessions, disclosures and vocabularies.
//!
//! `handlers.rs` (HTTP), `service.rs` (use cases), `store.rs` (queries), `rules.rs` (pure
//! accreditation rules), `sessions.rs` (sessions of series and multi-session courses),
//! `revalidation.rs` (anonymous `If-None-Match` answered from the catalog's change mark),
//! `held_views.rs` (summaries and whole documents this replica read, by version, for pages).

pub mod dto;
pub mod examples;
mod handlers;
pub mod held_views;
pub mod revalidation;
pub mod rules;
pub mod service;
pub mod sessions;
mod store;

pub use store::ActivityRow;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(handlers::configure).configure(sessions::configure);
}

/// Direct writes for seeding tests and benchmarks with thousands of rows, below the use cases
/// and their rules. Not for the service's own code.
#[doc(hidden)]
pub mod fixtures {
    pub use super::store::{insert, ActivityCursor};
}
