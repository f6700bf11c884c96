//! Outcome report benchmark: seeds 100,000 test responses (25 activities × 2,000 learners ×
//! a pre-test and a post-test of 5 items each) through the API's own survey store code, then
//! measures `GET /v1/activities/{id}/outcomes` (4,000 responses) and `GET /v1/reports/outcomes`
//! (all 100,000) against the real application on a bound port.
//!
//! cargo bench --bench outcomes                       # SQLite, plus PostgreSQL when
//! CE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench outcomes
//!
//! Environment: CE_BENCH_LEARNERS per activity (2000), CE_BENCH_SECONDS per scenario (10),
//! CE_BENCH_CLIENTS concurrent clients (4), CE_BENCH_COPIES (1; PostgreSQL only): seed
//! CE_BENCH_LEARNERS / CE_BENCH_COPIES learners through the store code and copy them in SQL
//! (see `copy_learners`).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::time::Instant;

use ce_api::{
    activities::{dto::ActivityInput, examples},
    db::{self, schema::activities},
    enrollments::{dto::EnrollmentStatus, EnrollmentRow},
    surveys::{
        dto::{SurveyInput, SurveyKind},
        fixtures::{self as surveys, ResponseRow},
        rules::CheckedAnswer,
    },
    users::{dto::Profession, fixtures as users, NewUser},
};
use diesel::prelude::*;
use support::{admin_token, env_number, measure, start};

const ACTIVITIES: u64 = 25;
const ITEMS: usize = 5;

fn test_survey(kind: SurveyKind) -> SurveyInput {
    let questions: Vec<serde_json::Value> = (0..ITEMS)
        .map(|i| {
            serde_json::json!({
                "id": format!("q{i}"), "type": "single_choice", "text": format!("Item {i}"),
                "moore_level": if i % 2 == 0 { "3a" } else { "3b" },
                "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
                "correct_option_ids": ["a"]
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({"kind": kind, "title": "Bench test", "questions": questions}))
        .unwrap()
}

/// A deterministic right or wrong: post-tests are right more often than pre-tests.
fn right(activity: u64, learner: u64, item: usize, post: bool) -> bool {
    let hash = (activity * 7_919 + learner * 104_729 + item as u64 * 1_299_709) % 100;
    hash < if post { 75 } else { 45 }
}

fn response(
    kind: SurveyKind,
    survey: &str,
    activity: &str,
    enrollment: &EnrollmentRow,
    score: f64,
) -> ResponseRow {
    ResponseRow {
        id: uuid::Uuid::now_v7().to_string(),
        survey_id: survey.to_string(),
        activity_id: activity.to_string(),
        enrollment_id: enrollment.id.clone(),
        user_id: enrollment.user_id.clone(),
        kind: ce_api::db::enum_text(&kind),
        attempt: 1,
        latest: 1,
        score_hundredths: Some((score * 100.0).round() as i32),
        passed: (kind == SurveyKind::PostTest).then_some(i32::from(score >= 70.0)),
        submitted_at: db::now(),
    }
}

/// Whether the database already holds the responses of that many learners per activity.
fn seeded_enough(conn: &mut db::DbConnection, learners_per_activity: u64) -> Result<bool, String> {
    let seeded: i64 =
        ce_api::db::schema::survey_responses::table.count().get_result(conn).map_err(|e| e.to_string())?;
    Ok(seeded >= (ACTIVITIES * learners_per_activity * 2) as i64)
}

fn seed(url: &str, learners_per_activity: u64) -> Result<(), String> {
    ce_api::startup::migrate(url).map_err(|e| e.to_string())?;
    let mut conn = db::establish(url).map_err(|e| e.to_string())?;
    if seeded_enough(&mut conn, learners_per_activity)? {
        println!("reusing the responses seeded before");
        return settle(&mut conn);
    }
    let started = Instant::now();
    let template: ActivityInput =
        serde_json::from_value(examples::create_activity(chrono::Utc::now().date_naive())).unwrap();
    let people: Vec<String> = db::write_transaction(&mut conn, |conn| {
        (0..learners_per_activity)
            .map(|n| {
                users::insert(
                    conn,
                    NewUser {
                        email: format!("outcomes-{n}-{}@example.org", uuid::Uuid::now_v7().simple()),
                        password_hash: None,
                        role: ce_api::auth::Role::Learner,
                        first_name: "O".into(),
                        last_name: format!("{n}"),
                        profession: Some(Profession::Physician),
                        external_id: None,
                        email_verified: true,
                    },
                )
                .map(|u| u.id)
            })
            .collect()
    })
    .map_err(|e| e.to_string())?;
    let planner = support::insert_planner(&mut conn, "outcomes")?;
    let (pre, post) = (test_survey(SurveyKind::PreTest), test_survey(SurveyKind::PostTest));
    for a in 0..ACTIVITIES {
        db::write_transaction(&mut conn, |conn| {
            let mut input = template.clone();
            input.title = format!("Outcomes bench {a}");
            let activity = ce_api::activities::fixtures::insert(conn, &input, &planner.id)?;
            diesel::update(activities::table.find(&activity.id))
                .set(activities::status.eq("published"))
                .execute(conn)?;
            let pre_row = surveys::insert(conn, &activity.id, &pre)?;
            let post_row = surveys::insert(conn, &activity.id, &post)?;
            for (l, user_id) in people.iter().enumerate() {
                let enrollment =
                    EnrollmentRow::new(&activity.id, user_id, EnrollmentStatus::Registered, "bench");
                diesel::insert_into(ce_api::db::schema::enrollments::table)
                    .values(&enrollment)
                    .execute(conn)?;
                for (kind, survey, questions) in [
                    (SurveyKind::PreTest, &pre_row, &pre.questions),
                    (SurveyKind::PostTest, &post_row, &post.questions),
                ] {
                    let answers: Vec<CheckedAnswer> = (0..ITEMS)
                        .map(|i| {
                            let ok = right(a, l as u64, i, kind == SurveyKind::PostTest);
                            CheckedAnswer {
                                question_id: format!("q{i}"),
                                option_ids: Some(vec![if ok { "a" } else { "b" }.into()]),
                                number: None,
                                commit: None,
                                text: None,
                                correct: Some(ok),
                            }
                        })
                        .collect();
                    let score = ce_api::surveys::rules::score(questions, &answers).unwrap_or(0.0);
                    let row = response(kind, &survey.id, &activity.id, &enrollment, score);
                    surveys::insert_response(conn, survey, questions, &row, &answers)?;
                }
                surveys::refresh_pairs(conn, &activity.id, user_id)?;
            }
            Ok::<_, ce_api::error::ApiError>(())
        })
        .map_err(|e| e.to_string())?;
    }
    println!(
        "seeded {} responses ({} answers) in {:.0} s",
        ACTIVITIES * learners_per_activity * 2,
        ACTIVITIES * learners_per_activity * 2 * ITEMS as u64,
        started.elapsed().as_secs_f64()
    );
    settle(&mut conn)
}

/// What autovacuum does in a production PostgreSQL between bursts of writes (the benchmark's
/// server may run with it off): every submission updates its totals rows, and a table of a few
/// hundred live rows read behind tens of thousands of dead versions is no steady state.
fn settle(conn: &mut db::DbConnection) -> Result<(), String> {
    if let db::DbConnection::Postgres(_) = conn {
        diesel::sql_query("VACUUM ANALYZE").execute(conn).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// What one copy of the seeded learners writes: new accounts, enrollments, responses, answers
/// and pairs with the same answers, ids suffixed with the copy's number. Triggers (and foreign
/// key checks) are off for the transaction: the totals are rebuilt from the rows afterwards.
const COPY_LEARNERS: &str = r"
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE copies ON COMMIT DROP AS SELECT c::text AS c FROM generate_series(1, {extra}) c;
CREATE TEMP TABLE learners ON COMMIT DROP AS
SELECT id FROM users WHERE email LIKE 'outcomes-%' AND role = 'learner';
INSERT INTO users (id, email, email_normalized, password_hash, role, active, first_name,
    last_name, profession, degree, npi, nabp_eprofile_id, birth_mmdd, consent_to_report,
    external_id, version, created_at, updated_at, email_verified_at)
SELECT u.id || '-' || c, c || '.' || u.email, c || '.' || u.email_normalized, u.password_hash,
    u.role, u.active, u.first_name, u.last_name, u.profession, u.degree, u.npi,
    u.nabp_eprofile_id, u.birth_mmdd, u.consent_to_report, u.external_id, u.version,
    u.created_at, u.updated_at, u.email_verified_at
FROM users u JOIN learners l ON l.id = u.id CROSS JOIN copies;
INSERT INTO enrollments (id, activity_id, user_id, status, waitlist_position, enrolled_by,
    cancel_reason, cancelled_by, cancelled_at, minutes_spent, completed_at, completion_date,
    version, created_at, updated_at, attended_sessions)
SELECT e.id || '-' || c, e.activity_id, e.user_id || '-' || c, e.status, e.waitlist_position,
    e.enrolled_by, e.cancel_reason, e.cancelled_by, e.cancelled_at, e.minutes_spent,
    e.completed_at, e.completion_date, e.version, e.created_at, e.updated_at, e.attended_sessions
FROM enrollments e JOIN learners l ON l.id = e.user_id CROSS JOIN copies;
INSERT INTO survey_answers (response_id, question_id, survey_id, activity_id, kind,
    question_type, moore_level, latest, option_ids, number_value, commit_value, text_value,
    correct)
SELECT a.response_id || '-' || c, a.question_id, a.survey_id, a.activity_id, a.kind,
    a.question_type, a.moore_level, a.latest, a.option_ids, a.number_value, a.commit_value,
    a.text_value, a.correct
FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id
    JOIN learners l ON l.id = r.user_id CROSS JOIN copies;
INSERT INTO survey_responses (id, survey_id, activity_id, enrollment_id, user_id, kind, attempt,
    latest, score_hundredths, passed, submitted_at)
SELECT r.id || '-' || c, r.survey_id, r.activity_id, r.enrollment_id || '-' || c,
    r.user_id || '-' || c, r.kind, r.attempt, r.latest, r.score_hundredths, r.passed,
    r.submitted_at
FROM survey_responses r JOIN learners l ON l.id = r.user_id CROSS JOIN copies;
INSERT INTO survey_item_pairs (activity_id, user_id, question_id, moore_level, transition)
SELECT p.activity_id, p.user_id || '-' || c, p.question_id, p.moore_level, p.transition
FROM survey_item_pairs p JOIN learners l ON l.id = p.user_id CROSS JOIN copies;
INSERT INTO survey_level_pairs (activity_id, user_id, moore_level, items, right_before, right_after)
SELECT p.activity_id, p.user_id || '-' || c, p.moore_level, p.items, p.right_before, p.right_after
FROM survey_level_pairs p JOIN learners l ON l.id = p.user_id CROSS JOIN copies;
INSERT INTO survey_score_pairs (activity_id, user_id, pre_score, post_score, change, change_squared)
SELECT p.activity_id, p.user_id || '-' || c, p.pre_score, p.post_score, p.change, p.change_squared
FROM survey_score_pairs p JOIN learners l ON l.id = p.user_id CROSS JOIN copies;
UPDATE activities SET seats_taken = (
    SELECT count(*) FROM enrollments e
    WHERE e.activity_id = activities.id AND e.status IN ('registered', 'completed'));
";

/// PostgreSQL only: the learners seeded through the store code, copied in SQL `copies - 1`
/// times (`COPY_LEARNERS`), then every kept total rebuilt from the rows by reverting and
/// running again migrations 000021 onwards, as for a database that already holds rows.
/// Seeding 1,000,000 responses through the store code takes over an hour on PostgreSQL here:
/// each activity's learners are one transaction, which updates the same totals rows tens of
/// thousands of times, and every update walks the row's versions that transaction left.
fn copy_learners(conn: &mut db::DbConnection, copies: u64) -> Result<(), String> {
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;
    let started = Instant::now();
    let db::DbConnection::Postgres(pg) = &mut *conn else {
        return Err("copying learners is written for PostgreSQL".into());
    };
    let script = COPY_LEARNERS.replace("{extra}", &(copies - 1).to_string());
    pg.batch_execute(&format!("BEGIN;{script}COMMIT;")).map_err(|e| e.to_string())?;
    while !pg
        .revert_last_migration(db::POSTGRES_MIGRATIONS)
        .map_err(|e| e.to_string())?
        .to_string()
        .ends_with("000021")
    {}
    db::run_migrations(conn).map_err(|e| e.to_string())?;
    println!(
        "copied the learners {copies} times and rebuilt the totals in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    settle(conn)
}

async fn bench(label: &str, url: &str, learners: u64, clients: u64, seconds: u64) -> Result<(), String> {
    let copies = if label == "PostgreSQL" { env_number("CE_BENCH_COPIES", 1).max(1) } else { 1 };
    seed(url, learners / copies)?;
    let mut conn = db::establish(url).map_err(|e| e.to_string())?;
    if copies > 1 && !seeded_enough(&mut conn, learners)? {
        copy_learners(&mut conn, copies)?;
    }
    let (base, handle) = start(url, clients)?;
    let token = admin_token(&mut conn, &base).await?;
    let activity: String = activities::table
        .filter(activities::title.eq("Outcomes bench 0"))
        .select(activities::id)
        .first(&mut conn)
        .map_err(|e| e.to_string())?;
    let scenarios = [
        (
            format!("activity report ({} responses)", learners * 2),
            format!("{base}/v1/activities/{activity}/outcomes"),
        ),
        (
            format!("program report ({} activities, {} responses)", ACTIVITIES, ACTIVITIES * learners * 2),
            format!("{base}/v1/reports/outcomes"),
        ),
    ];
    for (name, url) in scenarios {
        let figures = measure(url, Some(token.clone()), clients, seconds).await;
        println!(
            "| {label} | {name} | {} | {:.1} | {:.1} | {:.1} |",
            figures.requests, figures.per_second, figures.p50_ms, figures.p99_ms
        );
    }
    handle.stop(true).await;
    Ok(())
}

fn main() {
    let learners = env_number("CE_BENCH_LEARNERS", 2000);
    let clients = env_number("CE_BENCH_CLIENTS", 4);
    let seconds = env_number("CE_BENCH_SECONDS", 10);
    actix_web::rt::System::new().block_on(async move {
        println!("\n{clients} concurrent clients, {seconds} s per scenario\n");
        println!("| database | scenario | requests | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|");
        let sqlite = std::env::temp_dir().join(format!("ce-bench-outcomes-{learners}.db"));
        if let Err(error) = bench("SQLite", &sqlite.to_string_lossy(), learners, clients, seconds).await {
            eprintln!("SQLite benchmark failed: {error}");
        }
        match std::env::var("CE_BENCH_POSTGRES_URL") {
            Ok(admin) => {
                let name = format!("ce_bench_outcomes_{learners}");
                let url = support::postgres_database(&admin, &name);
                if let Err(error) = bench("PostgreSQL", &url, learners, clients, seconds).await {
                    eprintln!("PostgreSQL benchmark failed: {error}");
                }
            }
            Err(_) => eprintln!("PostgreSQL skipped: set CE_BENCH_POSTGRES_URL"),
        }
    });
    // As in the catalog benchmark: leave before pool threads race process teardown.
    std::process::exit(0);
}
