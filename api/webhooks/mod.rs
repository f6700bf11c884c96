//! Webhooks (Standard Webhooks): endpoints that machine clients and administrators register,
//! an outbox of messages written with the changes they report, and a worker on every replica
//! that delivers them, signed, in order per endpoint, at least once, with retries.

pub mod dto;
mod handlers;
pub mod rules;
pub mod service;
mod store;
pub mod worker;

pub use handlers::configure;
pub use rules::EventType;
