//! Mailed tokens: stored as SHA-256 hashes, single use, short-lived.

use diesel::prelude::*;

use crate::{
    accounts::rules::Purpose,
    auth::secrets,
    db::{now, schema::account_tokens, DbConnection},
    error::ApiResult,
};

/// A new token for `user_id` (earlier unused ones of the same purpose stop working); returns
/// its plain value, for the mail only.
pub fn issue(conn: &mut DbConnection, user_id: &str, purpose: Purpose) -> ApiResult<String> {
    let now = now();
    diesel::delete(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq(purpose.as_str()))
            .filter(account_tokens::used_at.is_null()),
    )
    .execute(conn)?;
    let token = secrets::random_token(32);
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::id.eq(uuid::Uuid::now_v7().to_string()),
            account_tokens::user_id.eq(user_id),
            account_tokens::purpose.eq(purpose.as_str()),
            account_tokens::token_hash.eq(secrets::sha256_hex(&token)),
            account_tokens::created_at.eq(now),
            account_tokens::expires_at.eq(now + purpose.lifetime()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Uses a token, atomically: of two concurrent uses one gets the account, the other nothing.
/// Unknown, expired and used tokens give nothing.
pub fn redeem(conn: &mut DbConnection, purpose: Purpose, token: &str) -> ApiResult<Option<String>> {
    let now = now();
    Ok(diesel::update(
        account_tokens::table
            .filter(account_tokens::token_hash.eq(secrets::sha256_hex(token)))
            .filter(account_tokens::purpose.eq(purpose.as_str()))
            .filter(account_tokens::used_at.is_null())
            .filter(account_tokens::expires_at.gt(now)),
    )
    .set(account_tokens::used_at.eq(Some(now)))
    .returning(account_tokens::user_id)
    .get_result::<String>(conn)
    .optional()?)
}
