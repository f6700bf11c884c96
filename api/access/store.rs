//! The lookups access decisions need: who plans an activity, who is enrolled in it. Read
//! straight from the tables (access sits below the resources and uses none of their stores).

use diesel::prelude::*;

use crate::{
    db::{
        condition::{Condition, FixedCondition},
        schema::{activities, activity_people, enrollments},
        DbConnection,
    },
    error::ApiResult,
};

/// The `activity_people.role` of a planner with an account.
const PLANNER: &str = "planner";
/// Enrollment states in which a planner still has the learner in their care.
const ACTIVE: [&str; 3] = ["registered", "waitlisted", "completed"];

/// Ids of the activities `planner` plans: created, or listed as a planner with their account
/// (a subquery: the one planner list scope every list filters with).
#[diesel::dsl::auto_type]
pub fn activities_planned_by(planner: String) -> _ {
    let listed_planner: String = planner.clone();
    let listed: planner_listing = planner_listing(listed_planner);
    activities::table
        .filter(activities::created_by.eq(planner).or(activities::id.eq_any(listed)))
        .select(activities::id)
}

/// Whether `user_id` plans the activity and whether they hold a live enrollment in it: one
/// round trip.
pub(super) fn plans_and_enrolled(
    conn: &mut DbConnection,
    activity_id: &str,
    user_id: &str,
) -> ApiResult<(bool, bool)> {
    let created =
        activities::table.filter(activities::id.eq(activity_id)).filter(activities::created_by.eq(user_id));
    let listed = activity_people::table
        .filter(activity_people::activity_id.eq(activity_id))
        .filter(activity_people::user_id.eq(user_id))
        .filter(activity_people::role.eq(PLANNER));
    let plans = diesel::dsl::exists(created).or(diesel::dsl::exists(listed));
    Ok(diesel::select((plans, diesel::dsl::exists(live_enrollment(activity_id, user_id))))
        .get_result(conn)?)
}

/// Whether `user_id` holds a live (not cancelled) enrollment in the activity.
pub(super) fn enrolled(conn: &mut DbConnection, activity_id: &str, user_id: &str) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(live_enrollment(activity_id, user_id))).get_result(conn)?)
}

/// "Not cancelled", written as SQL text rather than compared with a bound parameter, so that
/// a lookup by activity and learner uses the partial unique index `enrollments_one_live`
/// (`WHERE status <> 'cancelled'`): a prepared statement's generic plan cannot tell that
/// `status <> $1` implies it, and reads every enrollment the learner ever had instead.
#[derive(Debug, Clone, Copy)]
pub struct LiveEnrollment;

impl FixedCondition for LiveEnrollment {
    const SQL: &'static str = "\"enrollments\".\"status\" <> 'cancelled'";
}

pub fn enrollment_is_live() -> Condition<LiveEnrollment> {
    Condition::new()
}

#[diesel::dsl::auto_type]
fn live_enrollment<'a>(activity_id: &'a str, user_id: &'a str) -> _ {
    let live: Condition<LiveEnrollment> = enrollment_is_live();
    enrollments::table
        .filter(enrollments::activity_id.eq(activity_id))
        .filter(enrollments::user_id.eq(user_id))
        .filter(live)
}

/// Whether `learner_id` is actively enrolled (registered, waitlisted or completed; not
/// cancelled, not a no-show) in an activity `planner_id` plans.
pub fn planner_has_active_learner(
    conn: &mut DbConnection,
    planner_id: &str,
    learner_id: &str,
) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        enrollments::table
            .filter(enrollments::user_id.eq(learner_id.to_string()))
            .filter(enrollments::status.eq_any(ACTIVE))
            .filter(enrollments::activity_id.eq_any(activities_planned_by(planner_id.to_string()))),
    ))
    .get_result(conn)?)
}

/// Ids of the activities that list `planner` as a planner (a subquery).
#[diesel::dsl::auto_type]
pub fn planner_listing(planner: String) -> _ {
    let role: &'static str = PLANNER;
    activity_people::table
        .filter(activity_people::user_id.eq(planner))
        .filter(activity_people::role.eq(role))
        .select(activity_people::activity_id)
}
