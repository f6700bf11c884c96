//! Reporting benchmark: seeds N pharmacists' ACPE awards (default 10,000) through the same
//! code the API runs when it awards credit (`reporting::service::on_award` writes each item),
//! then builds a CPE Monitor batch of all of them through `POST /v1/reporting/batches` on the
//! real application: every item checked, the file rendered and stored, the items moved. Between
//! runs the items are put back to `due`, so each run builds the same batch.
//!
//! cargo bench --bench reporting                       # SQLite, plus PostgreSQL when
//! CE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench reporting
//!
//! Environment: CE_BENCH_AWARDS (10000), CE_BENCH_RUNS (5).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::time::Instant;

use ce_api::{
    activities::{dto::ActivityInput, examples},
    credit_claims::fixtures as claims,
    db::{
        self,
        schema::{
            activities, enrollments, reporting_batch_items, reporting_batches, reporting_items,
            users as users_table,
        },
    },
    enrollments::{dto::EnrollmentStatus, EnrollmentRow},
    users::{dto::Profession, fixtures as users, NewUser},
};
use diesel::prelude::*;
use support::{admin_token, env_number, start};

fn designations() -> serde_json::Value {
    serde_json::json!([{"credit_type": "acpe", "max_amount": 2.0, "acpe_uan": "0197-0000-26-001-H01-P"}])
}

fn seed(url: &str, awards: u64) -> Result<(), String> {
    ce_api::startup::migrate(url).map_err(|e| e.to_string())?;
    let mut conn = db::establish(url).map_err(|e| e.to_string())?;
    let seeded: i64 = reporting_items::table.count().get_result(&mut conn).map_err(|e| e.to_string())?;
    if seeded >= awards as i64 {
        println!("reusing {seeded} items");
        return Ok(());
    }
    let started = Instant::now();
    let mut template: ActivityInput =
        serde_json::from_value(examples::create_activity(chrono::Utc::now().date_naive())).unwrap();
    template.title = "Reporting bench".into();
    template.credit_designations = serde_json::from_value(designations()).unwrap();
    let planner = support::insert_planner(&mut conn, "reporting")?;
    let activity =
        ce_api::activities::fixtures::insert(&mut conn, &template, &planner.id).map_err(|e| e.to_string())?;
    diesel::update(activities::table.find(&activity.id))
        .set(activities::status.eq("published"))
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    let today = chrono::Utc::now().date_naive();
    for chunk in 0..awards.div_ceil(1000) {
        db::write_transaction(&mut conn, |conn| {
            for n in chunk * 1000..((chunk + 1) * 1000).min(awards) {
                let user = users::insert(
                    conn,
                    NewUser {
                        email: format!("pharmacist-{n}-{}@example.org", uuid::Uuid::now_v7().simple()),
                        password_hash: None,
                        role: ce_api::auth::Role::Learner,
                        first_name: "Pat".into(),
                        last_name: format!("Pharmacist {n}"),
                        profession: Some(Profession::Pharmacist),
                        external_id: None,
                        email_verified: true,
                    },
                )?;
                diesel::update(users_table::table.find(&user.id))
                    .set((
                        users_table::nabp_eprofile_id.eq(format!("{}", 1_000_000 + n)),
                        users_table::birth_mmdd.eq("0704"),
                    ))
                    .execute(conn)?;
                let enrollment =
                    EnrollmentRow::new(&activity.id, &user.id, EnrollmentStatus::Completed, "bench");
                diesel::insert_into(enrollments::table).values(&enrollment).execute(conn)?;
                let claim = support::awarded_claim(&activity, &enrollment, "acpe", 200, today);
                claims::insert(conn, &claim)?;
                ce_api::reporting::service::on_award(conn, &claim.to_api("http://bench")?, None)?;
            }
            Ok::<_, ce_api::error::ApiError>(())
        })
        .map_err(|e| e.to_string())?;
    }
    println!("seeded {awards} awards in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Every item due again, and no batches: the next run builds the same batch.
fn reset(conn: &mut db::DbConnection) -> Result<(), String> {
    diesel::delete(reporting_batch_items::table).execute(conn).map_err(|e| e.to_string())?;
    diesel::delete(reporting_batches::table).execute(conn).map_err(|e| e.to_string())?;
    diesel::update(reporting_items::table)
        .set((reporting_items::status.eq("due"), reporting_items::batch_id.eq(None::<String>)))
        .execute(conn)
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn bench(label: &str, url: &str, awards: u64, runs: u64) -> Result<(), String> {
    seed(url, awards)?;
    let (base, handle) = start(url, 2)?;
    let mut conn = db::establish(url).map_err(|e| e.to_string())?;
    let token = admin_token(&mut conn, &base).await?;
    let client = awc::Client::builder().timeout(std::time::Duration::from_secs(600)).finish();
    // The provider's ACPE number: without it every item is held back.
    let profile = serde_json::json!({
        "legal_name": "Bench CE", "address": "1 Bench Way",
        "accreditations": [{"accreditor": "acpe", "provider_number": "0197"}]
    });
    let saved = client
        .put(format!("{base}/v1/provider"))
        .bearer_auth(&token)
        .send_json(&profile)
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(saved.status().as_u16(), 200);
    let mut timings = Vec::new();
    for _ in 0..runs {
        reset(&mut conn)?;
        let started = Instant::now();
        let mut response = client
            .post(format!("{base}/v1/reporting/batches"))
            .bearer_auth(&token)
            .send_json(&serde_json::json!({"destination": "cpe_monitor"}))
            .await
            .map_err(|e| e.to_string())?;
        let body: serde_json::Value = response.json().limit(64 << 20).await.map_err(|e| e.to_string())?;
        timings.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(response.status().as_u16(), 201, "{body}");
        assert_eq!(body["item_count"].as_u64(), Some(awards), "{body}");
    }
    timings.sort_by(f64::total_cmp);
    println!(
        "| {label} | CPE Monitor batch of {awards} awards | {runs} | {:.0} | {:.0} | {:.0} |",
        timings[0],
        timings[timings.len() / 2],
        timings[timings.len() - 1]
    );
    handle.stop(true).await;
    Ok(())
}

fn main() {
    let awards = env_number("CE_BENCH_AWARDS", 10_000);
    let runs = env_number("CE_BENCH_RUNS", 5);
    actix_web::rt::System::new().block_on(async move {
        println!("| database | scenario | runs | min ms | median ms | max ms |\n|---|---|---|---|---|---|");
        let sqlite = std::env::temp_dir().join(format!("ce-bench-reporting-{awards}.db"));
        if let Err(error) = bench("SQLite", &sqlite.to_string_lossy(), awards, runs).await {
            eprintln!("SQLite benchmark failed: {error}");
        }
        match std::env::var("CE_BENCH_POSTGRES_URL") {
            Ok(admin) => {
                let name = format!("ce_bench_reporting_{awards}");
                let url = support::postgres_database(&admin, &name);
                if let Err(error) = bench("PostgreSQL", &url, awards, runs).await {
                    eprintln!("PostgreSQL benchmark failed: {error}");
                }
            }
            Err(_) => eprintln!("PostgreSQL skipped: set CE_BENCH_POSTGRES_URL"),
        }
    });
    std::process::exit(0);
}
