//! Access tokens: EdDSA-signed JWTs with `iss`, `aud`, `sub`, `exp`, `iat`, `jti`, a `kid`
//! header, and the caller's role (people) or scopes (machine clients). Verification pins the
//! algorithm, issuer and audience, so `alg: none`, HMAC tokens made with our public key and
//! tokens meant for another service are all refused.

use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{
    auth::keys::ActiveKey,
    config::AuthSettings,
    error::{ApiError, ApiResult},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    Client,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub kind: PrincipalKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Space-separated OAuth scopes (clients only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The login session (people only): its refresh-token family. Logging out, or a revoked
    /// family, ends every access token of the session at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl Claims {
    /// Claims issued at `now` (Unix seconds, from the service's clock: `db::now_utc`).
    pub fn new(settings: &AuthSettings, sub: &str, kind: PrincipalKind, now: i64) -> Claims {
        Claims {
            iss: settings.issuer.clone(),
            aud: settings.audience.clone(),
            sub: sub.to_string(),
            exp: now + settings.access_token_ttl.as_secs() as i64,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
            kind,
            role: None,
            scope: None,
            sid: None,
        }
    }
}

pub fn sign(key: &ActiveKey, claims: &Claims) -> ApiResult<String> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).map_err(ApiError::internal)
}

fn invalid_token(detail: &'static str) -> ApiError {
    ApiError::Unauthorized { detail: detail.into() }
}

/// The `kid` of a token's header, checked to be EdDSA before any key is looked up.
pub fn key_id(token: &str) -> ApiResult<String> {
    let header =
        jsonwebtoken::decode_header(token).map_err(|_| invalid_token("the bearer token is malformed"))?;
    if header.alg != Algorithm::EdDSA {
        return Err(invalid_token("the bearer token is not signed with EdDSA"));
    }
    header.kid.ok_or_else(|| invalid_token("the bearer token has no key id"))
}

/// How long after `exp` a token is still accepted (clock skew between replicas).
pub const LEEWAY_SECS: u64 = 30;

/// Whether claims with this `exp` are still accepted at `now` (Unix seconds).
pub fn unexpired(exp: i64, now: u64) -> bool {
    exp.saturating_add(LEEWAY_SECS as i64) >= i64::try_from(now).unwrap_or(i64::MAX)
}

/// The claims of a token signed by `key`, for this service, unexpired at `now` (Unix seconds,
/// from the service's clock, so that tests move a token's life as they move every other
/// window: the library's own expiry check reads the system clock, so it is off and the check
/// is [`unexpired`]).
pub fn verify(token: &str, key: &DecodingKey, settings: &AuthSettings, now: u64) -> ApiResult<Claims> {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[settings.issuer.as_str()]);
    validation.set_audience(&[settings.audience.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_exp = false;
    let claims =
        jsonwebtoken::decode::<Claims>(token, key, &validation).map(|data| data.claims).map_err(|error| {
            use jsonwebtoken::errors::ErrorKind as K;
            match error.kind() {
                K::InvalidAudience => invalid_token("the bearer token is meant for another audience"),
                K::InvalidIssuer => invalid_token("the bearer token comes from an unknown issuer"),
                K::InvalidSignature => invalid_token("the bearer token's signature is invalid"),
                _ => invalid_token("the bearer token is invalid"),
            }
        })?;
    if !unexpired(claims.exp, now) {
        return Err(invalid_token("the bearer token has expired"));
    }
    Ok(claims)
}
