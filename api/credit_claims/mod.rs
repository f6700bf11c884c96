//! Credit claims: a learner (or a planner for them) claims credit for a completed enrollment;
//! the accreditors' rules decide whether and how much; activities award at once or after a
//! planner's review. Amendments supersede, revocations keep the record: history is added,
//! never edited, and every award, amendment and revocation goes to the credit feed in the
//! same transaction.

pub mod certificate;
pub mod dto;
pub mod rules;
pub mod store;
pub mod transcript;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    activities::{
        dto::{ActivityFormat, ActivityInput, CreditReview, CreditType},
        rules as activity_rules,
        store::{self as activity_store, ActivityRow},
    },
    auth::{Caller, Role, Scope},
    credit_claims::{
        dto::{
            AmendRequest, ApproveRequest, ClaimHistoryEntry, ClaimListQuery, ClaimRequest, ClaimStatus,
            CreditClaim, ReasonRequest,
        },
        rules::AmountProblem,
        store::{AuditEntry, ClaimRow},
    },
    credit_events::{self, dto::CreditEventType},
    db::{self, now, DbConnection},
    enrollments::{self, dto::EnrollmentStatus, store::EnrollmentRow},
    error::{ApiError, ApiResult, FieldError, Problem, ProblemType},
    http::{idempotency, json::ApiJson, pagination},
    state::AppState,
    users::{self, dto::User},
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_claim)
        .service(list_claims)
        .service(get_claim)
        .service(claim_history)
        .service(amend_claim)
        .service(approve_claim)
        .service(reject_claim)
        .service(revoke_claim)
        .configure(certificate::configure)
        .configure(transcript::configure);
}

/// Everything a claim is checked against.
struct ClaimContext {
    enrollment: EnrollmentRow,
    activity: ActivityRow,
    input: ActivityInput,
    learner: User,
}

fn rule(kind: ProblemType, title: &'static str, field: &str, message: String) -> ApiError {
    ApiError::Rule {
        kind,
        title,
        detail: message.clone(),
        errors: vec![FieldError::new(field, kind.slug(), message)],
    }
}

/// Whether the caller decides on the activity's claims: administrators and its planners.
fn decides(conn: &mut DbConnection, caller: &Caller, activity: &ActivityRow) -> ApiResult<bool> {
    Ok(match caller {
        Caller::User { role: Role::Admin, .. } => true,
        Caller::User { id, role: Role::Planner } => activity_store::is_planner_of(conn, activity, id)?,
        _ => false,
    })
}

/// Whether the caller may read claims of this activity and learner: the learner, those who
/// decide, and clients with `credits:read` (others are told 404, or 403 for clients).
fn may_read(
    conn: &mut DbConnection,
    caller: &Caller,
    user_id: &str,
    activity: &ActivityRow,
) -> ApiResult<bool> {
    if let Caller::Client { .. } = caller {
        caller.require_admin_or_scope(Scope::CreditsRead)?;
        return Ok(true);
    }
    Ok(matches!(caller, Caller::User { id, .. } if id == user_id) || decides(conn, caller, activity)?)
}

/// The claim if the caller may read it; 404 otherwise.
fn visible_claim(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<(ClaimRow, ActivityRow)> {
    let claim = store::find(conn, id)?.ok_or(ApiError::NotFound)?;
    let activity = activity_store::find(conn, &claim.activity_id)?.ok_or(ApiError::NotFound)?;
    if may_read(conn, caller, &claim.user_id, &activity)? {
        Ok((claim, activity))
    } else {
        Err(ApiError::NotFound)
    }
}

/// The claim if the caller decides on it: 404 if they may not even see it, 403 if they only
/// may see it.
fn decidable_claim(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<(ClaimRow, ActivityRow)> {
    let (claim, activity) = visible_claim(conn, caller, id)?;
    if !decides(conn, caller, &activity)? {
        return Err(ApiError::Forbidden {
            kind: ProblemType::Forbidden,
            detail: "claims are approved, rejected and revoked by the activity's planners and administrators"
                .into(),
        });
    }
    Ok((claim, activity))
}

/// The enrollment a claim is for, if the caller may claim on it: its learner, the activity's
/// planners and administrators. Clients do not claim credit.
fn claim_context(conn: &mut DbConnection, caller: &Caller, enrollment_id: &str) -> ApiResult<ClaimContext> {
    caller.person().map_err(|_| ApiError::Forbidden {
        kind: ProblemType::Forbidden,
        detail: "credit is claimed by learners, or by planners for them".into(),
    })?;
    let enrollment = enrollments::store::find(conn, enrollment_id)?.ok_or(ApiError::NotFound)?;
    let activity = activity_store::find(conn, &enrollment.activity_id)?.ok_or(ApiError::NotFound)?;
    let own = matches!(caller, Caller::User { id, .. } if *id == enrollment.user_id);
    if !own && !decides(conn, caller, &activity)? {
        return Err(ApiError::NotFound);
    }
    let learner = users::store::load(conn, &enrollment.user_id)?.ok_or(ApiError::NotFound)?;
    let input = activity.input()?;
    Ok(ClaimContext { enrollment, activity, input, learner })
}

/// Serializes claims on one enrollment across API processes (PostgreSQL); SQLite's write lock
/// already does.
fn lock_enrollment(conn: &mut DbConnection, enrollment_id: &str) -> ApiResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT id FROM enrollments WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(enrollment_id)
            .execute(pg)?;
    }
    Ok(())
}

/// The most the learner's participation supports (hundredths), if known: the sessions
/// attended for a series, the time spent otherwise.
fn participation_cap(
    conn: &mut DbConnection,
    ctx: &ClaimContext,
    credit_type: CreditType,
    per_session_max: i32,
) -> ApiResult<Option<i32>> {
    if ctx.input.format != ActivityFormat::Rss {
        return Ok(ctx
            .enrollment
            .minutes_spent
            .map(|m| rules::credit_for_minutes(credit_type, i64::from(m))));
    }
    use crate::db::schema::{activity_sessions, session_attendance};
    let attended: Vec<(chrono::NaiveDateTime, chrono::NaiveDateTime, Option<i32>, i32)> =
        session_attendance::table
            .inner_join(activity_sessions::table)
            .filter(session_attendance::enrollment_id.eq(&ctx.enrollment.id))
            .select((
                activity_sessions::starts_at,
                activity_sessions::ends_at,
                activity_sessions::credit_hundredths,
                session_attendance::minutes,
            ))
            .load(conn)?;
    let sessions: Vec<rules::AttendedSession> = attended
        .into_iter()
        .map(|(starts_at, ends_at, credit, minutes)| rules::AttendedSession {
            starts_at,
            ends_at,
            credit_hundredths: credit
                .unwrap_or(per_session_max)
                .min(per_session_max)
                .min(rules::credit_for_minutes(credit_type, i64::from(minutes))),
        })
        .collect();
    Ok(Some(rules::attended_sessions_cap(credit_type, &sessions)))
}

/// Every rule a claim must meet, in the order a learner would fix them; the amount in
/// hundredths when it passes.
fn check_claim(
    conn: &mut DbConnection,
    ctx: &ClaimContext,
    credit_type: CreditType,
    amount: f64,
    attestation: bool,
) -> ApiResult<i32> {
    if ctx.enrollment.status()? != EnrollmentStatus::Completed {
        return Err(not_completed(conn, ctx)?);
    }
    let designation =
        ctx.input.credit_designations.iter().find(|d| d.credit_type == credit_type).ok_or_else(|| {
            rule(
                ProblemType::CreditTypeNotDesignated,
                "The activity does not offer this credit type",
                "credit_type",
                format!("the activity is not designated for {}", activity_store::enum_str(&credit_type)),
            )
        })?;
    let profession = ctx.learner.profession;
    if !activity_rules::eligible_credit_types(&ctx.input, profession).contains(&credit_type) {
        return Err(rule(
            ProblemType::ProfessionNotEligible,
            "The learner's profession may not claim this credit type",
            "credit_type",
            match profession {
                Some(p) => format!(
                    "{} credit is not for {} learners",
                    activity_store::enum_str(&credit_type),
                    activity_store::enum_str(&p)
                ),
                None => "the learner's profile has no profession".into(),
            },
        ));
    }
    let maximum = activity_rules::hundredths(designation.max_amount).unwrap_or(0);
    let series = ctx.input.format == ActivityFormat::Rss;
    let cap = participation_cap(conn, ctx, credit_type, maximum)?;
    let amount = rules::check_amount(activity_rules::hundredths(amount), (!series).then_some(maximum), cap)
        .map_err(|problem| amount_problem(problem, designation.max_amount, cap, series))?;
    if !attestation {
        return Err(rule(
            ProblemType::AttestationRequired,
            "The participation attestation is missing",
            "attestation",
            "attest that the claim matches your actual participation (attestation: true)".into(),
        ));
    }
    if let Some(deadline) = activity_rules::effective_claim_deadline(&ctx.input) {
        let today = activity_rules::local_date(Utc::now(), &ctx.input.time_zone);
        if today > deadline {
            return Err(rule(
                ProblemType::ClaimDeadlinePassed,
                "The claim deadline has passed",
                "enrollment_id",
                format!("credit for this activity could be claimed until {deadline}"),
            ));
        }
    }
    let missing = rules::missing_reporting_fields(credit_type, &ctx.learner);
    if !missing.is_empty() {
        return Err(ApiError::Rule {
            kind: ProblemType::ReportingProfileIncomplete,
            title: "The learner's profile lacks what this credit is reported with",
            detail: format!("{} profile field(s) missing; update the profile and claim again", missing.len()),
            errors: missing,
        });
    }
    Ok(amount)
}

/// Why the enrollment is not complete: its status, and each requirement still missing (the
/// evaluation, the post-test, the time) as far as they are known.
fn not_completed(conn: &mut DbConnection, ctx: &ClaimContext) -> ApiResult<ApiError> {
    let message = format!(
        "credit is claimed after completing the activity; this enrollment is {}",
        ctx.enrollment.status
    );
    let mut errors = vec![FieldError::new("enrollment_id", "enrollment-not-completed", message.clone())];
    if ctx.enrollment.status()? == EnrollmentStatus::Registered {
        let done =
            enrollments::store::participation(conn, &ctx.enrollment.id, ctx.enrollment.minutes_spent, None)?;
        errors.extend(enrollments::rules::missing_requirements(&ctx.input.completion_requirements, &done));
    }
    Ok(ApiError::Rule {
        kind: ProblemType::EnrollmentNotCompleted,
        title: "The enrollment is not completed",
        detail: message,
        errors,
    })
}

fn amount_problem(problem: AmountProblem, maximum: f64, cap: Option<i32>, series: bool) -> ApiError {
    let cap = cap.map_or(0.0, activity_rules::from_hundredths);
    match problem {
        AmountProblem::Increment => rule(
            ProblemType::CreditAmountIncrement,
            "The amount is not a positive multiple of 0.25",
            "amount",
            "credit is claimed in 0.25 steps (0.25, 0.5, 0.75, ...)".into(),
        ),
        AmountProblem::AboveMaximum => rule(
            ProblemType::CreditAmountExceedsMaximum,
            "The amount exceeds the designated maximum",
            "amount",
            format!("the activity is designated for at most {maximum}"),
        ),
        AmountProblem::AboveParticipation if series => rule(
            ProblemType::CreditAmountExceedsAttendance,
            "The amount exceeds the sessions attended",
            "amount",
            format!("the sessions attended (overlapping ones counted once) support at most {cap}"),
        ),
        AmountProblem::AboveParticipation => rule(
            ProblemType::CreditAmountExceedsParticipation,
            "The amount exceeds the time spent",
            "amount",
            format!("the time spent in the activity supports at most {cap}"),
        ),
    }
}

fn new_claim(ctx: &ClaimContext, credit_type: CreditType, amount: i32, caller: &Caller) -> ClaimRow {
    let at = now();
    ClaimRow {
        id: uuid::Uuid::now_v7().to_string(),
        enrollment_id: ctx.enrollment.id.clone(),
        activity_id: ctx.activity.id.clone(),
        user_id: ctx.enrollment.user_id.clone(),
        credit_type: activity_store::enum_str(&credit_type),
        amount_hundredths: amount,
        status: ClaimStatus::Pending.as_str().into(),
        attested_at: at,
        claimed_by: caller.actor(),
        supersedes_id: None,
        superseded_by_id: None,
        completion_date: ctx.enrollment.completion_date.unwrap_or_else(|| at.date()),
        decision_reason: None,
        decided_by: None,
        decided_at: None,
        awarded_at: None,
        verification_code: crate::auth::secrets::random_token(18),
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// Marks `old` as replaced by `new_id`, with its history line.
fn supersede(conn: &mut DbConnection, old: &ClaimRow, new_id: &str, actor: &str) -> ApiResult<ClaimRow> {
    let mut next = old.clone();
    next.status = ClaimStatus::Superseded.as_str().into();
    next.superseded_by_id = Some(new_id.to_string());
    let saved = store::save(conn, old, next)?;
    store::audit(
        conn,
        &old.id,
        AuditEntry {
            action: "superseded",
            from: Some(old.status()?),
            to: ClaimStatus::Superseded,
            actor,
            reason: None,
        },
    )?;
    Ok(saved)
}

/// Awards `claim` (already stored, pending): replaces the award in force for the same
/// enrollment and credit type, if any, and appends `credit.awarded` or `credit.amended`.
/// Appending is the last write (see `credit_events::store`).
fn award(
    conn: &mut DbConnection,
    claim: ClaimRow,
    actor: &str,
    action: &'static str,
    reason: Option<&str>,
    base_url: &str,
) -> ApiResult<ClaimRow> {
    let credit_type = claim.credit_type()?;
    let replaced = store::in_status(conn, &claim.enrollment_id, credit_type, ClaimStatus::Awarded)?;
    if let Some(old) = &replaced {
        supersede(conn, old, &claim.id, actor)?;
    }
    let mut next = claim.clone();
    next.status = ClaimStatus::Awarded.as_str().into();
    next.awarded_at = Some(now());
    if action == "approved" {
        next.decided_by = Some(actor.to_string());
        next.decided_at = next.awarded_at;
        next.decision_reason = reason.map(str::to_string);
    }
    let saved = store::save(conn, &claim, next)?;
    store::audit(
        conn,
        &saved.id,
        AuditEntry { action, from: Some(ClaimStatus::Pending), to: ClaimStatus::Awarded, actor, reason },
    )?;
    let (event, replaces) = match &replaced {
        Some(old) => (CreditEventType::Amended, Some(old.id.as_str())),
        None => (CreditEventType::Awarded, None),
    };
    credit_events::store::append(conn, event, &saved.to_api(base_url)?, replaces)?;
    Ok(saved)
}

/// Stores a new claim (pending; `reason` says why an amendment was made), supersedes a
/// pending one it replaces, and awards it at once when the activity does not review claims.
fn file_claim(
    conn: &mut DbConnection,
    ctx: &ClaimContext,
    mut claim: ClaimRow,
    caller: &Caller,
    reason: Option<&str>,
    base_url: &str,
) -> ApiResult<ClaimRow> {
    let actor = caller.actor();
    let credit_type = claim.credit_type()?;
    let waiting = store::in_status(conn, &claim.enrollment_id, credit_type, ClaimStatus::Pending)?;
    if let Some(old) = &waiting {
        supersede(conn, old, &claim.id, &actor)?;
    }
    claim.status = ClaimStatus::Pending.as_str().into();
    store::insert(conn, &claim)?;
    store::audit(
        conn,
        &claim.id,
        AuditEntry { action: "claimed", from: None, to: ClaimStatus::Pending, actor: &actor, reason },
    )?;
    match ctx.input.credit_review {
        CreditReview::Required => Ok(claim),
        CreditReview::Automatic => award(conn, claim, &actor, "awarded", None, base_url),
    }
}

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
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Machine clients do not claim credit", body = Problem, content_type = "application/problem+json"),
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
    caller: Caller,
    body: ApiJson<ClaimRequest>,
) -> ApiResult<HttpResponse> {
    let base_url = state.settings.provider.public_url.clone();
    let stored =
        idempotency::create(&state.pool, &req, &caller, body.into_inner(), move |conn, caller, request| {
            lock_enrollment(conn, &request.enrollment_id)?;
            let ctx = claim_context(conn, caller, &request.enrollment_id)?;
            refuse_second_claim(conn, &ctx, request.credit_type, caller)?;
            let amount = check_claim(conn, &ctx, request.credit_type, request.amount, request.attestation)?;
            let claim = new_claim(&ctx, request.credit_type, amount, caller);
            let saved = file_claim(conn, &ctx, claim, caller, None, &base_url)?;
            serde_json::to_string(&saved.to_api(&base_url)?).map_err(ApiError::internal)
        })
        .await?;
    Ok(stored.respond_created("/v1/credit-claims"))
}

/// One active claim per enrollment and credit type (amend it instead); and a revoked credit
/// is claimed again only by those who decide on claims.
fn refuse_second_claim(
    conn: &mut DbConnection,
    ctx: &ClaimContext,
    credit_type: CreditType,
    caller: &Caller,
) -> ApiResult<()> {
    for status in [ClaimStatus::Pending, ClaimStatus::Awarded] {
        if let Some(existing) = store::in_status(conn, &ctx.enrollment.id, credit_type, status)? {
            return Err(ApiError::Conflict {
                kind: ProblemType::DuplicateClaim,
                detail: format!(
                    "claim {} is already {} for this enrollment and credit type; amend it instead",
                    existing.id, existing.status
                ),
            });
        }
    }
    if !decides(conn, caller, &ctx.activity)?
        && store::in_status(conn, &ctx.enrollment.id, credit_type, ClaimStatus::Revoked)?.is_some()
    {
        return Err(ApiError::Conflict {
            kind: ProblemType::CreditRevoked,
            detail: "this credit was revoked; ask the activity's planners".into(),
        });
    }
    Ok(())
}

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
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
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
    let scope = enrollments::store::Scope::of(&caller, Scope::CreditsRead)?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<store::ClaimCursor>(query.cursor.as_deref())?;
    let by_change = query.updated_since.is_some();
    let base_url = state.settings.provider.public_url.clone();
    let rows = db::run(&state.pool, move |conn| store::list(conn, &query, &scope, limit, after)).await?;
    let key = |row: &ClaimRow| store::ClaimCursor {
        id: row.id.clone(),
        updated_at: by_change.then_some(row.updated_at),
    };
    let page = pagination::paginate(rows, limit, key, |row| row.to_api(&base_url));
    let data = page.data.into_iter().collect::<ApiResult<Vec<_>>>()?;
    Ok(pagination::respond(&req, pagination::Page { data, next_cursor: page.next_cursor }))
}

/// One claim (404 for claims that are not yours to see).
#[utoipa::path(
    tag = "credit",
    operation_id = "get_credit_claim",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(("claim_id" = String, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The claim", body = CreditClaim),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
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
    let claim =
        db::run(&state.pool, move |conn| visible_claim(conn, &caller, &id)?.0.to_api(&base_url)).await?;
    Ok(HttpResponse::Ok().json(claim))
}

/// A claim's history: every change of status, who made it, when and why (kept six years).
#[utoipa::path(
    tag = "credit",
    operation_id = "credit_claim_history",
    security(("bearer" = []), ("oauth2" = ["credits:read"])),
    params(("claim_id" = String, Path, description = "Claim id")),
    responses(
        (status = 200, description = "Oldest first", body = Vec<ClaimHistoryEntry>),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
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
    let history = db::run(&state.pool, move |conn| {
        let (claim, _) = visible_claim(conn, &caller, &id)?;
        store::history(conn, &claim.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(history))
}

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
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
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
            let (old, _) = visible_claim(conn, caller, &id)?;
            lock_enrollment(conn, &old.enrollment_id)?;
            let old = store::find(conn, &old.id)?.ok_or(ApiError::NotFound)?;
            if !matches!(old.status()?, ClaimStatus::Pending | ClaimStatus::Awarded) {
                return Err(ApiError::Conflict {
                    kind: ProblemType::InvalidTransition,
                    detail: format!("a {} claim cannot be amended", old.status),
                });
            }
            let ctx = claim_context(conn, caller, &old.enrollment_id)?;
            let credit_type = old.credit_type()?;
            let amount = check_claim(conn, &ctx, credit_type, request.amount, request.attestation)?;
            let mut claim = new_claim(&ctx, credit_type, amount, caller);
            claim.supersedes_id = Some(old.id.clone());
            let saved = file_claim(conn, &ctx, claim, caller, request.reason.as_deref(), &base_url)?;
            serde_json::to_string(&saved.to_api(&base_url)?).map_err(ApiError::internal)
        })
        .await?;
    Ok(stored.respond_created("/v1/credit-claims"))
}

/// Approve a pending claim: it is awarded (replacing the award it amends, if any).
#[utoipa::path(
    tag = "credit",
    operation_id = "approve_credit_claim",
    security(("bearer" = [])),
    params(("claim_id" = String, Path, description = "Claim id")),
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "Awarded", body = CreditClaim),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a planner of the activity", body = Problem, content_type = "application/problem+json"),
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
        let claim = claim_to_decide(conn, &caller, &id, ClaimStatus::Pending)?;
        award(conn, claim, &caller.actor(), "approved", reason.as_deref(), &base_url)?.to_api(&base_url)
    })
    .await?;
    Ok(HttpResponse::Ok().json(claim))
}

/// The claim, locked and re-read, if the caller decides on it and it is in `expected`.
fn claim_to_decide(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    expected: ClaimStatus,
) -> ApiResult<ClaimRow> {
    let (claim, _) = decidable_claim(conn, caller, id)?;
    lock_enrollment(conn, &claim.enrollment_id)?;
    let claim = store::find(conn, &claim.id)?.ok_or(ApiError::NotFound)?;
    if claim.status()? != expected {
        return Err(ApiError::Conflict {
            kind: ProblemType::InvalidTransition,
            detail: format!("the claim is {}, not {}", claim.status, expected.as_str()),
        });
    }
    Ok(claim)
}

/// Reject a pending claim, with a reason the learner sees.
#[utoipa::path(
    tag = "credit",
    operation_id = "reject_credit_claim",
    security(("bearer" = [])),
    params(("claim_id" = String, Path, description = "Claim id")),
    request_body = ReasonRequest,
    responses(
        (status = 200, description = "Rejected", body = CreditClaim),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a planner of the activity", body = Problem, content_type = "application/problem+json"),
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
    withdraw(state, caller, path.into_inner(), body.into_inner().reason, ClaimStatus::Rejected).await
}

/// Takes a claim out of force with a reason: a pending one is rejected, an awarded one revoked
/// (and the feed says `credit.revoked`, last in the transaction).
async fn withdraw(
    state: web::Data<AppState>,
    caller: Caller,
    id: String,
    reason: String,
    to: ClaimStatus,
) -> ApiResult<HttpResponse> {
    let base_url = state.settings.provider.public_url.clone();
    let (from, action) = if to == ClaimStatus::Revoked {
        (ClaimStatus::Awarded, "revoked")
    } else {
        (ClaimStatus::Pending, "rejected")
    };
    let claim = db::write(&state.pool, move |conn| -> ApiResult<_> {
        let claim = claim_to_decide(conn, &caller, &id, from)?;
        let actor = caller.actor();
        let mut next = claim.clone();
        next.status = to.as_str().into();
        next.decided_by = Some(actor.clone());
        next.decided_at = Some(now());
        next.decision_reason = Some(reason.clone());
        let saved = store::save(conn, &claim, next)?;
        store::audit(
            conn,
            &claim.id,
            AuditEntry { action, from: Some(from), to, actor: &actor, reason: Some(&reason) },
        )?;
        let api = saved.to_api(&base_url)?;
        if to == ClaimStatus::Revoked {
            credit_events::store::append(conn, CreditEventType::Revoked, &api, None)?;
        }
        Ok(api)
    })
    .await?;
    Ok(HttpResponse::Ok().json(claim))
}

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
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a planner of the activity", body = Problem, content_type = "application/problem+json"),
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
    withdraw(state, caller, path.into_inner(), body.into_inner().reason, ClaimStatus::Revoked).await
}
