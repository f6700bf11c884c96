//! Enrollments: capacity and waitlist under concurrency (also across two processes on one
//! PostgreSQL), promotion, idempotent retries, visibility and completion dates.

use actix_web::http::Method;
use ce_api::{activities::examples, auth::Role, users::NewUser};
use serde_json::{json, Value};

use crate::{db_test, support::TestApp};

struct Setup {
    planner: String,
    activity: String,
}

/// A published activity with `capacity` seats, and its planner's token.
async fn activity_with_seats(app: &TestApp, capacity: Option<u32>, body: Value) -> Setup {
    let setup = draft_with_seats(app, capacity, body).await;
    app.publish(&setup.planner, &setup.activity).await.assert_status(200);
    setup
}

/// A draft activity with `capacity` seats, and its planner's token.
async fn draft_with_seats(app: &TestApp, capacity: Option<u32>, mut body: Value) -> Setup {
    let admin = app.admin_token().await;
    let (_, planner) = app.user_with_role(&admin, "planner").await;
    body["capacity"] = json!(capacity);
    let created = app.request(Method::POST, "/v1/activities").bearer(&planner).json(&body).send().await;
    created.assert_status(201);
    let activity = created.json()["id"].as_str().unwrap().to_string();
    Setup { planner, activity }
}

fn course() -> Value {
    examples::create_activity(chrono::Utc::now().date_naive())
}

/// `count` learner accounts made directly in the database (no passwords: they are enrolled
/// by their planner).
fn learners(app: &TestApp, count: usize) -> Vec<String> {
    let mut conn = app.database.connect();
    (0..count)
        .map(|n| {
            ce_api::users::fixtures::insert(
                &mut conn,
                NewUser {
                    email: format!("learner{n}-{}@example.org", uuid::Uuid::now_v7().simple()),
                    password_hash: None,
                    role: Role::Learner,
                    first_name: "L".into(),
                    last_name: format!("{n}"),
                    profession: None,
                    external_id: None,
                    email_verified: true,
                },
            )
            .unwrap()
            .id
        })
        .collect()
}

fn enroll_path(setup: &Setup) -> String {
    format!("/v1/activities/{}/enrollments", setup.activity)
}

/// An administrator enrolls `user_id` through the service on `conn`, in a transaction of its
/// own (what the handler runs, on a connection the test holds).
fn enroll_on(
    conn: &mut ce_api::db::DbConnection,
    activity_id: &str,
    user_id: &str,
) -> ce_api::error::ApiResult<ce_api::enrollments::dto::Enrollment> {
    use ce_api::{auth::Caller, enrollments::dto::EnrollRequest};
    let admin = Caller::User { id: "admin".into(), role: Role::Admin };
    let request = EnrollRequest { user_id: Some(user_id.to_string()), email: None };
    ce_api::db::write_transaction(conn, |conn| {
        ce_api::enrollments::service::enroll(conn, &(&admin).into(), activity_id, &request)
    })
}

/// The planner enrolls each learner, in order; returns the enrollment ids.
async fn enroll_each(app: &TestApp, setup: &Setup, learner_ids: &[String]) -> Vec<String> {
    let mut enrollment_ids = Vec::new();
    for id in learner_ids {
        let response = app
            .request(Method::POST, &enroll_path(setup))
            .bearer(&setup.planner)
            .json(&json!({"user_id": id}))
            .send()
            .await;
        response.assert_status(201);
        enrollment_ids.push(response.json()["id"].as_str().unwrap().to_string());
    }
    enrollment_ids
}

async fn roster(app: &TestApp, setup: &Setup) -> Vec<Value> {
    let mut all = Vec::new();
    let mut next = Some(format!("/v1/activities/{}/enrollments?limit=100", setup.activity));
    while let Some(path) = next {
        let page = app.request(Method::GET, &path).bearer(&setup.planner).send().await;
        page.assert_status(200);
        all.extend(page.json()["data"].as_array().unwrap().iter().cloned());
        next = page.next_page();
    }
    all
}

/// Checks the seat invariant: `seats` registered, the rest waitlisted 1..n without gaps.
fn assert_seats(enrollments: &[Value], seats: usize, waiting: usize) {
    let registered = enrollments.iter().filter(|e| e["status"] == "registered").count();
    let mut positions: Vec<i64> = enrollments
        .iter()
        .filter(|e| e["status"] == "waitlisted")
        .map(|e| e["waitlist_position"].as_i64().unwrap())
        .collect();
    positions.sort();
    assert_eq!(registered, seats, "registered");
    assert_eq!(positions, (1..=waiting as i64).collect::<Vec<_>>(), "waitlist positions 1..n without gaps");
}

/// 200 requests at once for 20 seats: exactly 20 registered, 180 waitlisted 1..180. The
/// requests queue on the activity's lock, so the instances get a longer pool wait than the
/// tests' default (a burst like this is what `CE_DB_TIMEOUT_MS` is for).
#[actix_web::test]
async fn two_hundred_concurrent_enrollments_fill_twenty_seats_exactly() {
    let patient = |s: &mut ce_api::config::Settings| {
        s.db_timeout = std::time::Duration::from_secs(60);
        s.db_pool_size = 8;
    };
    for backend in [ce_api::config::Backend::Sqlite, ce_api::config::Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, patient).await else { continue };
        let setup = activity_with_seats(&app, Some(20), course()).await;
        let ids = learners(&app, 200);
        // On PostgreSQL, half of the requests go to a second instance on the same database.
        let replica = (backend == ce_api::config::Backend::Postgres).then(|| app.replica_with(patient));
        let path = enroll_path(&setup);
        let requests = ids.iter().enumerate().map(|(n, id)| {
            let body = json!({"user_id": id});
            let request = match (&replica, n % 2) {
                (Some(replica), 1) => replica.request(Method::POST, &path),
                _ => app.request(Method::POST, &path),
            };
            request.bearer(&setup.planner).json(&body).send()
        });
        let responses = futures_util::future::join_all(requests).await;
        for response in &responses {
            response.assert_status(201);
        }
        let enrollments = roster(&app, &setup).await;
        assert_eq!(enrollments.len(), 200);
        assert_seats(&enrollments, 20, 180);
        let listed = app.catalog_item(&setup.activity, "summary").await;
        assert_eq!(listed["seats_left"], 0, "the seat counter kept up with every concurrent enrollment");
    }
}

db_test!(
    async fn cancelling_a_seat_promotes_the_first_of_the_waitlist(app: TestApp) {
        let setup = activity_with_seats(&app, Some(2), course()).await;
        let ids = learners(&app, 5);
        let enrollment_ids = enroll_each(&app, &setup, &ids).await;
        let seats_left =
            || async { app.catalog_item(&setup.activity, "summary").await["seats_left"].clone() };
        assert_eq!(seats_left().await, 0, "two registered, three waiting");
        let first = app
            .request(Method::POST, &format!("/v1/enrollments/{}/cancel", enrollment_ids[0]))
            .bearer(&setup.planner)
            .json(&json!({"reason": "Schedule conflict"}))
            .send()
            .await;
        first.assert_status(200);
        assert_eq!(first.json()["status"], "cancelled");
        let enrollments = roster(&app, &setup).await;
        let status_of = |id: &str| enrollments.iter().find(|e| e["id"] == id).unwrap().clone();
        assert_eq!(status_of(&enrollment_ids[2])["status"], "registered", "position 1 promoted");
        assert_eq!(status_of(&enrollment_ids[3])["waitlist_position"], 1);
        assert_eq!(status_of(&enrollment_ids[4])["waitlist_position"], 2);
        assert_eq!(status_of(&enrollment_ids[0])["cancel_reason"], "Schedule conflict", "kept on record");
        // Cancelling a waitlisted learner renumbers those behind them.
        app.request(Method::POST, &format!("/v1/enrollments/{}/cancel", enrollment_ids[3]))
            .bearer(&setup.planner)
            .json(&json!({"reason": "No longer needed"}))
            .send()
            .await
            .assert_status(200);
        let enrollments = roster(&app, &setup).await;
        let live: Vec<Value> = enrollments.into_iter().filter(|e| e["status"] != "cancelled").collect();
        assert_seats(&live, 2, 1);
        assert_eq!(seats_left().await, 0, "the freed seat went to the waitlist");
        // More seats: the waitlist is promoted at once.
        app.amend_activity(&setup.planner, &setup.activity, json!({"capacity": 10})).await.assert_status(200);
        let live: Vec<Value> =
            roster(&app, &setup).await.into_iter().filter(|e| e["status"] != "cancelled").collect();
        assert_seats(&live, 3, 0);
        assert_eq!(seats_left().await, 7, "ten seats, three taken");
    }
);

db_test!(
    async fn retries_with_an_idempotency_key_replay_and_create_nothing(app: TestApp) {
        let setup = activity_with_seats(&app, Some(5), course()).await;
        let ids = learners(&app, 2);
        let post = |key: &str, body: Value| {
            app.request(Method::POST, &enroll_path(&setup))
                .bearer(&setup.planner)
                .header("idempotency-key", key)
                .json(&body)
                .send()
        };
        let first = post("retry-1", json!({"user_id": ids[0]})).await;
        first.assert_status(201);
        let again = post("retry-1", json!({"user_id": ids[0]})).await;
        again.assert_status(201);
        assert_eq!(again.json(), first.json(), "identical response");
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        post("retry-1", json!({"user_id": ids[1]})).await.assert_problem(422, "idempotency-key-reused");
        assert_eq!(roster(&app, &setup).await.len(), 1);

        // 50 concurrent replays of one key: one enrollment, one identical answer.
        let replays = (0..50).map(|_| post("burst-1", json!({"user_id": ids[1]})));
        let responses = futures_util::future::join_all(replays).await;
        let bodies: Vec<Value> = responses
            .iter()
            .map(|r| {
                r.assert_status(201);
                r.json()
            })
            .collect();
        assert!(bodies.iter().all(|b| b == &bodies[0]));
        assert_eq!(roster(&app, &setup).await.len(), 2);

        // Without a key, a second enrollment of the same learner is a conflict naming it.
        let twice = app
            .request(Method::POST, &enroll_path(&setup))
            .bearer(&setup.planner)
            .json(&json!({"user_id": ids[0]}))
            .send()
            .await;
        let problem = twice.assert_problem(409, "already-enrolled");
        assert!(problem["detail"].as_str().unwrap().contains(first.json()["id"].as_str().unwrap()));
    }
);

db_test!(
    async fn learners_see_only_their_own_enrollments(app: TestApp) {
        let setup = activity_with_seats(&app, None, course()).await;
        let (a_id, a) = app.learner("a@example.org").await;
        let (_, b) = app.learner("b@example.org").await;
        let mine = app.request(Method::POST, &enroll_path(&setup)).bearer(&a).json(&json!({})).send().await;
        mine.assert_status(201);
        let enrollment = mine.json();
        assert_eq!(enrollment["user_id"], a_id.as_str());
        assert_eq!(enrollment["status"], "registered");
        let path = format!("/v1/enrollments/{}", enrollment["id"].as_str().unwrap());
        app.request(Method::GET, &path).bearer(&a).send().await.assert_status(200);
        app.request(Method::GET, &path).bearer(&b).send().await.assert_problem(404, "not-found");
        let theirs = app.request(Method::GET, "/v1/enrollments").bearer(&b).send().await.json();
        assert_eq!(theirs["data"], json!([]));
        // A learner cannot enroll someone else.
        app.request(Method::POST, &enroll_path(&setup))
            .bearer(&b)
            .json(&json!({"user_id": a_id}))
            .send()
            .await
            .assert_problem(403, "forbidden");
        // Clients: enrollments:read to read, enrollments:write to enroll.
        let admin = app.admin_token().await;
        let (without, secret) = app.integration_client(&admin, &["credits:read"]).await;
        let token = app.client_access_token(&without, &secret).await;
        app.request(Method::GET, "/v1/enrollments")
            .bearer(&token)
            .send()
            .await
            .assert_problem(403, "insufficient_scope");
        app.request(Method::POST, &enroll_path(&setup))
            .bearer(&token)
            .json(&json!({"email": "b@example.org"}))
            .send()
            .await
            .assert_problem(403, "insufficient_scope");
        let (with, secret) = app.integration_client(&admin, &["enrollments:read", "enrollments:write"]).await;
        let token = app.client_access_token(&with, &secret).await;
        let by_email = app
            .request(Method::POST, &enroll_path(&setup))
            .bearer(&token)
            .json(&json!({"email": "B@example.org"}))
            .send()
            .await;
        by_email.assert_status(201);
        let all = app.request(Method::GET, "/v1/enrollments").bearer(&token).send().await.json();
        assert_eq!(all["data"].as_array().unwrap().len(), 2);
    }
);

db_test!(
    async fn completion_dates_are_local_to_the_activity(app: TestApp) {
        let mut enduring = course();
        let object = enduring.as_object_mut().unwrap();
        for key in ["starts_at", "ends_at", "delivery", "location", "join_url", "registration_closes_at"] {
            object.remove(key);
        }
        let today = chrono::Utc::now().date_naive();
        enduring["format"] = json!("enduring");
        enduring["medium"] = json!("online");
        enduring["release_date"] = json!(today);
        enduring["expiry_date"] = json!(today + chrono::Days::new(700));
        enduring["credit_designations"][2]["acpe_uan"] = json!("0197-0000-26-001-H01-P");
        enduring["completion_requirements"] = json!({"min_minutes": 60});
        let setup = activity_with_seats(&app, None, enduring).await;
        let (_, learner) = app.learner("reader@example.org").await;
        let enrollment = app
            .request(Method::POST, &enroll_path(&setup))
            .bearer(&learner)
            .json(&json!({}))
            .send()
            .await
            .json();
        let completion = format!("/v1/enrollments/{}/completion", enrollment["id"].as_str().unwrap());
        let short = app
            .request(Method::POST, &completion)
            .bearer(&setup.planner)
            .json(&json!({"minutes_spent": 30}))
            .send()
            .await;
        assert_eq!(short.assert_problem(422, "requirements-not-met")["errors"][0]["field"], "minutes_spent");
        // A learner cannot report their own completion.
        app.request(Method::POST, &completion)
            .bearer(&learner)
            .json(&json!({"minutes_spent": 90}))
            .send()
            .await
            .assert_status(403);
        // The LMS reports it: a client with enrollments:write alone may.
        let admin = app.admin_token().await;
        let (lms, secret) = app.integration_client(&admin, &["enrollments:write"]).await;
        let lms = app.client_access_token(&lms, &secret).await;
        let done = app
            .request(Method::POST, &completion)
            .bearer(&lms)
            .json(&json!({"minutes_spent": 75, "completed_at": "2026-03-01T03:30:00Z"}))
            .send()
            .await;
        done.assert_status(200);
        let done = done.json();
        assert_eq!(done["status"], "completed");
        assert_eq!(done["completion_date"], "2026-02-28", "the evening of Feb 28 in New York");
        assert_eq!(done["completed_at"], "2026-03-01T03:30:00Z");
    }
);

/// A session of the setup's activity from `start_minutes` to `end_minutes` from now; its id
/// and check-in code.
async fn session_at(app: &TestApp, setup: &Setup, start_minutes: i64, end_minutes: i64) -> (String, String) {
    let now = chrono::Utc::now();
    let at = |m: i64| (now + chrono::Duration::minutes(m)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let created = app
        .request(Method::POST, &format!("/v1/activities/{}/sessions", setup.activity))
        .bearer(&setup.planner)
        .json(&json!({"title": "Session", "starts_at": at(start_minutes), "ends_at": at(end_minutes)}))
        .send()
        .await;
    created.assert_status(201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let code = app
        .request(Method::GET, &format!("/v1/sessions/{id}/check-in-code"))
        .bearer(&setup.planner)
        .send()
        .await;
    code.assert_status(200);
    (id, code.json()["code"].as_str().unwrap().to_string())
}

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn learners_check_in_with_the_code_inside_the_window(app: TestApp) {
        let setup = activity_with_seats(&app, None, course()).await;
        let (now_session, code) = session_at(&app, &setup, 5, 65).await;
        let (later_session, later_code) = session_at(&app, &setup, 3 * 24 * 60, 3 * 24 * 60 + 60).await;
        let (_, learner) = app.learner("attendee@example.org").await;
        let (_, stranger) = app.learner("stranger@example.org").await;
        let check_in = |session: &str, token: &str, code: &str| {
            app.request(Method::POST, &format!("/v1/sessions/{session}/check-in"))
                .bearer(token)
                .json(&json!({"code": code}))
                .send()
        };
        // Not enrolled: nothing to check in to.
        check_in(&now_session, &stranger, &code).await.assert_problem(404, "not-found");
        app.request(Method::POST, &enroll_path(&setup))
            .bearer(&learner)
            .json(&json!({}))
            .send()
            .await
            .assert_status(201);
        check_in(&now_session, &learner, "WRONG1").await.assert_problem(422, "validation");
        check_in(&later_session, &learner, &later_code).await.assert_problem(409, "check-in-window");
        // Checked in 5 minutes before the start: present from the start, no time counted yet.
        let first = check_in(&now_session, &learner, &code.to_lowercase()).await;
        first.assert_status(200);
        let first = first.json();
        assert_eq!(first["source"], "check_in");
        assert_eq!(first["minutes"], 0);
        assert!(first["present_to"].is_null());
        let twice = check_in(&now_session, &learner, &code).await;
        twice.assert_status(200);
        assert_eq!(twice.json()["recorded_at"], first["recorded_at"], "checking in twice changes nothing");
        assert_eq!(first["enrollment_status"], "registered");
        // The end-of-session code is taken in the last 15 minutes only, and not mistaken for
        // the check-in code.
        let codes = app
            .request(Method::GET, &format!("/v1/sessions/{now_session}/check-in-code"))
            .bearer(&setup.planner)
            .send()
            .await
            .json();
        let check_out_code = codes["check_out_code"].as_str().unwrap().to_string();
        assert_ne!(check_out_code, code);
        let check_out = |code: &str| {
            app.request(Method::POST, &format!("/v1/sessions/{now_session}/check-out"))
                .bearer(&learner)
                .json(&json!({"code": code}))
                .send()
        };
        check_out(&check_out_code).await.assert_problem(409, "check-in-window");
        app.clock.travel(chrono::Duration::minutes(55));
        check_out(&code).await.assert_problem(422, "validation");
        let out = check_out(&check_out_code).await;
        out.assert_status(200);
        let out = out.json();
        // Present from the start to now: 50 of the session's 60 minutes, all of them past.
        assert_eq!(out["minutes"], 50, "{out}");
        assert!(out["present_to"].is_string());
        // Learners cannot read or rotate the code.
        app.request(Method::GET, &format!("/v1/sessions/{now_session}/check-in-code"))
            .bearer(&learner)
            .send()
            .await
            .assert_status(403);
        let rotated = app
            .request(Method::POST, &format!("/v1/sessions/{now_session}/check-in-code"))
            .bearer(&setup.planner)
            .send()
            .await;
        assert_ne!(rotated.json()["code"], code.as_str());
    }
);

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn planners_record_attendance_in_bulk_and_completion_follows(app: TestApp) {
        // Attendance alone completes here; the evaluation gate has its own test (surveys).
        let mut body = course();
        body["completion_requirements"]["evaluation_required"] = json!(false);
        // One hour of instruction carries at most one credit of each type.
        for designation in body["credit_designations"].as_array_mut().unwrap() {
            designation["max_amount"] = json!(1.0);
        }
        let setup = draft_with_seats(&app, Some(1), body).await;
        let (session, _) = session_at(&app, &setup, 5, 65).await;
        app.publish(&setup.planner, &setup.activity).await.assert_status(200);
        let ids = learners(&app, 2);
        enroll_each(&app, &setup, &ids).await;
        // Not before the session has ended.
        app.record_attendance(&setup.planner, &session, &ids[0], 55)
            .await
            .assert_problem(422, "session-not-ended");
        app.clock.travel(chrono::Duration::minutes(66));
        let report = app
            .request(Method::POST, &format!("/v1/sessions/{session}/attendance"))
            .bearer(&setup.planner)
            .json(&json!({"entries": [
                {"user_id": ids[0], "minutes": 55},
                {"user_id": ids[1], "minutes": 60},
                {"user_id": "not-a-learner", "minutes": 60},
                {"user_id": ids[0], "minutes": 500}
            ]}))
            .send()
            .await;
        report.assert_status(200);
        let results = report.json()["results"].clone();
        assert_eq!(results[0]["accepted"], true);
        // One session of 60 minutes is all that is scheduled: 55 minutes is 91% >= 80%.
        assert_eq!(results[0]["attendance"]["enrollment_status"], "completed");
        assert_eq!(results[1]["accepted"], false, "waitlisted");
        assert!(results[1]["reason"].as_str().unwrap().contains("waitlisted"));
        assert_eq!(results[2]["accepted"], false);
        assert_eq!(results[3]["accepted"], false, "more minutes than scheduled");
        let roster = roster(&app, &setup).await;
        let done = roster.iter().find(|e| e["user_id"] == ids[0].as_str()).unwrap();
        assert_eq!(done["status"], "completed");
        assert!(done["completion_date"].is_string());
    }
);

db_test!(
    async fn planners_read_the_learners_of_their_activities_only(app: TestApp) {
        let setup = activity_with_seats(&app, None, course()).await;
        let admin = app.admin_token().await;
        let (_, other_planner) = app.user_with_role(&admin, "planner").await;
        let (enrolled_id, enrolled) = app.learner("enrolled@example.org").await;
        let (outsider_id, _) = app.learner("outsider@example.org").await;
        app.request(Method::POST, &enroll_path(&setup))
            .bearer(&enrolled)
            .json(&json!({}))
            .send()
            .await
            .assert_status(201);
        let read =
            |token: &str, id: &str| app.request(Method::GET, &format!("/v1/users/{id}")).bearer(token).send();
        read(&setup.planner, &enrolled_id).await.assert_status(200);
        read(&setup.planner, &outsider_id).await.assert_problem(404, "not-found");
        read(&other_planner, &enrolled_id).await.assert_problem(404, "not-found");
    }
);

db_test!(
    async fn rosters_come_as_csv_for_sign_in_sheets(app: TestApp) {
        let setup = activity_with_seats(&app, Some(1), course()).await;
        let ids = learners(&app, 2);
        enroll_each(&app, &setup, &ids).await;
        let csv = app
            .request(Method::GET, &format!("/v1/activities/{}/enrollments", setup.activity))
            .bearer(&setup.planner)
            .header("accept", "text/csv")
            .send()
            .await;
        csv.assert_status(200);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let text = csv.text();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("enrollment_id,user_id,last_name,first_name,email"));
        assert_eq!(lines.len(), 3);
        assert!(lines[1].contains(&ids[0]) && lines[1].contains(",registered,"));
        assert!(lines[2].contains(&ids[1]) && lines[2].contains(",waitlisted,1,"));
    }
);

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn closing_a_live_activity_marks_learners_who_attended_nothing_as_no_shows(app: TestApp) {
        let setup = activity_with_seats(&app, None, course()).await;
        let (session, _) = session_at(&app, &setup, 5, 65).await;
        let (_, _) = session_at(&app, &setup, 24 * 60, 24 * 60 + 60).await;
        let ids = learners(&app, 3);
        let enrollment_ids = enroll_each(&app, &setup, &ids).await;
        app.clock.travel(chrono::Duration::minutes(66));
        app.record_attendance(&setup.planner, &session, &ids[0], 30).await.assert_status(200);
        app.request(Method::POST, &format!("/v1/enrollments/{}/cancel", enrollment_ids[2]))
            .bearer(&setup.planner)
            .json(&json!({"reason": "Moved away"}))
            .send()
            .await
            .assert_status(200);
        app.request(Method::POST, &format!("/v1/activities/{}/close", setup.activity))
            .bearer(&setup.planner)
            .send()
            .await
            .assert_status(200);
        let statuses: Vec<Value> = roster(&app, &setup).await.iter().map(|e| e["status"].clone()).collect();
        assert_eq!(statuses, vec![json!("registered"), json!("no_show"), json!("cancelled")]);
    }
);

db_test!(
    async fn a_planner_loses_sight_of_a_learner_who_cancelled(app: TestApp) {
        let setup = activity_with_seats(&app, None, course()).await;
        let (learner_id, learner) = app.learner("leaving@example.org").await;
        let enrolled =
            app.request(Method::POST, &enroll_path(&setup)).bearer(&learner).json(&json!({})).send().await;
        enrolled.assert_status(201);
        let enrollment = enrolled.json()["id"].as_str().unwrap().to_string();
        let read =
            || app.request(Method::GET, &format!("/v1/users/{learner_id}")).bearer(&setup.planner).send();
        read().await.assert_status(200);
        app.request(Method::POST, &format!("/v1/enrollments/{enrollment}/cancel"))
            .bearer(&learner)
            .json(&json!({"reason": "Schedule conflict"}))
            .send()
            .await
            .assert_status(200);
        read().await.assert_problem(404, "not-found");
        // Nor can the planner edit what they no longer see.
        app.request(Method::PATCH, &format!("/v1/users/{learner_id}"))
            .bearer(&setup.planner)
            .json(&json!({"first_name": "X"}))
            .send()
            .await
            .assert_problem(404, "not-found");
    }
);

db_test!(
    async fn planners_enroll_learner_accounts_only_and_say_the_same_for_unknown_emails(app: TestApp) {
        let setup = activity_with_seats(&app, None, course()).await;
        let admin = app.admin_token().await;
        let (other_planner_id, _) = app.user_with_role(&admin, "planner").await;
        let (leader_id, _) = app.user_with_role(&admin, "leader").await;
        let staff_email = |id: &str| {
            let mut conn = app.database.connect();
            ce_api::users::fixtures::find(&mut conn, id).unwrap().unwrap().email
        };
        let enroll = |body: Value| {
            app.request(Method::POST, &enroll_path(&setup)).bearer(&setup.planner).json(&body).send()
        };
        let unknown = enroll(json!({"email": "nobody-here@example.org"})).await;
        unknown.assert_problem(422, "unknown-learner");
        let by_email = enroll(json!({"email": staff_email(&other_planner_id)})).await;
        by_email.assert_problem(422, "unknown-learner");
        // Same answer, word for word: nothing tells an account from no account.
        assert_eq!(unknown.json()["detail"], by_email.json()["detail"]);
        assert_eq!(unknown.json()["title"], by_email.json()["title"]);
        enroll(json!({"email": staff_email(&leader_id)})).await.assert_problem(422, "unknown-learner");
        enroll(json!({"user_id": other_planner_id})).await.assert_problem(422, "unknown-learner");
        // A learner account is enrolled by email, and the planner may still enroll themselves.
        app.learner("a-real-learner@example.org").await;
        enroll(json!({"email": "a-real-learner@example.org"})).await.assert_status(201);
        enroll(json!({})).await.assert_status(201);
    }
);

db_test!(
    async fn a_planner_disabled_or_demoted_since_their_last_request_enrolls_no_one(app: TestApp) {
        let admin = app.admin_token().await;
        let (planner_id, planner) = app.user_with_role(&admin, "planner").await;
        let mut body = course();
        body["capacity"] = json!(5);
        let created = app.request(Method::POST, "/v1/activities").bearer(&planner).json(&body).send().await;
        created.assert_status(201);
        let setup =
            Setup { planner: admin.clone(), activity: created.json()["id"].as_str().unwrap().to_string() };
        app.publish(&planner, &setup.activity).await.assert_status(200);
        let ids = learners(&app, 3);
        let enroll = |key: &str, learner: &str| {
            app.request(Method::POST, &enroll_path(&setup))
                .bearer(&planner)
                .header("idempotency-key", key)
                .json(&json!({"user_id": learner}))
                .send()
        };
        let change = |body: Value| {
            app.request(Method::PATCH, &format!("/v1/users/{planner_id}")).bearer(&admin).json(&body).send()
        };
        // The token has been used: this process knows it verified. Its account is checked
        // all the same, within the write, with the role it has now.
        enroll("first", &ids[0]).await.assert_status(201);
        change(json!({"role": "learner"})).await.assert_status(200);
        enroll("second", &ids[1]).await.assert_problem(403, "forbidden");
        change(json!({"role": "planner", "active": false})).await.assert_status(200);
        enroll("third", &ids[2]).await.assert_problem(401, "unauthorized");
        // Nor is a disabled account's earlier answer replayed to it.
        enroll("first", &ids[0]).await.assert_problem(401, "unauthorized");
        assert_eq!(roster(&app, &setup).await.len(), 1);

        // A learner whose login session has ended enrolls no one either.
        app.register_learner("ended@example.org").await;
        let tokens = app.login("ended@example.org", crate::support::identity::PASSWORD).await;
        let access = tokens["access_token"].as_str().unwrap();
        app.request(Method::GET, "/v1/me").bearer(access).send().await.assert_status(200);
        app.post_json("/v1/auth/logout", &json!({"refresh_token": tokens["refresh_token"]}))
            .await
            .assert_status(204);
        let ended =
            app.request(Method::POST, &enroll_path(&setup)).bearer(access).json(&json!({})).send().await;
        let ended = ended.assert_problem(401, "unauthorized");
        assert!(ended["detail"].as_str().unwrap().contains("session"), "{ended}");
        assert_eq!(roster(&app, &setup).await.len(), 1);
    }
);

db_test!(
    async fn a_learners_live_enrollment_is_found_by_the_partial_index_whatever_the_parameters(app: TestApp) {
        // Run with any activity and learner, the lookup of a live enrollment uses the partial
        // unique index: otherwise it reads every enrollment the learner ever had.
        use ce_api::db::schema::enrollments;
        use diesel::prelude::*;
        let query = enrollments::table
            .filter(enrollments::activity_id.eq("activity"))
            .filter(enrollments::user_id.eq("learner"))
            .filter(ce_api::access::enrollment_is_live())
            .select(enrollments::id);
        let plan = crate::support::plans::generic_plan(&app.database, &query, 2);
        assert!(plan.iter().any(|line| line.contains("enrollments_one_live")), "{plan:#?}");
        // And the statement stays prepared: a literal condition must not make diesel parse
        // and plan it again on every run.
        if let Some(held) = crate::support::plans::prepared_after_two_runs(&app.database, &query) {
            assert!(held.iter().any(|sql| sql.contains("<> 'cancelled'")), "{held:#?}");
        }
    }
);

/// On PostgreSQL, taking a seat updates the activity's seat counter in place (a heap-only
/// update: no new entry in any of the activities' indexes), also when the activity's page was
/// filled by the activities created after it.
#[actix_web::test]
async fn taking_a_seat_updates_the_activity_row_in_place_on_postgres() {
    use ce_api::{
        db::{schema::enrollments, DbConnection},
        enrollments::{dto::EnrollmentStatus, EnrollmentRow},
    };
    use diesel::{prelude::*, sql_types::BigInt};

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    let Some(app) = TestApp::spawn(ce_api::config::Backend::Postgres).await else { return };
    let server = app.handle();
    let admin = app.admin_token().await;
    let (_, planner) = app.user_with_role(&admin, "planner").await;
    let mut activities = Vec::new();
    // Sixteen documents of a few KB: several table pages, the first ones filled.
    for _ in 0..16 {
        let body = examples::create_activity(chrono::Utc::now().date_naive());
        let created = app.request(Method::POST, "/v1/activities").bearer(&planner).json(&body).send().await;
        created.assert_status(201);
        activities.push(created.json()["id"].as_str().unwrap().to_string());
    }
    let (learner, _) = app.learner(&format!("seats-{}@example.org", uuid::Uuid::now_v7().simple())).await;
    let DbConnection::Postgres(mut pg) = app.database.connect() else { unreachable!("a PostgreSQL app") };
    let counted = |pg: &mut diesel::PgConnection, function: &str| {
        diesel::sql_query(format!("SELECT {function}('activities'::regclass) AS n"))
            .get_result::<Count>(pg)
            .map(|count| count.n)
    };
    let _ = pg.transaction::<(), diesel::result::Error, _>(|pg| {
        for activity in &activities {
            let seat = EnrollmentRow::new(activity, &learner, EnrollmentStatus::Registered, "test");
            diesel::insert_into(enrollments::table).values(&seat).execute(pg)?;
        }
        let updated = counted(pg, "pg_stat_get_xact_tuples_updated")?;
        let in_place = counted(pg, "pg_stat_get_xact_tuples_hot_updated")?;
        assert_eq!((updated, in_place), (16, 16), "every seat counter updated in place");
        // Leave nothing behind: the counts are what was asked.
        Err(diesel::result::Error::RollbackTransaction)
    });
    server.stop(true).await;
}

/// On PostgreSQL, a person whose token this process verified before (their account still to be
/// checked) has their standing read by the statement that locks the activity, a round trip
/// fewer, and it decides as the check of its own would: an active administrator enrolls
/// others; an ended login session, a disabled account and a demoted one are refused as before
/// (401, 401, 403), a disabled account's 401 coming before a missing activity's 404.
#[actix_web::test]
async fn the_callers_standing_is_read_with_the_lock_on_postgres() {
    use ce_api::{
        auth::{
            fixtures::unchecked,
            jwt::{Claims, PrincipalKind},
        },
        config::AuthSettings,
        db::{self, schema::users, DbConnection},
        enrollments::{dto::EnrollRequest, service},
    };
    use diesel::prelude::*;

    let Some(app) = TestApp::spawn(ce_api::config::Backend::Postgres).await else { return };
    let server = app.handle();
    let setup = activity_with_seats(&app, Some(5), course()).await;
    let ids = learners(&app, 2);
    let admin = app.admin_token().await;
    let (person, _) = app.user_with_role(&admin, "admin").await;
    let mut conn = app.database.connect();
    let caller = |session: Option<&str>| {
        let mut claims =
            Claims::new(&AuthSettings::default(), &person, PrincipalKind::User, db::now_utc().timestamp());
        claims.sid = session.map(str::to_string);
        unchecked(claims)
    };
    let enroll = |conn: &mut DbConnection, session: Option<&str>, activity: &str, learner: &str| {
        let request = EnrollRequest { user_id: Some(learner.to_string()), email: None };
        db::write_transaction(conn, |conn| service::enroll(conn, &caller(session), activity, &request))
    };
    let refused = |outcome: ce_api::error::ApiResult<_>| format!("{:?}", outcome.unwrap_err());

    assert_eq!(
        enroll(&mut conn, None, &setup.activity, &ids[0]).unwrap().status,
        ce_api::enrollments::dto::EnrollmentStatus::Registered
    );
    let ended = refused(enroll(&mut conn, Some("a-session-that-ended"), &setup.activity, &ids[1]));
    assert!(ended.contains("Unauthorized") && ended.contains("session"), "{ended}");
    let account = |role: &str, active: bool| {
        diesel::update(users::table.find(&person))
            .set((users::role.eq(role), users::active.eq(active)))
            .execute(&mut app.database.connect())
            .unwrap();
    };
    account("learner", true);
    let demoted = refused(enroll(&mut conn, None, &setup.activity, &ids[1]));
    assert!(
        demoted.contains("Forbidden") && demoted.contains("learners enroll themselves only"),
        "{demoted}"
    );
    account("admin", false);
    let disabled = refused(enroll(&mut conn, None, &setup.activity, &ids[1]));
    assert!(disabled.contains("Unauthorized") && disabled.contains("disabled"), "{disabled}");
    // Each was decided by the locking statement: the account's check of its own was never sent.
    let held = crate::support::plans::held_prepared(&mut conn).expect("PostgreSQL");
    let standalone =
        held.iter().filter(|sql| sql.starts_with("SELECT \"users\".\"role\", \"users\".\"active\""));
    assert_eq!(standalone.count(), 0, "no check of the caller's account on its own: {held:#?}");
    let nowhere = refused(enroll(&mut conn, None, "no-such-activity", &ids[1]));
    assert!(nowhere.contains("Unauthorized"), "{nowhere}");
    assert_eq!(roster(&app, &setup).await.len(), 1);
    server.stop(true).await;
}

db_test!(
    async fn the_statements_of_an_enrollment_are_planned_once(app: TestApp) {
        // Each enrollment runs the same statements with new values. They are prepared once per
        // connection, and none may be planned again on every run. On SQLite one was: a `LIKE`
        // whose pattern was a bare parameter made SQLite plan the learner's read anew for each
        // enrollment (a quarter of its one writer's time).
        let setup = activity_with_seats(&app, Some(2), course()).await;
        let ids = learners(&app, 12);
        let mut conn = app.database.connect();
        for id in &ids {
            enroll_on(&mut conn, &setup.activity, id).unwrap();
        }
        if let Some(held) = crate::support::plans::sqlite_reprepared(&mut conn) {
            assert!(held.iter().any(|(sql, _)| sql.contains("webhook_endpoints")), "{held:#?}");
            let replanned: Vec<_> = held.iter().filter(|(_, reprepared)| *reprepared > 0).collect();
            assert!(replanned.is_empty(), "planned again while running: {replanned:#?}");
        }
        // PostgreSQL plans a prepared statement for its values five times, then settles on
        // one plan for any values if that costs no more: the twelve locks run on it.
        if let Some(counts) = crate::support::plans::plan_counts(&mut conn) {
            let lock = counts
                .iter()
                .find(|(sql, ..)| sql.contains("webhook_endpoints") && sql.contains("FOR UPDATE"));
            let (_, generic_plans, _) =
                lock.unwrap_or_else(|| panic!("the lock statement is held: {counts:#?}"));
            assert!(*generic_plans >= 7, "the lock is planned again on every run: {counts:#?}");
        }
    }
);

/// On PostgreSQL, an enrollment naming its learner by id reads the learner in the statement
/// that locks the activity, and a waitlisted one finds its place in its INSERT (a round trip
/// fewer each, paid one after another by the leader of a busy activity's queue); both
/// statements stay prepared.
#[actix_web::test]
async fn the_learner_is_read_with_the_lock_in_one_prepared_statement_on_postgres() {
    let Some(app) = TestApp::spawn(ce_api::config::Backend::Postgres).await else { return };
    let server = app.handle();
    let setup = activity_with_seats(&app, Some(1), course()).await;
    let ids = learners(&app, 3);
    let mut conn = app.database.connect();
    let enroll =
        |conn: &mut ce_api::db::DbConnection, user_id: &str| enroll_on(conn, &setup.activity, user_id);
    // What the folded read found decides as before: a seat, then the waitlist, then a refusal
    // for the learner already enrolled.
    assert_eq!(
        enroll(&mut conn, &ids[0]).unwrap().status,
        ce_api::enrollments::dto::EnrollmentStatus::Registered
    );
    let waitlisted = enroll(&mut conn, &ids[1]).unwrap();
    assert_eq!(waitlisted.status, ce_api::enrollments::dto::EnrollmentStatus::Waitlisted);
    assert_eq!(waitlisted.waitlist_position, Some(1));
    assert_eq!(enroll(&mut conn, &ids[2]).unwrap().waitlist_position, Some(2));
    let again = enroll(&mut conn, &ids[0]).unwrap_err();
    assert!(format!("{again:?}").contains("already enrolled"), "{again:?}");
    let unknown = enroll(&mut conn, "nobody").unwrap_err();
    assert!(format!("{unknown:?}").contains("UnknownLearner"), "{unknown:?}");

    let held = crate::support::plans::held_prepared(&mut conn).expect("PostgreSQL");
    let folded: Vec<&String> =
        held.iter().filter(|sql| sql.contains("FOR UPDATE") && sql.contains("\"users\".\"role\"")).collect();
    assert_eq!(folded.len(), 1, "one prepared statement locks the activity and reads the learner: {held:#?}");
    // A waitlisted enrollment's place is found by its INSERT, itself prepared: no read of the
    // last place on its own.
    let placed = held.iter().filter(|sql| {
        sql.starts_with("INSERT INTO \"enrollments\"")
            && sql.contains("RETURNING \"enrollments\".\"waitlist_position\"")
    });
    assert_eq!(placed.count(), 1, "{held:#?}");
    let last_place =
        held.iter().filter(|sql| sql.starts_with("SELECT \"enrollments\".\"waitlist_position\""));
    assert_eq!(last_place.count(), 0, "{held:#?}");
    server.stop(true).await;
}
