//! Outcome reports by Moore level: one activity's (`/v1/activities/{id}/outcomes`) and the
//! program's (`/v1/reports/outcomes`). Everything is computed from aggregates the database
//! groups (see `store`); no learner identity appears in a report.

pub mod dto;
mod handlers;
pub mod service;
pub mod stats;
mod store;
pub(crate) mod tables;

pub use handlers::configure;
