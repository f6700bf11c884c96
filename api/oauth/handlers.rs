//! HTTP for OAuth: the token endpoint's protocol (client authentication, the form) and the
//! JWK set; what is issued is decided in [`super::service`].

use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::keys::JwkSet,
    db,
    error::ApiResult,
    oauth::{
        basic_credentials, parse_form, service, ClientTokenResponse, OAuthError, OAuthErrorBody, TokenRequest,
    },
    state::AppState,
};

pub fn configure_v1(cfg: &mut ServiceConfig) {
    cfg.service(token);
}

pub fn configure_well_known(cfg: &mut ServiceConfig) {
    cfg.service(jwks);
}

/// Issue an access token to a machine client
///
/// Issue an access token to a machine client (OAuth 2.0 client-credentials grant). Send the
/// client id and secret with HTTP Basic authentication or in the form.
#[utoipa::path(
    tag = "auth",
    operation_id = "oauth_token",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "An access token", body = ClientTokenResponse),
        (status = 400, description = "RFC 6749 error: invalid_request, unsupported_grant_type or invalid_scope", body = OAuthErrorBody),
        (status = 401, description = "RFC 6749 error: invalid_client", body = OAuthErrorBody),
    )
)]
#[post("/oauth/token")]
async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    let form = parse_form(&req, &body)?;
    let (client_id, secret, basic) = match (basic_credentials(&req), &form.client_id, &form.client_secret) {
        (Some(Err(error)), _, _) => return Err(error),
        (Some(Ok(_)), Some(_), _) | (Some(Ok(_)), _, Some(_)) => {
            return Err(OAuthError::new("invalid_request", "use one client authentication method, not two"))
        }
        (Some(Ok((id, secret))), None, None) => (id, secret, true),
        (None, Some(id), Some(secret)) => (id.clone(), secret.clone(), false),
        (None, _, _) => return Err(OAuthError::new("invalid_client", "client authentication is required")),
    };
    if client_id.contains('\0') || secret.contains('\0') {
        // No client id or secret holds NUL (and PostgreSQL text cannot): not a client.
        return Err(OAuthError::new("invalid_client", "unknown client or wrong secret"));
    }
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return Err(OAuthError::new("unsupported_grant_type", "only client_credentials is supported"))
        }
        None => return Err(OAuthError::new("invalid_request", "grant_type is required")),
    }
    let auth = state.settings.auth.clone();
    let requested = form.scope.clone();
    let issued = db::run(&state.pool, move |conn| {
        service::client_token(conn, &auth, &client_id, &secret, requested.as_deref())
    })
    .await
    .map_err(OAuthError::from)?
    .map_err(|refusal| OAuthError { basic, ..refusal })?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(issued))
}

/// Public keys of access tokens and credentials (JWK set)
///
/// The public keys that verify our access tokens (RFC 7517 JWK set). Keys retired by a
/// rotation stay listed until the tokens they signed have expired.
#[utoipa::path(
    tag = "auth",
    operation_id = "jwks",
    security(()),
    responses((status = 200, description = "JWK set", body = JwkSet))
)]
#[get("/.well-known/jwks.json")]
async fn jwks(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let lifetime = chrono::Duration::seconds(state.settings.auth.access_token_ttl.as_secs() as i64 + 60);
    let set = db::run(&state.pool, move |conn| service::published_keys(conn, lifetime)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=300")).json(set))
}
