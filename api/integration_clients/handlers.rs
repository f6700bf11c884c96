//! HTTP for integration clients: extract, call one use case of [`super::service`], map the
//! result.

use actix_web::{delete, get, http::header, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::Caller,
    db,
    error::{ApiResult, Problem},
    http::{json::ApiJson, pagination},
    integration_clients::{
        dto::{ClientListQuery, CreateClientRequest, CreatedIntegrationClient, IntegrationClient},
        service,
    },
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_clients).service(create_client).service(get_client).service(disable_client);
}

/// List integration clients
///
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
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<String>(query.cursor.as_deref())?;
    let page = db::run(&state.pool, move |conn| service::list(conn, &caller, limit, after)).await?;
    Ok(pagination::respond(&req, page))
}

/// Create an integration client
///
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
    let request = body.into_inner();
    let created = db::write(&state.pool, move |conn| service::create(conn, &caller, &request)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/integration-clients/{}", created.client.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Get an integration client
///
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
    let id = path.into_inner();
    let client = db::run(&state.pool, move |conn| service::get(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(client))
}

/// Delete an integration client
///
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
    let id = path.into_inner();
    db::write(&state.pool, move |conn| service::disable(conn, &caller, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
