//! ce-api beside the floor app (`../shared/bench/floor`: the same stack, trivial handlers), in
//! one run, each figure printed as ce-api / floor: a ratio survives a noisy shared machine
//! where an absolute rate does not.
//!
//! cargo bench --bench floor                         # SQLite, plus PostgreSQL when
//! CE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench floor
//!
//! The floor app is built once (`cargo build --release` in CE_FLOOR_DIR, default
//! `../shared/bench/floor`, into `target/floor`), or taken from CE_FLOOR_BIN. Both apps hold
//! 1,000 published activities (ce-api's made from the spec's own create example); the load
//! comes from this process (CE_BENCH_CLIENTS connections, default 64; CE_BENCH_SECONDS per
//! scenario, default 10), one app at a time. CE_BENCH_ONLY=enroll,postgres (say) runs only the
//! scenarios and databases it names (see `wanted`). CE_BENCH_ROUNDS=4 (say) splits each compared
//! scenario into that many alternating turns of each app (see `alternating`), so that a machine
//! whose speed drifts during the run moves both figures alike; the row then also gives the
//! range of the turns' ratios. CE_BENCH_KEEP=1 keeps the run's databases (and prints where they
//! are), to replay its statements with pgbench or read them afterwards.
// A benchmark stops at its first failure: panicking is how it reports one.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

mod support;

use ce_api::db::{self, schema::activities};
use diesel::prelude::*;
use support::{
    admin_token, awarded_claim, bench_learners, enroll_into_one_activity, env_number, measure, measure_with,
    post_all, postgres_database, seed_catalog_as, start_with, Figures,
};

const ACTIVITIES: u64 = 1000;

/// Both apps run with ce-api's default pool, so neither wins by its connection count: on two
/// cores, 32 PostgreSQL backends get through a fifth fewer transactions than 8 to 10.
fn pool_size() -> u32 {
    ce_api::config::Settings::default().db_pool_size
}

/// The floor app's binary: CE_FLOOR_BIN, or built from CE_FLOOR_DIR into `target/floor`.
fn floor_binary() -> PathBuf {
    if let Ok(path) = std::env::var("CE_FLOOR_BIN") {
        return PathBuf::from(path);
    }
    let dir = std::env::var("CE_FLOOR_DIR").unwrap_or_else(|_| "../shared/bench/floor".into());
    let target = std::env::current_dir().expect("cwd").join("target/floor");
    eprintln!("building the floor app in {dir} (once)");
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo");
    assert!(status.success(), "the floor app did not build");
    target.join("release/app")
}

/// The floor app on a free port over `database_url`, seeded with 1,000 activities, answering.
async fn start_floor(binary: &PathBuf, database_url: &str) -> (Child, String) {
    let port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut child = Command::new(binary)
        .env("DATABASE_URL", database_url)
        .env("PORT", port.to_string())
        .env("SEED", ACTIVITIES.to_string())
        .env("POOL_SIZE", pool_size().to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the floor app starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = awc::Client::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return (child, base);
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().ok();
    child.wait().ok();
    panic!("the floor app did not answer within a minute");
}

/// The size of `url`'s body as sent with `headers`.
async fn body_size(url: &str, headers: &[(String, String)]) -> usize {
    let mut request = awc::Client::default().get(url);
    for (name, value) in headers {
        request = request.insert_header((name.as_str(), value.as_str()));
    }
    request.send().await.expect("page").body().limit(64 << 20).await.expect("body").len()
}

fn ratio(ce: &Figures, floor: &Figures) -> f64 {
    ce.per_second / floor.per_second.max(f64::MIN_POSITIVE)
}

/// One row of the table: ce-api's and the floor's figures and their ratio (with the range of
/// the turns' ratios when the scenario ran in several).
fn row(label: &str, scenario: &str, compared: &Compared) {
    let Compared { ce, floor, turns } = compared;
    let spread = if turns.len() > 1 {
        let low = turns.iter().copied().fold(f64::INFINITY, f64::min);
        let high = turns.iter().copied().fold(0.0, f64::max);
        format!(" ({low:.2}-{high:.2} in {} turns)", turns.len())
    } else {
        String::new()
    };
    println!(
        "| {label} | {scenario} | {:.0} | {:.0} | **{:.2}**{spread} | {:.1} | {:.1} |",
        ce.per_second,
        floor.per_second,
        ratio(ce, floor),
        ce.p99_ms,
        floor.p99_ms
    );
}

/// Both apps' figures for one scenario, and each turn's ratio.
struct Compared {
    ce: Figures,
    floor: Figures,
    turns: Vec<f64>,
}

/// Turns' figures as one: all their requests over all their time, the mean of their medians
/// and the worst of their 99th percentiles (never better than a turn showed).
fn combined(turns: &[Figures]) -> Figures {
    let requests: usize = turns.iter().map(|f| f.requests).sum();
    let seconds: f64 = turns.iter().map(|f| f.requests as f64 / f.per_second.max(f64::MIN_POSITIVE)).sum();
    Figures {
        requests,
        per_second: requests as f64 / seconds.max(f64::MIN_POSITIVE),
        p50_ms: turns.iter().map(|f| f.p50_ms).sum::<f64>() / turns.len().max(1) as f64,
        p99_ms: turns.iter().map(|f| f.p99_ms).fold(0.0, f64::max),
    }
}

/// Measures ce-api and the floor in `rounds` alternating turns of `seconds / rounds` each
/// (ce-api first), rather than one block each: a shared machine's speed drifts over a run, and
/// alternating spreads the drift over both.
async fn alternating<C, CF, F, FF>(rounds: u64, seconds: u64, mut ce: C, mut floor: F) -> Compared
where
    C: FnMut(u64) -> CF,
    CF: std::future::Future<Output = Figures>,
    F: FnMut(u64) -> FF,
    FF: std::future::Future<Output = Figures>,
{
    let turn = (seconds / rounds.max(1)).max(1);
    let (mut ce_turns, mut floor_turns, mut turns) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        let (mine, theirs) = (ce(turn).await, floor(turn).await);
        turns.push(ratio(&mine, &theirs));
        ce_turns.push(mine);
        floor_turns.push(theirs);
    }
    Compared { ce: combined(&ce_turns), floor: combined(&floor_turns), turns }
}

/// A fresh database for each app: a SQLite file, or a PostgreSQL database on the server.
fn databases(label: &str) -> Option<(String, String)> {
    let stamp = uuid::Uuid::now_v7().simple().to_string();
    match label {
        "SQLite" => {
            let dir = std::env::temp_dir();
            let ce = dir.join(format!("ce-floor-bench-{stamp}.db"));
            let floor = dir.join(format!("floor-bench-{stamp}.db"));
            Some((ce.display().to_string(), floor.display().to_string()))
        }
        _ => {
            let admin = std::env::var("CE_BENCH_POSTGRES_URL").ok()?;
            Some((
                postgres_database(&admin, &format!("ce_floor_{stamp}")),
                postgres_database(&admin, &format!("floor_{stamp}")),
            ))
        }
    }
}

/// Removes the run's databases (each run makes new ones, about 40 MB a SQLite pair): the files
/// with their WAL, or the PostgreSQL databases, connections still open or not.
fn remove_databases(urls: &[&str]) {
    use diesel::{connection::SimpleConnection, Connection};
    for url in urls {
        match url.rsplit_once('/').filter(|_| url.starts_with("postgres")) {
            Some((server, name)) => {
                let admin =
                    std::env::var("CE_BENCH_POSTGRES_URL").unwrap_or_else(|_| format!("{server}/postgres"));
                if let Ok(mut conn) = diesel::PgConnection::establish(&admin) {
                    let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
            None => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{url}{suffix}"));
                }
            }
        }
    }
}

async fn bench(label: &str, binary: &PathBuf, clients: u64, seconds: u64) {
    let database = if label == "SQLite" { "sqlite" } else { "postgres" };
    if !wanted(database) {
        return;
    }
    let Some((ce_url, floor_url)) = databases(label) else { return };
    seed_catalog_as(&ce_url, ACTIVITIES, false).expect("seed ce-api");
    let (ce, handle) = start_with(&ce_url, clients, |s| s.db_pool_size = pool_size()).expect("ce-api starts");
    let (mut floor_process, floor) = start_floor(binary, &floor_url).await;
    let warm = |url: String| async move { measure(url, None, clients, 1).await };
    warm(format!("{ce}/v1/activities?limit=50")).await;
    warm(format!("{floor}/v1/activities?limit=50")).await;

    let rounds = env_number("CE_BENCH_ROUNDS", 1);
    let get = |url: String, clients: u64| move |secs: u64| measure(url.clone(), None, clients, secs);
    let compare = |ce_url: String, floor_url: String, clients: u64| {
        alternating(rounds, seconds, get(ce_url, clients), get(floor_url, clients))
    };
    let (floor_health, floor_list) = (format!("{floor}/healthz"), format!("{floor}/v1/activities?limit=50"));
    if wanted("health") {
        row(label, "`/healthz`", &compare(format!("{ce}/healthz"), floor_health.clone(), clients).await);
    }
    if wanted("summary") {
        let summary = compare(format!("{ce}/v1/activities?limit=50"), floor_list.clone(), clients).await;
        row(label, "catalog summary page of 50 vs 50-row list", &summary);
    }
    if wanted("full") {
        let full =
            compare(format!("{ce}/v1/activities?limit=50&view=full"), floor_list.clone(), clients).await;
        row(label, "catalog full page of 50 vs 50-row list", &full);
    }
    if wanted("p99") {
        let summary_16 = compare(format!("{ce}/v1/activities?limit=50"), floor_list.clone(), 16).await;
        row(label, "summary page of 50, 16 connections", &summary_16);
    }
    if wanted("revalidate") {
        // The floor's `/healthz` is sent the same `If-None-Match` (which it ignores): the load
        // comes from one thread of this process, and a header it builds for one app only would
        // be counted against that app.
        let page = format!("{ce}/v1/activities?limit=50");
        let revalidation = vec![("if-none-match".to_string(), page_tag(&page).await)];
        let revalidated = alternating(
            rounds,
            seconds,
            |secs| measure_with(page.clone(), revalidation.clone(), clients, secs),
            |secs| measure_with(floor_health.clone(), revalidation.clone(), clients, secs),
        )
        .await;
        row(label, "catalog page revalidated (304) vs `/healthz`", &revalidated);
    }
    if wanted("gzip") {
        gzipped_summary(label, &ce_url, get(floor_list, clients), clients, rounds, seconds).await;
    }
    let body =
        serde_json::json!({"title": "load", "starts_at": "2026-12-01T10:00:00", "credit_quarter_hours": 4});
    let insert = |clients: u64| {
        let (floor, body) = (floor.clone(), body.clone());
        move |secs: u64| {
            let inserts = vec![(format!("{floor}/v1/activities"), body.clone()); (secs * 20_000) as usize];
            async move { post_all(inserts, "", clients, secs).await.expect("floor inserts") }
        }
    };
    if wanted("enroll") {
        let enroll = |secs: u64| enroll_into_distinct_activities(&ce, &ce_url, clients, secs);
        let compared = alternating(rounds, seconds, enroll, insert(clients)).await;
        row(label, "enrollment (distinct activities) vs one-row insert", &compared);
    }
    if wanted("hot") {
        // Every enrollment waits for the one activity's lock; the floor's inserts (16 clients too)
        // say how fast this machine writes at all while it runs, as an absolute rate cannot.
        let (ce, ce_url) = (&ce, &ce_url);
        let hot = |secs: u64| async move {
            enroll_into_one_activity(ce, ce_url, 16, secs).await.expect("enrollments")
        };
        let compared = alternating(rounds, seconds, hot, insert(16)).await;
        let scenario = format!(
            "one hot activity: enrollment, 16 clients, 100 seats then waitlist (p50 {:.1} ms) vs one-row insert, 16 clients",
            compared.ce.p50_ms
        );
        row(label, &scenario, &compared);
    }
    if wanted("transcript") {
        let transcript = transcript_of_a_thousand_credits(&ce, &ce_url, seconds).await;
        println!(
            "| {label} | transcript of 1,000 credits (1 client; p50 {:.1} ms) | {:.0} | - | - | {:.1} | - |",
            transcript.p50_ms, transcript.per_second, transcript.p99_ms
        );
    }

    handle.stop(true).await;
    floor_process.kill().ok();
    floor_process.wait().ok();
    if std::env::var_os("CE_BENCH_KEEP").is_some() {
        eprintln!("kept for inspection (CE_BENCH_KEEP): {ce_url} {floor_url}");
    } else {
        remove_databases(&[&ce_url, &floor_url]);
    }
}

/// The `ETag` `url` is answered with, checked to get 304 when sent back (the load that follows
/// takes any 2xx too).
async fn page_tag(url: &str) -> String {
    let client = awc::Client::default();
    let response = client.get(url).send().await.expect("page");
    let tag = response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
    let tag = tag.expect("an ETag");
    let again = client.get(url).insert_header(("if-none-match", tag.as_str())).send().await.expect("page");
    assert_eq!(again.status().as_u16(), 304, "a revalidation with the page's own tag");
    tag
}

/// The same summary page gzipped (CE_COMPRESS_RESPONSES), from a second instance.
async fn gzipped_summary<F, FF>(
    label: &str,
    ce_url: &str,
    floor_list: F,
    clients: u64,
    rounds: u64,
    seconds: u64,
) where
    F: FnMut(u64) -> FF,
    FF: std::future::Future<Output = Figures>,
{
    let (zipping, zipping_handle) = start_with(ce_url, clients, |s| {
        s.compress_responses = true;
        s.db_pool_size = pool_size();
    })
    .expect("ce-api starts");
    let page = format!("{zipping}/v1/activities?limit=50");
    let gzip = vec![("accept-encoding".to_string(), "gzip".to_string())];
    let sizes = (body_size(&page, &[]).await, body_size(&page, &gzip).await);
    let zipped = |secs: u64| measure_with(page.clone(), gzip.clone(), clients, secs);
    let compared = alternating(rounds, seconds, zipped, floor_list).await;
    let scenario = format!("summary page of 50, gzip ({} of {} bytes) vs 50-row list", sizes.1, sizes.0);
    row(label, &scenario, &compared);
    zipping_handle.stop(true).await;
}

/// Whether a scenario runs: CE_BENCH_ONLY narrows the run to the scenarios it names
/// (comma-separated: health, summary, full, p99, revalidate, gzip, enroll, hot, transcript) and, if
/// it names `sqlite` or `postgres`, to those databases. Unset, everything runs.
fn wanted(name: &str) -> bool {
    let Ok(only) = std::env::var("CE_BENCH_ONLY") else { return true };
    let names: Vec<&str> = only.split(',').map(str::trim).collect();
    let databases = ["sqlite", "postgres"];
    if databases.contains(&name) {
        return !names.iter().any(|n| databases.contains(n)) || names.contains(&name);
    }
    names.iter().all(|n| databases.contains(n)) || names.contains(&name)
}

/// An administrator enrolls distinct learners, each into the next of the catalog's activities
/// (so the requests rarely wait on one activity's lock).
async fn enroll_into_distinct_activities(base: &str, url: &str, clients: u64, seconds: u64) -> Figures {
    let mut conn = db::establish(url).expect("connect");
    let token = admin_token(&mut conn, base).await.expect("admin token");
    let ids: Vec<String> = activities::table
        .filter(activities::status.eq("published"))
        .select(activities::id)
        .load(&mut conn)
        .expect("activities");
    let learners = bench_learners(&mut conn, seconds * 3000).expect("learners");
    let requests = learners.into_iter().enumerate().map(|(n, learner)| {
        let target = format!("{base}/v1/activities/{}/enrollments", ids[n % ids.len()]);
        (target, serde_json::json!({"user_id": learner}))
    });
    post_all(requests.collect(), &token, clients, seconds).await.expect("enrollments")
}

/// A physician with an awarded AMA PRA Category 1 credit from each of the 1,000 activities
/// (written as the award path writes them, reporting items included); then their transcript
/// read by an administrator, one request at a time.
async fn transcript_of_a_thousand_credits(base: &str, url: &str, seconds: u64) -> Figures {
    use ce_api::{
        activities::ActivityRow,
        credit_claims::fixtures as claims,
        db::schema::enrollments,
        enrollments::{dto::EnrollmentStatus, EnrollmentRow},
    };
    let mut conn = db::establish(url).expect("connect");
    let token = admin_token(&mut conn, base).await.expect("admin token");
    let learner = bench_learners(&mut conn, 1).expect("learner").remove(0);
    let held: Vec<ActivityRow> =
        activities::table.select(ActivityRow::as_select()).limit(1000).load(&mut conn).expect("activities");
    db::write_transaction(&mut conn, |conn| {
        let at = db::now();
        for activity in &held {
            let mut enrollment =
                EnrollmentRow::new(&activity.id, &learner, EnrollmentStatus::Completed, "bench");
            enrollment.completed_at = Some(at);
            enrollment.completion_date = Some(at.date());
            diesel::insert_into(enrollments::table).values(&enrollment).execute(conn)?;
            let claim = awarded_claim(activity, &enrollment, "ama_pra_1", 100, at.date());
            claims::insert(conn, &claim)?;
            ce_api::reporting::service::on_award(conn, &claim.to_api("http://bench")?, None)?;
        }
        Ok::<_, ce_api::error::ApiError>(())
    })
    .expect("awards");
    let url = format!("{base}/v1/users/{learner}/transcript");
    let check = awc::Client::default()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("transcript")
        .json::<serde_json::Value>()
        .limit(16 << 20)
        .await
        .expect("json");
    assert_eq!(check["entries"].as_array().map(Vec::len), Some(1000), "the transcript lists every credit");
    measure(url, Some(token), 1, seconds).await
}

#[actix_web::main]
async fn main() {
    let clients = env_number("CE_BENCH_CLIENTS", 64);
    let seconds = env_number("CE_BENCH_SECONDS", 10);
    let binary = floor_binary();
    println!("| database | scenario | ce-api req/s | floor req/s | ce-api / floor | ce-api p99 ms | floor p99 ms |");
    println!("|---|---|---|---|---|---|---|");
    for label in ["SQLite", "PostgreSQL"] {
        bench(label, &binary, clients, seconds).await;
    }
}
