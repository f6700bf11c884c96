//! What the benchmarks share: timing HTTP clients, percentiles, an administrator's token.
#![allow(dead_code)] // each benchmark uses a part

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use ce_api::{
    activities::{dto::ActivityInput, examples, fixtures as store},
    db::{self, schema::activities},
    users::{fixtures as users, NewUser},
};
use diesel::{connection::SimpleConnection, prelude::*};

pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub struct Figures {
    pub requests: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// `clients` concurrent clients GET `url` (with `bearer`, if any) for `seconds`.
pub async fn measure(url: String, bearer: Option<String>, clients: u64, seconds: u64) -> Figures {
    let headers = bearer.map(|token| vec![("authorization".to_string(), format!("Bearer {token}"))]);
    measure_with(url, headers.unwrap_or_default(), clients, seconds).await
}

/// `clients` concurrent clients GET `url` with `headers` for `seconds`.
pub async fn measure_with(
    url: String,
    headers: Vec<(String, String)>,
    clients: u64,
    seconds: u64,
) -> Figures {
    // A marker for profilers, as `post_all` prints one.
    eprintln!("measuring GET {url} for {seconds} s");
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (url, latencies, headers) = (url.clone(), latencies.clone(), headers.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let mut request = client.get(&url);
                for (name, value) in &headers {
                    request = request.insert_header((name.as_str(), value.as_str()));
                }
                let mut response = request.send().await.expect("request");
                let body = response.body().limit(64 << 20).await.expect("body");
                // 304 is the answer a revalidation (`If-None-Match`) measures.
                let status = response.status();
                assert!(status.is_success() || status.as_u16() == 304, "{}", String::from_utf8_lossy(&body));
                mine.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            latencies.lock().expect("lock").extend(mine);
        }));
    }
    for task in tasks {
        task.await.expect("client task");
    }
    let all = latencies.lock().expect("lock").clone();
    summarize(all, started.elapsed().as_secs_f64())
}

/// `clients` concurrent clients send each `(url, body)` of `requests` as a POST (with the
/// bearer `token` unless it is empty; each must answer 201) until the requests or the time run
/// out.
pub async fn post_all(
    requests: Vec<(String, serde_json::Value)>,
    token: &str,
    clients: u64,
    seconds: u64,
) -> Result<Figures, String> {
    // A marker for profilers started beside the bench (`perf record` once this appears).
    eprintln!("measuring {} requests", requests.len());
    let queue = Arc::new(Mutex::new(requests));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (queue, latencies, token) = (queue.clone(), latencies.clone(), token.to_string());
        tasks.push(actix_web::rt::spawn(async move {
            let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let Some((url, body)) = queue.lock().expect("lock").pop() else { break };
                let sent = Instant::now();
                let mut request = client.post(&url);
                if !token.is_empty() {
                    request = request.insert_header(("authorization", format!("Bearer {token}")));
                }
                let mut response = request.send_json(&body).await.expect("request");
                let answer = response.body().await.expect("body");
                assert_eq!(response.status().as_u16(), 201, "{}", String::from_utf8_lossy(&answer));
                mine.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            latencies.lock().expect("lock").extend(mine);
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())?;
    }
    let all = latencies.lock().expect("lock").clone();
    Ok(summarize(all, started.elapsed().as_secs_f64()))
}

/// `count` learner accounts written in one transaction (no passwords: they are enrolled by an
/// administrator); their ids.
pub fn bench_learners(conn: &mut db::DbConnection, count: u64) -> Result<Vec<String>, String> {
    db::write_transaction(conn, |conn| {
        (0..count)
            .map(|n| {
                users::insert(
                    conn,
                    NewUser {
                        email: format!("bench-learner-{n}-{}@example.org", uuid::Uuid::now_v7().simple()),
                        password_hash: None,
                        role: ce_api::auth::Role::Learner,
                        first_name: "L".into(),
                        last_name: format!("{n}"),
                        profession: None,
                        external_id: None,
                        email_verified: true,
                    },
                )
                .map(|row| row.id)
            })
            .collect()
    })
    .map_err(|e| e.to_string())
}

/// An awarded claim of `hundredths` of `credit_type` for `enrollment`'s learner in `activity`,
/// claimed and awarded now, completed on `completed_on` (as the award path writes it).
pub fn awarded_claim(
    activity: &ce_api::activities::ActivityRow,
    enrollment: &ce_api::enrollments::EnrollmentRow,
    credit_type: &str,
    hundredths: i32,
    completed_on: chrono::NaiveDate,
) -> ce_api::credit_claims::fixtures::ClaimRow {
    let at = db::now();
    let acpe_uan = match credit_type {
        "acpe" => activity.input().ok().and_then(|input| {
            input.credit_designations.into_iter().find_map(|designation| designation.acpe_uan)
        }),
        _ => None,
    };
    ce_api::credit_claims::fixtures::ClaimRow {
        id: uuid::Uuid::now_v7().to_string(),
        enrollment_id: enrollment.id.clone(),
        activity_id: enrollment.activity_id.clone(),
        user_id: enrollment.user_id.clone(),
        credit_type: credit_type.into(),
        amount_hundredths: hundredths,
        status: "awarded".into(),
        attested_at: at,
        claimed_by: format!("user:{}", enrollment.user_id),
        supersedes_id: None,
        superseded_by_id: None,
        completion_date: completed_on,
        decision_reason: None,
        decided_by: None,
        decided_at: None,
        awarded_at: Some(at),
        verification_code: uuid::Uuid::now_v7().simple().to_string(),
        version: 1,
        created_at: at,
        updated_at: at,
        session_id: None,
        moc_board: None,
        moc_credit_type: None,
        activity_title: activity.title.clone(),
        activity_format: activity.format.clone(),
        acpe_uan,
    }
}

/// Throughput and latency percentiles of one scenario.
pub fn summarize(mut latencies_ms: Vec<f64>, elapsed_secs: f64) -> Figures {
    latencies_ms.sort_by(|a, b| a.total_cmp(b));
    let percentile = |p: f64| {
        latencies_ms.get(((latencies_ms.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0)
    };
    Figures {
        requests: latencies_ms.len(),
        per_second: latencies_ms.len() as f64 / elapsed_secs,
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
    }
}

/// A planner made directly in the database (no password), for seeding; `label` names the
/// benchmark in the email.
pub fn insert_planner(conn: &mut db::DbConnection, label: &str) -> Result<ce_api::users::UserRow, String> {
    users::insert(
        conn,
        NewUser {
            email: format!("{label}-planner-{}@example.org", uuid::Uuid::now_v7().simple()),
            password_hash: None,
            role: ce_api::auth::Role::Planner,
            first_name: "P".into(),
            last_name: "Planner".into(),
            profession: None,
            external_id: None,
            email_verified: true,
        },
    )
    .map_err(|e| e.to_string())
}

/// A new administrator's access token.
pub async fn admin_token(conn: &mut db::DbConnection, base: &str) -> Result<String, String> {
    let password = "bench admin password";
    let email = format!("bench-admin-{}@example.org", uuid::Uuid::now_v7().simple());
    let hash = ce_api::auth::password::hash(password).map_err(|e| e.to_string())?;
    users::insert(
        conn,
        NewUser {
            email: email.clone(),
            password_hash: Some(hash),
            role: ce_api::auth::Role::Admin,
            first_name: "Bench".into(),
            last_name: "Admin".into(),
            profession: None,
            external_id: None,
            email_verified: true,
        },
    )
    .map_err(|e| e.to_string())?;
    let mut login = awc::Client::default()
        .post(format!("{base}/v1/auth/login"))
        .send_json(&serde_json::json!({"email": email, "password": password}))
        .await
        .map_err(|e| e.to_string())?;
    let tokens: serde_json::Value = login.json().await.map_err(|e| e.to_string())?;
    Ok(tokens["access_token"].as_str().unwrap_or_default().to_string())
}

/// The URL of database `name` on the server of `admin_url`, created if missing.
pub fn postgres_database(admin_url: &str, name: &str) -> String {
    use diesel::{connection::SimpleConnection, Connection};
    if let Ok(mut conn) = diesel::PgConnection::establish(admin_url) {
        // Fails harmlessly when it exists.
        let _ = conn.batch_execute(&format!("CREATE DATABASE {name}"));
    }
    format!("{}/{name}", admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base))
}

/// The real application on a free port over `url`, with a pool sized for `clients`; its base
/// URL and a handle to stop it.
pub fn start(url: &str, clients: u64) -> Result<(String, actix_web::dev::ServerHandle), String> {
    start_with(url, clients, |_| {})
}

/// [`start`] with settings adjusted by `tweak`.
pub fn start_with(
    url: &str,
    clients: u64,
    tweak: impl FnOnce(&mut ce_api::config::Settings),
) -> Result<(String, actix_web::dev::ServerHandle), String> {
    let mut settings = ce_api::config::Settings {
        database_url: url.to_string(),
        bind: "127.0.0.1:0".parse().map_err(|_| "address")?,
        db_pool_size: clients.min(32) as u32,
        log_filter: "warn".into(),
        ..ce_api::config::Settings::default()
    };
    tweak(&mut settings);
    let app = ce_api::startup::Application::build(settings).map_err(|e| e.to_string())?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.server_handle();
    actix_web::rt::spawn(app.run_until_stopped());
    Ok((base, handle))
}

/// Activity `n` of a seeded catalog: the template with its own title, format and dates; when
/// `lean`, one designation, specialty, topic, profession and person.
fn activity(n: u64, template: &ActivityInput, lean: bool) -> ActivityInput {
    let mut input = template.clone();
    let formats = ["course", "rss", "internet_live"];
    input.title = format!(
        "Activity {n}: {}",
        ["sepsis", "heart failure", "opioid stewardship", "burnout"][(n % 4) as usize]
    );
    input.format =
        serde_json::from_value(serde_json::json!(formats[(n % 3) as usize])).unwrap_or(input.format);
    if input.format != ce_api::activities::dto::ActivityFormat::Course {
        input.delivery = None;
    }
    let start = chrono::Utc::now() + chrono::Duration::minutes(10 * n as i64 + 60 * 24 * 30);
    input.starts_at = Some(start);
    input.ends_at = Some(start + chrono::Duration::hours(1));
    input.registration_closes_at = Some(start);
    if !lean {
        return input;
    }
    input.credit_designations.truncate(1);
    input.specialties =
        vec![["cardiology", "emergency_medicine", "oncology", "pediatrics"][(n % 4) as usize].into()];
    input.topics.truncate(1);
    input.target_professions.truncate(1);
    input.people.truncate(1);
    input
}

/// `count` published activities in the database at `url` (migrated first; kept between runs).
pub fn seed_catalog(url: &str, count: u64) -> Result<(), String> {
    seed_catalog_as(url, count, true)
}

/// [`seed_catalog`], each activity the spec's whole create example (about 3 KB of document)
/// unless `lean` (one designation, specialty, topic, profession and person).
pub fn seed_catalog_as(url: &str, count: u64, lean: bool) -> Result<(), String> {
    let mut conn = db::establish(url).map_err(|e| e.to_string())?;
    db::run_migrations(&mut conn)?;
    let existing: i64 = activities::table.count().get_result(&mut conn).map_err(|e| e.to_string())?;
    if existing as u64 >= count {
        return Ok(());
    }
    let planner = users::insert(
        &mut conn,
        NewUser {
            email: format!("bench-{}@example.org", uuid::Uuid::now_v7().simple()),
            password_hash: None,
            role: ce_api::auth::Role::Planner,
            first_name: "Bench".into(),
            last_name: "Planner".into(),
            profession: None,
            external_id: None,
            email_verified: true,
        },
    )
    .map_err(|e| e.to_string())?;
    let template: ActivityInput =
        serde_json::from_value(examples::create_activity(chrono::Utc::now().date_naive()))
            .map_err(|e| e.to_string())?;
    let started = Instant::now();
    for chunk_start in (existing as u64..count).step_by(1000) {
        db::write_transaction(&mut conn, |conn| -> ce_api::error::ApiResult<()> {
            for n in chunk_start..(chunk_start + 1000).min(count) {
                store::insert(conn, &activity(n, &template, lean), &planner.id)?;
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    }
    // Published in one statement, then the catalog views rendered again (they hold the status).
    diesel::update(activities::table)
        .set((
            activities::status.eq("published"),
            activities::summary_json.eq(None::<String>),
            activities::document_json.eq(None::<String>),
        ))
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    ce_api::activities::service::render_missing_views(&mut conn).map_err(|e| e.to_string())?;
    analyze_seeded(&mut conn)?;
    eprintln!("seeded {} activities in {:.1}s", count - existing as u64, started.elapsed().as_secs_f64());
    Ok(())
}

/// Statistics for the tables that hold rows, as autovacuum would have gathered them. Not a
/// whole-database `ANALYZE` on PostgreSQL: that also marks the empty tables (enrollments, say)
/// as analyzed and empty, so that the planner sizes them by their pages, and a connection whose
/// generic plan was made while such a table held a page or two keeps scanning all of it for
/// the rest of the run (docs/BENCHMARKS.md, 2026-11-30, a fourth session). In production a
/// table is either never analyzed (and planned as if it had ten pages) or analyzed by
/// autovacuum after its first 50 changes. SQLite keeps no statistics for an empty table.
fn analyze_seeded(conn: &mut db::DbConnection) -> Result<(), String> {
    let analyze = match conn {
        db::DbConnection::Sqlite(_) => "ANALYZE",
        db::DbConnection::Postgres(_) => {
            "DO $$ DECLARE t record; has_rows boolean; BEGIN
                FOR t IN SELECT c.oid::regclass AS name FROM pg_class c
                         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' LOOP
                    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', t.name) INTO has_rows;
                    IF has_rows THEN EXECUTE format('ANALYZE %s', t.name); END IF;
                END LOOP;
            END $$"
        }
    };
    conn.batch_execute(analyze).map_err(|e| e.to_string())
}

/// The serialized worst case of a popular activity opening: an administrator enrolls distinct
/// learners into one activity with 100 seats (the rest go to the waitlist), every request
/// taking that activity's lock.
pub async fn enroll_into_one_activity(
    base: &str,
    url: &str,
    clients: u64,
    seconds: u64,
) -> Result<Figures, String> {
    let mut conn = db::establish(url).map_err(|e| e.to_string())?;
    let token = admin_token(&mut conn, base).await?;
    let activity_id: String = activities::table
        .filter(activities::status.eq("published"))
        .order(activities::sort_at.desc())
        .select(activities::id)
        .first(&mut conn)
        .map_err(|e| e.to_string())?;
    diesel::update(activities::table.find(&activity_id))
        .set(activities::capacity.eq(Some(100)))
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    let learners = bench_learners(&mut conn, seconds * 3000)?;
    let target = format!("{base}/v1/activities/{activity_id}/enrollments");
    let requests =
        learners.into_iter().map(|learner| (target.clone(), serde_json::json!({"user_id": learner})));
    post_all(requests.collect(), &token, clients, seconds).await
}
