//! People: one's own record (`/v1/me`) and the administrators' user directory (`/v1/users`).

pub mod dto;
mod handlers;
pub mod rules;
pub mod service;
mod store;

pub use store::{NewUser, UserRow};

pub use handlers::configure;

/// Direct writes for seeding tests and benchmarks with thousands of rows, below the use cases
/// and their rules. Not for the service's own code.
#[doc(hidden)]
pub mod fixtures {
    pub use super::store::{find, insert};
}
