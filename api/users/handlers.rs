//! HTTP for users: extract, call one use case of [`super::service`], map the result.

use actix_web::{get, http::header, http::StatusCode, patch, post, put, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::{password, Caller},
    db,
    error::{ApiResult, Problem},
    http::{etag, json::ApiJson, pagination},
    state::AppState,
    users::{
        dto::{CreateUserRequest, LmsLearner, MePatch, User, UserListQuery, UserPatch},
        service, store,
    },
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me)
        .service(patch_me)
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(patch_user)
        .service(upsert_by_external_id);
}

/// Create or update a learner by your LMS's id
///
/// Create or update the learner your LMS knows by `external_id` (integration clients with
/// `users:write`; ids are your own, unique per client). An unknown id is matched to an existing
/// account by email (the learner's own account: only its empty fields are filled), or creates a
/// learner without a password (they set one by password reset). Accounts you created follow
/// your record. Roles never change. The same body twice: the second answer is 200 and nothing
/// changes.
#[utoipa::path(
    tag = "users",
    operation_id = "upsert_user_by_external_id",
    security(("oauth2" = ["users:write"])),
    params(("external_id" = String, Path, description = "Your LMS's id for the learner", min_length = 1, max_length = 100)),
    request_body = LmsLearner,
    responses(
        (status = 200, description = "Updated (or unchanged), or an existing account now linked to your id", body = User, headers(("ETag" = String))),
        (status = 201, description = "Created", body = User, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not an integration client with `users:write`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email's account already has another id at your client, or your new email is another account's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/users/by-external-id/{external_id}")]
async fn upsert_by_external_id(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<LmsLearner>,
) -> ApiResult<HttpResponse> {
    let external_id = path.into_inner();
    if external_id.is_empty() || external_id.len() > 100 {
        return Err(crate::error::ApiError::NotFound);
    }
    let learner = body.into_inner();
    let (user, created) = db::write(&state.pool, move |conn| {
        service::upsert_by_external_id(conn, &caller, &external_id, learner)
    })
    .await?;
    if created {
        let mut response = user_response(StatusCode::CREATED, &user);
        if let Ok(location) = header::HeaderValue::from_str(&format!("/v1/users/{}", user.id)) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        return Ok(response);
    }
    Ok(user_response(StatusCode::OK, &user))
}

fn user_response(status: actix_web::http::StatusCode, user: &User) -> HttpResponse {
    etag::versioned(status, user.version, user)
}

/// Get your own account
///
/// Your own account and learner record.
#[utoipa::path(
    tag = "users",
    operation_id = "get_me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your record", body = User, headers(("ETag" = String, description = "Current version"))),
        (status = 403, description = "Integration clients have no record", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
async fn get_me(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let user = db::run(&state.pool, move |conn| service::me(conn, &caller)).await?;
    Ok(user_response(StatusCode::OK, &user))
}

/// Change your own learner record
///
/// Change your own learner record (JSON Merge Patch). `If-Match` is honoured when sent.
#[utoipa::path(
    tag = "users",
    operation_id = "patch_me",
    security(("bearer" = [])),
    request_body(content = MePatch, content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^(\*|"[0-9]+"|[0-9]+)$"#, description = "ETag of the version you edited")),
    responses(
        (status = 200, description = "The updated record", body = User, headers(("ETag" = String))),
        (status = 412, description = "The record changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field, or a field you may not change (e.g. `role`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/me")]
async fn patch_me(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<MePatch>,
) -> ApiResult<HttpResponse> {
    let precondition = etag::if_match(&req);
    let patch = body.into_inner();
    let user =
        db::write(&state.pool, move |conn| service::patch_me(conn, &caller, precondition, patch)).await?;
    Ok(user_response(StatusCode::OK, &user))
}

/// List users
///
/// The user directory: administrators, and integration clients with `users:read`.
#[utoipa::path(
    tag = "users",
    operation_id = "list_users",
    security(("bearer" = []), ("oauth2" = ["users:read"])),
    params(UserListQuery),
    responses(
        (status = 200, description = "A page of users", body = pagination::Page<User>,
            headers(("Link" = String, description = "`<...>; rel=\"next\"` when more pages exist"))),
        (status = 400, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator, or missing scope", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users")]
async fn list_users(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<UserListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<store::UserCursor>(query.cursor.as_deref())?;
    let page = db::run(&state.pool, move |conn| service::list(conn, &caller, &query, limit, after)).await?;
    Ok(pagination::respond(&req, page))
}

/// Create an account
///
/// Create an account of any role (administrators).
#[utoipa::path(
    tag = "users",
    operation_id = "create_user",
    security(("bearer" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = User, headers(("Location" = String), ("ETag" = String))),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateUserRequest>,
) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let request = body.into_inner();
    let password_hash = match request.password.clone() {
        Some(plain) => Some(web::block(move || password::hash(&plain)).await??),
        None => None,
    };
    let user =
        db::write(&state.pool, move |conn| service::create(conn, &caller, request, password_hash)).await?;
    let mut response = user_response(StatusCode::CREATED, &user);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/v1/users/{}", user.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Get an account
///
/// One account: yourself, any for administrators (404 for records you may not see).
#[utoipa::path(
    tag = "users",
    operation_id = "get_user",
    security(("bearer" = []), ("oauth2" = ["users:read"])),
    params(("user_id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = User, headers(("ETag" = String))),
        (status = 404, description = "Unknown, or not yours to see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{user_id}")]
async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user_id = path.into_inner();
    let user = db::run(&state.pool, move |conn| service::get(conn, &caller, &user_id)).await?;
    Ok(user_response(StatusCode::OK, &user))
}

/// Change an account
///
/// Change an account (administrators; JSON Merge Patch; `If-Match` honoured when sent).
#[utoipa::path(
    tag = "users",
    operation_id = "patch_user",
    security(("bearer" = [])),
    params(
        ("user_id" = String, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^(\*|"[0-9]+"|[0-9]+)$"#, description = "ETag of the version you edited"),
    ),
    request_body(content = UserPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated user", body = User, headers(("ETag" = String))),
        (status = 404, description = "Unknown user (or you are not an administrator)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{user_id}")]
async fn patch_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<UserPatch>,
) -> ApiResult<HttpResponse> {
    let user_id = path.into_inner();
    let precondition = etag::if_match(&req);
    let patch = body.into_inner();
    let user =
        db::write(&state.pool, move |conn| service::patch(conn, &caller, &user_id, precondition, patch))
            .await?;
    Ok(user_response(StatusCode::OK, &user))
}
