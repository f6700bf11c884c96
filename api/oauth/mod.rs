//! OAuth 2.0 for machine clients: the client-credentials grant (RFC 6749 §4.4) at
//! `POST /v1/oauth/token`, and our public signing keys at `GET /.well-known/jwks.json`.
//!
//! Errors of the token endpoint follow RFC 6749 §5.2 (`{"error": ..., "error_description":
//! ...}`), which OAuth client libraries parse; the request id is added beside them.

use actix_web::{
    get,
    http::{header, StatusCode},
    post, web, HttpRequest, HttpResponse, ResponseError,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::{
        jwt::{self, Claims, PrincipalKind},
        keys::{self, JwkSet},
        Scope,
    },
    db,
    error::{ApiError, ApiResult},
    http::request_id,
    integration_clients::store as clients,
    state::AppState,
};

pub fn configure_v1(cfg: &mut ServiceConfig) {
    cfg.service(token);
}

pub fn configure_well_known(cfg: &mut ServiceConfig) {
    cfg.service(jwks);
}

/// The form of a token request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    #[schema(example = "client_credentials")]
    pub grant_type: Option<String>,
    /// Space-separated scopes; narrowed to those the client is allowed. Default: all of them.
    #[schema(example = "enrollments:read credits:read")]
    pub scope: Option<String>,
    /// With `client_secret`, instead of HTTP Basic authentication.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClientTokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    #[schema(example = 900)]
    pub expires_in: u64,
    /// The scopes granted, space-separated.
    #[schema(example = "credits:read enrollments:read")]
    pub scope: String,
}

/// An RFC 6749 §5.2 error.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type` or `invalid_scope`.
    #[schema(example = "invalid_client")]
    pub error: String,
    pub error_description: String,
    pub request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    code: &'static str,
    description: String,
    /// Whether the client authenticated with HTTP Basic (then a 401 challenges Basic).
    basic: bool,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        OAuthError { code, description: description.into(), basic: false }
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self.code {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if self.code == "invalid_client" {
            let scheme = if self.basic { "Basic realm=\"ce-api\"" } else { "Bearer realm=\"ce-api\"" };
            response.insert_header((header::WWW_AUTHENTICATE, scheme));
        }
        if self.code == "temporarily_unavailable" {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        response.json(OAuthErrorBody {
            error: self.code.into(),
            error_description: self.description.clone(),
            request_id: request_id::current().map(|c| c.id),
        })
    }
}

impl From<ApiError> for OAuthError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Unavailable(_) => {
                OAuthError::new("temporarily_unavailable", "the database is unavailable")
            }
            other => {
                tracing::error!(error = %other, "token endpoint failed");
                OAuthError::new("server_error", "an unexpected error occurred")
            }
        }
    }
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1: form-encoded id and secret).
fn basic_credentials(req: &HttpRequest) -> Option<Result<(String, String), OAuthError>> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let invalid =
        || OAuthError { basic: true, ..OAuthError::new("invalid_client", "malformed Basic credentials") };
    let decoded = STANDARD.decode(encoded.trim()).ok().and_then(|bytes| String::from_utf8(bytes).ok());
    let parsed = decoded.and_then(|text| {
        let (id, secret) = text.split_once(':')?;
        let id = form_decode(id)?;
        let secret = form_decode(secret)?;
        Some((id, secret))
    });
    Some(parsed.ok_or_else(invalid))
}

fn form_decode(value: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={value}")).ok()?.pop().map(|(_, v)| v)
}

fn parse_form(req: &HttpRequest, body: &[u8]) -> Result<TokenRequest, OAuthError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::new(
            "invalid_request",
            "send the request as application/x-www-form-urlencoded",
        ));
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map_err(|_| OAuthError::new("invalid_request", "the form body is malformed"))?
        .into_iter()
        .try_fold(TokenRequest::default(), |mut form, (key, value)| {
            let slot = match key.as_str() {
                "grant_type" => &mut form.grant_type,
                "scope" => &mut form.scope,
                "client_id" => &mut form.client_id,
                "client_secret" => &mut form.client_secret,
                _ => return Ok(form),
            };
            // RFC 6749 §3.2: parameters must not be repeated.
            if slot.replace(value).is_some() {
                return Err(OAuthError::new("invalid_request", format!("`{key}` is repeated")));
            }
            Ok(form)
        })
}

/// Narrows the requested scopes to the allowed ones; nothing requested means all allowed.
fn granted_scopes(requested: Option<&str>, allowed: &[Scope]) -> Result<Vec<Scope>, OAuthError> {
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else { return Ok(allowed.to_vec()) };
    let granted: Vec<Scope> =
        Scope::parse_list(requested).into_iter().filter(|s| allowed.contains(s)).collect();
    if granted.is_empty() {
        return Err(OAuthError::new(
            "invalid_scope",
            "none of the requested scopes is allowed for this client",
        ));
    }
    Ok(granted)
}

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
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return Err(OAuthError::new("unsupported_grant_type", "only client_credentials is supported"))
        }
        None => return Err(OAuthError::new("invalid_request", "grant_type is required")),
    }
    let auth = state.settings.auth.clone();
    let requested = form.scope.clone();
    let issued = db::run(&state.pool, move |conn| -> ApiResult<_> {
        let client = clients::find(conn, &client_id)?;
        let Some(client) = client.filter(|c| c.active && c.secret_matches(&secret)) else {
            return Ok(Err(OAuthError {
                basic,
                ..OAuthError::new("invalid_client", "unknown client or wrong secret")
            }));
        };
        let scopes = match granted_scopes(requested.as_deref(), &Scope::parse_list(&client.scopes)) {
            Ok(scopes) => scopes,
            Err(error) => return Ok(Err(error)),
        };
        let mut claims = Claims::new(&auth, &client.id, PrincipalKind::Client);
        claims.scope = Some(Scope::join(&scopes));
        let access_token = jwt::sign(&keys::active_key(conn)?, &claims)?;
        Ok(Ok(ClientTokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: auth.access_token_ttl.as_secs(),
            scope: Scope::join(&scopes),
        }))
    })
    .await
    .map_err(OAuthError::from)??;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(issued))
}

/// The public keys that verify our access tokens (RFC 7517 JWK set). Keys retired by a
/// rotation stay listed until the tokens they signed have expired.
#[utoipa::path(
    tag = "auth",
    operation_id = "jwks",
    responses((status = 200, description = "JWK set", body = JwkSet))
)]
#[get("/.well-known/jwks.json")]
async fn jwks(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let lifetime = chrono::Duration::seconds(state.settings.auth.access_token_ttl.as_secs() as i64 + 60);
    let set = db::run(&state.pool, move |conn| keys::published_keys(conn, lifetime)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=300")).json(set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_narrowed_to_the_allowed_ones() {
        let allowed = [Scope::CreditsRead, Scope::EnrollmentsRead];
        assert_eq!(granted_scopes(None, &allowed).unwrap(), allowed.to_vec());
        assert_eq!(
            granted_scopes(Some("credits:read enrollments:write"), &allowed).unwrap(),
            vec![Scope::CreditsRead]
        );
        assert!(granted_scopes(Some("enrollments:write"), &allowed).is_err());
    }
}
