//! The one clock every time-dependent rule reads: session windows, completion, claim deadlines,
//! survey windows, the timestamps the service records.
//!
//! In production it is the system clock. Tests move it (`Clock::travel`) instead of sleeping:
//! the offset is shared by every clone, so a test holding the clock moves the time its server
//! sees. Access tokens are issued and checked on it too (`auth::jwt`: the JWT library's own
//! expiry check, which reads the system clock, is turned off).

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Microseconds added to the system time (0 in production).
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock; [`Clock::travel`] moves this clock and its clones only.
    pub fn system() -> Clock {
        Clock::default()
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::microseconds(self.offset_micros.load(Ordering::Relaxed))
    }

    /// The current time as stored: naive UTC with microsecond precision (what PostgreSQL keeps),
    /// so that a value reads back exactly as it was written on both backends.
    pub fn now_naive(&self) -> NaiveDateTime {
        let now = self.now().naive_utc();
        now.with_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now)
    }

    /// Moves the time forward (or back, with a negative duration).
    pub fn travel(&self, by: Duration) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Sets the time to `at` (the system clock keeps running from there).
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_microseconds().unwrap_or(0);
        self.offset_micros.store(offset, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travel_moves_every_clone() {
        let clock = Clock::system();
        let seen_by_server = clock.clone();
        let before = seen_by_server.now();
        clock.travel(Duration::days(14));
        let after = seen_by_server.now();
        assert!(after - before >= Duration::days(14));
        assert!(after - before < Duration::days(14) + Duration::seconds(5));
        assert_eq!(seen_by_server.now_naive().nanosecond() % 1000, 0);
    }

    #[test]
    fn set_puts_the_clock_at_an_instant() {
        let clock = Clock::system();
        let at = "2030-03-06T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        clock.set(at);
        assert!((clock.now() - at).num_seconds().abs() < 5);
    }
}
