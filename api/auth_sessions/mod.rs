//! Sessions of people (not to be confused with activity sessions): self-signup, password
//! login, refresh-token rotation and logout.

pub mod dto;
mod handlers;
pub mod service;
mod store;

pub use handlers::configure;
