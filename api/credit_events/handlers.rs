//! HTTP for the credit feed: extract, call [`super::service::page`], map the result.

use actix_web::{get, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::Caller,
    credit_events::{
        dto::{CreditEventPage, CreditEventQuery},
        service,
    },
    db,
    error::{ApiResult, Problem},
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(feed);
}

/// Read the credit feed after a cursor
///
/// Credit events after a cursor, oldest first. A client that stores `next_cursor` and polls
/// with it sees every event exactly once, even while claims commit concurrently (the design
/// is in docs/ARCHITECTURE.md). Administrators and clients with `credits:read`.
#[utoipa::path(
    tag = "credit",
    operation_id = "credit_events",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(CreditEventQuery),
    responses(
        (status = 200, description = "Events after the cursor", body = CreditEventPage),
        (status = 400, description = "Invalid cursor or limit", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an administrator nor a client with credits:read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-events")]
async fn feed(
    state: web::Data<crate::state::AppState>,
    caller: Caller,
    query: web::Query<CreditEventQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let page = db::run(&state.pool, move |conn| service::page(conn, &caller, &query)).await?;
    Ok(HttpResponse::Ok().json(page))
}
