//! Attendance an accreditor accepts: presence counts from the start (or a late arrival) to a
//! check-out or a planner's confirmation, only as time passes; walk-ins at a series. The
//! server's clock is moved, never waited for.

use actix_web::http::Method;
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::{
    credit::{
        ama, claim, claim_body, draft, enrolled_learner, outcome_report, physician, post, Learner, Setup,
    },
    db_test,
    support::{app::TestResponse, TestApp},
};

/// A draft live course (or series) whose one requirement is attending `percent` of its
/// scheduled time, with `policy` as its attendance settings (publish it once its sessions
/// exist).
async fn live(app: &TestApp, format: &str, percent: u8, policy: Value) -> Setup {
    let mut body = ce_api::activities::examples::create_activity(Utc::now().date_naive());
    if format == "rss" {
        body["format"] = json!("rss");
        body.as_object_mut().unwrap().remove("delivery");
    }
    body["credit_designations"] = json!([ama(1.0)]);
    body["completion_requirements"] = json!({"min_attendance_percent": percent});
    body["attendance"] = policy;
    draft(app, body).await
}

async fn open(app: &TestApp, setup: &Setup) {
    app.publish(&setup.planner, &setup.activity).await.assert_status(200);
}

/// A session starting `start_minutes` from now (the real time at creation) and lasting
/// `minutes`; its id and codes (check-in, check-out).
async fn session(app: &TestApp, setup: &Setup, start_minutes: i64, minutes: i64) -> (String, String, String) {
    let at = |m: i64| (app.clock.now() + Duration::minutes(m)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let created = post(
        app,
        &setup.planner,
        &format!("/v1/activities/{}/sessions", setup.activity),
        json!({"title": "Session", "starts_at": at(start_minutes), "ends_at": at(start_minutes + minutes)}),
    )
    .await;
    created.assert_status(201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let codes = app
        .request(Method::GET, &format!("/v1/sessions/{id}/check-in-code"))
        .bearer(&setup.planner)
        .send()
        .await;
    codes.assert_status(200);
    let codes = codes.json();
    (id, codes["code"].as_str().unwrap().into(), codes["check_out_code"].as_str().unwrap().into())
}

async fn session_start(app: &TestApp, setup: &Setup, session: &str) -> chrono::DateTime<Utc> {
    let sessions =
        app.request(Method::GET, &format!("/v1/activities/{}/sessions", setup.activity)).send().await;
    let sessions = sessions.json();
    let found = sessions.as_array().unwrap().iter().find(|s| s["id"] == session).unwrap();
    found["starts_at"].as_str().unwrap().parse().unwrap()
}

async fn send_code(app: &TestApp, token: &str, session: &str, action: &str, code: &str) -> TestResponse {
    post(app, token, &format!("/v1/sessions/{session}/{action}"), json!({"code": code})).await
}

async fn status(app: &TestApp, token: &str, enrollment: &str) -> Value {
    app.request(Method::GET, &format!("/v1/enrollments/{enrollment}")).bearer(token).send().await.json()
        ["status"]
        .clone()
}

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn a_check_in_before_the_start_earns_nothing_until_the_time_has_passed(app: TestApp) {
        // Even where a check-in alone counts to the end, time counts only as it passes.
        let setup = live(&app, "course", 80, json!({"check_in_counts_to_end": true})).await;
        let (session, code, _) = session(&app, &setup, 24 * 60, 60).await;
        open(&app, &setup).await;
        let Learner { token, enrollment, .. } = enrolled_learner(&app, &setup, physician()).await;
        app.clock.travel(Duration::minutes(24 * 60 - 9));
        let checked_in = send_code(&app, &token, &session, "check-in", &code).await;
        checked_in.assert_status(200);
        assert_eq!(checked_in.json()["minutes"], 0, "nothing has happened yet");
        assert_eq!(checked_in.json()["enrollment_status"], "registered");
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 1.0))
            .await
            .assert_problem(422, "enrollment-not-completed");
        // Half-way through: 30 of 60 minutes, below the 80% required.
        app.clock.travel(Duration::minutes(39));
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 1.0))
            .await
            .assert_problem(422, "enrollment-not-completed");
        assert_eq!(status(&app, &token, &enrollment).await, "registered");
        // Once the session is over, the hour counts and the claim is accepted.
        app.clock.travel(Duration::minutes(31));
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 1.0)).await.assert_status(201);
        assert_eq!(status(&app, &token, &enrollment).await, "completed");
    }
);

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn a_check_in_alone_earns_presence_and_a_planner_confirms_the_time(app: TestApp) {
        let setup = live(&app, "course", 50, json!({})).await;
        let (session, code, _) = session(&app, &setup, 60, 60).await;
        open(&app, &setup).await;
        let Learner { id, token, enrollment } = enrolled_learner(&app, &setup, physician()).await;
        // Arrives 20 minutes late (the second before, as the clock runs on while the request
        // travels) and leaves without checking out.
        let start = session_start(&app, &setup, &session).await;
        app.clock.set(start + Duration::minutes(20) - Duration::seconds(1));
        let checked_in = send_code(&app, &token, &session, "check-in", &code).await.json();
        assert_eq!(checked_in["present_from"], checked_in["recorded_at"], "counted from the late arrival");
        assert!(checked_in["present_to"].is_null());
        app.clock.travel(Duration::minutes(60));
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 0.5))
            .await
            .assert_problem(422, "enrollment-not-completed");
        // The planner confirms the roster: present from the late arrival to the end, 40 minutes.
        let confirmed = post(
            &app,
            &setup.planner,
            &format!("/v1/sessions/{session}/attendance"),
            json!({"entries": [{"user_id": id}]}),
        )
        .await;
        confirmed.assert_status(200);
        let attendance = confirmed.json()["results"][0]["attendance"].clone();
        assert_eq!(attendance["minutes"], 40, "{attendance}");
        assert_eq!(attendance["present_from"], checked_in["present_from"]);
        assert_eq!(attendance["enrollment_status"], "completed");
        // 40 minutes support 0.5 credit (quarter hours, rounded down), not 0.75.
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 0.75))
            .await
            .assert_problem(422, "credit-amount-exceeds-participation");
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 0.5)).await.assert_status(201);
    }
);

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn a_walk_in_at_grand_rounds_is_enrolled_on_the_spot(app: TestApp) {
        let series = live(&app, "rss", 50, json!({})).await;
        let course = live(&app, "course", 50, json!({})).await;
        let (rounds, rounds_in, rounds_out) = session(&app, &series, 60, 60).await;
        let (lecture, lecture_in, _) = session(&app, &course, 60, 60).await;
        open(&app, &series).await;
        open(&app, &course).await;
        let (_, walk_in) = app.learner("walk-in@example.org").await;
        app.clock.travel(Duration::minutes(55));
        // A course takes no walk-ins unless it says so.
        send_code(&app, &walk_in, &lecture, "check-in", &lecture_in).await.assert_problem(404, "not-found");
        let checked_in = send_code(&app, &walk_in, &rounds, "check-in", &rounds_in).await;
        checked_in.assert_status(200);
        let enrollment = checked_in.json()["enrollment_id"].as_str().unwrap().to_string();
        assert_eq!(status(&app, &walk_in, &enrollment).await, "registered");
        app.clock.travel(Duration::minutes(66));
        let out = send_code(&app, &walk_in, &rounds, "check-out", &rounds_out).await;
        out.assert_status(200);
        assert_eq!(out.json()["minutes"], 60);
        assert_eq!(out.json()["enrollment_status"], "completed");
    }
);

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn a_walk_in_at_two_of_three_weekly_sessions_gets_two_dated_credit_lines(app: TestApp) {
        let series = live(&app, "rss", 50, json!({})).await;
        let week = 7 * 24 * 60;
        let mut sessions = Vec::new();
        for n in 0..3 {
            sessions.push(session(&app, &series, 60 + n * week, 60).await);
        }
        open(&app, &series).await;
        let email = format!("walk-in-{}@example.org", uuid::Uuid::now_v7().simple());
        let (_, walk_in) = app.learner(&email).await;
        app.request(Method::PATCH, "/v1/me")
            .bearer(&walk_in)
            .json(&physician())
            .send()
            .await
            .assert_status(200);
        let mut enrollment = String::new();
        let mut dates = Vec::new();
        for (index, (id, check_in, check_out)) in sessions.iter().enumerate() {
            let start = session_start(&app, &series, id).await;
            app.clock.set(start - Duration::minutes(5));
            if index == 1 {
                continue; // missed the second week
            }
            let checked_in = send_code(&app, &walk_in, id, "check-in", check_in).await;
            checked_in.assert_status(200);
            enrollment = checked_in.json()["enrollment_id"].as_str().unwrap().to_string();
            app.clock.set(start + Duration::minutes(61));
            send_code(&app, &walk_in, id, "check-out", check_out).await.assert_status(200);
            let mut body = claim_body(&enrollment, "ama_pra_1", 1.0);
            body["session_id"] = json!(id);
            let claimed = claim(&app, &walk_in, body).await;
            claimed.assert_status(201);
            // The session's date where it is held (the example's New York), not in UTC.
            let local = ce_api::activities::rules::local_date(start, "America/New_York").to_string();
            assert_eq!(claimed.json()["completion_date"], local);
            dates.push(local);
        }
        // Two credit lines, one per session attended, each with its session's date.
        let transcript = app.request(Method::GET, "/v1/me/transcript").bearer(&walk_in).send().await.json();
        let mut lines: Vec<String> = transcript["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["completion_date"].as_str().unwrap().to_string())
            .collect();
        lines.sort();
        assert_eq!(lines, dates);
        assert_eq!(transcript["totals"][0]["amount"], 2.0);
        // The credit feed carries both awards.
        let admin = app.admin_token().await;
        let feed = app.request(Method::GET, "/v1/credit-events").bearer(&admin).send().await.json();
        let awarded: Vec<&Value> = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["claim"]["enrollment_id"] == enrollment.as_str())
            .collect();
        assert_eq!(awarded.len(), 2, "{feed}");
        assert!(awarded
            .iter()
            .all(|e| e["type"] == "credit.awarded" && e["claim"]["session_id"].is_string()));
        // The outcome report lists the series session by session, with dates and credit.
        let report = outcome_report(&app, &series).await;
        let by_session: Vec<(Value, Value, Value)> = report["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["session_id"].clone(), s["attended"].clone(), s["credits_awarded"].clone()))
            .collect();
        let one_credit = json!([{"credit_type": "ama_pra_1", "amount": 1.0}]);
        assert_eq!(
            by_session,
            [
                (json!(sessions[0].0), json!(1), one_credit.clone()),
                (json!(sessions[1].0), json!(0), json!([])),
                (json!(sessions[2].0), json!(1), one_credit),
            ]
        );
        let attended_dates: Vec<String> = report["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["attended"] == 1)
            .map(|s| s["date"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(attended_dates, dates);
        assert_eq!(report["participation"]["session_attendances"], 2);
    }
);

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn check_out_needs_a_check_in_and_series_claims_alone_name_sessions(app: TestApp) {
        let setup = live(&app, "course", 50, json!({})).await;
        let (session, _, check_out) = session(&app, &setup, 60, 60).await;
        open(&app, &setup).await;
        let Learner { token, enrollment, .. } = enrolled_learner(&app, &setup, physician()).await;
        app.clock.travel(Duration::minutes(115));
        send_code(&app, &token, &session, "check-out", &check_out)
            .await
            .assert_problem(409, "not-checked-in");
        // A course is credited as a whole: naming a session is refused, naming the field.
        let mut body = claim_body(&enrollment, "ama_pra_1", 1.0);
        body["session_id"] = json!(session);
        let refused = claim(&app, &token, body).await.assert_problem(422, "validation");
        assert_eq!(refused["errors"][0]["field"], "session_id");
        assert_eq!(refused["errors"][0]["code"], "not_applicable");
    }
);

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn codes_are_compared_only_in_the_window_and_guessing_stops_at_ten(app: TestApp) {
        let setup = live(&app, "course", 50, json!({})).await;
        let (session, code, _) = session(&app, &setup, 3 * 24 * 60, 60).await;
        open(&app, &setup).await;
        let Learner { token, .. } = enrolled_learner(&app, &setup, physician()).await;
        let other = enrolled_learner(&app, &setup, physician()).await;
        // Days ahead, no code is compared: the window answers, right code or wrong.
        send_code(&app, &token, &session, "check-in", "WRONG1").await.assert_problem(409, "check-in-window");
        send_code(&app, &token, &session, "check-in", &code).await.assert_problem(409, "check-in-window");
        let start = session_start(&app, &setup, &session).await;
        app.clock.set(start + Duration::minutes(5));
        // 30 guesses at once: they are counted one by one, 10 wrong answers, then refusals.
        let guesses = (0..30).map(|n| {
            let (app, token, session) = (&app, token.clone(), session.clone());
            async move { send_code(app, &token, &session, "check-in", &format!("GUESS{n}")).await }
        });
        let answers = futures_util::future::join_all(guesses).await;
        let count = |status: u16| answers.iter().filter(|a| a.status.as_u16() == status).count();
        assert_eq!(
            (count(422), count(429)),
            (10, 20),
            "{:?}",
            answers.iter().map(|a| a.status).collect::<Vec<_>>()
        );
        // Now even the right code is refused until the window closes, with Retry-After.
        let refused = send_code(&app, &token, &session, "check-in", &code).await;
        refused.assert_problem(429, "too-many-requests");
        let retry: i64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!(retry > 55 * 60 && retry <= 85 * 60, "until the window closes: {retry}");
        // Another learner's guesses are their own.
        send_code(&app, &other.token, &session, "check-in", &code).await.assert_status(200);
    }
);

db_test!(
    async fn a_learner_disabled_since_their_last_request_neither_checks_in_nor_claims(app: TestApp) {
        // The learner's token has been used (enrolling), so this process knows it verified:
        // the account is still checked, within each write.
        let setup = live(&app, "course", 80, json!({})).await;
        let (session, code, _) = session(&app, &setup, 0, 60).await;
        open(&app, &setup).await;
        let learner = enrolled_learner(&app, &setup, physician()).await;
        let admin = app.admin_token().await;
        let set_active = |active: bool| {
            app.request(Method::PATCH, &format!("/v1/users/{}", learner.id))
                .bearer(&admin)
                .json(&json!({"active": active}))
                .send()
        };
        set_active(false).await.assert_status(200);
        send_code(&app, &learner.token, &session, "check-in", &code)
            .await
            .assert_problem(401, "unauthorized");
        claim(&app, &learner.token, claim_body(&learner.enrollment, "ama_pra_1", 1.0))
            .await
            .assert_problem(401, "unauthorized");
        // Nothing was written.
        let recorded = || {
            use ce_api::db::schema::{credit_claims, session_attendance};
            use diesel::prelude::*;
            let mut conn = app.database.connect();
            let attended: i64 = session_attendance::table
                .filter(session_attendance::enrollment_id.eq(&learner.enrollment))
                .count()
                .get_result(&mut conn)
                .unwrap();
            let claimed: i64 = credit_claims::table
                .filter(credit_claims::enrollment_id.eq(&learner.enrollment))
                .count()
                .get_result(&mut conn)
                .unwrap();
            (attended, claimed)
        };
        assert_eq!(recorded(), (0, 0));
        // Active again, the same token checks in.
        set_active(true).await.assert_status(200);
        send_code(&app, &learner.token, &session, "check-in", &code).await.assert_status(200);
        assert_eq!(recorded(), (1, 0));
    }
);

/// The activity report's participation: (enrolled, took part, physicians, other learners,
/// session attendances).
async fn participation(app: &TestApp, setup: &Setup) -> (i64, i64, i64, i64, i64) {
    let report = outcome_report(app, setup).await;
    let counts = &report["participation"];
    let count = |field: &str| counts[field].as_i64().unwrap();
    (
        count("enrolled"),
        count("attended"),
        count("physicians"),
        count("other_learners"),
        count("session_attendances"),
    )
}

/// The participation totals (and each enrollment's sessions attended) are what counting the
/// enrollment and attendance rows gives, for every activity.
fn assert_participation_matches_rows(conn: &mut ce_api::db::DbConnection) {
    use std::collections::BTreeMap;

    use ce_api::db::schema::{enrollments, participation_totals as totals, session_attendance, users};
    use diesel::prelude::*;

    let mut attended: BTreeMap<String, i32> = BTreeMap::new();
    for enrollment in
        session_attendance::table.select(session_attendance::enrollment_id).load::<String>(conn).unwrap()
    {
        *attended.entry(enrollment).or_default() += 1;
    }
    type Row = (String, String, String, Option<String>, i32);
    let rows: Vec<Row> = enrollments::table
        .inner_join(users::table)
        .select((
            enrollments::id,
            enrollments::activity_id,
            enrollments::status,
            users::profession,
            enrollments::attended_sessions,
        ))
        .load(conn)
        .unwrap();
    let mut counted: BTreeMap<(String, String), [i32; 4]> = BTreeMap::new();
    for (id, activity, status, profession, kept_sessions) in rows {
        let sessions = attended.get(&id).copied().unwrap_or(0);
        assert_eq!(kept_sessions, sessions, "sessions attended by enrollment {id}");
        let took_part = status == "completed" || sessions > 0;
        let total = counted.entry((activity, status)).or_default();
        total[0] += 1;
        total[1] += i32::from(took_part);
        total[2] += i32::from(took_part && profession.as_deref() == Some("physician"));
        total[3] += sessions;
    }
    let kept: BTreeMap<(String, String), [i32; 4]> = totals::table
        .filter(totals::enrollments.gt(0))
        .load::<(String, String, i32, i32, i32, i32)>(conn)
        .unwrap()
        .into_iter()
        .map(|(activity, status, n, took_part, physicians, sessions)| {
            ((activity, status), [n, took_part, physicians, sessions])
        })
        .collect();
    assert!(!counted.is_empty());
    assert_eq!(kept, counted);
}

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn reports_count_who_took_part_as_attendance_cancellations_and_professions_change(app: TestApp) {
        // A series of two sessions whose credit needs all of its time: a check-in alone is
        // taking part, not completing.
        let series = live(&app, "rss", 100, json!({})).await;
        let (first, first_in, _) = session(&app, &series, 60, 60).await;
        let (second, second_in, _) = session(&app, &series, 180, 60).await;
        open(&app, &series).await;
        let doctor = enrolled_learner(&app, &series, physician()).await;
        let nurse = enrolled_learner(&app, &series, json!({"profession": "nurse"})).await;
        let absent = enrolled_learner(&app, &series, physician()).await;
        assert_eq!(participation(&app, &series).await, (3, 0, 0, 0, 0));

        app.clock.travel(Duration::minutes(55));
        for learner in [&doctor, &nurse] {
            send_code(&app, &learner.token, &first, "check-in", &first_in).await.assert_status(200);
        }
        assert_eq!(participation(&app, &series).await, (3, 2, 1, 1, 2));
        // The doctor comes back for the second session; a walk-in with no profession on file
        // is enrolled and attends in one request.
        app.clock.travel(Duration::minutes(120));
        send_code(&app, &doctor.token, &second, "check-in", &second_in).await.assert_status(200);
        let (_, walk_in) = app.learner("walk-in@example.org").await;
        send_code(&app, &walk_in, &second, "check-in", &second_in).await.assert_status(200);
        assert_eq!(participation(&app, &series).await, (4, 3, 1, 2, 4), "the doctor counts once");

        // A learner's profession counts as it is now, both ways.
        let profession = |name: &str| {
            app.request(Method::PATCH, "/v1/me").bearer(&nurse.token).json(&json!({"profession": name})).send()
        };
        profession("physician").await.assert_status(200);
        assert_eq!(participation(&app, &series).await, (4, 3, 2, 1, 4));
        profession("nurse").await.assert_status(200);
        assert_eq!(participation(&app, &series).await, (4, 3, 1, 2, 4));

        // Cancelled, the nurse holds no seat but did take part; the absent learner neither.
        for learner in [&nurse, &absent] {
            let cancel = format!("/v1/enrollments/{}/cancel", learner.enrollment);
            post(&app, &series.planner, &cancel, json!({"reason": "Schedule conflict"})).await.assert_status(200);
        }
        assert_eq!(participation(&app, &series).await, (2, 3, 1, 2, 4));
        // The planner's roster confirms the doctor's first session: the same attendance, timed.
        app.record_attendance(&series.planner, &first, &doctor.id, 60).await.assert_status(200);
        let counted = participation(&app, &series).await;
        assert_eq!((counted.1, counted.4), (3, 4), "{counted:?}");

        let mut conn = app.database.connect();
        assert_participation_matches_rows(&mut conn);
        // A database that already held these rows gets the same totals when it upgrades.
        crate::support::database::remigrate_from(&mut conn, "2026-11-30-000028");
        assert_participation_matches_rows(&mut conn);
        assert_eq!(participation(&app, &series).await, counted);
    }
);

/// A PostgreSQL connection of the test's database.
fn postgres(app: &TestApp) -> diesel::PgConnection {
    match app.database.connect() {
        ce_api::db::DbConnection::Postgres(pg) => pg,
        ce_api::db::DbConnection::Sqlite(_) => unreachable!("a PostgreSQL app"),
    }
}

/// Runs `first` in a transaction left open, then `second` on another connection, and commits
/// the first once the second has finished or waits for a lock: the two orders in which a
/// concurrent pair of changes can meet.
fn interleave(app: &TestApp, first: &str, second: &str) {
    use diesel::{connection::SimpleConnection, sql_types::BigInt, QueryableByName, RunQueryDsl};

    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut holder = postgres(app);
    holder.batch_execute(&format!("BEGIN; {first}")).unwrap();
    let mut other = postgres(app);
    let second = second.to_string();
    let waiter = std::thread::spawn(move || other.batch_execute(&second).unwrap());
    let mut watcher = postgres(app);
    let waits = |conn: &mut diesel::PgConnection| {
        diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result::<Waiting>(conn)
        .unwrap()
        .n > 0
    };
    // Polls the server's own record of who waits; nothing here is timed.
    while !waiter.is_finished() && !waits(&mut watcher) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    holder.batch_execute("COMMIT").unwrap();
    waiter.join().unwrap();
}

/// A learner's profession changing while one of their enrollments completes, in either order:
/// the physicians who took part stay what counting the rows gives (the enrollment's trigger
/// reads the learner `FOR SHARE`, so the two changes are ordered).
#[actix_web::test]
async fn a_profession_change_during_a_completion_is_counted_on_postgres() {
    let Some(app) = TestApp::spawn(ce_api::config::Backend::Postgres).await else { return };
    let server = app.handle();
    let setup = crate::credit::publish(&app, crate::credit::enduring(json!([ama(1.0)]), "automatic")).await;
    let nurse = json!({"profession": "nurse"});
    let (first, second) =
        (enrolled_learner(&app, &setup, nurse.clone()).await, enrolled_learner(&app, &setup, nurse).await);
    let complete = |learner: &Learner| {
        format!("UPDATE enrollments SET status = 'completed' WHERE id = '{}';", learner.enrollment)
    };
    let to_physician =
        |learner: &Learner| format!("UPDATE users SET profession = 'physician' WHERE id = '{}';", learner.id);
    interleave(&app, &complete(&first), &to_physician(&first));
    interleave(&app, &to_physician(&second), &complete(&second));
    assert_eq!(participation(&app, &setup).await, (2, 2, 2, 0, 0));
    assert_participation_matches_rows(&mut app.database.connect());
    drop(app);
    server.stop(true).await;
}
