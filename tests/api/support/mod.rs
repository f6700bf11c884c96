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
        $crate::db_test!(settings = |_| {}; $(#[$meta])* async fn $name($app: TestApp) $body);
    };
    // The same, with the apps' settings changed first (`settings = fn(&mut Settings)`).
    (settings = $tweak:expr; $(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            async fn run($app: $crate::support::TestApp) $body

            #[actix_web::test]
            async fn sqlite() {
                let app = $crate::support::TestApp::spawn_with(ce_api::config::Backend::Sqlite, $tweak).await;
                let app = app.expect("SQLite is always available");
                let server = app.handle();
                run(app).await;
                server.stop(true).await;
            }

            #[actix_web::test]
            async fn postgres() {
                if let Some(app) =
                    $crate::support::TestApp::spawn_with(ce_api::config::Backend::Postgres, $tweak).await
                {
                    let server = app.handle();
                    run(app).await;
                    server.stop(true).await;
                }
            }
        }
    };
}

/// For tests whose callers act across hours or months of moved time: a real client would
/// refresh its 15-minute access token as it went; here the token outlives the scenario
/// instead, so the test is about its subject, not about logging in again. Token life itself
/// is tested with the default (`identity::access_tokens_live_and_expire_on_the_service_clock`).
pub fn tokens_outlive_the_scenario(settings: &mut ce_api::config::Settings) {
    settings.auth.access_token_ttl = std::time::Duration::from_secs(400 * 24 * 60 * 60);
}
