//! Attendance rules, as pure functions.

use chrono::{Duration, NaiveDateTime};

/// How early before its start a session opens for check-in.
pub const OPENS_BEFORE_MINUTES: i64 = 15;

/// Whether `now` is inside the session's check-in window: from 15 minutes before the start to
/// the grace period after the end.
pub fn check_in_open(
    now: NaiveDateTime,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    grace: Duration,
) -> bool {
    now >= starts_at - Duration::minutes(OPENS_BEFORE_MINUTES) && now <= ends_at + grace
}

/// The share of the scheduled time attended, in whole percent (at most 100; 0 when nothing is
/// scheduled).
pub fn attended_share(attended_minutes: i64, scheduled_minutes: i64) -> u8 {
    if scheduled_minutes > 0 {
        (attended_minutes.max(0) * 100 / scheduled_minutes).min(100) as u8
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32, minute: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2030, 3, 6).unwrap().and_hms_opt(hour, minute, 0).unwrap()
    }

    #[test]
    fn check_in_opens_15_minutes_early_and_closes_after_the_grace() {
        let grace = Duration::minutes(30);
        let (start, end) = (at(12, 0), at(13, 0));
        assert!(!check_in_open(at(11, 44), start, end, grace));
        assert!(check_in_open(at(11, 45), start, end, grace));
        assert!(check_in_open(at(13, 30), start, end, grace));
        assert!(!check_in_open(at(13, 31), start, end, grace));
    }

    #[test]
    fn shares_are_whole_percent_of_the_schedule() {
        assert_eq!(attended_share(45, 60), 75);
        assert_eq!(attended_share(120, 60), 100);
        assert_eq!(attended_share(10, 0), 0);
    }
}
