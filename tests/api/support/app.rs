//! A running instance of the real application on a free port, with a small HTTP client.

use std::time::Duration;

use actix_web::{
    dev::ServerHandle,
    http::{header::HeaderMap, Method, StatusCode},
};
use ce_api::{
    clock::Clock,
    config::{Backend, Settings},
    startup::Application,
};
use serde_json::Value;

use super::database::TestDatabase;

pub struct TestApp {
    pub address: String,
    pub database: TestDatabase,
    /// The server's clock: `app.clock.travel(...)` moves the time it sees (no test sleeps).
    pub clock: Clock,
    handle: ServerHandle,
    client: awc::Client,
}

/// Settings for a test instance: a free port, a small pool, quick start and stop. The
/// database timeouts are generous: many instances share two cores in CI, and a test that is
/// about timeouts sets its own. Every test's requests come from 127.0.0.1, so the request
/// quotas are off; the tests about quotas set their own. The webhook worker (a loop polling the
/// database) runs only where a test turns it on: hundreds of idle pollers only add load, and
/// database work still running when the test process exits.
pub fn test_settings(database_url: &str) -> Settings {
    Settings {
        database_url: database_url.to_string(),
        bind: "127.0.0.1:0".parse().expect("address"),
        db_pool_size: 4,
        db_timeout: Duration::from_secs(10),
        db_statement_timeout: Duration::from_secs(30),
        workers: 2,
        shutdown_timeout: Duration::from_secs(1),
        log_filter: "warn".into(),
        rate_limits: ce_api::rate_limits::RateLimitSettings::off(),
        webhooks: ce_api::config::WebhookSettings { worker: false, ..Default::default() },
        ..Settings::default()
    }
}

/// Starts an instance on `database_url` with `settings` adjusted by `tweak`; returns its
/// address and handle.
pub fn start_instance(
    database_url: &str,
    clock: &Clock,
    tweak: impl FnOnce(&mut Settings),
) -> (String, ServerHandle) {
    let mut settings = test_settings(database_url);
    settings.clock = clock.clone();
    tweak(&mut settings);
    let app = Application::build(settings).expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.server_handle();
    actix_web::rt::spawn(app.run_until_stopped());
    (address, handle)
}

impl TestApp {
    /// A fresh, migrated database of `backend` and an app on it; `None` when PostgreSQL is
    /// skipped (outside CI only).
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        let database = TestDatabase::migrated(backend)?;
        let clock = Clock::system();
        let (address, handle) = start_instance(&database.url, &clock, tweak);
        Some(TestApp { address, database, clock, handle, client: client() })
    }

    /// Another instance (a second replica) on the same database.
    pub fn replica(&self) -> Replica {
        self.replica_with(|_| {})
    }

    pub fn replica_with(&self, tweak: impl FnOnce(&mut Settings)) -> Replica {
        // Replicas share the clock, as real ones share the time.
        let (address, handle) = start_instance(&self.database.url, &self.clock, tweak);
        Replica { address, handle, client: client() }
    }

    pub fn backend(&self) -> Backend {
        self.database.backend
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        RequestBuilder::new(&self.client, method, &format!("{}{path}", self.address))
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path).send().await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> TestResponse {
        self.request(Method::POST, path).json(body).send().await
    }
}

impl TestApp {
    /// The server's handle: a test awaits `stop` on it after dropping the app, so that no
    /// worker is still running (with its pool and connections) when the test process exits.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command at once; awaiting a second `stop` on a clone of the handle
        // returns once the server has wound down (its command channel closes then).
        drop(self.handle.stop(true));
    }
}

/// A second instance sharing a [`TestApp`]'s database.
pub struct Replica {
    pub address: String,
    handle: ServerHandle,
    client: awc::Client,
}

impl Replica {
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        RequestBuilder::new(&self.client, method, &format!("{}{path}", self.address))
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        drop(self.handle.stop(true));
    }
}

pub fn client() -> awc::Client {
    // Idle pooled connections are dropped before the server's 5 s keep-alive closes them:
    // reusing one the server is closing fails with `Disconnected` after a slow test step.
    let connector = awc::Connector::new().conn_keep_alive(Duration::from_secs(2));
    awc::Client::builder().connector(connector).timeout(Duration::from_secs(30)).disable_redirects().finish()
}

pub struct RequestBuilder {
    request: awc::ClientRequest,
    body: Option<Vec<u8>>,
}

impl RequestBuilder {
    pub fn new(client: &awc::Client, method: Method, url: &str) -> Self {
        RequestBuilder { request: client.request(method, url), body: None }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.insert_header((name, value));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn json(self, body: &Value) -> Self {
        self.raw("application/json", serde_json::to_vec(body).expect("serialize"))
    }

    pub fn raw(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.request = self.request.insert_header(("content-type", content_type));
        self.body = Some(body);
        self
    }

    pub async fn send(self) -> TestResponse {
        let (method, url) = (self.request.get_method().clone(), self.request.get_uri().to_string());
        let sent = match self.body {
            Some(body) => self.request.send_body(body).await,
            None => self.request.send().await,
        };
        let mut response = sent.expect("request reaches the server");
        super::documented::check(&method, &url, response.status(), response.headers());
        let body = response.body().limit(64 * 1024 * 1024).await.expect("read body").to_vec();
        TestResponse { status: response.status(), headers: response.headers().clone(), body }
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// The next page's path, from the `Link: <...>; rel="next"` header.
    pub fn next_page(&self) -> Option<String> {
        self.header("link")
            .map(|link| link.split('>').next().unwrap_or_default().trim_start_matches('<').to_string())
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(self.status.as_u16(), expected, "unexpected status; body: {}", self.text());
        self
    }

    /// Asserts an RFC 9457 problem with the given status and `type` slug; returns the body.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, kind: &str) -> Value {
        self.assert_status(status);
        assert_eq!(self.header("content-type").as_deref(), Some("application/problem+json"));
        let body = self.json();
        assert_eq!(body["type"], format!("https://ce-api.dev/problems/{kind}"), "problem: {body}");
        assert_eq!(body["status"], status);
        assert!(body["title"].is_string());
        assert_eq!(body["request_id"].as_str(), self.header("x-request-id").as_deref(), "request id in body");
        body
    }
}
