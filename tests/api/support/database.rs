//! Per-test databases: a fresh SQLite file, or a fresh PostgreSQL database cloned from a
//! migrated template. Each is removed when the test ends (also when it fails).

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    path::PathBuf,
    sync::{Mutex, OnceLock},
};

use ce_api::{config::Backend, db};
use diesel::{connection::SimpleConnection, pg::PgConnection, Connection};

/// The server for the PostgreSQL variants, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_URL_VAR: &str = "CE_TEST_POSTGRES_URL";

pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// The PostgreSQL server URL, or `None` (and a loud note) when the variant must be skipped.
/// Under CI a missing server is a failure, not a skip.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{POSTGRES_URL_VAR} is not set but CI is: the PostgreSQL variants must run")
        }
        _ => {
            eprintln!("\n*** SKIPPED: PostgreSQL variant ({POSTGRES_URL_VAR} is not set) ***\n");
            None
        }
    }
}

/// `postgres://host/db` with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

fn admin_connection(admin_url: &str) -> PgConnection {
    PgConnection::establish(admin_url).unwrap_or_else(|e| panic!("cannot reach {POSTGRES_URL_VAR}: {e}"))
}

/// Names the template after the migrations it holds, so a changed migration gets a new one.
fn template_name() -> String {
    let mut hasher = DefaultHasher::new();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut entries: Vec<_> = walk(&dir);
    entries.sort();
    for path in entries {
        path.to_string_lossy().hash(&mut hasher);
        std::fs::read(&path).unwrap_or_default().hash(&mut hasher);
    }
    format!("ce_api_test_template_{:016x}", hasher.finish())
}

fn walk(dir: &PathBuf) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Creates (once per server and migration set) the migrated template database.
fn ensure_template(admin_url: &str) -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let name = template_name();
            let mut admin = admin_connection(admin_url);
            // Test processes running side by side take turns creating it.
            admin.batch_execute("SELECT pg_advisory_lock(4242)").expect("advisory lock");
            let exists = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
            )))
            .get_result::<bool>(&mut admin)
            .expect("query pg_database");
            if !exists {
                let building = format!("{name}_building");
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                    .expect("drop");
                admin.batch_execute(&format!("CREATE DATABASE {building}")).expect("create template");
                {
                    let mut conn =
                        db::establish(&with_database(admin_url, &building)).expect("connect template");
                    db::run_migrations(&mut conn).expect("migrate template");
                }
                admin.batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}")).expect("rename");
            }
            admin.batch_execute("SELECT pg_advisory_unlock(4242)").expect("advisory unlock");
            name
        })
        .clone()
}

use diesel::RunQueryDsl;

static CREATE_LOCK: Mutex<()> = Mutex::new(());

impl TestDatabase {
    /// A migrated database of the given backend; `None` when PostgreSQL is skipped.
    pub fn migrated(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => {
                let database = TestDatabase::empty_sqlite();
                let mut conn = db::establish(&database.url).expect("open sqlite");
                db::run_migrations(&mut conn).expect("migrate sqlite");
                Some(database)
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?;
                let template = ensure_template(&admin_url);
                Some(TestDatabase::create_postgres(&admin_url, &format!("TEMPLATE {template}")))
            }
        }
    }

    /// A database with no tables at all (for migration tests).
    pub fn empty(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => Some(TestDatabase::empty_sqlite()),
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?;
                Some(TestDatabase::create_postgres(&admin_url, ""))
            }
        }
    }

    fn empty_sqlite() -> TestDatabase {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name("ce_api_test")));
        TestDatabase {
            url: path.to_string_lossy().into_owned(),
            backend: Backend::Sqlite,
            cleanup: Cleanup::SqliteFile(path),
        }
    }

    fn create_postgres(admin_url: &str, options: &str) -> TestDatabase {
        let name = unique_name("ce_api_test");
        {
            let _turn = CREATE_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            admin_connection(admin_url)
                .batch_execute(&format!("CREATE DATABASE {name} {options}"))
                .expect("create test database");
        }
        TestDatabase {
            url: with_database(admin_url, &name),
            backend: Backend::Postgres,
            cleanup: Cleanup::PostgresDatabase { admin_url: admin_url.to_string(), name },
        }
    }

    /// A direct connection, for assertions on what was stored.
    pub fn connect(&self) -> db::DbConnection {
        db::establish(&self.url).expect("connect to test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}

/// Reverts the migrations down to and including `version` (named as its directory begins,
/// `2026-11-30-000024`), then runs them all again: the upgrade from before `version` as a
/// deployed database that already holds rows takes it (what kept totals are rebuilt from).
pub fn remigrate_from(conn: &mut db::DbConnection, version: &str) {
    use diesel_migrations::MigrationHarness;
    let wanted = version.replace('-', "");
    loop {
        let reverted = match conn {
            db::DbConnection::Postgres(pg) => pg.revert_last_migration(db::POSTGRES_MIGRATIONS),
            db::DbConnection::Sqlite(sqlite) => sqlite.revert_last_migration(db::SQLITE_MIGRATIONS),
        }
        .unwrap();
        if reverted.to_string().replace('-', "") == wanted {
            break;
        }
    }
    db::run_migrations(conn).unwrap();
}
