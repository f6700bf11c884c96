//! HTTP for sessions: extract, call one use case of [`super::service`], map the result.

use actix_web::{delete, get, http::header, patch, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service;
use crate::{
    activities::dto::{Session, SessionInput},
    auth::{Caller, OptionalCaller},
    db,
    error::{ApiResult, Problem},
    http::{
        etag,
        json::{ApiJson, JsonObject},
    },
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_sessions).service(create_session).service(patch_session).service(delete_session);
}

/// List an activity's sessions
///
/// The sessions of an activity, in time order.
///
/// Authentication is optional: anyone sees a published activity's sessions; a planner's or
/// administrator's token shows a draft's too.
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
    let sessions = db::run(&state.pool, move |conn| service::list(conn, caller.0.as_ref(), &id)).await?;
    Ok(HttpResponse::Ok().json(sessions))
}

/// Add a session to an activity
///
/// Add a session (the activity's planners and administrators).
#[utoipa::path(
    tag = "activities",
    operation_id = "create_session",
    security(("bearer" = [])),
    params(("activity_id" = String, Path, description = "Activity id")),
    request_body = SessionInput,
    responses(
        (status = 201, description = "Created", body = Session, headers(("Location" = String), ("ETag" = String))),
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
    let session = db::write(&state.pool, move |conn| service::create(conn, &caller, &id, &input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/sessions/{}", session.id)))
        .insert_header((header::ETAG, etag::etag(session.version)))
        .json(session))
}

/// Change a session (JSON Merge Patch)
///
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
    let session =
        db::write(&state.pool, move |conn| service::patch(conn, &caller, &session_id, precondition, &patch))
            .await?;
    Ok(etag::versioned(actix_web::http::StatusCode::OK, session.version, &session))
}

/// Remove a session
///
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
    db::write(&state.pool, move |conn| service::delete(conn, &caller, &session_id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
