//! Machine clients (hospital LMS systems): created by administrators with a set of scopes and
//! a secret shown once; they get tokens from `POST /v1/oauth/token`.

pub mod dto;
mod handlers;
pub mod service;
mod store;

pub use dto::{CreatedIntegrationClient, IntegrationClient};
pub use handlers::configure;
