//! Batch enrollment benchmark: `POST /v1/enrollments/batch` with 500 rows (learners by id)
//! into one published activity, on the real application, five runs each into a fresh
//! activity; SQLite, and PostgreSQL with CE_BENCH_POSTGRES_URL.
//!
//! cargo bench --bench batch
//! CE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench batch
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::time::Instant;

use ce_api::db::{self, schema::activities};
use diesel::prelude::*;
use support::{admin_token, bench_learners, seed_catalog, start};

const ROWS: usize = 500;
const RUNS: usize = 5;

fn learners(url: &str) -> Result<Vec<String>, String> {
    let mut conn = db::establish(url).map_err(|e| e.to_string())?;
    bench_learners(&mut conn, ROWS as u64)
}

async fn bench(label: &str, url: &str) -> Result<(), String> {
    seed_catalog(url, RUNS as u64)?;
    let (base, handle) = start(url, 16)?;
    let mut conn = db::establish(url).map_err(|e| e.to_string())?;
    let admin = admin_token(&mut conn, &base).await?;
    let activity_ids: Vec<String> = activities::table
        .filter(activities::status.eq("published"))
        .select(activities::id)
        .limit(RUNS as i64)
        .load(&mut conn)
        .map_err(|e| e.to_string())?;
    let client = awc::Client::builder().timeout(std::time::Duration::from_secs(120)).finish();
    let mut times = Vec::new();
    for activity in &activity_ids {
        let ids = learners(url)?;
        let rows: Vec<serde_json::Value> =
            ids.iter().map(|id| serde_json::json!({"activity_id": activity, "user_id": id})).collect();
        let started = Instant::now();
        let mut response = client
            .post(format!("{base}/v1/enrollments/batch"))
            .insert_header(("authorization", format!("Bearer {admin}")))
            .send_json(&serde_json::json!({"rows": rows}))
            .await
            .map_err(|e| e.to_string())?;
        let answer: serde_json::Value = response.json().limit(64 << 20).await.map_err(|e| e.to_string())?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(answer["succeeded"], ROWS, "{answer}");
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "| {label} | {ROWS} rows | {RUNS} | {:.0} | {median:.0} | {:.0} | {:.0} |",
        times[0],
        times[times.len() - 1],
        ROWS as f64 / (median / 1000.0)
    );
    handle.stop(true).await;
    Ok(())
}

fn main() {
    actix_web::rt::System::new().block_on(async move {
        println!("\n| database | batch | runs | min ms | median ms | max ms | rows/s (median) |\n|---|---|---|---|---|---|---|");
        let sqlite = std::env::temp_dir().join(format!("ce-bench-batch-{}.db", uuid::Uuid::now_v7().simple()));
        if let Err(error) = bench("SQLite", &sqlite.to_string_lossy()).await {
            eprintln!("SQLite benchmark failed: {error}");
        }
        match std::env::var("CE_BENCH_POSTGRES_URL") {
            Ok(admin) => {
                let url = support::postgres_database(&admin, &format!("ce_bench_batch_{}", uuid::Uuid::now_v7().simple()));
                if let Err(error) = bench("PostgreSQL", &url).await {
                    eprintln!("PostgreSQL benchmark failed: {error}");
                }
            }
            Err(_) => eprintln!("PostgreSQL skipped: set CE_BENCH_POSTGRES_URL"),
        }
    });
    std::process::exit(0);
}
