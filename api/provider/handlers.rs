//! HTTP for the provider profile: extract, call one use case of [`super::service`], map the
//! result.

use actix_web::{get, http::StatusCode, put, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::Caller,
    db,
    error::{ApiResult, Problem},
    http::{etag, json::ApiJson},
    provider::{
        dto::{Provider, ProviderInput},
        service,
    },
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_provider).service(put_provider);
}

/// Get the accredited provider's profile
///
/// The accredited provider: name, address, accreditations, statements and signatory, as
/// certificates print them. Public.
#[utoipa::path(
    tag = "provider",
    operation_id = "get_provider",
    security(()),
    responses((status = 200, description = "The profile", body = Provider, headers(("ETag" = String))))
)]
#[get("/provider")]
async fn get_provider(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let settings = state.settings.provider.clone();
    let provider = db::run(&state.pool, move |conn| service::get(conn, &settings)).await?;
    Ok(etag::versioned(StatusCode::OK, provider.version, &provider))
}

/// Replace the provider profile
///
/// Replace the provider profile (administrators; `If-Match` honoured when sent).
#[utoipa::path(
    tag = "provider",
    operation_id = "put_provider",
    security(("bearer" = [])),
    params(("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^(\*|"[0-9]+"|[0-9]+)$"#, description = "ETag of the version you edited")),
    request_body = ProviderInput,
    responses(
        (status = 200, description = "The saved profile", body = Provider, headers(("ETag" = String))),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/provider")]
async fn put_provider(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<ProviderInput>,
) -> ApiResult<HttpResponse> {
    let precondition = etag::if_match(&req);
    let input = body.into_inner();
    let settings = state.settings.provider.clone();
    let provider =
        db::write(&state.pool, move |conn| service::replace(conn, &caller, precondition, &input, &settings))
            .await?;
    Ok(etag::versioned(StatusCode::OK, provider.version, &provider))
}
