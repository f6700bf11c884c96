//! Catalog benchmark: seeds 100,000 activities through the same store code the API uses, then
//! measures `GET /v1/activities` (first page, and a deep page reached by cursor) with
//! concurrent clients against the real application on a bound port; then enrollment into one
//! hot activity, credit claims (each appending to the credit feed) and reading the feed.
//!
//! cargo bench --bench catalog                       # SQLite, plus PostgreSQL when
//! CE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench catalog
//!
//! Environment: CE_BENCH_ACTIVITIES (default 100000), CE_BENCH_SECONDS per scenario (10),
//! CE_BENCH_CLIENTS concurrent clients (16).
// A benchmark stops at its first failure: panicking is how it reports one.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

mod support;

use support::{
    admin_token, enroll_into_one_activity, env_number, measure, post_all, seed_catalog as seed, start,
    summarize, Figures,
};

use ce_api::{
    activities::fixtures as store,
    db::{self, schema::activities},
    http::pagination,
    users::{fixtures as users, NewUser},
};
use diesel::prelude::*;

/// The cursor that starts the page at `offset` in catalog order (a "deep page").
fn deep_cursor(url: &str, offset: i64) -> Result<String, String> {
    let mut conn = db::establish(url).map_err(|e| e.to_string())?;
    let (at, id): (chrono::NaiveDateTime, String) = activities::table
        .filter(activities::status.eq("published"))
        .order((activities::sort_at, activities::id))
        .offset(offset)
        .select((activities::sort_at, activities::id))
        .first(&mut conn)
        .map_err(|e| e.to_string())?;
    Ok(pagination::encode_cursor(&store::ActivityCursor { at, id }))
}

async fn bench(label: &str, url: &str, count: u64, clients: u64, seconds: u64) -> Result<(), String> {
    seed(url, count)?;
    let (base, handle) = start(url, clients)?;
    let deep = deep_cursor(url, (count as i64 * 9) / 10)?;
    let scenarios = [
        ("first page (limit 25)", format!("{base}/v1/activities?limit=25")),
        ("deep page at 90% (limit 25)", format!("{base}/v1/activities?limit=25&cursor={deep}")),
        (
            "filtered: specialty + q (limit 25)",
            format!("{base}/v1/activities?limit=25&specialty=cardiology&q=sepsis"),
        ),
    ];
    for (name, url) in scenarios {
        let figures = measure(url, None, clients, seconds).await;
        println!(
            "| {label} | {name} | {} | {:.0} | {:.1} | {:.1} |",
            figures.requests, figures.per_second, figures.p50_ms, figures.p99_ms
        );
    }
    let enrollments = enroll_into_one_activity(&base, url, clients, seconds).await?;
    println!(
        "| {label} | enroll (POST, 100 seats then waitlist) | {} | {:.0} | {:.1} | {:.1} |",
        enrollments.requests, enrollments.per_second, enrollments.p50_ms, enrollments.p99_ms
    );
    let (claims, feed) = measure_claims(&base, url, clients, seconds).await?;
    println!(
        "| {label} | claim credit (POST, awarded at once, one feed event each) | {} | {:.0} | {:.1} | {:.1} |",
        claims.requests, claims.per_second, claims.p50_ms, claims.p99_ms
    );
    println!(
        "| {label} | read the credit feed (1 client, 1,000 events a page; events, events/s, ms a page) | {} | {:.0} | {:.1} | {:.1} |",
        feed.requests, feed.per_second, feed.p50_ms, feed.p99_ms
    );
    handle.stop(true).await;
    Ok(())
}

/// `count` physicians with completed enrollments in `activity_id`, written in one
/// transaction; returns the enrollment ids.
fn completed_enrollments(
    conn: &mut db::DbConnection,
    activity_id: &str,
    count: u64,
) -> Result<Vec<String>, String> {
    use ce_api::{
        db::schema::enrollments,
        enrollments::{dto::EnrollmentStatus, EnrollmentRow},
    };
    db::write_transaction(conn, |conn| {
        let now = db::now();
        (0..count)
            .map(|n| {
                let user = users::insert(
                    conn,
                    NewUser {
                        email: format!("bench-claimant-{n}-{}@example.org", uuid::Uuid::now_v7().simple()),
                        password_hash: None,
                        role: ce_api::auth::Role::Learner,
                        first_name: "C".into(),
                        last_name: format!("{n}"),
                        profession: Some(ce_api::users::dto::Profession::Physician),
                        external_id: Some(format!("EXT-{n}")),
                        email_verified: true,
                    },
                )?;
                let mut row = EnrollmentRow::new(activity_id, &user.id, EnrollmentStatus::Completed, "bench");
                row.minutes_spent = Some(240);
                row.completed_at = Some(now);
                row.completion_date = Some(now.date());
                diesel::insert_into(enrollments::table).values(&row).execute(conn)?;
                Ok(row.id)
            })
            .collect::<Result<Vec<_>, ce_api::error::ApiError>>()
    })
    .map_err(|e| e.to_string())
}

/// Credit claims awarded at once (each appends one feed event: the serialized tail of the
/// transaction), then the whole feed read back by one LMS client, 1,000 events a page.
async fn measure_claims(
    base: &str,
    url: &str,
    clients: u64,
    seconds: u64,
) -> Result<(Figures, Figures), String> {
    let mut conn = db::establish(url).map_err(|e| e.to_string())?;
    let token = admin_token(&mut conn, base).await?;
    let activity_id: String = activities::table
        .filter(activities::status.eq("published"))
        .filter(activities::format.eq("course"))
        .order(activities::sort_at.desc())
        .select(activities::id)
        .first(&mut conn)
        .map_err(|e| e.to_string())?;
    let enrollments = completed_enrollments(&mut conn, &activity_id, seconds * 2000)?;
    let target = format!("{base}/v1/credit-claims");
    let requests = enrollments.into_iter().map(|id| {
        let body = serde_json::json!({"enrollment_id": id, "credit_type": "ama_pra_1", "amount": 1.0, "attestation": true});
        (target.clone(), body)
    });
    let claims = post_all(requests.collect(), &token, clients, seconds).await?;
    // Read the feed back from the start: requests are pages, the rate is events per second.
    let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
    let mut after = String::new();
    let (mut pages, mut events) = (Vec::new(), 0usize);
    let reading = Instant::now();
    loop {
        let sent = Instant::now();
        let mut response = client
            .get(format!("{base}/v1/credit-events?limit=1000&after={after}"))
            .insert_header(("authorization", format!("Bearer {token}")))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let page: serde_json::Value = response.json().limit(64 << 20).await.map_err(|e| e.to_string())?;
        pages.push(sent.elapsed().as_secs_f64() * 1000.0);
        events += page["data"].as_array().map_or(0, Vec::len);
        after = page["next_cursor"].as_str().unwrap_or_default().to_string();
        if page["has_more"] != true {
            break;
        }
    }
    let mut feed = summarize(pages, reading.elapsed().as_secs_f64());
    feed.per_second = events as f64 / reading.elapsed().as_secs_f64();
    feed.requests = events;
    Ok((claims, feed))
}

fn main() {
    let count = env_number("CE_BENCH_ACTIVITIES", 100_000);
    let clients = env_number("CE_BENCH_CLIENTS", 16);
    let seconds = env_number("CE_BENCH_SECONDS", 10);
    actix_web::rt::System::new().block_on(async move {
        println!("\n{count} activities, {clients} concurrent clients, {seconds} s per scenario\n");
        println!("| database | scenario | requests | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|");
        let sqlite = std::env::temp_dir().join(format!("ce-bench-{count}.db"));
        if let Err(error) = bench("SQLite", &sqlite.to_string_lossy(), count, clients, seconds).await {
            eprintln!("SQLite benchmark failed: {error}");
        }
        match std::env::var("CE_BENCH_POSTGRES_URL") {
            Ok(admin) => {
                let name = format!("ce_bench_{count}");
                let url = support::postgres_database(&admin, &name);
                if let Err(error) = bench("PostgreSQL", &url, count, clients, seconds).await {
                    eprintln!("PostgreSQL benchmark failed: {error}");
                }
            }
            Err(_) => eprintln!("PostgreSQL skipped: set CE_BENCH_POSTGRES_URL"),
        }
    });
    // Leave at once: the stopped servers' pool threads may still be closing libpq
    // connections, and process teardown racing them has aborted the run after the figures.
    std::process::exit(0);
}
