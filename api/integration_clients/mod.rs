//! Machine clients (hospital LMS systems): created by administrators with a set of scopes and
//! a secret shown once; they get tokens from `POST /v1/oauth/token`.

pub mod store;

use actix_web::{delete, get, http::header, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::{
    auth::{Caller, Scope},
    db,
    error::{ApiError, ApiResult, Problem},
    http::{json::ApiJson, pagination},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_clients).service(create_client).service(get_client).service(disable_client);
}

/// An integration client.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntegrationClient {
    /// The OAuth `client_id`.
    pub id: String,
    #[schema(example = "St. Mary's LMS")]
    pub name: String,
    pub scopes: Vec<Scope>,
    /// Always true for clients the API shows; deleted clients are kept inactive.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new client with its secret: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedIntegrationClient {
    #[serde(flatten)]
    pub client: IntegrationClient,
    /// The OAuth `client_secret`. Store it now: it cannot be read again.
    pub client_secret: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "St. Mary's LMS", "scopes": ["enrollments:read", "credits:read"]}))]
pub struct CreateClientRequest {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(min = 1, max = 16))]
    #[schema(min_items = 1, max_items = 16)]
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClientListQuery {
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Integration clients that have not been deleted (administrators).
#[utoipa::path(
    tag = "integration-clients",
    operation_id = "list_integration_clients",
    security(("bearer" = [])),
    params(ClientListQuery),
    responses(
        (status = 200, description = "A page of clients", body = pagination::Page<IntegrationClient>),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/integration-clients")]
async fn list_clients(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ClientListQuery>,
) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<String>(query.cursor.as_deref())?;
    let page = db::run(&state.pool, move |conn| -> ApiResult<_> {
        let rows = store::list(conn, limit, after)?;
        Ok(pagination::paginate(rows, limit, |row| row.id.clone(), store::ClientRow::into_api))
    })
    .await?;
    Ok(pagination::respond(&req, page))
}

/// Create a client; the response holds its secret, shown only this once.
#[utoipa::path(
    tag = "integration-clients",
    operation_id = "create_integration_client",
    security(("bearer" = [])),
    request_body = CreateClientRequest,
    responses(
        (status = 201, description = "Created", body = CreatedIntegrationClient, headers(("Location" = String))),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/integration-clients")]
async fn create_client(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateClientRequest>,
) -> ApiResult<HttpResponse> {
    let admin_id = caller.require_admin()?.to_string();
    let request = body.into_inner();
    let created =
        db::write(&state.pool, move |conn| store::create(conn, &request.name, &request.scopes, &admin_id))
            .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/integration-clients/{}", created.client.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// One client (administrators). Deleted clients are gone from the API (404); their records
/// stay in the database for the audit trail.
#[utoipa::path(
    tag = "integration-clients",
    operation_id = "get_integration_client",
    security(("bearer" = [])),
    params(("client_id" = String, Path, description = "Client id")),
    responses(
        (status = 200, description = "The client", body = IntegrationClient),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown client", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/integration-clients/{client_id}")]
async fn get_client(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let id = path.into_inner();
    let client =
        db::run(&state.pool, move |conn| store::find_active(conn, &id)?.ok_or(ApiError::NotFound)).await?;
    Ok(HttpResponse::Ok().json(client.into_api()))
}

/// Delete a client: it can no longer get tokens and the tokens it has stop working at once.
/// The record is kept (inactive) for the audit trail, but the API no longer shows it.
#[utoipa::path(
    tag = "integration-clients",
    operation_id = "disable_integration_client",
    security(("bearer" = [])),
    params(("client_id" = String, Path, description = "Client id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown or already deleted client", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/integration-clients/{client_id}")]
async fn disable_client(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require_admin()?;
    let id = path.into_inner();
    db::write(&state.pool, move |conn| store::disable(conn, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
