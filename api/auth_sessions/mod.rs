//! Sessions of people (not to be confused with activity sessions): self-signup, password
//! login, refresh-token rotation and logout.

pub mod dto;
pub mod store;

use actix_web::{http::header, post, web, HttpResponse};
use chrono::Duration;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::{
        jwt::{self, Claims, PrincipalKind},
        keys, password, Role,
    },
    auth_sessions::dto::{LoginRequest, RefreshRequest, TokenResponse},
    db::{self, DbConnection},
    error::{ApiError, ApiResult, Problem, ProblemType, RateLimitPolicy},
    http::json::ApiJson,
    state::AppState,
    users::{
        self,
        dto::{RegisterRequest, User},
    },
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register).service(login).service(refresh).service(logout);
}

fn chrono_duration(duration: std::time::Duration) -> Duration {
    Duration::seconds(duration.as_secs() as i64)
}

/// Signs an access token and starts (or continues) a refresh-token family.
fn issue_tokens(
    conn: &mut DbConnection,
    state: &AppState,
    user_id: &str,
    role: Role,
    family_id: Option<String>,
) -> ApiResult<TokenResponse> {
    let auth = &state.settings.auth;
    let mut claims = Claims::new(auth, user_id, PrincipalKind::User);
    claims.role = Some(role.as_str().into());
    let access_token = jwt::sign(&keys::active_key(conn)?, &claims)?;
    let family_id = family_id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let refresh_token =
        store::issue_refresh_token(conn, user_id, &family_id, chrono_duration(auth.refresh_token_ttl))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: auth.access_token_ttl.as_secs(),
        refresh_token,
    })
}

fn token_response(tokens: TokenResponse) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(tokens)
}

fn bad_credentials() -> ApiError {
    ApiError::Unauthorized { detail: "the email or password is wrong".into() }
}

/// Learner self-signup (when enabled). Creates a `learner` account.
#[utoipa::path(
    tag = "auth",
    operation_id = "register",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created; log in next", body = User, headers(("Location" = String))),
        (status = 403, description = "Self-signup is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/register")]
async fn register(state: web::Data<AppState>, body: ApiJson<RegisterRequest>) -> ApiResult<HttpResponse> {
    if !state.settings.auth.self_registration {
        return Err(ApiError::Forbidden {
            kind: ProblemType::RegistrationClosed,
            detail: "self-signup is disabled; ask the CE office for an account".into(),
        });
    }
    let request = body.into_inner();
    let plain = request.password.clone();
    let password_hash = web::block(move || password::hash(&plain)).await??;
    let user = db::write(&state.pool, move |conn| -> ApiResult<_> {
        let row = users::store::insert(
            conn,
            users::store::NewUser {
                email: request.email,
                password_hash: Some(password_hash),
                role: Role::Learner,
                first_name: request.first_name,
                last_name: request.last_name,
                profession: request.profession,
                external_id: None,
            },
        )?;
        users::store::load(conn, &row.id)?.ok_or(ApiError::NotFound)
    })
    .await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/users/{}", user.id))).json(user))
}

enum LoginOutcome {
    Success(TokenResponse),
    BadCredentials,
    Throttled { retry_after_secs: u64 },
}

/// Log in with email and password. Unknown emails and wrong passwords get the same answer in
/// about the same time; after too many failures the account is throttled (429).
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Tokens", body = TokenResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is allowed"))),
    )
)]
#[post("/auth/login")]
async fn login(state: web::Data<AppState>, body: ApiJson<LoginRequest>) -> ApiResult<HttpResponse> {
    let request = body.into_inner();
    let auth = state.settings.auth.clone();
    let window = chrono_duration(auth.login_failure_window);
    let state_for_db = state.clone();
    // Password checks are slow on purpose: run on the blocking pool with the queries, and
    // outside any transaction so that a failure is recorded even though the answer is 401.
    let outcome = db::run(&state.pool, move |conn| -> ApiResult<_> {
        let email = users::store::normalize_email(&request.email);
        let (failures, free_at) = store::recent_failures(conn, &email, window)?;
        if failures >= i64::from(auth.login_max_failures) {
            let retry_after_secs = free_at.map_or(1, |at| (at - db::now()).num_seconds().max(1) as u64);
            return Ok(LoginOutcome::Throttled { retry_after_secs });
        }
        let user = users::store::find_by_email(conn, &email)?;
        let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let verified = password::verify(&request.password, stored_hash.as_deref());
        match user {
            Some(user) if verified && user.active => {
                store::clear_failures(conn, &email, window)?;
                let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role"))?;
                Ok(LoginOutcome::Success(issue_tokens(conn, &state_for_db, &user.id, role, None)?))
            }
            _ => {
                store::record_failure(conn, &email)?;
                Ok(LoginOutcome::BadCredentials)
            }
        }
    })
    .await?;
    match outcome {
        LoginOutcome::Success(tokens) => Ok(token_response(tokens)),
        LoginOutcome::BadCredentials => Err(bad_credentials()),
        LoginOutcome::Throttled { retry_after_secs } => Err(ApiError::TooManyRequests {
            retry_after_secs,
            policy: Some(RateLimitPolicy {
                limit: state.settings.auth.login_max_failures,
                window_secs: state.settings.auth.login_failure_window.as_secs(),
            }),
        }),
    }
}

enum RefreshOutcome {
    Success(TokenResponse),
    Refused(&'static str),
}

/// Trade a refresh token for new tokens. Each refresh token works once; presenting a used one
/// again revokes every token of its login (the newer ones too).
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
async fn refresh(state: web::Data<AppState>, body: ApiJson<RefreshRequest>) -> ApiResult<HttpResponse> {
    let token = body.into_inner().refresh_token;
    let state_for_db = state.clone();
    // The transaction commits also when the answer is a refusal: a detected reuse must stay
    // revoked.
    let outcome = db::write(&state.pool, move |conn| -> ApiResult<_> {
        match store::rotate(conn, &token)? {
            store::Rotation::Rotated { user_id, family_id } => {
                let user = users::store::find(conn, &user_id)?.filter(|u| u.active);
                let Some(user) = user else {
                    store::revoke_family(conn, &family_id)?;
                    return Ok(RefreshOutcome::Refused("the account is disabled"));
                };
                let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role"))?;
                Ok(RefreshOutcome::Success(issue_tokens(
                    conn,
                    &state_for_db,
                    &user.id,
                    role,
                    Some(family_id),
                )?))
            }
            store::Rotation::Reused => {
                tracing::warn!("refresh token reuse detected; token family revoked");
                Ok(RefreshOutcome::Refused("the refresh token was already used; log in again"))
            }
            store::Rotation::Invalid => {
                Ok(RefreshOutcome::Refused("the refresh token is unknown, expired or revoked"))
            }
        }
    })
    .await?;
    match outcome {
        RefreshOutcome::Success(tokens) => Ok(token_response(tokens)),
        RefreshOutcome::Refused(detail) => Err(ApiError::Unauthorized { detail: detail.into() }),
    }
}

/// Log out: revokes the refresh token and every token of the same login.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out (also when the token was unknown)"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, body: ApiJson<RefreshRequest>) -> ApiResult<HttpResponse> {
    let token = body.into_inner().refresh_token;
    db::write(&state.pool, move |conn| store::revoke_family_of(conn, &token)).await?;
    Ok(HttpResponse::NoContent().finish())
}
