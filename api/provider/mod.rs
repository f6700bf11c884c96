//! The accredited provider's profile (`/v1/provider`): legal name, address, accreditations
//! with provider numbers, the statements certificates print, the signatory. Administrators
//! edit it; certificates, verification and (later) board reports read it. Until it is first
//! saved, the `CE_PROVIDER_*` settings give its initial values.

pub mod dto;
mod handlers;
pub mod rules;
pub mod service;
mod store;

pub use handlers::configure;
