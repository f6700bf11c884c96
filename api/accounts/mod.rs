//! Accounts by email: self-signup with a verification link, password change and reset. Every
//! answer that takes an email is the same whether or not an account has it; what differs
//! goes to the mailbox (a verification link, or a notice to the account's owner).

pub mod dto;
mod handlers;
pub mod rules;
pub mod service;
mod store;

pub use handlers::configure;
