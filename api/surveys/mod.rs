//! Outcome surveys of an activity (pre-tests, post-tests, evaluations, follow-ups) and the
//! learners' responses: every answer checked against its question, tests scored on submit,
//! and the completion rule run again, since evaluations and post-tests can be requirements.

pub mod dto;
mod handlers;
pub mod rules;
pub mod service;
mod store;
pub(crate) mod tables;

pub use handlers::configure;

/// Direct writes for seeding tests and benchmarks with thousands of rows, below the use cases
/// and their rules. Not for the service's own code.
#[doc(hidden)]
pub mod fixtures {
    pub use super::store::{insert, insert_response, refresh_pairs, ResponseRow};
}
