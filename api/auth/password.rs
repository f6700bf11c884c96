//! Password hashing with argon2id. Callers run these on the blocking pool (`web::block`):
//! a hash takes tens of milliseconds of CPU on purpose.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    OnceLock,
};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use crate::error::{ApiError, ApiResult};

pub const MIN_LENGTH: u64 = 12;
pub const MAX_LENGTH: u64 = 128;

pub fn hash(password: &str) -> ApiResult<String> {
    let started = std::time::Instant::now();
    let salt = SaltString::generate(&mut OsRng);
    let hashed = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal);
    LAST_HASH_MICROS.store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    hashed
}

/// How long the last hash took in this process (50 ms before the first): answers that must
/// not reveal whether a hash was made wait this long instead, without using a core.
pub fn typical_hash_time() -> std::time::Duration {
    match LAST_HASH_MICROS.load(Ordering::Relaxed) {
        0 => std::time::Duration::from_millis(50),
        micros => std::time::Duration::from_micros(micros),
    }
}

static LAST_HASH_MICROS: AtomicU64 = AtomicU64::new(0);

/// Verifies `password` against `stored`. With no stored hash (unknown account or no password)
/// it still verifies against a fixed hash, so that both cases take about the same time and an
/// attacker cannot tell which emails have accounts.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("not the password of anyone").ok());
    let (candidate, real) = match stored {
        Some(stored) => (stored, true),
        None => match dummy {
            Some(dummy) => (dummy.as_str(), false),
            None => return false,
        },
    };
    let Ok(parsed) = PasswordHash::new(candidate) else { return false };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&stored)));
        assert!(!verify("wrong horse battery", Some(&stored)));
        assert!(!verify("correct horse battery", None));
    }
}
