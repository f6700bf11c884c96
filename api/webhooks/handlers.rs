//! HTTP for webhook endpoints and their deliveries: extract, call one use case of
//! [`super::service`], map the result.

use actix_web::{delete, get, http::header, patch, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::Caller,
    db,
    error::{ApiResult, Problem},
    http::{json::ApiJson, pagination},
    state::AppState,
    webhooks::{
        dto::{
            DeliveryListQuery, DeliveryScheduled, EndpointListQuery, WebhookDelivery, WebhookEndpoint,
            WebhookEndpointInput, WebhookEndpointPatch,
        },
        service::{self, EndpointPolicy},
    },
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_endpoints)
        .service(create_endpoint)
        .service(get_endpoint)
        .service(patch_endpoint)
        .service(delete_endpoint)
        .service(list_deliveries)
        .service(retry_delivery)
        .service(test_endpoint);
}

fn policy(state: &AppState) -> EndpointPolicy<'_> {
    EndpointPolicy {
        key_encryption_key: state.settings.auth.key_encryption_key.as_ref(),
        allow_private: state.settings.webhooks.allow_private,
    }
}

/// List webhook endpoints
///
/// Your webhook endpoints (administrators: all of them).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhook_endpoints",
    security(("bearer" = []), ("oauth2" = [])),
    params(EndpointListQuery),
    responses(
        (status = 200, description = "A page of endpoints", body = pagination::Page<WebhookEndpoint>),
        (status = 403, description = "Only administrators and integration clients have endpoints", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhook-endpoints")]
async fn list_endpoints(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<EndpointListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<String>(query.cursor.as_deref())?;
    let page = db::run(&state.pool, move |conn| service::list(conn, &caller, limit, after)).await?;
    Ok(pagination::respond(&req, page))
}

/// Register a webhook endpoint
///
/// Register an endpoint. The answer holds its signing secret, shown only this once: verify
/// every delivery's `webhook-signature` with it (Standard Webhooks).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "create_webhook_endpoint",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = WebhookEndpointInput,
    responses(
        (status = 201, description = "Registered; `secret` is shown only now", body = WebhookEndpoint, headers(("Location" = String))),
        (status = 403, description = "Not an administrator or integration client, or a client without the scope an event type needs", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (a URL that is not https, or points to a private address)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhook-endpoints")]
async fn create_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<WebhookEndpointInput>,
) -> ApiResult<HttpResponse> {
    let input = body.into_inner();
    let writer = state.clone();
    let created =
        db::write(&state.pool, move |conn| service::create(conn, &caller, &policy(&writer), input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/webhook-endpoints/{}", created.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Get a webhook endpoint
///
/// One endpoint.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "get_webhook_endpoint",
    security(("bearer" = []), ("oauth2" = [])),
    params(("endpoint_id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpoint),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhook-endpoints/{endpoint_id}")]
async fn get_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let endpoint = db::run(&state.pool, move |conn| service::get(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(endpoint))
}

/// Change a webhook endpoint
///
/// Change an endpoint: URL, event types, description, or `enabled` (enabling again resumes
/// held deliveries, in order).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "patch_webhook_endpoint",
    security(("bearer" = []), ("oauth2" = [])),
    params(("endpoint_id" = String, Path, description = "Endpoint id")),
    request_body = WebhookEndpointPatch,
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpoint),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhook-endpoints/{endpoint_id}")]
async fn patch_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<WebhookEndpointPatch>,
) -> ApiResult<HttpResponse> {
    let (id, patch) = (path.into_inner(), body.into_inner());
    let writer = state.clone();
    let endpoint =
        db::write(&state.pool, move |conn| service::patch(conn, &caller, &policy(&writer), &id, patch))
            .await?;
    Ok(HttpResponse::Ok().json(endpoint))
}

/// Delete a webhook endpoint
///
/// Delete an endpoint and its delivery log.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "delete_webhook_endpoint",
    security(("bearer" = []), ("oauth2" = [])),
    params(("endpoint_id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/webhook-endpoints/{endpoint_id}")]
async fn delete_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    db::write(&state.pool, move |conn| service::delete(conn, &caller, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List an endpoint's deliveries
///
/// The endpoint's delivery log, newest first: status, attempts, last answer and error.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    security(("bearer" = []), ("oauth2" = [])),
    params(("endpoint_id" = String, Path, description = "Endpoint id"), DeliveryListQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = pagination::Page<WebhookDelivery>),
        (status = 404, description = "Unknown endpoint, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhook-endpoints/{endpoint_id}/deliveries")]
async fn list_deliveries(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<DeliveryListQuery>,
) -> ApiResult<HttpResponse> {
    let (id, query) = (path.into_inner(), query.into_inner());
    let page = db::run(&state.pool, move |conn| service::deliveries(conn, &caller, &id, &query)).await?;
    Ok(pagination::respond(&req, page))
}

/// Send a webhook delivery again
///
/// Send a delivery again, as new (pending now, attempts from zero).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "retry_webhook_delivery",
    security(("bearer" = []), ("oauth2" = [])),
    params(
        ("endpoint_id" = String, Path, description = "Endpoint id"),
        ("delivery_id" = String, Path, description = "Delivery id"),
    ),
    responses(
        (status = 202, description = "It will go out in its turn", body = DeliveryScheduled),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry")]
async fn retry_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (endpoint_id, delivery_id) = path.into_inner();
    let scheduled =
        db::write(&state.pool, move |conn| service::retry(conn, &caller, &endpoint_id, &delivery_id)).await?;
    Ok(HttpResponse::Accepted().json(scheduled))
}

/// Send a test message to a webhook endpoint
///
/// Send a `webhook.test` message to the endpoint (its delivery shows in the log).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "test_webhook_endpoint",
    security(("bearer" = []), ("oauth2" = [])),
    params(("endpoint_id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 202, description = "The test message will go out in its turn", body = DeliveryScheduled),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhook-endpoints/{endpoint_id}/test")]
async fn test_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let scheduled = db::write(&state.pool, move |conn| service::send_test(conn, &caller, &id)).await?;
    Ok(HttpResponse::Accepted().json(scheduled))
}
