//! Queries of activity sessions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::{
    activities::dto::{Session, SessionInput},
    credits::Credits,
    db::{schema::activity_sessions, to_utc, DbConnection},
    error::{ApiError, ApiResult},
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = activity_sessions, treat_none_as_null = true)]
pub struct SessionRow {
    pub id: String,
    pub activity_id: String,
    pub title: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub location: Option<String>,
    /// JSON array of names.
    pub presenters: String,
    pub credit_hundredths: Option<i32>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub check_in_code: Option<String>,
    /// The end-of-session code learners send to check out.
    pub check_out_code: Option<String>,
}

impl SessionRow {
    pub fn input(&self) -> SessionInput {
        SessionInput {
            title: self.title.clone(),
            starts_at: to_utc(self.starts_at),
            ends_at: to_utc(self.ends_at),
            location: self.location.clone(),
            presenters: serde_json::from_str(&self.presenters).unwrap_or_default(),
            credit_amount: self.credit_hundredths.map(Credits::from_hundredths),
        }
    }

    pub fn into_api(self) -> Session {
        Session {
            details: self.input(),
            id: self.id,
            activity_id: self.activity_id,
            version: self.version,
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
        }
    }

    pub fn apply(&mut self, input: &SessionInput) {
        self.title = input.title.trim().to_string();
        self.starts_at = input.starts_at.naive_utc();
        self.ends_at = input.ends_at.naive_utc();
        self.location = input.location.clone();
        self.presenters = serde_json::to_string(&input.presenters).unwrap_or_else(|_| "[]".into());
        self.credit_hundredths = input.credit_amount.map(Credits::hundredths);
    }

    /// Scheduled length in whole minutes.
    pub fn scheduled_minutes(&self) -> i64 {
        (self.ends_at - self.starts_at).num_minutes()
    }

    /// Its local date (the date a series credits a session on).
    pub fn local_date(&self, time_zone: &str) -> chrono::NaiveDate {
        crate::activities::rules::local_date(to_utc(self.starts_at), time_zone)
    }
}

pub(super) fn of_activity(conn: &mut DbConnection, activity_id: &str) -> ApiResult<Vec<SessionRow>> {
    Ok(activity_sessions::table
        .filter(activity_sessions::activity_id.eq(activity_id))
        .order((activity_sessions::starts_at, activity_sessions::id))
        .select(SessionRow::as_select())
        .load(conn)?)
}

pub(super) fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<SessionRow>> {
    Ok(activity_sessions::table.find(id).select(SessionRow::as_select()).first(conn).optional()?)
}

pub(super) fn insert(conn: &mut DbConnection, row: &SessionRow) -> ApiResult<()> {
    diesel::insert_into(activity_sessions::table).values(row).execute(conn)?;
    Ok(())
}

/// Saves `next` over `current` unless someone changed it since (412).
pub(super) fn save(conn: &mut DbConnection, current: &SessionRow, next: &SessionRow) -> ApiResult<()> {
    let updated = diesel::update(
        activity_sessions::table
            .filter(activity_sessions::id.eq(&current.id))
            .filter(activity_sessions::version.eq(current.version)),
    )
    .set(next)
    .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(())
}

pub(super) fn delete(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    diesel::delete(activity_sessions::table.find(id)).execute(conn)?;
    Ok(())
}

pub(super) fn set_codes(conn: &mut DbConnection, id: &str, check_in: &str, check_out: &str) -> ApiResult<()> {
    diesel::update(activity_sessions::table.find(id))
        .set((
            activity_sessions::check_in_code.eq(Some(check_in)),
            activity_sessions::check_out_code.eq(Some(check_out)),
        ))
        .execute(conn)?;
    Ok(())
}
