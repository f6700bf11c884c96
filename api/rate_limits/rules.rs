//! Pure quota arithmetic: fixed windows aligned to the clock, the decision for a hit count,
//! and the IETF `RateLimit`/`RateLimit-Policy` field values (draft-ietf-httpapi-ratelimit-headers).

use std::{fmt, str::FromStr, time::Duration};

use chrono::NaiveDateTime;

/// `limit` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub window: Duration,
}

impl Quota {
    pub const fn per(limit: u32, window_secs: u64) -> Quota {
        Quota { limit, window: Duration::from_secs(window_secs) }
    }

    pub fn window_secs(&self) -> u64 {
        self.window.as_secs()
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.limit, self.window_secs())
    }
}

/// The longest window a quota may have: counters older than this are stale.
pub const MAX_WINDOW_SECS: u64 = 24 * 3600;

/// Parses `requests/seconds`, e.g. `60/60` (sixty a minute).
impl FromStr for Quota {
    type Err = String;

    fn from_str(text: &str) -> Result<Quota, String> {
        let (limit, window) =
            text.split_once('/').ok_or_else(|| "requests/seconds, e.g. 60/60, or off".to_string())?;
        let limit: u32 = limit.trim().parse().map_err(|_| format!("`{limit}` is not a request count"))?;
        let window: u64 =
            window.trim().parse().map_err(|_| format!("`{window}` is not a number of seconds"))?;
        if limit == 0 || !(1..=MAX_WINDOW_SECS).contains(&window) {
            return Err(format!("at least 1 request per 1 to {MAX_WINDOW_SECS} seconds"));
        }
        Ok(Quota::per(limit, window))
    }
}

/// The start of the window holding `now`: windows are aligned to the Unix epoch, so every
/// replica puts a hit in the same one.
pub fn window_start(now: NaiveDateTime, window: Duration) -> NaiveDateTime {
    let secs = window.as_secs().max(1) as i64;
    let start = now.and_utc().timestamp().div_euclid(secs) * secs;
    chrono::DateTime::from_timestamp(start, 0).map_or(now, |t| t.naive_utc())
}

/// What a hit leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Requests left in this window.
    pub remaining: u32,
    /// Seconds until the window ends (at least 1).
    pub reset_secs: u64,
}

/// The decision for the `hits`-th request (this one included) of the window starting at
/// `started`.
pub fn decide(quota: Quota, hits: i64, started: NaiveDateTime, now: NaiveDateTime) -> Decision {
    let ends = started + chrono::Duration::seconds(quota.window_secs() as i64);
    let reset_secs = (ends - now).num_seconds().max(1) as u64;
    let limit = i64::from(quota.limit);
    Decision { allowed: hits <= limit, remaining: (limit - hits).clamp(0, limit) as u32, reset_secs }
}

/// `RateLimit-Policy`: the quota by name, e.g. `"login";q=60;w=60`.
pub fn policy_field(name: &str, limit: u32, window_secs: u64) -> String {
    format!("\"{name}\";q={limit};w={window_secs}")
}

/// `RateLimit`: what is left of it, e.g. `"login";r=0;t=42`.
pub fn state_field(name: &str, remaining: u32, reset_secs: u64) -> String {
    format!("\"{name}\";r={remaining};t={reset_secs}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("time")
    }

    #[test]
    fn quotas_parse_from_requests_per_seconds() {
        assert_eq!("60/60".parse::<Quota>(), Ok(Quota::per(60, 60)));
        assert_eq!(" 5 / 3600 ".parse::<Quota>(), Ok(Quota::per(5, 3600)));
        assert!("0/60".parse::<Quota>().is_err());
        assert!("5/0".parse::<Quota>().is_err());
        assert!("5/86401".parse::<Quota>().is_err());
        assert!("five/60".parse::<Quota>().is_err());
        assert!("60".parse::<Quota>().is_err());
    }

    #[test]
    fn windows_are_aligned_to_the_epoch() {
        let minute = Duration::from_secs(60);
        assert_eq!(window_start(at("2026-11-29 10:15:42"), minute), at("2026-11-29 10:15:00"));
        assert_eq!(window_start(at("2026-11-29 10:15:00"), minute), at("2026-11-29 10:15:00"));
        let hour = Duration::from_secs(3600);
        assert_eq!(window_start(at("2026-11-29 10:59:59"), hour), at("2026-11-29 10:00:00"));
    }

    #[test]
    fn the_hit_past_the_limit_is_refused_until_the_window_ends() {
        let quota = Quota::per(3, 60);
        let started = at("2026-11-29 10:15:00");
        let now = at("2026-11-29 10:15:20");
        assert_eq!(decide(quota, 1, started, now), Decision { allowed: true, remaining: 2, reset_secs: 40 });
        assert_eq!(decide(quota, 3, started, now), Decision { allowed: true, remaining: 0, reset_secs: 40 });
        assert_eq!(decide(quota, 4, started, now), Decision { allowed: false, remaining: 0, reset_secs: 40 });
        let last_second = at("2026-11-29 10:15:59");
        assert_eq!(decide(quota, 9, started, last_second).reset_secs, 1);
    }

    #[test]
    fn header_fields_follow_the_structured_field_syntax_of_the_draft() {
        assert_eq!(policy_field("login", 60, 60), "\"login\";q=60;w=60");
        assert_eq!(state_field("login", 0, 42), "\"login\";r=0;t=42");
    }
}
