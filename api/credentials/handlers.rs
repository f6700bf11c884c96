//! HTTP for credentials: extract, call one use case of [`super::service`], map the result.

use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::{keys::SigningAlgorithm, Caller},
    credentials::{
        dto::{CredentialVerification, IssuedCredential, SigningQuery, VerificationRequest},
        layout, rules,
        service::{self, IssuerSettings},
    },
    db,
    error::{ApiResult, Problem},
    http::{self, etag, json::ApiJson},
    state::AppState,
};

/// The media type of a JWT-secured verifiable credential (VC-JOSE-COSE).
const VC_JWT: &str = "application/vc+jwt";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(claim_credential).service(status_list).service(verify_credential).service(issuer);
}

fn issuer_settings(state: &AppState) -> IssuerSettings {
    IssuerSettings {
        provider: state.settings.provider.clone(),
        homepage: state.settings.mail.portal_url.clone(),
        key_encryption_key: state.settings.auth.key_encryption_key,
    }
}

/// Get the Open Badges 3.0 credential of an awarded claim
///
/// The Open Badges 3.0 credential of an awarded claim, signed as a VC-JWT (EdDSA, `kid` a URL
/// in `/.well-known/jwks.json`), for a wallet or a portfolio: the learner, the activity's
/// planners, administrators and clients with `credits:read`.
///
/// The credential names the learner only by a salted hash of their email, states the activity
/// (`achievement`), the credit type and amount (`result`, `creditsEarned`), the completion date
/// and, for ACPE, the UAN (`humanCode`); it carries a `BitstringStatusListEntry` whose bit is set
/// when the claim is revoked or amended. JSON by default (the JWT and its decoded payload);
/// `Accept: application/vc+jwt` returns the compact JWS alone, `Accept: image/svg+xml` a badge
/// image with the credential baked in (OB 3.0 §5.3).
#[utoipa::path(
    tag = "credentials",
    operation_id = "get_claim_credential",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(("claim_id" = String, Path, description = "Claim id"), SigningQuery),
    responses(
        (status = 200, description = "The credential", content(
            (IssuedCredential = "application/json"),
            (String = "application/vc+jwt", example = "eyJhbGciOiJFZERTQSIsImtpZCI6Imh0dHBzOi8vY2UuZXhhbXBsZS5lZHUvLndlbGwta25vd24vandrcy5qc29uI2tQcksiLCJ0eXAiOiJKV1QifQ.e30.c2ln"),
            (String = "image/svg+xml"),
        )),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The claim is not awarded (pending, rejected, revoked or superseded)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credit-claims/{claim_id}/credential")]
async fn claim_credential(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<SigningQuery>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let algorithm = query.alg.unwrap_or_default().signing();
    let settings = issuer_settings(&state);
    if algorithm == SigningAlgorithm::Rs256 {
        // Outside the write below: making an RSA key takes a while, and happens once.
        let prepared = settings.clone();
        db::run(&state.pool, move |conn| service::prepare_rsa_key(conn, &prepared)).await?;
    }
    // A write: an award made before credentials existed gets its credential now.
    let issued =
        db::write(&state.pool, move |conn| service::for_claim(conn, &caller, &id, &settings, algorithm))
            .await?;
    if http::accepts(&req, VC_JWT) {
        return Ok(HttpResponse::Ok().content_type(VC_JWT).body(issued.jwt));
    }
    if http::accepts(&req, "image/svg+xml") {
        let title =
            issued.credential["credentialSubject"]["achievement"]["name"].as_str().unwrap_or_default();
        return Ok(HttpResponse::Ok()
            .content_type("image/svg+xml")
            .insert_header((header::CONTENT_DISPOSITION, "inline; filename=\"credential.svg\""))
            .body(layout::baked_svg(title, &issued.jwt)));
    }
    Ok(HttpResponse::Ok().json(issued))
}

/// Get a signed Bitstring Status List
///
/// A Bitstring Status List credential (W3C), signed as a VC-JWT: the revocation bits of up to
/// 131,072 credentials, GZIP-compressed and base64url-encoded in `credentialSubject.encodedList`
/// (index 0 the left-most bit). Public and cacheable: `ETag` changes with every revocation,
/// `If-None-Match` answers 304.
#[utoipa::path(
    tag = "credentials",
    operation_id = "get_credential_status_list",
    security(()),
    params(("list_id" = String, Path, description = "Status list id (from a credential's `statusListCredential`)")),
    responses(
        (status = 200, description = "The signed status list", content(
            (String = "application/vc+jwt", example = "eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiIsInR5cCI6InZjK2p3dCJ9.eyJ0eXBlIjpbIlZlcmlmaWFibGVDcmVkZW50aWFsIiwiQml0c3RyaW5nU3RhdHVzTGlzdENyZWRlbnRpYWwiXX0.c2ln"),
        ), headers(("ETag" = String), ("Cache-Control" = String), ("Last-Modified" = String))),
        (status = 304, description = "The copy named in `If-None-Match` is current", headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 404, description = "No such list", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/credential-status/{list_id}")]
async fn status_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<SigningQuery>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let algorithm = query.alg.unwrap_or_default().signing();
    let settings = issuer_settings(&state);
    let list =
        db::run(&state.pool, move |conn| service::status_list(conn, &id, &settings, algorithm)).await?;
    let tag = etag::etag(list.version);
    let cache = format!("public, max-age={}", rules::STATUS_LIST_TTL_SECONDS);
    if etag::none_match_hits(&req, &tag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(VC_JWT)
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((
            header::LAST_MODIFIED,
            list.updated_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ))
        .body(list.jwt))
}

/// Verify an Open Badges credential (VC-JWT)
///
/// Check a VC-JWT this service issued, as any verifier would: the key it names is one of this
/// issuer's published credential keys, the signature holds, the contexts, types and JWT claims
/// match the credential (OB 3.0 §8.2.4), it is within its dates, and its revocation bit is
/// clear. Answers `valid`, `invalid` or `revoked` with every check made and why one failed. A
/// credential that fails a check is an answer, not an error (200). Browsers
/// (`Accept: text/html`) get a page.
#[utoipa::path(
    tag = "credentials",
    operation_id = "verify_credential",
    security(()),
    request_body = VerificationRequest,
    responses(
        (status = 200, description = "The verdict and its checks", content(
            (CredentialVerification = "application/json"),
            (String = "text/html"),
        )),
        (status = 422, description = "The body is not a credential to check", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credential-verifications")]
async fn verify_credential(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<VerificationRequest>,
) -> ApiResult<HttpResponse> {
    let request = body.into_inner();
    let settings = issuer_settings(&state);
    let verdict =
        db::run(&state.pool, move |conn| service::verify(conn, &request.credential, &settings)).await?;
    if http::accepts(&req, "text/html") {
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"))
            .body(layout::verification_page(&verdict)));
    }
    Ok(HttpResponse::Ok().json(verdict))
}

/// The credential issuer's Open Badges profile
///
/// The issuer of every credential: its Open Badges `Profile` (the `issuer.id` of credentials
/// dereferences here). Public.
#[utoipa::path(
    tag = "credentials",
    operation_id = "get_credential_issuer",
    security(()),
    responses((status = 200, description = "The issuer profile", body = Object, example = json!({
        "id": "https://ce.example.edu/v1/credential-issuer", "type": ["Profile"],
        "name": "Example School of Medicine CE", "url": "https://learn.example.edu",
        "description": "1 Campus Drive, Springfield", "email": "ce@example.edu"
    })))
)]
#[get("/credential-issuer")]
async fn issuer(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let settings = issuer_settings(&state);
    let profile = db::run(&state.pool, move |conn| service::issuer_profile(conn, &settings)).await?;
    Ok(HttpResponse::Ok().json(profile))
}
