//! Sessions of people (not to be confused with activity sessions): self-signup, password
//! login, refresh-token rotation and logout.

pub mod dto;
mod handlers;
pub mod service;
pub mod store;

pub use handlers::configure;
