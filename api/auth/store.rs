//! Queries of the auth layer: the principal behind a token, and the signing keys.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{
    schema::{integration_clients, refresh_tokens, signing_keys, users},
    DbConnection,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub kid: String,
    pub algorithm: String,
    /// Base64 of the 32-byte Ed25519 seed.
    pub private_key: String,
    /// Base64url of the 32-byte public key (the JWK `x`).
    pub public_key: String,
    pub created_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
    /// `access` or `credentials` ([`super::keys::KeyPurpose`]).
    pub purpose: String,
}

/// A user's stored role and whether the account is active.
pub(super) fn user_standing(conn: &mut DbConnection, id: &str) -> QueryResult<Option<(String, bool)>> {
    users::table.find(id).select((users::role, users::active)).first(conn).optional()
}

/// [`user_standing`] and, in the same query, whether the token's login session (refresh-token
/// family) still stands: logout and a revoked family mark every token of it revoked.
pub(super) fn user_standing_in_session(
    conn: &mut DbConnection,
    id: &str,
    family_id: &str,
) -> QueryResult<Option<(String, bool, bool)>> {
    let session_alive = session_stands(family_id.to_string());
    users::table.find(id).select((users::role, users::active, session_alive)).first(conn).optional()
}

/// An `EXISTS` that is true while the login session (refresh-token family) `family_id` stands:
/// logout and a revoked family mark every token of it revoked.
#[diesel::dsl::auto_type]
pub fn session_stands(family_id: String) -> _ {
    diesel::dsl::exists(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
}

/// A client's granted scopes (space-separated) and whether it is active.
pub(super) fn client_standing(conn: &mut DbConnection, id: &str) -> QueryResult<Option<(String, bool)>> {
    integration_clients::table
        .find(id)
        .select((integration_clients::scopes, integration_clients::active))
        .first(conn)
        .optional()
}

pub(super) fn all_keys(conn: &mut DbConnection) -> QueryResult<Vec<SigningKeyRow>> {
    signing_keys::table.select(SigningKeyRow::as_select()).load(conn)
}

pub(super) fn set_private_key(conn: &mut DbConnection, kid: &str, stored: &str) -> QueryResult<()> {
    diesel::update(signing_keys::table.find(kid)).set(signing_keys::private_key.eq(stored)).execute(conn)?;
    Ok(())
}

/// The purpose of the key with this kid, if it exists.
pub(super) fn key_purpose(conn: &mut DbConnection, kid: &str) -> QueryResult<Option<String>> {
    signing_keys::table.find(kid).select(signing_keys::purpose).first(conn).optional()
}

pub(super) fn has_active_key(conn: &mut DbConnection, purpose: &str, algorithm: &str) -> QueryResult<bool> {
    let active = signing_keys::table
        .filter(signing_keys::purpose.eq(purpose))
        .filter(signing_keys::algorithm.eq(algorithm))
        .filter(signing_keys::retired_at.is_null())
        .count()
        .get_result::<i64>(conn)?;
    Ok(active > 0)
}

/// Adds a key and retires the others of its purpose and algorithm from signing, in one
/// transaction.
pub(super) fn insert_as_current(conn: &mut DbConnection, row: &SigningKeyRow) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::update(
            signing_keys::table
                .filter(signing_keys::purpose.eq(&row.purpose))
                .filter(signing_keys::algorithm.eq(&row.algorithm))
                .filter(signing_keys::retired_at.is_null()),
        )
        .set(signing_keys::retired_at.eq(Some(row.created_at)))
        .execute(conn)?;
        diesel::insert_into(signing_keys::table).values(row).execute(conn)?;
        Ok(())
    })
}

/// The newest unretired key of a purpose and algorithm.
pub(super) fn newest_active(
    conn: &mut DbConnection,
    purpose: &str,
    algorithm: &str,
) -> QueryResult<Option<SigningKeyRow>> {
    signing_keys::table
        .filter(signing_keys::algorithm.eq(algorithm))
        .filter(signing_keys::purpose.eq(purpose))
        .filter(signing_keys::retired_at.is_null())
        .order((signing_keys::created_at.desc(), signing_keys::kid.desc()))
        .select(SigningKeyRow::as_select())
        .first(conn)
        .optional()
}

/// Access keys unretired or retired after `oldest`, and every credential key, newest first.
pub(super) fn verifying(conn: &mut DbConnection, oldest: NaiveDateTime) -> QueryResult<Vec<SigningKeyRow>> {
    signing_keys::table
        .filter(
            signing_keys::purpose
                .ne("access")
                .or(signing_keys::retired_at.is_null())
                .or(signing_keys::retired_at.gt(oldest)),
        )
        .order((signing_keys::created_at.desc(), signing_keys::kid.desc()))
        .select(SigningKeyRow::as_select())
        .load(conn)
}

/// The key with this kid, if it serves this purpose.
pub(super) fn key_of(
    conn: &mut DbConnection,
    kid: &str,
    purpose: &str,
) -> QueryResult<Option<SigningKeyRow>> {
    signing_keys::table
        .find(kid)
        .filter(signing_keys::purpose.eq(purpose))
        .select(SigningKeyRow::as_select())
        .first(conn)
        .optional()
}
