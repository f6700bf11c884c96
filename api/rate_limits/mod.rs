//! Request quotas for the endpoints an attacker would hammer (login, sign-up, tokens, password
//! reset, check-in), per client address, kept in the database so that they hold across
//! replicas. The quotas bound the work one address can cause (each login runs argon2); they
//! are not the account protection: failed logins are also counted per account and address
//! (see `auth_sessions::service`), and password-reset mails per account.

pub mod rules;
mod store;

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header::HeaderValue, Method},
    middleware::Next,
    web, Error,
};

use crate::{
    db::{self, DbConnection, DbError},
    error::{ApiError, RateLimitPolicy},
    state::AppState,
};
pub use rules::{Decision, Quota};

/// A family of endpoints sharing one quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Password checks: login and password change.
    Login,
    /// Sign-up and email verification.
    Register,
    /// The OAuth token endpoint.
    Token,
    Refresh,
    /// Password-reset requests and confirmations.
    PasswordReset,
    /// Check-in and check-out with a code.
    CheckIn,
}

impl Bucket {
    /// The policy's name in the `RateLimit` fields and the counters.
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Login => "login",
            Bucket::Register => "register",
            Bucket::Token => "token",
            Bucket::Refresh => "refresh",
            Bucket::PasswordReset => "password-reset",
            Bucket::CheckIn => "check-in",
        }
    }

    /// The bucket of a route (its pattern, as routing matched it), if it has one.
    pub fn of_route(method: &Method, pattern: &str) -> Option<Bucket> {
        if method != Method::POST {
            return None;
        }
        match pattern {
            "/v1/auth/login" | "/v1/me/password" => Some(Bucket::Login),
            "/v1/auth/register" | "/v1/auth/verify-email" => Some(Bucket::Register),
            "/v1/oauth/token" => Some(Bucket::Token),
            "/v1/auth/refresh" => Some(Bucket::Refresh),
            "/v1/auth/password-reset" | "/v1/auth/password-reset/confirm" => Some(Bucket::PasswordReset),
            "/v1/sessions/{session_id}/check-in" | "/v1/sessions/{session_id}/check-out" => {
                Some(Bucket::CheckIn)
            }
            _ => None,
        }
    }
}

/// The quota of each bucket per client address (`None`: unlimited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSettings {
    pub login: Option<Quota>,
    pub register: Option<Quota>,
    pub token: Option<Quota>,
    pub refresh: Option<Quota>,
    pub password_reset: Option<Quota>,
    pub check_in: Option<Quota>,
    /// Password-reset mails per account, whatever the address (more requests are answered
    /// the same, and send nothing).
    pub reset_mails_per_account: Option<Quota>,
}

impl Default for RateLimitSettings {
    /// Generous enough for a hospital behind one NAT address (a room checking in to grand
    /// rounds at once), tight enough that one address cannot keep the cores hashing passwords.
    fn default() -> Self {
        RateLimitSettings {
            login: Some(Quota::per(60, 60)),
            register: Some(Quota::per(30, 3600)),
            token: Some(Quota::per(60, 60)),
            refresh: Some(Quota::per(120, 60)),
            password_reset: Some(Quota::per(20, 3600)),
            check_in: Some(Quota::per(300, 60)),
            reset_mails_per_account: Some(Quota::per(3, 3600)),
        }
    }
}

impl RateLimitSettings {
    /// No limits at all (for load tests and the contract fuzzer).
    pub fn off() -> Self {
        RateLimitSettings {
            login: None,
            register: None,
            token: None,
            refresh: None,
            password_reset: None,
            check_in: None,
            reset_mails_per_account: None,
        }
    }

    pub fn quota(&self, bucket: Bucket) -> Option<Quota> {
        match bucket {
            Bucket::Login => self.login,
            Bucket::Register => self.register,
            Bucket::Token => self.token,
            Bucket::Refresh => self.refresh,
            Bucket::PasswordReset => self.password_reset,
            Bucket::CheckIn => self.check_in,
        }
    }
}

/// Counts one request of `client_key` against `quota` under `name`, and says whether it may
/// go on. Stale counters are swept when a client starts a new window.
///
/// A client already past its quota is refused after a read, without a write: a flood of
/// refused requests then costs the database little (SQLite has one writer).
pub fn consume(
    conn: &mut DbConnection,
    name: &str,
    client_key: &str,
    quota: Quota,
) -> Result<Decision, DbError> {
    let now = db::now();
    let started = rules::window_start(now, quota.window);
    if let Some((window, hits)) = store::current(conn, name, client_key)? {
        if window == started && i64::from(hits) >= i64::from(quota.limit) {
            return Ok(rules::decide(quota, i64::from(hits) + 1, started, now));
        }
    }
    let hits = store::hit(conn, name, client_key, started)?;
    if hits == 1 {
        store::prune(conn, now - chrono::Duration::seconds(rules::MAX_WINDOW_SECS as i64))?;
    }
    Ok(rules::decide(quota, i64::from(hits), started, now))
}

fn too_many(bucket: Bucket, quota: Quota, decision: Decision) -> ApiError {
    ApiError::TooManyRequests {
        retry_after_secs: decision.reset_secs,
        policy: Some(RateLimitPolicy {
            name: bucket.name(),
            limit: quota.limit,
            window_secs: quota.window_secs(),
        }),
    }
}

/// Middleware: a request to a limited route is counted for its client address before the
/// handler runs; past the quota it is answered 429 (with `Retry-After` and the `RateLimit`
/// fields) and never reaches the handler. Allowed answers carry the fields too, so that
/// well-behaved clients can pace themselves.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // Only POSTs are limited: other requests skip resolving their route pattern.
    let bucket = (req.method() == Method::POST)
        .then(|| req.match_pattern())
        .flatten()
        .and_then(|pattern| Bucket::of_route(req.method(), &pattern));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let limited = bucket.zip(state).and_then(|(bucket, state)| {
        state.settings.rate_limits.quota(bucket).map(|quota| (bucket, quota, state))
    });
    let Some((bucket, quota, state)) = limited else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let client_key = crate::http::client_key(req.request(), &state.settings.trusted_proxies);
    let counted = db::run(&state.pool, move |conn| consume(conn, bucket.name(), &client_key, quota)).await;
    let decision = match counted {
        Ok(decision) => decision,
        Err(error) => return Ok(req.error_response(ApiError::from(error))),
    };
    if !decision.allowed {
        return Ok(req.error_response(too_many(bucket, quota, decision)));
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    // A handler's own throttle (failed logins, wrong codes) already named its policy.
    if !headers.contains_key("ratelimit-policy") {
        let fields = [
            ("ratelimit-policy", rules::policy_field(bucket.name(), quota.limit, quota.window_secs())),
            ("ratelimit", rules::state_field(bucket.name(), decision.remaining, decision.reset_secs)),
        ];
        for (name, value) in fields {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(actix_web::http::header::HeaderName::from_static(name), value);
            }
        }
    }
    Ok(response)
}
