//! User use cases, one public function each, run by the handler in one database call.

use crate::{
    access,
    auth::{Caller, Scope},
    db::DbConnection,
    error::{ApiError, ApiResult},
    http::{etag::Precondition, pagination},
    users::{
        dto::{CreateUserRequest, MePatch, User, UserListQuery, UserPatch},
        store,
    },
};

/// A user the caller may see; 404 otherwise (no existence leak).
pub fn get(conn: &mut DbConnection, caller: &Caller, user_id: &str) -> ApiResult<User> {
    access::ensure_may_read_user(conn, caller, user_id)?;
    store::load(conn, user_id)?.ok_or(ApiError::NotFound)
}

/// The caller's own record.
pub fn me(conn: &mut DbConnection, caller: &Caller) -> ApiResult<User> {
    let (id, _) = caller.person()?;
    get(conn, caller, id)
}

/// Patches `user_id`, honouring `If-Match` when given.
fn patch_record(
    conn: &mut DbConnection,
    caller_id: &str,
    user_id: &str,
    precondition: Precondition,
    patch: UserPatch,
) -> ApiResult<User> {
    let current = store::find(conn, user_id)?.ok_or(ApiError::NotFound)?;
    precondition.check(current.version)?;
    store::guard_admin_lockout(caller_id, &current, &patch)?;
    store::apply_patch(conn, current, patch)?;
    store::load(conn, user_id)?.ok_or(ApiError::NotFound)
}

pub fn patch_me(
    conn: &mut DbConnection,
    caller: &Caller,
    precondition: Precondition,
    patch: MePatch,
) -> ApiResult<User> {
    let (id, _) = caller.person()?;
    patch_record(conn, id, id, precondition, patch.into())
}

/// An administrator changes an account. Someone who may not even see the account learns
/// nothing about it (404); someone who may see it but not change it gets 403.
pub fn patch(
    conn: &mut DbConnection,
    caller: &Caller,
    user_id: &str,
    precondition: Precondition,
    patch: UserPatch,
) -> ApiResult<User> {
    if !caller.is_admin() {
        let visible = access::user_visible(conn, caller, user_id)?;
        return Err(if visible {
            caller.require_admin().err().unwrap_or(ApiError::NotFound)
        } else {
            ApiError::NotFound
        });
    }
    let caller_id = caller.require_admin()?;
    patch_record(conn, caller_id, user_id, precondition, patch)
}

/// A page of the directory (administrators, clients with `users:read`).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    query: &UserListQuery,
    limit: i64,
    after: Option<store::UserCursor>,
) -> ApiResult<pagination::Page<User>> {
    caller.require_admin_or_scope(Scope::UsersRead)?;
    let by_change = query.updated_since.is_some();
    let rows = store::list(conn, query, limit, after)?;
    let cursor_of = |row: &store::UserRow| store::UserCursor {
        id: row.id.clone(),
        updated_at: by_change.then_some(row.updated_at),
    };
    let page = pagination::paginate(rows, limit, cursor_of, |row| row);
    let users = store::with_records(conn, page.data)?;
    Ok(pagination::Page { data: users, next_cursor: page.next_cursor })
}

/// Adds an account whose caller was checked elsewhere (self-signup: always a learner).
pub fn insert_account(conn: &mut DbConnection, new: store::NewUser) -> ApiResult<User> {
    let row = store::insert(conn, new)?;
    store::load(conn, &row.id)?.ok_or(ApiError::NotFound)
}

/// The stored account with this email (any letter case), for logging in.
pub fn account_by_email(conn: &mut DbConnection, email: &str) -> ApiResult<Option<store::UserRow>> {
    store::find_by_email(conn, email)
}

/// A new password (already hashed) for the account.
pub fn set_password(
    conn: &mut DbConnection,
    id: &str,
    password_hash: &str,
    mailbox_proven: bool,
) -> ApiResult<()> {
    store::set_credentials(conn, id, Some(password_hash), mailbox_proven)
}

/// 403 `email-unverified` until the account's owner followed the verification link.
pub fn ensure_email_verified(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    match store::find(conn, id)? {
        Some(account) if account.email_verified_at.is_none() => Err(ApiError::Forbidden {
            kind: crate::error::ProblemType::EmailUnverified,
            detail: "confirm your email address first: follow the link mailed to you at sign-up \
                     (signing up again with the same address mails a new one)"
                .into(),
        }),
        _ => Ok(()),
    }
}

/// The account's owner followed a link mailed to its address.
pub fn mark_email_verified(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    store::set_credentials(conn, id, None, true)
}

/// Several stored accounts by id, whoever asks (for lists of other resources that checked
/// access themselves).
pub fn accounts(
    conn: &mut DbConnection,
    ids: &[&str],
) -> ApiResult<std::collections::HashMap<String, store::UserRow>> {
    store::find_many(conn, ids)
}

/// A user's record (with licenses and board ids), whoever asks (for the rules of other
/// resources that checked access themselves).
pub fn record(conn: &mut DbConnection, id: &str) -> ApiResult<Option<User>> {
    store::load(conn, id)
}

/// The stored account with this id, whoever asks (for the auth layer).
pub fn account(conn: &mut DbConnection, id: &str) -> ApiResult<Option<store::UserRow>> {
    store::find(conn, id)
}

/// An administrator creates an account (the password already hashed, off the request path).
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    request: CreateUserRequest,
    password_hash: Option<String>,
) -> ApiResult<User> {
    caller.require_admin()?;
    insert_account(
        conn,
        store::NewUser {
            email: request.email,
            password_hash,
            role: request.role,
            first_name: request.first_name,
            last_name: request.last_name,
            profession: request.profession,
            external_id: request.external_id,
            email_verified: true,
        },
    )
}
