//! Liveness and readiness probes for load balancers and orchestrators.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{db, error::ApiResult, state::AppState};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// Probe result.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process serves HTTP
///
/// Liveness: the process is up and serving HTTP. Never touches the database.
#[utoipa::path(
    tag = "operations",
    operation_id = "healthz",
    security(()),
    responses((status = 200, description = "The process is alive", body = HealthStatus))
)]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus { status: "ok" })
}

/// Readiness: whether the database answers
///
/// Readiness: the database answers. Returns 503 problem+json (with `Retry-After`) while it
/// does not, and 200 again as soon as it does, without a restart.
#[utoipa::path(
    tag = "operations",
    operation_id = "readyz",
    security(()),
    responses(
        (status = 200, description = "The database is reachable", body = HealthStatus),
        (status = 503, description = "The database is unreachable", body = crate::error::Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds to wait before retrying")))
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    db::ping(&state.pool).await?;
    Ok(HttpResponse::Ok().json(HealthStatus { status: "ready" }))
}
