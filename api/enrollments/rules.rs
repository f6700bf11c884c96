//! When an enrollment is complete: one pure rule that later requirements (evaluation
//! submitted, post-test passed) extend.

use crate::{activities::dto::CompletionRequirements, error::FieldError};

/// What a learner has done so far.
#[derive(Debug, Clone, Default)]
pub struct Participation {
    pub minutes_spent: Option<i32>,
    /// Share of the scheduled time attended, in percent (live activities).
    pub attendance_percent: Option<u8>,
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
        let short = Participation { minutes_spent: Some(59), attendance_percent: Some(79) };
        assert_eq!(missing_requirements(&requirements, &short).len(), 2);
        let enough = Participation { minutes_spent: Some(60), attendance_percent: Some(80) };
        assert!(missing_requirements(&requirements, &enough).is_empty());
        assert!(
            missing_requirements(&CompletionRequirements::default(), &Participation::default()).is_empty()
        );
    }
}
