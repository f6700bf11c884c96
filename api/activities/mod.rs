//! Accredited activities: the catalog, the planners' editing with optimistic concurrency, the
//! publish workflow with its accreditation checks, sessions, disclosures and vocabularies.

pub mod dto;
pub mod examples;
pub mod rules;
pub mod sessions;
pub mod store;

use actix_web::{get, http::header, patch, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    activities::{
        dto::{
            Activity, ActivityInput, ActivityListQuery, ActivityStatus, DisclosedPerson, DisclosureSummary,
            Term,
        },
        store::{ActivityRow, Audience},
    },
    auth::{Caller, OptionalCaller, Role, Scope},
    db::{self, DbConnection},
    error::{ApiError, ApiResult, Problem, ProblemType},
    http::{
        etag,
        json::{self, ApiJson, JsonObject},
        pagination,
    },
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_activities)
        .service(create_activity)
        .service(get_activity)
        .service(patch_activity)
        .service(publish_activity)
        .service(close_activity)
        .service(archive_activity)
        .service(cancel_activity)
        .service(get_disclosures)
        .service(list_specialties)
        .service(list_topics)
        .configure(sessions::configure);
}

/// The audience of a caller for reads; clients need `activities:read`.
fn audience(caller: Option<&Caller>) -> ApiResult<Audience> {
    match caller {
        None => Ok(Audience::Public),
        Some(Caller::User { role: Role::Admin, .. }) => Ok(Audience::Admin),
        Some(Caller::User { id, role: Role::Planner }) => Ok(Audience::Planner(id.clone())),
        Some(Caller::User { role: Role::Learner | Role::Leader, .. }) => Ok(Audience::Public),
        Some(client @ Caller::Client { .. }) => {
            client.require_admin_or_scope(Scope::ActivitiesRead)?;
            Ok(Audience::Public)
        }
    }
}

/// Drafts are visible only to administrators and the activity's planners.
fn may_see(conn: &mut DbConnection, caller: Option<&Caller>, activity: &ActivityRow) -> ApiResult<bool> {
    if activity.status()? != ActivityStatus::Draft {
        return Ok(true);
    }
    Ok(match caller {
        Some(Caller::User { role: Role::Admin, .. }) => true,
        Some(Caller::User { id, role: Role::Planner }) => store::is_planner_of(conn, activity, id)?,
        _ => false,
    })
}

/// The activity if the caller may see it; 404 otherwise.
pub fn load_visible(conn: &mut DbConnection, caller: Option<&Caller>, id: &str) -> ApiResult<ActivityRow> {
    audience(caller)?;
    let activity = store::find(conn, id)?.ok_or(ApiError::NotFound)?;
    if may_see(conn, caller, &activity)? {
        Ok(activity)
    } else {
        Err(ApiError::NotFound)
    }
}

/// The activity if the caller may change it: administrators and its planners. Others get 404
/// when they cannot see it and 403 when they can.
pub fn load_editable(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<ActivityRow> {
    let activity = load_visible(conn, Some(caller), id)?;
    let allowed = match caller {
        Caller::User { role: Role::Admin, .. } => true,
        Caller::User { id: user_id, role: Role::Planner } => store::is_planner_of(conn, &activity, user_id)?,
        _ => false,
    };
    if !allowed {
        return Err(ApiError::Forbidden {
            kind: ProblemType::Forbidden,
            detail: "only the activity's planners and administrators may change it".into(),
        });
    }
    Ok(activity)
}

fn activity_response(status: actix_web::http::StatusCode, activity: &Activity) -> HttpResponse {
    etag::versioned(status, activity.version, activity)
}

/// Full validation of a document: field rules, cross-field rules and vocabulary codes.
fn check_document(conn: &mut DbConnection, input: &ActivityInput) -> ApiResult<()> {
    let mut errors = rules::check_activity(input, Utc::now().date_naive());
    errors.extend(store::unknown_codes(conn, input)?);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation { errors })
    }
}

/// The catalog. Anonymous callers, learners and clients with `activities:read` see published
/// activities; planners also see their own drafts (and filter by `status`); administrators
/// see everything. Sorted by start (or release) date; keyset pagination.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_activities",
    security((), ("bearer" = []), ("oauth2" = ["activities:read"])),
    params(ActivityListQuery),
    responses(
        (status = 200, description = "A page of activities", body = pagination::Page<Activity>,
            headers(("Link" = String, description = "`<...>; rel=\"next\"` when more pages exist"))),
        (status = 400, description = "Invalid query or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Client without activities:read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities")]
async fn list_activities(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: OptionalCaller,
    query: web::Query<ActivityListQuery>,
) -> ApiResult<HttpResponse> {
    let audience = audience(caller.0.as_ref())?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<store::ActivityCursor>(query.cursor.as_deref())?;
    let by_change = query.updated_since.is_some();
    let page = db::run(&state.pool, move |conn| -> ApiResult<_> {
        let rows = store::list(conn, &query, &audience, limit, after)?;
        let key = |row: &ActivityRow| store::ActivityCursor {
            at: if by_change { row.updated_at } else { row.sort_at },
            id: row.id.clone(),
        };
        let page = pagination::paginate(rows, limit, key, |row| row);
        let data = page.data.into_iter().map(ActivityRow::into_api).collect::<ApiResult<Vec<_>>>()?;
        Ok(pagination::Page { data, next_cursor: page.next_cursor })
    })
    .await?;
    Ok(pagination::respond(&req, page))
}

/// Create a draft activity (planners and administrators). The creator may edit it.
#[utoipa::path(
    tag = "activities",
    operation_id = "create_activity",
    security(("bearer" = [])),
    request_body = ActivityInput,
    responses(
        (status = 201, description = "The draft", body = Activity, headers(("Location" = String), ("ETag" = String))),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a planner or administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities")]
async fn create_activity(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<ActivityInput>,
) -> ApiResult<HttpResponse> {
    let (user_id, _) = caller.require_role(&[Role::Planner, Role::Admin])?;
    let user_id = user_id.to_string();
    let input = body.into_inner();
    let activity = db::write(&state.pool, move |conn| {
        check_document(conn, &input)?;
        store::insert(conn, &input, &user_id)?.into_api()
    })
    .await?;
    let mut response = activity_response(actix_web::http::StatusCode::CREATED, &activity);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/v1/activities/{}", activity.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// One activity (drafts only for their planners and administrators).
#[utoipa::path(
    tag = "activities",
    operation_id = "get_activity",
    security((), ("bearer" = []), ("oauth2" = ["activities:read"])),
    params(("activity_id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, description = "The activity", body = Activity, headers(("ETag" = String))),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or a draft you may not see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities/{activity_id}")]
async fn get_activity(
    state: web::Data<AppState>,
    caller: OptionalCaller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let activity =
        db::run(&state.pool, move |conn| load_visible(conn, caller.0.as_ref(), &id)?.into_api()).await?;
    Ok(activity_response(actix_web::http::StatusCode::OK, &activity))
}

/// Change an activity (JSON Merge Patch of the activity document). `If-Match` is required.
/// Credit designations of a published activity cannot change: they are set before the
/// activity, never retroactively.
#[utoipa::path(
    tag = "activities",
    operation_id = "patch_activity",
    security(("bearer" = [])),
    params(
        ("activity_id" = String, Path, description = "Activity id"),
        ("If-Match" = String, Header, pattern = r#"^(\*|"[0-9]+"|[0-9]+)$"#, description = "ETag of the version you edited"),
    ),
    request_body(content = JsonObject, content_type = "application/merge-patch+json",
        example = json!({"title": "Sepsis 2030: bundles, biomarkers and the first hour", "capacity": 150})),
    responses(
        (status = 200, description = "The updated activity", body = Activity, headers(("ETag" = String))),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or a draft you may not see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Designations locked after publishing, or the activity is cancelled or archived", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/activities/{activity_id}")]
async fn patch_activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<JsonObject>,
) -> ApiResult<HttpResponse> {
    let precondition = etag::if_match(&req).required()?;
    let id = path.into_inner();
    let patch = serde_json::Value::Object(body.into_inner().0);
    let activity = db::write(&state.pool, move |conn| {
        let current = load_editable(conn, &caller, &id)?;
        precondition.check(current.version)?;
        let status = current.status()?;
        if matches!(status, ActivityStatus::Cancelled | ActivityStatus::Archived) {
            return Err(ApiError::Conflict {
                kind: ProblemType::ActivityFinished,
                detail: "cancelled and archived activities cannot change".into(),
            });
        }
        let before = current.input()?;
        let after: ActivityInput = json::patched(&before, &patch)?;
        if status != ActivityStatus::Draft && after.credit_designations != before.credit_designations {
            return Err(ApiError::Conflict {
                kind: ProblemType::DesignationsLocked,
                detail: "credit designations are set before the activity and cannot change after publishing"
                    .into(),
            });
        }
        check_document(conn, &after)?;
        let saved = store::replace(conn, &current, &after)?;
        if after.capacity != before.capacity {
            // More seats (or none to limit) go to the waitlist at once, in order.
            crate::enrollments::store::lock_activity(conn, &saved.id)?;
            crate::enrollments::store::fill_seats(conn, &saved)?;
        }
        saved.into_api()
    })
    .await?;
    Ok(activity_response(actix_web::http::StatusCode::OK, &activity))
}

/// A life-cycle step: from which states to which, what must hold first, what follows.
struct Transition {
    from: &'static [ActivityStatus],
    to: ActivityStatus,
    gate: fn(&ActivityInput) -> ApiResult<()>,
    after: fn(&mut DbConnection, &ActivityRow) -> ApiResult<()>,
}

const PUBLISH: Transition = Transition {
    from: &[ActivityStatus::Draft],
    to: ActivityStatus::Published,
    gate: accreditation_gate,
    after: nothing_after,
};
const CLOSE: Transition = Transition {
    from: &[ActivityStatus::Published],
    to: ActivityStatus::Closed,
    gate: no_gate,
    after: settle_no_shows,
};
const ARCHIVE: Transition = Transition {
    from: &[ActivityStatus::Closed],
    to: ActivityStatus::Archived,
    gate: no_gate,
    after: nothing_after,
};
const CANCEL: Transition = Transition {
    from: &[ActivityStatus::Draft, ActivityStatus::Published],
    to: ActivityStatus::Cancelled,
    gate: no_gate,
    after: nothing_after,
};

/// Moves an activity along `step`, in one transaction.
async fn transition(
    req: &HttpRequest,
    state: &AppState,
    caller: Caller,
    id: String,
    step: &'static Transition,
) -> ApiResult<HttpResponse> {
    let precondition = etag::if_match(req);
    let activity = db::write(&state.pool, move |conn| {
        let current = load_editable(conn, &caller, &id)?;
        precondition.check(current.version)?;
        let status = current.status()?;
        if !step.from.contains(&status) {
            return Err(ApiError::Conflict {
                kind: ProblemType::InvalidTransition,
                detail: format!(
                    "a {} activity cannot become {}",
                    store::status_str(status),
                    store::status_str(step.to)
                ),
            });
        }
        (step.gate)(&current.input()?)?;
        let saved = store::set_status(conn, &current, step.to)?;
        (step.after)(conn, &saved)?;
        saved.into_api()
    })
    .await?;
    Ok(activity_response(actix_web::http::StatusCode::OK, &activity))
}

fn no_gate(_: &ActivityInput) -> ApiResult<()> {
    Ok(())
}

fn nothing_after(_: &mut DbConnection, _: &ActivityRow) -> ApiResult<()> {
    Ok(())
}

/// Closing a live activity settles attendance: registered learners who attended nothing
/// become no-shows.
fn settle_no_shows(conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()> {
    if activity.input()?.format.is_live() {
        crate::enrollments::store::lock_activity(conn, &activity.id)?;
        crate::enrollments::store::mark_no_shows(conn, &activity.id)?;
    }
    Ok(())
}

fn accreditation_gate(input: &ActivityInput) -> ApiResult<()> {
    let blockers = rules::publish_blockers(input, Utc::now());
    if blockers.is_empty() {
        return Ok(());
    }
    Err(ApiError::Rule {
        kind: ProblemType::NotPublishable,
        title: "The activity is not ready to publish",
        detail: format!("{} accreditation requirement(s) are missing", blockers.len()),
        errors: blockers,
    })
}

/// Publish a draft: it joins the catalog and opens for enrollment. Checks accreditation
/// completeness and answers 422 listing every missing piece; nothing changes then.
#[utoipa::path(
    tag = "activities",
    operation_id = "publish_activity",
    security(("bearer" = [])),
    params(
        ("activity_id" = String, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^(\*|"[0-9]+"|[0-9]+)$"#, description = "Optional ETag check"),
    ),
    responses(
        (status = 200, description = "Published", body = Activity, headers(("ETag" = String))),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or a draft you may not see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing accreditation requirements, each named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{activity_id}/publish")]
async fn publish_activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(&req, &state, caller, path.into_inner(), &PUBLISH).await
}

/// Close a published activity: no new enrollments; credit can still be claimed until the
/// claim deadline. For live activities, registered learners who attended no session become
/// `no_show`.
#[utoipa::path(
    tag = "activities",
    operation_id = "close_activity",
    security(("bearer" = [])),
    params(
        ("activity_id" = String, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^(\*|"[0-9]+"|[0-9]+)$"#, description = "Optional ETag check"),
    ),
    responses(
        (status = 200, description = "Closed", body = Activity),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not published", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{activity_id}/close")]
async fn close_activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(&req, &state, caller, path.into_inner(), &CLOSE).await
}

/// Archive a closed activity (its records stay).
#[utoipa::path(
    tag = "activities",
    operation_id = "archive_activity",
    security(("bearer" = [])),
    params(
        ("activity_id" = String, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^(\*|"[0-9]+"|[0-9]+)$"#, description = "Optional ETag check"),
    ),
    responses(
        (status = 200, description = "Archived", body = Activity),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{activity_id}/archive")]
async fn archive_activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(&req, &state, caller, path.into_inner(), &ARCHIVE).await
}

/// Cancel a draft or published activity (it stays on record, as cancelled).
#[utoipa::path(
    tag = "activities",
    operation_id = "cancel_activity",
    security(("bearer" = [])),
    params(
        ("activity_id" = String, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^(\*|"[0-9]+"|[0-9]+)$"#, description = "Optional ETag check"),
    ),
    responses(
        (status = 200, description = "Cancelled", body = Activity),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already closed, archived or cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{activity_id}/cancel")]
async fn cancel_activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(&req, &state, caller, path.into_inner(), &CANCEL).await
}

/// What learners must be shown before the activity: every planner's, faculty member's and
/// reviewer's relationships with ineligible companies (or that there were none), that
/// relevant ones were mitigated, and commercial support.
#[utoipa::path(
    tag = "activities",
    operation_id = "get_activity_disclosures",
    security((), ("bearer" = []), ("oauth2" = ["activities:read"])),
    params(("activity_id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, description = "The disclosure summary", body = DisclosureSummary),
        (status = 404, description = "Unknown, or a draft you may not see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities/{activity_id}/disclosures")]
async fn get_disclosures(
    state: web::Data<AppState>,
    caller: OptionalCaller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let row = db::run(&state.pool, move |conn| load_visible(conn, caller.0.as_ref(), &id)).await?;
    let input = row.input()?;
    let people: Vec<DisclosedPerson> = input
        .people
        .iter()
        .map(|person| {
            let relationships =
                person.disclosure.as_ref().map(|d| d.relationships.clone()).unwrap_or_default();
            let mitigated = person
                .disclosure
                .as_ref()
                .filter(|d| d.has_relationships)
                .map(|d| d.relevant != Some(true) || d.mitigation.is_some());
            DisclosedPerson { name: person.name.clone(), role: person.role, relationships, mitigated }
        })
        .collect();
    let statement = if people.iter().all(|p| p.relationships.is_empty()) {
        "None of the planners, faculty or reviewers of this activity has a relevant financial relationship \
         with an ineligible company."
            .to_string()
    } else {
        "The relationships listed were disclosed by the people named; all relevant financial relationships \
         have been mitigated."
            .to_string()
    };
    Ok(HttpResponse::Ok().json(DisclosureSummary {
        activity_id: row.id,
        title: input.title,
        people,
        commercial_support: input.commercial_support,
        statement,
    }))
}

/// Specialty codes for `specialties` (with their parent specialty).
#[utoipa::path(
    tag = "activities",
    operation_id = "list_specialties",
    responses((status = 200, description = "All specialties", body = Vec<Term>))
)]
#[get("/specialties")]
async fn list_specialties(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let rows = db::run(&state.pool, store::specialties).await?;
    let terms: Vec<Term> =
        rows.into_iter().map(|(code, name, parent_code)| Term { code, name, parent_code }).collect();
    Ok(HttpResponse::Ok().json(terms))
}

/// Topic codes for `topics`.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_topics",
    responses((status = 200, description = "All topics", body = Vec<Term>))
)]
#[get("/topics")]
async fn list_topics(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let rows = db::run(&state.pool, store::topics).await?;
    let terms: Vec<Term> =
        rows.into_iter().map(|(code, name)| Term { code, name, parent_code: None }).collect();
    Ok(HttpResponse::Ok().json(terms))
}
