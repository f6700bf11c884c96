//! Refresh tokens and login throttling, both kept in the database so that they hold across
//! replicas.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::{
    auth::secrets,
    db::{
        now,
        schema::{login_failures, refresh_tokens},
        DbConnection,
    },
    error::ApiResult,
};

/// Creates a refresh token in `family_id` (a new family at login) and returns its plain value;
/// only its hash is stored.
pub fn issue_refresh_token(
    conn: &mut DbConnection,
    user_id: &str,
    family_id: &str,
    lifetime: Duration,
) -> ApiResult<String> {
    let token = secrets::random_token(32);
    let created_at = now();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(uuid::Uuid::now_v7().to_string()),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::token_hash.eq(secrets::sha256_hex(&token)),
            refresh_tokens::created_at.eq(created_at),
            refresh_tokens::expires_at.eq(created_at + lifetime),
        ))
        .execute(conn)?;
    Ok(token)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
struct RefreshTokenRow {
    id: String,
    family_id: String,
    user_id: String,
    expires_at: NaiveDateTime,
    rotated_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

/// What presenting a refresh token led to.
pub enum Rotation {
    /// The token was current: it is now used; issue the next one in `family_id`.
    Rotated { user_id: String, family_id: String },
    /// The token had already been used: the family is now revoked (someone replayed it).
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// Marks a refresh token used, atomically: of two concurrent uses only one rotates, and the
/// other counts as reuse.
pub fn rotate(conn: &mut DbConnection, token: &str) -> ApiResult<Rotation> {
    let hash = secrets::sha256_hex(token);
    let found = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(&hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?;
    let Some(RefreshTokenRow { id, family_id, user_id, expires_at, rotated_at, revoked_at }) = found else {
        return Ok(Rotation::Invalid);
    };
    let now = now();
    if revoked_at.is_some() || expires_at <= now {
        return Ok(Rotation::Invalid);
    }
    let claimed = if rotated_at.is_none() {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::id.eq(&id))
                .filter(refresh_tokens::rotated_at.is_null())
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::rotated_at.eq(Some(now)))
        .execute(conn)?
    } else {
        0
    };
    if claimed == 1 {
        return Ok(Rotation::Rotated { user_id, family_id });
    }
    revoke_family(conn, &family_id)?;
    Ok(Rotation::Reused)
}

pub fn revoke_family(conn: &mut DbConnection, family_id: &str) -> ApiResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now())))
    .execute(conn)?;
    Ok(())
}

/// Revokes every family of the user's but `keep`.
pub fn revoke_families_of_user(conn: &mut DbConnection, user_id: &str, keep: Option<&str>) -> ApiResult<()> {
    let live = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(user_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::family_id.ne(keep.unwrap_or_default()));
    diesel::update(live).set(refresh_tokens::revoked_at.eq(Some(now()))).execute(conn)?;
    Ok(())
}

/// Revokes the family of `token` (logout); unknown tokens are ignored.
pub fn revoke_family_of(conn: &mut DbConnection, token: &str) -> ApiResult<()> {
    let family: Option<String> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(secrets::sha256_hex(token)))
        .select(refresh_tokens::family_id)
        .first(conn)
        .optional()?;
    if let Some(family) = family {
        revoke_family(conn, &family)?;
    }
    Ok(())
}

/// Failed logins inside the window: how many, the oldest and the newest.
pub struct Failures {
    pub count: i64,
    pub oldest: Option<NaiveDateTime>,
    pub newest: Option<NaiveDateTime>,
}

/// Failed logins for `email` inside the window, from `client_ip` only or from anywhere.
pub fn recent_failures(
    conn: &mut DbConnection,
    email: &str,
    client_ip: Option<&str>,
    window: Duration,
) -> ApiResult<Failures> {
    let since = now() - window;
    let mut select = login_failures::table
        .filter(login_failures::email_normalized.eq(email))
        .filter(login_failures::failed_at.gt(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::failed_at),
            diesel::dsl::max(login_failures::failed_at),
        ))
        .into_boxed();
    if let Some(ip) = client_ip {
        select = select.filter(login_failures::client_ip.eq(ip.to_string()));
    }
    let (count, oldest, newest) = select.first(conn)?;
    Ok(Failures { count, oldest, newest })
}

pub fn record_failure(conn: &mut DbConnection, email: &str, client_ip: &str) -> ApiResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::id.eq(uuid::Uuid::now_v7().to_string()),
            login_failures::email_normalized.eq(email),
            login_failures::failed_at.eq(now()),
            login_failures::client_ip.eq(client_ip),
        ))
        .execute(conn)?;
    Ok(())
}

/// Serializes the logins of one account until the transaction ends (PostgreSQL; SQLite's
/// single writer already does), so counting, checking and recording a failure are one step.
pub fn lock_account(conn: &mut DbConnection, email: &str) -> ApiResult<()> {
    Ok(crate::db::lock_key(conn, email)?)
}

/// A successful login clears the failures of its (account, address) pair, and old rows of
/// everyone's. Failures from other addresses stay: the owner's success says nothing of them.
pub fn clear_failures(
    conn: &mut DbConnection,
    email: &str,
    client_ip: &str,
    window: Duration,
) -> ApiResult<()> {
    let pair = login_failures::email_normalized.eq(email).and(login_failures::client_ip.eq(client_ip));
    diesel::delete(login_failures::table.filter(pair.or(login_failures::failed_at.le(now() - window))))
        .execute(conn)?;
    Ok(())
}
