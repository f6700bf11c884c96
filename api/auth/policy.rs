//! Who may do what, in one place. Handlers ask; they do not hand-roll checks.
//!
//! Two kinds of answer: *function-level* ("may this caller use this endpoint at all?") is a
//! 403 when refused; *object-level* ("may this caller see this record?") answers 404 when
//! refused, so that nobody learns that another learner's record exists.

use diesel::prelude::*;

use crate::{
    auth::{Caller, Role, Scope},
    db::DbConnection,
    error::{ApiError, ApiResult, ProblemType},
};

fn forbidden(detail: &'static str) -> ApiError {
    ApiError::Forbidden { kind: ProblemType::Forbidden, detail: detail.into() }
}

fn insufficient_scope(scope: Scope) -> ApiError {
    ApiError::Forbidden {
        kind: ProblemType::InsufficientScope,
        detail: format!("this needs the `{}` scope", scope.as_str()).into(),
    }
}

impl Caller {
    /// The caller as records name them (`enrolled_by`, audit lines) and as the owner of
    /// idempotency keys: `user:<id>` or `client:<id>`.
    pub fn actor(&self) -> String {
        match self {
            Caller::User { id, .. } => format!("user:{id}"),
            Caller::Client { id, .. } => format!("client:{id}"),
        }
    }

    /// The person calling; machine clients are refused (403).
    pub fn person(&self) -> ApiResult<(&str, Role)> {
        match self {
            Caller::User { id, role } => Ok((id, *role)),
            Caller::Client { .. } => Err(forbidden("this endpoint is for people, not integration clients")),
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Caller::User { role: Role::Admin, .. })
    }

    pub fn has_scope(&self, scope: Scope) -> bool {
        matches!(self, Caller::Client { scopes, .. } if scopes.contains(&scope))
    }

    /// Admins only.
    pub fn require_admin(&self) -> ApiResult<&str> {
        match self {
            Caller::User { id, role: Role::Admin } => Ok(id),
            _ => Err(forbidden("only administrators may do this")),
        }
    }

    /// People with one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> ApiResult<(&str, Role)> {
        let (id, role) = self.person()?;
        if roles.contains(&role) {
            Ok((id, role))
        } else {
            Err(forbidden("your role may not do this"))
        }
    }

    /// Admins, or clients holding `scope` (403 `insufficient_scope` for other clients).
    pub fn require_admin_or_scope(&self, scope: Scope) -> ApiResult<()> {
        match self {
            Caller::User { role: Role::Admin, .. } => Ok(()),
            Caller::User { .. } => Err(forbidden("only administrators may do this")),
            Caller::Client { scopes, .. } if scopes.contains(&scope) => Ok(()),
            Caller::Client { .. } => Err(insufficient_scope(scope)),
        }
    }
}

/// Whether `caller` may read the account and learner record of `user_id`: themselves, admins,
/// clients with `users:read`, and planners for learners enrolled in activities they plan.
pub fn may_read_user(caller: &Caller, user_id: &str, conn: &mut DbConnection) -> ApiResult<bool> {
    Ok(match caller {
        Caller::User { id, .. } if id == user_id => true,
        Caller::User { role: Role::Admin, .. } => true,
        Caller::User { id, role: Role::Planner } => planner_has_learner(conn, id, user_id)?,
        Caller::User { role: Role::Learner | Role::Leader, .. } => false,
        Caller::Client { .. } => caller.has_scope(Scope::UsersRead),
    })
}

/// Planners see the learners enrolled (in any state) in the activities they plan: those they
/// created and those that list them as a planner.
fn planner_has_learner(conn: &mut DbConnection, planner_id: &str, learner_id: &str) -> QueryResult<bool> {
    use crate::{activities::store as activity_store, db::schema::enrollments};
    let created = activity_store::created_by(planner_id.to_string());
    let listed = activity_store::listing_planner(planner_id.to_string());
    diesel::select(diesel::dsl::exists(
        enrollments::table
            .filter(enrollments::user_id.eq(learner_id.to_string()))
            .filter(enrollments::activity_id.eq_any(created).or(enrollments::activity_id.eq_any(listed))),
    ))
    .get_result(conn)
}

/// `Ok(())` when visible; 404 otherwise.
pub fn ensure_may_read_user(caller: &Caller, user_id: &str, conn: &mut DbConnection) -> ApiResult<()> {
    if may_read_user(caller, user_id, conn)? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}
