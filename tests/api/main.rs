//! The integration tests: one binary, the real application on a bound port, a real SQLite
//! file and a real PostgreSQL database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod accounts;
mod activities;
mod attendance;
mod contract;
mod credentials;
mod credit;
mod enrollments;
mod foundation;
mod foundation_errors;
mod hardening;
mod identity;
mod lms;
mod migrations;
mod reporting;
mod surveys;
mod webhooks;
