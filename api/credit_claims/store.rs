//! Queries of credit claims and their history.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::{
    access::{activities_planned_by, ListScope},
    activities::dto::{ActivityFormat, CreditType},
    credit_claims::dto::{ClaimHistoryEntry, ClaimListQuery, ClaimStatus, CreditClaim},
    credits::Credits,
    db::{
        cached,
        condition::{Condition, FixedCondition},
        now,
        schema::{credit_claim_audit, credit_claims},
        to_utc, DbConnection,
    },
    error::{ApiError, ApiResult, ProblemType},
};

// `None` inserts NULL, not DEFAULT (no column here has another default): the INSERT has one
// shape, which diesel prepares once per connection instead of PostgreSQL parsing it each time.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = credit_claims, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ClaimRow {
    pub id: String,
    pub enrollment_id: String,
    pub activity_id: String,
    pub user_id: String,
    pub credit_type: String,
    pub amount_hundredths: i32,
    pub status: String,
    pub attested_at: NaiveDateTime,
    pub claimed_by: String,
    pub supersedes_id: Option<String>,
    pub superseded_by_id: Option<String>,
    pub completion_date: NaiveDate,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub awarded_at: Option<NaiveDateTime>,
    pub verification_code: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The session a series claim is for.
    pub session_id: Option<String>,
    pub moc_board: Option<String>,
    pub moc_credit_type: Option<String>,
    /// The activity's title and format as a transcript line shows them (kept current with the
    /// activity's edits).
    pub activity_title: String,
    pub activity_format: String,
    /// The ACPE Universal Activity Number of the activity's ACPE designation (ACPE claims only).
    pub acpe_uan: Option<String>,
}

impl ClaimRow {
    pub fn status(&self) -> ApiResult<ClaimStatus> {
        ClaimStatus::parse(&self.status).ok_or_else(|| ApiError::internal("unknown claim status"))
    }

    pub fn amount(&self) -> Credits {
        Credits::from_hundredths(self.amount_hundredths)
    }

    pub fn credit_type(&self) -> ApiResult<CreditType> {
        Ok(crate::db::parse_enum_text(&self.credit_type)?)
    }

    /// The claim as the API shows it; `base_url` is where the service is reached publicly.
    pub fn to_api(&self, base_url: &str) -> ApiResult<CreditClaim> {
        Ok(CreditClaim {
            id: self.id.clone(),
            enrollment_id: self.enrollment_id.clone(),
            activity_id: self.activity_id.clone(),
            user_id: self.user_id.clone(),
            credit_type: self.credit_type()?,
            amount: self.amount(),
            status: self.status()?,
            completion_date: self.completion_date,
            session_id: self.session_id.clone(),
            moc_board: self.moc_board.clone(),
            moc_credit_type: self.moc_credit_type.as_deref().map(crate::db::parse_enum_text).transpose()?,
            attested_at: to_utc(self.attested_at),
            supersedes_id: self.supersedes_id.clone(),
            superseded_by_id: self.superseded_by_id.clone(),
            decision_reason: self.decision_reason.clone(),
            decided_at: self.decided_at.map(to_utc),
            awarded_at: self.awarded_at.map(to_utc),
            verification_url: verification_url(base_url, &self.verification_code),
            version: self.version,
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
        })
    }
}

pub fn verification_url(base_url: &str, code: &str) -> String {
    format!("{}/v1/credit-verifications/{code}", base_url.trim_end_matches('/'))
}

pub fn insert(conn: &mut DbConnection, row: &ClaimRow) -> ApiResult<()> {
    diesel::insert_into(credit_claims::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<ClaimRow>> {
    Ok(credit_claims::table.find(id).select(ClaimRow::as_select()).first(conn).optional()?)
}

pub fn find_by_code(conn: &mut DbConnection, code: &str) -> ApiResult<Option<ClaimRow>> {
    Ok(credit_claims::table
        .filter(credit_claims::verification_code.eq(code))
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()?)
}

/// The claim of an enrollment and credit type in `status` (at most one is pending and one
/// awarded: unique indexes hold that).
/// The claim in `status` for the enrollment, credit type and (for a series) session.
pub fn in_status(
    conn: &mut DbConnection,
    enrollment_id: &str,
    credit_type: CreditType,
    session_id: Option<&str>,
    status: ClaimStatus,
) -> ApiResult<Option<ClaimRow>> {
    let query = credit_claims::table
        .filter(credit_claims::enrollment_id.eq(enrollment_id))
        .filter(credit_claims::credit_type.eq(crate::db::enum_text(&credit_type)))
        .filter(credit_claims::status.eq(status.as_str()))
        .select(ClaimRow::as_select())
        .into_boxed();
    let query = match session_id {
        Some(session) => query.filter(credit_claims::session_id.eq(session.to_string())),
        None => query.filter(credit_claims::session_id.is_null()),
    };
    Ok(query.first(conn).optional()?)
}

/// The series claims of an enrollment and credit type that stand or wait (awarded, pending).
pub fn session_claims(
    conn: &mut DbConnection,
    enrollment_id: &str,
    credit_type: CreditType,
) -> ApiResult<Vec<ClaimRow>> {
    Ok(credit_claims::table
        .filter(credit_claims::enrollment_id.eq(enrollment_id))
        .filter(credit_claims::credit_type.eq(crate::db::enum_text(&credit_type)))
        .filter(credit_claims::session_id.is_not_null())
        .filter(credit_claims::status.eq_any([ClaimStatus::Awarded.as_str(), ClaimStatus::Pending.as_str()]))
        .select(ClaimRow::as_select())
        .load(conn)?)
}

/// Writes `next` over `current` if nobody changed it meanwhile (409 otherwise).
pub fn save(conn: &mut DbConnection, current: &ClaimRow, mut next: ClaimRow) -> ApiResult<ClaimRow> {
    next.version = current.version + 1;
    next.updated_at = now();
    let this_version = credit_claims::id.eq(&current.id).and(credit_claims::version.eq(current.version));
    let updated = cached::update(credit_claims::table, this_version, &next).execute(conn)?;
    if updated == 0 {
        return Err(ApiError::Conflict {
            kind: ProblemType::ConcurrentUpdate,
            detail: "the claim changed meanwhile; read it again".into(),
        });
    }
    Ok(next)
}

/// Audit records are kept six years.
const RETENTION_YEARS: i32 = 6;

/// One line of a claim's history.
pub struct AuditEntry<'a> {
    pub action: &'a str,
    pub from: Option<ClaimStatus>,
    pub to: ClaimStatus,
    pub actor: &'a str,
    pub reason: Option<&'a str>,
}

pub fn audit(conn: &mut DbConnection, claim_id: &str, entry: AuditEntry) -> ApiResult<()> {
    let occurred_at = now();
    let today = occurred_at.date();
    let retain_until = today
        .with_year(today.year() + RETENTION_YEARS)
        .or_else(|| today.checked_add_months(chrono::Months::new(12 * RETENTION_YEARS as u32)))
        .unwrap_or(NaiveDate::MAX);
    diesel::insert_into(credit_claim_audit::table)
        .values((
            credit_claim_audit::id.eq(uuid::Uuid::now_v7().to_string()),
            credit_claim_audit::claim_id.eq(claim_id),
            credit_claim_audit::action.eq(entry.action),
            credit_claim_audit::from_status.eq(entry.from.map(ClaimStatus::as_str)),
            credit_claim_audit::to_status.eq(entry.to.as_str()),
            credit_claim_audit::actor.eq(entry.actor),
            credit_claim_audit::reason.eq(entry.reason),
            credit_claim_audit::occurred_at.eq(occurred_at),
            credit_claim_audit::retain_until.eq(retain_until),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn history(conn: &mut DbConnection, claim_id: &str) -> ApiResult<Vec<ClaimHistoryEntry>> {
    type Line = (String, Option<String>, String, String, Option<String>, NaiveDateTime);
    let lines: Vec<Line> = credit_claim_audit::table
        .filter(credit_claim_audit::claim_id.eq(claim_id))
        .order((credit_claim_audit::occurred_at, credit_claim_audit::id))
        .select((
            credit_claim_audit::action,
            credit_claim_audit::from_status,
            credit_claim_audit::to_status,
            credit_claim_audit::actor,
            credit_claim_audit::reason,
            credit_claim_audit::occurred_at,
        ))
        .load(conn)?;
    lines
        .into_iter()
        .map(|(action, from, to, actor, reason, at)| {
            Ok(ClaimHistoryEntry {
                action,
                from_status: from.as_deref().and_then(ClaimStatus::parse),
                to_status: ClaimStatus::parse(&to).ok_or_else(|| ApiError::internal("unknown status"))?,
                actor,
                reason,
                occurred_at: to_utc(at),
            })
        })
        .collect()
}

/// Change-order key for `updated_since`, id order otherwise.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct ClaimCursor {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<NaiveDateTime>,
}

pub fn list(
    conn: &mut DbConnection,
    query: &ClaimListQuery,
    scope: &ListScope,
    limit: i64,
    after: Option<ClaimCursor>,
) -> ApiResult<Vec<ClaimRow>> {
    let mut select = credit_claims::table.select(ClaimRow::as_select()).into_boxed();
    match scope {
        ListScope::Learner(user_id) => select = select.filter(credit_claims::user_id.eq(user_id.clone())),
        ListScope::Planner(user_id) => {
            select = select.filter(credit_claims::activity_id.eq_any(activities_planned_by(user_id.clone())))
        }
        ListScope::All => {}
    }
    if let Some(user_id) = query.user_id.as_deref().filter(|v| !v.is_empty()) {
        select = select.filter(credit_claims::user_id.eq(user_id.to_string()));
    }
    if let Some(activity_id) = query.activity_id.as_deref().filter(|v| !v.is_empty()) {
        select = select.filter(credit_claims::activity_id.eq(activity_id.to_string()));
    }
    if let Some(credit_type) = query.credit_type {
        select = select.filter(credit_claims::credit_type.eq(crate::db::enum_text(&credit_type)));
    }
    if let Some(status) = query.status {
        select = select.filter(credit_claims::status.eq(status.as_str()));
    }
    if let Some(from) = query.from {
        select = select.filter(credit_claims::completion_date.ge(from));
    }
    if let Some(to) = query.to {
        select = select.filter(credit_claims::completion_date.le(to));
    }
    if let Some(since) = query.updated_since {
        select = select
            .filter(credit_claims::updated_at.ge(since.naive_utc()))
            .order((credit_claims::updated_at, credit_claims::id));
        if let Some(ClaimCursor { id, updated_at: Some(at) }) = after {
            select = select.filter(crate::db::keyset::after("credit_claims", "updated_at", at, id));
        }
    } else {
        select = select.order(credit_claims::id);
        if let Some(cursor) = after {
            select = select.filter(credit_claims::id.gt(cursor.id));
        }
    }
    Ok(crate::db::page_limit::at_least(select, limit + 1).load(conn)?)
}

/// One awarded claim with what a transcript line shows of its activity.
pub struct TranscriptRow {
    pub claim_id: String,
    pub activity_id: String,
    pub credit_type: CreditType,
    pub amount: Credits,
    pub completion_date: NaiveDate,
    pub title: String,
    pub format: ActivityFormat,
    pub acpe_uan: Option<String>,
}

/// "Awarded", written as SQL text rather than compared with a bound parameter, so that a
/// prepared statement's generic plan can use the partial index `credit_claims_transcript`
/// (`WHERE status = 'awarded'`), which holds a learner's awards in transcript order.
#[derive(Debug, Clone, Copy)]
pub struct AwardedClaim;

impl FixedCondition for AwardedClaim {
    const SQL: &'static str = "\"credit_claims\".\"status\" = 'awarded'";
}

/// A learner's awarded claims, oldest first.
#[diesel::dsl::auto_type]
pub fn transcript_lines<'a>(user_id: &'a str) -> _ {
    let awarded: Condition<AwardedClaim> = Condition::new();
    credit_claims::table
        .filter(credit_claims::user_id.eq(user_id))
        .filter(awarded)
        .order((credit_claims::completion_date, credit_claims::id))
}

/// A learner's awarded claims with completion dates in the period, oldest first: one range of
/// one index, each line's activity fields kept on the claim.
pub fn awarded(
    conn: &mut DbConnection,
    user_id: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    credit_type: Option<CreditType>,
) -> ApiResult<Vec<TranscriptRow>> {
    let mut select = transcript_lines(user_id)
        // Only what a transcript shows: a learner may hold thousands of credits.
        .select((
            credit_claims::id,
            credit_claims::activity_id,
            credit_claims::credit_type,
            credit_claims::amount_hundredths,
            credit_claims::completion_date,
            credit_claims::activity_title,
            credit_claims::activity_format,
            credit_claims::acpe_uan,
        ))
        .into_boxed();
    if let Some(from) = from {
        select = select.filter(credit_claims::completion_date.ge(from));
    }
    if let Some(to) = to {
        select = select.filter(credit_claims::completion_date.le(to));
    }
    if let Some(credit_type) = credit_type {
        select = select.filter(credit_claims::credit_type.eq(crate::db::enum_text(&credit_type)));
    }
    type Row = (String, String, String, i32, NaiveDate, String, String, Option<String>);
    let rows: Vec<Row> = select.load(conn)?;
    rows.into_iter()
        .map(|(claim_id, activity_id, credit_type, hundredths, completion_date, title, format, acpe_uan)| {
            Ok(TranscriptRow {
                claim_id,
                activity_id,
                acpe_uan,
                credit_type: crate::db::parse_enum_text(&credit_type)?,
                amount: Credits::from_hundredths(hundredths),
                completion_date,
                title,
                format: crate::db::parse_enum_text(&format)?,
            })
        })
        .collect()
}

/// The activity's title and format on its claims, after an edit of either.
pub fn retitle(conn: &mut DbConnection, activity_id: &str, title: &str, format: &str) -> ApiResult<usize> {
    Ok(diesel::update(credit_claims::table.filter(credit_claims::activity_id.eq(activity_id)))
        .set((credit_claims::activity_title.eq(title), credit_claims::activity_format.eq(format)))
        .execute(conn)?)
}
