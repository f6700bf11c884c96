//! User use cases, one public function each, run by the handler in one database call.

use crate::{
    access,
    auth::{Caller, Role, Scope},
    db::DbConnection,
    error::{ApiError, ApiResult, ProblemType},
    http::{etag::Precondition, pagination},
    users::{
        dto::{CreateUserRequest, LmsLearner, MePatch, User, UserListQuery, UserPatch},
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
    let client = match caller {
        Caller::Client { id, .. } => Some(id.as_str()),
        Caller::User { .. } => None,
    };
    let rows = store::list(conn, query, client, limit, after)?;
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

/// An integration client (`users:write`) creates or updates the learner it knows as
/// `external_id`; `true` when the account was created. Unknown ids are matched to an existing
/// account by email (the learner's own: then the client only fills fields that are empty),
/// or get a new learner account (no password: the learner can set one by password reset; the
/// institution vouches for the address). The client is the source of the accounts it created.
/// Never changes a role; the same body twice changes nothing the second time.
pub fn upsert_by_external_id(
    conn: &mut DbConnection,
    caller: &Caller,
    external_id: &str,
    learner: LmsLearner,
) -> ApiResult<(User, bool)> {
    let client_id = caller.require_client_scope(Scope::UsersWrite)?;
    crate::db::lock_key(conn, &format!("external-id:{client_id}:{external_id}"))?;
    if let Some((user_id, source)) = store::external_identity(conn, client_id, external_id)? {
        update_from_lms(conn, &user_id, &learner, source)?;
        return Ok((store::load(conn, &user_id)?.ok_or(ApiError::NotFound)?, false));
    }
    if let Some(existing) = store::find_by_email(conn, &learner.email)? {
        if let Some(other) = store::external_id_of(conn, client_id, &existing.id)? {
            return Err(ApiError::Conflict {
                kind: ProblemType::Duplicate,
                detail: format!("this learner already has the external id {other:?} at this client"),
            });
        }
        store::insert_external_identity(
            conn,
            client_id,
            external_id,
            &existing.id,
            store::IdentitySource::Linked,
        )?;
        update_from_lms(conn, &existing.id, &learner, store::IdentitySource::Linked)?;
        return Ok((store::load(conn, &existing.id)?.ok_or(ApiError::NotFound)?, false));
    }
    let created = store::insert(
        conn,
        store::NewUser {
            email: learner.email.clone(),
            password_hash: None,
            role: Role::Learner,
            first_name: learner.first_name.clone(),
            last_name: learner.last_name.clone(),
            profession: learner.profession,
            external_id: None,
            email_verified: true,
        },
    )?;
    store::insert_external_identity(
        conn,
        client_id,
        external_id,
        &created.id,
        store::IdentitySource::Created,
    )?;
    update_from_lms(conn, &created.id, &learner, store::IdentitySource::Created)?;
    Ok((store::load(conn, &created.id)?.ok_or(ApiError::NotFound)?, true))
}

/// The changes the LMS's record makes to the account: all its fields where the LMS created
/// the account, only empty ones where the learner did. Nothing is written (no new version)
/// when nothing differs.
fn update_from_lms(
    conn: &mut DbConnection,
    user_id: &str,
    learner: &LmsLearner,
    source: store::IdentitySource,
) -> ApiResult<()> {
    let current = store::find(conn, user_id)?.ok_or(ApiError::NotFound)?;
    let owned = source == store::IdentitySource::Created;
    let take = |mine: &Option<String>, theirs: &Option<String>| -> Option<Option<String>> {
        let theirs = theirs.as_ref()?;
        (mine.as_ref() != Some(theirs) && (owned || mine.is_none())).then(|| Some(theirs.clone()))
    };
    let profession_text = learner.profession.map(|p| p.as_str().to_string());
    let mut patch = UserPatch {
        degree: take(&current.degree, &learner.degree),
        npi: take(&current.npi, &learner.npi),
        profession: take(&current.profession, &profession_text).map(|_| learner.profession),
        ..UserPatch::default()
    };
    if owned {
        let differs = |mine: &str, theirs: &str| (mine != theirs.trim()).then(|| theirs.to_string());
        patch.first_name = differs(&current.first_name, &learner.first_name);
        patch.last_name = differs(&current.last_name, &learner.last_name);
        patch.email = (current.email_normalized != crate::users::rules::normalize_email(&learner.email))
            .then(|| learner.email.clone());
    }
    let unchanged = patch.degree.is_none()
        && patch.npi.is_none()
        && patch.profession.is_none()
        && patch.first_name.is_none()
        && patch.last_name.is_none()
        && patch.email.is_none();
    if !unchanged {
        store::apply_patch(conn, current, patch)?;
    }
    Ok(())
}

/// The learner an integration client knows by `external_id`.
pub fn user_by_external_id(
    conn: &mut DbConnection,
    client_id: &str,
    external_id: &str,
) -> ApiResult<Option<String>> {
    Ok(store::external_identity(conn, client_id, external_id)?.map(|(user_id, _)| user_id))
}

/// Accounts with their board IDs and licenses (for other resources that checked access).
pub fn records_of(conn: &mut DbConnection, rows: Vec<store::UserRow>) -> ApiResult<Vec<User>> {
    store::with_records(conn, rows)
}
