//! HTTP for login sessions: extract, call one use case of [`super::service`], map the result.

use actix_web::{http::header, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth_sessions::{
        dto::{LoginRequest, RefreshRequest, TokenResponse},
        service::{self, LoginOutcome, RefreshOutcome},
    },
    db,
    error::{ApiError, ApiResult, Problem, RateLimitPolicy},
    http::json::ApiJson,
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login).service(refresh).service(logout);
}

fn token_response(tokens: TokenResponse) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(tokens)
}

/// Log in with email and password
///
/// Log in with email and password. Unknown emails and wrong passwords get the same answer in
/// about the same time; after too many failures the account is throttled (429).
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    security(()),
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

/// Trade a refresh token for new tokens
///
/// Trade a refresh token for new tokens. Each refresh token works once; presenting a used one
/// again revokes every token of its login (the newer ones too).
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh",
    security(()),
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

/// Log out
///
/// Log out: revokes the refresh token and every token of the same login.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    security(()),
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
