//! Enrollment use cases, one public function each, run by the handler in one database call
//! (`db::write`, one transaction, for every change). Access is asked of [`crate::access`].

use crate::{
    access::{self, ListScope, Relation},
    activities::{
        self,
        dto::{ActivityFormat, ActivityStatus},
        ActivityRow,
    },
    auth::{Caller, PendingCaller, Role, Scope},
    db::{self, now, DbConnection},
    enrollments::{
        dto::{
            BatchResult, BatchRowResult, CompletionBatch, CompletionRequest, EnrollRequest, Enrollment,
            EnrollmentBatch, EnrollmentBatchRow, EnrollmentListQuery, EnrollmentStatus,
        },
        rules,
        store::{self, EnrollmentRow},
    },
    error::{ApiError, ApiResult, ProblemType},
    http::{batch, csv, pagination},
    users::{self, dto::Profession},
    webhooks::EventType,
};

/// Whom the activity is shown as: clients see what the public sees (their enrollment scopes,
/// not `activities:read`, decide what they may do here).
fn viewer(caller: &Caller) -> Option<&Caller> {
    match caller {
        Caller::Client { .. } => None,
        person => Some(person),
    }
}

fn profession_of(conn: &mut DbConnection, user_id: &str) -> ApiResult<Option<Profession>> {
    Ok(users::service::account(conn, user_id)?
        .and_then(|u| u.profession.as_deref().and_then(Profession::parse)))
}

fn to_api(conn: &mut DbConnection, row: EnrollmentRow, activity: &ActivityRow) -> ApiResult<Enrollment> {
    let profession = profession_of(conn, &row.user_id)?;
    row.into_api(activity, profession)
}

/// An enrollment the caller may see, with its activity and the caller's relation to it; 404
/// otherwise.
fn visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> ApiResult<(EnrollmentRow, ActivityRow, Relation)> {
    let row = store::find(conn, id)?.ok_or(ApiError::NotFound)?;
    let activity = activities::service::find(conn, &row.activity_id)?;
    let relation = Relation::of(conn, caller, &activity.id)?;
    access::may_read_enrollment(&relation, caller.user_id() == Some(row.user_id.as_str())).check()?;
    Ok((row, activity, relation))
}

fn registration_open(activity: &ActivityRow) -> ApiResult<()> {
    if activity.status()? != ActivityStatus::Published {
        return Err(ApiError::Conflict {
            kind: ProblemType::EnrollmentClosed,
            detail: "only published activities take enrollments".into(),
        });
    }
    let now = now();
    let opens = activity.registration_opens_at.or(activity.published_at);
    // By default a course closes registration when it starts, a series (whose sessions run for
    // months) when it ends, and an enduring material when it expires.
    let default_close = if activity.format == db::enum_text(&ActivityFormat::Rss) {
        activity.ends_at
    } else {
        activity.starts_at
    };
    let closes = activity
        .registration_closes_at
        .or(default_close)
        .or_else(|| activity.expiry_date.and_then(|d| d.and_hms_opt(0, 0, 0)));
    if opens.is_some_and(|t| now < t) || closes.is_some_and(|t| now >= t) {
        return Err(ApiError::Conflict {
            kind: ProblemType::RegistrationWindow,
            detail: "registration for this activity is not open now".into(),
        });
    }
    Ok(())
}

/// Whom the request names, known before anything is read: learners name themselves only (403
/// otherwise); managers a learner account by id or email, or themselves. `None` when a client
/// names nobody (422, once it is known that it may enroll anyone: [`learner_to_enroll`]).
fn learner_named<'a>(
    caller: &'a Caller,
    request: &'a EnrollRequest,
) -> ApiResult<Option<store::LearnerRef<'a>>> {
    let named = request.user_id.is_some() || request.email.is_some();
    Ok(match (caller, &request.user_id, &request.email) {
        (Caller::User { id, role: Role::Learner }, ..) => {
            if named && request.user_id.as_deref() != Some(id.as_str()) {
                return Err(ApiError::Forbidden {
                    kind: ProblemType::Forbidden,
                    detail: "learners enroll themselves only".into(),
                });
            }
            Some(store::LearnerRef::Id(id))
        }
        (_, Some(user_id), _) => Some(store::LearnerRef::Id(user_id)),
        (_, None, Some(email)) => Some(store::LearnerRef::Email(email)),
        (Caller::User { id, .. }, None, None) => Some(store::LearnerRef::Id(id)),
        (Caller::Client { .. }, None, None) => None,
    })
}

/// The learner to enroll, from what [`learner_named`] named and the lock read: learners
/// themselves; others only if they may enroll into this activity. An unknown account and one
/// that is not a learner's get the same answer, so nobody discovers accounts by enrolling them.
fn learner_to_enroll(
    conn: &mut DbConnection,
    caller: &Caller,
    activity: &ActivityRow,
    named: ApiResult<Option<store::LearnerRef>>,
    found: Option<store::Learner>,
) -> ApiResult<store::Learner> {
    let named = named?;
    if !matches!(caller, Caller::User { role: Role::Learner, .. }) {
        access::may_enroll_others(&Relation::of(conn, caller, &activity.id)?).check()?;
    }
    if named.is_none() {
        return Err(ApiError::validation("user_id", "required", "name the learner by user_id or email"));
    }
    let enrolls_self = |id: &str| caller.user_id() == Some(id);
    found
        .filter(|learner| learner.active)
        .filter(|learner| {
            enrolls_self(&learner.id)
                || Role::parse(&learner.role).is_some_and(access::may_be_enrolled_by_manager)
        })
        .ok_or_else(|| ApiError::Rule {
            kind: ProblemType::UnknownLearner,
            title: "The learner does not exist",
            detail: "no active learner account has that id or email".into(),
            errors: Vec::new(),
        })
}

/// Enrolls a learner: a seat if one is free, else the end of the waitlist. The activity is
/// locked first and read under the lock, so the capacity counted is the one in force; the
/// learner named is read with it (see `store::lock_activity_with_learner`), and used only
/// once the caller is known to be allowed. A caller still to be confirmed is confirmed first,
/// or, on PostgreSQL, from the locking statement, which then reads their standing too: the
/// same answers in the same order, a round trip fewer.
pub fn enroll(
    conn: &mut DbConnection,
    caller: &PendingCaller,
    activity_id: &str,
    request: &EnrollRequest,
) -> ApiResult<Enrollment> {
    let (caller, locked) = match caller.unchecked_person().filter(|_| request.email.is_none()) {
        Some(person) => lock_confirming(conn, caller, person, activity_id, request)?,
        None => {
            let caller = caller.confirm(conn)?;
            let locked = lock_with_learner_named(conn, &caller, activity_id, request)?;
            (caller, locked)
        }
    };
    let store::Locked { activity, seats_taken, learner: found, .. } = locked;
    let activity = activities::service::check_visible(conn, viewer(&caller), activity)?;
    let learner = learner_to_enroll(conn, &caller, &activity, learner_named(&caller, request), found)?;
    if let Some(existing) = learner.live_enrollment {
        return Err(ApiError::Conflict {
            kind: ProblemType::AlreadyEnrolled,
            detail: format!("already enrolled: enrollment {existing}"),
        });
    }
    registration_open(&activity)?;
    let row = store::enroll(conn, &activity, seats_taken, &learner.id, &caller.actor())?;
    crate::webhooks::service::publish_if_heard(
        conn,
        EventType::EnrollmentCreated,
        learner.enrollment_may_be_heard,
        |conn| announced(conn, &row),
    )?;
    row.into_api(&activity, learner.profession.as_deref().and_then(Profession::parse))
}

/// The activity locked with the learner the confirmed `caller` names (none read when the
/// request names someone a learner may not enroll: [`learner_to_enroll`] refuses it). 404 when
/// there is no such activity.
fn lock_with_learner_named(
    conn: &mut DbConnection,
    caller: &Caller,
    activity_id: &str,
    request: &EnrollRequest,
) -> ApiResult<store::Locked> {
    let locked = match learner_named(caller, request) {
        Ok(Some(learner)) => store::lock_activity_with_learner(conn, activity_id, learner, None)?,
        _ => store::lock_activity_with_seats(conn, activity_id)?.map(|(activity, seats_taken)| {
            store::Locked { activity, seats_taken, learner: None, caller_standing: None }
        }),
    };
    locked.ok_or(ApiError::NotFound)
}

/// The activity locked with the learner named by id (or the caller, naming nobody), and the
/// caller confirmed from the standing the same statement read. Whatever the caller's role,
/// [`learner_named`] then names that same learner, or refuses the request. With no such
/// activity, the caller is confirmed on its own first: a disabled account hears 401, not 404.
fn lock_confirming(
    conn: &mut DbConnection,
    pending: &PendingCaller,
    (person, session): (&str, Option<&str>),
    activity_id: &str,
    request: &EnrollRequest,
) -> ApiResult<(Caller, store::Locked)> {
    let learner = store::LearnerRef::Id(request.user_id.as_deref().unwrap_or(person));
    let Some(mut locked) =
        store::lock_activity_with_learner(conn, activity_id, learner, Some((person, session)))?
    else {
        pending.confirm(conn)?;
        return Err(ApiError::NotFound);
    };
    let caller = match locked.caller_standing.take() {
        Some(standing) => pending.confirm_with(standing)?,
        None => pending.confirm(conn)?,
    };
    Ok((caller, locked))
}

fn page_of(
    conn: &mut DbConnection,
    rows: Vec<EnrollmentRow>,
    limit: i64,
    by_change: bool,
) -> ApiResult<pagination::Page<Enrollment>> {
    let key = |row: &EnrollmentRow| store::EnrollmentCursor {
        id: row.id.clone(),
        updated_at: by_change.then_some(row.updated_at),
    };
    let page = pagination::paginate(rows, limit, key, |row| row);
    // One query for the page's learners and one per activity, not one per row.
    let user_ids: Vec<&str> = page.data.iter().map(|row| row.user_id.as_str()).collect();
    let learners = users::service::accounts(conn, &user_ids)?;
    let mut data = Vec::with_capacity(page.data.len());
    let mut activities_seen: std::collections::HashMap<String, ActivityRow> = Default::default();
    for row in page.data {
        if !activities_seen.contains_key(&row.activity_id) {
            let activity = activities::service::find(conn, &row.activity_id)?;
            activities_seen.insert(row.activity_id.clone(), activity);
        }
        let profession =
            learners.get(&row.user_id).and_then(|u| u.profession.as_deref()).and_then(Profession::parse);
        let activity = &activities_seen[&row.activity_id];
        data.push(row.into_api(activity, profession)?);
    }
    Ok(pagination::Page { data, next_cursor: page.next_cursor })
}

fn page(
    conn: &mut DbConnection,
    query: &EnrollmentListQuery,
    scope: &ListScope,
) -> ApiResult<pagination::Page<Enrollment>> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor::<store::EnrollmentCursor>(query.cursor.as_deref())?;
    let rows = store::list(conn, query, scope, limit, after)?;
    page_of(conn, rows, limit, query.updated_since.is_some())
}

/// Learners see their own; planners those of their activities; administrators and clients with
/// `enrollments:read` all.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: &EnrollmentListQuery,
) -> ApiResult<pagination::Page<Enrollment>> {
    let scope = ListScope::of(caller, Scope::EnrollmentsRead)?;
    page(conn, query, &scope)
}

/// The query narrowed to the activity, if the caller may read its roster.
fn roster_query(
    conn: &mut DbConnection,
    caller: &Caller,
    activity_id: &str,
    query: &EnrollmentListQuery,
) -> ApiResult<EnrollmentListQuery> {
    let activity = activities::service::visible(conn, viewer(caller), activity_id)?;
    access::may_read_roster(&Relation::of(conn, caller, &activity.id)?).check()?;
    Ok(EnrollmentListQuery { activity_id: Some(activity.id), ..query.clone() })
}

pub fn roster(
    conn: &mut DbConnection,
    caller: &Caller,
    activity_id: &str,
    query: &EnrollmentListQuery,
) -> ApiResult<pagination::Page<Enrollment>> {
    let query = roster_query(conn, caller, activity_id, query)?;
    page(conn, &query, &ListScope::All)
}

/// Largest CSV roster (a sign-in sheet, not an export of the program).
const CSV_ROWS: i64 = 10_000;

/// The roster CSV's first line.
pub const ROSTER_CSV_HEADER: &str =
    "enrollment_id,user_id,last_name,first_name,email,profession,status,waitlist_position,completed_at,completion_date\n";

/// The whole roster as a CSV sign-in sheet, with the learners' names and emails.
pub fn roster_csv(
    conn: &mut DbConnection,
    caller: &Caller,
    activity_id: &str,
    query: &EnrollmentListQuery,
) -> ApiResult<String> {
    let query = roster_query(conn, caller, activity_id, query)?;
    let rows = store::list(conn, &query, &ListScope::All, CSV_ROWS, None)?;
    let mut csv = String::from(ROSTER_CSV_HEADER);
    let rows: Vec<EnrollmentRow> = rows.into_iter().take(CSV_ROWS as usize).collect();
    let user_ids: Vec<&str> = rows.iter().map(|row| row.user_id.as_str()).collect();
    let mut learners = users::service::accounts(conn, &user_ids)?;
    for row in rows {
        let user = learners.remove(&row.user_id);
        let (last, first, email, profession) = user
            .map(|u| (u.last_name, u.first_name, u.email, u.profession.unwrap_or_default()))
            .unwrap_or_default();
        let fields = [
            row.id.clone(),
            row.user_id.clone(),
            last,
            first,
            email,
            profession,
            row.status.clone(),
            row.waitlist_position.map(|p| p.to_string()).unwrap_or_default(),
            row.completed_at
                .map(|t| db::to_utc(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            row.completion_date.map(|d| d.to_string()).unwrap_or_default(),
        ];
        csv::push_row(&mut csv, &fields);
    }
    Ok(csv)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<Enrollment> {
    let (row, activity, _) = visible(conn, caller, id)?;
    to_api(conn, row, &activity)
}

/// Learners cancel their own before the activity starts; managers any time. A freed seat goes
/// to the head of the waitlist at once.
pub fn cancel(conn: &mut DbConnection, caller: &Caller, id: &str, reason: String) -> ApiResult<Enrollment> {
    let (row, activity, relation) = visible(conn, caller, id)?;
    access::may_cancel_enrollment(&relation, caller.user_id() == Some(row.user_id.as_str())).check()?;
    let manager = access::manages_learners(&relation, Scope::EnrollmentsWrite);
    if !manager && activity.starts_at.is_some_and(|start| start <= now()) {
        return Err(ApiError::Conflict {
            kind: ProblemType::ActivityStarted,
            detail: "the activity has started; ask its planners to cancel".into(),
        });
    }
    store::lock_activity(conn, &activity.id)?;
    let current = store::find(conn, &row.id)?.ok_or(ApiError::NotFound)?;
    if !matches!(current.status()?, EnrollmentStatus::Registered | EnrollmentStatus::Waitlisted) {
        return Err(ApiError::Conflict {
            kind: ProblemType::InvalidTransition,
            detail: format!("a {} enrollment cannot be cancelled", current.status),
        });
    }
    let mut next = current.clone();
    next.status = db::enum_text(&EnrollmentStatus::Cancelled);
    next.waitlist_position = None;
    next.cancel_reason = Some(reason);
    next.cancelled_by = Some(caller.actor());
    next.cancelled_at = Some(now());
    let saved = store::save(conn, &current, next)?;
    announce(conn, EventType::EnrollmentCancelled, &saved)?;
    let activity = activities::service::find(conn, &activity.id)?;
    store::fill_seats(conn, &activity)?;
    to_api(conn, saved, &activity)
}

/// Completion of self-paced participation, reported by a manager or the LMS.
pub fn complete(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    request: &CompletionRequest,
) -> ApiResult<Enrollment> {
    let completed_at = request.completed_at.unwrap_or_else(crate::db::now_utc);
    if completed_at > crate::db::now_utc() + chrono::Duration::minutes(5) {
        return Err(ApiError::validation("completed_at", "future", "must not be in the future"));
    }
    let (row, activity, relation) = visible(conn, caller, id)?;
    access::may_report_completion(&relation).check()?;
    if row.status()? != EnrollmentStatus::Registered {
        return Err(ApiError::Conflict {
            kind: ProblemType::InvalidTransition,
            detail: format!("a {} enrollment cannot be completed", row.status),
        });
    }
    let input = activity.input()?;
    let done = participation(conn, &row.id, Some(request.minutes_spent), None)?;
    let missing = rules::missing_requirements(&input.completion_requirements, &done);
    if missing.iter().any(|m| !rules::waits_for_the_learner(m)) {
        return Err(ApiError::Rule {
            kind: ProblemType::RequirementsNotMet,
            title: "The completion requirements are not met",
            detail: format!("{} requirement(s) not met", missing.len()),
            errors: missing,
        });
    }
    let mut next = row.clone();
    next.minutes_spent = Some(request.minutes_spent);
    if !missing.is_empty() {
        // The participation is kept; completion follows the learner's evaluation or post-test.
        let saved = store::save(conn, &row, next)?;
        return to_api(conn, saved, &activity);
    }
    next.status = db::enum_text(&EnrollmentStatus::Completed);
    next.completed_at = Some(completed_at.naive_utc());
    next.completion_date = Some(activities::rules::local_date(completed_at, &input.time_zone));
    let saved = store::save(conn, &row, next)?;
    announce(conn, EventType::EnrollmentCompleted, &saved)?;
    to_api(conn, saved, &activity)
}

/// More seats (or none to limit) go to the waitlist at once, in order.
pub fn fill_seats(conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()> {
    store::lock_activity(conn, &activity.id)?;
    store::fill_seats(conn, activity)
}

/// Registered learners who attended nothing become no-shows.
pub fn mark_no_shows(conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()> {
    store::lock_activity(conn, &activity.id)?;
    store::mark_no_shows(conn, &activity.id).map(|_| ())
}

/// An enrollment as stored, whoever asks (404 when unknown; for other resources' use cases,
/// which check access themselves).
pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<EnrollmentRow> {
    store::find(conn, id)?.ok_or(ApiError::NotFound)
}

/// The learner's live (not cancelled) enrollment in the activity.
pub fn live_enrollment(
    conn: &mut DbConnection,
    activity_id: &str,
    user_id: &str,
) -> ApiResult<Option<EnrollmentRow>> {
    store::live_enrollment(conn, activity_id, user_id)
}

/// Registers a walk-in: someone present at a session of an activity that accepts walk-ins
/// (the caller holds the activity's lock). They are in the room, so the seat count and the
/// registration window do not apply; a cancelled or closed activity still takes nobody.
pub fn walk_in(conn: &mut DbConnection, activity: &ActivityRow, user_id: &str) -> ApiResult<EnrollmentRow> {
    if activity.status()? != ActivityStatus::Published {
        return Err(ApiError::Conflict {
            kind: ProblemType::RegistrationClosed,
            detail: format!("the activity is {}: it takes no walk-ins", activity.status),
        });
    }
    let row = store::register_walk_in(conn, activity, user_id)?;
    announce(conn, EventType::EnrollmentCreated, &row)?;
    Ok(row)
}

/// Reports an enrollment's change to the webhook endpoints that listen, in this transaction.
pub fn announce(conn: &mut DbConnection, event: EventType, row: &EnrollmentRow) -> ApiResult<()> {
    crate::webhooks::service::publish(conn, event, |conn| announced(conn, row))
}

/// The enrollment as a webhook message carries it.
fn announced(conn: &mut DbConnection, row: &EnrollmentRow) -> ApiResult<serde_json::Value> {
    let activity = activities::service::find(conn, &row.activity_id)?;
    crate::webhooks::service::json(&to_api(conn, row.clone(), &activity)?)
}

/// Serializes seat and completion changes of one activity until the transaction ends.
pub fn lock_activity(conn: &mut DbConnection, activity_id: &str) -> ApiResult<()> {
    store::lock_activity(conn, activity_id)
}

/// What the completion rule sees of an enrollment: the participation given, and the survey
/// gates as its responses stand.
pub fn participation(
    conn: &mut DbConnection,
    enrollment_id: &str,
    minutes_spent: Option<i32>,
    attendance_percent: Option<u8>,
) -> ApiResult<rules::Participation> {
    let (evaluation_submitted, post_test_passed) = crate::surveys::service::gates(conn, enrollment_id)?;
    Ok(rules::Participation { minutes_spent, attendance_percent, evaluation_submitted, post_test_passed })
}

/// Serializes claims and completions of one enrollment until the transaction ends.
pub fn lock(conn: &mut DbConnection, enrollment_id: &str) -> ApiResult<()> {
    store::lock(conn, enrollment_id)
}

/// The learner a batch row names: by id or email as a single enrollment does, or by the
/// calling client's own external id.
fn batch_request(
    conn: &mut DbConnection,
    caller: &Caller,
    row: &EnrollmentBatchRow,
) -> ApiResult<EnrollRequest> {
    let Some(external_id) = &row.external_id else {
        return Ok(EnrollRequest { user_id: row.user_id.clone(), email: row.email.clone() });
    };
    let Caller::Client { id: client_id, .. } = caller else {
        return Err(ApiError::validation(
            "external_id",
            "client_only",
            "external ids are an integration client's own; name the learner by user_id or email",
        ));
    };
    let user_id = users::service::user_by_external_id(conn, client_id, external_id)?.ok_or_else(|| {
        ApiError::validation("external_id", "unknown", "no learner has this external id at your client")
    })?;
    Ok(EnrollRequest { user_id: Some(user_id), email: None })
}

/// Each row on its own (see [`batch::each_row`]), as the batch's answer.
fn each_row<R>(
    conn: &mut DbConnection,
    rows: &[R],
    success: u16,
    work: impl FnMut(&mut DbConnection, &R) -> ApiResult<Enrollment>,
) -> BatchResult {
    let results: Vec<BatchRowResult> = batch::each_row(conn, rows, success, work)
        .into_iter()
        .map(|row| BatchRowResult {
            index: row.index,
            status: row.status,
            enrollment: row.value,
            problem: row.problem,
        })
        .collect();
    let succeeded = results.iter().filter(|r| r.problem.is_none()).count();
    BatchResult { failed: results.len() - succeeded, succeeded, results }
}

/// Enrolls each row's learner as `enroll` would (the same rules and access per row).
pub fn enroll_batch(
    conn: &mut DbConnection,
    caller: &Caller,
    batch: &EnrollmentBatch,
) -> ApiResult<BatchResult> {
    if matches!(caller, Caller::User { role: Role::Learner, .. }) {
        return Err(access::forbidden_for_learners());
    }
    Ok(each_row(conn, &batch.rows, 201, |conn, row| {
        let request = batch_request(conn, caller, row)?;
        enroll(conn, &caller.into(), &row.activity_id, &request)
    }))
}

/// Reports each row's completion as `complete` would.
pub fn complete_batch(
    conn: &mut DbConnection,
    caller: &Caller,
    batch: &CompletionBatch,
) -> ApiResult<BatchResult> {
    if matches!(caller, Caller::User { role: Role::Learner, .. }) {
        return Err(access::forbidden_for_learners());
    }
    Ok(each_row(conn, &batch.rows, 200, |conn, row| {
        let request = CompletionRequest { minutes_spent: row.minutes_spent, completed_at: row.completed_at };
        complete(conn, caller, &row.enrollment_id, &request)
    }))
}
