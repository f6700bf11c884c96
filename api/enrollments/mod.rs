//! Enrollments: registration with capacity and a first-come waitlist, safe retries with
//! `Idempotency-Key`, cancellation with automatic promotion, reading, and completion.
//!
//! `handlers.rs` (HTTP), `service.rs` (use cases, and the seat effects of catalog changes),
//! `store.rs` (queries and seat accounting), `rules.rs` (the completion rule),
//! `attendance.rs` (check-in codes, check-in, bulk attendance).

pub mod attendance;
pub mod dto;
mod handlers;
pub mod rules;
pub mod service;
mod store;

pub use store::EnrollmentRow;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(handlers::configure).configure(attendance::configure);
}
