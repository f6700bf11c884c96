//! Accredited activities: the catalog, the planners' editing with optimistic concurrency, the
//! publish workflow with its accreditation checks, sessions, disclosures and vocabularies.
//!
//! `handlers.rs` (HTTP), `service.rs` (use cases), `store.rs` (queries), `rules.rs` (pure
//! accreditation rules), `sessions.rs` (sessions of series and multi-session courses).

pub mod dto;
pub mod examples;
mod handlers;
pub mod rules;
pub mod service;
pub mod sessions;
pub mod store;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(handlers::configure).configure(sessions::configure);
}
