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
    users::{
        self,
        dto::{RegisterRequest, User},
    },
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
    let mut claims = Claims::new(auth, user_id, PrincipalKind::User);
    claims.role = Some(role.as_str().into());
    claims.sid = Some(family_id.clone());
    let access_token = jwt::sign(&keys::active_key(conn, auth.key_encryption_key.as_ref())?, &claims)?;
    let refresh_token =
        store::issue_refresh_token(conn, user_id, &family_id, chrono_duration(auth.refresh_token_ttl))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: auth.access_token_ttl.as_secs(),
        refresh_token,
    })
}

/// A learner signs up (the password already hashed, off the request path).
pub fn register(conn: &mut DbConnection, request: RegisterRequest, password_hash: String) -> ApiResult<User> {
    users::service::insert_account(
        conn,
        users::NewUser {
            email: request.email,
            password_hash: Some(password_hash),
            role: Role::Learner,
            first_name: request.first_name,
            last_name: request.last_name,
            profession: request.profession,
            external_id: None,
        },
    )
}

pub enum LoginOutcome {
    Success(TokenResponse),
    BadCredentials,
    Throttled { retry_after_secs: u64 },
}

/// Checks the password (slow on purpose) unless the email is throttled; records a failure, or
/// clears them and issues tokens. Runs outside a transaction so that a failure is recorded
/// even though the answer is 401.
pub fn login(
    conn: &mut DbConnection,
    auth: &AuthSettings,
    email: &str,
    plain: &str,
) -> ApiResult<LoginOutcome> {
    let window = chrono_duration(auth.login_failure_window);
    let email = users::rules::normalize_email(email);
    let (failures, free_at) = store::recent_failures(conn, &email, window)?;
    if failures >= i64::from(auth.login_max_failures) {
        let retry_after_secs = free_at.map_or(1, |at| (at - db::now()).num_seconds().max(1) as u64);
        return Ok(LoginOutcome::Throttled { retry_after_secs });
    }
    let user = users::service::account_by_email(conn, &email)?;
    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let verified = password::verify(plain, stored_hash.as_deref());
    match user {
        Some(user) if verified && user.active => {
            store::clear_failures(conn, &email, window)?;
            let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role"))?;
            Ok(LoginOutcome::Success(issue_tokens(conn, auth, &user.id, role, None)?))
        }
        _ => {
            store::record_failure(conn, &email)?;
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
