//! The credit feed: every award, amendment and revocation, once each, in commit order, for
//! hospital LMS systems that sync credits by polling with a stored cursor.

pub mod dto;
mod handlers;
pub mod service;
mod store;

pub use store::EventRow;

pub use handlers::configure;
