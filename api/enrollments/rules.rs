//! Enrollment rules, as pure functions: when an enrollment is complete (participation and the
//! survey gates), and who moves off the waitlist when seats free up.

use crate::{activities::dto::CompletionRequirements, error::FieldError};

/// What a learner has done so far.
#[derive(Debug, Clone, Default)]
pub struct Participation {
    pub minutes_spent: Option<i32>,
    /// Share of the scheduled time attended, in percent (live activities).
    pub attendance_percent: Option<u8>,
    pub evaluation_submitted: bool,
    pub post_test_passed: bool,
}

/// Whether a missing requirement is one the learner meets later on their own (a survey), so
/// that participation reported now is kept and completion waits for it.
pub fn waits_for_the_learner(missing: &FieldError) -> bool {
    matches!(missing.field.as_str(), "evaluation" | "post_test")
}

/// The requirements not yet met, each naming what is missing; empty when complete.
pub fn missing_requirements(requirements: &CompletionRequirements, done: &Participation) -> Vec<FieldError> {
    let mut missing = Vec::new();
    if let Some(minimum) = requirements.min_minutes {
        if done.minutes_spent.unwrap_or(0) < minimum as i32 {
            missing.push(FieldError::new(
                "minutes_spent",
                "below_minimum",
                format!("the activity requires at least {minimum} minutes"),
            ));
        }
    }
    if let (Some(minimum), Some(attended)) = (requirements.min_attendance_percent, done.attendance_percent) {
        if attended < minimum {
            missing.push(FieldError::new(
                "attendance",
                "below_minimum",
                format!("the activity requires attending at least {minimum}% of it"),
            ));
        }
    }
    if requirements.evaluation_required && !done.evaluation_submitted {
        missing.push(FieldError::new(
            "evaluation",
            "not_submitted",
            "the activity requires submitting its evaluation",
        ));
    }
    if let Some(score) = requirements.post_test_passing_score {
        if !done.post_test_passed {
            missing.push(FieldError::new(
                "post_test",
                "not_passed",
                format!("the activity requires passing its post-test ({score}% or more)"),
            ));
        }
    }
    missing
}

/// Where a waitlisted learner ends up when the waitlist is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatMove {
    /// Registered into a free seat.
    Promote,
    /// Still waiting, at this position (1 is next).
    Wait(i32),
}

/// Seats free for the waitlist: all of them without a capacity, else what the capacity leaves.
pub fn free_seats(capacity: Option<i32>, taken: i64, waiting: usize) -> i64 {
    match capacity {
        None => waiting as i64,
        Some(capacity) => (i64::from(capacity) - taken).max(0),
    }
}

/// First come, first served: the first `free` of the waitlist (in its order) are promoted, the
/// rest renumbered from 1 without gaps.
pub fn fill_waitlist(waiting: usize, free: i64) -> Vec<SeatMove> {
    (0..waiting as i64)
        .map(|index| if index < free { SeatMove::Promote } else { SeatMove::Wait((index - free + 1) as i32) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_and_attendance_must_reach_their_minimums() {
        let requirements = CompletionRequirements {
            min_minutes: Some(60),
            min_attendance_percent: Some(80),
            ..Default::default()
        };
        let short =
            Participation { minutes_spent: Some(59), attendance_percent: Some(79), ..Default::default() };
        assert_eq!(missing_requirements(&requirements, &short).len(), 2);
        let enough =
            Participation { minutes_spent: Some(60), attendance_percent: Some(80), ..Default::default() };
        assert!(missing_requirements(&requirements, &enough).is_empty());
        assert!(
            missing_requirements(&CompletionRequirements::default(), &Participation::default()).is_empty()
        );
    }

    #[test]
    fn evaluation_and_post_test_are_gates_when_required() {
        let requirements = CompletionRequirements {
            evaluation_required: true,
            post_test_passing_score: Some(70),
            ..Default::default()
        };
        let fields = |done: &Participation| {
            missing_requirements(&requirements, done).into_iter().map(|e| e.field).collect::<Vec<_>>()
        };
        assert_eq!(fields(&Participation::default()), ["evaluation", "post_test"]);
        let evaluated = Participation { evaluation_submitted: true, ..Default::default() };
        assert_eq!(fields(&evaluated), ["post_test"]);
        let done = Participation { evaluation_submitted: true, post_test_passed: true, ..Default::default() };
        assert!(fields(&done).is_empty());
    }

    #[test]
    fn the_waitlist_fills_free_seats_in_order_and_renumbers_the_rest() {
        use SeatMove::{Promote, Wait};
        assert_eq!(fill_waitlist(4, 2), [Promote, Promote, Wait(1), Wait(2)]);
        assert_eq!(fill_waitlist(2, 0), [Wait(1), Wait(2)]);
        assert_eq!(fill_waitlist(2, 5), [Promote, Promote]);
        assert!(fill_waitlist(0, 3).is_empty());
    }

    #[test]
    fn free_seats_never_go_below_zero() {
        assert_eq!(free_seats(Some(10), 7, 5), 3);
        assert_eq!(free_seats(Some(10), 12, 5), 0);
        assert_eq!(free_seats(None, 100, 5), 5);
    }
}
