//! Credit claims: a learner (or a planner for them) claims credit for a completed enrollment;
//! the accreditors' rules decide whether and how much; activities award at once or after a
//! planner's review. Amendments supersede, revocations keep the record: history is added,
//! never edited, and every award, amendment and revocation goes to the credit feed in the
//! same transaction.
//!
//! `handlers.rs` (HTTP), `service.rs` (use cases), `store.rs` (queries, the audit trail),
//! `rules.rs` (pure credit rules), `transcript.rs` (CSV), `certificate.rs` (HTML).

pub(crate) mod certificate;
pub mod dto;
mod handlers;
pub mod rules;
pub mod service;
mod store;
pub(crate) mod transcript;

pub use store::ClaimRow;

use utoipa_actix_web::service_config::ServiceConfig;

/// Stored claims for benchmarks that seed awards without the HTTP path.
pub mod fixtures {
    pub use super::store::{insert, transcript_lines, ClaimRow};
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(handlers::configure);
}
