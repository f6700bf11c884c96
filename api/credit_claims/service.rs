//! Credit claim use cases, one public function each, run by the handler in one database call
//! (`db::write`, one transaction, for every change). Access is asked of [`crate::access`]:
//! learners claim for themselves, those who decide (the activity's planners, administrators)
//! review, and nobody decides on their own claim.

use std::collections::BTreeMap;

use crate::{
    access::{self, ListScope, Relation},
    activities::{
        self,
        dto::{ActivityFormat, ActivityInput, CreditReview, CreditType, MocCreditType},
        rules as activity_rules, ActivityRow,
    },
    auth::{Caller, Scope},
    config::ProviderSettings,
    credit_claims::{
        certificate::{self, CertificateText},
        dto::{
            AmendRequest, ClaimBatch, ClaimBatchResult, ClaimBatchRowResult, ClaimHistoryEntry,
            ClaimListQuery, ClaimRequest, ClaimStatus, CreditClaim, CreditTotal, Transcript, TranscriptEntry,
            TranscriptQuery, Verification,
        },
        rules::{self, AmountProblem},
        store::{self, AuditEntry, ClaimRow},
    },
    credit_events::{self, dto::CreditEventType},
    credits::Credits,
    db::{now, DbConnection},
    enrollments::{self, dto::EnrollmentStatus, EnrollmentRow},
    error::{ApiError, ApiResult, FieldError, ProblemType},
    http::pagination,
    provider, reporting,
    users::{self, dto::User},
};

/// Everything a claim is checked against.
struct ClaimContext {
    enrollment: EnrollmentRow,
    activity: ActivityRow,
    input: ActivityInput,
    learner: User,
    /// How the caller relates to the activity.
    relation: Relation,
}

fn rule(kind: ProblemType, title: &'static str, field: &str, message: String) -> ApiError {
    ApiError::Rule {
        kind,
        title,
        detail: message.clone(),
        errors: vec![FieldError::new(field, kind.slug(), message)],
    }
}

/// The claim if the caller may read it, and how they relate to its activity; 404 otherwise.
fn visible_claim(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<(ClaimRow, Relation)> {
    let claim = store::find(conn, id)?.ok_or(ApiError::NotFound)?;
    let relation = Relation::of(conn, caller, &claim.activity_id)?;
    access::may_read_claim(&relation, caller.user_id() == Some(claim.user_id.as_str())).check()?;
    Ok((claim, relation))
}

/// The claim and its activity, if the caller may read the claim (certificates).
pub fn visible_with_activity(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> ApiResult<(ClaimRow, ActivityRow)> {
    let (claim, _) = visible_claim(conn, caller, id)?;
    let activity = activities::service::find(conn, &claim.activity_id)?;
    Ok((claim, activity))
}

/// The enrollment a claim is for, if the caller may claim on it: its learner, the activity's
/// planners and administrators. Clients do not claim credit (403 before any lookup).
fn claim_context(conn: &mut DbConnection, caller: &Caller, enrollment_id: &str) -> ApiResult<ClaimContext> {
    if let Caller::Client { scopes, .. } = caller {
        // A client without the scope learns nothing of the enrollment.
        if !scopes.contains(&crate::auth::Scope::CreditsWrite) {
            let relation = Relation { who: access::Who::of(caller), plans: false, enrolled: false };
            access::may_file_claim(&relation, false, true).check()?;
        }
    }
    let enrollment = enrollments::service::find(conn, enrollment_id)?;
    let relation = Relation::of(conn, caller, &enrollment.activity_id)?;
    let activity = activities::service::find(conn, &enrollment.activity_id)?;
    let own = caller.user_id() == Some(enrollment.user_id.as_str());
    access::may_file_claim(&relation, own, activity.input()?.lms_reported_claims).check()?;
    // Attended time keeps counting as it passes: a live activity may be complete by now.
    enrollments::attendance::service::complete_if_met(conn, &activity, &enrollment)?;
    let enrollment = enrollments::service::find(conn, enrollment_id)?;
    let learner = users::service::record(conn, &enrollment.user_id)?.ok_or(ApiError::NotFound)?;
    let input = activity.input()?;
    Ok(ClaimContext { enrollment, activity, input, learner, relation })
}

/// What a claim is for: the enrollment as a whole, or (a series) one session of it.
struct Target<'a> {
    credit_type: CreditType,
    session_id: Option<&'a str>,
    /// The claim an amendment replaces (its amount does not count against the cap).
    replacing: Option<&'a str>,
    /// ABIM MOC: the kind of points claimed.
    moc_credit_type: Option<MocCreditType>,
}

/// The most a series session supports, and its date: the session's credit (at most the
/// designation's per-session maximum) and the time attended, less what is already claimed for
/// sessions that overlap it (overlapping sessions count once).
fn session_cap(
    conn: &mut DbConnection,
    ctx: &ClaimContext,
    target: &Target,
    session_id: &str,
    per_session_max: Credits,
) -> ApiResult<(Credits, chrono::NaiveDate)> {
    let at = crate::db::now();
    let credit_type = target.credit_type;
    let attended: Vec<(String, rules::AttendedSession)> =
        enrollments::attendance::service::sessions_attended(conn, &ctx.enrollment.id)?
            .into_iter()
            .map(|s| {
                let time = rules::credit_for_minutes(credit_type, s.presence.counted_minutes(&s.window, at));
                let credit = s.credit.unwrap_or(per_session_max).min(per_session_max).min(time);
                (
                    s.session_id,
                    rules::AttendedSession {
                        starts_at: s.window.starts_at,
                        ends_at: s.window.ends_at,
                        credit,
                    },
                )
            })
            .collect();
    let Some((_, this)) = attended.iter().find(|(id, s)| id == session_id && s.credit > Credits::ZERO) else {
        return Err(rule(
            ProblemType::SessionNotAttended,
            "The learner has no attended time in this session",
            "session_id",
            "a series is credited for the sessions attended: check in and out, or ask the planner to confirm"
                .into(),
        ));
    };
    let claimed: Vec<ClaimRow> = store::session_claims(conn, &ctx.enrollment.id, credit_type)?
        .into_iter()
        .filter(|c| c.session_id.as_deref() != Some(session_id) && Some(c.id.as_str()) != target.replacing)
        .collect();
    let overlaps = |s: &rules::AttendedSession| s.starts_at < this.ends_at && this.starts_at < s.ends_at;
    let is_claimed = |id: &str| claimed.iter().any(|c| c.session_id.as_deref() == Some(id));
    let group: Vec<(String, rules::AttendedSession)> = attended
        .iter()
        .filter(|(id, s)| id == session_id || (overlaps(s) && is_claimed(id)))
        .cloned()
        .collect();
    let claimed_in_group: Credits = claimed
        .iter()
        .filter(|c| group.iter().any(|(id, _)| c.session_id.as_deref() == Some(id)))
        .map(ClaimRow::amount)
        .sum();
    let sessions: Vec<rules::AttendedSession> = group.iter().map(|(_, s)| *s).collect();
    let group_cap = rules::attended_sessions_cap(credit_type, &sessions);
    let left = group_cap.saturating_sub(claimed_in_group);
    let date = activity_rules::local_date(crate::db::to_utc(this.starts_at), &ctx.input.time_zone);
    Ok((this.credit.min(left), date))
}

/// Every rule a claim must meet, in the order a learner would fix them; the amount when it
/// passes.
fn check_claim(
    conn: &mut DbConnection,
    ctx: &ClaimContext,
    target: &Target,
    amount: Credits,
    attestation: bool,
) -> ApiResult<(Credits, chrono::NaiveDate)> {
    let credit_type = target.credit_type;
    let series = ctx.input.format == ActivityFormat::Rss;
    match (series, target.session_id) {
        (true, None) => {
            return Err(ApiError::validation(
                "session_id",
                "required",
                "a series is credited per session: name the session attended",
            ))
        }
        (false, Some(_)) => {
            return Err(ApiError::validation(
                "session_id",
                "not_applicable",
                "only a series is credited per session",
            ))
        }
        _ => {}
    }
    let status = ctx.enrollment.status()?;
    let attending = matches!(status, EnrollmentStatus::Registered | EnrollmentStatus::Completed);
    if (series && !attending) || (!series && status != EnrollmentStatus::Completed) {
        return Err(not_completed(conn, ctx)?);
    }
    let designation =
        ctx.input.credit_designations.iter().find(|d| d.credit_type == credit_type).ok_or_else(|| {
            rule(
                ProblemType::CreditTypeNotDesignated,
                "The activity does not offer this credit type",
                "credit_type",
                format!("the activity is not designated for {}", crate::db::enum_text(&credit_type)),
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
                    crate::db::enum_text(&credit_type),
                    crate::db::enum_text(&p)
                ),
                None => "the learner's profile has no profession".into(),
            },
        ));
    }
    if let (CreditType::Acpe, Some(uan), Some(profession)) = (credit_type, &designation.acpe_uan, profession)
    {
        if !rules::uan_fits_profession(uan, profession) {
            return Err(rule(
                ProblemType::ProfessionNotEligible,
                "The learner's profession may not claim this credit type",
                "credit_type",
                format!(
                    "the activity's UAN {uan} is for {}",
                    if uan.ends_with("-T") { "pharmacy technicians" } else { "pharmacists" }
                ),
            ));
        }
    }
    check_moc_credit_type(credit_type, &designation.moc_credit_types, target.moc_credit_type)?;
    let maximum = designation.max_amount;
    let (cap, date) = match target.session_id {
        Some(session_id) => {
            let (cap, date) = session_cap(conn, ctx, target, session_id, maximum)?;
            (Some(cap), date)
        }
        None => (
            ctx.enrollment.minutes_spent.map(|m| rules::credit_for_minutes(credit_type, i64::from(m))),
            ctx.enrollment.completion_date.unwrap_or_else(|| now().date()),
        ),
    };
    let amount = rules::check_amount(amount, (!series).then_some(maximum), cap)
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
        let today = activity_rules::local_date(crate::db::now_utc(), &ctx.input.time_zone);
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
    Ok((amount, date))
}

/// ABIM MOC claims name one of the kinds of points the designation lists; other claims none.
fn check_moc_credit_type(
    credit_type: CreditType,
    designated: &[MocCreditType],
    claimed: Option<MocCreditType>,
) -> ApiResult<()> {
    let names = || designated.iter().map(crate::db::enum_text).collect::<Vec<_>>().join(", ");
    match (credit_type == CreditType::AbimMoc, claimed) {
        (false, Some(_)) => Err(ApiError::validation(
            "moc_credit_type",
            "not_applicable",
            "only ABIM MOC claims name a MOC credit type",
        )),
        (true, None) if !designated.is_empty() => Err(ApiError::validation(
            "moc_credit_type",
            "required",
            format!("ABIM counts MOC points by type: name one of {}", names()),
        )),
        (true, Some(kind)) if !designated.contains(&kind) => Err(ApiError::validation(
            "moc_credit_type",
            "not_designated",
            format!("the activity is registered for {}", names()),
        )),
        _ => Ok(()),
    }
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
        let done = enrollments::service::participation(
            conn,
            &ctx.enrollment.id,
            ctx.enrollment.minutes_spent,
            None,
        )?;
        errors.extend(enrollments::rules::missing_requirements(&ctx.input.completion_requirements, &done));
    }
    Ok(ApiError::Rule {
        kind: ProblemType::EnrollmentNotCompleted,
        title: "The enrollment is not completed",
        detail: message,
        errors,
    })
}

fn amount_problem(problem: AmountProblem, maximum: Credits, cap: Option<Credits>, series: bool) -> ApiError {
    let cap = cap.unwrap_or_default();
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

fn new_claim(
    ctx: &ClaimContext,
    target: &Target,
    (amount, completion_date): (Credits, chrono::NaiveDate),
    caller: &Caller,
) -> ClaimRow {
    let at = now();
    let credit_type = target.credit_type;
    ClaimRow {
        id: uuid::Uuid::now_v7().to_string(),
        enrollment_id: ctx.enrollment.id.clone(),
        activity_id: ctx.activity.id.clone(),
        user_id: ctx.enrollment.user_id.clone(),
        credit_type: crate::db::enum_text(&credit_type),
        amount_hundredths: amount.hundredths(),
        status: ClaimStatus::Pending.as_str().into(),
        attested_at: at,
        claimed_by: caller.actor(),
        supersedes_id: None,
        superseded_by_id: None,
        completion_date,
        session_id: target.session_id.map(str::to_string),
        moc_board: rules::moc_board(credit_type).map(str::to_string),
        moc_credit_type: target.moc_credit_type.map(|kind| crate::db::enum_text(&kind)),
        activity_title: ctx.activity.title.clone(),
        activity_format: ctx.activity.format.clone(),
        acpe_uan: match credit_type {
            CreditType::Acpe => ctx
                .input
                .credit_designations
                .iter()
                .find(|designation| designation.credit_type == credit_type)
                .and_then(|designation| designation.acpe_uan.clone()),
            _ => None,
        },
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
    // An amended award's credential is revoked with it (its replacement gets its own).
    crate::credentials::service::revoke_for_claim(conn, &old.id)?;
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
/// Appending is the last write (see `credit_events::service::append`).
fn award(
    conn: &mut DbConnection,
    claim: ClaimRow,
    actor: &str,
    action: &'static str,
    reason: Option<&str>,
    base_url: &str,
) -> ApiResult<ClaimRow> {
    let credit_type = claim.credit_type()?;
    let replaced = store::in_status(
        conn,
        &claim.enrollment_id,
        credit_type,
        claim.session_id.as_deref(),
        ClaimStatus::Awarded,
    )?;
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
    // Every award carries its verifiable credential from the start.
    crate::credentials::service::issue(conn, &saved, base_url)?;
    let (event, replaces) = match &replaced {
        Some(old) => (CreditEventType::Amended, Some(old.id.as_str())),
        None => (CreditEventType::Awarded, None),
    };
    let api = saved.to_api(base_url)?;
    // What the boards must receive, in the award's transaction (before the feed's append,
    // which is the last write).
    reporting::service::on_award(conn, &api, replaces)?;
    credit_events::service::append(conn, event, &api, replaces)?;
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
    let waiting = store::in_status(
        conn,
        &claim.enrollment_id,
        credit_type,
        claim.session_id.as_deref(),
        ClaimStatus::Pending,
    )?;
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

/// One active claim per enrollment and credit type (amend it instead); and a revoked credit
/// is claimed again only by those who decide on claims.
fn refuse_second_claim(conn: &mut DbConnection, ctx: &ClaimContext, target: &Target) -> ApiResult<()> {
    let (credit_type, session) = (target.credit_type, target.session_id);
    for status in [ClaimStatus::Pending, ClaimStatus::Awarded] {
        if let Some(existing) = store::in_status(conn, &ctx.enrollment.id, credit_type, session, status)? {
            return Err(ApiError::Conflict {
                kind: ProblemType::DuplicateClaim,
                detail: format!(
                    "claim {} is already {} for this enrollment and credit type; amend it instead",
                    existing.id, existing.status
                ),
            });
        }
    }
    if !access::may_reclaim_revoked(&ctx.relation)
        && store::in_status(conn, &ctx.enrollment.id, credit_type, session, ClaimStatus::Revoked)?.is_some()
    {
        return Err(ApiError::Conflict {
            kind: ProblemType::CreditRevoked,
            detail: "this credit was revoked; ask the activity's planners".into(),
        });
    }
    Ok(())
}

/// The claim, locked and re-read, if the caller may decide on it (never their own) and it is in
/// `expected`.
fn claim_to_decide(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    expected: ClaimStatus,
) -> ApiResult<ClaimRow> {
    let claim = store::find(conn, id)?.ok_or(ApiError::NotFound)?;
    let relation = Relation::of(conn, caller, &claim.activity_id)?;
    access::may_decide_claim(&relation, caller.user_id() == Some(claim.user_id.as_str())).check()?;
    enrollments::service::lock(conn, &claim.enrollment_id)?;
    let claim = store::find(conn, &claim.id)?.ok_or(ApiError::NotFound)?;
    if claim.status()? != expected {
        return Err(ApiError::Conflict {
            kind: ProblemType::InvalidTransition,
            detail: format!("the claim is {}, not {}", claim.status, expected.as_str()),
        });
    }
    Ok(claim)
}

/// Takes a claim out of force with a reason: a pending one is rejected, an awarded one revoked
/// (and the feed says `credit.revoked`, last in the transaction).
fn withdraw(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    reason: &str,
    to: ClaimStatus,
    base_url: &str,
) -> ApiResult<CreditClaim> {
    let (from, action) = if to == ClaimStatus::Revoked {
        (ClaimStatus::Awarded, "revoked")
    } else {
        (ClaimStatus::Pending, "rejected")
    };
    let claim = claim_to_decide(conn, caller, id, from)?;
    let actor = caller.actor();
    let mut next = claim.clone();
    next.status = to.as_str().into();
    next.decided_by = Some(actor.clone());
    next.decided_at = Some(now());
    next.decision_reason = Some(reason.to_string());
    let saved = store::save(conn, &claim, next)?;
    store::audit(
        conn,
        &claim.id,
        AuditEntry { action, from: Some(from), to, actor: &actor, reason: Some(reason) },
    )?;
    let api = saved.to_api(base_url)?;
    if to == ClaimStatus::Revoked {
        crate::credentials::service::revoke_for_claim(conn, &claim.id)?;
        reporting::service::on_withdrawal(conn, &claim.id)?;
        credit_events::service::append(conn, CreditEventType::Revoked, &api, None)?;
    }
    Ok(api)
}

/// Claim credit for a completed enrollment: every accreditation rule, each refusal with its
/// own problem type; awarded at once unless the activity reviews claims. With
/// `verified_only`, a person must have verified their email first (a credit record names
/// them to boards by it).
pub fn claim(
    conn: &mut DbConnection,
    caller: &Caller,
    request: &ClaimRequest,
    base_url: &str,
    verified_only: bool,
) -> ApiResult<CreditClaim> {
    enrollments::service::lock(conn, &request.enrollment_id)?;
    let ctx = claim_context(conn, caller, &request.enrollment_id)?;
    // A learner's own claim waits for their verified email; those who file for them vouch.
    if verified_only && caller.user_id() == Some(ctx.enrollment.user_id.as_str()) {
        users::service::ensure_email_verified(conn, &ctx.enrollment.user_id)?;
    }
    let target = Target {
        credit_type: request.credit_type,
        session_id: request.session_id.as_deref(),
        replacing: None,
        moc_credit_type: request.moc_credit_type,
    };
    refuse_second_claim(conn, &ctx, &target)?;
    let checked = check_claim(conn, &ctx, &target, request.amount, request.attestation)?;
    let claim = new_claim(&ctx, &target, checked, caller);
    file_claim(conn, &ctx, claim, caller, None, base_url)?.to_api(base_url)
}

/// Learners see their own; planners their activities'; administrators and clients with
/// `credits:read` all.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: &ClaimListQuery,
    base_url: &str,
) -> ApiResult<pagination::Page<CreditClaim>> {
    let scope = ListScope::of(caller, Scope::CreditsRead)?;
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<store::ClaimCursor>(query.cursor.as_deref())?;
    let by_change = query.updated_since.is_some();
    let rows = store::list(conn, query, &scope, limit, after)?;
    let key = |row: &ClaimRow| store::ClaimCursor {
        id: row.id.clone(),
        updated_at: by_change.then_some(row.updated_at),
    };
    pagination::paginate(rows, limit, key, |row| row.to_api(base_url)).transpose()
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str, base_url: &str) -> ApiResult<CreditClaim> {
    visible_claim(conn, caller, id)?.0.to_api(base_url)
}

pub fn history(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<Vec<ClaimHistoryEntry>> {
    let (claim, _) = visible_claim(conn, caller, id)?;
    store::history(conn, &claim.id)
}

/// A new claim with the new amount supersedes a pending or awarded one, checked by the same
/// rules.
pub fn amend(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    request: &AmendRequest,
    base_url: &str,
) -> ApiResult<CreditClaim> {
    let (old, _) = visible_claim(conn, caller, id)?;
    enrollments::service::lock(conn, &old.enrollment_id)?;
    let old = store::find(conn, &old.id)?.ok_or(ApiError::NotFound)?;
    if !matches!(old.status()?, ClaimStatus::Pending | ClaimStatus::Awarded) {
        return Err(ApiError::Conflict {
            kind: ProblemType::InvalidTransition,
            detail: format!("a {} claim cannot be amended", old.status),
        });
    }
    let ctx = claim_context(conn, caller, &old.enrollment_id)?;
    let target = Target {
        credit_type: old.credit_type()?,
        session_id: old.session_id.as_deref(),
        replacing: Some(&old.id),
        moc_credit_type: old.moc_credit_type.as_deref().map(crate::db::parse_enum_text).transpose()?,
    };
    let checked = check_claim(conn, &ctx, &target, request.amount, request.attestation)?;
    let mut claim = new_claim(&ctx, &target, checked, caller);
    claim.supersedes_id = Some(old.id.clone());
    file_claim(conn, &ctx, claim, caller, request.reason.as_deref(), base_url)?.to_api(base_url)
}

/// A pending claim is awarded (replacing the award it amends, if any).
pub fn approve(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    reason: Option<&str>,
    base_url: &str,
) -> ApiResult<CreditClaim> {
    let claim = claim_to_decide(conn, caller, id, ClaimStatus::Pending)?;
    award(conn, claim, &caller.actor(), "approved", reason, base_url)?.to_api(base_url)
}

pub fn reject(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    reason: &str,
    base_url: &str,
) -> ApiResult<CreditClaim> {
    withdraw(conn, caller, id, reason, ClaimStatus::Rejected, base_url)
}

pub fn revoke(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    reason: &str,
    base_url: &str,
) -> ApiResult<CreditClaim> {
    withdraw(conn, caller, id, reason, ClaimStatus::Revoked, base_url)
}

/// A learner's transcript: awarded credit with completion dates in the period, and totals per
/// credit type (the learner, administrators and clients with `credits:read`).
pub fn transcript(
    conn: &mut DbConnection,
    caller: &Caller,
    user_id: &str,
    query: &TranscriptQuery,
) -> ApiResult<Transcript> {
    access::may_read_transcript(caller, user_id).check()?;
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from > to {
            return Err(ApiError::validation("from", "order", "must not be after `to`"));
        }
    }
    let learner = users::service::account(conn, user_id)?.ok_or(ApiError::NotFound)?;
    let rows = store::awarded(conn, user_id, query.from, query.to, query.credit_type)?;
    let mut reporting = reporting::service::states_of_learner(conn, user_id)?;
    let mut totals: BTreeMap<_, Credits> = BTreeMap::new();
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        *totals.entry(row.credit_type).or_default() += row.amount;
        entries.push(TranscriptEntry {
            reporting: reporting.remove(&row.claim_id).unwrap_or_default(),
            claim_id: row.claim_id,
            activity_id: row.activity_id,
            activity_title: row.title,
            format: row.format,
            completion_date: row.completion_date,
            credit_type: row.credit_type,
            amount: row.amount,
            acpe_uan: row.acpe_uan,
        });
    }
    Ok(Transcript {
        user_id: learner.id,
        first_name: learner.first_name,
        last_name: learner.last_name,
        from: query.from,
        to: query.to,
        entries,
        totals: totals.into_iter().map(|(credit_type, amount)| CreditTotal { credit_type, amount }).collect(),
    })
}

/// The activity's title or format changed: its claims' transcript lines follow (the claims
/// themselves are unchanged, so neither their version nor the credit feed moves).
pub fn activity_retitled(conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()> {
    store::retitle(conn, &activity.id, &activity.title, &activity.format)?;
    Ok(())
}

/// The certificate of an awarded claim (whoever may read the claim): learner, activity,
/// dates, provider, credit type and amount, and the accreditor's statement.
pub fn certificate(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    settings: ProviderSettings,
) -> ApiResult<CertificateText> {
    let (claim, activity) = visible_with_activity(conn, caller, id)?;
    if claim.status()? != ClaimStatus::Awarded {
        return Err(ApiError::Conflict {
            kind: ProblemType::ClaimNotAwarded,
            detail: format!("certificates are issued for awarded credit; this claim is {}", claim.status),
        });
    }
    let learner = users::service::account(conn, &claim.user_id)?.ok_or(ApiError::NotFound)?;
    let profile = provider::service::profile(conn, &settings)?;
    let input = activity.input()?;
    let credit_type = claim.credit_type()?;
    let designation = input.credit_designations.iter().find(|d| d.credit_type == credit_type);
    let amount = claim.amount();
    let maximum = designation.map_or(amount, |d| d.max_amount);
    let designation_statement =
        match profile.designation_wording.iter().find(|w| w.credit_type == credit_type) {
            Some(own) => rules::own_wording(&own.statement, credit_type, input.format, maximum),
            None => rules::designation_statement(credit_type, &profile.legal_name, input.format, maximum),
        };
    let accreditation_statement = provider::rules::accreditation_for(&profile, credit_type)
        .map(|accreditation| provider::rules::accreditation_statement(&profile, accreditation));
    // A series session's certificate is dated with its session.
    let dates = match claim.session_id {
        Some(_) => claim.completion_date.to_string(),
        None => certificate::activity_dates(&input),
    };
    let place = match (&input.location, input.medium) {
        (Some(location), _) => Some(format!("Location: {location}")),
        (None, Some(medium)) => Some(format!("Medium: {}", crate::db::enum_text(&medium))),
        _ => None,
    };
    let signatory = match (&profile.signatory_name, &profile.signatory_title) {
        (Some(name), Some(title)) => Some(format!("{name}, {title}")),
        (Some(name), None) => Some(name.clone()),
        _ => None,
    };
    Ok(CertificateText {
        learner: format!("{} {}", learner.first_name, learner.last_name),
        degree: learner.degree,
        title: input.title.clone(),
        dates,
        place,
        completion_date: claim.completion_date.to_string(),
        credit_line: format!("{amount} {}", rules::unit(credit_type, amount)),
        designation_statement,
        accreditation_statement,
        joint_providership_statement: input
            .jointly_provided_with
            .as_deref()
            .map(|partner| provider::rules::joint_providership_statement(&profile, partner)),
        logo_url: profile.logo_url.clone(),
        uan: designation.and_then(|d| d.acpe_uan.clone()),
        verification_url: store::verification_url(&settings.public_url, &claim.verification_code),
        claim_id: claim.id,
        provider_name: profile.legal_name,
        provider_address: profile.address,
        signatory,
    })
}

/// The public check of a certificate's code: whether the credit stands, and the little a
/// certificate already shows. Claims never certified (pending, rejected) are not found.
pub fn verify(conn: &mut DbConnection, code: &str, settings: &ProviderSettings) -> ApiResult<Verification> {
    let claim = store::find_by_code(conn, code)?.ok_or(ApiError::NotFound)?;
    let status = claim.status()?;
    if status == ClaimStatus::Pending || status == ClaimStatus::Rejected {
        return Err(ApiError::NotFound);
    }
    let learner = users::service::account(conn, &claim.user_id)?.ok_or(ApiError::NotFound)?;
    let activity = activities::service::find(conn, &claim.activity_id)?;
    let credential = crate::credentials::service::state_of_claim(conn, &claim.id)?.map(|revoked| {
        use crate::credentials::dto::VerificationResult;
        if revoked {
            VerificationResult::Revoked
        } else {
            VerificationResult::Valid
        }
    });
    Ok(Verification {
        credential,
        valid: status == ClaimStatus::Awarded,
        status,
        learner_name: format!("{} {}", learner.first_name, learner.last_name),
        activity_title: activity.title,
        completion_date: claim.completion_date,
        credit_type: claim.credit_type()?,
        amount: claim.amount(),
        provider: provider::service::profile(conn, settings)?.legal_name,
    })
}

/// Files each row as [`claim`] would, each on its own (planners, administrators, and clients
/// with `credits:write` where the activity accepts LMS-reported claims).
pub fn claim_batch(
    conn: &mut DbConnection,
    caller: &Caller,
    batch: &ClaimBatch,
    base_url: &str,
    verified_only: bool,
) -> ApiResult<ClaimBatchResult> {
    if matches!(caller, Caller::User { role: crate::auth::Role::Learner, .. }) {
        return Err(access::forbidden_for_learners());
    }
    if let Some((index, why)) = rules::first_malformed_amount(batch.rows.iter().map(|row| row.amount)) {
        return Err(ApiError::validation(format!("rows[{index}].amount"), "range", why));
    }
    let results: Vec<ClaimBatchRowResult> =
        crate::http::batch::each_row(conn, &batch.rows, 201, |conn, row| {
            claim(conn, caller, row, base_url, verified_only)
        })
        .into_iter()
        .map(|row| ClaimBatchRowResult {
            index: row.index,
            status: row.status,
            claim: row.value,
            problem: row.problem,
        })
        .collect();
    let succeeded = results.iter().filter(|r| r.problem.is_none()).count();
    Ok(ClaimBatchResult { failed: results.len() - succeeded, succeeded, results })
}
