//! The service foundation: probes, request ids, problem+json for every failure, CORS and
//! security headers, outages, start-up and shutdown of the real binary.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use actix_web::http::Method;
use ce_api::config::Backend;
use diesel::{sql_types::BigInt, RunQueryDsl};

use crate::{
    db_test,
    support::{
        app::{client, start_instance, RequestBuilder, TestResponse},
        database::{postgres_admin_url, TestDatabase},
        proxy::TcpProxy,
        TestApp,
    },
};

db_test!(
    async fn probes_answer_when_the_database_is_up(app: TestApp) {
        let health = app.get("/healthz").await;
        health.assert_status(200);
        assert_eq!(health.json()["status"], "ok");
        let ready = app.get("/readyz").await;
        ready.assert_status(200);
        assert_eq!(ready.json()["status"], "ready");
    }
);

db_test!(
    async fn request_ids_are_echoed_or_generated(app: TestApp) {
        let echoed = app.request(Method::GET, "/healthz").header("x-request-id", "lms-sync-42").send().await;
        assert_eq!(echoed.header("x-request-id").as_deref(), Some("lms-sync-42"));
        let generated = app.get("/healthz").await;
        let id = generated.header("x-request-id").expect("generated id");
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        let unsafe_id =
            app.request(Method::GET, "/healthz").header("x-request-id", "a b<script>").send().await;
        assert_ne!(unsafe_id.header("x-request-id").as_deref(), Some("a b<script>"));
    }
);

db_test!(
    async fn unknown_routes_are_404_problems(app: TestApp) {
        let response =
            app.request(Method::GET, "/v1/no-such-thing").header("x-request-id", "req-404").send().await;
        let problem = response.assert_problem(404, "not-found");
        assert_eq!(problem["request_id"], "req-404");
        assert_eq!(problem["instance"], "/v1/no-such-thing");
    }
);

db_test!(
    async fn wrong_methods_are_405_problems_with_allow(app: TestApp) {
        for method in [Method::POST, Method::DELETE, Method::PUT, Method::TRACE, Method::PATCH] {
            let response = app.request(method.clone(), "/healthz").send().await;
            response.assert_problem(405, "method-not-allowed");
            assert_eq!(response.header("allow").as_deref(), Some("GET"), "{method}");
        }
    }
);

db_test!(
    async fn responses_carry_security_headers(app: TestApp) {
        let response = app.get("/healthz").await;
        assert_eq!(response.header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(response.header("x-frame-options").as_deref(), Some("DENY"));
        assert_eq!(response.header("referrer-policy").as_deref(), Some("no-referrer"));
        // No CORS configured: no CORS headers granted.
        let cross =
            app.request(Method::GET, "/healthz").header("origin", "https://portal.example").send().await;
        assert!(cross.header("access-control-allow-origin").is_none());
    }
);

#[actix_web::test]
async fn configured_cors_origins_are_allowed_and_others_are_not() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.cors_allowed_origins = vec!["https://portal.example".into()];
    })
    .await
    .unwrap();
    let preflight = app
        .request(Method::OPTIONS, "/healthz")
        .header("origin", "https://portal.example")
        .header("access-control-request-method", "GET")
        .send()
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(preflight.header("access-control-allow-origin").as_deref(), Some("https://portal.example"));
    let allowed =
        app.request(Method::GET, "/healthz").header("origin", "https://portal.example").send().await;
    assert_eq!(allowed.header("access-control-allow-origin").as_deref(), Some("https://portal.example"));
    let other = app.request(Method::GET, "/healthz").header("origin", "https://evil.example").send().await;
    assert!(other.header("access-control-allow-origin").is_none());
}

/// `/readyz` follows the database: 503 problem+json while it is unreachable, 200 again once
/// it is back, with no restart. The outage is a proxy between the app and PostgreSQL.
#[actix_web::test]
async fn readiness_follows_a_database_outage_and_recovery() {
    let Some(database) = TestDatabase::migrated(Backend::Postgres) else { return };
    let upstream = postgres_socket(&database.url);
    let proxy = TcpProxy::start(upstream).unwrap();
    let proxied_url = database.url.replacen(&upstream.to_string(), &format!("127.0.0.1:{}", proxy.port), 1);
    assert_ne!(proxied_url, database.url, "the URL must name host:port explicitly");
    let (address, _handle) = start_instance(&proxied_url, &Default::default(), |s| {
        s.migrate_on_start = false;
        s.db_timeout = Duration::from_millis(500);
    });
    let ready = |address: String| async move {
        RequestBuilder::new(&client(), Method::GET, &format!("{address}/readyz")).send().await
    };

    ready(address.clone()).await.assert_status(200);
    proxy.cut();
    let down = ready(address.clone()).await;
    down.assert_problem(503, "service-unavailable");
    assert!(down.header("retry-after").is_some());
    // Liveness does not depend on the database.
    RequestBuilder::new(&client(), Method::GET, &format!("{address}/healthz"))
        .send()
        .await
        .assert_status(200);

    proxy.restore();
    let recovered = eventually(|| ready(address.clone()), |r| r.status.as_u16() == 200).await;
    recovered.assert_status(200);
}

/// A link that stalls (open, silent) is answered 503 within the database timeout and
/// `/readyz` within a second; both recover when the link moves again, without a restart.
#[actix_web::test]
async fn a_stalled_database_link_is_answered_in_time_and_recovers() {
    let Some(database) = TestDatabase::migrated(Backend::Postgres) else { return };
    let upstream = postgres_socket(&database.url);
    let proxy = TcpProxy::start(upstream).unwrap();
    let proxied_url = database.url.replacen(&upstream.to_string(), &format!("127.0.0.1:{}", proxy.port), 1);
    let timeout = Duration::from_millis(1500);
    let (address, _handle) = start_instance(&proxied_url, &Default::default(), |s| {
        s.migrate_on_start = false;
        s.db_timeout = timeout;
    });
    let get = |path: &'static str| {
        let address = address.clone();
        async move { RequestBuilder::new(&client(), Method::GET, &format!("{address}{path}")).send().await }
    };
    get("/readyz").await.assert_status(200);
    get("/v1/activities").await.assert_status(200);

    proxy.stall();
    let started = Instant::now();
    let catalog = get("/v1/activities").await;
    let waited = started.elapsed();
    catalog.assert_problem(503, "service-unavailable");
    assert!(catalog.header("retry-after").is_some());
    assert!(waited < timeout + Duration::from_secs(1), "answered after {waited:?}");
    let started = Instant::now();
    get("/readyz").await.assert_problem(503, "service-unavailable");
    assert!(started.elapsed() < Duration::from_millis(1900), "readiness after {:?}", started.elapsed());

    proxy.resume();
    eventually(|| get("/readyz"), |r| r.status.as_u16() == 200).await.assert_status(200);
    eventually(|| get("/v1/activities"), |r| r.status.as_u16() == 200).await.assert_status(200);
}

/// Connections in steady use are not pinged before each checkout (`db::PooledConnection`): when
/// the server ends them, each fails once (503) and is then pinged, dropped and replaced, even
/// under requests that never pause. Ended here by `pg_terminate_backend` on the test's own
/// database, as a server restart or a failover ends them.
#[actix_web::test]
async fn connections_the_server_ended_are_replaced_under_steady_load() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    for _ in 0..8 {
        app.get("/v1/activities").await.assert_status(200);
    }
    let mut admin = app.database.connect();
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .expect("end the app's connections");
    let mut failures = 0;
    loop {
        let answer = app.get("/v1/activities").await;
        if answer.status.as_u16() == 200 {
            break;
        }
        answer.assert_problem(503, "service-unavailable");
        failures += 1;
        assert!(failures <= 4, "one failure per pooled connection (4) at most");
    }
    app.get("/v1/activities").await.assert_status(200);
    app.handle().stop(true).await;
}

fn postgres_socket(url: &str) -> std::net::SocketAddr {
    let after_at = url.rsplit('@').next().unwrap();
    let host_port = after_at.split('/').next().unwrap();
    let host_port = if host_port.contains(':') { host_port.to_string() } else { format!("{host_port}:5432") };
    let host_port = host_port.replace("localhost", "127.0.0.1");
    host_port.parse().unwrap_or_else(|_| panic!("{POSTGRES_HINT} got {url}"))
}

const POSTGRES_HINT: &str = "CE_TEST_POSTGRES_URL must be postgres://user@127.0.0.1:5432/db;";

/// Retries `attempt` until `done` holds or 10 seconds pass; returns the last response.
async fn eventually<F, Fut>(attempt: F, done: impl Fn(&TestResponse) -> bool) -> TestResponse
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = TestResponse>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = attempt().await;
        if done(&response) || Instant::now() > deadline {
            return response;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The real binary, as docker-compose runs it.
struct Process {
    child: Child,
    address: String,
}

impl Process {
    fn start(database_url: &str) -> Process {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_ce-api"))
            .arg("serve")
            .env("CE_DATABASE_URL", database_url)
            .env("CE_BIND", format!("127.0.0.1:{port}"))
            .env("CE_WORKERS", "1")
            .env("CE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ce-api");
        Process { child, address: format!("http://127.0.0.1:{port}") }
    }

    async fn wait_ready(&self) -> TestResponse {
        let url = format!("{}/readyz", self.address);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let attempt = client().get(&url).send().await;
            if let Ok(mut response) = attempt {
                let body = response.body().await.unwrap_or_default().to_vec();
                return TestResponse { status: response.status(), headers: response.headers().clone(), body };
            }
            assert!(Instant::now() < deadline, "ce-api did not come up at {url}");
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        // actix installs its signal handlers just after it starts accepting: a SIGTERM in
        // those first moments meets the default action (kill), not the graceful shutdown.
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "ce-api did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Two replicas started at once against one empty PostgreSQL database both come up, and the
/// migrations are applied exactly once.
#[actix_web::test]
async fn two_processes_starting_together_on_an_empty_postgres_both_come_up() {
    let Some(database) = TestDatabase::empty(Backend::Postgres) else { return };
    let mut first = Process::start(&database.url);
    let mut second = Process::start(&database.url);
    first.wait_ready().await.assert_status(200);
    second.wait_ready().await.assert_status(200);

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = database.connect();
    let counts: Vec<Count> = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM __diesel_schema_migrations GROUP BY version HAVING COUNT(*) > 1",
    )
    .load(&mut conn)
    .unwrap();
    assert!(counts.iter().all(|c| c.n <= 1), "a migration was applied twice");
    assert!(first.terminate().success());
    assert!(second.terminate().success());
}

/// The README's quick start: the binary with no configuration but a working directory serves
/// on a new SQLite file; SIGTERM stops it cleanly.
#[actix_web::test]
async fn the_binary_serves_a_new_sqlite_file_and_stops_on_sigterm() {
    let database = TestDatabase::empty(Backend::Sqlite).unwrap();
    let mut process = Process::start(&database.url);
    process.wait_ready().await.assert_status(200);
    assert!(std::path::Path::new(&database.url).exists());
    let status = process.terminate();
    let mut stderr = String::new();
    if let Some(mut pipe) = process.child.stderr.take() {
        use std::io::Read;
        let _ = pipe.read_to_string(&mut stderr);
    }
    assert!(status.success(), "exit status {status}; stderr: {stderr}");
}

#[test]
fn a_bad_configuration_value_stops_start_up_naming_the_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_ce-api"))
        .arg("serve")
        .env("CE_BIND", "not-an-address")
        .env("CE_DATABASE_URL", "unused.db")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("CE_BIND"), "{stderr}");
}

#[test]
fn the_openapi_command_prints_the_committed_document() {
    let output = Command::new(env!("CARGO_BIN_EXE_ce-api")).arg("openapi").output().unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), ce_api::openapi::document_json());
}

#[test]
fn a_database_test_variant_never_silently_passes_without_postgres_under_ci() {
    // Guard for the harness itself: under CI the PostgreSQL URL must be set.
    if std::env::var_os("CI").is_some() {
        assert!(postgres_admin_url().is_some());
    }
}

/// docker-compose.yml runs this binary with its own environment: every `CE_*` value there
/// must be one the binary accepts (the compose file is for users; no Docker engine runs here).
#[test]
fn the_compose_file_configures_the_api_with_accepted_values() {
    let compose =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.yml")).unwrap();
    let vars: Vec<(String, String)> = compose
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once(':')?;
            key.starts_with("CE_").then(|| (key.to_string(), compose_default(value.trim())))
        })
        .collect();
    assert!(vars.iter().any(|(k, v)| k == "CE_DATABASE_URL" && v.starts_with("postgres://")), "{vars:?}");
    let settings = ce_api::config::Settings::from_lookup(|name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
    .unwrap_or_else(|e| panic!("docker-compose.yml sets a value the binary refuses: {e}"));
    assert_eq!(settings.bind.to_string(), "0.0.0.0:8080");
    assert_eq!(settings.backend(), Backend::Postgres);
}

/// `${NAME:-default}` as compose expands it when NAME is unset; quotes removed.
fn compose_default(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value.trim_matches('"');
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
        let inner = &rest[start + 2..end];
        out.push_str(inner.split_once(":-").map_or("", |(_, default)| default));
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

db_test!(
    async fn cached_updates_are_prepared_once_per_sql_text(app: TestApp) {
        // diesel never caches an UPDATE (PostgreSQL would parse and plan it on every run);
        // `db::cached::update` does, keyed by the SQL text: a changeset that skips another
        // column is another statement, never the first one run with the wrong columns.
        use ce_api::db::{cached, schema::users};
        use diesel::prelude::*;

        #[derive(AsChangeset)]
        #[diesel(table_name = users)]
        struct Rename<'a> {
            first_name: Option<&'a str>,
            last_name: Option<&'a str>,
        }

        let (id, _) = app.learner("cached-updates@example.org").await;
        let (other, _) = app.learner("not-renamed@example.org").await;
        let mut conn = app.database.connect();
        for first_name in ["Ada", "Augusta"] {
            let rename = Rename { first_name: Some(first_name), last_name: None };
            let renamed =
                cached::update(users::table, users::id.eq(&id), &rename).execute(&mut conn).unwrap();
            assert_eq!(renamed, 1);
        }
        let rename = Rename { first_name: None, last_name: Some("Lovelace") };
        cached::update(users::table, users::id.eq(&id), &rename).execute(&mut conn).unwrap();
        let names = |id: &str, conn: &mut ce_api::db::DbConnection| -> (String, String) {
            users::table.find(id).select((users::first_name, users::last_name)).first(conn).unwrap()
        };
        assert_eq!(names(&id, &mut conn), ("Augusta".to_string(), "Lovelace".to_string()));
        assert_ne!(names(&other, &mut conn).0, "Augusta", "the filter held");
        // Uncached, for contrast: diesel's own UPDATE.
        diesel::update(users::table.find(&id)).set(users::degree.eq("MD")).execute(&mut conn).unwrap();
        if let Some(held) = crate::support::plans::held_prepared(&mut conn) {
            let updates: Vec<&String> = held.iter().filter(|sql| sql.starts_with("UPDATE")).collect();
            assert_eq!(updates.len(), 2, "one statement per SET list, diesel's own not held: {held:#?}");
            assert!(updates.iter().any(|sql| sql.contains("\"first_name\" = $1 WHERE")), "{updates:#?}");
            assert!(updates.iter().any(|sql| sql.contains("\"last_name\" = $1 WHERE")), "{updates:#?}");
        }
    }
);
