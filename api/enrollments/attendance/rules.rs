//! Attendance rules, as pure functions: when a session can be checked in to and out of, and
//! how many minutes of presence count. Time that has not happened never counts: presence is
//! clipped to the session's window and to the present moment.

use chrono::{Duration, NaiveDateTime};

/// How early before its start a session opens for check-in.
pub const OPENS_BEFORE_MINUTES: i64 = 15;
/// How early before its end the end-of-session code is accepted.
pub const CHECK_OUT_OPENS_BEFORE_END_MINUTES: i64 = 15;

/// A session's scheduled window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
}

impl Window {
    pub fn minutes(&self) -> i64 {
        (self.ends_at - self.starts_at).num_minutes().max(0)
    }

    pub fn has_ended(&self, now: NaiveDateTime) -> bool {
        now >= self.ends_at
    }

    /// From 15 minutes before the start to the grace period after the end.
    pub fn check_in_open(&self, now: NaiveDateTime, grace: Duration) -> bool {
        now >= self.starts_at - Duration::minutes(OPENS_BEFORE_MINUTES) && now <= self.ends_at + grace
    }

    /// When checking in and out closes: the grace period after the end.
    pub fn closes_at(&self, grace: Duration) -> NaiveDateTime {
        self.ends_at + grace
    }

    /// From 15 minutes before the end (never before the start) to the grace period after it.
    pub fn check_out_open(&self, now: NaiveDateTime, grace: Duration) -> bool {
        let opens =
            (self.ends_at - Duration::minutes(CHECK_OUT_OPENS_BEFORE_END_MINUTES)).max(self.starts_at);
        now >= opens && now <= self.ends_at + grace
    }

    /// Presence counts from the start, or from a late arrival.
    pub fn arrival(&self, checked_in_at: NaiveDateTime) -> NaiveDateTime {
        checked_in_at.max(self.starts_at).min(self.ends_at)
    }

    /// Presence counts to the end, or to an early departure.
    pub fn departure(&self, checked_out_at: NaiveDateTime) -> NaiveDateTime {
        checked_out_at.min(self.ends_at).max(self.starts_at)
    }
}

/// What is known of one learner's presence at one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Checked in; when the learner left is not known yet.
    Arrived { from: NaiveDateTime },
    /// Present from one instant to another (check-in to check-out, or confirmed by a planner).
    Stayed { from: NaiveDateTime, to: NaiveDateTime },
    /// A number of minutes a planner recorded, without instants.
    Minutes(i32),
}

impl Presence {
    /// The presence as stored: the two instants if known, and the minutes they span.
    pub fn from_stored(from: Option<NaiveDateTime>, to: Option<NaiveDateTime>, minutes: i32) -> Presence {
        match (from, to) {
            (Some(from), Some(to)) => Presence::Stayed { from, to },
            (Some(from), None) => Presence::Arrived { from },
            _ => Presence::Minutes(minutes),
        }
    }

    /// Minutes of presence, ignoring the clock (what is stored beside the instants).
    pub fn planned_minutes(&self, window: &Window) -> i32 {
        match *self {
            Presence::Arrived { .. } => 0,
            Presence::Stayed { from, to } => (window.departure(to) - window.arrival(from))
                .num_minutes()
                .clamp(0, i64::from(i32::MAX)) as i32,
            Presence::Minutes(minutes) => minutes.max(0),
        }
    }

    /// Minutes that count at `now`: inside the window and already past. A check-in alone counts
    /// nothing until the learner checks out or a planner confirms.
    pub fn counted_minutes(&self, window: &Window, now: NaiveDateTime) -> i64 {
        let elapsed_since = |from: NaiveDateTime| (now.min(window.ends_at) - from).num_minutes().max(0);
        match *self {
            Presence::Arrived { .. } => 0,
            Presence::Stayed { from, to } => {
                let from = window.arrival(from);
                (window.departure(to).min(now) - from).num_minutes().max(0)
            }
            Presence::Minutes(minutes) => i64::from(minutes.max(0)).min(elapsed_since(window.starts_at)),
        }
    }
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

    fn noon_hour() -> Window {
        Window { starts_at: at(12, 0), ends_at: at(13, 0) }
    }

    #[test]
    fn check_in_opens_15_minutes_early_and_closes_after_the_grace() {
        let grace = Duration::minutes(30);
        let session = noon_hour();
        assert!(!session.check_in_open(at(11, 44), grace));
        assert!(session.check_in_open(at(11, 45), grace));
        assert!(session.check_in_open(at(13, 30), grace));
        assert!(!session.check_in_open(at(13, 31), grace));
    }

    #[test]
    fn check_out_opens_in_the_last_15_minutes() {
        let grace = Duration::minutes(30);
        let session = noon_hour();
        assert!(!session.check_out_open(at(12, 44), grace));
        assert!(session.check_out_open(at(12, 45), grace));
        assert!(session.check_out_open(at(13, 30), grace));
        assert!(!session.check_out_open(at(13, 31), grace));
        let short = Window { starts_at: at(12, 0), ends_at: at(12, 10) };
        assert!(!short.check_out_open(at(11, 58), grace), "never before the start");
    }

    #[test]
    fn presence_counts_from_the_start_or_a_late_arrival_to_the_present() {
        let session = noon_hour();
        // Checked in 9 minutes early and out at the end: 60 minutes, once they have passed.
        let early = Presence::Stayed { from: at(11, 51), to: at(13, 0) };
        assert_eq!(early.planned_minutes(&session), 60);
        assert_eq!(early.counted_minutes(&session, at(11, 55)), 0, "nothing before the start");
        assert_eq!(early.counted_minutes(&session, at(12, 30)), 30);
        assert_eq!(early.counted_minutes(&session, at(14, 0)), 60);
        // Arrived 20 minutes late.
        let late = Presence::Stayed { from: at(12, 20), to: at(13, 10) };
        assert_eq!(late.counted_minutes(&session, at(14, 0)), 40);
        // A check-in alone earns no time.
        assert_eq!(Presence::Arrived { from: at(12, 0) }.counted_minutes(&session, at(14, 0)), 0);
        // Recorded minutes never exceed the time elapsed.
        assert_eq!(Presence::Minutes(55).counted_minutes(&session, at(12, 10)), 10);
        assert_eq!(Presence::Minutes(55).counted_minutes(&session, at(14, 0)), 55);
    }

    #[test]
    fn stored_presence_reads_back() {
        assert_eq!(Presence::from_stored(Some(at(12, 0)), None, 0), Presence::Arrived { from: at(12, 0) });
        assert_eq!(Presence::from_stored(None, None, 45), Presence::Minutes(45));
    }

    #[test]
    fn shares_are_whole_percent_of_the_schedule() {
        assert_eq!(attended_share(45, 60), 75);
        assert_eq!(attended_share(120, 60), 100);
        assert_eq!(attended_share(10, 0), 0);
    }
}
