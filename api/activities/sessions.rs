//! Sessions of regularly scheduled series and multi-session courses.

use actix_web::{delete, get, http::header, patch, post, web, HttpRequest, HttpResponse};
use chrono::{Months, NaiveDateTime};
use diesel::prelude::*;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    activities::{
        dto::{ActivityFormat, ActivityStatus, Session, SessionInput},
        rules,
        service::{editable as load_editable, visible as load_visible},
        store::ActivityRow,
    },
    auth::{Caller, OptionalCaller},
    credits::Credits,
    db::{self, now, schema::activity_sessions, to_utc, DbConnection},
    error::{ApiError, ApiResult, FieldError, Problem, ProblemType},
    http::{
        etag,
        json::{self, ApiJson, JsonObject},
    },
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_sessions).service(create_session).service(patch_session).service(delete_session);
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = activity_sessions, treat_none_as_null = true)]
pub struct SessionRow {
    pub id: String,
    pub activity_id: String,
    pub title: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub location: Option<String>,
    /// JSON array of names.
    pub presenters: String,
    pub credit_hundredths: Option<i32>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub check_in_code: Option<String>,
}

impl SessionRow {
    fn input(&self) -> SessionInput {
        SessionInput {
            title: self.title.clone(),
            starts_at: to_utc(self.starts_at),
            ends_at: to_utc(self.ends_at),
            location: self.location.clone(),
            presenters: serde_json::from_str(&self.presenters).unwrap_or_default(),
            credit_amount: self.credit_hundredths.map(Credits::from_hundredths),
        }
    }

    fn into_api(self) -> Session {
        Session {
            details: self.input(),
            id: self.id,
            activity_id: self.activity_id,
            version: self.version,
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
        }
    }

    fn apply(&mut self, input: &SessionInput) {
        self.title = input.title.trim().to_string();
        self.starts_at = input.starts_at.naive_utc();
        self.ends_at = input.ends_at.naive_utc();
        self.location = input.location.clone();
        self.presenters = serde_json::to_string(&input.presenters).unwrap_or_else(|_| "[]".into());
        self.credit_hundredths = input.credit_amount.map(Credits::hundredths);
    }
}

/// Six characters from an alphabet without look-alikes (no 0/O, 1/I/L), easy to read out.
pub fn new_check_in_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    crate::auth::secrets::random_bytes(6)
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

fn sessions_of(conn: &mut DbConnection, activity_id: &str) -> ApiResult<Vec<SessionRow>> {
    Ok(activity_sessions::table
        .filter(activity_sessions::activity_id.eq(activity_id))
        .order((activity_sessions::starts_at, activity_sessions::id))
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// A session's own rules, and for a series the 12-month span across all its sessions.
fn check_session(
    activity: &ActivityRow,
    input: &SessionInput,
    siblings: &[SessionRow],
    replacing: Option<&str>,
) -> ApiResult<()> {
    let mut errors = Vec::new();
    if input.ends_at <= input.starts_at {
        errors.push(FieldError::new("ends_at", "order", "must be after starts_at"));
    }
    if let Some(amount) = input.credit_amount {
        if !rules::is_quarter_step(amount, 100) {
            errors.push(FieldError::new(
                "credit_amount",
                "increment",
                "must be more than 0 and at most 100, in 0.25 steps",
            ));
        }
    }
    if activity.format == crate::db::enum_text(&ActivityFormat::Rss) {
        let mut starts: Vec<NaiveDateTime> = siblings
            .iter()
            .filter(|s| Some(s.id.as_str()) != replacing)
            .flat_map(|s| [s.starts_at, s.ends_at])
            .collect();
        starts.extend([input.starts_at.naive_utc(), input.ends_at.naive_utc()]);
        let (first, last) = (starts.iter().min(), starts.iter().max());
        if let (Some(first), Some(last)) = (first, last) {
            if first.checked_add_months(Months::new(12)).is_some_and(|limit| *last > limit) {
                errors.push(FieldError::new(
                    "starts_at",
                    "rss_span",
                    "a regularly scheduled series spans at most 12 months",
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation { errors })
    }
}

fn ensure_changeable(activity: &ActivityRow) -> ApiResult<()> {
    if matches!(activity.status()?, ActivityStatus::Cancelled | ActivityStatus::Archived) {
        return Err(ApiError::Conflict {
            kind: ProblemType::ActivityFinished,
            detail: "cancelled and archived activities cannot change".into(),
        });
    }
    Ok(())
}

/// The sessions of an activity, in time order.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_sessions",
    security((), ("bearer" = []), ("oauth2" = ["activities:read"])),
    params(("activity_id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, description = "Sessions", body = Vec<Session>),
        (status = 404, description = "Unknown, or a draft you may not see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities/{activity_id}/sessions")]
async fn list_sessions(
    state: web::Data<AppState>,
    caller: OptionalCaller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let sessions = db::run(&state.pool, move |conn| -> ApiResult<_> {
        let activity = load_visible(conn, caller.0.as_ref(), &id)?;
        Ok(sessions_of(conn, &activity.id)?.into_iter().map(SessionRow::into_api).collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(sessions))
}

/// Add a session (the activity's planners and administrators).
#[utoipa::path(
    tag = "activities",
    operation_id = "create_session",
    security(("bearer" = [])),
    params(("activity_id" = String, Path, description = "Activity id")),
    request_body = SessionInput,
    responses(
        (status = 201, description = "Created", body = Session, headers(("Location" = String))),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The activity is cancelled or archived", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{activity_id}/sessions")]
async fn create_session(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<SessionInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let session = db::write(&state.pool, move |conn| -> ApiResult<_> {
        let activity = load_editable(conn, &caller, &id)?;
        ensure_changeable(&activity)?;
        check_session(&activity, &input, &sessions_of(conn, &activity.id)?, None)?;
        let now = now();
        let mut row = SessionRow {
            id: uuid::Uuid::now_v7().to_string(),
            activity_id: activity.id.clone(),
            title: String::new(),
            starts_at: now,
            ends_at: now,
            location: None,
            presenters: "[]".into(),
            credit_hundredths: None,
            version: 1,
            created_at: now,
            updated_at: now,
            check_in_code: Some(new_check_in_code()),
        };
        row.apply(&input);
        diesel::insert_into(activity_sessions::table).values(&row).execute(conn)?;
        Ok(row.into_api())
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/sessions/{}", session.id)))
        .insert_header((header::ETAG, etag::etag(session.version)))
        .json(session))
}

/// The session and its activity, if the caller may change them.
fn editable_session(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
) -> ApiResult<(SessionRow, ActivityRow)> {
    let session = activity_sessions::table
        .find(session_id)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound)?;
    let activity = load_editable(conn, caller, &session.activity_id)?;
    ensure_changeable(&activity)?;
    Ok((session, activity))
}

/// Change a session (JSON Merge Patch; `If-Match` honoured when sent).
#[utoipa::path(
    tag = "activities",
    operation_id = "patch_session",
    security(("bearer" = [])),
    params(
        ("session_id" = String, Path, description = "Session id"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^(\*|"[0-9]+"|[0-9]+)$"#, description = "ETag of the version you edited"),
    ),
    request_body(content = JsonObject, content_type = "application/merge-patch+json", example = json!({"location": "Auditorium C"})),
    responses(
        (status = 200, description = "The updated session", body = Session, headers(("ETag" = String))),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown session", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The activity is cancelled or archived", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/sessions/{session_id}")]
async fn patch_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<JsonObject>,
) -> ApiResult<HttpResponse> {
    let precondition = etag::if_match(&req);
    let session_id = path.into_inner();
    let patch = serde_json::Value::Object(body.into_inner().0);
    let session = db::write(&state.pool, move |conn| {
        let (current, activity) = editable_session(conn, &caller, &session_id)?;
        precondition.check(current.version)?;
        let input: SessionInput = json::patched(&current.input(), &patch)?;
        check_session(&activity, &input, &sessions_of(conn, &activity.id)?, Some(&current.id))?;
        let mut next = current.clone();
        next.apply(&input);
        next.version = current.version + 1;
        next.updated_at = now().max(current.updated_at);
        let updated = diesel::update(
            activity_sessions::table
                .filter(activity_sessions::id.eq(&current.id))
                .filter(activity_sessions::version.eq(current.version)),
        )
        .set(&next)
        .execute(conn)?;
        if updated == 0 {
            return Err(ApiError::PreconditionFailed);
        }
        Ok(next.into_api())
    })
    .await?;
    Ok(etag::versioned(actix_web::http::StatusCode::OK, session.version, &session))
}

/// Remove a session.
#[utoipa::path(
    tag = "activities",
    operation_id = "delete_session",
    security(("bearer" = [])),
    params(("session_id" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown session", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The activity is cancelled or archived", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/sessions/{session_id}")]
async fn delete_session(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let session_id = path.into_inner();
    db::write(&state.pool, move |conn| -> ApiResult<_> {
        let (session, _) = editable_session(conn, &caller, &session_id)?;
        diesel::delete(activity_sessions::table.find(&session.id)).execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
