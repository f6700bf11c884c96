//! Verifiable credentials: an Open Badges 3.0 `OpenBadgeCredential` for every award, signed as
//! a VC-JWT with the provider's credential key (never the access-token key), revocable through
//! W3C Bitstring Status Lists, and checked by anyone at `POST /v1/credential-verifications`.

pub mod dto;
mod handlers;
mod layout;
pub mod rules;
pub mod service;
mod store;

pub use handlers::configure;
