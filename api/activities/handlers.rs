//! HTTP for the catalog: extract, call one use case of [`super::service`], map the result.

use actix_web::{get, http::header, patch, post, web, FromRequest, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    activities::{
        dto::{Activity, ActivityInput, ActivityListQuery, CatalogPage, DisclosureSummary, Term},
        revalidation,
        service::{self, ActivityEffects, Transition},
    },
    auth::{Caller, OptionalCaller},
    db,
    error::{ApiResult, Problem},
    http::{
        self, etag,
        json::{ApiJson, JsonObject},
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
        .service(list_topics);
}

fn activity_response(status: actix_web::http::StatusCode, activity: &Activity) -> HttpResponse {
    etag::versioned(status, activity.version, activity)
}

/// List the activity catalog
///
/// The catalog. Anonymous callers, learners and clients with `activities:read` see published
/// activities; planners also see their own drafts (and filter by `status`); administrators
/// see everything. Sorted by start (or release) date; keyset pagination.
///
/// Items are `ActivitySummary` (what a learner chooses by, with `seats_left`) unless
/// `view=full` asks for whole `Activity` documents, as an LMS syncing with `updated_since`
/// wants them; `GET /v1/activities/{activity_id}` has one whole document.
///
/// Authentication is optional: without a token, published activities are listed; a token adds
/// what its holder may see.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_activities",
    security((), ("bearer" = []), ("oauth2" = ["activities:read"])),
    params(ActivityListQuery),
    responses(
        (status = 200, description = "A page of activities: `ActivitySummary` items, or whole `Activity` documents with `view=full`", body = CatalogPage,
            headers(("Link" = String, description = "`<...>; rel=\"next\"` when more pages exist"),
                ("ETag" = String, description = "A hash of what this page shows (each item's id, version and seats left): send it as `If-None-Match` to get 304, without the page being read, while it is unchanged"),
                ("Cache-Control" = String, description = "`public, max-age=<CE_CATALOG_MAX_AGE_SECS>` for anonymous callers; `no-store` with a token"),
                ("Vary" = String, description = "`Authorization, Accept`"))),
        (status = 304, description = "The page named in `If-None-Match` is current. Without a token, as the replica last saw the catalog: at most `CE_CATALOG_REVALIDATE_MS` (default 1 s, never more than the max-age) before the request", headers(("ETag" = String), ("Cache-Control" = String), ("Vary" = String))),
        (status = 400, description = "Invalid query or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Client without activities:read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities")]
async fn list_activities(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let if_none_match = etag::if_none_match(&req);
    let max_age = state.settings.catalog_max_age_secs;
    let not_modified = |tag| etag::cacheable(&req, tag, max_age, HttpResponse::NotModified().finish());
    // Anonymous pages are remembered by this replica: a revalidation of one the catalog has not
    // changed under is answered here, before the token, the query or the database are looked
    // at (a remembered page's query parsed when it was first answered; see `revalidation`).
    let anonymous = !req.headers().contains_key(header::AUTHORIZATION);
    let key = (anonymous && state.catalog.enabled()).then(|| revalidation::page_key(&req));
    let now = state.pool.clock().now();
    if let (Some(key), Some(candidates)) = (&key, &if_none_match) {
        if let Some(tag) = state.catalog.confirm(key, candidates, now) {
            if state.catalog.refresh_due(now) {
                actix_web::rt::spawn(refresh_catalog_mark(state.clone(), now));
            }
            return Ok(not_modified(tag));
        }
    }
    let caller = OptionalCaller::extract(&req).await?;
    let query: ActivityListQuery = http::query(&req)?;
    let app = state.clone();
    let listing = db::run(&state.pool, move |conn| {
        let remembered = key.as_deref().map(|key| service::Remembered { memory: &app.catalog, key, now });
        service::list_unless_current(
            conn,
            caller.0.as_ref(),
            &query,
            if_none_match.as_deref(),
            remembered,
            &app.views,
        )
    })
    .await?;
    Ok(match listing {
        Ok(page) => pagination::respond_raw_cacheable(&req, page, max_age),
        Err(tag) => not_modified(tag),
    })
}

/// Reads the catalog mark ahead of its expiry, off the request (see `revalidation`); a failed
/// read leaves the mark to expire, and the next revalidation reads it on its own path.
async fn refresh_catalog_mark(state: web::Data<AppState>, at: chrono::DateTime<chrono::Utc>) {
    let app = state.clone();
    let read =
        db::run(&state.pool, move |conn| service::catalog_mark(conn).map(|mark| app.catalog.saw(mark, at)))
            .await;
    if let Err(error) = read {
        tracing::debug!(%error, "the catalog mark was not read ahead");
    }
    state.catalog.refreshed();
}

/// Create a draft activity
///
/// Create a draft activity (planners and administrators). The creator may edit it.
#[utoipa::path(
    tag = "activities",
    operation_id = "create_activity",
    security(("bearer" = [])),
    request_body = ActivityInput,
    responses(
        (status = 201, description = "The draft", body = Activity, headers(("Location" = String), ("ETag" = String))),
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
    let input = body.into_inner();
    let activity = db::write(&state.pool, move |conn| service::create(conn, &caller, &input)).await?;
    let mut response = activity_response(actix_web::http::StatusCode::CREATED, &activity);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/v1/activities/{}", activity.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Get an activity
///
/// One activity (drafts only for their planners and administrators).
///
/// Authentication is optional: without a token, a published activity is shown (a draft is a
/// 404); a planner's or administrator's token shows drafts too.
#[utoipa::path(
    tag = "activities",
    operation_id = "get_activity",
    security((), ("bearer" = []), ("oauth2" = ["activities:read"])),
    params(("activity_id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, description = "The activity", body = Activity, headers(("ETag" = String),
            ("Cache-Control" = String, description = "`public, max-age=<CE_CATALOG_MAX_AGE_SECS>` for anonymous callers; `no-store` with a token"),
            ("Vary" = String, description = "`Authorization, Accept`"))),
        (status = 304, description = "The version named in `If-None-Match` is current", headers(("ETag" = String), ("Cache-Control" = String), ("Vary" = String))),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or a draft you may not see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities/{activity_id}")]
async fn get_activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: OptionalCaller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let activity = db::run(&state.pool, move |conn| service::get(conn, caller.0.as_ref(), &id)).await?;
    let answer = activity_response(actix_web::http::StatusCode::OK, &activity);
    Ok(etag::cacheable(&req, etag::etag(activity.version), state.settings.catalog_max_age_secs, answer))
}

/// Change an activity (JSON Merge Patch)
///
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
    effects: web::Data<dyn ActivityEffects>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<JsonObject>,
) -> ApiResult<HttpResponse> {
    let precondition = etag::if_match(&req).required()?;
    let id = path.into_inner();
    let patch = serde_json::Value::Object(body.into_inner().0);
    let activity = db::write(&state.pool, move |conn| {
        service::patch(conn, &caller, &id, precondition, &patch, effects.as_ref())
    })
    .await?;
    Ok(activity_response(actix_web::http::StatusCode::OK, &activity))
}

/// Moves an activity along `step`, in one transaction.
async fn transition(
    req: HttpRequest,
    state: web::Data<AppState>,
    effects: web::Data<dyn ActivityEffects>,
    caller: Caller,
    id: String,
    step: &'static Transition,
) -> ApiResult<HttpResponse> {
    let precondition = etag::if_match(&req);
    let activity = db::write(&state.pool, move |conn| {
        service::transition(conn, &caller, &id, precondition, step, effects.as_ref())
    })
    .await?;
    Ok(activity_response(actix_web::http::StatusCode::OK, &activity))
}

/// Publish a draft activity
///
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
    effects: web::Data<dyn ActivityEffects>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(req, state, effects, caller, path.into_inner(), &service::PUBLISH).await
}

/// Close an activity to new enrollments
///
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
        (status = 200, description = "Closed", body = Activity, headers(("ETag" = String))),
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
    effects: web::Data<dyn ActivityEffects>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(req, state, effects, caller, path.into_inner(), &service::CLOSE).await
}

/// Archive a closed activity
///
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
        (status = 200, description = "Archived", body = Activity, headers(("ETag" = String))),
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
    effects: web::Data<dyn ActivityEffects>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(req, state, effects, caller, path.into_inner(), &service::ARCHIVE).await
}

/// Cancel an activity
///
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
        (status = 200, description = "Cancelled", body = Activity, headers(("ETag" = String))),
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
    effects: web::Data<dyn ActivityEffects>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    transition(req, state, effects, caller, path.into_inner(), &service::CANCEL).await
}

/// Disclosures learners must see before the activity
///
/// What learners must be shown before the activity: every planner's, faculty member's and
/// reviewer's relationships with ineligible companies (or that there were none), that
/// relevant ones were mitigated, and commercial support.
///
/// Authentication is optional: anyone sees a published activity's disclosures; a planner's or
/// administrator's token shows a draft's too.
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
    let summary =
        db::run(&state.pool, move |conn| service::disclosures(conn, caller.0.as_ref(), &id)).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// List specialty codes
///
/// Specialty codes for `specialties` (with their parent specialty).
#[utoipa::path(
    tag = "activities",
    operation_id = "list_specialties",
    security(()),
    responses((status = 200, description = "All specialties", body = Vec<Term>))
)]
#[get("/specialties")]
async fn list_specialties(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let terms: Vec<Term> = db::run(&state.pool, service::specialties).await?;
    Ok(HttpResponse::Ok().json(terms))
}

/// List topic codes
///
/// Topic codes for `topics`.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_topics",
    security(()),
    responses((status = 200, description = "All topics", body = Vec<Term>))
)]
#[get("/topics")]
async fn list_topics(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let terms: Vec<Term> = db::run(&state.pool, service::topics).await?;
    Ok(HttpResponse::Ok().json(terms))
}
