//! The access table: every role and relation against every action.

use super::*;
use Decision::{Allow, Forbid, Hide, MissingScope, OwnClaim};

fn person(who: Who, plans: bool, enrolled: bool) -> Relation {
    Relation { who, plans, enrolled }
}

fn client(scopes: &[Scope]) -> Relation {
    Relation { who: Who::Client(scopes.to_vec()), plans: false, enrolled: false }
}

/// The relations a request can have to one activity, named.
fn relations() -> Vec<(&'static str, Relation)> {
    vec![
        ("admin", person(Who::Admin, false, false)),
        ("its planner", person(Who::Planner, true, false)),
        ("another planner", person(Who::Planner, false, false)),
        ("enrolled learner", person(Who::Learner, false, true)),
        ("other learner", person(Who::Learner, false, false)),
        ("leader", person(Who::Leader, false, false)),
        ("client, no scopes", client(&[])),
        ("client, enrollments:read", client(&[Scope::EnrollmentsRead])),
        ("client, enrollments:write", client(&[Scope::EnrollmentsWrite])),
        ("client, credits:read", client(&[Scope::CreditsRead])),
        ("client, surveys:read", client(&[Scope::SurveysRead])),
    ]
}

fn is_forbid(decision: Decision) -> bool {
    matches!(decision, Forbid(_))
}

/// One row per relation: the expected answer of each action, in column order.
#[test]
fn the_access_table() {
    // columns: see draft, change activity, roster, enroll others, report completion,
    // read someone else's claim, decide someone else's claim, decide own claim,
    // file a claim for someone else, activity report
    type Row = [&'static str; 10];
    let expected: Vec<(&str, Row)> = vec![
        ("admin", ["A", "A", "A", "A", "A", "A", "A", "O", "A", "A"]),
        ("its planner", ["A", "A", "A", "A", "A", "A", "A", "O", "A", "A"]),
        ("another planner", ["H", "F", "F", "F", "F", "H", "H", "F", "H", "F"]),
        ("enrolled learner", ["H", "F", "F", "F", "F", "H", "H", "F", "H", "F"]),
        ("other learner", ["H", "F", "F", "F", "F", "H", "H", "F", "H", "F"]),
        ("leader", ["H", "F", "F", "F", "F", "H", "H", "F", "H", "A"]),
        ("client, no scopes", ["H", "F", "S", "S", "S", "S", "S", "S", "F", "S"]),
        ("client, enrollments:read", ["H", "F", "A", "S", "S", "S", "S", "S", "F", "S"]),
        ("client, enrollments:write", ["H", "F", "S", "A", "A", "S", "S", "S", "F", "S"]),
        ("client, credits:read", ["H", "F", "S", "S", "S", "A", "F", "F", "F", "S"]),
        ("client, surveys:read", ["H", "F", "S", "S", "S", "S", "S", "S", "F", "A"]),
    ];
    let code = |decision: Decision| match decision {
        Allow => "A",
        Hide => "H",
        Forbid(_) => "F",
        MissingScope(_) => "S",
        OwnClaim => "O",
    };
    for ((name, relation), (expected_name, row)) in relations().into_iter().zip(expected) {
        assert_eq!(name, expected_name);
        let actual: Row = [
            code(may_see_activity(&relation, true)),
            code(may_change_activity(&relation)),
            code(may_read_roster(&relation)),
            code(may_enroll_others(&relation)),
            code(may_report_completion(&relation)),
            code(may_read_claim(&relation, false)),
            code(may_decide_claim(&relation, false)),
            code(may_decide_claim(&relation, true)),
            code(may_file_claim(&relation, false, false)),
            code(may_read_activity_report(&relation)),
        ];
        assert_eq!(actual, row, "{name}");
    }
}

#[test]
fn everyone_may_see_a_published_activity() {
    for (name, relation) in relations() {
        assert_eq!(may_see_activity(&relation, false), Allow, "{name}");
    }
}

#[test]
fn learners_read_and_claim_on_their_own_records_only() {
    let learner = person(Who::Learner, false, true);
    assert_eq!(may_read_claim(&learner, true), Allow);
    assert_eq!(may_file_claim(&learner, true, false), Allow);
    assert_eq!(may_read_enrollment(&learner, true), Allow);
    assert_eq!(may_read_enrollment(&learner, false), Hide);
    // Their own claim is visible but not theirs to decide: 403, not 404.
    assert!(is_forbid(may_decide_claim(&learner, true)));
}

#[test]
fn clients_file_claims_only_with_credits_write_where_the_activity_takes_lms_claims() {
    let writer = person(Who::Client(vec![Scope::CreditsWrite]), false, false);
    let reader = person(Who::Client(vec![Scope::CreditsRead]), false, false);
    assert_eq!(may_file_claim(&writer, false, true), Allow);
    assert!(is_forbid(may_file_claim(&writer, false, false)));
    assert_eq!(may_file_claim(&reader, false, true), MissingScope(Scope::CreditsWrite));
}

#[test]
fn nobody_decides_their_own_claim_administrators_included() {
    for (name, relation) in relations() {
        if relation.runs_activity() {
            assert_eq!(may_decide_claim(&relation, true), OwnClaim, "{name}");
            assert_eq!(may_decide_claim(&relation, false), Allow, "{name}");
        } else {
            assert_ne!(may_decide_claim(&relation, true), Allow, "{name}");
        }
    }
}

#[test]
fn enrollment_clients_read_what_they_may_write() {
    assert_eq!(may_read_enrollment(&client(&[Scope::EnrollmentsWrite]), false), Allow);
    assert_eq!(may_read_enrollment(&client(&[Scope::EnrollmentsRead]), false), Allow);
    assert_eq!(
        may_read_enrollment(&client(&[Scope::CreditsRead]), false),
        MissingScope(Scope::EnrollmentsRead)
    );
    assert_eq!(
        may_cancel_enrollment(&client(&[Scope::EnrollmentsRead]), false),
        MissingScope(Scope::EnrollmentsWrite)
    );
    assert_eq!(may_cancel_enrollment(&client(&[Scope::EnrollmentsWrite]), false), Allow);
    assert_eq!(may_cancel_enrollment(&person(Who::Learner, false, true), true), Allow);
    assert_eq!(may_cancel_enrollment(&person(Who::Learner, false, true), false), Hide);
}

#[test]
fn survey_access_follows_the_relation() {
    assert_eq!(survey_access(&person(Who::Admin, false, false)), Ok(SurveyAccess::Manage));
    assert_eq!(survey_access(&person(Who::Planner, true, false)), Ok(SurveyAccess::Manage));
    assert_eq!(survey_access(&person(Who::Planner, false, true)), Ok(SurveyAccess::Respond));
    assert_eq!(survey_access(&person(Who::Planner, false, false)), Err(Hide));
    assert_eq!(survey_access(&person(Who::Learner, false, true)), Ok(SurveyAccess::Respond));
    assert_eq!(survey_access(&person(Who::Learner, false, false)), Err(Hide));
    assert_eq!(survey_access(&person(Who::Leader, false, false)), Ok(SurveyAccess::Read));
    assert_eq!(survey_access(&client(&[Scope::SurveysRead])), Ok(SurveyAccess::Read));
    assert_eq!(survey_access(&client(&[Scope::CreditsRead])), Err(MissingScope(Scope::SurveysRead)));
}

#[test]
fn planners_read_a_learner_only_while_they_have_them() {
    let planner = Caller::User { id: "p".into(), role: Role::Planner };
    assert!(may_read_user(&planner, "l", || true));
    assert!(!may_read_user(&planner, "l", || false));
    assert!(may_read_user(&planner, "p", || false), "themselves");
    let learner = Caller::User { id: "l".into(), role: Role::Learner };
    assert!(may_read_user(&learner, "l", || false));
    assert!(!may_read_user(&learner, "m", || true), "the planner lookup is never asked for learners");
    let leader = Caller::User { id: "x".into(), role: Role::Leader };
    assert!(!may_read_user(&leader, "l", || true));
    let admin = Caller::User { id: "a".into(), role: Role::Admin };
    assert!(may_read_user(&admin, "l", || false));
    let lms = Caller::Client { id: "c".into(), scopes: vec![Scope::UsersRead] };
    assert!(may_read_user(&lms, "l", || false));
    let other = Caller::Client { id: "c".into(), scopes: vec![Scope::CreditsRead] };
    assert!(!may_read_user(&other, "l", || true));
}

#[test]
fn managers_enroll_learner_accounts_only() {
    assert!(may_be_enrolled_by_manager(Role::Learner));
    for role in [Role::Admin, Role::Planner, Role::Leader] {
        assert!(!may_be_enrolled_by_manager(role), "{role:?}");
    }
}

#[test]
fn transcripts_are_for_the_learner_administrators_and_credit_clients() {
    let planner = Caller::User { id: "p".into(), role: Role::Planner };
    assert_eq!(may_read_transcript(&planner, "l"), Hide);
    assert_eq!(may_read_transcript(&planner, "p"), Allow);
    let admin = Caller::User { id: "a".into(), role: Role::Admin };
    assert_eq!(may_read_transcript(&admin, "l"), Allow);
    let lms = Caller::Client { id: "c".into(), scopes: vec![Scope::CreditsRead] };
    assert_eq!(may_read_transcript(&lms, "l"), Allow);
    let other = Caller::Client { id: "c".into(), scopes: vec![] };
    assert_eq!(may_read_transcript(&other, "l"), MissingScope(Scope::CreditsRead));
}

#[test]
fn program_reports_are_not_for_learners() {
    let caller = |role| Caller::User { id: "x".into(), role };
    assert!(is_forbid(may_read_program_report(&caller(Role::Learner))));
    for role in [Role::Planner, Role::Admin, Role::Leader] {
        assert_eq!(may_read_program_report(&caller(role)), Allow);
    }
    let lms = Caller::Client { id: "c".into(), scopes: vec![] };
    assert_eq!(may_read_program_report(&lms), MissingScope(Scope::SurveysRead));
}

#[test]
fn list_scopes_by_role() {
    let of = |role| ListScope::of(&Caller::User { id: "u".into(), role }, Scope::CreditsRead).unwrap();
    assert_eq!(of(Role::Learner), ListScope::Learner("u".into()));
    assert_eq!(of(Role::Leader), ListScope::Learner("u".into()));
    assert_eq!(of(Role::Planner), ListScope::Planner("u".into()));
    assert_eq!(of(Role::Admin), ListScope::All);
    let lms = Caller::Client { id: "c".into(), scopes: vec![Scope::CreditsRead] };
    assert_eq!(ListScope::of(&lms, Scope::CreditsRead).unwrap(), ListScope::All);
    assert!(ListScope::of(&lms, Scope::EnrollmentsRead).is_err());
}
