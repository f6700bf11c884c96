//! Session use cases, one public function each, run by the handler in one database call.

use crate::{
    activities::{
        dto::{ActivityFormat, ActivityStatus, Session, SessionInput},
        service::{editable, visible},
        store::ActivityRow,
    },
    auth::Caller,
    db::{now, DbConnection},
    error::{ApiError, ApiResult, ProblemType},
    http::{etag::Precondition, json},
};

use super::{rules, store, SessionRow};

fn ensure_changeable(activity: &ActivityRow) -> ApiResult<()> {
    if matches!(activity.status()?, ActivityStatus::Cancelled | ActivityStatus::Archived) {
        return Err(ApiError::Conflict {
            kind: ProblemType::ActivityFinished,
            detail: "cancelled and archived activities cannot change".into(),
        });
    }
    Ok(())
}

/// A session's own rules, and for a series the span across its other sessions.
fn check(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    input: &SessionInput,
    replacing: Option<&str>,
) -> ApiResult<()> {
    let others: Vec<_> = store::of_activity(conn, &activity.id)?
        .into_iter()
        .filter(|s| Some(s.id.as_str()) != replacing)
        .map(|s| (s.starts_at, s.ends_at))
        .collect();
    let series = activity.format == crate::db::enum_text(&ActivityFormat::Rss);
    let errors = rules::session_errors(input, series, &others);
    ApiError::unless_valid(errors)
}

/// A fresh check-in code.
pub fn new_check_in_code() -> String {
    rules::check_in_code(&crate::auth::secrets::random_bytes(6))
}

/// The sessions of an activity, in time order, as stored (for other use cases of activities
/// and enrollments that have checked access themselves).
pub fn of_activity(conn: &mut DbConnection, activity_id: &str) -> ApiResult<Vec<SessionRow>> {
    store::of_activity(conn, activity_id)
}

/// A session as stored, whoever asks (404 when unknown).
pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<SessionRow> {
    store::find(conn, id)?.ok_or(ApiError::NotFound)
}

pub fn list(conn: &mut DbConnection, caller: Option<&Caller>, activity_id: &str) -> ApiResult<Vec<Session>> {
    let activity = visible(conn, caller, activity_id)?;
    Ok(store::of_activity(conn, &activity.id)?.into_iter().map(SessionRow::into_api).collect())
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    activity_id: &str,
    input: &SessionInput,
) -> ApiResult<Session> {
    let activity = editable(conn, caller, activity_id)?;
    ensure_changeable(&activity)?;
    check(conn, &activity, input, None)?;
    let now = now();
    let mut row = SessionRow {
        id: uuid::Uuid::now_v7().to_string(),
        activity_id: activity.id.clone(),
        title: String::new(),
        starts_at: now,
        ends_at: now,
        location: None,
        presenters: "[]".into(),
        credit_hundredths: None,
        version: 1,
        created_at: now,
        updated_at: now,
        check_in_code: Some(new_check_in_code()),
        check_out_code: Some(new_check_in_code()),
    };
    row.apply(input);
    store::insert(conn, &row)?;
    Ok(row.into_api())
}

/// The session and its activity, if the caller may change them (the activity's planners and
/// administrators; not once the activity is cancelled or archived).
pub fn editable_session(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
) -> ApiResult<(SessionRow, ActivityRow)> {
    let session = find(conn, session_id)?;
    let activity = editable(conn, caller, &session.activity_id)?;
    ensure_changeable(&activity)?;
    Ok((session, activity))
}

/// JSON Merge Patch of a session, honouring `If-Match`.
pub fn patch(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    precondition: Precondition,
    patch: &serde_json::Value,
) -> ApiResult<Session> {
    let (current, activity) = editable_session(conn, caller, session_id)?;
    precondition.check(current.version)?;
    let input: SessionInput = json::patched(&current.input(), patch)?;
    check(conn, &activity, &input, Some(&current.id))?;
    let mut next = current.clone();
    next.apply(&input);
    next.version = current.version + 1;
    next.updated_at = now().max(current.updated_at);
    store::save(conn, &current, &next)?;
    Ok(next.into_api())
}

pub fn delete(conn: &mut DbConnection, caller: &Caller, session_id: &str) -> ApiResult<()> {
    let (session, _) = editable_session(conn, caller, session_id)?;
    store::delete(conn, &session.id)
}

/// Replaces a session's check-in and check-out codes; the session with its new codes.
pub fn rotate_codes(conn: &mut DbConnection, session: &SessionRow) -> ApiResult<SessionRow> {
    let mut next = session.clone();
    next.check_in_code = Some(new_check_in_code());
    next.check_out_code = Some(new_check_in_code());
    store::set_codes(
        conn,
        &session.id,
        next.check_in_code.as_deref().unwrap_or_default(),
        next.check_out_code.as_deref().unwrap_or_default(),
    )?;
    Ok(next)
}

/// The session's codes, made now if it has none yet (sessions created before check-out codes).
pub fn ensure_codes(conn: &mut DbConnection, session: SessionRow) -> ApiResult<SessionRow> {
    if session.check_in_code.is_some() && session.check_out_code.is_some() {
        return Ok(session);
    }
    let mut next = session;
    let check_in = next.check_in_code.get_or_insert_with(new_check_in_code).clone();
    let check_out = next.check_out_code.get_or_insert_with(new_check_in_code).clone();
    store::set_codes(conn, &next.id, &check_in, &check_out)?;
    Ok(next)
}
