//! Outcome surveys of an activity (pre-tests, post-tests, evaluations, follow-ups) and the
//! learners' responses: every answer checked against its question, tests scored on submit,
//! and the completion rule run again, since evaluations and post-tests can be requirements.

pub mod dto;
mod handlers;
pub mod rules;
pub mod service;
pub mod store;
mod tables;

pub use handlers::configure;
