//! Queries of credentials and their status lists.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::{
    db::{
        schema::{credential_status_lists, credentials},
        DbConnection,
    },
    error::ApiResult,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = credential_status_lists)]
pub(super) struct StatusListRow {
    pub id: String,
    pub purpose: String,
    pub size_bits: i32,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = credentials)]
pub(super) struct CredentialRow {
    pub id: String,
    pub claim_id: String,
    pub user_id: String,
    pub status_list_id: String,
    pub status_index: i32,
    /// The unsigned credential as issued (JSON).
    pub document: String,
    pub issued_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// The newest status list, which takes new credentials.
pub(super) fn newest_list(conn: &mut DbConnection) -> ApiResult<Option<StatusListRow>> {
    Ok(credential_status_lists::table
        .order((credential_status_lists::created_at.desc(), credential_status_lists::id.desc()))
        .select(StatusListRow::as_select())
        .first(conn)
        .optional()?)
}

pub(super) fn insert_list(conn: &mut DbConnection, row: &StatusListRow) -> ApiResult<()> {
    diesel::insert_into(credential_status_lists::table).values(row).execute(conn)?;
    Ok(())
}

pub(super) fn find_list(conn: &mut DbConnection, id: &str) -> ApiResult<Option<StatusListRow>> {
    Ok(credential_status_lists::table.find(id).select(StatusListRow::as_select()).first(conn).optional()?)
}

/// A change to the list's bits: its version (the ETag) and time move on.
pub(super) fn touch_list(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> ApiResult<()> {
    diesel::update(credential_status_lists::table.find(id))
        .set((
            credential_status_lists::version.eq(credential_status_lists::version + 1),
            credential_status_lists::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub(super) fn index_taken(conn: &mut DbConnection, list_id: &str, index: i32) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        credentials::table
            .filter(credentials::status_list_id.eq(list_id))
            .filter(credentials::status_index.eq(index)),
    ))
    .get_result(conn)?)
}

pub(super) fn insert(conn: &mut DbConnection, row: &CredentialRow) -> ApiResult<()> {
    diesel::insert_into(credentials::table).values(row).execute(conn)?;
    Ok(())
}

pub(super) fn for_claim(conn: &mut DbConnection, claim_id: &str) -> ApiResult<Option<CredentialRow>> {
    Ok(credentials::table
        .filter(credentials::claim_id.eq(claim_id))
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks the credential revoked (once: the first time stands).
pub(super) fn revoke(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> ApiResult<bool> {
    let changed = diesel::update(credentials::table.find(id).filter(credentials::revoked_at.is_null()))
        .set(credentials::revoked_at.eq(Some(at)))
        .execute(conn)?;
    Ok(changed > 0)
}

/// Whether the credential at this index of the list is revoked.
pub(super) fn index_revoked(conn: &mut DbConnection, list_id: &str, index: i32) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        credentials::table
            .filter(credentials::status_list_id.eq(list_id))
            .filter(credentials::status_index.eq(index))
            .filter(credentials::revoked_at.is_not_null()),
    ))
    .get_result(conn)?)
}

/// The indexes of a list whose credentials are revoked.
pub(super) fn revoked_indexes(conn: &mut DbConnection, list_id: &str) -> ApiResult<Vec<i32>> {
    Ok(credentials::table
        .filter(credentials::status_list_id.eq(list_id))
        .filter(credentials::revoked_at.is_not_null())
        .select(credentials::status_index)
        .load(conn)?)
}
