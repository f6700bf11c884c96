//! Sessions of regularly scheduled series and multi-session courses: a sub-resource of an
//! activity, with its own layers (`handlers.rs`, `service.rs`, `store.rs`, `rules.rs`).

mod handlers;
pub mod rules;
pub mod service;
mod store;

pub use handlers::configure;
pub use store::SessionRow;
