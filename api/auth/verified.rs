//! Tokens this process has verified, with their claims, so that a caller's next requests skip
//! the signature check (an Ed25519 verification: about a tenth of a request's CPU).
//!
//! A cache of what the token itself proves, never a decision: the caller's account and login
//! session are still read from the database on every request, so disabling an account or
//! ending a session takes effect at once. An entry is found only by the whole token string (a
//! token with one byte changed is verified afresh), is dropped once the token has expired (the
//! leeway [`jwt::verify`] allows included) and the cache holds at most [`MAX_TOKENS`] of them.
//! A second replica does not need it: it verifies the token itself.

use std::{collections::HashMap, sync::Mutex};

use crate::auth::jwt::{self, Claims};

/// About 5 MB of tokens and claims at most.
pub const MAX_TOKENS: usize = 10_000;

#[derive(Default)]
pub struct VerifiedTokens {
    claims: Mutex<HashMap<String, Claims>>,
}

/// Whether `claims` still pass `jwt::verify`'s expiry check at `now` (Unix seconds).
fn unexpired(claims: &Claims, now: u64) -> bool {
    jwt::unexpired(claims.exp, now)
}

impl VerifiedTokens {
    /// The claims of `token` if this process verified it and it has not expired by `now`.
    pub fn claims(&self, token: &str, now: u64) -> Option<Claims> {
        let mut verified = self.claims.lock().ok()?;
        match verified.get(token) {
            Some(claims) if unexpired(claims, now) => Some(claims.clone()),
            Some(_) => {
                verified.remove(token);
                None
            }
            None => None,
        }
    }

    /// Remembers `claims`, which `jwt::verify` just returned for `token`. When full, expired
    /// tokens go first, and everything if that is not enough (the next requests verify again).
    pub fn remember(&self, token: &str, claims: &Claims, now: u64) {
        let Ok(mut verified) = self.claims.lock() else { return };
        if verified.len() >= MAX_TOKENS {
            verified.retain(|_, claims| unexpired(claims, now));
            if verified.len() >= MAX_TOKENS {
                verified.clear();
            }
        }
        verified.insert(token.to_string(), claims.clone());
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.claims.lock().map(|verified| verified.len()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::PrincipalKind;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: "ce-api".into(),
            aud: "ce-api".into(),
            sub: "user-1".into(),
            exp,
            iat: exp - 900,
            jti: "jti".into(),
            kind: PrincipalKind::User,
            role: None,
            scope: None,
            sid: None,
        }
    }

    #[test]
    fn only_the_same_token_finds_its_claims() {
        let verified = VerifiedTokens::default();
        verified.remember("head.payload.signature", &claims(2_000), 1_000);
        assert_eq!(verified.claims("head.payload.signature", 1_000).map(|c| c.sub), Some("user-1".into()));
        assert!(verified.claims("head.payload.signaturf", 1_000).is_none());
        assert!(verified.claims("head.payload.signatur", 1_000).is_none());
    }

    #[test]
    fn expired_tokens_are_not_found_and_are_dropped() {
        let verified = VerifiedTokens::default();
        verified.remember("token", &claims(2_000), 1_000);
        let leeway = jwt::LEEWAY_SECS;
        assert!(verified.claims("token", 2_000 + leeway).is_some(), "within the leeway verify allows");
        assert!(verified.claims("token", 2_001 + leeway).is_none());
        assert_eq!(verified.len(), 0);
    }

    #[test]
    fn a_full_cache_drops_expired_tokens_first_and_never_grows_past_its_bound() {
        let verified = VerifiedTokens::default();
        for n in 0..MAX_TOKENS {
            let exp = if n % 2 == 0 { 1_000 } else { 5_000 };
            verified.remember(&format!("token-{n}"), &claims(exp), 500);
        }
        verified.remember("one more", &claims(5_000), 2_000);
        assert_eq!(verified.len(), MAX_TOKENS / 2 + 1, "the expired half went");
        assert!(verified.claims("token-1", 2_000).is_some());
        for n in 0..MAX_TOKENS {
            verified.remember(&format!("fresh-{n}"), &claims(5_000), 2_000);
        }
        assert!(verified.len() <= MAX_TOKENS);
    }
}
