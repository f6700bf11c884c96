//! What every handler may need, shared by all workers. A module of its own at the bottom of
//! the tree, so that handlers depend on it and not on `startup` (which depends on them).
//!
//! Holds nothing a second replica would need to see: all state lives in the database.

use std::sync::Arc;

use crate::{
    activities::{held_views::HeldViews, revalidation::Revalidation},
    auth::{keys::KeyCache, verified::VerifiedTokens},
    config::Settings,
    db::DbPool,
    mail::Mailer,
};

pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    /// Public keys by kid: a cache of the `signing_keys` table.
    pub keys: KeyCache,
    /// Tokens whose signatures this process checked: a cache of what they prove (see
    /// `auth::verified`).
    pub tokens: VerifiedTokens,
    /// Account mails (SMTP, or the log).
    pub mailer: Mailer,
    /// The catalog pages this replica answered anonymously, and the change mark it read last:
    /// a cache that answers revalidations without a query (see `activities::revalidation`).
    pub catalog: Revalidation,
    /// The catalog views (summaries, whole documents) this replica read, by id and version: a
    /// cache that spares pages their views' read (see `activities::held_views`).
    pub views: HeldViews,
}
