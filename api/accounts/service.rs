//! Account use cases, one function each, run by the handler in one transaction. Mails are
//! returned, not sent: the handler sends them once the transaction has committed.

use crate::{
    accounts::{
        rules::{self, Purpose},
        store,
    },
    auth::{password, Role},
    auth_sessions,
    db::DbConnection,
    error::{ApiError, ApiResult, FieldError},
    mail::Mail,
    rate_limits::{self, Quota},
    users::{self, dto::RegisterRequest},
};

fn invalid_token() -> ApiError {
    ApiError::Validation {
        errors: vec![FieldError::new("token", "invalid", "the link is unknown, expired or already used")],
    }
}

/// Whether an account has this email (any letter case): the sign-up hashes a password only
/// for addresses that are free.
pub fn email_in_use(conn: &mut DbConnection, email: &str) -> ApiResult<bool> {
    Ok(users::service::account_by_email(conn, email)?.is_some())
}

/// What a sign-up led to.
pub enum SignUp {
    /// The mail to send: a verification link, or a notice to an existing account's owner.
    Mail(Mail),
    /// The address is free (again) and no password hash was given: hash it, and sign up again.
    NeedsPasswordHash,
}

/// A learner signs up: a free address gets an unverified account and a verification link
/// (`password_hash` was made off the request path); a used one gets a notice to its owner
/// (with a fresh verification link while the owner has not confirmed it), and nothing changes.
pub fn sign_up(
    conn: &mut DbConnection,
    portal_url: &str,
    request: RegisterRequest,
    password_hash: Option<String>,
) -> ApiResult<SignUp> {
    if let Some(existing) = users::service::account_by_email(conn, &request.email)? {
        let token = match existing.email_verified_at {
            Some(_) => None,
            None => Some(store::issue(conn, &existing.id, Purpose::VerifyEmail)?),
        };
        let notice = rules::existing_account_notice(&existing.email, portal_url, token.as_deref());
        return Ok(SignUp::Mail(notice));
    }
    let Some(password_hash) = password_hash else { return Ok(SignUp::NeedsPasswordHash) };
    let user = users::service::insert_account(
        conn,
        users::NewUser {
            email: request.email,
            password_hash: Some(password_hash),
            role: Role::Learner,
            first_name: request.first_name,
            last_name: request.last_name,
            profession: request.profession,
            external_id: None,
            email_verified: false,
        },
    )?;
    let token = store::issue(conn, &user.id, Purpose::VerifyEmail)?;
    Ok(SignUp::Mail(rules::verification_mail(&user.email, portal_url, &token)))
}

/// The owner followed the verification link.
pub fn verify_email(conn: &mut DbConnection, token: &str) -> ApiResult<()> {
    let user_id = store::redeem(conn, Purpose::VerifyEmail, token)?.ok_or_else(invalid_token)?;
    users::service::mark_email_verified(conn, &user_id)
}

/// A reset link for an active account with this email, unless the account already got
/// `mail_quota` of them (then, like for unknown emails, nothing is sent).
pub fn request_password_reset(
    conn: &mut DbConnection,
    portal_url: &str,
    mail_quota: Option<Quota>,
    email: &str,
) -> ApiResult<Option<Mail>> {
    let Some(account) = users::service::account_by_email(conn, email)?.filter(|a| a.active) else {
        return Ok(None);
    };
    if let Some(quota) = mail_quota {
        let decision = rate_limits::consume(conn, "password-reset-mail", &account.email_normalized, quota)?;
        if !decision.allowed {
            tracing::warn!(account = %account.id, "password-reset mails for this account are over quota");
            return Ok(None);
        }
    }
    let token = store::issue(conn, &account.id, Purpose::PasswordReset)?;
    Ok(Some(rules::reset_mail(&account.email, portal_url, &token)))
}

/// Sets the new password (hashed off the request path) with a reset link's token. The link
/// proved the mailbox, so the address counts as verified; every login session ends.
pub fn reset_password(
    conn: &mut DbConnection,
    portal_url: &str,
    token: &str,
    new_password_hash: &str,
) -> ApiResult<Mail> {
    let user_id = store::redeem(conn, Purpose::PasswordReset, token)?.ok_or_else(invalid_token)?;
    let account = users::service::account(conn, &user_id)?.filter(|a| a.active).ok_or_else(invalid_token)?;
    users::service::set_password(conn, &user_id, new_password_hash, true)?;
    auth_sessions::service::end_sessions(conn, &user_id, None)?;
    Ok(rules::password_changed_notice(&account.email, portal_url))
}

/// 422 naming `current_password` unless it is the account's password. Run before the change,
/// outside its transaction: the check is slow on purpose, and no lock need wait for it.
pub fn check_current_password(
    conn: &mut DbConnection,
    user_id: &str,
    current_password: &str,
) -> ApiResult<()> {
    let account = users::service::account(conn, user_id)?.ok_or(ApiError::NotFound)?;
    if password::verify(current_password, account.password_hash.as_deref()) {
        return Ok(());
    }
    Err(ApiError::Validation {
        errors: vec![FieldError::new("current_password", "mismatch", "the current password is wrong")],
    })
}

/// The signed-in owner changes their password (the current one checked just before). Every
/// other login session ends; the one making the change (`session`) goes on.
pub fn change_password(
    conn: &mut DbConnection,
    portal_url: &str,
    user_id: &str,
    session: Option<&str>,
    new_password_hash: &str,
) -> ApiResult<Mail> {
    let account = users::service::account(conn, user_id)?.ok_or(ApiError::NotFound)?;
    users::service::set_password(conn, user_id, new_password_hash, false)?;
    auth_sessions::service::end_sessions(conn, user_id, session)?;
    Ok(rules::password_changed_notice(&account.email, portal_url))
}
