//! Login session use cases: signup, login with throttling, refresh-token rotation, logout.

use chrono::Duration;

use crate::{
    auth::{
        jwt::{self, Claims, PrincipalKind},
        keys, password, Role,
    },
    auth_sessions::{dto::TokenResponse, store},
    config::AuthSettings,
    db::{self, DbConnection},
    error::{ApiError, ApiResult},
    users,
};

fn chrono_duration(duration: std::time::Duration) -> Duration {
    Duration::seconds(duration.as_secs() as i64)
}

/// Signs an access token and starts (or continues) a refresh-token family.
fn issue_tokens(
    conn: &mut DbConnection,
    auth: &AuthSettings,
    user_id: &str,
    role: Role,
    family_id: Option<String>,
) -> ApiResult<TokenResponse> {
    let family_id = family_id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let mut claims = Claims::new(auth, user_id, PrincipalKind::User, crate::db::now_utc().timestamp());
    claims.role = Some(role.as_str().into());
    claims.sid = Some(family_id.clone());
    let access_token = jwt::sign(
        &keys::active_key(conn, keys::KeyPurpose::Access, auth.key_encryption_key.as_ref())?,
        &claims,
    )?;
    let refresh_token =
        store::issue_refresh_token(conn, user_id, &family_id, chrono_duration(auth.refresh_token_ttl))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: auth.access_token_ttl.as_secs(),
        refresh_token,
    })
}

/// Ends the account's login sessions (their refresh tokens, and with them the access tokens
/// that name them), all but `keep`: after a password change or reset.
pub fn end_sessions(conn: &mut DbConnection, user_id: &str, keep: Option<&str>) -> ApiResult<()> {
    store::revoke_families_of_user(conn, user_id, keep)
}

pub enum LoginOutcome {
    Success(TokenResponse),
    BadCredentials,
    Throttled { retry_after_secs: u64 },
}

/// Checks the password (slow on purpose) unless the email is throttled; records a failure, or
/// clears them and issues tokens. Runs outside a transaction so that a failure is recorded
/// even though the answer is 401.
/// Once an account has this many times the allowed failures (from all addresses together),
/// its logins are spaced out: one attempt per [`ACCOUNT_SPACING_SECS`], from any address.
pub const ACCOUNT_FACTOR: i64 = 4;
pub const ACCOUNT_SPACING_SECS: i64 = 5;

/// Seconds until `at`, at least 1.
fn seconds_until(at: chrono::NaiveDateTime) -> u64 {
    (at - db::now()).num_seconds().max(1) as u64
}

/// Whether this login must wait: the (account, address) pair has used its failures (wait until
/// the oldest leaves the window); or the account, attacked from many addresses, is past its
/// own limit: then attempts are only spaced out, so the owner is delayed by seconds, never
/// locked out.
fn throttled(
    conn: &mut DbConnection,
    auth: &AuthSettings,
    email: &str,
    client_ip: &str,
) -> ApiResult<Option<u64>> {
    let window = chrono_duration(auth.login_failure_window);
    let limit = i64::from(auth.login_max_failures);
    let pair = store::recent_failures(conn, email, Some(client_ip), window)?;
    if pair.count >= limit {
        return Ok(Some(pair.oldest.map_or(1, |at| seconds_until(at + window))));
    }
    let account = store::recent_failures(conn, email, None, window)?;
    if account.count >= limit * ACCOUNT_FACTOR {
        let next = account.newest.map(|at| at + Duration::seconds(ACCOUNT_SPACING_SECS));
        if let Some(next) = next.filter(|next| *next > db::now()) {
            return Ok(Some(seconds_until(next)));
        }
    }
    Ok(None)
}

/// Logs in. Under the account's lock: the throttle is read, the password checked and a
/// failure recorded as one step, so parallel guesses are counted one by one.
pub fn login(
    conn: &mut DbConnection,
    auth: &AuthSettings,
    email: &str,
    plain: &str,
    client_ip: &str,
) -> ApiResult<LoginOutcome> {
    let window = chrono_duration(auth.login_failure_window);
    let email = users::rules::normalize_email(email);
    store::lock_account(conn, &email)?;
    if let Some(retry_after_secs) = throttled(conn, auth, &email, client_ip)? {
        return Ok(LoginOutcome::Throttled { retry_after_secs });
    }
    let user = users::service::account_by_email(conn, &email)?;
    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let verified = password::verify(plain, stored_hash.as_deref());
    match user {
        Some(user) if verified && user.active => {
            store::clear_failures(conn, &email, client_ip, window)?;
            let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role"))?;
            Ok(LoginOutcome::Success(issue_tokens(conn, auth, &user.id, role, None)?))
        }
        _ => {
            store::record_failure(conn, &email, client_ip)?;
            Ok(LoginOutcome::BadCredentials)
        }
    }
}

pub enum RefreshOutcome {
    Success(TokenResponse),
    Refused(&'static str),
}

/// Rotates a refresh token. The caller commits also when the answer is a refusal: a detected
/// reuse must stay revoked.
pub fn refresh(conn: &mut DbConnection, auth: &AuthSettings, token: &str) -> ApiResult<RefreshOutcome> {
    match store::rotate(conn, token)? {
        store::Rotation::Rotated { user_id, family_id } => {
            let user = users::service::account(conn, &user_id)?.filter(|u| u.active);
            let Some(user) = user else {
                store::revoke_family(conn, &family_id)?;
                return Ok(RefreshOutcome::Refused("the account is disabled"));
            };
            let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role"))?;
            Ok(RefreshOutcome::Success(issue_tokens(conn, auth, &user.id, role, Some(family_id))?))
        }
        store::Rotation::Reused => {
            tracing::warn!("refresh token reuse detected; token family revoked");
            Ok(RefreshOutcome::Refused("the refresh token was already used; log in again"))
        }
        store::Rotation::Invalid => {
            Ok(RefreshOutcome::Refused("the refresh token is unknown, expired or revoked"))
        }
    }
}

/// Revokes the refresh token and every token of the same login.
pub fn logout(conn: &mut DbConnection, token: &str) -> ApiResult<()> {
    store::revoke_family_of(conn, token)
}
