//! Migrations: both backends hold the same migrations, and each runs up, down and up again.

use std::collections::BTreeSet;

use ce_api::{config::Backend, db};

use crate::support::database::TestDatabase;

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let postgres = migration_names("postgres");
    assert!(!postgres.is_empty());
    assert_eq!(postgres, migration_names("sqlite"));
}

fn up_down_up(backend: Backend) {
    let Some(database) = TestDatabase::empty(backend) else { return };
    let mut conn = database.connect();
    let applied = db::run_migrations(&mut conn).expect("first up");
    assert_eq!(applied.len(), migration_names("postgres").len());
    db::revert_all_migrations(&mut conn).expect("down");
    let reapplied = db::run_migrations(&mut conn).expect("second up");
    assert_eq!(applied, reapplied);
    assert!(db::run_migrations(&mut conn).expect("idempotent").is_empty());
}

#[test]
fn migrations_run_up_down_up_on_sqlite() {
    up_down_up(Backend::Sqlite);
}

#[test]
fn migrations_run_up_down_up_on_postgres() {
    up_down_up(Backend::Postgres);
}
