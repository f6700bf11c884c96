//! Request and response bodies of the account use cases.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// The answer to a sign-up or a password-reset request: the same whether or not the email
/// has an account (what happens next arrives by mail).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"detail": "If this address can be used, a message is on its way to it."}))]
pub struct Accepted {
    pub detail: String,
}

impl Accepted {
    pub fn mail_on_its_way() -> Accepted {
        Accepted { detail: "If this address can be used, a message is on its way to it.".into() }
    }
}

/// The token from an emailed link.
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "q0Yk3vQ0o1dJm7m1b8mXxg7Xb2S2Qk9Yb4X0j1VZb0A"}))]
pub struct EmailVerification {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}

/// Ask for a password-reset link.
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "dana.reyes@example.org"}))]
pub struct PasswordResetRequest {
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: String,
}

/// Set a new password with the token from a reset link.
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "token": "q0Yk3vQ0o1dJm7m1b8mXxg7Xb2S2Qk9Yb4X0j1VZb0A",
    "new_password": "a brand new passphrase"
}))]
pub struct PasswordResetConfirmation {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    /// At least 12 characters.
    #[validate(length(min = 12, max = 128))]
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

/// Change your password: the current one proves it is you.
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "current_password": "correct horse battery staple",
    "new_password": "a brand new passphrase"
}))]
pub struct PasswordChange {
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub current_password: String,
    /// At least 12 characters.
    #[validate(length(min = 12, max = 128))]
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}
