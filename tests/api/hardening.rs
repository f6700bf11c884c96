//! Hardening: text PostgreSQL cannot store never reaches it, personal answers are not cached,
//! the documentation can be turned off, and a SQLite write that waited past its request's time
//! does not happen.

use actix_web::http::Method;
use ce_api::{
    config::Backend,
    rate_limits::{Quota, RateLimitSettings},
};
use serde_json::{json, Value};

use crate::{
    credit::{ama, enduring, publish},
    db_test,
    support::TestApp,
};

db_test!(
    async fn nul_characters_are_refused_before_any_query(app: TestApp) {
        // In a path and in a query: 400, without a token.
        for path in ["/v1/activities/%00", "/v1/activities?q=%00", "/v1/activities/abc%00def/sessions"] {
            let problem = app.get(path).await.assert_problem(400, "malformed-request");
            assert!(problem["detail"].as_str().unwrap().contains("NUL"), "{path}: {problem}");
        }
        // In a JSON string or key: 422 naming the field.
        let login =
            app.post_json("/v1/auth/login", &json!({"email": "a\u{0}@example.org", "password": "x"})).await;
        assert_eq!(login.assert_problem(422, "validation")["errors"][0]["field"], "email");
        let (_, learner) = app.learner("nul-check@example.org").await;
        let patched = app
            .request(Method::PATCH, "/v1/me")
            .bearer(&learner)
            .json(&json!({"state_licenses": [{"state": "NY", "license_type": "RN\u{0}", "license_number": "1"}]}))
            .send()
            .await;
        assert_eq!(
            patched.assert_problem(422, "validation")["errors"][0]["field"],
            "state_licenses[0].license_type"
        );
        let key =
            app.post_json("/v1/auth/login", &json!({"email\u{0}": "a@example.org", "password": "x"})).await;
        assert_eq!(key.assert_problem(422, "validation")["errors"][0]["code"], "nul");
        // In the token endpoint's form: not a client.
        let token = app
            .request(Method::POST, "/v1/oauth/token")
            .raw(
                "application/x-www-form-urlencoded",
                b"grant_type=client_credentials&client_id=abc%00&client_secret=x".to_vec(),
            )
            .send()
            .await;
        token.assert_status(401);
        assert_eq!(token.json()["error"], "invalid_client");
        // The service still answers normally.
        app.get("/v1/activities").await.assert_status(200);
    }
);

db_test!(
    async fn personal_answers_are_not_stored_by_caches(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(1.0)]), "automatic")).await;
        let (_, learner) = app.learner("no-store@example.org").await;
        for path in ["/v1/me", "/v1/me/transcript", "/v1/enrollments"] {
            let answer = app.request(Method::GET, path).bearer(&learner).send().await;
            answer.assert_status(200);
            assert_eq!(answer.header("cache-control").as_deref(), Some("no-store"), "{path}");
        }
        let users = app.request(Method::GET, "/v1/users").bearer(&setup.admin).send().await;
        assert_eq!(users.header("cache-control").as_deref(), Some("no-store"));
        // A problem answered to a caller with credentials is personal too.
        let missing = app.request(Method::GET, "/v1/enrollments/unknown").bearer(&learner).send().await;
        missing.assert_status(404);
        assert_eq!(missing.header("cache-control").as_deref(), Some("no-store"));
        // The public verification page names the learner.
        let verification = app.get("/v1/credit-verifications/UNKNOWNCODE").await;
        assert_eq!(verification.header("cache-control").as_deref(), Some("no-store"));
        // The anonymous catalog is not personal.
        let catalog = app.get(&format!("/v1/activities/{}", setup.activity)).await;
        catalog.assert_status(200);
        assert_ne!(catalog.header("cache-control").as_deref(), Some("no-store"));
    }
);

#[actix_web::test]
async fn the_documentation_can_be_turned_off() {
    let on = TestApp::spawn(ce_api::config::Backend::Sqlite).await.unwrap();
    on.get("/openapi.json").await.assert_status(200);
    on.get("/docs/").await.assert_status(200);
    on.handle().stop(true).await;
    let off = TestApp::spawn_with(ce_api::config::Backend::Sqlite, |s| s.docs_enabled = false).await.unwrap();
    off.get("/openapi.json").await.assert_problem(404, "not-found");
    off.get("/docs/").await.assert_problem(404, "not-found");
    off.get("/healthz").await.assert_status(200);
    off.handle().stop(true).await;
}

/// The value of a counter or gauge sample with these labels (0 when absent).
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

async fn scrape(app: &TestApp) -> prometheus_parse::Scrape {
    let answer = app.get("/metrics").await;
    answer.assert_status(200);
    assert!(answer.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    let lines = answer.text().lines().map(|l| Ok(l.to_string())).collect::<Vec<std::io::Result<String>>>();
    prometheus_parse::Scrape::parse(lines.into_iter()).expect("Prometheus text format")
}

db_test!(
    async fn metrics_parse_and_move_with_requests(app: TestApp) {
        let before = scrape(&app).await;
        for _ in 0..3 {
            app.get("/healthz").await.assert_status(200);
        }
        app.get("/v1/activities/unknown-id").await.assert_status(404);
        let after = scrape(&app).await;
        let healthz = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
        let grew = sample(&after, "ce_http_requests_total", &healthz)
            - sample(&before, "ce_http_requests_total", &healthz);
        assert!(grew >= 3.0, "healthz counted {grew}");
        // Routes are templates, never raw paths with ids. (Read from the text: the parser
        // does not keep label values holding braces.)
        let text = app.get("/metrics").await.text();
        assert!(!text.contains("unknown-id"));
        assert!(
            text.contains(
                r#"ce_http_requests_total{method="GET",route="/v1/activities/{activity_id}",status="404"}"#
            ),
            "{text}"
        );
        assert!(after.samples.iter().any(|s| s.metric.starts_with("ce_http_request_duration_seconds")));
        assert!(after.samples.iter().any(|s| s.metric == "ce_db_pool_connections"));
        assert!(after.samples.iter().any(|s| s.metric == "ce_credit_feed_head"));
        assert!(after.samples.iter().any(|s| s.metric == "ce_http_requests_in_flight"));
    }
);

/// Every quota at `limit` per minute, and 127.0.0.0/8 a trusted proxy so that the test can
/// speak from many addresses.
fn tight_quotas(limit: u32) -> impl FnOnce(&mut ce_api::config::Settings) + Clone {
    move |settings| {
        let quota = Some(Quota::per(limit, 60));
        settings.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        settings.rate_limits = RateLimitSettings {
            login: quota,
            register: quota,
            token: quota,
            refresh: quota,
            password_reset: quota,
            check_in: quota,
            reset_mails_per_account: quota,
        };
    }
}

/// Each limited route counts requests per client address: within the quota the answers carry
/// the `RateLimit` fields; past it they are 429 problems with `Retry-After` and the policy,
/// without reaching the handler; other addresses are unaffected; the next window opens again.
#[actix_web::test]
async fn limited_routes_answer_429_past_their_quota_per_address() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, tight_quotas(2)).await else { continue };
        let throttled_before = sample(&scrape(&app).await, "ce_throttled_total", &[("policy", "login")]);
        let form = "application/x-www-form-urlencoded";
        let routes: [(&str, &str, Option<Value>); 6] = [
            ("password-reset", "/v1/auth/password-reset", Some(json!({"email": "a@example.org"}))),
            ("login", "/v1/auth/login", Some(json!({"email": "a@example.org", "password": "wrong one"}))),
            ("register", "/v1/auth/register", Some(json!({"email": "not-an-email", "password": "x"}))),
            ("refresh", "/v1/auth/refresh", Some(json!({"refresh_token": "unknown"}))),
            ("token", "/v1/oauth/token", None),
            ("check-in", "/v1/sessions/unknown/check-in", Some(json!({"code": "000000"}))),
        ];
        for (name, path, body) in routes {
            let send = |address: &'static str| {
                let request = app.request(Method::POST, path).header("x-forwarded-for", address);
                let request = match &body {
                    Some(body) => request.json(body),
                    None => request
                        .raw(form, b"grant_type=client_credentials&client_id=x&client_secret=y".to_vec()),
                };
                request.send()
            };
            for remaining in [1, 0] {
                let answer = send("203.0.113.1").await;
                assert_ne!(answer.status.as_u16(), 429, "{path}");
                let state = answer.header("ratelimit").unwrap_or_default();
                assert!(state.starts_with(&format!("\"{name}\";r={remaining};t=")), "{path}: {state}");
            }
            let refused = send("203.0.113.1").await;
            refused.assert_problem(429, "too-many-requests");
            let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&wait), "{path}: {wait}");
            assert_eq!(refused.header("ratelimit-policy"), Some(format!("\"{name}\";q=2;w=60")));
            assert_eq!(refused.header("ratelimit"), Some(format!("\"{name}\";r=0;t={wait}")));
            assert_ne!(send("203.0.113.2").await.status.as_u16(), 429, "{path}: another address");
        }
        let throttled = sample(&scrape(&app).await, "ce_throttled_total", &[("policy", "login")]);
        assert!(throttled > throttled_before, "the metric counts quota refusals");
        // A new window opens for everyone.
        app.clock.travel(chrono::Duration::seconds(61));
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": "unknown"})).await.assert_status(401);
        app.handle().stop(true).await;
    }
}

/// Quotas are counted in the database, atomically: 20 parallel logins from one address,
/// spread over two replicas, get exactly the quota's worth of password checks.
#[actix_web::test]
async fn quotas_hold_across_replicas_and_under_concurrency() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, tight_quotas(5)).await else { continue };
        let replica = app.replica_with(tight_quotas(5));
        let body = json!({"email": "nobody@example.org", "password": "wrong guess"});
        let attempts = (0..20).map(|n| {
            let request = if n % 2 == 0 {
                app.request(Method::POST, "/v1/auth/login")
            } else {
                replica.request(Method::POST, "/v1/auth/login")
            };
            request.header("x-forwarded-for", "198.51.100.3").json(&body).send()
        });
        let answers = futures_util::future::join_all(attempts).await;
        let refused = answers.iter().filter(|a| a.status.as_u16() == 429).count();
        assert_eq!(refused, 15, "five pass the quota, whichever replica they reach");
        app.handle().stop(true).await;
    }
}

/// With `CE_METRICS_BIND`, the metrics are served on their own listener only.
#[actix_web::test]
async fn metrics_can_move_to_their_own_listener() {
    let database = crate::support::database::TestDatabase::migrated(Backend::Sqlite).unwrap();
    let mut settings = crate::support::app::test_settings(&database.url);
    settings.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    let app = ce_api::startup::Application::build(settings).unwrap();
    let (api, metrics) = (app.port(), app.metrics_port().expect("a metrics port"));
    let handle = app.server_handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = crate::support::app::client();
    let get = |port: u16, path: &'static str| {
        let client = client.clone();
        async move { client.get(format!("http://127.0.0.1:{port}{path}")).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(metrics, "/metrics").await, 200);
    assert_eq!(get(api, "/metrics").await, 404, "not on the API's port");
    assert_eq!(get(api, "/healthz").await, 200);
    assert_eq!(get(metrics, "/healthz").await, 404, "nothing else on the metrics port");
    handle.stop(true).await;
}

/// On SQLite a process's writes queue for its one writer (`db::write`): one that waited in line
/// past its request's time is answered 503 and writes nothing afterwards.
#[actix_web::test]
async fn a_sqlite_writer_that_waited_past_its_time_does_not_write() {
    use std::time::Duration;

    use diesel::{connection::SimpleConnection, RunQueryDsl};

    let Some(database) = crate::support::database::TestDatabase::empty(Backend::Sqlite) else { return };
    let timeout = Duration::from_millis(300);
    let pool =
        ce_api::db::pool(&database.url, 4, timeout, Duration::from_secs(5), ce_api::clock::Clock::system());
    let slow = ce_api::db::write(&pool, |conn| {
        conn.batch_execute("CREATE TABLE first_writer (x INTEGER)")?;
        std::thread::sleep(Duration::from_millis(700));
        Ok::<_, ce_api::db::DbError>(())
    });
    let late = async {
        // Queued behind the first write, which holds the writer past this one's deadline.
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        ce_api::db::write(&pool, |conn| {
            conn.batch_execute("CREATE TABLE late_writer (x INTEGER)").map_err(ce_api::db::DbError::from)
        })
        .await
    };
    let (slow, late) = futures_util::future::join(slow, late).await;
    assert!(matches!(slow, Err(ce_api::db::DbError::TimedOut(_))), "{slow:?}");
    assert!(matches!(late, Err(ce_api::db::DbError::TimedOut(_))), "{late:?}");
    // Once the first writer has committed, only its table exists.
    actix_web::rt::time::sleep(Duration::from_millis(900)).await;
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let mut conn = database.connect();
    let tables: Vec<String> = diesel::sql_query("SELECT name FROM sqlite_master WHERE name LIKE '%_writer'")
        .load::<Name>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(tables, ["first_writer"]);
}

/// A group of PostgreSQL writes whose failed write could not be undone alone commits nothing
/// (PostgreSQL would answer the commit of its aborted transaction with a rollback, and the
/// writes before the failed one would hear "written"), and its connection serves no later
/// write: the leader takes another for the group still queued (here the pool's only one was
/// left in the aborted transaction).
#[actix_web::test]
async fn postgres_a_group_that_could_not_end_leaves_no_broken_connection() {
    use std::time::Duration;

    use ce_api::db::{write_grouped, DbError};
    use diesel::{connection::SimpleConnection, RunQueryDsl};

    fn insert(conn: &mut ce_api::db::DbConnection, n: i64) -> Result<i64, DbError> {
        conn.batch_execute(&format!("INSERT INTO grouped (n) VALUES ({n})"))?;
        Ok(n)
    }
    let Some(database) = crate::support::database::TestDatabase::empty(Backend::Postgres) else { return };
    let timeout = Duration::from_secs(20);
    let pool = ce_api::db::pool(&database.url, 1, timeout, timeout, ce_api::clock::Clock::system());
    ce_api::db::write(&pool, |conn| {
        conn.batch_execute("CREATE TABLE grouped (n BIGINT)").map_err(DbError::from)
    })
    .await
    .unwrap();
    let write_after = |delay_ms: u64, n: i64, sleep_ms: u64| {
        let pool = pool.clone();
        async move {
            actix_web::rt::time::sleep(Duration::from_millis(delay_ms)).await;
            write_grouped(&pool, "k", move |conn| {
                if n == 2 {
                    std::thread::sleep(Duration::from_millis(500));
                    // A write that releases its group's savepoints itself (the writer's names: the
                    // first write's is `group_write_0`, and releasing it releases those nested in
                    // it; a bug on purpose). Its failure can no longer be undone alone.
                    conn.batch_execute("RELEASE SAVEPOINT group_write_0")?;
                    insert(conn, n)?;
                    return Err(DbError::Corrupt("refused".into()));
                }
                let written = insert(conn, n)?;
                std::thread::sleep(Duration::from_millis(sleep_ms));
                Ok(written)
            })
            .await
        }
    };
    // 0 leads and holds the connection; 1-3 queue behind it (a group); 4 and 5 queue while that
    // group runs (2 sleeps), and are the leader's next group.
    let writes = vec![
        write_after(0, 0, 500),
        write_after(100, 1, 0),
        write_after(100, 2, 0),
        write_after(100, 3, 0),
        write_after(750, 4, 0),
        write_after(750, 5, 0),
    ];
    let outcomes = futures_util::future::join_all(writes).await;
    let written: Vec<bool> = outcomes.iter().map(Result::is_ok).collect();
    assert_eq!(written, [true, false, false, false, true, true], "{outcomes:?}");
    assert!(matches!(outcomes[2], Err(DbError::Corrupt(_))), "{:?}", outcomes[2]);
    // A later write leads anew on the pool's one connection: a working one.
    write_grouped(&pool, "k", |conn| insert(conn, 6)).await.expect("a write after");
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = database.connect();
    let rows: Vec<i64> = diesel::sql_query("SELECT n FROM grouped ORDER BY n")
        .load::<N>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|row| row.n)
        .collect();
    assert_eq!(rows, [0, 4, 5, 6]);
}

/// PostgreSQL writes of one lock key (`db::write_grouped`): those queued behind a slow one
/// share its next transaction, one failing or panicking after writing is undone alone (also
/// after a statement PostgreSQL refused, and with savepoints of its own), and a write of another
/// key is not held up.
#[actix_web::test]
async fn postgres_writes_of_one_key_share_a_transaction_and_fail_alone() {
    use std::{
        sync::{
            atomic::{AtomicUsize, Ordering},
            Arc,
        },
        time::Duration,
    };

    use ce_api::db::{write_grouped, DbError};
    use diesel::{connection::SimpleConnection, RunQueryDsl};

    #[derive(diesel::QueryableByName)]
    struct Txid {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        txid: i64,
    }
    fn insert(conn: &mut ce_api::db::DbConnection, n: i64) -> Result<i64, DbError> {
        conn.batch_execute(&format!("INSERT INTO grouped (n) VALUES ({n})"))?;
        Ok(diesel::sql_query("SELECT txid_current() AS txid").get_result::<Txid>(conn)?.txid)
    }

    let Some(database) = crate::support::database::TestDatabase::empty(Backend::Postgres) else { return };
    let timeout = Duration::from_secs(20);
    let pool = ce_api::db::pool(&database.url, 4, timeout, timeout, ce_api::clock::Clock::system());
    ce_api::db::write(&pool, |conn| {
        conn.batch_execute("CREATE TABLE grouped (n BIGINT)").map_err(DbError::from)
    })
    .await
    .unwrap();
    let finished = Arc::new(AtomicUsize::new(0));
    let order = |finished: &Arc<AtomicUsize>| finished.fetch_add(1, Ordering::SeqCst);
    let slow = async {
        let txid = write_grouped(&pool, "k", |conn| {
            let txid = insert(conn, 0)?;
            std::thread::sleep(Duration::from_millis(500));
            Ok::<_, DbError>(txid)
        })
        .await;
        (txid, order(&finished))
    };
    let queued = (1..=20).map(|n| {
        let pool = pool.clone();
        async move {
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
            write_grouped(&pool, "k", move |conn| {
                let txid = match n {
                    // A savepoint of its own inside the write's, kept, then the write fails.
                    11 => ce_api::db::savepoint(conn, |conn| insert(conn, n))?,
                    _ => insert(conn, n)?,
                };
                match n {
                    7 | 11 => Err(DbError::Corrupt("refused".into())),
                    13 => panic!("a bug in one write"),
                    // A statement PostgreSQL refuses, after a write: the transaction is aborted
                    // until the write's savepoint is rolled back to.
                    17 => {
                        conn.batch_execute("SELECT no_such_column FROM grouped")?;
                        Ok(txid)
                    }
                    _ => Ok(txid),
                }
            })
            .await
        }
    });
    let other = async {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        let txid = write_grouped(&pool, "other", |conn| insert(conn, 100)).await;
        (txid, order(&finished))
    };
    // Alone in its transaction, a failing write is rolled back whole.
    let lone = write_grouped(&pool, "lone", |conn| {
        insert(conn, 7)?;
        Err::<i64, _>(DbError::Corrupt("refused".into()))
    })
    .await;
    assert!(lone.is_err());
    let ((slow, slow_done), queued, (other, other_done)) =
        futures_util::future::join3(slow, futures_util::future::join_all(queued), other).await;
    let slow = slow.unwrap();
    other.unwrap();
    assert!(other_done < slow_done, "another key's write did not wait for the slow one");
    let failed: Vec<usize> =
        queued.iter().enumerate().filter(|(_, q)| q.is_err()).map(|(i, _)| i + 1).collect();
    assert_eq!(failed, [7, 11, 13, 17]);
    let txids: std::collections::BTreeSet<i64> =
        queued.iter().filter_map(|q| q.as_ref().ok().copied()).collect();
    assert_eq!(txids.len(), 1, "the sixteen queued writes shared one transaction: {txids:?}");
    assert!(!txids.contains(&slow), "after the slow one's");
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = database.connect();
    let mut count = |sql: &str| diesel::sql_query(sql).get_result::<Count>(&mut conn).unwrap().n;
    let kept = count("SELECT count(*) AS n FROM grouped WHERE n NOT IN (7, 11, 13, 17)");
    let undone = count("SELECT count(*) AS n FROM grouped WHERE n IN (7, 11, 13, 17)");
    assert_eq!((kept, undone), (18, 0), "the slow one, sixteen queued and the other key's");
}
