//! Accounts and data created by commands: the bootstrap administrator and the demo data that
//! makes Swagger UI worth exploring. All of it is idempotent.

use crate::{
    auth::{password, Role},
    db::DbConnection,
    error::{ApiError, ApiResult},
    users::{service as users, NewUser},
};

/// Demo accounts printed in the README (never use these outside a demo).
pub const DEMO_ACCOUNTS: [(&str, &str, Role, &str, &str); 4] = [
    ("admin@demo.ce-api.dev", "demo-admin-password", Role::Admin, "Avery", "Admin"),
    ("planner@demo.ce-api.dev", "demo-planner-password", Role::Planner, "Priya", "Planner"),
    ("learner@demo.ce-api.dev", "demo-learner-password", Role::Learner, "Lee", "Learner"),
    ("leader@demo.ce-api.dev", "demo-leader-password", Role::Leader, "Lane", "Leader"),
];

/// Creates an active administrator with `email` unless an account with it exists.
/// Returns whether one was created.
pub fn ensure_admin(conn: &mut DbConnection, email: &str, plain_password: &str) -> ApiResult<bool> {
    ensure_user(conn, email, plain_password, Role::Admin, "Program", "Administrator")
}

fn ensure_user(
    conn: &mut DbConnection,
    email: &str,
    plain_password: &str,
    role: Role,
    first_name: &str,
    last_name: &str,
) -> ApiResult<bool> {
    if users::account_by_email(conn, email)?.is_some() {
        return Ok(false);
    }
    if (plain_password.chars().count() as u64) < password::MIN_LENGTH {
        return Err(ApiError::validation("password", "length", "must be at least 12 characters"));
    }
    let password_hash = Some(password::hash(plain_password)?);
    let new = NewUser {
        email: email.into(),
        password_hash,
        role,
        first_name: first_name.into(),
        last_name: last_name.into(),
        profession: None,
        external_id: None,
        email_verified: true,
    };
    match users::insert_account(conn, new) {
        Ok(_) => Ok(true),
        // Another replica created it at the same moment.
        Err(ApiError::Conflict { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// The demo accounts; returns how many were created.
pub fn seed_demo(conn: &mut DbConnection) -> ApiResult<usize> {
    let mut created = 0;
    for (email, plain_password, role, first_name, last_name) in DEMO_ACCOUNTS {
        if ensure_user(conn, email, plain_password, role, first_name, last_name)? {
            created += 1;
        }
    }
    Ok(created)
}
