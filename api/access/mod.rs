//! Who may do what to which object, in one place.
//!
//! A request works out once how its caller relates to the activity at hand ([`Relation`]:
//! administrator, one of its planners, enrolled, leadership, client with scopes, nobody in
//! particular); every question ("may they read this claim?", "decide it?", "see this roster?")
//! is then a pure function of that relation, tested as a table below. Services ask these
//! functions; nothing else decides access.
//!
//! Two kinds of refusal: *function-level* ("may this caller do this at all?") is a 403
//! (`forbidden`, or `insufficient_scope` for a client missing a scope); *object-level* ("may
//! this caller see this record?") is a 404, so that nobody learns that another learner's
//! record exists.

mod store;

pub use store::{activities_planned_by, enrollment_is_live, planner_has_active_learner, planner_listing};

use crate::{
    auth::{Caller, Role, Scope},
    db::DbConnection,
    error::{ApiError, ApiResult, ProblemType},
};

/// How the caller stands to one activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub who: Who,
    /// The caller created the activity or is listed as one of its planners (looked up for
    /// planners only, see [`Relation::of`]).
    pub plans: bool,
    /// The caller holds a live (not cancelled) enrollment in it (looked up for planners and
    /// learners only).
    pub enrolled: bool,
}

/// The caller, as access rules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    Admin,
    Planner,
    Learner,
    Leader,
    Client(Vec<Scope>),
}

impl Who {
    pub fn of(caller: &Caller) -> Who {
        match caller {
            Caller::User { role: Role::Admin, .. } => Who::Admin,
            Caller::User { role: Role::Planner, .. } => Who::Planner,
            Caller::User { role: Role::Learner, .. } => Who::Learner,
            Caller::User { role: Role::Leader, .. } => Who::Leader,
            Caller::Client { scopes, .. } => Who::Client(scopes.clone()),
        }
    }
}

impl Relation {
    /// Works out how `caller` relates to the activity `activity_id`, looking up only what a
    /// decision can turn on: one indexed query for planners and learners, none for
    /// administrators (who run every activity), leadership (who read them all) and clients
    /// (whose scopes decide). For those `plans` and `enrolled` are left false.
    pub fn of(conn: &mut DbConnection, caller: &Caller, activity_id: &str) -> ApiResult<Relation> {
        let who = Who::of(caller);
        let (plans, enrolled) = match caller {
            Caller::User { id, role: Role::Planner } => store::plans_and_enrolled(conn, activity_id, id)?,
            Caller::User { id, role: Role::Learner } => (false, store::enrolled(conn, activity_id, id)?),
            Caller::User { role: Role::Admin | Role::Leader, .. } | Caller::Client { .. } => (false, false),
        };
        Ok(Relation { who, plans, enrolled })
    }

    /// Administrators and the activity's planners: they run it.
    pub fn runs_activity(&self) -> bool {
        self.who == Who::Admin || (self.who == Who::Planner && self.plans)
    }

    fn client_has(&self, scope: Scope) -> bool {
        matches!(&self.who, Who::Client(scopes) if scopes.contains(&scope))
    }

    fn is_client(&self) -> bool {
        matches!(self.who, Who::Client(_))
    }
}

/// An answer to a "may" question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not the caller's to see: 404.
    Hide,
    /// Seen, but not the caller's to do: 403 `forbidden` with this detail.
    Forbid(&'static str),
    /// A client without the scope: 403 `insufficient_scope`.
    MissingScope(Scope),
    /// Nobody decides on their own credit claim: 403 `own-claim-decision`.
    OwnClaim,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allow
    }

    /// `Ok(())` when allowed, the refusal as an error otherwise.
    pub fn check(self) -> ApiResult<()> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Hide => Err(ApiError::NotFound),
            Decision::Forbid(detail) => Err(forbidden(detail)),
            Decision::MissingScope(scope) => Err(insufficient_scope(scope)),
            Decision::OwnClaim => Err(ApiError::Forbidden {
                kind: ProblemType::OwnClaimDecision,
                detail: "nobody approves, rejects or revokes their own credit claim; ask another planner or \
                         administrator"
                    .into(),
            }),
        }
    }

    /// The first refusal of `self` and `then`, or `Allow`.
    fn and(self, then: impl FnOnce() -> Decision) -> Decision {
        if self.allowed() {
            then()
        } else {
            self
        }
    }
}

fn forbidden(detail: &'static str) -> ApiError {
    ApiError::Forbidden { kind: ProblemType::Forbidden, detail: detail.into() }
}

fn insufficient_scope(scope: Scope) -> ApiError {
    ApiError::Forbidden {
        kind: ProblemType::InsufficientScope,
        detail: format!("this needs the `{}` scope", scope.as_str()).into(),
    }
}

fn allow_if(condition: bool, otherwise: Decision) -> Decision {
    if condition {
        Decision::Allow
    } else {
        otherwise
    }
}

/// Clients pass with `scope` (403 `insufficient_scope` without); people go on to `person`.
fn client_scope_or(relation: &Relation, scope: Scope, person: impl FnOnce() -> Decision) -> Decision {
    if relation.is_client() {
        allow_if(relation.client_has(scope), Decision::MissingScope(scope))
    } else {
        person()
    }
}

// ---- activities -------------------------------------------------------------------------

/// Drafts are seen only by administrators and the activity's planners; the rest by everyone
/// who may read the catalog.
pub fn may_see_activity(relation: &Relation, is_draft: bool) -> Decision {
    allow_if(!is_draft || relation.runs_activity(), Decision::Hide)
}

pub fn may_change_activity(relation: &Relation) -> Decision {
    allow_if(
        relation.runs_activity(),
        Decision::Forbid("only the activity's planners and administrators may change it"),
    )
}

/// Creating activities is for planners and administrators.
pub fn may_create_activity(caller: &Caller) -> Decision {
    allow_if(
        matches!(Who::of(caller), Who::Planner | Who::Admin),
        if matches!(caller, Caller::Client { .. }) {
            Decision::Forbid("this endpoint is for people, not integration clients")
        } else {
            Decision::Forbid("your role may not do this")
        },
    )
}

/// What part of the catalog the caller lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogView {
    /// Published activities.
    Public,
    /// Published ones and the drafts this planner plans.
    Planner(String),
    /// Everything.
    All,
}

/// Anonymous callers, learners and leadership see the public catalog; clients need
/// `activities:read`.
pub fn catalog_view(caller: Option<&Caller>) -> ApiResult<CatalogView> {
    match caller {
        None => Ok(CatalogView::Public),
        Some(Caller::User { role: Role::Admin, .. }) => Ok(CatalogView::All),
        Some(Caller::User { id, role: Role::Planner }) => Ok(CatalogView::Planner(id.clone())),
        Some(Caller::User { role: Role::Learner | Role::Leader, .. }) => Ok(CatalogView::Public),
        Some(client @ Caller::Client { .. }) => {
            client.require_admin_or_scope(Scope::ActivitiesRead)?;
            Ok(CatalogView::Public)
        }
    }
}

// ---- enrollments ------------------------------------------------------------------------

/// Administrators, the activity's planners, and clients holding `scope` manage its learners.
pub fn manages_learners(relation: &Relation, scope: Scope) -> bool {
    relation.runs_activity() || relation.client_has(scope)
}

fn managers_only(relation: &Relation, scope: Scope, detail: &'static str) -> Decision {
    client_scope_or(relation, scope, || allow_if(relation.runs_activity(), Decision::Forbid(detail)))
}

pub fn may_read_roster(relation: &Relation) -> Decision {
    managers_only(
        relation,
        Scope::EnrollmentsRead,
        "rosters are for the activity's planners and administrators",
    )
}

pub fn may_enroll_others(relation: &Relation) -> Decision {
    managers_only(
        relation,
        Scope::EnrollmentsWrite,
        "only the activity's planners and administrators enroll others",
    )
}

pub fn may_report_completion(relation: &Relation) -> Decision {
    managers_only(
        relation,
        Scope::EnrollmentsWrite,
        "completions are reported by planners, administrators or the LMS",
    )
}

/// Managers enroll learner accounts only: never an administrator, planner or leader (who
/// enroll themselves if they take the course).
pub fn may_be_enrolled_by_manager(target_role: Role) -> bool {
    target_role == Role::Learner
}

/// Learners their own enrollments; managers (read or write) their activity's. Clients that
/// may write enrollments (report completions, cancel) may read them too.
pub fn may_read_enrollment(relation: &Relation, own: bool) -> Decision {
    if relation.is_client()
        && !relation.client_has(Scope::EnrollmentsWrite)
        && !relation.client_has(Scope::EnrollmentsRead)
    {
        return Decision::MissingScope(Scope::EnrollmentsRead);
    }
    allow_if(
        own || manages_learners(relation, Scope::EnrollmentsRead)
            || manages_learners(relation, Scope::EnrollmentsWrite),
        Decision::Hide,
    )
}

/// Who may cancel: the learner (before the start, checked by the service) and managers with
/// `enrollments:write`.
pub fn may_cancel_enrollment(relation: &Relation, own: bool) -> Decision {
    may_read_enrollment(relation, own).and(|| {
        if relation.is_client() {
            allow_if(
                relation.client_has(Scope::EnrollmentsWrite),
                Decision::MissingScope(Scope::EnrollmentsWrite),
            )
        } else {
            Decision::Allow
        }
    })
}

// ---- credit claims ----------------------------------------------------------------------

/// Administrators and the activity's planners decide on its claims.
pub fn decides_claims(relation: &Relation) -> bool {
    relation.runs_activity()
}

/// The learner, those who decide, and clients with `credits:read`.
pub fn may_read_claim(relation: &Relation, own: bool) -> Decision {
    client_scope_or(relation, Scope::CreditsRead, || {
        allow_if(own || decides_claims(relation), Decision::Hide)
    })
}

/// Approve, reject, revoke: those who decide, never on their own claim.
pub fn may_decide_claim(relation: &Relation, own: bool) -> Decision {
    may_read_claim(relation, own)
        .and(|| {
            allow_if(
                decides_claims(relation),
                Decision::Forbid(
                    "claims are approved, rejected and revoked by the activity's planners and administrators",
                ),
            )
        })
        .and(|| allow_if(!own, Decision::OwnClaim))
}

/// Claims (and amendments) are filed by the learner or, for them, by those who decide; and by
/// integration clients with `credits:write` where the activity accepts LMS-reported claims.
pub fn may_file_claim(relation: &Relation, own: bool, lms_reported_claims: bool) -> Decision {
    if relation.is_client() {
        if !lms_reported_claims {
            return Decision::Forbid(
                "credit is claimed by learners, or by planners for them; this activity takes no claims from an LMS",
            );
        }
        return allow_if(
            relation.client_has(Scope::CreditsWrite),
            Decision::MissingScope(Scope::CreditsWrite),
        );
    }
    allow_if(own || decides_claims(relation), Decision::Hide)
}

/// A revoked credit is claimed again only by those who decide on claims.
pub fn may_reclaim_revoked(relation: &Relation) -> bool {
    decides_claims(relation)
}

// ---- surveys and reports ----------------------------------------------------------------

/// What a caller may do with an activity's surveys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyAccess {
    /// Planners of the activity and administrators: everything.
    Manage,
    /// Program leadership and clients with `surveys:read`: the surveys, never a learner's
    /// responses.
    Read,
    /// An enrolled learner: the questions without their answers, and their own responses.
    Respond,
}

/// `Err` is the refusal (404 for people with no part in the activity).
pub fn survey_access(relation: &Relation) -> Result<SurveyAccess, Decision> {
    if relation.runs_activity() {
        return Ok(SurveyAccess::Manage);
    }
    match relation.who {
        Who::Leader => Ok(SurveyAccess::Read),
        Who::Client(_) if relation.client_has(Scope::SurveysRead) => Ok(SurveyAccess::Read),
        Who::Client(_) => Err(Decision::MissingScope(Scope::SurveysRead)),
        _ if relation.enrolled => Ok(SurveyAccess::Respond),
        _ => Err(Decision::Hide),
    }
}

/// An activity's outcome report: its planners, administrators, leadership, clients with
/// `surveys:read`.
pub fn may_read_activity_report(relation: &Relation) -> Decision {
    client_scope_or(relation, Scope::SurveysRead, || {
        allow_if(
            relation.runs_activity() || relation.who == Who::Leader,
            Decision::Forbid("outcome reports are for the activity's planners and program leadership"),
        )
    })
}

/// The program report: planners (over their activities), administrators, leadership, clients
/// with `surveys:read`.
pub fn may_read_program_report(caller: &Caller) -> Decision {
    match Who::of(caller) {
        Who::Learner => Decision::Forbid("program reports are for planners and program leadership"),
        Who::Client(scopes) => {
            allow_if(scopes.contains(&Scope::SurveysRead), Decision::MissingScope(Scope::SurveysRead))
        }
        Who::Admin | Who::Planner | Who::Leader => Decision::Allow,
    }
}

/// Reporting to the boards: administrators all of it, planners their activities' items and
/// their own batches, clients with `reporting:read` read all; learners and leadership are
/// refused. `write`: building batches and recording answers (people only).
pub fn reporting_scope(caller: &Caller, write: bool) -> ApiResult<ListScope> {
    match caller {
        Caller::User { role: Role::Admin, .. } => Ok(ListScope::All),
        Caller::User { id, role: Role::Planner } => Ok(ListScope::Planner(id.clone())),
        Caller::Client { .. } if !write => {
            caller.require_admin_or_scope(Scope::ReportingRead)?;
            Ok(ListScope::All)
        }
        Caller::Client { .. } => Err(forbidden("batches are built by administrators and planners")),
        Caller::User { .. } => Err(forbidden("reporting to the boards is for administrators and planners")),
    }
}

// ---- people -----------------------------------------------------------------------------

/// An account and learner record: themselves, administrators, clients with `users:read`,
/// and planners while the learner is actively enrolled (registered, waitlisted or completed)
/// in one of their activities (`planner_has_learner`, asked only for planners).
pub fn may_read_user(caller: &Caller, user_id: &str, planner_has_learner: impl FnOnce() -> bool) -> bool {
    match caller {
        Caller::User { id, .. } if id == user_id => true,
        Caller::User { role: Role::Admin, .. } => true,
        Caller::User { role: Role::Planner, .. } => planner_has_learner(),
        Caller::User { role: Role::Learner | Role::Leader, .. } => false,
        Caller::Client { scopes, .. } => scopes.contains(&Scope::UsersRead),
    }
}

/// [`may_read_user`] with the planner's question answered from the database.
pub fn user_visible(conn: &mut DbConnection, caller: &Caller, user_id: &str) -> ApiResult<bool> {
    let has_learner = match caller {
        Caller::User { id, role: Role::Planner } if id != user_id => {
            planner_has_active_learner(conn, id, user_id)?
        }
        _ => false,
    };
    Ok(may_read_user(caller, user_id, || has_learner))
}

/// [`user_visible`], or 404.
pub fn ensure_may_read_user(conn: &mut DbConnection, caller: &Caller, user_id: &str) -> ApiResult<()> {
    allow_if(user_visible(conn, caller, user_id)?, Decision::Hide).check()
}

/// A transcript: the learner, administrators, clients with `credits:read` (403 for clients
/// without it; 404 for everyone else).
pub fn may_read_transcript(caller: &Caller, user_id: &str) -> Decision {
    match caller {
        Caller::User { id, .. } if id == user_id => Decision::Allow,
        Caller::User { role: Role::Admin, .. } => Decision::Allow,
        Caller::User { .. } => Decision::Hide,
        Caller::Client { scopes, .. } => {
            allow_if(scopes.contains(&Scope::CreditsRead), Decision::MissingScope(Scope::CreditsRead))
        }
    }
}

/// Whose records a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// The learner's own.
    Learner(String),
    /// Those of the activities this planner plans.
    Planner(String),
    All,
}

impl ListScope {
    /// Learners (and leadership, who read aggregates instead) their own, planners their
    /// activities', administrators all, and clients all if they hold `client_scope` (403
    /// otherwise).
    pub fn of(caller: &Caller, client_scope: Scope) -> ApiResult<ListScope> {
        Ok(match caller {
            Caller::User { id, role: Role::Learner | Role::Leader } => ListScope::Learner(id.clone()),
            Caller::User { id, role: Role::Planner } => ListScope::Planner(id.clone()),
            Caller::User { role: Role::Admin, .. } => ListScope::All,
            Caller::Client { .. } => {
                caller.require_admin_or_scope(client_scope)?;
                ListScope::All
            }
        })
    }
}

// ---- function-level checks on the caller alone --------------------------------------------

impl Caller {
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

    /// Admins, or clients holding `scope` (403 `insufficient_scope` for other clients).
    /// A machine client holding `scope`: the id whose namespace its external ids live in.
    pub fn require_client_scope(&self, scope: Scope) -> ApiResult<&str> {
        match self {
            Caller::Client { id, scopes } if scopes.contains(&scope) => Ok(id),
            Caller::Client { .. } => Err(insufficient_scope(scope)),
            Caller::User { .. } => Err(forbidden("this is for integration clients, by their own ids")),
        }
    }

    pub fn require_admin_or_scope(&self, scope: Scope) -> ApiResult<()> {
        match self {
            Caller::User { role: Role::Admin, .. } => Ok(()),
            Caller::User { .. } => Err(forbidden("only administrators may do this")),
            Caller::Client { scopes, .. } if scopes.contains(&scope) => Ok(()),
            Caller::Client { .. } => Err(insufficient_scope(scope)),
        }
    }
}

#[cfg(test)]
mod tests;

/// Webhook endpoints belong to administrators and machine clients; other people have none.
pub fn ensure_may_manage_webhooks(caller: &Caller) -> ApiResult<()> {
    match caller {
        Caller::Client { .. } | Caller::User { role: Role::Admin, .. } => Ok(()),
        Caller::User { .. } => {
            Err(forbidden("webhook endpoints are for administrators and integration clients"))
        }
    }
}

/// An endpoint is its owner's; administrators see every one.
pub fn webhook_endpoint_visible(caller: &Caller, owner: &str) -> bool {
    caller.is_admin() || caller.actor() == owner
}

/// Batches act on other people's enrollments: learners have their own single calls.
pub fn forbidden_for_learners() -> ApiError {
    forbidden("batches are for planners, administrators and integration clients")
}
