//! OAuth 2.0 for machine clients: the client-credentials grant (RFC 6749 §4.4) at
//! `POST /v1/oauth/token`, and our public signing keys at `GET /.well-known/jwks.json`.
//!
//! Errors of the token endpoint follow RFC 6749 §5.2 (`{"error": ..., "error_description":
//! ...}`), which OAuth client libraries parse; the request id is added beside them.

use actix_web::{
    http::{header, StatusCode},
    HttpRequest, HttpResponse, ResponseError,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{error::ApiError, http::request_id};

mod handlers;
pub mod service;

pub use handlers::{configure_v1, configure_well_known};

/// The grants this server issues tokens for.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    ClientCredentials,
}

/// The form of a token request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(example = json!({"grant_type": "client_credentials", "scope": "credits:read enrollments:read"}))]
pub struct TokenRequest {
    /// Must be `client_credentials`. (Read as text, so that a missing or other grant is
    /// answered as RFC 6749 says: `invalid_request`, `unsupported_grant_type`.)
    #[schema(value_type = GrantType, required = true)]
    pub grant_type: Option<String>,
    /// Space-separated scopes; narrowed to those the client is allowed. Default: all of them.
    #[schema(example = "enrollments:read credits:read")]
    pub scope: Option<String>,
    /// With `client_secret`, instead of HTTP Basic authentication.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6ImtQcksiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJjMSJ9.c2ln",
    "token_type": "Bearer", "expires_in": 900, "scope": "credits:read enrollments:read"
}))]
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
    pub(crate) basic: bool,
}

impl OAuthError {
    pub(crate) fn new(code: &'static str, description: impl Into<String>) -> Self {
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
pub(crate) fn basic_credentials(req: &HttpRequest) -> Option<Result<(String, String), OAuthError>> {
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

pub(crate) fn parse_form(req: &HttpRequest, body: &[u8]) -> Result<TokenRequest, OAuthError> {
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
