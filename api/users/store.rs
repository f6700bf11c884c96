//! Queries of users and their learner records.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::{
    auth::Role,
    db::{
        now,
        schema::{user_board_ids, user_external_ids, user_licenses, users},
        to_utc, DbConnection,
    },
    error::{ApiError, ApiResult, FieldError, ProblemType},
    users::dto::{Profession, StateLicense, User, UserListQuery, UserPatch},
    users::rules::normalize_email,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub email_normalized: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub active: bool,
    pub first_name: String,
    pub last_name: String,
    pub profession: Option<String>,
    pub degree: Option<String>,
    pub npi: Option<String>,
    pub nabp_eprofile_id: Option<String>,
    pub birth_mmdd: Option<String>,
    pub consent_to_report: bool,
    pub external_id: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub email_verified_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_licenses)]
struct LicenseRow {
    id: String,
    user_id: String,
    position: i32,
    state: String,
    license_type: String,
    license_number: String,
    expires_on: Option<chrono::NaiveDate>,
}

pub struct NewUser {
    pub email: String,
    pub password_hash: Option<String>,
    pub role: Role,
    pub first_name: String,
    pub last_name: String,
    pub profession: Option<Profession>,
    pub external_id: Option<String>,
    /// Accounts the program creates are trusted; self-signups prove their mailbox first.
    pub email_verified: bool,
}

pub(super) fn email_taken() -> ApiError {
    ApiError::Conflict {
        kind: ProblemType::EmailTaken,
        detail: "an account with this email already exists".into(),
    }
}

/// Inserts a user; 409 `email-taken` when the email (in any letter case) is in use.
pub fn insert(conn: &mut DbConnection, new: NewUser) -> ApiResult<UserRow> {
    let now = now();
    let row = UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        email_normalized: normalize_email(&new.email),
        email: new.email.trim().to_string(),
        password_hash: new.password_hash,
        role: new.role.as_str().into(),
        active: true,
        first_name: new.first_name.trim().to_string(),
        last_name: new.last_name.trim().to_string(),
        profession: new.profession.map(|p| p.as_str().to_string()),
        degree: None,
        npi: None,
        nabp_eprofile_id: None,
        birth_mmdd: None,
        consent_to_report: false,
        external_id: new.external_id,
        version: 1,
        created_at: now,
        updated_at: now,
        email_verified_at: new.email_verified.then_some(now),
    };
    diesel::insert_into(users::table).values(&row).execute(conn).map_err(|e| match ApiError::from(e) {
        ApiError::Conflict { .. } => email_taken(),
        other => other,
    })?;
    Ok(row)
}

/// Sets the account's password hash and, when the mailbox was just proven, its verification;
/// a new version, like every change.
pub fn set_credentials(
    conn: &mut DbConnection,
    id: &str,
    password_hash: Option<&str>,
    verified: bool,
) -> ApiResult<()> {
    let now = now();
    let target = users::table.find(id);
    if let Some(hash) = password_hash {
        diesel::update(target).set(users::password_hash.eq(hash)).execute(conn)?;
    }
    if verified {
        diesel::update(target.filter(users::email_verified_at.is_null()))
            .set(users::email_verified_at.eq(now))
            .execute(conn)?;
    }
    diesel::update(target)
        .set((users::version.eq(users::version + 1), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<UserRow>> {
    Ok(users::table.find(id).select(UserRow::as_select()).first(conn).optional()?)
}

/// Several users in one query, by id.
pub fn find_many(conn: &mut DbConnection, ids: &[&str]) -> ApiResult<HashMap<String, UserRow>> {
    let rows: Vec<UserRow> =
        users::table.filter(users::id.eq_any(ids)).select(UserRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> ApiResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::email_normalized.eq(normalize_email(email)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

fn to_user(
    row: UserRow,
    board_ids: BTreeMap<String, String>,
    state_licenses: Vec<StateLicense>,
) -> ApiResult<User> {
    Ok(User {
        role: Role::parse(&row.role)
            .ok_or_else(|| ApiError::internal(format!("unknown role {}", row.role)))?,
        profession: row.profession.as_deref().and_then(Profession::parse),
        id: row.id,
        email: row.email,
        first_name: row.first_name,
        last_name: row.last_name,
        active: row.active,
        degree: row.degree,
        npi: row.npi,
        nabp_eprofile_id: row.nabp_eprofile_id,
        birth_mmdd: row.birth_mmdd,
        board_ids,
        state_licenses,
        consent_to_report: row.consent_to_report,
        external_id: row.external_id,
        email_verified: row.email_verified_at.is_some(),
        version: row.version,
        created_at: to_utc(row.created_at),
        updated_at: to_utc(row.updated_at),
    })
}

/// Users with their board IDs and licenses, loaded with one query per table (no N+1).
pub fn with_records(conn: &mut DbConnection, rows: Vec<UserRow>) -> ApiResult<Vec<User>> {
    let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
    let mut boards: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    for (user_id, board, board_id) in user_board_ids::table
        .filter(user_board_ids::user_id.eq_any(&ids))
        .select((user_board_ids::user_id, user_board_ids::board, user_board_ids::board_id))
        .load::<(String, String, String)>(conn)?
    {
        boards.entry(user_id).or_default().insert(board, board_id);
    }
    let mut licenses: HashMap<String, Vec<StateLicense>> = HashMap::new();
    for license in user_licenses::table
        .filter(user_licenses::user_id.eq_any(&ids))
        .order((user_licenses::user_id, user_licenses::position))
        .select(LicenseRow::as_select())
        .load(conn)?
    {
        licenses.entry(license.user_id).or_default().push(StateLicense {
            state: license.state,
            license_type: license.license_type,
            license_number: license.license_number,
            expires_on: license.expires_on,
        });
    }
    rows.into_iter()
        .map(|row| {
            let user_boards = boards.remove(&row.id).unwrap_or_default();
            let user_licenses = licenses.remove(&row.id).unwrap_or_default();
            to_user(row, user_boards, user_licenses)
        })
        .collect()
}

pub fn load(conn: &mut DbConnection, id: &str) -> ApiResult<Option<User>> {
    let Some(row) = find(conn, id)? else { return Ok(None) };
    Ok(with_records(conn, vec![row])?.pop())
}

/// Sort key of the user list: creation order (UUIDv7), or change order for `updated_since`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct UserCursor {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<NaiveDateTime>,
}

/// A page of accounts; `client` is the integration client asking, whose own ids
/// `external_id` names.
pub fn list(
    conn: &mut DbConnection,
    query: &UserListQuery,
    client: Option<&str>,
    limit: i64,
    after: Option<UserCursor>,
) -> ApiResult<Vec<UserRow>> {
    let mut select = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(role) = query.role {
        select = select.filter(users::role.eq(role.as_str()));
    }
    if let Some(active) = query.active {
        select = select.filter(users::active.eq(active));
    }
    if let Some(email) = query.email.as_deref().filter(|e| !e.is_empty()) {
        select = select.filter(users::email_normalized.eq(normalize_email(email)));
    }
    if let Some(npi) = query.npi.as_deref() {
        select = select.filter(users::npi.eq(npi.to_string()));
    }
    match (query.external_id.as_deref(), client) {
        (Some(external_id), Some(client_id)) => {
            let mapped = user_external_ids::table
                .filter(user_external_ids::client_id.eq(client_id.to_string()))
                .filter(user_external_ids::external_id.eq(external_id.to_string()))
                .select(user_external_ids::user_id);
            select = select.filter(users::id.eq_any(mapped));
        }
        (Some(external_id), None) => select = select.filter(users::external_id.eq(external_id.to_string())),
        (None, _) => {}
    }
    if let Some(since) = query.updated_since {
        select = select.filter(users::updated_at.ge(since.naive_utc())).order((users::updated_at, users::id));
        if let Some(UserCursor { id, updated_at: Some(at) }) = after {
            select = select.filter(crate::db::keyset::after("users", "updated_at", at, id));
        }
    } else {
        select = select.order(users::id);
        if let Some(cursor) = after {
            select = select.filter(users::id.gt(cursor.id));
        }
    }
    Ok(crate::db::page_limit::at_least(select, limit + 1).load(conn)?)
}

/// Applies a merge patch under optimistic concurrency: the update only lands if the version
/// is still `expected_version`, so two concurrent writers cannot both win.
pub fn apply_patch(conn: &mut DbConnection, current: UserRow, patch: UserPatch) -> ApiResult<UserRow> {
    let mut next = current.clone();
    if let Some(email) = &patch.email {
        next.email = email.trim().to_string();
        next.email_normalized = normalize_email(email);
    }
    if let Some(role) = patch.role {
        next.role = role.as_str().into();
    }
    if let Some(active) = patch.active {
        next.active = active;
    }
    if let Some(external_id) = patch.external_id {
        next.external_id = external_id;
    }
    if let Some(first_name) = patch.first_name {
        next.first_name = first_name.trim().to_string();
    }
    if let Some(last_name) = patch.last_name {
        next.last_name = last_name.trim().to_string();
    }
    if let Some(profession) = patch.profession {
        next.profession = profession.map(|p| p.as_str().to_string());
    }
    if let Some(degree) = patch.degree {
        next.degree = degree;
    }
    if let Some(npi) = patch.npi {
        next.npi = npi;
    }
    if let Some(nabp) = patch.nabp_eprofile_id {
        next.nabp_eprofile_id = nabp;
    }
    if let Some(mmdd) = patch.birth_mmdd {
        next.birth_mmdd = mmdd;
    }
    if let Some(consent) = patch.consent_to_report {
        next.consent_to_report = consent;
    }
    next.version = current.version + 1;
    next.updated_at = now().max(current.updated_at);

    let updated = diesel::update(
        users::table.filter(users::id.eq(&current.id)).filter(users::version.eq(current.version)),
    )
    .set(&next)
    .execute(conn)
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict { .. } => email_taken(),
        other => other,
    })?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    if let Some(boards) = patch.board_ids {
        merge_board_ids(conn, &current.id, boards)?;
    }
    if let Some(licenses) = patch.state_licenses {
        replace_licenses(conn, &current.id, licenses.unwrap_or_default())?;
    }
    Ok(next)
}

fn merge_board_ids(
    conn: &mut DbConnection,
    user_id: &str,
    boards: BTreeMap<String, Option<String>>,
) -> ApiResult<()> {
    for (board, board_id) in boards {
        diesel::delete(user_board_ids::table.find((user_id, &board))).execute(conn)?;
        if let Some(board_id) = board_id {
            diesel::insert_into(user_board_ids::table)
                .values((
                    user_board_ids::user_id.eq(user_id),
                    user_board_ids::board.eq(&board),
                    user_board_ids::board_id.eq(board_id),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

fn replace_licenses(conn: &mut DbConnection, user_id: &str, licenses: Vec<StateLicense>) -> ApiResult<()> {
    diesel::delete(user_licenses::table.filter(user_licenses::user_id.eq(user_id))).execute(conn)?;
    let rows: Vec<LicenseRow> = licenses
        .into_iter()
        .enumerate()
        .map(|(position, license)| LicenseRow {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: user_id.to_string(),
            position: position as i32,
            state: license.state,
            license_type: license.license_type,
            license_number: license.license_number,
            expires_on: license.expires_on,
        })
        .collect();
    for row in rows {
        diesel::insert_into(user_licenses::table).values(&row).execute(conn)?;
    }
    Ok(())
}

/// Refuses a change that would leave the program without an active administrator, or that
/// takes an administrator's own access away (a lock-out nobody can undo through the API).
pub fn guard_admin_lockout(caller_id: &str, current: &UserRow, patch: &UserPatch) -> ApiResult<()> {
    let demoted = patch.role.is_some_and(|r| r != Role::Admin) && current.role == Role::Admin.as_str();
    let deactivated = patch.active == Some(false);
    if current.id == caller_id && (demoted || deactivated) {
        return Err(ApiError::Rule {
            kind: ProblemType::SelfLockout,
            title: "Administrators cannot remove their own access",
            detail: "ask another administrator to change your role or status".into(),
            errors: vec![FieldError::new(
                if demoted { "role" } else { "active" },
                "self_lockout",
                "you cannot remove your own administrator access",
            )],
        });
    }
    Ok(())
}

/// Where an integration client's external id for a learner came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySource {
    /// The client created the account: it is the source of its fields.
    Created,
    /// The learner's own account, found by email: the client only fills what is empty.
    Linked,
}

/// The learner and source behind a client's external id.
pub fn external_identity(
    conn: &mut DbConnection,
    client_id: &str,
    external_id: &str,
) -> ApiResult<Option<(String, IdentitySource)>> {
    let found: Option<(String, String)> = user_external_ids::table
        .find((client_id, external_id))
        .select((user_external_ids::user_id, user_external_ids::source))
        .first(conn)
        .optional()?;
    Ok(found.map(|(user_id, source)| {
        (user_id, if source == "created" { IdentitySource::Created } else { IdentitySource::Linked })
    }))
}

/// The client's external id for a learner, if it has one.
pub fn external_id_of(conn: &mut DbConnection, client_id: &str, user_id: &str) -> ApiResult<Option<String>> {
    Ok(user_external_ids::table
        .filter(user_external_ids::client_id.eq(client_id))
        .filter(user_external_ids::user_id.eq(user_id))
        .select(user_external_ids::external_id)
        .first(conn)
        .optional()?)
}

pub fn insert_external_identity(
    conn: &mut DbConnection,
    client_id: &str,
    external_id: &str,
    user_id: &str,
    source: IdentitySource,
) -> ApiResult<()> {
    diesel::insert_into(user_external_ids::table)
        .values((
            user_external_ids::client_id.eq(client_id),
            user_external_ids::external_id.eq(external_id),
            user_external_ids::user_id.eq(user_id),
            user_external_ids::source.eq(match source {
                IdentitySource::Created => "created",
                IdentitySource::Linked => "linked",
            }),
            user_external_ids::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}
