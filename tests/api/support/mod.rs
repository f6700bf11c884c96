//! Test support: per-test databases, the running app, a controllable TCP proxy, and the
//! macro that runs a test once on SQLite and once on PostgreSQL.

#![allow(dead_code)] // shared helpers: not every test file uses every one

pub mod app;
pub mod catalog;
pub mod database;
mod documented;
pub mod identity;
pub mod plans;
pub mod proxy;
pub mod smtp;

pub use app::TestApp;

/// Declares a test that runs on both backends: `mod name { fn sqlite; fn postgres }`.
/// The PostgreSQL variant is skipped loudly without `CE_TEST_POSTGRES_URL`, and fails
/// instead under CI.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            async fn run($app: $crate::support::TestApp) $body

            #[actix_web::test]
            async fn sqlite() {
                let app = $crate::support::TestApp::spawn(ce_api::config::Backend::Sqlite).await;
                let app = app.expect("SQLite is always available");
                let server = app.handle();
                run(app).await;
                server.stop(true).await;
            }

            #[actix_web::test]
            async fn postgres() {
                if let Some(app) = $crate::support::TestApp::spawn(ce_api::config::Backend::Postgres).await {
                    let server = app.handle();
                    run(app).await;
                    server.stop(true).await;
                }
            }
        }
    };
}
