//! Webhooks: endpoints registered by clients, signed deliveries (checked here with an HMAC
//! computed independently from the Standard Webhooks specification), retries on the clock the
//! test moves, 410 disabling, the delivery log, and exactly one delivery per message when two
//! instances share the outbox.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::{http::Method, web, App, HttpRequest, HttpResponse, HttpServer};
use base64::{engine::general_purpose::STANDARD, Engine};
use ce_api::config::{Backend, Settings};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::{
    credit::{ama, claim_body, completed_enrollments, enduring, publish},
    support::TestApp,
};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A webhook receiver on 127.0.0.1: records every request and answers the queued statuses,
/// then 200.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        let shared = receiver.clone();
        let server = HttpServer::new(move || {
            App::new().app_data(web::Data::new(shared.clone())).default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap();
        let url = format!("http://{}/hooks", server.addrs()[0]);
        actix_web::rt::spawn(server.run());
        (receiver, url)
    }

    fn answer_next(&self, statuses: &[u16]) {
        self.answers.lock().unwrap().extend(statuses);
    }

    fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until `count` requests arrived.
    async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let all = self.all();
            if all.len() >= count {
                return all;
            }
            assert!(Instant::now() < deadline, "{count} deliveries expected, {} arrived", all.len());
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, receiver: web::Data<Receiver>) -> HttpResponse {
    let header =
        |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    receiver.received.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let status = receiver.answers.lock().unwrap().pop_front().unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

/// The Standard Webhooks check, written from the specification: HMAC-SHA256 keyed with the
/// base64-decoded secret after `whsec_`, over `id.timestamp.body`, base64, prefixed `v1,`.
fn signature_valid(secret: &str, received: &Received) -> bool {
    let key = STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", received.id, received.timestamp, received.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    received.signature.split(' ').any(|candidate| candidate == expected)
}

fn quick_webhooks(settings: &mut Settings) {
    settings.webhooks.worker = true;
    settings.webhooks.allow_private = true;
    settings.webhooks.poll_interval = Duration::from_millis(20);
    settings.webhooks.retry_schedule = vec![Duration::from_secs(5), Duration::from_secs(5)];
}

/// A client with `scopes`, its token, and an endpoint of its own at `url` for `events`.
async fn client_endpoint(app: &TestApp, admin: &str, url: &str, events: Value) -> (String, String, String) {
    let (client_id, secret) = app.integration_client(admin, &["credits:read", "enrollments:read"]).await;
    let token = app.client_token(&client_id, &secret, None).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let created = app
        .request(Method::POST, "/v1/webhook-endpoints")
        .bearer(&token)
        .json(&json!({"url": url, "event_types": events, "description": "test LMS"}))
        .send()
        .await;
    created.assert_status(201);
    let created = created.json();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (token, created["id"].as_str().unwrap().to_string(), secret)
}

/// An award reaches the client's endpoint signed; a receiver failing twice gets it on the
/// third attempt (the test moves the clock past each wait); the log shows it; a test call and
/// a 410 (which disables the endpoint) follow. Only its owner (and administrators) see it.
/// `path` read with `token` until `done` holds of it, or 10 s have passed: the last read.
/// The worker records what it did after the receiver answered, so a test waits for the record.
async fn read_until(app: &TestApp, token: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let read = app.request(Method::GET, path).bearer(token).send().await.json();
        if done(&read) || Instant::now() >= deadline {
            return read;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn awards_are_delivered_signed_with_retries_until_a_2xx() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, quick_webhooks).await else { continue };
        let (receiver, url) = Receiver::start();
        let setup = publish(&app, enduring(json!([ama(1.0)]), "automatic")).await;
        let (token, endpoint, secret) =
            client_endpoint(&app, &setup.admin, &url, json!(["credit.awarded"])).await;

        receiver.answer_next(&[500, 503]);
        let enrollment = completed_enrollments(&app, &setup.activity, 1).remove(0);
        let claimed = app
            .request(Method::POST, "/v1/credit-claims")
            .bearer(&setup.admin)
            .json(&claim_body(&enrollment, "ama_pra_1", 1.0))
            .send()
            .await;
        claimed.assert_status(201);
        let claim_id = claimed.json()["id"].as_str().unwrap().to_string();
        receiver.wait_for(1).await;
        app.clock.travel(chrono::Duration::seconds(6));
        receiver.wait_for(2).await;
        app.clock.travel(chrono::Duration::seconds(6));
        let attempts = receiver.wait_for(3).await;
        let ids: HashSet<&str> = attempts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids.len(), 1, "one message, three attempts: {attempts:?}");
        for attempt in &attempts {
            assert!(signature_valid(&secret, attempt), "{attempt:?}");
            assert!(!signature_valid("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", attempt));
            let body = attempt.json();
            assert_eq!(body["type"], "credit.awarded");
            assert_eq!(body["data"]["claim"]["id"], claim_id.as_str());
            assert_eq!(body["data"]["type"], "credit.awarded");
            assert!(body["data"]["learner"]["user_id"].is_string());
        }
        // The worker records an attempt's outcome after the receiver answered it: wait for the
        // third to be recorded before reading the log.
        let deliveries = format!("/v1/webhook-endpoints/{endpoint}/deliveries");
        let log =
            read_until(&app, &token, &deliveries, |log| log["data"][0]["attempts"].as_i64() >= Some(3)).await;
        let delivery = &log["data"][0];
        assert_eq!(
            (delivery["status"].as_str(), delivery["attempts"].as_i64()),
            (Some("succeeded"), Some(3))
        );
        assert_eq!(delivery["response_status"], 200);

        // A test call, then a 410: the endpoint is disabled and says why.
        app.request(Method::POST, &format!("/v1/webhook-endpoints/{endpoint}/test"))
            .bearer(&token)
            .send()
            .await
            .assert_status(202);
        assert_eq!(receiver.wait_for(4).await[3].json()["type"], "webhook.test");
        receiver.answer_next(&[410]);
        app.request(Method::POST, &format!("/v1/webhook-endpoints/{endpoint}/test"))
            .bearer(&token)
            .send()
            .await
            .assert_status(202);
        receiver.wait_for(5).await;
        let shown_path = format!("/v1/webhook-endpoints/{endpoint}");
        let shown = read_until(&app, &token, &shown_path, |shown| shown["enabled"] == false).await;
        assert_eq!(shown["enabled"], false, "the 410 did not disable the endpoint");
        assert_eq!(shown["disabled_reason"], "gone");
        assert!(shown.get("secret").is_none(), "the secret is shown once");

        // Others: another client does not see it; a learner has no endpoints; the admin does.
        let (other_id, other_secret) = app.integration_client(&setup.admin, &["credits:read"]).await;
        let other = app.client_token(&other_id, &other_secret, None).await.json()["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        app.request(Method::GET, &format!("/v1/webhook-endpoints/{endpoint}"))
            .bearer(&other)
            .send()
            .await
            .assert_problem(404, "not-found");
        let (_, learner) = app.learner("no-hooks@example.org").await;
        app.request(Method::GET, "/v1/webhook-endpoints")
            .bearer(&learner)
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.request(Method::GET, &format!("/v1/webhook-endpoints/{endpoint}"))
            .bearer(&setup.admin)
            .send()
            .await
            .assert_status(200);
        app.handle().stop(true).await;
    }
}

/// Endpoints must be https to public addresses unless development allows otherwise, and a
/// client subscribes only to what its scopes read.
/// A new enrollment reaches the endpoints listening for `enrollment.created` (whether any
/// listens is read with the enrollment's learner, not by a query of its own).
#[actix_web::test]
async fn enrollments_are_announced_to_endpoints_that_listen() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, quick_webhooks).await else { continue };
        let (receiver, url) = Receiver::start();
        let setup = publish(&app, enduring(json!([ama(1.0)]), "automatic")).await;
        let enroll = |learner: String| {
            let path = format!("/v1/activities/{}/enrollments", setup.activity);
            let request =
                app.request(Method::POST, &path).bearer(&setup.admin).json(&json!({"user_id": learner}));
            async move {
                let created = request.send().await;
                created.assert_status(201);
                created.json()["id"].as_str().unwrap().to_string()
            }
        };
        let (_, _, secret) = client_endpoint(&app, &setup.admin, &url, json!(["enrollment.created"])).await;
        let (heard, _) = app.learner("heard@example.org").await;
        let enrollment = enroll(heard.clone()).await;

        let delivered = receiver.wait_for(1).await;
        assert!(signature_valid(&secret, &delivered[0]));
        let body = delivered[0].json();
        assert_eq!(body["type"], "enrollment.created");
        assert_eq!(body["data"]["id"], enrollment.as_str());
        assert_eq!(body["data"]["user_id"], heard.as_str());
        app.handle().stop(true).await;
    }
}

#[actix_web::test]
async fn endpoints_are_public_https_and_within_the_clients_scopes() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend).await else { continue };
        let admin = app.admin_token().await;
        let (client_id, secret) = app.integration_client(&admin, &["credits:read"]).await;
        let token = app.client_token(&client_id, &secret, None).await.json()["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let register = |url: &'static str, events: Value| {
            app.request(Method::POST, "/v1/webhook-endpoints")
                .bearer(&token)
                .json(&json!({"url": url, "event_types": events}))
                .send()
        };
        for url in ["http://lms.example.org/hooks", "https://127.0.0.1/hooks", "https://169.254.169.254/x"] {
            let refused = register(url, json!(["credit.awarded"])).await.assert_problem(422, "validation");
            assert_eq!(refused["errors"][0]["field"], "url", "{url}");
        }
        register("https://lms.example.org/hooks", json!(["enrollment.created"])).await.assert_status(403);
        register("https://lms.example.org/hooks", json!(["credit.awarded", "credit.revoked"]))
            .await
            .assert_status(201);
        app.handle().stop(true).await;
    }
}

/// 200 awards written concurrently through two instances sharing one PostgreSQL database, both
/// running the delivery worker: every award's message arrives once, signed.
#[actix_web::test]
async fn two_instances_deliver_each_award_once() {
    const AWARDS: usize = 200;
    let Some(app) = TestApp::spawn_with(Backend::Postgres, quick_webhooks).await else { return };
    let replica = app.replica_with(quick_webhooks);
    let (receiver, url) = Receiver::start();
    let setup = publish(&app, enduring(json!([ama(1.0)]), "automatic")).await;
    let (_, _, secret) = client_endpoint(&app, &setup.admin, &url, json!(["credit.awarded"])).await;
    let enrollments = completed_enrollments(&app, &setup.activity, AWARDS);
    let claims = enrollments.iter().enumerate().map(|(n, enrollment)| {
        let request = if n % 2 == 0 {
            app.request(Method::POST, "/v1/credit-claims")
        } else {
            replica.request(Method::POST, "/v1/credit-claims")
        };
        request.bearer(&setup.admin).json(&claim_body(enrollment, "ama_pra_1", 1.0)).send()
    });
    for answer in futures_util::future::join_all(claims).await {
        answer.assert_status(201);
    }
    let received = receiver.wait_for(AWARDS).await;
    // Settle: nothing more may arrive.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let received_all = receiver.all();
    assert_eq!(received_all.len(), AWARDS, "each message once");
    let mut per_claim: HashMap<String, usize> = HashMap::new();
    for message in &received {
        assert!(signature_valid(&secret, message));
        *per_claim.entry(message.json()["data"]["claim"]["id"].as_str().unwrap().to_string()).or_default() +=
            1;
    }
    assert_eq!(per_claim.len(), AWARDS);
    assert!(per_claim.values().all(|count| *count == 1));
    replica.handle().stop(true).await;
    app.handle().stop(true).await;
}

/// More endpoints with due deliveries than one claim takes: every one is delivered.
#[actix_web::test]
async fn more_due_endpoints_than_one_claim_takes_are_all_served() {
    const ENDPOINTS: usize = 40;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, |s| {
            quick_webhooks(s);
            s.webhooks.worker = false;
        })
        .await
        else {
            continue;
        };
        let (receiver, url) = Receiver::start();
        let admin = app.admin_token().await;
        for _ in 0..ENDPOINTS {
            let created = app
                .request(Method::POST, "/v1/webhook-endpoints")
                .bearer(&admin)
                .json(&json!({"url": url, "event_types": ["credit.awarded"]}))
                .send()
                .await;
            created.assert_status(201);
            let id = created.json()["id"].as_str().unwrap().to_string();
            app.request(Method::POST, &format!("/v1/webhook-endpoints/{id}/test"))
                .bearer(&admin)
                .send()
                .await
                .assert_status(202);
        }
        // All 40 are due before any worker runs: then a replica with the worker starts.
        let worker = app.replica_with(quick_webhooks);
        let received = receiver.wait_for(ENDPOINTS).await;
        assert_eq!(received.len(), ENDPOINTS);
        worker.handle().stop(true).await;
        app.handle().stop(true).await;
    }
}
