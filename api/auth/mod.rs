//! Who is calling: roles, scopes, password hashing, JWT signing keys and claims, and the
//! [`Caller`] extractor. What a caller may do is decided by [`crate::access`].

pub mod caller;
pub mod jwt;
pub mod keys;
pub mod password;
pub mod secrets;
mod store;
pub mod verified;

pub use caller::{Caller, OptionalCaller, PendingCaller};

/// Whether the login session `family_id` still stands, as an `EXISTS` for a query to carry (a
/// write that reads its caller's standing in its own statement: see
/// [`PendingCaller::confirm_with`]).
pub fn session_stands(family_id: &str) -> store::session_stands {
    store::session_stands(family_id.to_string())
}

/// Callers for tests and benchmarks that call use cases directly. Not for the service's own
/// code, which takes them from requests.
#[doc(hidden)]
pub mod fixtures {
    /// The caller of a write whose token this process verified before: its account and session
    /// still to be checked, as the write extracts it.
    pub fn unchecked(claims: super::jwt::Claims) -> super::PendingCaller {
        super::caller::unchecked(claims)
    }
}

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a person may do in the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Enrolls, attends, claims credit; sees only their own records.
    Learner,
    /// Plans and runs activities; sees the learners of their activities.
    Planner,
    /// Runs the program: every record, users and integration clients.
    Admin,
    /// Program leadership: reads every activity's and the program's outcome reports; no
    /// learner-identifying data.
    Leader,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Planner => "planner",
            Role::Admin => "admin",
            Role::Leader => "leader",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "learner" => Some(Role::Learner),
            "planner" => Some(Role::Planner),
            "admin" => Some(Role::Admin),
            "leader" => Some(Role::Leader),
            _ => None,
        }
    }
}

/// What a machine client (a hospital LMS) may do. Granted per client by an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    #[serde(rename = "activities:read")]
    ActivitiesRead,
    #[serde(rename = "enrollments:read")]
    EnrollmentsRead,
    #[serde(rename = "enrollments:write")]
    EnrollmentsWrite,
    #[serde(rename = "credits:read")]
    CreditsRead,
    /// File credit claims for learners, where the activity accepts LMS-reported claims.
    #[serde(rename = "credits:write")]
    CreditsWrite,
    #[serde(rename = "surveys:read")]
    SurveysRead,
    /// Look up learners (to match them with the LMS's own accounts).
    #[serde(rename = "users:read")]
    UsersRead,
    /// Create and update the learners the LMS manages, by its own ids.
    #[serde(rename = "users:write")]
    UsersWrite,
    /// Read what is reported to the boards (PARS, CPE Monitor, CE Broker) and its status.
    #[serde(rename = "reporting:read")]
    ReportingRead,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::ActivitiesRead,
        Scope::EnrollmentsRead,
        Scope::EnrollmentsWrite,
        Scope::CreditsRead,
        Scope::CreditsWrite,
        Scope::SurveysRead,
        Scope::UsersRead,
        Scope::UsersWrite,
        Scope::ReportingRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ActivitiesRead => "activities:read",
            Scope::EnrollmentsRead => "enrollments:read",
            Scope::EnrollmentsWrite => "enrollments:write",
            Scope::CreditsRead => "credits:read",
            Scope::CreditsWrite => "credits:write",
            Scope::SurveysRead => "surveys:read",
            Scope::UsersRead => "users:read",
            Scope::UsersWrite => "users:write",
            Scope::ReportingRead => "reporting:read",
        }
    }

    pub fn parse(value: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Parses a space-separated scope list (the OAuth form); unknown names are dropped.
    pub fn parse_list(value: &str) -> Vec<Scope> {
        let mut scopes: Vec<Scope> = value.split_whitespace().filter_map(Scope::parse).collect();
        scopes.sort();
        scopes.dedup();
        scopes
    }

    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_lists_round_trip_and_drop_unknown_names() {
        let scopes = Scope::parse_list("credits:read  enrollments:write bogus credits:read");
        assert_eq!(scopes, vec![Scope::EnrollmentsWrite, Scope::CreditsRead]);
        assert_eq!(Scope::join(&scopes), "enrollments:write credits:read");
    }

    #[test]
    fn scope_names_match_their_serde_names() {
        for scope in Scope::ALL {
            assert_eq!(serde_json::to_value(scope).unwrap(), scope.as_str());
        }
    }
}
