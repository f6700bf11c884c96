//! HTTP for credit claims: extract, call one use case of [`super::service`], map the result.

use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::{Caller, PendingCaller},
    credit_claims::{
        certificate as layout,
        dto::{
            AmendRequest, ApproveRequest, ClaimBatch, ClaimBatchResult, ClaimHistoryEntry, ClaimListQuery,
            ClaimRequest, CreditClaim, ReasonRequest, Transcript, TranscriptQuery, Verification,
        },
        service, transcript,
    },
    db,
    error::{ApiResult, Problem},
    http::{self, csv, idempotency, json::ApiJson, pagination},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    // The batch first: `/credit-claims/{claim_id}` would take its path otherwise.
    cfg.service(create_claim_batch)
        .service(create_claim)
        .service(list_claims)
        .service(get_claim)
        .service(claim_history)
        .service(amend_claim)
        .service(approve_claim)
        .service(reject_claim)
        .service(revoke_claim)
        .service(my_transcript)
        .service(user_transcript)
        .service(certificate)
        .service(verify);
}

/// Claim credit for a completed enrollment
///
/// Claim credit for a completed enrollment. Every accreditation rule is checked, each refusal
/// with its own problem type; the claim is awarded at once unless the activity reviews claims
/// (`credit_review: required`), and then waits `pending`. Send `Idempotency-Key` to retry
/// safely.
#[utoipa::path(
    tag = "credit",
    operation_id = "create_credit_claim",
    security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Same key and body replay the first response"),
    ),
    request_body = ClaimRequest,
    responses(
        (status = 201, description = "Claimed: awarded, or pending review", body = CreditClaim, headers(("Location" = String))),
        (status = 403, description = "Machine clients do not claim credit; or the learner's email is not verified yet (`email-unverified`: follow the link mailed at sign-up)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown enrollment, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An active claim exists for this enrollment and credit type (the detail names it), or the credit was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A credit rule is not met: `enrollment-not-completed`, `credit-type-not-designated`, \
            `profession-not-eligible`, `credit-amount-increment`, `credit-amount-exceeds-maximum`, \
            `credit-amount-exceeds-participation`, `credit-amount-exceeds-attendance`, `attestation-required`, \
            `claim-deadline-passed`, `reporting-profile-incomplete`; or an invalid body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credit-claims")]
async fn create_claim(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: PendingCaller,
    body: ApiJson<ClaimRequest>,
) -> ApiResult<HttpResponse> {
    let base_url = state.settings.provider.public_url.clone();
    let verified_only = state.settings.auth.require_verified_email;
    let stored =
        idempotency::create(&state.pool, &req, caller, body.into_inner(), move |conn, caller, request| {
            service::claim(conn, caller, &request, &base_url, verified_only)
        })
        .await?;
    Ok(stored.respond_created("/v1/credit-claims"))
}

/// List credit claims
///
/// Credit claims: learners see their own; planners their activities'; administrators and
/// clients with `credits:read` all.
#[utoipa::path(
    tag = "credit",
    operation_id = "list_credit_claims",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(ClaimListQuery),
    responses(
        (status = 200, description = "A page of claims", body = pagination::Page<CreditClaim>),
        (status = 400, description = "Invalid query or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Client without credits:read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-claims")]
async fn list_claims(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ClaimListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let base_url = state.settings.provider.public_url.clone();
    let page = db::run(&state.pool, move |conn| service::list(conn, &caller, &query, &base_url)).await?;
    Ok(pagination::respond(&req, page))
}

/// Get a credit claim
///
/// One claim (404 for claims that are not yours to see).
#[utoipa::path(
    tag = "credit",
    operation_id = "get_credit_claim",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(("claim_id" = String, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The claim", body = CreditClaim),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-claims/{claim_id}")]
async fn get_claim(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let base_url = state.settings.provider.public_url.clone();
    let claim = db::run(&state.pool, move |conn| service::get(conn, &caller, &id, &base_url)).await?;
    Ok(HttpResponse::Ok().json(claim))
}

/// A claim's history of changes
///
/// A claim's history: every change of status, who made it, when and why (kept six years).
#[utoipa::path(
    tag = "credit",
    operation_id = "credit_claim_history",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(("claim_id" = String, Path, description = "Claim id")),
    responses(
        (status = 200, description = "Oldest first", body = Vec<ClaimHistoryEntry>),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-claims/{claim_id}/history")]
async fn claim_history(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let history = db::run(&state.pool, move |conn| service::history(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(history))
}

/// Amend a pending or awarded claim
///
/// Amend a pending or awarded claim: a new claim with the new amount supersedes it, checked
/// by the same rules (the old one stays on record, `superseded`). Where the activity reviews
/// claims, the amendment waits for approval and the award in force stays until then.
#[utoipa::path(
    tag = "credit",
    operation_id = "amend_credit_claim",
    security(("bearer" = [])),
    params(
        ("claim_id" = String, Path, description = "Claim id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Same key and body replay the first response"),
    ),
    request_body = AmendRequest,
    responses(
        (status = 201, description = "The new claim", body = CreditClaim, headers(("Location" = String))),
        (status = 403, description = "Machine clients do not claim credit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The claim is no longer active (rejected, revoked or superseded)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A credit rule is not met (as for a new claim)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credit-claims/{claim_id}/amend")]
async fn amend_claim(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<AmendRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let base_url = state.settings.provider.public_url.clone();
    let stored =
        idempotency::create(&state.pool, &req, &caller, body.into_inner(), move |conn, caller, request| {
            service::amend(conn, caller, &id, &request, &base_url)
        })
        .await?;
    Ok(stored.respond_created("/v1/credit-claims"))
}

/// Approve a pending claim
///
/// Approve a pending claim: it is awarded (replacing the award it amends, if any).
#[utoipa::path(
    tag = "credit",
    operation_id = "approve_credit_claim",
    security(("bearer" = [])),
    params(("claim_id" = String, Path, description = "Claim id")),
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "Awarded", body = CreditClaim),
        (status = 403, description = "Not a planner of the activity (`forbidden`), or the caller's own claim (`own-claim-decision`): nobody decides on their own credit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credit-claims/{claim_id}/approve")]
async fn approve_claim(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ApproveRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let reason = body.into_inner().reason;
    let base_url = state.settings.provider.public_url.clone();
    let claim = db::write(&state.pool, move |conn| {
        service::approve(conn, &caller, &id, reason.as_deref(), &base_url)
    })
    .await?;
    Ok(HttpResponse::Ok().json(claim))
}

/// Reject a pending claim
///
/// Reject a pending claim, with a reason the learner sees.
#[utoipa::path(
    tag = "credit",
    operation_id = "reject_credit_claim",
    security(("bearer" = [])),
    params(("claim_id" = String, Path, description = "Claim id")),
    request_body = ReasonRequest,
    responses(
        (status = 200, description = "Rejected", body = CreditClaim),
        (status = 403, description = "Not a planner of the activity (`forbidden`), or the caller's own claim (`own-claim-decision`): nobody decides on their own credit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credit-claims/{claim_id}/reject")]
async fn reject_claim(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ReasonRequest>,
) -> ApiResult<HttpResponse> {
    let (id, reason) = (path.into_inner(), body.into_inner().reason);
    let base_url = state.settings.provider.public_url.clone();
    let claim =
        db::write(&state.pool, move |conn| service::reject(conn, &caller, &id, &reason, &base_url)).await?;
    Ok(HttpResponse::Ok().json(claim))
}

/// Revoke an awarded claim
///
/// Revoke an awarded claim, with a reason: it leaves the transcript and the credit feed says
/// `credit.revoked`. The record stays.
#[utoipa::path(
    tag = "credit",
    operation_id = "revoke_credit_claim",
    security(("bearer" = [])),
    params(("claim_id" = String, Path, description = "Claim id")),
    request_body = ReasonRequest,
    responses(
        (status = 200, description = "Revoked", body = CreditClaim),
        (status = 403, description = "Not a planner of the activity (`forbidden`), or the caller's own claim (`own-claim-decision`): nobody decides on their own credit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not awarded", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credit-claims/{claim_id}/revoke")]
async fn revoke_claim(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ReasonRequest>,
) -> ApiResult<HttpResponse> {
    let (id, reason) = (path.into_inner(), body.into_inner().reason);
    let base_url = state.settings.provider.public_url.clone();
    let claim =
        db::write(&state.pool, move |conn| service::revoke(conn, &caller, &id, &reason, &base_url)).await?;
    Ok(HttpResponse::Ok().json(claim))
}

fn transcript_response(req: &HttpRequest, transcript: Transcript) -> HttpResponse {
    if csv::wanted(req) {
        csv::attachment("transcript.csv", transcript::to_csv(&transcript))
    } else {
        HttpResponse::Ok().json(transcript)
    }
}

/// Get your transcript
///
/// Your transcript: awarded credit with completion dates in the period, and totals per credit
/// type. `Accept: text/csv` for a spreadsheet.
#[utoipa::path(
    tag = "credit",
    operation_id = "my_transcript",
    security(("bearer" = [])),
    params(TranscriptQuery),
    responses(
        (status = 200, description = "The transcript", content(
            (Transcript = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, description = "Machine clients have no transcript", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/transcript")]
async fn my_transcript(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<TranscriptQuery>,
) -> ApiResult<HttpResponse> {
    let user_id = caller.person()?.0.to_string();
    let query = query.into_inner();
    let transcript =
        db::run(&state.pool, move |conn| service::transcript(conn, &caller, &user_id, &query)).await?;
    Ok(transcript_response(&req, transcript))
}

/// Get a learner's transcript
///
/// A learner's transcript: the learner, administrators and clients with `credits:read`.
#[utoipa::path(
    tag = "credit",
    operation_id = "user_transcript",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(("user_id" = String, Path, description = "User id"), TranscriptQuery),
    responses(
        (status = 200, description = "The transcript", content(
            (Transcript = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, description = "Client without credits:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown user, or not yours to see", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{user_id}/transcript")]
async fn user_transcript(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<TranscriptQuery>,
) -> ApiResult<HttpResponse> {
    let user_id = path.into_inner();
    let query = query.into_inner();
    let transcript =
        db::run(&state.pool, move |conn| service::transcript(conn, &caller, &user_id, &query)).await?;
    Ok(transcript_response(&req, transcript))
}

/// Get the certificate of an awarded claim
///
/// The certificate of an awarded claim, with what the accreditors require: the provider and
/// its accreditation statement, the designation statement for the credit type, the learner,
/// the activity, its dates (a series session's date) and place, the credit, the UAN for ACPE,
/// the signatory and a public verification link. HTML, or PDF with `Accept: application/pdf`.
#[utoipa::path(
    tag = "credit",
    operation_id = "credit_certificate",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(("claim_id" = String, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The certificate", content(
            (String = "text/html"),
            (Vec<u8> = "application/pdf"),
        )),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The claim is not awarded (pending, rejected, revoked or superseded)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-claims/{claim_id}/certificate")]
async fn certificate(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let provider = state.settings.provider.clone();
    let text = db::run(&state.pool, move |conn| service::certificate(conn, &caller, &id, provider)).await?;
    if http::accepts(&req, "application/pdf") {
        return Ok(HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((header::CONTENT_DISPOSITION, "inline; filename=\"certificate.pdf\""))
            .body(layout::render_pdf(&text)));
    }
    let html = layout::render(&text);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src https:",
        ))
        .body(html))
}

/// Check a certificate's verification code
///
/// Public check of a certificate's verification code (no token): whether the credit stands,
/// and the little a certificate already shows. Browsers (`Accept: text/html`) get a small
/// page; programs JSON.
#[utoipa::path(
    tag = "credit",
    operation_id = "verify_credit",
    security(()),
    params(("code" = String, Path, description = "The code in the certificate's verification link")),
    responses(
        (status = 200, description = "The credit, and whether it is valid", content(
            (Verification = "application/json"),
            (String = "text/html"),
        )),
        (status = 404, description = "No certificate has this code", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-verifications/{code}")]
async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let provider = state.settings.provider.clone();
    let verification = db::run(&state.pool, move |conn| service::verify(conn, &code, &provider)).await?;
    if http::accepts(&req, "text/html") {
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"))
            .body(layout::render_verification(&verification)));
    }
    Ok(HttpResponse::Ok().json(verification))
}

/// File up to 500 credit claims at once
///
/// File up to 500 claims (planners and administrators for their learners; integration clients
/// with `credits:write` where the activity accepts LMS-reported claims, each row carrying the
/// learner's attestation the LMS collected). Each row is checked and filed as a single claim
/// would be, on its own: 200 with one result per row (`status` 201 and the claim, or the row's
/// problem). Send `Idempotency-Key` to retry the whole batch safely.
#[utoipa::path(
    tag = "credit",
    operation_id = "create_credit_claim_batch",
    security(("bearer" = []), ("oauth2" = ["credits:write"])),
    params(
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Same key and body replay the first response"),
    ),
    request_body = ClaimBatch,
    responses(
        (status = 200, description = "One result per row", body = ClaimBatchResult),
        (status = 403, description = "Learners claim one at a time", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (more than 500 rows, a malformed row)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credit-claims/batch")]
async fn create_claim_batch(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<ClaimBatch>,
) -> ApiResult<HttpResponse> {
    let base_url = state.settings.provider.public_url.clone();
    let verified_only = state.settings.auth.require_verified_email;
    let answer =
        idempotency::batch(&state.pool, &req, &caller, body.into_inner(), move |conn, caller, batch| {
            service::claim_batch(conn, caller, &batch, &base_url, verified_only)
        })
        .await?;
    Ok(answer.respond())
}
