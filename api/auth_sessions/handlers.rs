//! HTTP for login sessions: extract, call one use case of [`super::service`], map the result.

use actix_web::{http::header, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::password,
    auth_sessions::{
        dto::{LoginRequest, RefreshRequest, TokenResponse},
        service::{self, LoginOutcome, RefreshOutcome},
    },
    db,
    error::{ApiError, ApiResult, Problem, ProblemType, RateLimitPolicy},
    http::json::ApiJson,
    state::AppState,
    users::dto::{RegisterRequest, User},
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register).service(login).service(refresh).service(logout);
}

fn token_response(tokens: TokenResponse) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(tokens)
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
    let email = request.email.clone();
    db::run(&state.pool, move |conn| crate::users::service::ensure_email_free(conn, &email)).await?;
    let plain = request.password.clone();
    let password_hash = web::block(move || password::hash(&plain)).await??;
    let user = db::write(&state.pool, move |conn| service::register(conn, request, password_hash)).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/users/{}", user.id))).json(user))
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
async fn login(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let request = body.into_inner();
    let auth = state.settings.auth.clone();
    let client_ip = crate::http::client_key(&req, &state.settings.trusted_proxies);
    // One write transaction: a failure is recorded even though the answer is a 401.
    let outcome = db::write(&state.pool, move |conn| {
        service::login(conn, &auth, &request.email, &request.password, &client_ip)
    })
    .await?;
    match outcome {
        LoginOutcome::Success(tokens) => Ok(token_response(tokens)),
        LoginOutcome::BadCredentials => {
            Err(ApiError::Unauthorized { detail: "the email or password is wrong".into() })
        }
        LoginOutcome::Throttled { retry_after_secs } => Err(ApiError::TooManyRequests {
            retry_after_secs,
            policy: Some(RateLimitPolicy {
                name: "login-failures",
                limit: state.settings.auth.login_max_failures,
                window_secs: state.settings.auth.login_failure_window.as_secs(),
            }),
        }),
    }
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
    let auth = state.settings.auth.clone();
    let outcome = db::write(&state.pool, move |conn| service::refresh(conn, &auth, &token)).await?;
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
    db::write(&state.pool, move |conn| service::logout(conn, &token)).await?;
    Ok(HttpResponse::NoContent().finish())
}
