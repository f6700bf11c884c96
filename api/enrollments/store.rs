//! Queries of enrollments, and the seat accounting that must hold under concurrency.
//!
//! Every change that can take or free a seat runs in one write transaction that first locks
//! the activity: `SELECT ... FOR UPDATE` on PostgreSQL (so that API processes sharing the
//! database queue up on the row), and the database-wide write lock that `BEGIN IMMEDIATE`
//! already holds on SQLite. Counting seats and inserting then cannot race.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::{
    access::{activities_planned_by, enrollment_is_live, ListScope},
    activities::ActivityRow,
    db::{
        cached, now,
        schema::{activities, enrollments, session_attendance, users},
        to_utc, DbConnection,
    },
    enrollments::{
        dto::{Enrollment, EnrollmentListQuery, EnrollmentStatus},
        rules::{self, SeatMove},
    },
    error::{ApiError, ApiResult},
    users::dto::Profession,
};

// `None` inserts NULL, not DEFAULT (no column here has another default): the INSERT has one
// shape, which diesel prepares once per connection instead of PostgreSQL parsing it each time.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = enrollments, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct EnrollmentRow {
    pub id: String,
    pub activity_id: String,
    pub user_id: String,
    pub status: String,
    pub waitlist_position: Option<i32>,
    pub enrolled_by: String,
    pub cancel_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub minutes_spent: Option<i32>,
    pub completed_at: Option<NaiveDateTime>,
    pub completion_date: Option<NaiveDate>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn status_str(status: EnrollmentStatus) -> &'static str {
    match status {
        EnrollmentStatus::Registered => "registered",
        EnrollmentStatus::Waitlisted => "waitlisted",
        EnrollmentStatus::Cancelled => "cancelled",
        EnrollmentStatus::Completed => "completed",
        EnrollmentStatus::NoShow => "no_show",
    }
}

impl EnrollmentRow {
    /// A new enrollment in `status`, not yet stored.
    pub fn new(
        activity_id: &str,
        user_id: &str,
        status: EnrollmentStatus,
        enrolled_by: &str,
    ) -> EnrollmentRow {
        let now = now();
        EnrollmentRow {
            id: uuid::Uuid::now_v7().to_string(),
            activity_id: activity_id.to_string(),
            user_id: user_id.to_string(),
            status: status_str(status).into(),
            waitlist_position: None,
            enrolled_by: enrolled_by.to_string(),
            cancel_reason: None,
            cancelled_by: None,
            cancelled_at: None,
            minutes_spent: None,
            completed_at: None,
            completion_date: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn status(&self) -> ApiResult<EnrollmentStatus> {
        Ok(crate::db::parse_enum_text(&self.status)?)
    }

    pub fn into_api(self, activity: &ActivityRow, profession: Option<Profession>) -> ApiResult<Enrollment> {
        Ok(Enrollment {
            status: self.status()?,
            eligible_credit_types: activity.eligible_credit_types(profession)?,
            id: self.id,
            activity_id: self.activity_id,
            user_id: self.user_id,
            waitlist_position: self.waitlist_position,
            cancel_reason: self.cancel_reason,
            cancelled_at: self.cancelled_at.map(to_utc),
            minutes_spent: self.minutes_spent,
            completed_at: self.completed_at.map(to_utc),
            completion_date: self.completion_date,
            version: self.version,
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
        })
    }
}

/// Serializes seat changes of one activity (see the module notes).
pub fn lock_activity(conn: &mut DbConnection, activity_id: &str) -> ApiResult<()> {
    let row = activities::table.find(activity_id).select(activities::id);
    Ok(crate::db::lock_row(conn, |pg| row.for_update().execute(pg))?)
}

/// Serializes claims on one enrollment.
pub fn lock(conn: &mut DbConnection, enrollment_id: &str) -> ApiResult<()> {
    let row = enrollments::table.find(enrollment_id).select(enrollments::id);
    Ok(crate::db::lock_row(conn, |pg| row.for_update().execute(pg))?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<EnrollmentRow>> {
    Ok(enrollments::table.find(id).select(EnrollmentRow::as_select()).first(conn).optional()?)
}

/// The learner's live (not cancelled) enrollment in the activity.
pub fn live_enrollment(
    conn: &mut DbConnection,
    activity_id: &str,
    user_id: &str,
) -> ApiResult<Option<EnrollmentRow>> {
    Ok(enrollments::table
        .filter(enrollments::activity_id.eq(activity_id))
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollment_is_live())
        .select(EnrollmentRow::as_select())
        .first(conn)
        .optional()?)
}

diesel::define_sql_function! {
    /// SQL's `coalesce` of a nullable integer and a fallback.
    fn coalesce(
        value: diesel::sql_types::Nullable<diesel::sql_types::Integer>,
        otherwise: diesel::sql_types::Integer,
    ) -> diesel::sql_types::Integer;
}

/// Inserts `row` at the end of its activity's waitlist (the activity is locked by the caller)
/// and returns its place. Places run 1..n without gaps (cancellations and promotions renumber
/// them), so a new place is the last plus one, found by the INSERT itself: one round trip, which
/// counts where enrollments queue on one activity. The index on (activity, status, place) finds
/// the last without counting a long waitlist. (An ordered `LIMIT 1`, not `max()`: PostgreSQL
/// plans `max()` as a scan of every waitlisted entry when its statistics are stale.) The
/// statement starts after the lock was taken, so it sees every place given before.
fn insert_waitlisted(conn: &mut DbConnection, row: &EnrollmentRow) -> ApiResult<i32> {
    let last_place = enrollments::table
        .filter(enrollments::activity_id.eq(row.activity_id.clone()))
        .filter(enrollments::status.eq(status_str(EnrollmentStatus::Waitlisted)))
        .filter(enrollments::waitlist_position.is_not_null())
        .order(enrollments::waitlist_position.desc())
        .select(enrollments::waitlist_position)
        .limit(1)
        .single_value();
    let next_place = coalesce(last_place, 0) + 1;
    // The other columns start empty (NULL, or the table's default).
    let place: Option<i32> = diesel::insert_into(enrollments::table)
        .values((
            enrollments::id.eq(&row.id),
            enrollments::activity_id.eq(&row.activity_id),
            enrollments::user_id.eq(&row.user_id),
            enrollments::status.eq(&row.status),
            enrollments::waitlist_position.eq(next_place.nullable()),
            enrollments::enrolled_by.eq(&row.enrolled_by),
            enrollments::version.eq(row.version),
            enrollments::created_at.eq(row.created_at),
            enrollments::updated_at.eq(row.updated_at),
        ))
        .returning(enrollments::waitlist_position)
        .get_result(conn)?;
    place.ok_or_else(|| ApiError::internal("a waitlisted enrollment was stored without a place"))
}

/// Seats held (registered and completed enrollments): the activity's counter, which triggers
/// keep in the same transaction as every enrollment change (migration 000020), instead of a
/// count of rows.
fn seats_taken(conn: &mut DbConnection, activity_id: &str) -> ApiResult<i64> {
    let taken: i32 = activities::table.find(activity_id).select(activities::seats_taken).first(conn)?;
    Ok(i64::from(taken))
}

/// Locks the activity (as [`lock_activity`]) and reads it with its seats held in the same round
/// trip: `SELECT ... FOR UPDATE` on PostgreSQL. `None` when there is no such activity.
pub fn lock_activity_with_seats(
    conn: &mut DbConnection,
    activity_id: &str,
) -> ApiResult<Option<(ActivityRow, i64)>> {
    let row = activities::table.find(activity_id);
    let found: Option<(ActivityRow, i32)> = match conn {
        DbConnection::Postgres(pg) => row
            .select((ActivityRow::as_select(), activities::seats_taken))
            .for_update()
            .first(pg)
            .optional()?,
        // The write transaction (`BEGIN IMMEDIATE`) already holds SQLite's only write lock.
        DbConnection::Sqlite(sqlite) => {
            row.select((ActivityRow::as_select(), activities::seats_taken)).first(sqlite).optional()?
        }
    };
    Ok(found.map(|(activity, taken)| (activity, i64::from(taken))))
}

/// The activity locked (see [`lock_activity_with_seats`]) and the learner an enrollment names
/// ([`learner_with_live_enrollment`]). On PostgreSQL a learner named by id is read by the
/// locking statement itself, and so is the standing of `caller` (a person whose account is still
/// to be checked: their id and login session, see `PendingCaller::unchecked_person`): two round
/// trips fewer for each enrollment, which counts most where enrollments queue on one activity
/// and its queue's leader writes them one after the other. Elsewhere (SQLite, where the folded
/// statement ran slower on its one writer, and a learner named by email) the two are read one
/// after the other, and the caller's standing is not read.
pub fn lock_activity_with_learner(
    conn: &mut DbConnection,
    activity_id: &str,
    learner: LearnerRef,
    caller: Option<(&str, Option<&str>)>,
) -> ApiResult<Option<Locked>> {
    let (DbConnection::Postgres(pg), LearnerRef::Id(learner_id)) = (&mut *conn, &learner) else {
        let Some((activity, seats_taken)) = lock_activity_with_seats(conn, activity_id)? else {
            return Ok(None);
        };
        let learner = learner_with_live_enrollment(conn, activity_id, learner)?;
        return Ok(Some(Locked { activity, seats_taken, learner, caller_standing: None }));
    };
    let account = |id: &str| users::table.filter(users::id.eq(id.to_string()));
    let live = enrollments::table
        .filter(enrollments::activity_id.eq(activity_id.to_string()))
        .filter(enrollments::user_id.eq(learner_id.to_string()))
        .filter(enrollment_is_live())
        .select(enrollments::id)
        .limit(1)
        .single_value();
    let heard = crate::webhooks::service::may_be_heard(crate::webhooks::EventType::EnrollmentCreated);
    // One statement shape whether or not a caller is to be checked (one prepared statement):
    // with none, the learner's own account is read in their place and the answer set aside.
    let (caller_id, session) = caller.unwrap_or((learner_id, None));
    let session_stands = crate::auth::session_stands(session.unwrap_or_default());
    type Found = (
        ActivityRow,
        i32,
        // The learner's role, active, profession, live enrollment here, and whether it is heard.
        Option<String>,
        Option<bool>,
        Option<String>,
        Option<String>,
        bool,
        // The caller's role and active, and whether their session stands.
        Option<String>,
        Option<bool>,
        bool,
    );
    let found: Option<Found> = activities::table
        .find(activity_id)
        .select((
            ActivityRow::as_select(),
            activities::seats_taken,
            account(learner_id).select(users::role).single_value(),
            account(learner_id).select(users::active).single_value(),
            account(learner_id).select(users::profession).single_value(),
            live,
            heard,
            account(caller_id).select(users::role).single_value(),
            account(caller_id).select(users::active).single_value(),
            session_stands,
        ))
        .for_update()
        .first(pg)
        .optional()?;
    Ok(found.map(|found| {
        let (activity, seats_taken, role, active, profession, live_enrollment, heard, ..) = found;
        let (.., caller_role, caller_active, session_stood) = found;
        // Every account has a role: none read means no account has that id.
        let learner = role.map(|role| Learner {
            id: learner_id.to_string(),
            role,
            active: active.unwrap_or(false),
            profession,
            live_enrollment,
            enrollment_may_be_heard: heard,
        });
        let caller_standing = caller.map(|_| {
            caller_role.map(|role| (role, caller_active.unwrap_or(false), session.is_none() || session_stood))
        });
        Locked { activity, seats_taken: i64::from(seats_taken), learner, caller_standing }
    }))
}

/// What [`lock_activity_with_learner`] read under the activity's lock.
pub struct Locked {
    pub activity: ActivityRow,
    pub seats_taken: i64,
    /// The learner named, if an account has that id or email.
    pub learner: Option<Learner>,
    /// The caller's standing when it was asked for and read (role and active, `None` for no
    /// such account; whether the login session stands), as `PendingCaller::confirm_with` takes
    /// it. `None` when it was not read: the caller is then still to be confirmed.
    pub caller_standing: Option<Option<(String, bool, bool)>>,
}

/// How an enrollment names its learner.
#[derive(Debug, Clone, Copy)]
pub enum LearnerRef<'a> {
    Id(&'a str),
    Email(&'a str),
}

/// A learner's account as an enrollment needs it, with their live (not cancelled) enrollment
/// in the activity, if any, and whether a webhook endpoint may hear of a new enrollment.
#[derive(Debug, Queryable)]
pub struct Learner {
    pub id: String,
    pub role: String,
    pub active: bool,
    pub profession: Option<String>,
    pub live_enrollment: Option<String>,
    pub enrollment_may_be_heard: bool,
}

/// The learner's account, live enrollment in the activity and whether `enrollment.created`
/// may be heard: one round trip. `None` when no account has that id or email.
pub fn learner_with_live_enrollment(
    conn: &mut DbConnection,
    activity_id: &str,
    learner: LearnerRef,
) -> ApiResult<Option<Learner>> {
    let live = enrollments::table
        .filter(enrollments::activity_id.eq(activity_id.to_string()))
        .filter(enrollments::user_id.eq(users::id))
        .filter(enrollment_is_live())
        .select(enrollments::id)
        .limit(1)
        .single_value();
    let heard = crate::webhooks::service::may_be_heard(crate::webhooks::EventType::EnrollmentCreated);
    let columns = (users::id, users::role, users::active, users::profession, live, heard);
    let found = match learner {
        LearnerRef::Id(id) => users::table.filter(users::id.eq(id)).select(columns).first(conn),
        LearnerRef::Email(email) => users::table
            .filter(users::email_normalized.eq(crate::users::rules::normalize_email(email)))
            .select(columns)
            .first(conn),
    };
    Ok(found.optional()?)
}

/// Enrolls a learner (the activity is locked by the caller, who read `seats_taken` under the
/// lock): a seat if one is free, else the end of the waitlist.
pub fn enroll(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    seats_taken: i64,
    user_id: &str,
    enrolled_by: &str,
) -> ApiResult<EnrollmentRow> {
    let has_seat = activity.capacity.is_none_or(|capacity| seats_taken < i64::from(capacity));
    if has_seat {
        let row = EnrollmentRow::new(&activity.id, user_id, EnrollmentStatus::Registered, enrolled_by);
        diesel::insert_into(enrollments::table).values(&row).execute(conn)?;
        return Ok(row);
    }
    let mut row = EnrollmentRow::new(&activity.id, user_id, EnrollmentStatus::Waitlisted, enrolled_by);
    row.waitlist_position = Some(insert_waitlisted(conn, &row)?);
    Ok(row)
}

/// A registration without a seat check (walk-ins at a session).
pub fn register_walk_in(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    user_id: &str,
) -> ApiResult<EnrollmentRow> {
    let row =
        EnrollmentRow::new(&activity.id, user_id, EnrollmentStatus::Registered, &format!("user:{user_id}"));
    diesel::insert_into(enrollments::table).values(&row).execute(conn)?;
    Ok(row)
}

pub fn save(
    conn: &mut DbConnection,
    current: &EnrollmentRow,
    mut next: EnrollmentRow,
) -> ApiResult<EnrollmentRow> {
    next.version = current.version + 1;
    next.updated_at = now().max(current.updated_at);
    let this_version = enrollments::id.eq(&current.id).and(enrollments::version.eq(current.version));
    let updated = cached::update(enrollments::table, this_version, &next).execute(conn)?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(next)
}

/// Gives free seats to the waitlist in order, then renumbers the rest 1, 2, 3... without gaps
/// (the activity is locked by the caller).
pub fn fill_seats(conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()> {
    let waiting: Vec<EnrollmentRow> = enrollments::table
        .filter(enrollments::activity_id.eq(&activity.id))
        .filter(enrollments::status.eq(status_str(EnrollmentStatus::Waitlisted)))
        .order((enrollments::waitlist_position, enrollments::created_at, enrollments::id))
        .select(EnrollmentRow::as_select())
        .load(conn)?;
    if waiting.is_empty() {
        return Ok(());
    }
    let taken = if activity.capacity.is_some() { seats_taken(conn, &activity.id)? } else { 0 };
    let free = rules::free_seats(activity.capacity, taken, waiting.len());
    for (row, seat) in waiting.iter().zip(rules::fill_waitlist(waiting.len(), free)) {
        let mut next = row.clone();
        match seat {
            SeatMove::Promote => {
                next.status = status_str(EnrollmentStatus::Registered).into();
                next.waitlist_position = None;
            }
            SeatMove::Wait(position) => next.waitlist_position = Some(position),
        }
        if next.status != row.status || next.waitlist_position != row.waitlist_position {
            save(conn, row, next)?;
        }
    }
    Ok(())
}

/// Registered learners with no recorded attendance become no-shows (the activity is locked
/// by the caller). Returns how many.
pub fn mark_no_shows(conn: &mut DbConnection, activity_id: &str) -> ApiResult<usize> {
    let attended = session_attendance::table.select(session_attendance::enrollment_id);
    Ok(diesel::update(
        enrollments::table
            .filter(enrollments::activity_id.eq(activity_id))
            .filter(enrollments::status.eq(status_str(EnrollmentStatus::Registered)))
            .filter(diesel::dsl::not(enrollments::id.eq_any(attended))),
    )
    .set((
        enrollments::status.eq(status_str(EnrollmentStatus::NoShow)),
        enrollments::version.eq(enrollments::version + 1),
        enrollments::updated_at.eq(now()),
    ))
    .execute(conn)?)
}

/// Change-order key for `updated_since`, id order otherwise.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct EnrollmentCursor {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<NaiveDateTime>,
}

pub fn list(
    conn: &mut DbConnection,
    query: &EnrollmentListQuery,
    scope: &ListScope,
    limit: i64,
    after: Option<EnrollmentCursor>,
) -> ApiResult<Vec<EnrollmentRow>> {
    let mut select = enrollments::table.select(EnrollmentRow::as_select()).into_boxed();
    match scope {
        ListScope::Learner(user_id) => select = select.filter(enrollments::user_id.eq(user_id.clone())),
        ListScope::Planner(user_id) => {
            select = select.filter(enrollments::activity_id.eq_any(activities_planned_by(user_id.clone())))
        }
        ListScope::All => {}
    }
    if let Some(activity_id) = query.activity_id.as_deref().filter(|v| !v.is_empty()) {
        select = select.filter(enrollments::activity_id.eq(activity_id.to_string()));
    }
    if let Some(user_id) = query.user_id.as_deref().filter(|v| !v.is_empty()) {
        select = select.filter(enrollments::user_id.eq(user_id.to_string()));
    }
    if let Some(status) = query.status {
        select = select.filter(enrollments::status.eq(status_str(status)));
    }
    if let Some(since) = query.updated_since {
        select = select
            .filter(enrollments::updated_at.ge(since.naive_utc()))
            .order((enrollments::updated_at, enrollments::id));
        if let Some(EnrollmentCursor { id, updated_at: Some(at) }) = after {
            select = select.filter(crate::db::keyset::after("enrollments", "updated_at", at, id));
        }
    } else {
        select = select.order(enrollments::id);
        if let Some(cursor) = after {
            select = select.filter(enrollments::id.gt(cursor.id));
        }
    }
    Ok(crate::db::page_limit::at_least(select, limit + 1).load(conn)?)
}
