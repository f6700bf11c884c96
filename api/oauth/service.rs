//! OAuth use cases: a client-credentials token, and the published verification keys.

use crate::{
    auth::{
        jwt::{self, Claims, PrincipalKind},
        keys::{self, JwkSet},
        Scope,
    },
    config::AuthSettings,
    db::DbConnection,
    error::ApiResult,
    integration_clients,
    oauth::{ClientTokenResponse, OAuthError},
};

/// Narrows the requested scopes to the allowed ones; nothing requested means all allowed.
pub fn granted_scopes(requested: Option<&str>, allowed: &[Scope]) -> Result<Vec<Scope>, OAuthError> {
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

/// A token for an active client whose secret matches, with the scopes it asked for and may
/// have; the RFC 6749 refusal otherwise.
pub fn client_token(
    conn: &mut DbConnection,
    auth: &AuthSettings,
    client_id: &str,
    secret: &str,
    requested: Option<&str>,
) -> ApiResult<Result<ClientTokenResponse, OAuthError>> {
    let Some(client) = integration_clients::service::authenticate(conn, client_id, secret)? else {
        return Ok(Err(OAuthError::new("invalid_client", "unknown client or wrong secret")));
    };
    let scopes = match granted_scopes(requested, &Scope::parse_list(&client.scopes)) {
        Ok(scopes) => scopes,
        Err(error) => return Ok(Err(error)),
    };
    let mut claims = Claims::new(auth, &client.id, PrincipalKind::Client, crate::db::now_utc().timestamp());
    claims.scope = Some(Scope::join(&scopes));
    let access_token = jwt::sign(
        &keys::active_key(conn, keys::KeyPurpose::Access, auth.key_encryption_key.as_ref())?,
        &claims,
    )?;
    Ok(Ok(ClientTokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: auth.access_token_ttl.as_secs(),
        scope: Scope::join(&scopes),
    }))
}

/// The keys whose tokens may still be unexpired.
pub fn published_keys(conn: &mut DbConnection, token_lifetime: chrono::Duration) -> ApiResult<JwkSet> {
    keys::published_keys(conn, token_lifetime)
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
