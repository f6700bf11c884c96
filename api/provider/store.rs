//! Queries of the provider profile (one row).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::{
    db::{schema::provider_profile, DbConnection},
    error::{ApiError, ApiResult},
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = provider_profile)]
pub(super) struct ProfileRow {
    pub id: i32,
    pub details: String,
    pub version: i32,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

pub(super) fn find(conn: &mut DbConnection) -> ApiResult<Option<ProfileRow>> {
    Ok(provider_profile::table.find(1).select(ProfileRow::as_select()).first(conn).optional()?)
}

/// Writes `next` over `current` (`None`: the first save) unless someone saved in between.
pub(super) fn save(
    conn: &mut DbConnection,
    current: Option<&ProfileRow>,
    next: &ProfileRow,
) -> ApiResult<()> {
    let written = match current {
        None => diesel::insert_into(provider_profile::table).values(next).execute(conn),
        Some(current) => diesel::update(
            provider_profile::table
                .filter(provider_profile::id.eq(1))
                .filter(provider_profile::version.eq(current.version)),
        )
        .set(next)
        .execute(conn),
    };
    match written {
        Ok(0) => Err(ApiError::PreconditionFailed),
        Ok(_) => Ok(()),
        // Two first saves at once: the second finds the row taken.
        Err(error) => match ApiError::from(error) {
            ApiError::Conflict { .. } => Err(ApiError::PreconditionFailed),
            other => Err(other),
        },
    }
}
