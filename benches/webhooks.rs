//! Webhook delivery benchmark: N messages written to the outbox at once (through the same
//! `webhooks::service::publish` the API calls), then the time until a local receiver has them
//! all, from the real application's worker: to one endpoint (strictly in order, one at a time)
//! and spread over 20 endpoints (delivered concurrently). SQLite, and PostgreSQL with
//! CE_BENCH_POSTGRES_URL.
//!
//! cargo bench --bench webhooks
//! CE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench webhooks
//!
//! Environment: CE_BENCH_MESSAGES (2000).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use actix_web::{web, App, HttpResponse, HttpServer};
use ce_api::{db, webhooks::EventType};
use support::{admin_token, env_number, start_with};

fn receiver() -> (Arc<AtomicUsize>, String) {
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let server = HttpServer::new(move || {
        let counter = counter.clone();
        App::new().default_service(web::to(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async { HttpResponse::NoContent().finish() }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .expect("bind");
    let url = format!("http://{}/hooks", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    (received, url)
}

async fn endpoints(base: &str, admin: &str, url: &str, count: usize) {
    let client = awc::Client::default();
    for _ in 0..count {
        let response = client
            .post(format!("{base}/v1/webhook-endpoints"))
            .insert_header(("authorization", format!("Bearer {admin}")))
            .send_json(&serde_json::json!({"url": url, "event_types": ["credit.awarded"]}))
            .await
            .expect("endpoint");
        assert_eq!(response.status().as_u16(), 201);
    }
}

async fn bench(label: &str, url: &str, messages: usize) -> Result<(), String> {
    for spread in [1usize, 20] {
        let (base, handle) = start_with(url, 16, |settings| {
            settings.webhooks.allow_private = true;
            settings.webhooks.poll_interval = Duration::from_millis(10);
        })?;
        let mut conn = db::establish(url).map_err(|e| e.to_string())?;
        let admin = admin_token(&mut conn, &base).await?;
        let (received, hook_url) = receiver();
        endpoints(&base, &admin, &hook_url, spread).await;
        let per_endpoint = messages / spread;
        let started = Instant::now();
        db::write_transaction(&mut conn, |conn| -> ce_api::error::ApiResult<()> {
            for n in 0..per_endpoint {
                ce_api::webhooks::service::publish(conn, EventType::CreditAwarded, |_| {
                    Ok(serde_json::json!({"bench": n, "padding": "x".repeat(1500)}))
                })?;
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        let written = started.elapsed();
        let expected = per_endpoint * spread;
        while received.load(Ordering::Relaxed) < expected {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "| {label} | {spread} | {expected} | {:.0} ms | {:.1} s | {:.0} |",
            written.as_secs_f64() * 1000.0,
            elapsed,
            expected as f64 / elapsed
        );
        handle.stop(true).await;
        // The next round starts from an empty outbox.
        use diesel::connection::SimpleConnection;
        conn.batch_execute(
            "DELETE FROM webhook_deliveries; DELETE FROM webhook_messages; DELETE FROM webhook_endpoints;",
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn main() {
    let messages = env_number("CE_BENCH_MESSAGES", 2000) as usize;
    actix_web::rt::System::new().block_on(async move {
        println!("\n{messages} messages (1.5 KB) written to the outbox in one transaction, delivered to a local receiver\n");
        println!("| database | endpoints | messages | outbox write | all delivered | deliveries/s |");
        println!("|---|---|---|---|---|---|");
        let sqlite = std::env::temp_dir().join(format!("ce-bench-webhooks-{}.db", uuid::Uuid::now_v7().simple()));
        let sqlite = sqlite.to_string_lossy().to_string();
        if let Err(error) = bench("SQLite", &sqlite, messages).await {
            eprintln!("SQLite benchmark failed: {error}");
        }
        match std::env::var("CE_BENCH_POSTGRES_URL") {
            Ok(admin) => {
                let url = support::postgres_database(&admin, &format!("ce_bench_hooks_{}", uuid::Uuid::now_v7().simple()));
                if let Err(error) = bench("PostgreSQL", &url, messages).await {
                    eprintln!("PostgreSQL benchmark failed: {error}");
                }
            }
            Err(_) => eprintln!("PostgreSQL skipped: set CE_BENCH_POSTGRES_URL"),
        }
    });
    std::process::exit(0);
}
