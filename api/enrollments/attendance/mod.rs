//! Attendance, a sub-resource of enrollments: learners check in to a session with its short
//! code inside the session's window; planners record attendance in bulk. Recording attendance
//! completes an enrollment as soon as the activity's requirements are met.

pub mod dto;
mod handlers;
pub mod rules;
pub mod service;
mod store;

pub use handlers::configure;
pub use store::SessionAttended;
