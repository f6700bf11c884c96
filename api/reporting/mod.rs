//! Reporting to the boards: what ACCME PARS (MOC learner records), NABP CPE Monitor (ACPE
//! credit) and CE Broker (licensees in its states) must receive and by when, written with
//! each award, amendment and revocation in the same transaction; batches frozen into the
//! destinations' files; the destinations' answers.
//!
//! `handlers.rs` (HTTP), `service.rs` (use cases), `store.rs` (queries), `rules.rs` (pure:
//! destinations, deadlines, required fields), `formats.rs` (the files, every unconfirmed
//! layout choice in one place).

pub mod dto;
mod formats;
mod handlers;
pub mod rules;
pub mod service;
mod store;
mod submitters;

pub use handlers::configure;
