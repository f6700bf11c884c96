//! `Idempotency-Key` for creating POSTs (Stripe's semantics): the same key with the same body
//! replays the first response, status and body alike; the same key with another body is a 422.
//! Keys live in the database (so every replica sees them) for at least 24 hours.
//!
//! A handler claims the key inside its own write transaction, before doing anything else. A
//! concurrent request with the same key then waits on the first one's row (PostgreSQL) or on
//! its write lock (SQLite); [`with_retry`] runs it again once the first has committed, and
//! it replays what the first stored.

use actix_web::{
    http::{header, StatusCode},
    HttpRequest, HttpResponse,
};

mod store;

use crate::{
    auth::{secrets, Caller, PendingCaller},
    db::{self, now, DbConnection, DbPool},
    error::{ApiError, ApiResult, ProblemType},
};

pub const HEADER: &str = "idempotency-key";

/// Keys are kept this long (twice the promised 24 hours) before they are purged.
const RETENTION_HOURS: i64 = 48;

/// The header's key, if sent: 1-255 visible ASCII characters (else 400).
pub fn key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(value) = req.headers().get(HEADER) else { return Ok(None) };
    match value.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_string()))
        }
        _ => Err(ApiError::BadRequest {
            detail: "Idempotency-Key must be 1-255 visible ASCII characters".into(),
        }),
    }
}

/// Who sent the request, the key, and a fingerprint of what was asked.
#[derive(Debug, Clone)]
pub struct Request {
    pub caller: String,
    pub key: String,
    pub method: String,
    pub path: String,
    pub fingerprint: String,
}

impl Request {
    pub fn new(caller: &str, key: String, req: &HttpRequest, body: &impl serde::Serialize) -> Request {
        let canonical = serde_json::to_string(body).unwrap_or_default();
        Request {
            caller: caller.to_string(),
            key,
            method: req.method().to_string(),
            path: req.path().to_string(),
            fingerprint: secrets::sha256_hex(&format!("{} {}\n{canonical}", req.method(), req.path())),
        }
    }
}

/// A created resource: it knows its own id (for `Location`).
pub trait Created: serde::Serialize {
    fn id(&self) -> &str;
}

/// A response to send, fresh or replayed: the created resource's JSON and its id.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub body: serde_json::Value,
    pub id: Option<String>,
    pub replayed: bool,
}

impl Stored {
    fn fresh(created: &impl Created) -> ApiResult<Stored> {
        Ok(Stored {
            status: 201,
            body: serde_json::to_value(created).map_err(ApiError::internal)?,
            id: Some(created.id().to_string()),
            replayed: false,
        })
    }

    /// A stored response: the JSON as recorded, its id read from it.
    fn replay(status: i16, body: &str) -> ApiResult<Stored> {
        let body: serde_json::Value = serde_json::from_str(body).map_err(ApiError::internal)?;
        let id = body.get("id").and_then(|id| id.as_str()).map(str::to_string);
        Ok(Stored { status: status as u16, body, id, replayed: true })
    }

    pub fn respond(&self) -> HttpResponse {
        let mut response = HttpResponse::build(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK));
        if self.replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        response.json(&self.body)
    }

    /// As [`Stored::respond`], with `Location: <collection>/<id>` for a created resource.
    pub fn respond_created(&self, collection: &str) -> HttpResponse {
        let mut response = self.respond();
        let location = self
            .id
            .as_ref()
            .filter(|_| self.status == 201)
            .and_then(|id| header::HeaderValue::from_str(&format!("{collection}/{id}")).ok());
        if let Some(location) = location {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    }
}

const RACE: ProblemType = ProblemType::IdempotencyRace;

/// Claims the key: `Some(stored)` to replay, `None` to go ahead (the key is then held by this
/// transaction until it commits with [`record`]).
pub fn claim(conn: &mut DbConnection, request: &Request) -> ApiResult<Option<Stored>> {
    store::forget_before(conn, now() - chrono::Duration::hours(RETENTION_HOURS))?;
    let existing = store::find(conn, &request.caller, &request.key)?;
    if let Some(row) = existing {
        if row.request_method != request.method
            || row.request_path != request.path
            || row.request_hash != request.fingerprint
        {
            return Err(ApiError::Rule {
                kind: ProblemType::IdempotencyKeyReused,
                title: "The Idempotency-Key was used for another request",
                detail: "use a new key for a different request".into(),
                errors: Vec::new(),
            });
        }
        return match (row.response_status, row.response_body) {
            (Some(status), Some(body)) => Stored::replay(status, &body).map(Some),
            _ => Err(ApiError::Conflict {
                kind: RACE,
                detail: "the first request with this key is still running".into(),
            }),
        };
    }
    let new = store::NewKey {
        caller: &request.caller,
        key: &request.key,
        method: &request.method,
        path: &request.path,
        hash: &request.fingerprint,
        at: now(),
    };
    store::insert(conn, &new).map_err(|e| match ApiError::from(e) {
        ApiError::Conflict { .. } => ApiError::Conflict {
            kind: RACE,
            detail: "the first request with this key is still running".into(),
        },
        other => other,
    })?;
    Ok(None)
}

/// Stores the response to replay, in the claiming transaction.
pub fn record(conn: &mut DbConnection, request: &Request, stored: &Stored) -> ApiResult<()> {
    Ok(store::set_response(
        conn,
        &request.caller,
        &request.key,
        stored.status as i16,
        &stored.body.to_string(),
    )?)
}

/// Runs `attempt` again while it loses a race for its key to a concurrent duplicate (which
/// then has committed, so the next attempt replays it). Gives up after a few tries with 409.
pub async fn with_retry<T, F, Fut>(attempt: F) -> ApiResult<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ApiResult<T>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(ApiError::Conflict { kind: RACE, .. }) if tries < 20 => {
                tries += 1;
                actix_web::rt::time::sleep(std::time::Duration::from_millis(10 * tries)).await;
            }
            other => return other,
        }
    }
}

/// A creating POST, made safe to retry: runs `work` in one write transaction that first
/// confirms the caller (a [`PendingCaller`] may not have been checked yet), claims the
/// request's `Idempotency-Key` (if sent), and records the created resource's JSON (what
/// `work` returns) as the 201 to replay. Without a key, `work` simply runs.
pub async fn create<B, T, F>(
    pool: &DbPool,
    req: &HttpRequest,
    caller: impl Into<PendingCaller>,
    body: B,
    work: F,
) -> ApiResult<Stored>
where
    B: serde::Serialize + Clone + Send + 'static,
    T: Created,
    F: Fn(&mut DbConnection, &Caller, B) -> ApiResult<T> + Clone + Send + 'static,
{
    let work = move |conn: &mut DbConnection, caller: &PendingCaller, body: B| {
        let caller = caller.confirm(conn)?;
        work(conn, &caller, body)
    };
    create_grouped(pool, req, caller, None, body, work).await
}

/// [`create`], for writes that all lock one row when `lock_key` names it (an activity, say):
/// written together with the others queued for it (`db::write_grouped`). `work` is handed the
/// caller unconfirmed (when no `Idempotency-Key` was claimed) and confirms it before anything
/// else it answers: with [`PendingCaller::confirm`], or from its own first statement with
/// [`PendingCaller::confirm_with`].
pub async fn create_grouped<B, T, F>(
    pool: &DbPool,
    req: &HttpRequest,
    caller: impl Into<PendingCaller>,
    lock_key: Option<&str>,
    body: B,
    work: F,
) -> ApiResult<Stored>
where
    B: serde::Serialize + Clone + Send + 'static,
    T: Created,
    F: Fn(&mut DbConnection, &PendingCaller, B) -> ApiResult<T> + Clone + Send + 'static,
{
    once(pool, req, caller.into(), lock_key, body, move |conn, caller, body| {
        Stored::fresh(&work(conn, caller, body)?)
    })
    .await
}

/// A batch POST, made safe to retry like [`create`]: the whole answer (200, one result per
/// row) is what a repeated key replays.
pub async fn batch<B, T, F>(
    pool: &DbPool,
    req: &HttpRequest,
    caller: impl Into<PendingCaller>,
    body: B,
    work: F,
) -> ApiResult<Stored>
where
    B: serde::Serialize + Clone + Send + 'static,
    T: serde::Serialize,
    F: Fn(&mut DbConnection, &Caller, B) -> ApiResult<T> + Clone + Send + 'static,
{
    once(pool, req, caller.into(), None, body, move |conn, caller, body| {
        let caller = caller.confirm(conn)?;
        let body = serde_json::to_value(work(conn, &caller, body)?).map_err(ApiError::internal)?;
        Ok(Stored { status: 200, body, id: None, replayed: false })
    })
    .await
}

/// Runs `work` once per `Idempotency-Key` (see [`create`]), grouped with other writes of
/// `lock_key` if given. With a key, the caller is confirmed first (a disabled account is refused,
/// not replayed to); without one, `work` confirms it as its first act, or reads its standing
/// in its own first statement (`PendingCaller::confirm_with`).
async fn once<B, F>(
    pool: &DbPool,
    req: &HttpRequest,
    caller: PendingCaller,
    lock_key: Option<&str>,
    body: B,
    work: F,
) -> ApiResult<Stored>
where
    B: serde::Serialize + Clone + Send + 'static,
    F: Fn(&mut DbConnection, &PendingCaller, B) -> ApiResult<Stored> + Clone + Send + 'static,
{
    let key = key(req)?.map(|key| Request::new(&caller.actor(), key, req, &body));
    with_retry(|| {
        let (key, body, work, caller) = (key.clone(), body.clone(), work.clone(), caller.clone());
        let write = move |conn: &mut DbConnection| {
            let caller = match &key {
                Some(key) => {
                    // First the caller's standing: a disabled account is refused, not replayed to.
                    let caller = PendingCaller::from(&caller.confirm(conn)?);
                    if let Some(replay) = claim(conn, key)? {
                        return Ok(replay);
                    }
                    caller
                }
                None => caller,
            };
            let answer = work(conn, &caller, body)?;
            if let Some(key) = &key {
                record(conn, key, &answer)?;
            }
            Ok(answer)
        };
        async move {
            match lock_key {
                Some(lock_key) => db::write_grouped(pool, lock_key, write).await,
                None => db::write(pool, write).await,
            }
        }
    })
    .await
}
