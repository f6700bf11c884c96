//! Answering an anonymous catalog revalidation (`If-None-Match`) without reading the catalog.
//!
//! Each replica remembers, per anonymous page request, the `ETag` it last answered and the
//! catalog's change mark (`store::catalog_mark`) it had seen before reading that page. While
//! the mark it saw last is younger than the window and still the one the page was read at, no
//! activity has changed since, so the page is the same and 304 needs no query. Once the window
//! has passed, the next revalidation reads the mark again (one small query) and the page only
//! if the mark moved; under traffic, one revalidation past half the window has it read again
//! in the background first.
//!
//! So a revalidation may confirm a page up to the window after the catalog changed: a bounded
//! staleness that `Cache-Control: public, max-age` already grants every cache, and the window
//! is never longer than that max-age (zero turns this off). Callers with a token are always
//! answered from the database. Nothing here is state another replica needs: it is a cache of
//! what this replica read, rebuilt by reading again.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        PoisonError, RwLock,
    },
};

use chrono::{DateTime, Duration, Utc};

use crate::http::etag;

/// Where the catalog stood when it was read: different after any committed change to an
/// activity (see `store::catalog_mark`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogMark {
    pub rows: i64,
    pub changes: i64,
}

/// Pages remembered at most; a full memory starts again (anyone can invent query strings).
const MAX_PAGES: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Seen {
    mark: CatalogMark,
    /// When the read that returned `mark` started: the mark is at least this recent.
    at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Answered {
    tag: String,
    /// The mark seen before the page was read: the page is at least as recent.
    mark: CatalogMark,
}

#[derive(Debug)]
pub struct Revalidation {
    window: Duration,
    seen: RwLock<Option<Seen>>,
    pages: RwLock<HashMap<String, Answered>>,
    /// A read of the mark ahead of its expiry is under way (see [`Revalidation::refresh_due`]).
    refreshing: AtomicBool,
}

impl Revalidation {
    /// `window`: how long a seen mark is trusted (zero: never, every revalidation is read).
    pub fn new(window: std::time::Duration) -> Revalidation {
        Revalidation {
            window: Duration::from_std(window).unwrap_or(Duration::zero()),
            seen: RwLock::new(None),
            pages: RwLock::new(HashMap::new()),
            refreshing: AtomicBool::new(false),
        }
    }

    pub fn enabled(&self) -> bool {
        self.window > Duration::zero()
    }

    /// The mark seen less than the window before `now`, if any.
    pub fn fresh_mark(&self, now: DateTime<Utc>) -> Option<CatalogMark> {
        let seen = (*self.seen.read().unwrap_or_else(PoisonError::into_inner))?;
        let age = now - seen.at;
        (age >= Duration::zero() && age < self.window).then_some(seen.mark)
    }

    /// Whether the caller should read the mark again now, ahead of its expiry: once the mark is
    /// half the window old, the first caller to ask is told to (and no other until it calls
    /// [`Revalidation::refreshed`]). Under steady traffic the mark then never expires, and one
    /// read keeps it fresh instead of every request that finds it expired reading it at once.
    pub fn refresh_due(&self, now: DateTime<Utc>) -> bool {
        let Some(seen) = *self.seen.read().unwrap_or_else(PoisonError::into_inner) else { return false };
        now - seen.at >= self.window / 2 && !self.refreshing.swap(true, Ordering::AcqRel)
    }

    /// The read asked for by [`Revalidation::refresh_due`] ended (with [`Revalidation::saw`], or
    /// failed).
    pub fn refreshed(&self) {
        self.refreshing.store(false, Ordering::Release);
    }

    /// Records a mark read by a query that started at `at` (an older reading never replaces a
    /// newer one).
    pub fn saw(&self, mark: CatalogMark, at: DateTime<Utc>) {
        let mut seen = self.seen.write().unwrap_or_else(PoisonError::into_inner);
        if seen.is_none_or(|current| current.at <= at) {
            *seen = Some(Seen { mark, at });
        }
    }

    /// The tag of the page at `key`, when `if_none_match` names the one last answered and the
    /// mark seen within the window is still the one that page was read at: 304 with no query.
    pub fn confirm(&self, key: &str, if_none_match: &str, now: DateTime<Utc>) -> Option<String> {
        self.confirmed(key, if_none_match, self.fresh_mark(now)?)
    }

    /// The tag of the page at `key` when `if_none_match` names the one last answered and the
    /// catalog is still at the mark that page was read at.
    pub fn confirmed(&self, key: &str, if_none_match: &str, mark: CatalogMark) -> Option<String> {
        let pages = self.pages.read().unwrap_or_else(PoisonError::into_inner);
        let answered = pages.get(key)?;
        (answered.mark == mark && etag::names(if_none_match, &answered.tag)).then(|| answered.tag.clone())
    }

    /// Remembers the tag answered for `key`, read after the catalog was seen at `mark`.
    pub fn remember(&self, key: String, tag: String, mark: CatalogMark) {
        let mut pages = self.pages.write().unwrap_or_else(PoisonError::into_inner);
        if pages.len() >= MAX_PAGES && !pages.contains_key(&key) {
            pages.clear();
        }
        pages.insert(key, Answered { tag, mark });
    }
}

/// What makes two anonymous catalog requests the same page: the path and query as sent, and
/// what the client accepts (the catalog's `Vary`).
pub fn page_key(req: &actix_web::HttpRequest) -> String {
    let accept = req.headers().get(actix_web::http::header::ACCEPT).and_then(|v| v.to_str().ok());
    format!("{}\n{}", accept.unwrap_or(""), req.uri())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: CatalogMark = CatalogMark { rows: 3, changes: 10 };
    const TWO: CatalogMark = CatalogMark { rows: 3, changes: 14 };

    fn at(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_800_000_000_000 + millis).unwrap()
    }

    fn one_second() -> Revalidation {
        Revalidation::new(std::time::Duration::from_secs(1))
    }

    #[test]
    fn a_seen_mark_is_trusted_for_the_window_only() {
        let memory = one_second();
        assert_eq!(memory.fresh_mark(at(0)), None, "nothing seen yet");
        memory.saw(ONE, at(0));
        assert_eq!(memory.fresh_mark(at(999)), Some(ONE));
        assert_eq!(memory.fresh_mark(at(1000)), None);
        assert_eq!(memory.fresh_mark(at(-1)), None, "a clock set back trusts nothing");
    }

    #[test]
    fn an_older_reading_does_not_replace_a_newer_one() {
        let memory = one_second();
        memory.saw(TWO, at(500));
        memory.saw(ONE, at(100));
        assert_eq!(memory.fresh_mark(at(600)), Some(TWO));
        memory.saw(ONE, at(700));
        assert_eq!(memory.fresh_mark(at(800)), Some(ONE));
    }

    #[test]
    fn a_page_is_confirmed_by_its_tag_at_the_mark_it_was_read_at() {
        let memory = one_second();
        memory.remember("/v1/activities".into(), "\"a\"".into(), ONE);
        assert_eq!(memory.confirmed("/v1/activities", "\"a\"", ONE).as_deref(), Some("\"a\""));
        assert_eq!(memory.confirmed("/v1/activities", "\"x\", W/\"a\"", ONE).as_deref(), Some("\"a\""));
        assert_eq!(memory.confirmed("/v1/activities", "\"b\"", ONE), None, "another tag");
        assert_eq!(memory.confirmed("/v1/activities", "\"a\"", TWO), None, "the catalog changed");
        assert_eq!(memory.confirmed("/v1/activities?limit=5", "\"a\"", ONE), None, "another page");
    }

    #[test]
    fn one_caller_reads_the_mark_ahead_of_its_expiry() {
        let memory = one_second();
        assert!(!memory.refresh_due(at(0)), "nothing seen: the request path reads it");
        memory.saw(ONE, at(0));
        assert!(!memory.refresh_due(at(499)), "still young");
        assert!(memory.refresh_due(at(500)));
        assert!(!memory.refresh_due(at(600)), "one read at a time");
        memory.saw(TWO, at(600));
        memory.refreshed();
        assert_eq!(memory.fresh_mark(at(1200)), Some(TWO), "the read kept the mark fresh");
        assert!(!memory.refresh_due(at(1000)));
        assert!(memory.refresh_due(at(1100)));
    }

    #[test]
    fn a_zero_window_trusts_nothing() {
        let memory = Revalidation::new(std::time::Duration::ZERO);
        assert!(!memory.enabled());
        memory.saw(ONE, at(0));
        assert_eq!(memory.fresh_mark(at(0)), None);
    }

    #[test]
    fn a_full_memory_starts_again() {
        let memory = one_second();
        for page in 0..MAX_PAGES {
            memory.remember(format!("/p{page}"), "\"t\"".into(), ONE);
        }
        memory.remember("/p0".into(), "\"u\"".into(), ONE);
        assert!(memory.confirmed("/p1", "\"t\"", ONE).is_some(), "replacing one keeps the rest");
        memory.remember("/new".into(), "\"t\"".into(), ONE);
        assert!(memory.confirmed("/p1", "\"t\"", ONE).is_none());
        assert!(memory.confirmed("/new", "\"t\"", ONE).is_some());
    }
}
