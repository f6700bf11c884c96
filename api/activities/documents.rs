//! Whole activity documents (the catalog's `full` view) this replica has read, by id and
//! version, so that a page of them is copied from memory instead of read from the database
//! again: a page of 50 is about 150 KB of text, which the database otherwise reads, and sends
//! over its connection (TLS included), on every request.
//!
//! A document is a function of its activity's row at a version: every change of the row takes
//! the next version and writes the document in the same transaction (`store`), and the only
//! other writer, the startup backfill of rows stored before documents were, renders the same
//! text for the same version. So the document held for an id at a version is the one the
//! database holds for them, and a page whose rows are all held here needs no document read:
//! its query reads ids, versions and seats, as a revalidation's does (`service::list`).
//!
//! The newest version read of each activity is held, [`MAX_BYTES`] of text at most; full, the
//! memory starts again. Nothing here is state another replica needs: it is a cache of what
//! this replica read, rebuilt by reading again.

use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
};

/// Text held at most: the documents of about 20,000 activities of 3 KB.
pub const MAX_BYTES: usize = 64 << 20;

#[derive(Debug, Default)]
pub struct Documents {
    held: RwLock<Held>,
}

#[derive(Debug, Default)]
struct Held {
    /// The newest version read of each activity, and its document.
    by_id: HashMap<String, (i32, Arc<str>)>,
    /// The documents' length in all.
    bytes: usize,
}

impl Documents {
    /// The document of activity `id` at `version`, if this replica read it.
    pub fn get(&self, id: &str, version: i32) -> Option<Arc<str>> {
        let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
        held.by_id.get(id).filter(|(held_version, _)| *held_version == version).map(|(_, text)| text.clone())
    }

    /// Keeps the document of activity `id` at `version`, unless a newer one is held.
    pub fn keep(&self, id: &str, version: i32, document: &str) {
        let mut held = self.held.write().unwrap_or_else(PoisonError::into_inner);
        if held.by_id.get(id).is_some_and(|(held_version, _)| *held_version >= version) {
            return;
        }
        if held.bytes + document.len() > MAX_BYTES {
            *held = Held::default();
        }
        held.bytes += document.len();
        if let Some((_, replaced)) = held.by_id.insert(id.to_string(), (version, Arc::from(document))) {
            held.bytes -= replaced.len();
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.held.read().unwrap_or_else(PoisonError::into_inner).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_found_only_at_the_version_it_was_read_at() {
        let documents = Documents::default();
        documents.keep("a", 2, "{\"v\":2}");
        assert_eq!(documents.get("a", 2).as_deref(), Some("{\"v\":2}"));
        assert_eq!(documents.get("a", 3), None, "a newer version is read from the database");
        assert_eq!(documents.get("a", 1), None);
        assert_eq!(documents.get("b", 2), None);
        documents.keep("a", 1, "{\"v\":1}");
        assert_eq!(documents.get("a", 2).as_deref(), Some("{\"v\":2}"), "an older read keeps the newer");
        documents.keep("a", 3, "{\"v\":33}");
        assert_eq!((documents.get("a", 2), documents.get("a", 3).as_deref()), (None, Some("{\"v\":33}")));
        assert_eq!(documents.bytes(), "{\"v\":33}".len(), "a replaced version's text is not counted");
    }

    #[test]
    fn a_full_memory_starts_again() {
        let documents = Documents::default();
        let big = "x".repeat(MAX_BYTES / 2 + 1);
        documents.keep("a", 1, &big);
        documents.keep("b", 1, &big);
        assert_eq!(documents.get("a", 1), None, "emptied to make room");
        assert!(documents.get("b", 1).is_some());
        assert_eq!(documents.bytes(), big.len());
    }
}
