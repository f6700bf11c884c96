//! The [`Caller`] extractor: verifies the bearer token and yields who is calling, a person
//! with a role or a machine client with scopes. It also checks, on every request, that the
//! account or client is still active, so disabling one takes effect at once.

use std::{future::Future, pin::Pin};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};

use crate::{
    auth::{
        jwt::{self, PrincipalKind},
        store, Role, Scope,
    },
    db::DbConnection,
    error::{ApiError, ApiResult},
    state::AppState,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    User { id: String, role: Role },
    Client { id: String, scopes: Vec<Scope> },
}

/// A principal as records name them (`enrolled_by`, audit lines) and as the owner of
/// idempotency keys: `user:<id>` or `client:<id>`.
fn actor_of(kind: PrincipalKind, id: &str) -> String {
    match kind {
        PrincipalKind::User => format!("user:{id}"),
        PrincipalKind::Client => format!("client:{id}"),
    }
}

impl Caller {
    /// The caller as records name them (see [`actor_of`]).
    pub fn actor(&self) -> String {
        match self {
            Caller::User { id, .. } => actor_of(PrincipalKind::User, id),
            Caller::Client { id, .. } => actor_of(PrincipalKind::Client, id),
        }
    }

    /// The id of the person calling, if a person is.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Caller::User { id, .. } => Some(id),
            Caller::Client { .. } => None,
        }
    }
}

/// A caller when a bearer token is sent, `None` when none is. A token that is sent but
/// invalid is still a 401: a broken client should hear about it, not be served anonymously.
#[derive(Debug, Clone)]
pub struct OptionalCaller(pub Option<Caller>);

fn bearer_token(req: &HttpRequest) -> Option<Result<String, ApiError>> {
    let value = req.headers().get(header::AUTHORIZATION)?;
    let parsed = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| token.trim().to_string())
        .ok_or_else(|| ApiError::Unauthorized { detail: "use `Authorization: Bearer <token>`".into() });
    Some(parsed)
}

/// A bearer token as this process knows it.
enum Presented {
    /// Verified earlier by this process (see `auth::verified`): its claims.
    Verified(jwt::Claims),
    /// Not yet verified: signed, it says, by the key `kid`.
    Signed { kid: String },
}

/// The bearer token, which this endpoint needs (401 without it).
fn required_token(req: &HttpRequest) -> ApiResult<String> {
    bearer_token(req).unwrap_or_else(|| {
        Err(ApiError::Unauthorized { detail: "this endpoint needs a bearer token".into() })
    })
}

fn app_state(req: &HttpRequest) -> ApiResult<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))
}

/// The time `jwt::verify` checks expiry against: the service's clock (the pool's, which tests
/// move), in Unix seconds.
fn token_clock(state: &AppState) -> u64 {
    u64::try_from(state.pool.clock().now().timestamp()).unwrap_or_default()
}

fn remember_session(req: &HttpRequest, session: Option<String>) {
    if let Some(session) = session {
        req.extensions_mut().insert(LoginSession(session));
    }
}

async fn authenticate(req: &HttpRequest, token: String) -> ApiResult<Caller> {
    let state = app_state(req)?;
    let now = token_clock(&state);
    let presented = match state.tokens.claims(&token, now) {
        Some(claims) => Presented::Verified(claims),
        None => Presented::Signed { kid: jwt::key_id(&token)? },
    };
    let (caller, session) = crate::db::run(&state.pool.clone(), move |conn| {
        let claims = match presented {
            Presented::Verified(claims) => claims,
            Presented::Signed { kid } => {
                let key = state.keys.get(conn, &kid)?.ok_or_else(|| ApiError::Unauthorized {
                    detail: "the bearer token's key id is unknown".into(),
                })?;
                let claims = jwt::verify(&token, &key, &state.settings.auth, now)?;
                state.tokens.remember(&token, &claims, now);
                claims
            }
        };
        let session = claims.sid.clone();
        active_principal(conn, claims).map(|caller| (caller, session))
    })
    .await?;
    remember_session(req, session);
    Ok(caller)
}

/// The login session (`sid`) of the verified token of this request, for the handlers that
/// act on "the other sessions" (a password change ends them).
#[derive(Debug, Clone)]
pub struct LoginSession(pub String);

impl LoginSession {
    /// The session of the request's caller, once [`Caller`] was extracted.
    pub fn of(req: &HttpRequest) -> Option<String> {
        req.extensions().get::<LoginSession>().map(|s| s.0.clone())
    }
}

/// The person behind a token from their account's standing as read (role, active, and whether
/// the token's login session still stands; `None`: no such account): refused (401) unless the
/// account is active and the session stands.
fn standing_user(id: String, found: Option<(String, bool, bool)>) -> ApiResult<Caller> {
    match found {
        Some((_, _, false)) => {
            Err(ApiError::Unauthorized { detail: "the login session of this token has ended".into() })
        }
        // The role is read from the database, not the token, so a demotion is effective
        // immediately.
        Some((role, true, true)) => Ok(Caller::User {
            id,
            role: Role::parse(&role).ok_or_else(|| ApiError::internal("unknown role in database"))?,
        }),
        _ => Err(ApiError::Unauthorized { detail: "the account behind this token is disabled".into() }),
    }
}

/// Turns verified claims into a caller, refusing disabled or deleted principals.
fn active_principal(conn: &mut DbConnection, claims: jwt::Claims) -> ApiResult<Caller> {
    let inactive = || ApiError::Unauthorized { detail: "the account behind this token is disabled".into() };
    match claims.kind {
        PrincipalKind::User => {
            // One query: the account's standing and, for a login's token, its session's.
            let found = match &claims.sid {
                Some(sid) => store::user_standing_in_session(conn, &claims.sub, sid)?,
                None => store::user_standing(conn, &claims.sub)?.map(|(role, active)| (role, active, true)),
            };
            standing_user(claims.sub, found)
        }
        PrincipalKind::Client => {
            let found = store::client_standing(conn, &claims.sub)?;
            match found {
                Some((allowed, true)) => {
                    // Scopes granted at token time, narrowed by any since withdrawn.
                    let allowed = Scope::parse_list(&allowed);
                    let scopes = Scope::parse_list(claims.scope.as_deref().unwrap_or_default())
                        .into_iter()
                        .filter(|s| allowed.contains(s))
                        .collect();
                    Ok(Caller::Client { id: claims.sub, scopes })
                }
                _ => Err(inactive()),
            }
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req, required_token(&req)?).await })
    }
}

/// The caller of a write, whose account may still have to be checked, by the write itself
/// ([`PendingCaller::confirm`], as the first statement of its transaction).
///
/// On PostgreSQL, a token this process has verified before (see `auth::verified`) needs no
/// key and no query to be extracted: its account and session are then checked on the
/// write's own connection, in its transaction, instead of on a connection of their own just
/// before (a checkout and a thread hop fewer per write; the query is the same). Every other
/// token is checked as [`Caller`] is. On SQLite, where one writer thread serializes every
/// write, the check stays on a reader connection, off that thread's time.
#[derive(Debug, Clone)]
pub struct PendingCaller(Pending);

#[derive(Debug, Clone)]
enum Pending {
    Checked(Caller),
    Unchecked(jwt::Claims),
}

impl PendingCaller {
    /// The caller as records name them (see [`Caller::actor`]); known before the check.
    pub fn actor(&self) -> String {
        match &self.0 {
            Pending::Checked(caller) => caller.actor(),
            Pending::Unchecked(claims) => actor_of(claims.kind, &claims.sub),
        }
    }

    /// The caller, refused (401) if its account was disabled or deleted or its login session
    /// ended, with the role it has now: checked on `conn` unless it was at extraction.
    pub fn confirm(&self, conn: &mut DbConnection) -> ApiResult<Caller> {
        match &self.0 {
            Pending::Checked(caller) => Ok(caller.clone()),
            Pending::Unchecked(claims) => active_principal(conn, claims.clone()),
        }
    }
    /// A person whose account is still to be checked: their id and login session, so that a
    /// write may read their standing in a statement it sends anyway (see
    /// [`PendingCaller::confirm_with`]). `None` for a caller already checked, and for clients.
    pub fn unchecked_person(&self) -> Option<(&str, Option<&str>)> {
        match &self.0 {
            Pending::Unchecked(claims) if claims.kind == PrincipalKind::User => {
                Some((claims.sub.as_str(), claims.sid.as_deref()))
            }
            _ => None,
        }
    }

    /// [`PendingCaller::confirm`] from a standing the write read itself for
    /// [`PendingCaller::unchecked_person`]: the account's role and whether it is active (`None`:
    /// no such account), and whether the token's login session stands (true for a token of
    /// none). The same answers as `confirm`.
    pub fn confirm_with(&self, standing: Option<(String, bool, bool)>) -> ApiResult<Caller> {
        match &self.0 {
            Pending::Checked(caller) => Ok(caller.clone()),
            Pending::Unchecked(claims) if claims.kind == PrincipalKind::User => {
                standing_user(claims.sub.clone(), standing)
            }
            Pending::Unchecked(_) => Err(ApiError::internal("a client's standing is not a person's")),
        }
    }
}

/// A person or client whose token was verified and whose standing is still to be checked (see
/// `super::fixtures`).
pub(super) fn unchecked(claims: jwt::Claims) -> PendingCaller {
    PendingCaller(Pending::Unchecked(claims))
}

impl From<&Caller> for PendingCaller {
    fn from(caller: &Caller) -> PendingCaller {
        PendingCaller(Pending::Checked(caller.clone()))
    }
}

impl FromRequest for PendingCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = required_token(&req)?;
            let state = app_state(&req)?;
            if !state.pool.has_single_writer() {
                if let Some(claims) = state.tokens.claims(&token, token_clock(&state)) {
                    remember_session(&req, claims.sid.clone());
                    return Ok(PendingCaller(Pending::Unchecked(claims)));
                }
            }
            authenticate(&req, token).await.map(|caller| PendingCaller(Pending::Checked(caller)))
        })
    }
}

impl FromRequest for OptionalCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match bearer_token(&req) {
                Some(token) => Ok(OptionalCaller(Some(authenticate(&req, token?).await?))),
                None => Ok(OptionalCaller(None)),
            }
        })
    }
}
