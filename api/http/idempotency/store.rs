//! Queries of idempotency keys.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{cached, schema::idempotency_keys, DbConnection, DbError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
pub(super) struct KeyRow {
    pub request_method: String,
    pub request_path: String,
    pub request_hash: String,
    pub response_status: Option<i16>,
    pub response_body: Option<String>,
}

/// What a key is claimed for.
pub(super) struct NewKey<'a> {
    pub caller: &'a str,
    pub key: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub hash: &'a str,
    pub at: NaiveDateTime,
}

pub(super) fn forget_before(conn: &mut DbConnection, oldest: NaiveDateTime) -> Result<(), DbError> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(oldest))).execute(conn)?;
    Ok(())
}

pub(super) fn find(conn: &mut DbConnection, caller: &str, key: &str) -> Result<Option<KeyRow>, DbError> {
    Ok(idempotency_keys::table.find((caller, key)).select(KeyRow::as_select()).first(conn).optional()?)
}

/// Inserts the key; a concurrent insert of the same key fails with a unique violation.
pub(super) fn insert(conn: &mut DbConnection, new: &NewKey) -> Result<(), DbError> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::caller.eq(new.caller),
            idempotency_keys::idempotency_key.eq(new.key),
            idempotency_keys::request_method.eq(new.method),
            idempotency_keys::request_path.eq(new.path),
            idempotency_keys::request_hash.eq(new.hash),
            idempotency_keys::created_at.eq(new.at),
        ))
        .execute(conn)?;
    Ok(())
}

pub(super) fn set_response(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    status: i16,
    body: &str,
) -> Result<(), DbError> {
    let this_key = idempotency_keys::caller.eq(caller).and(idempotency_keys::idempotency_key.eq(key));
    let response =
        (idempotency_keys::response_status.eq(Some(status)), idempotency_keys::response_body.eq(Some(body)));
    cached::update(idempotency_keys::table, this_key, response).execute(conn)?;
    Ok(())
}
