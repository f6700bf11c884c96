//! When an enrollment is complete: one pure rule over participation (minutes, attendance) and
//! the survey gates (evaluation submitted, post-test passed).

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
}
