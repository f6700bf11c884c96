//! The catalog views (summaries and whole documents) this replica has read, by activity id and
//! version, so that a page of them is copied from memory instead of read from the database
//! again: a page of 50 is about 45 KB of summaries or 150 KB of documents, which the database
//! otherwise reads, and sends over its connection (TLS included), on every request.
//!
//! A view is a function of its activity's row at a version: every change of the row takes the
//! next version and writes both views in the same transaction (`store`), and the only other
//! writer, the startup backfill of rows stored before views were, renders the same text for
//! the same version. So the view held for an id at a version is the one the database holds
//! for them, and a page whose rows are all held here needs no view read: its query reads ids,
//! versions and seats, as a revalidation's does (`service::list`). Seats left are not part of
//! a stored summary (they change without a new version): a page adds them to each item.
//!
//! The newest version read of each activity is held, [`MAX_BYTES`] of text at most for each
//! view; full, that view's memory starts again. Nothing here is state another replica needs:
//! it is a cache of what this replica read, rebuilt by reading again.

use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
};

use crate::activities::dto::ActivityView;

/// Text held at most for each view: about 20,000 documents of 3 KB, or 70,000 summaries.
pub const MAX_BYTES: usize = 64 << 20;

#[derive(Debug, Default)]
pub struct HeldViews {
    summaries: Held,
    documents: Held,
}

impl HeldViews {
    /// The `view` of activity `id` at `version`, if this replica read it.
    pub fn get(&self, view: ActivityView, id: &str, version: i32) -> Option<Arc<str>> {
        self.of(view).get(id, version)
    }

    /// Keeps the `view` of activity `id` at `version`, unless a newer one is held.
    pub fn keep(&self, view: ActivityView, id: &str, version: i32, text: &str) {
        self.of(view).keep(id, version, text)
    }

    fn of(&self, view: ActivityView) -> &Held {
        match view {
            ActivityView::Summary => &self.summaries,
            ActivityView::Full => &self.documents,
        }
    }
}

/// One view's texts.
#[derive(Debug, Default)]
struct Held {
    texts: RwLock<Texts>,
}

#[derive(Debug, Default)]
struct Texts {
    /// The newest version read of each activity, and its text.
    by_id: HashMap<String, (i32, Arc<str>)>,
    /// The texts' length in all.
    bytes: usize,
}

impl Held {
    fn get(&self, id: &str, version: i32) -> Option<Arc<str>> {
        let texts = self.texts.read().unwrap_or_else(PoisonError::into_inner);
        texts.by_id.get(id).filter(|(held_version, _)| *held_version == version).map(|(_, text)| text.clone())
    }

    fn keep(&self, id: &str, version: i32, text: &str) {
        let mut texts = self.texts.write().unwrap_or_else(PoisonError::into_inner);
        if texts.by_id.get(id).is_some_and(|(held_version, _)| *held_version >= version) {
            return;
        }
        if texts.bytes + text.len() > MAX_BYTES {
            *texts = Texts::default();
        }
        texts.bytes += text.len();
        if let Some((_, replaced)) = texts.by_id.insert(id.to_string(), (version, Arc::from(text))) {
            texts.bytes -= replaced.len();
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.texts.read().unwrap_or_else(PoisonError::into_inner).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActivityView::{Full, Summary};

    #[test]
    fn a_view_is_found_only_at_the_version_it_was_read_at() {
        let views = HeldViews::default();
        views.keep(Full, "a", 2, "{\"v\":2}");
        assert_eq!(views.get(Full, "a", 2).as_deref(), Some("{\"v\":2}"));
        assert_eq!(views.get(Full, "a", 3), None, "a newer version is read from the database");
        assert_eq!(views.get(Full, "a", 1), None);
        assert_eq!(views.get(Full, "b", 2), None);
        views.keep(Full, "a", 1, "{\"v\":1}");
        assert_eq!(views.get(Full, "a", 2).as_deref(), Some("{\"v\":2}"), "an older read keeps the newer");
        views.keep(Full, "a", 3, "{\"v\":33}");
        assert_eq!((views.get(Full, "a", 2), views.get(Full, "a", 3).as_deref()), (None, Some("{\"v\":33}")));
        assert_eq!(views.documents.bytes(), "{\"v\":33}".len(), "a replaced version's text is not counted");
    }

    #[test]
    fn each_view_is_held_apart() {
        let views = HeldViews::default();
        views.keep(Summary, "a", 1, "{\"s\":1}");
        assert_eq!(views.get(Full, "a", 1), None, "a summary is not the document");
        views.keep(Full, "a", 1, "{\"d\":1}");
        assert_eq!(views.get(Summary, "a", 1).as_deref(), Some("{\"s\":1}"));
        assert_eq!(views.get(Full, "a", 1).as_deref(), Some("{\"d\":1}"));
    }

    #[test]
    fn a_full_memory_starts_again() {
        let views = HeldViews::default();
        let big = "x".repeat(MAX_BYTES / 2 + 1);
        views.keep(Full, "a", 1, &big);
        views.keep(Summary, "a", 1, "{}");
        views.keep(Full, "b", 1, &big);
        assert_eq!(views.get(Full, "a", 1), None, "emptied to make room");
        assert!(views.get(Full, "b", 1).is_some());
        assert_eq!(views.documents.bytes(), big.len());
        assert!(views.get(Summary, "a", 1).is_some(), "the other view's memory is its own");
    }
}
