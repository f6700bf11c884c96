//! Login-burst benchmark: one address sends logins as fast as 16 connections allow (each
//! unthrottled login runs argon2) while another address reads the catalog; the catalog's
//! latency is measured quiet, under the burst without request quotas, and under the burst with
//! the default quotas. The real application on a bound port, 1,000 published activities, on
//! SQLite and (with CE_BENCH_POSTGRES_URL) PostgreSQL. Addresses are told apart by
//! `X-Forwarded-For` from 127.0.0.1, a trusted proxy here.
//!
//! cargo bench --bench login_burst
//! CE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench login_burst
//!
//! Environment: CE_BENCH_SECONDS per scenario (5).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use ce_api::rate_limits::RateLimitSettings;
use support::{env_number, measure_with, seed_catalog, start_with, Figures};

const ATTACKER: &str = "203.0.113.66";
const READER: &str = "198.51.100.20";

#[derive(Default)]
struct Burst {
    checked: usize,
    refused: usize,
    /// 503: the request waited longer than `CE_DB_TIMEOUT_MS` for the database.
    unavailable: usize,
}

/// Logins with wrong passwords for random emails from `ATTACKER`, 16 at a time, for `seconds`.
async fn burst(base: String, seconds: u64) -> Burst {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let base = base.clone();
            actix_web::rt::spawn(async move {
                let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
                let mut mine = Burst::default();
                while Instant::now() < deadline {
                    let email = format!("guess-{}@example.org", uuid::Uuid::now_v7().simple());
                    let response = client
                        .post(format!("{base}/v1/auth/login"))
                        .insert_header(("x-forwarded-for", ATTACKER))
                        .send_json(&serde_json::json!({"email": email, "password": "not the password"}))
                        .await
                        .expect("login");
                    match response.status().as_u16() {
                        401 => mine.checked += 1,
                        429 => mine.refused += 1,
                        503 => mine.unavailable += 1,
                        other => panic!("unexpected status {other}"),
                    }
                }
                mine
            })
        })
        .collect();
    let mut total = Burst::default();
    for task in tasks {
        let mine = task.await.expect("burst task");
        total.checked += mine.checked;
        total.refused += mine.refused;
        total.unavailable += mine.unavailable;
    }
    total
}

async fn catalog(base: &str, seconds: u64) -> Figures {
    let headers = vec![("x-forwarded-for".to_string(), READER.to_string())];
    measure_with(format!("{base}/v1/activities?limit=50"), headers, 4, seconds).await
}

fn row(label: &str, scenario: &str, figures: &Figures, burst: Option<&Burst>) {
    let [checked, refused, unavailable] = burst.map_or(["-".to_string(), "-".into(), "-".into()], |b| {
        [b.checked.to_string(), b.refused.to_string(), b.unavailable.to_string()]
    });
    println!(
        "| {label} | {scenario} | {:.0} | {:.1} | {:.1} | {checked} | {refused} | {unavailable} |",
        figures.per_second, figures.p50_ms, figures.p99_ms
    );
}

async fn bench(label: &str, url: &str, seconds: u64) -> Result<(), String> {
    seed_catalog(url, 1000)?;
    for quotas in [false, true] {
        let (base, handle) = start_with(url, 16, |settings| {
            settings.trusted_proxies = vec!["127.0.0.1/32".parse().expect("network")];
            if !quotas {
                settings.rate_limits = RateLimitSettings::off();
            }
        })?;
        if !quotas {
            row(label, "catalog, quiet", &catalog(&base, seconds).await, None);
        }
        let (attack, reads) =
            futures_util::future::join(burst(base.clone(), seconds), catalog(&base, seconds)).await;
        let scenario =
            if quotas { "catalog during burst, default quotas" } else { "catalog during burst, no quotas" };
        row(label, scenario, &reads, Some(&attack));
        handle.stop(true).await;
    }
    Ok(())
}

fn main() {
    let seconds = env_number("CE_BENCH_SECONDS", 5);
    actix_web::rt::System::new().block_on(async move {
        println!("\nlogin burst (16 connections, one address) beside catalog reads (4 clients, another address), {seconds} s each\n");
        println!(
            "| database | scenario | catalog req/s | p50 ms | p99 ms | logins checked | refused (429) | 503 |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        let sqlite = std::env::temp_dir().join(format!("ce-bench-login-{}.db", uuid::Uuid::now_v7().simple()));
        if let Err(error) = bench("SQLite", &sqlite.to_string_lossy(), seconds).await {
            eprintln!("SQLite benchmark failed: {error}");
        }
        match std::env::var("CE_BENCH_POSTGRES_URL") {
            Ok(admin) => {
                let url = support::postgres_database(&admin, &format!("ce_bench_login_{}", uuid::Uuid::now_v7().simple()));
                if let Err(error) = bench("PostgreSQL", &url, seconds).await {
                    eprintln!("PostgreSQL benchmark failed: {error}");
                }
            }
            Err(_) => eprintln!("PostgreSQL skipped: set CE_BENCH_POSTGRES_URL"),
        }
    });
    std::process::exit(0);
}
