//! People: one's own record (`/v1/me`) and the administrators' user directory (`/v1/users`).

pub mod dto;
mod handlers;
pub mod rules;
pub mod service;
pub mod store;

pub use handlers::configure;
