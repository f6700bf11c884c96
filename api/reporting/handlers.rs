//! HTTP for reporting to the boards: extract, call one use case of [`super::service`], map
//! the result.

use actix_web::{get, http::header, post, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::Caller,
    db,
    error::{ApiError, ApiResult, FieldError, Problem, ProblemType},
    http::{json::ApiJson, pagination},
    reporting::{
        dto::{Batch, BatchRequest, Deadlines, ItemQuery, ReportingItem, ResultsRequest},
        service::{self, Built},
        submitters::Submitter,
    },
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_items)
        .service(deadlines)
        .service(create_batch)
        .service(list_batches)
        .service(get_batch)
        .service(batch_file)
        .service(submit_batch)
        .service(batch_results);
}

/// List what the boards must receive
///
/// What the boards must receive, by due date: one item per award a destination takes (ACPE
/// credit → CPE Monitor, MOC points → PARS, a licensee's CE in a CE Broker state → CE Broker)
/// and one per correction of something already sent. Administrators and clients with
/// `reporting:read` see all, planners their activities'.
#[utoipa::path(
    tag = "reporting",
    operation_id = "list_reporting_items",
    security(("bearer" = []), ("oauth2" = ["reporting:read"])),
    params(ItemQuery),
    responses(
        (status = 200, description = "A page of items, by due date", body = pagination::Page<ReportingItem>),
        (status = 400, description = "Invalid query or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Learners, leadership and clients without reporting:read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reporting/items")]
async fn list_items(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ItemQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let page = db::run(&state.pool, move |conn| service::list(conn, &caller, &query)).await?;
    Ok(pagination::respond(&req, page))
}

/// Reporting deadlines per destination
///
/// The CE office's dashboard: per destination, items overdue, due today, due in the next seven
/// days and later; held back for a missing identifier; due again after a rejection; awaiting
/// the destination's answer.
#[utoipa::path(
    tag = "reporting",
    operation_id = "reporting_deadlines",
    security(("bearer" = []), ("oauth2" = ["reporting:read"])),
    responses(
        (status = 200, description = "Counts per destination", body = Deadlines),
        (status = 403, description = "Learners, leadership and clients without reporting:read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reporting/deadlines")]
async fn deadlines(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let deadlines = db::run(&state.pool, move |conn| service::deadlines(conn, &caller)).await?;
    Ok(HttpResponse::Ok().json(deadlines))
}

/// Freeze a reporting batch for one destination
///
/// Freeze a batch for one destination (the items named, or every due one) and render its
/// file. Each item is checked first: one that lacks what the destination requires (a
/// learner's NABP e-Profile ID, the activity's ACCME activity ID...) is held back, named with
/// the reason, and stays due. Administrators and planners (their activities' items).
#[utoipa::path(
    tag = "reporting",
    operation_id = "create_reporting_batch",
    security(("bearer" = [])),
    request_body = BatchRequest,
    responses(
        (status = 201, description = "Built; `held_back` lists what was left out", body = Batch, headers(("Location" = String))),
        (status = 403, description = "Not an administrator or planner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another batch took some of the items meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body or item ids; or `nothing-to-report`: no item could go, each named with its reason", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/reporting/batches")]
async fn create_batch(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<BatchRequest>,
) -> ApiResult<HttpResponse> {
    let request = body.into_inner();
    let settings = state.settings.provider.clone();
    let built =
        db::write(&state.pool, move |conn| service::build_batch(conn, &caller, &request, &settings)).await?;
    match built {
        Built::Batch(batch) => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/v1/reporting/batches/{}", batch.id)))
            .json(batch)),
        // The reasons are kept on the items (committed); the answer says nothing was built.
        Built::Nothing(held) => Err(ApiError::Rule {
            kind: ProblemType::NothingToReport,
            title: "No item can be reported",
            detail: if held.is_empty() {
                "no item is due for this destination".into()
            } else {
                format!("{} item(s) held back", held.len())
            },
            errors: held
                .into_iter()
                .map(|h| FieldError::new(format!("items[{}]", h.item_id), "held", h.reason))
                .collect(),
        }),
    }
}

/// List reporting batches
///
/// The newest 100 batches: administrators all, planners their own.
#[utoipa::path(
    tag = "reporting",
    operation_id = "list_reporting_batches",
    security(("bearer" = []), ("oauth2" = ["reporting:read"])),
    responses(
        (status = 200, description = "Batches, newest first", body = Vec<Batch>),
        (status = 403, description = "Learners, leadership and clients without reporting:read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reporting/batches")]
async fn list_batches(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let batches = db::run(&state.pool, move |conn| service::batches(conn, &caller)).await?;
    Ok(HttpResponse::Ok().json(batches))
}

/// Get a reporting batch
///
/// One batch and how many of its items were accepted or rejected.
#[utoipa::path(
    tag = "reporting",
    operation_id = "get_reporting_batch",
    security(("bearer" = []), ("oauth2" = ["reporting:read"])),
    params(("batch_id" = String, Path, description = "Batch id")),
    responses(
        (status = 200, description = "The batch", body = Batch),
        (status = 403, description = "Learners, leadership and clients without reporting:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reporting/batches/{batch_id}")]
async fn get_batch(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let batch = db::run(&state.pool, move |conn| service::batch(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(batch))
}

/// Download a reporting batch's file
///
/// The batch's file, as the destination takes it: CPE Monitor JSON, CE Broker roster XML or
/// PARS learner XML, with its file name.
#[utoipa::path(
    tag = "reporting",
    operation_id = "get_reporting_batch_file",
    security(("bearer" = []), ("oauth2" = ["reporting:read"])),
    params(("batch_id" = String, Path, description = "Batch id")),
    responses(
        (status = 200, description = "The file", content(
            (Object = "application/json", example = json!({
                "provider_number": "0197", "provider_name": "Riverside University School of Medicine",
                "records": [{"record_id": "01938f5e-8a4b-7c3d-9e2f-0a1b2c3d4e5f", "epid": "1234567",
                    "date_of_birth": "0415", "uan": "0197-0000-26-001-L01-P",
                    "date_of_participation": "2026-12-01", "credit_hours": 3.5,
                    "first_name": "Jordan", "last_name": "Rivera", "action": "I"}],
            })),
            (String = "application/xml", example = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rosters id_parent_provider=\"50-12345\"><roster>...</roster></rosters>"),
        ), headers(("Content-Disposition" = String, description = "`attachment; filename=\"...\"`: the file's name"))),
        (status = 403, description = "Learners, leadership and clients without reporting:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reporting/batches/{batch_id}/file")]
async fn batch_file(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let (name, media_type, body) =
        db::run(&state.pool, move |conn| service::batch_file(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok()
        .content_type(format!("{media_type}; charset=utf-8"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(body))
}

/// Submit a reporting batch
///
/// Submit the batch. Where the destination's web service is configured (CPE Monitor:
/// `CE_CPE_MONITOR_USERNAME`/`PASSWORD`; CE Broker: `CE_CEBROKER_URL`/`UPLOAD_KEY`) the
/// batch is sent to it and its answers are recorded: CPE Monitor answers per participation
/// (accepted, or rejected with its message: due again); CE Broker for the upload (accepted,
/// or its message kept in `service_message` while the answers are recorded by hand). If the
/// service cannot be reached, 503 and the batch stays built. Otherwise this records that the
/// CE office uploaded the file: its items await the answers.
#[utoipa::path(
    tag = "reporting",
    operation_id = "submit_reporting_batch",
    security(("bearer" = [])),
    params(("batch_id" = String, Path, description = "Batch id")),
    responses(
        (status = 200, description = "Submitted", body = Batch),
        (status = 403, description = "Not an administrator or planner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already submitted, or being sent", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The destination's web service did not answer; the batch stays built", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/reporting/batches/{batch_id}/submission")]
async fn submit_batch(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let (who, which) = (caller.clone(), id.clone());
    let destination = db::run(&state.pool, move |conn| service::destination_of(conn, &who, &which)).await?;
    let submitter = Submitter::for_destination(destination, &state.settings.boards);
    if let Submitter::File = submitter {
        let batch = db::write(&state.pool, move |conn| service::submit(conn, &caller, &id)).await?;
        return Ok(HttpResponse::Ok().json(batch));
    }
    let (who, which) = (caller.clone(), id.clone());
    let file = db::write(&state.pool, move |conn| service::start_sending(conn, &who, &which)).await?;
    // Sent outside any transaction: no connection is held while the service answers.
    match submitter.send(&state.settings.outbound, &file).await {
        Ok(Some(sent)) => {
            let batch =
                db::write(&state.pool, move |conn| service::record_sending(conn, &caller, &id, sent)).await?;
            Ok(HttpResponse::Ok().json(batch))
        }
        Ok(None) => Err(ApiError::internal("a web-service submitter sent nothing")),
        Err(error) => {
            let reason = error.to_string();
            let message = reason.clone();
            db::write(&state.pool, move |conn| service::sending_failed(conn, &caller, &id, &message)).await?;
            Err(ApiError::Upstream(reason))
        }
    }
}

/// Record what a destination answered
///
/// What the destination answered, per item: accepted items are done; rejected ones are due
/// again, with the destination's message in `rejection`.
#[utoipa::path(
    tag = "reporting",
    operation_id = "record_reporting_results",
    security(("bearer" = [])),
    params(("batch_id" = String, Path, description = "Batch id")),
    request_body = ResultsRequest,
    responses(
        (status = 200, description = "Recorded", body = Batch),
        (status = 403, description = "Not an administrator or planner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The batch is not submitted (or every answer is in)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An item not in the batch, answered already or named twice; a rejection without the message", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/reporting/batches/{batch_id}/results")]
async fn batch_results(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ResultsRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let request = body.into_inner();
    let batch =
        db::write(&state.pool, move |conn| service::record_results(conn, &caller, &id, &request)).await?;
    Ok(HttpResponse::Ok().json(batch))
}
