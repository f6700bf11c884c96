//! Enrollments: registration with capacity and a first-come waitlist, safe retries with
//! `Idempotency-Key`, cancellation with automatic promotion, reading, and completion.

pub mod attendance;
pub mod dto;
pub mod rules;
pub mod store;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    activities::{
        self,
        dto::{ActivityFormat, ActivityStatus},
        store::{self as activity_store, ActivityRow},
    },
    auth::{Caller, Role, Scope},
    db::{self, now, DbConnection},
    enrollments::{
        dto::{
            CancelRequest, CompletionRequest, EnrollRequest, Enrollment, EnrollmentListQuery,
            EnrollmentStatus,
        },
        store::EnrollmentRow,
    },
    error::{ApiError, ApiResult, Problem, ProblemType},
    http::{csv, idempotency, json::ApiJson, pagination},
    state::AppState,
    users::{self, dto::Profession},
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(enroll)
        .service(roster)
        .service(list_enrollments)
        .service(get_enrollment)
        .service(cancel_enrollment)
        .service(complete_enrollment)
        .configure(attendance::configure);
}

/// Whom the activity is shown as: clients see what the public sees (their enrollment scopes,
/// not `activities:read`, decide what they may do here).
fn viewer(caller: &Caller) -> Option<&Caller> {
    match caller {
        Caller::Client { .. } => None,
        person => Some(person),
    }
}

fn profession_of(conn: &mut DbConnection, user_id: &str) -> ApiResult<Option<Profession>> {
    Ok(users::store::find(conn, user_id)?.and_then(|u| u.profession.as_deref().and_then(Profession::parse)))
}

/// Whether the caller manages the activity's learners: administrators, its planners, and
/// clients with `scope`.
fn manages(
    conn: &mut DbConnection,
    caller: &Caller,
    activity: &ActivityRow,
    scope: Scope,
) -> ApiResult<bool> {
    Ok(match caller {
        Caller::User { role: Role::Admin, .. } => true,
        Caller::User { id, role: Role::Planner } => activity_store::is_planner_of(conn, activity, id)?,
        Caller::User { .. } => false,
        Caller::Client { .. } => caller.has_scope(scope),
    })
}

/// Refuses callers who do not manage the activity's learners: 403 `insufficient_scope` for
/// clients missing `scope`, 403 `forbidden` (with `detail`) for people.
fn require_manager(
    conn: &mut DbConnection,
    caller: &Caller,
    activity: &ActivityRow,
    scope: Scope,
    detail: &'static str,
) -> ApiResult<()> {
    if manages(conn, caller, activity, scope)? {
        return Ok(());
    }
    Err(match caller {
        Caller::Client { .. } => ApiError::Forbidden {
            kind: ProblemType::InsufficientScope,
            detail: format!("this needs the `{}` scope", scope.as_str()).into(),
        },
        Caller::User { .. } => ApiError::Forbidden { kind: ProblemType::Forbidden, detail: detail.into() },
    })
}

/// The activity whose roster the caller asks for, if they manage it.
fn roster_activity(conn: &mut DbConnection, caller: &Caller, activity_id: &str) -> ApiResult<ActivityRow> {
    let activity = activities::load_visible(conn, viewer(caller), activity_id)?;
    require_manager(
        conn,
        caller,
        &activity,
        Scope::EnrollmentsRead,
        "rosters are for the activity's planners and administrators",
    )?;
    Ok(activity)
}

/// An enrollment the caller may see (their own, their activity's, or any with the right
/// scope); 404 otherwise.
fn visible(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<(EnrollmentRow, ActivityRow)> {
    // Clients that may write enrollments (report completions, cancel) may read them too.
    if let Caller::Client { .. } = caller {
        if !caller.has_scope(Scope::EnrollmentsWrite) {
            caller.require_admin_or_scope(Scope::EnrollmentsRead)?;
        }
    }
    let row = store::find(conn, id)?.ok_or(ApiError::NotFound)?;
    let activity = activity_store::find(conn, &row.activity_id)?.ok_or(ApiError::NotFound)?;
    let own = matches!(caller, Caller::User { id, .. } if *id == row.user_id);
    if own
        || manages(conn, caller, &activity, Scope::EnrollmentsRead)?
        || manages(conn, caller, &activity, Scope::EnrollmentsWrite)?
    {
        Ok((row, activity))
    } else {
        Err(ApiError::NotFound)
    }
}

fn registration_open(activity: &ActivityRow) -> ApiResult<()> {
    if activity.status()? != ActivityStatus::Published {
        return Err(ApiError::Conflict {
            kind: ProblemType::EnrollmentClosed,
            detail: "only published activities take enrollments".into(),
        });
    }
    let now = now();
    let opens = activity.registration_opens_at.or(activity.published_at);
    // By default a course closes registration when it starts, a series (whose sessions run for
    // months) when it ends, and an enduring material when it expires.
    let default_close = if activity.format == activity_store::enum_str(&ActivityFormat::Rss) {
        activity.ends_at
    } else {
        activity.starts_at
    };
    let closes = activity
        .registration_closes_at
        .or(default_close)
        .or_else(|| activity.expiry_date.and_then(|d| d.and_hms_opt(0, 0, 0)));
    if opens.is_some_and(|t| now < t) || closes.is_some_and(|t| now >= t) {
        return Err(ApiError::Conflict {
            kind: ProblemType::RegistrationWindow,
            detail: "registration for this activity is not open now".into(),
        });
    }
    Ok(())
}

/// Resolves whom to enroll: learners themselves; managers anyone named by id or email.
fn learner_to_enroll(
    conn: &mut DbConnection,
    caller: &Caller,
    activity: &ActivityRow,
    request: &EnrollRequest,
) -> ApiResult<String> {
    let named = request.user_id.is_some() || request.email.is_some();
    if let Caller::User { id, role: Role::Learner } = caller {
        if named && request.user_id.as_deref() != Some(id.as_str()) {
            return Err(ApiError::Forbidden {
                kind: ProblemType::Forbidden,
                detail: "learners enroll themselves only".into(),
            });
        }
        return Ok(id.clone());
    }
    require_manager(
        conn,
        caller,
        activity,
        Scope::EnrollmentsWrite,
        "only the activity's planners and administrators enroll others",
    )?;
    let user = match (&request.user_id, &request.email) {
        (Some(user_id), _) => users::store::find(conn, user_id)?,
        (None, Some(email)) => users::store::find_by_email(conn, email)?,
        (None, None) => match caller {
            Caller::User { id, .. } => users::store::find(conn, id)?,
            Caller::Client { .. } => {
                return Err(ApiError::validation(
                    "user_id",
                    "required",
                    "name the learner by user_id or email",
                ))
            }
        },
    };
    let user = user.filter(|u| u.active).ok_or_else(|| ApiError::Rule {
        kind: ProblemType::UnknownLearner,
        title: "The learner does not exist",
        detail: "no active account has that id or email".into(),
        errors: Vec::new(),
    })?;
    Ok(user.id)
}

/// Enroll in an activity. When it is full the learner joins the waitlist and is promoted
/// automatically, first come first served. Send `Idempotency-Key` to retry safely.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "enroll",
    security(("bearer" = []), ("oauth2" = ["enrollments:write"])),
    params(
        ("activity_id" = String, Path, description = "Activity id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Same key and body replay the first response"),
    ),
    request_body = EnrollRequest,
    responses(
        (status = 201, description = "Registered or waitlisted", body = Enrollment, headers(("Location" = String))),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "May not enroll this learner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already enrolled (the detail names the enrollment), or registration closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body, unknown learner, or an Idempotency-Key reused for another request", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{activity_id}/enrollments")]
async fn enroll(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<EnrollRequest>,
) -> ApiResult<HttpResponse> {
    let activity_id = path.into_inner();
    let stored =
        idempotency::create(&state.pool, &req, &caller, body.into_inner(), move |conn, caller, request| {
            let activity = activities::load_visible(conn, viewer(caller), &activity_id)?;
            let user_id = learner_to_enroll(conn, caller, &activity, &request)?;
            store::lock_activity(conn, &activity.id)?;
            if let Some(existing) = store::live_enrollment(conn, &activity.id, &user_id)? {
                return Err(ApiError::Conflict {
                    kind: ProblemType::AlreadyEnrolled,
                    detail: format!("already enrolled: enrollment {}", existing.id),
                });
            }
            registration_open(&activity)?;
            let row = store::enroll(conn, &activity, &user_id, &caller.actor())?;
            let profession = profession_of(conn, &user_id)?;
            serde_json::to_string(&row.into_api(&activity, profession)?).map_err(ApiError::internal)
        })
        .await?;
    Ok(stored.respond_created("/v1/enrollments"))
}

fn page_of(
    conn: &mut DbConnection,
    rows: Vec<EnrollmentRow>,
    limit: i64,
    by_change: bool,
) -> ApiResult<pagination::Page<Enrollment>> {
    let key = |row: &EnrollmentRow| store::EnrollmentCursor {
        id: row.id.clone(),
        updated_at: by_change.then_some(row.updated_at),
    };
    let page = pagination::paginate(rows, limit, key, |row| row);
    // One query for the page's learners and one per activity, not one per row.
    let user_ids: Vec<&str> = page.data.iter().map(|row| row.user_id.as_str()).collect();
    let learners = users::store::find_many(conn, &user_ids)?;
    let mut data = Vec::with_capacity(page.data.len());
    let mut activities_seen: std::collections::HashMap<String, ActivityRow> = Default::default();
    for row in page.data {
        if !activities_seen.contains_key(&row.activity_id) {
            let activity = activity_store::find(conn, &row.activity_id)?.ok_or(ApiError::NotFound)?;
            activities_seen.insert(row.activity_id.clone(), activity);
        }
        let profession =
            learners.get(&row.user_id).and_then(|u| u.profession.as_deref()).and_then(Profession::parse);
        let activity = &activities_seen[&row.activity_id];
        data.push(row.into_api(activity, profession)?);
    }
    Ok(pagination::Page { data, next_cursor: page.next_cursor })
}

/// Enrollments: learners see their own; planners those of their activities; administrators
/// and clients with `enrollments:read` all.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "list_enrollments",
    security(("bearer" = []), ("oauth2" = ["enrollments:read"])),
    params(EnrollmentListQuery),
    responses(
        (status = 200, description = "A page of enrollments", body = pagination::Page<Enrollment>),
        (status = 400, description = "Invalid query or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Client without enrollments:read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enrollments")]
async fn list_enrollments(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<EnrollmentListQuery>,
) -> ApiResult<HttpResponse> {
    let scope = store::Scope::of(&caller, Scope::EnrollmentsRead)?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<store::EnrollmentCursor>(query.cursor.as_deref())?;
    let by_change = query.updated_since.is_some();
    let page = db::run(&state.pool, move |conn| {
        let rows = store::list(conn, &query, &scope, limit, after)?;
        page_of(conn, rows, limit, by_change)
    })
    .await?;
    Ok(pagination::respond(&req, page))
}

/// An activity's roster (its planners, administrators, clients with `enrollments:read`).
#[utoipa::path(
    tag = "enrollments",
    operation_id = "activity_roster",
    security(("bearer" = []), ("oauth2" = ["enrollments:read"])),
    params(("activity_id" = String, Path, description = "Activity id"), EnrollmentListQuery),
    responses(
        (status = 200, description = "A page of the roster (JSON), or the whole roster with the learners' names \
            and emails (`Accept: text/csv`, at most 10,000 rows)", content(
            (pagination::Page<Enrollment> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities/{activity_id}/enrollments")]
async fn roster(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<EnrollmentListQuery>,
) -> ApiResult<HttpResponse> {
    let activity_id = path.into_inner();
    let mut query = query.into_inner();
    if csv::wanted(&req) {
        let csv = db::run(&state.pool, move |conn| {
            let activity = roster_activity(conn, &caller, &activity_id)?;
            query.activity_id = Some(activity.id.clone());
            let rows = store::list(conn, &query, &store::Scope::All, CSV_ROWS, None)?;
            roster_csv(conn, rows)
        })
        .await?;
        return Ok(csv::attachment("roster.csv", csv));
    }
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<store::EnrollmentCursor>(query.cursor.as_deref())?;
    let by_change = query.updated_since.is_some();
    let page = db::run(&state.pool, move |conn| {
        let activity = roster_activity(conn, &caller, &activity_id)?;
        query.activity_id = Some(activity.id.clone());
        let rows = store::list(conn, &query, &store::Scope::All, limit, after)?;
        page_of(conn, rows, limit, by_change)
    })
    .await?;
    Ok(pagination::respond(&req, page))
}

/// Largest CSV roster (a sign-in sheet, not an export of the program).
const CSV_ROWS: i64 = 10_000;

fn roster_csv(conn: &mut DbConnection, rows: Vec<EnrollmentRow>) -> ApiResult<String> {
    let mut csv = String::from(
        "enrollment_id,user_id,last_name,first_name,email,profession,status,waitlist_position,completed_at,completion_date\n",
    );
    let rows: Vec<EnrollmentRow> = rows.into_iter().take(CSV_ROWS as usize).collect();
    let user_ids: Vec<&str> = rows.iter().map(|row| row.user_id.as_str()).collect();
    let mut learners = users::store::find_many(conn, &user_ids)?;
    for row in rows {
        let user = learners.remove(&row.user_id);
        let (last, first, email, profession) = user
            .map(|u| (u.last_name, u.first_name, u.email, u.profession.unwrap_or_default()))
            .unwrap_or_default();
        let fields = [
            row.id.clone(),
            row.user_id.clone(),
            last,
            first,
            email,
            profession,
            row.status.clone(),
            row.waitlist_position.map(|p| p.to_string()).unwrap_or_default(),
            row.completed_at
                .map(|t| db::to_utc(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            row.completion_date.map(|d| d.to_string()).unwrap_or_default(),
        ];
        csv::push_row(&mut csv, &fields);
    }
    Ok(csv)
}

/// One enrollment (404 for enrollments that are not yours to see).
#[utoipa::path(
    tag = "enrollments",
    operation_id = "get_enrollment",
    security(("bearer" = []), ("oauth2" = ["enrollments:read"])),
    params(("enrollment_id" = String, Path, description = "Enrollment id")),
    responses(
        (status = 200, description = "The enrollment", body = Enrollment),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enrollments/{enrollment_id}")]
async fn get_enrollment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let enrollment = db::run(&state.pool, move |conn| {
        let (row, activity) = visible(conn, &caller, &id)?;
        let profession = profession_of(conn, &row.user_id)?;
        row.into_api(&activity, profession)
    })
    .await?;
    Ok(HttpResponse::Ok().json(enrollment))
}

/// Cancel an enrollment: learners their own before the activity starts; planners and
/// administrators any time. A freed seat goes to the first of the waitlist at once. The
/// enrollment stays on record, cancelled.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "cancel_enrollment",
    security(("bearer" = [])),
    params(("enrollment_id" = String, Path, description = "Enrollment id")),
    request_body = CancelRequest,
    responses(
        (status = 200, description = "Cancelled", body = Enrollment),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "May not cancel it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already cancelled or completed, or the activity has started", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enrollments/{enrollment_id}/cancel")]
async fn cancel_enrollment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<CancelRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let reason = body.into_inner().reason;
    let enrollment = db::write(&state.pool, move |conn| {
        let (row, activity) = visible(conn, &caller, &id)?;
        let manager = manages(conn, &caller, &activity, Scope::EnrollmentsWrite)?;
        if !manager && matches!(caller, Caller::Client { .. }) {
            caller.require_admin_or_scope(Scope::EnrollmentsWrite)?;
        }
        if !manager && activity.starts_at.is_some_and(|start| start <= now()) {
            return Err(ApiError::Conflict {
                kind: ProblemType::ActivityStarted,
                detail: "the activity has started; ask its planners to cancel".into(),
            });
        }
        store::lock_activity(conn, &activity.id)?;
        let current = store::find(conn, &row.id)?.ok_or(ApiError::NotFound)?;
        if !matches!(current.status()?, EnrollmentStatus::Registered | EnrollmentStatus::Waitlisted) {
            return Err(ApiError::Conflict {
                kind: ProblemType::InvalidTransition,
                detail: format!("a {} enrollment cannot be cancelled", current.status),
            });
        }
        let mut next = current.clone();
        next.status = store::status_str(EnrollmentStatus::Cancelled).into();
        next.waitlist_position = None;
        next.cancel_reason = Some(reason);
        next.cancelled_by = Some(caller.actor());
        next.cancelled_at = Some(now());
        let saved = store::save(conn, &current, next)?;
        store::fill_seats(conn, &activity)?;
        let profession = profession_of(conn, &saved.user_id)?;
        saved.into_api(&activity, profession)
    })
    .await?;
    Ok(HttpResponse::Ok().json(enrollment))
}

/// Report completion of self-paced participation (enduring materials): planners,
/// administrators and clients with `enrollments:write`. The enrollment completes when the
/// activity's requirements are met (422 naming what is missing otherwise); the completion
/// date is the calendar date in the activity's time zone.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "complete_enrollment",
    security(("bearer" = []), ("oauth2" = ["enrollments:write"])),
    params(("enrollment_id" = String, Path, description = "Enrollment id")),
    request_body = CompletionRequest,
    responses(
        (status = 200, description = "Completed", body = Enrollment),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "May not report completions", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not registered (waitlisted, cancelled or already completed)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Requirements not met, or a completion time in the future", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enrollments/{enrollment_id}/completion")]
async fn complete_enrollment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<CompletionRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let request = body.into_inner();
    let completed_at = request.completed_at.unwrap_or_else(Utc::now);
    if completed_at > Utc::now() + chrono::Duration::minutes(5) {
        return Err(ApiError::validation("completed_at", "future", "must not be in the future"));
    }
    let enrollment = db::write(&state.pool, move |conn| {
        let (row, activity) = visible(conn, &caller, &id)?;
        require_manager(
            conn,
            &caller,
            &activity,
            Scope::EnrollmentsWrite,
            "completions are reported by planners, administrators or the LMS",
        )?;
        if row.status()? != EnrollmentStatus::Registered {
            return Err(ApiError::Conflict {
                kind: ProblemType::InvalidTransition,
                detail: format!("a {} enrollment cannot be completed", row.status),
            });
        }
        let input = activity.input()?;
        let done = store::participation(conn, &row.id, Some(request.minutes_spent), None)?;
        let missing = rules::missing_requirements(&input.completion_requirements, &done);
        if !missing.is_empty() {
            return Err(ApiError::Rule {
                kind: ProblemType::RequirementsNotMet,
                title: "The completion requirements are not met",
                detail: format!("{} requirement(s) not met", missing.len()),
                errors: missing,
            });
        }
        let mut next = row.clone();
        next.status = store::status_str(EnrollmentStatus::Completed).into();
        next.minutes_spent = Some(request.minutes_spent);
        next.completed_at = Some(completed_at.naive_utc());
        next.completion_date = Some(activities::rules::local_date(completed_at, &input.time_zone));
        let saved = store::save(conn, &row, next)?;
        let profession = profession_of(conn, &saved.user_id)?;
        saved.into_api(&activity, profession)
    })
    .await?;
    Ok(HttpResponse::Ok().json(enrollment))
}
