//! People: one's own record (`/v1/me`) and the administrators' user directory (`/v1/users`).

pub mod dto;
pub mod rules;
pub mod store;

use actix_web::{get, http::header, patch, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    access,
    auth::{password, Caller, Scope},
    db,
    error::{ApiError, ApiResult, Problem},
    http::{etag, json::ApiJson, pagination},
    state::AppState,
    users::dto::{CreateUserRequest, MePatch, User, UserListQuery, UserPatch},
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me)
        .service(patch_me)
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(patch_user);
}

fn user_response(status: actix_web::http::StatusCode, user: &User) -> HttpResponse {
    etag::versioned(status, user.version, user)
}

/// Loads a user the caller may see; 404 otherwise (no existence leak).
async fn visible_user(state: &AppState, caller: Caller, user_id: String) -> ApiResult<User> {
    db::run(&state.pool, move |conn| {
        access::ensure_may_read_user(conn, &caller, &user_id)?;
        store::load(conn, &user_id)?.ok_or(ApiError::NotFound)
    })
    .await
}

/// Patches `user_id` in one transaction, honouring `If-Match` when given.
async fn patch_user_record(
    state: &AppState,
    caller_id: String,
    user_id: String,
    precondition: etag::Precondition,
    patch: UserPatch,
) -> ApiResult<User> {
    db::write(&state.pool, move |conn| {
        let current = store::find(conn, &user_id)?.ok_or(ApiError::NotFound)?;
        precondition.check(current.version)?;
        store::guard_admin_lockout(&caller_id, &current, &patch)?;
        store::apply_patch(conn, current, patch)?;
        store::load(conn, &user_id)?.ok_or(ApiError::NotFound)
    })
    .await
}

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
    let (id, _) = caller.person()?;
    let user = visible_user(&state, caller.clone(), id.to_string()).await?;
    Ok(user_response(actix_web::http::StatusCode::OK, &user))
}

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
    let (id, _) = caller.person()?;
    let user = patch_user_record(
        &state,
        id.to_string(),
        id.to_string(),
        etag::if_match(&req),
        body.into_inner().into(),
    )
    .await?;
    Ok(user_response(actix_web::http::StatusCode::OK, &user))
}

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
    caller.require_admin_or_scope(Scope::UsersRead)?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<store::UserCursor>(query.cursor.as_deref())?;
    let by_change = query.updated_since.is_some();
    let page = db::run(&state.pool, move |conn| -> ApiResult<_> {
        let rows = store::list(conn, &query, limit, after)?;
        let cursor_of = |row: &store::UserRow| store::UserCursor {
            id: row.id.clone(),
            updated_at: by_change.then_some(row.updated_at),
        };
        let page = pagination::paginate(rows, limit, cursor_of, |row| row);
        let users = store::with_records(conn, page.data)?;
        Ok(pagination::Page { data: users, next_cursor: page.next_cursor })
    })
    .await?;
    Ok(pagination::respond(&req, page))
}

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
    let user = db::write(&state.pool, move |conn| {
        let row = store::insert(
            conn,
            store::NewUser {
                email: request.email,
                password_hash,
                role: request.role,
                first_name: request.first_name,
                last_name: request.last_name,
                profession: request.profession,
                external_id: request.external_id,
            },
        )?;
        store::load(conn, &row.id)?.ok_or(ApiError::NotFound)
    })
    .await?;
    let mut response = user_response(actix_web::http::StatusCode::CREATED, &user);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/v1/users/{}", user.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

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
    let user = visible_user(&state, caller, path.into_inner()).await?;
    Ok(user_response(actix_web::http::StatusCode::OK, &user))
}

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
    // Someone who may not even see the account learns nothing about it.
    if !caller.is_admin() {
        let visible = {
            let (caller, user_id) = (caller.clone(), user_id.clone());
            db::run(&state.pool, move |conn| access::user_visible(conn, &caller, &user_id)).await?
        };
        return Err(if visible {
            caller.require_admin().err().unwrap_or(ApiError::NotFound)
        } else {
            ApiError::NotFound
        });
    }
    let caller_id = caller.require_admin()?.to_string();
    let user = patch_user_record(&state, caller_id, user_id, etag::if_match(&req), body.into_inner()).await?;
    Ok(user_response(actix_web::http::StatusCode::OK, &user))
}
