//! Credit claims: the accreditors' rules (each refusal its own problem type, nothing stored),
//! review, amendment and revocation, transcripts, certificates, who may read what, and the
//! credit feed's exactly-once delivery under concurrent writers.

use std::collections::HashSet;

use actix_web::http::Method;
use ce_api::{activities::examples, auth::Role, db::schema::activities, users::NewUser};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::{
    db_test,
    support::{app::TestResponse, TestApp},
};

pub(crate) struct Setup {
    pub admin: String,
    pub planner: String,
    pub activity: String,
}

/// A published enduring material (self-paced, completed with minutes spent) offering
/// `designations`.
pub(crate) fn enduring(designations: Value, review: &str) -> Value {
    let mut body = examples::create_activity(chrono::Utc::now().date_naive());
    let object = body.as_object_mut().unwrap();
    for key in
        ["starts_at", "ends_at", "delivery", "location", "join_url", "registration_closes_at", "capacity"]
    {
        object.remove(key);
    }
    let today = chrono::Utc::now().date_naive();
    body["title"] = json!("Opioid Prescribing <Safely>");
    body["format"] = json!("enduring");
    body["medium"] = json!("online");
    body["release_date"] = json!(today);
    body["expiry_date"] = json!(today + chrono::Days::new(700));
    body["credit_designations"] = designations;
    body["credit_review"] = json!(review);
    body["completion_requirements"] = json!({"min_minutes": 30});
    body
}

pub(crate) fn ama(max: f64) -> Value {
    json!({"credit_type": "ama_pra_1", "max_amount": max})
}

/// A draft of `body` by a new planner.
pub(crate) async fn draft(app: &TestApp, body: Value) -> Setup {
    let admin = app.admin_token().await;
    let (_, planner) = app.user_with_role(&admin, "planner").await;
    let created = app.request(Method::POST, "/v1/activities").bearer(&planner).json(&body).send().await;
    created.assert_status(201);
    let activity = created.json()["id"].as_str().unwrap().to_string();
    Setup { admin, planner, activity }
}

/// `body` published (with a session and the surveys its requirements name, where missing).
pub(crate) async fn publish(app: &TestApp, body: Value) -> Setup {
    let setup = draft(app, body).await;
    app.publish(&setup.planner, &setup.activity).await.assert_status(200);
    setup
}

pub(crate) struct Learner {
    pub id: String,
    pub token: String,
    pub enrollment: String,
}

/// A new learner with `profile`, enrolled in the activity.
pub(crate) async fn enrolled_learner(app: &TestApp, setup: &Setup, profile: Value) -> Learner {
    let email = format!("learner-{}@example.org", uuid::Uuid::now_v7().simple());
    let (id, token) = app.learner(&email).await;
    app.request(Method::PATCH, "/v1/me").bearer(&token).json(&profile).send().await.assert_status(200);
    let enrollment = enroll(app, setup, &token).await;
    Learner { id, token, enrollment }
}

/// A learner with `profile` who enrolled and was reported complete after `minutes`.
pub(crate) async fn completed_learner(app: &TestApp, setup: &Setup, profile: Value, minutes: i32) -> Learner {
    let Learner { id, token, enrollment } = enrolled_learner(app, setup, profile).await;
    app.request(Method::POST, &format!("/v1/enrollments/{enrollment}/completion"))
        .bearer(&setup.planner)
        .json(&json!({"minutes_spent": minutes}))
        .send()
        .await
        .assert_status(200);
    Learner { id, token, enrollment }
}

pub(crate) async fn enroll(app: &TestApp, setup: &Setup, token: &str) -> String {
    let enrolled = app
        .request(Method::POST, &format!("/v1/activities/{}/enrollments", setup.activity))
        .bearer(token)
        .json(&json!({}))
        .send()
        .await;
    enrolled.assert_status(201);
    enrolled.json()["id"].as_str().unwrap().to_string()
}

/// The activity's outcome report as its planner reads it.
pub(crate) async fn outcome_report(app: &TestApp, setup: &Setup) -> Value {
    let report = app
        .request(Method::GET, &format!("/v1/activities/{}/outcomes", setup.activity))
        .bearer(&setup.planner)
        .send()
        .await;
    report.assert_status(200);
    report.json()
}

pub(crate) fn physician() -> Value {
    json!({"profession": "physician"})
}

pub(crate) async fn claim(app: &TestApp, token: &str, body: Value) -> TestResponse {
    app.request(Method::POST, "/v1/credit-claims").bearer(token).json(&body).send().await
}

pub(crate) fn claim_body(enrollment: &str, credit_type: &str, amount: f64) -> Value {
    json!({"enrollment_id": enrollment, "credit_type": credit_type, "amount": amount, "attestation": true})
}

pub(crate) async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> TestResponse {
    app.request(Method::POST, path).bearer(token).json(&body).send().await
}

/// Every event in the feed from the start, following cursors.
async fn feed(app: &TestApp, token: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = String::new();
    loop {
        let page = app
            .request(Method::GET, &format!("/v1/credit-events?limit=50&after={after}"))
            .bearer(token)
            .send()
            .await;
        page.assert_status(200);
        let page = page.json();
        events.extend(page["data"].as_array().unwrap().iter().cloned());
        after = page["next_cursor"].as_str().unwrap().to_string();
        if page["has_more"] == false {
            return events;
        }
    }
}

async fn transcript(app: &TestApp, token: &str) -> Value {
    let response = app.request(Method::GET, "/v1/me/transcript").bearer(token).send().await;
    response.assert_status(200);
    response.json()
}

fn total(transcript: &Value, credit_type: &str) -> f64 {
    transcript["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["credit_type"] == credit_type)
        .map_or(0.0, |t| t["amount"].as_f64().unwrap())
}

db_test!(
    async fn a_completed_learner_claims_credit_and_it_reaches_transcript_certificate_and_feed(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "automatic")).await;
        let learner =
            completed_learner(&app, &setup, json!({"profession": "physician", "degree": "MD"}), 95).await;
        let claimed = claim(&app, &learner.token, claim_body(&learner.enrollment, "ama_pra_1", 1.5)).await;
        claimed.assert_status(201);
        let claimed = claimed.json();
        assert_eq!(claimed["status"], "awarded");
        assert_eq!(claimed["amount"], 1.5);
        let id = claimed["id"].as_str().unwrap();

        let transcript = transcript(&app, &learner.token).await;
        assert_eq!(transcript["entries"].as_array().unwrap().len(), 1);
        let entry = &transcript["entries"][0];
        assert_eq!(entry["amount"], 1.5);
        assert_eq!(entry["format"], "enduring");
        assert_eq!(entry["activity_title"], "Opioid Prescribing <Safely>");
        assert_eq!(total(&transcript, "ama_pra_1"), 1.5);

        let csv = app
            .request(Method::GET, "/v1/me/transcript")
            .bearer(&learner.token)
            .header("accept", "text/csv")
            .send()
            .await;
        csv.assert_status(200);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let csv = csv.text();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2, "{csv}");
        assert_eq!(
            lines[1],
            format!(
                "{},Opioid Prescribing <Safely>,enduring,ama_pra_1,1.50,,{},{id}",
                entry["completion_date"].as_str().unwrap(),
                setup.activity
            )
        );
        // The `.csv` sibling path answers the same CSV, with the query kept; other paths have none.
        let sibling = app
            .request(Method::GET, &format!("/v1/users/{}/transcript.csv?from=2000-01-01", learner.id))
            .bearer(&learner.token)
            .send()
            .await;
        sibling.assert_status(200);
        assert!(sibling.header("content-disposition").unwrap().contains("transcript.csv"));
        assert_eq!(sibling.text(), csv);
        let later = app
            .request(Method::GET, "/v1/me/transcript.csv?from=2999-01-01")
            .bearer(&learner.token)
            .send()
            .await;
        assert_eq!(later.text().lines().count(), 1, "the query applies: only the header line");
        app.request(Method::GET, "/v1/activities.csv").bearer(&learner.token).send().await.assert_status(404);

        let events = feed(&app, &setup.admin).await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["type"], "credit.awarded");
        assert_eq!(events[0]["claim"]["id"], id);
        assert_eq!(events[0]["claim"]["status"], "awarded");
        assert_eq!(events[0]["learner"]["user_id"], learner.id.as_str());
        assert!(events[0]["learner"]["email"].as_str().unwrap().ends_with("@example.org"));

        let certificate = app
            .request(Method::GET, &format!("/v1/credit-claims/{id}/certificate"))
            .bearer(&learner.token)
            .send()
            .await;
        certificate.assert_status(200);
        assert!(certificate.header("content-type").unwrap().starts_with("text/html"));
        let html = certificate.text();
        assert!(html.contains("Test Learner, MD"), "learner name");
        assert!(html.contains("Opioid Prescribing &lt;Safely&gt;"), "title, escaped");
        assert!(!html.contains("joint providership"), "not jointly provided");
        assert!(html.contains("1.5 AMA PRA Category 1 Credits™"));
        assert!(
            html.contains("designates this enduring material for a maximum of 2 AMA PRA Category 1 Credits™")
        );
        assert!(html.contains(entry["completion_date"].as_str().unwrap()));
        let verification_url = claimed["verification_url"].as_str().unwrap();
        assert!(html.contains(verification_url));
        let path = &verification_url[verification_url.find("/v1/").unwrap()..];
        let verified = app.get(path).await;
        verified.assert_status(200);
        assert_eq!(verified.json()["valid"], true);
        assert_eq!(verified.json()["amount"], 1.5);
        app.get("/v1/credit-verifications/not-a-code").await.assert_problem(404, "not-found");
        // The transcript names the activity as it is now called.
        app.amend_activity(&setup.admin, &setup.activity, json!({"title": "Safer Opioid Prescribing"}))
            .await
            .assert_status(200);
        let renamed = self::transcript(&app, &learner.token).await;
        assert_eq!(renamed["entries"][0]["activity_title"], "Safer Opioid Prescribing");
        assert_eq!(renamed["entries"][0]["claim_id"], id);
        // A transcript period must run forwards.
        app.request(Method::GET, "/v1/me/transcript?from=2027-01-02&to=2027-01-01")
            .bearer(&learner.token)
            .send()
            .await
            .assert_problem(422, "validation");

        let history = app
            .request(Method::GET, &format!("/v1/credit-claims/{id}/history"))
            .bearer(&learner.token)
            .send()
            .await;
        let actions: Vec<Value> =
            history.json().as_array().unwrap().iter().map(|h| h["action"].clone()).collect();
        assert_eq!(actions, [json!("claimed"), json!("awarded")]);
    }
);

/// Moves an activity's claim deadline to yesterday, as if its year had passed.
fn expire_claims(app: &TestApp, activity: &str) {
    let mut conn = app.database.connect();
    let details: String =
        activities::table.find(activity).select(activities::details).first(&mut conn).unwrap();
    let mut details: Value = serde_json::from_str(&details).unwrap();
    let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(2);
    details["claim_deadline"] = json!(yesterday);
    diesel::update(activities::table.find(activity))
        .set((activities::details.eq(details.to_string()), activities::claim_deadline.eq(Some(yesterday))))
        .execute(&mut conn)
        .unwrap();
}

db_test!(
    async fn every_credit_rule_refuses_with_its_own_problem_and_stores_nothing(app: TestApp) {
        let designations = json!([
            ama(2.0),
            {"credit_type": "acpe", "max_amount": 2.0, "acpe_uan": "0197-0000-26-001-H01-P"},
            {"credit_type": "abim_moc", "max_amount": 2.0, "moc_credit_types": ["medical_knowledge"]}
        ]);
        let setup = publish(&app, enduring(designations, "automatic")).await;
        let doctor = completed_learner(&app, &setup, physician(), 150).await;
        let rule = |response: TestResponse, kind: &str, field: &str| {
            let problem = response.assert_problem(422, kind);
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        };
        let e = doctor.enrollment.as_str();
        rule(
            claim(&app, &doctor.token, claim_body(e, "ama_pra_1", 1.3)).await,
            "credit-amount-increment",
            "amount",
        );
        rule(
            claim(&app, &doctor.token, claim_body(e, "ama_pra_1", 2.25)).await,
            "credit-amount-exceeds-maximum",
            "amount",
        );
        rule(
            claim(&app, &doctor.token, claim_body(e, "ama_pra_1", -1.0)).await,
            "credit-amount-increment",
            "amount",
        );
        let unattested = json!({"enrollment_id": e, "credit_type": "ama_pra_1", "amount": 1.0});
        rule(claim(&app, &doctor.token, unattested).await, "attestation-required", "attestation");
        let false_attestation =
            json!({"enrollment_id": e, "credit_type": "ama_pra_1", "amount": 1.0, "attestation": false});
        rule(claim(&app, &doctor.token, false_attestation).await, "attestation-required", "attestation");
        // MOC points need the board ID, the birth month and day, and the learner's permission
        // to report.
        // ABIM counts MOC points by type: the claim names one the activity is registered for.
        rule(
            claim(&app, &doctor.token, claim_body(e, "abim_moc", 1.0)).await,
            "validation",
            "moc_credit_type",
        );
        let mut wrong_kind = claim_body(e, "abim_moc", 1.0);
        wrong_kind["moc_credit_type"] = json!("patient_safety");
        rule(claim(&app, &doctor.token, wrong_kind).await, "validation", "moc_credit_type");
        let mut moc_body = claim_body(e, "abim_moc", 1.0);
        moc_body["moc_credit_type"] = json!("medical_knowledge");
        let moc =
            claim(&app, &doctor.token, moc_body).await.assert_problem(422, "reporting-profile-incomplete");
        let fields: Vec<&str> =
            moc["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["board_ids.abim", "birth_mmdd", "consent_to_report"]);

        // Time spent caps the claim: 95 minutes support 1.5 credits, not 2.
        let brief = completed_learner(&app, &setup, physician(), 95).await;
        rule(
            claim(&app, &brief.token, claim_body(&brief.enrollment, "ama_pra_1", 2.0)).await,
            "credit-amount-exceeds-participation",
            "amount",
        );

        // A pharmacist claiming ACPE without the NABP e-Profile ID and birth month/day.
        let pharmacist = completed_learner(&app, &setup, json!({"profession": "pharmacist"}), 120).await;
        let acpe = claim(&app, &pharmacist.token, claim_body(&pharmacist.enrollment, "acpe", 1.0)).await;
        let problem = acpe.assert_problem(422, "reporting-profile-incomplete");
        assert_eq!(problem["errors"][0]["field"], "nabp_eprofile_id");
        // A nurse: AMA is designated here but not for nurses; ANCC is not designated at all.
        let nurse = completed_learner(&app, &setup, json!({"profession": "nurse"}), 120).await;
        rule(
            claim(&app, &nurse.token, claim_body(&nurse.enrollment, "ama_pra_1", 1.0)).await,
            "profession-not-eligible",
            "credit_type",
        );
        rule(
            claim(&app, &nurse.token, claim_body(&nurse.enrollment, "ancc", 1.0)).await,
            "credit-type-not-designated",
            "credit_type",
        );

        // Not completed yet.
        let starter = enrolled_learner(&app, &setup, physician()).await;
        rule(
            claim(&app, &starter.token, claim_body(&starter.enrollment, "ama_pra_1", 1.0)).await,
            "enrollment-not-completed",
            "enrollment_id",
        );

        // Nothing was stored by any refusal.
        let admin_view = app
            .request(Method::GET, &format!("/v1/credit-claims?activity_id={}", setup.activity))
            .bearer(&setup.admin)
            .send()
            .await;
        assert_eq!(admin_view.json()["data"].as_array().unwrap().len(), 0);
        assert!(feed(&app, &setup.admin).await.is_empty());

        // The one claim that passes; a second one for the same credit is a conflict naming it.
        let first = claim(&app, &doctor.token, claim_body(e, "ama_pra_1", 2.0)).await;
        first.assert_status(201);
        let first_id = first.json()["id"].as_str().unwrap().to_string();
        let duplicate = claim(&app, &doctor.token, claim_body(e, "ama_pra_1", 1.0))
            .await
            .assert_problem(409, "duplicate-claim");
        assert!(duplicate["detail"].as_str().unwrap().contains(&first_id));

        // Past the deadline.
        let late = completed_learner(&app, &setup, physician(), 120).await;
        expire_claims(&app, &setup.activity);
        rule(
            claim(&app, &late.token, claim_body(&late.enrollment, "ama_pra_1", 1.0)).await,
            "claim-deadline-passed",
            "enrollment_id",
        );

        let admin_view = app
            .request(Method::GET, &format!("/v1/credit-claims?activity_id={}", setup.activity))
            .bearer(&setup.admin)
            .send()
            .await;
        assert_eq!(admin_view.json()["data"].as_array().unwrap().len(), 1);
        assert_eq!(feed(&app, &setup.admin).await.len(), 1);
    }
);

db_test!(
    settings = crate::support::tokens_outlive_the_scenario;
    async fn a_series_credits_only_the_sessions_attended_and_overlaps_once(app: TestApp) {
        let now = chrono::Utc::now();
        let at = |minutes: i64| {
            (now + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let mut body = examples::create_activity(now.date_naive());
        body["format"] = json!("rss");
        body.as_object_mut().unwrap().remove("delivery");
        body["starts_at"] = json!(at(10));
        body["ends_at"] = json!(at(60 * 24 * 30));
        body["registration_closes_at"] = json!(at(60 * 24 * 29));
        body["registration_opens_at"] = json!(at(-60 * 24));
        body["credit_designations"] = json!([ama(1.0)]);
        body["completion_requirements"] = json!({});
        let setup = draft(&app, body).await;
        let mut sessions = Vec::new();
        // Two parallel breakouts, and one the next day.
        for (start, end) in [(60, 120), (60, 120), (24 * 60, 25 * 60)] {
            let created = post(
                &app,
                &setup.planner,
                &format!("/v1/activities/{}/sessions", setup.activity),
                json!({"title": "Grand rounds", "starts_at": at(start), "ends_at": at(end)}),
            )
            .await;
            created.assert_status(201);
            sessions.push(created.json()["id"].as_str().unwrap().to_string());
        }
        app.publish(&setup.planner, &setup.activity).await.assert_status(200);
        let Learner { id: user_id, token, enrollment } = enrolled_learner(&app, &setup, physician()).await;
        // Attendance is recorded once a session has ended, never ahead of it.
        app.record_attendance(&setup.planner, &sessions[2], &user_id, 60)
            .await
            .assert_problem(422, "session-not-ended");
        app.clock.travel(chrono::Duration::minutes(121));
        for session in &sessions[..2] {
            app.record_attendance(&setup.planner, session, &user_id, 60).await.assert_status(200);
        }
        // A series is credited per session, each claim dated with its session.
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 1.0))
            .await
            .assert_problem(422, "validation");
        let per_session = |session: &str, amount: f64| {
            let mut body = claim_body(&enrollment, "ama_pra_1", amount);
            body["session_id"] = json!(session);
            claim(&app, &token, body)
        };
        let first = per_session(&sessions[0], 1.0).await;
        first.assert_status(201);
        assert_eq!(first.json()["session_id"], sessions[0].as_str());
        // The parallel breakout overlaps the hour already credited: it counts once.
        let problem =
            per_session(&sessions[1], 1.0).await.assert_problem(422, "credit-amount-exceeds-attendance");
        assert!(problem["detail"].as_str().unwrap().contains("at most 0"), "{problem}");
        // Not attended: nothing to credit.
        per_session(&sessions[2], 1.0).await.assert_problem(422, "session-not-attended");
    }
);

db_test!(
    async fn revoking_and_amending_change_the_transcript_and_the_feed(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "automatic")).await;
        let revoked = completed_learner(&app, &setup, physician(), 120).await;
        let id = claim(&app, &revoked.token, claim_body(&revoked.enrollment, "ama_pra_1", 1.5)).await.json()
            ["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(total(&transcript(&app, &revoked.token).await, "ama_pra_1"), 1.5);
        // Learners do not revoke; a reason is required.
        post(&app, &revoked.token, &format!("/v1/credit-claims/{id}/revoke"), json!({"reason": "mine"}))
            .await
            .assert_problem(403, "forbidden");
        post(&app, &setup.planner, &format!("/v1/credit-claims/{id}/revoke"), json!({}))
            .await
            .assert_status(422);
        let done = post(
            &app,
            &setup.planner,
            &format!("/v1/credit-claims/{id}/revoke"),
            json!({"reason": "Attendance not verified"}),
        )
        .await;
        done.assert_status(200);
        assert_eq!(done.json()["status"], "revoked");
        assert_eq!(done.json()["decision_reason"], "Attendance not verified");
        assert_eq!(total(&transcript(&app, &revoked.token).await, "ama_pra_1"), 0.0);
        post(&app, &setup.planner, &format!("/v1/credit-claims/{id}/revoke"), json!({"reason": "again"}))
            .await
            .assert_problem(409, "invalid-transition");
        // The learner cannot simply claim it back.
        claim(&app, &revoked.token, claim_body(&revoked.enrollment, "ama_pra_1", 1.5))
            .await
            .assert_problem(409, "credit-revoked");
        let certificate = app
            .request(Method::GET, &format!("/v1/credit-claims/{id}/certificate"))
            .bearer(&revoked.token)
            .send()
            .await;
        certificate.assert_problem(409, "claim-not-awarded");
        let history = app
            .request(Method::GET, &format!("/v1/credit-claims/{id}/history"))
            .bearer(&revoked.token)
            .send()
            .await
            .json();
        assert_eq!(history[2]["action"], "revoked");
        assert_eq!(history[2]["reason"], "Attendance not verified");
        assert!(history[2]["actor"].as_str().unwrap().starts_with("user:"));

        let amended = completed_learner(&app, &setup, physician(), 120).await;
        let first =
            claim(&app, &amended.token, claim_body(&amended.enrollment, "ama_pra_1", 1.0)).await.json();
        let first_id = first["id"].as_str().unwrap();
        let second = post(
            &app,
            &amended.token,
            &format!("/v1/credit-claims/{first_id}/amend"),
            json!({"amount": 1.75, "attestation": true, "reason": "Finished the last module"}),
        )
        .await;
        second.assert_status(201);
        let second = second.json();
        assert_eq!(second["status"], "awarded");
        assert_eq!(second["supersedes_id"], first_id);
        let old = app
            .request(Method::GET, &format!("/v1/credit-claims/{first_id}"))
            .bearer(&amended.token)
            .send()
            .await
            .json();
        assert_eq!(old["status"], "superseded");
        assert_eq!(old["superseded_by_id"], second["id"]);
        let transcript = transcript(&app, &amended.token).await;
        assert_eq!(transcript["entries"].as_array().unwrap().len(), 1);
        assert_eq!(total(&transcript, "ama_pra_1"), 1.75);
        // An amendment obeys the same rules.
        post(
            &app,
            &amended.token,
            &format!("/v1/credit-claims/{}/amend", second["id"].as_str().unwrap()),
            json!({"amount": 2.25, "attestation": true}),
        )
        .await
        .assert_problem(422, "credit-amount-exceeds-maximum");
        post(
            &app,
            &amended.token,
            &format!("/v1/credit-claims/{first_id}/amend"),
            json!({"amount": 1.5, "attestation": true}),
        )
        .await
        .assert_problem(409, "invalid-transition");

        let events = feed(&app, &setup.admin).await;
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["credit.awarded", "credit.revoked", "credit.awarded", "credit.amended"]);
        assert_eq!(events[1]["claim"]["id"], id.as_str());
        assert_eq!(events[3]["claim"]["id"], second["id"]);
        assert_eq!(events[3]["replaces_claim_id"], first_id);
        // Verification pages tell that revoked and replaced credit no longer stands.
        let app = &app;
        let verify = |claim: &Value| {
            let url = claim["verification_url"].as_str().unwrap().to_string();
            async move { app.get(&url[url.find("/v1/").unwrap()..]).await.json() }
        };
        let revoked_claim = app
            .request(Method::GET, &format!("/v1/credit-claims/{id}"))
            .bearer(&revoked.token)
            .send()
            .await
            .json();
        let checked = verify(&revoked_claim).await;
        assert_eq!((checked["valid"].clone(), checked["status"].clone()), (json!(false), json!("revoked")));
        assert_eq!(verify(&old).await["status"], "superseded");
        assert_eq!(verify(&second).await["valid"], true);
    }
);

db_test!(
    async fn activities_that_review_claims_award_on_approval(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "required")).await;
        let learner = completed_learner(&app, &setup, physician(), 120).await;
        let pending =
            claim(&app, &learner.token, claim_body(&learner.enrollment, "ama_pra_1", 1.0)).await.json();
        assert_eq!(pending["status"], "pending");
        let id = pending["id"].as_str().unwrap();
        assert_eq!(total(&transcript(&app, &learner.token).await, "ama_pra_1"), 0.0);
        assert!(feed(&app, &setup.admin).await.is_empty());
        post(&app, &learner.token, &format!("/v1/credit-claims/{id}/approve"), json!({}))
            .await
            .assert_problem(403, "forbidden");
        let approved =
            post(&app, &setup.planner, &format!("/v1/credit-claims/{id}/approve"), json!({})).await;
        approved.assert_status(200);
        assert_eq!(approved.json()["status"], "awarded");
        post(&app, &setup.planner, &format!("/v1/credit-claims/{id}/approve"), json!({}))
            .await
            .assert_problem(409, "invalid-transition");
        // An amendment waits for review while the award stands; rejecting it keeps the award.
        let amendment = post(
            &app,
            &learner.token,
            &format!("/v1/credit-claims/{id}/amend"),
            json!({"amount": 2.0, "attestation": true}),
        )
        .await
        .json();
        assert_eq!(amendment["status"], "pending");
        assert_eq!(total(&transcript(&app, &learner.token).await, "ama_pra_1"), 1.0);
        let amendment_id = amendment["id"].as_str().unwrap();
        let rejected = post(
            &app,
            &setup.planner,
            &format!("/v1/credit-claims/{amendment_id}/reject"),
            json!({"reason": "Time log shows 2 hours at most"}),
        )
        .await;
        assert_eq!(rejected.json()["status"], "rejected");
        assert_eq!(total(&transcript(&app, &learner.token).await, "ama_pra_1"), 1.0);
        // Approved amendments replace the award.
        let again = post(
            &app,
            &learner.token,
            &format!("/v1/credit-claims/{id}/amend"),
            json!({"amount": 1.75, "attestation": true}),
        )
        .await
        .json();
        post(
            &app,
            &setup.planner,
            &format!("/v1/credit-claims/{}/approve", again["id"].as_str().unwrap()),
            json!({"reason": "Checked"}),
        )
        .await
        .assert_status(200);
        assert_eq!(total(&transcript(&app, &learner.token).await, "ama_pra_1"), 1.75);
        let types: Vec<String> =
            feed(&app, &setup.admin).await.iter().map(|e| e["type"].as_str().unwrap().to_string()).collect();
        assert_eq!(types, ["credit.awarded", "credit.amended"]);
        // Planners list what waits for them.
        let listed = app
            .request(Method::GET, "/v1/credit-claims?status=rejected")
            .bearer(&setup.planner)
            .send()
            .await
            .json();
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn claims_certificates_and_transcripts_are_private(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "automatic")).await;
        let owner = completed_learner(&app, &setup, physician(), 120).await;
        let other = completed_learner(&app, &setup, physician(), 120).await;
        let id = claim(&app, &owner.token, claim_body(&owner.enrollment, "ama_pra_1", 1.0)).await.json()
            ["id"]
            .as_str()
            .unwrap()
            .to_string();
        for path in [
            format!("/v1/credit-claims/{id}"),
            format!("/v1/credit-claims/{id}/certificate"),
            format!("/v1/credit-claims/{id}/history"),
            format!("/v1/users/{}/transcript", owner.id),
        ] {
            app.request(Method::GET, &path)
                .bearer(&other.token)
                .send()
                .await
                .assert_problem(404, "not-found");
        }
        // Nor claim on another's enrollment.
        claim(&app, &other.token, claim_body(&owner.enrollment, "ama_pra_1", 1.0))
            .await
            .assert_problem(404, "not-found");
        let listed = app.request(Method::GET, "/v1/credit-claims").bearer(&other.token).send().await.json();
        assert!(listed["data"].as_array().unwrap().is_empty());
        // Learners and planners do not read the feed; a client needs credits:read.
        for token in [&other.token, &setup.planner] {
            app.request(Method::GET, "/v1/credit-events")
                .bearer(token)
                .send()
                .await
                .assert_problem(403, "forbidden");
        }
        let (client, secret) = app.integration_client(&setup.admin, &["enrollments:read"]).await;
        let narrow = app.client_access_token(&client, &secret).await;
        app.request(Method::GET, "/v1/credit-events")
            .bearer(&narrow)
            .send()
            .await
            .assert_problem(403, "insufficient_scope");
        app.request(Method::GET, &format!("/v1/credit-claims/{id}"))
            .bearer(&narrow)
            .send()
            .await
            .assert_problem(403, "insufficient_scope");
        let (client, secret) = app.integration_client(&setup.admin, &["credits:read"]).await;
        let lms = app.client_access_token(&client, &secret).await;
        assert_eq!(feed(&app, &lms).await.len(), 1);
        let transcript =
            app.request(Method::GET, &format!("/v1/users/{}/transcript", owner.id)).bearer(&lms).send().await;
        transcript.assert_status(200);
        assert_eq!(total(&transcript.json(), "ama_pra_1"), 1.0);
        // A planner of another activity sees nothing of this one.
        let (_, stranger) = app.user_with_role(&setup.admin, "planner").await;
        app.request(Method::GET, &format!("/v1/credit-claims/{id}"))
            .bearer(&stranger)
            .send()
            .await
            .assert_problem(404, "not-found");
        // A misspelt filter is refused rather than ignored (it would return everything).
        app.request(Method::GET, "/v1/credit-claims?stauts=awarded")
            .bearer(&lms)
            .send()
            .await
            .assert_problem(400, "malformed-request");
        // Garbage cursors are the client's mistake.
        app.request(Method::GET, "/v1/credit-events?after=%%%").bearer(&lms).send().await.assert_status(400);
    }
);

db_test!(
    async fn claims_are_idempotent_with_a_key(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "automatic")).await;
        let learner = completed_learner(&app, &setup, physician(), 120).await;
        let send = |body: Value| {
            app.request(Method::POST, "/v1/credit-claims")
                .bearer(&learner.token)
                .header("idempotency-key", "claim-1")
                .json(&body)
                .send()
        };
        let body = claim_body(&learner.enrollment, "ama_pra_1", 1.0);
        let (first, second) = futures_util::future::join(send(body.clone()), send(body.clone())).await;
        first.assert_status(201);
        second.assert_status(201);
        assert_eq!(first.json()["id"], second.json()["id"]);
        send(claim_body(&learner.enrollment, "ama_pra_1", 1.5))
            .await
            .assert_problem(422, "idempotency-key-reused");
        assert_eq!(feed(&app, &setup.admin).await.len(), 1, "one award, one event");
        // Amendments too: a retried amendment is one amendment.
        let amend = format!("/v1/credit-claims/{}/amend", first.json()["id"].as_str().unwrap());
        let amend_once = || {
            app.request(Method::POST, &amend)
                .bearer(&learner.token)
                .header("idempotency-key", "amend-1")
                .json(&json!({"amount": 1.25, "attestation": true}))
                .send()
        };
        let (one, again) = futures_util::future::join(amend_once(), amend_once()).await;
        one.assert_status(201);
        again.assert_status(201);
        assert_eq!(one.json()["id"], again.json()["id"]);
        assert_eq!(feed(&app, &setup.admin).await.len(), 2, "one award, one amendment");
    }
);

/// `count` physicians with completed enrollments in the activity, written straight to the
/// database in one transaction (the race test needs thousands).
pub(crate) fn completed_enrollments(app: &TestApp, activity: &str, count: usize) -> Vec<String> {
    use ce_api::{
        db::schema::enrollments,
        enrollments::{dto::EnrollmentStatus, EnrollmentRow},
        users::dto::Profession,
    };
    let mut conn = app.database.connect();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        let now = ce_api::db::now();
        let mut ids = Vec::with_capacity(count);
        for n in 0..count {
            let user = ce_api::users::fixtures::insert(
                conn,
                NewUser {
                    email: format!("race{n}-{}@example.org", uuid::Uuid::now_v7().simple()),
                    password_hash: None,
                    role: Role::Learner,
                    first_name: "R".into(),
                    last_name: format!("{n}"),
                    profession: Some(Profession::Physician),
                    external_id: Some(format!("EXT-{n}")),
                    email_verified: true,
                },
            )
            .unwrap();
            let mut row = EnrollmentRow::new(activity, &user.id, EnrollmentStatus::Completed, "test");
            row.minutes_spent = Some(120);
            row.completed_at = Some(now);
            row.completion_date = Some(now.date());
            diesel::insert_into(enrollments::table).values(&row).execute(conn)?;
            ids.push(row.id);
        }
        Ok(ids)
    })
    .unwrap()
}

/// 8 writers award 2,000 credits while a reader polls the feed with its cursor: the reader
/// ends with exactly 2,000 distinct awards, none missed and none repeated.
#[actix_web::test]
async fn the_feed_delivers_every_award_exactly_once_while_writers_race() {
    const AWARDS: usize = 2_000;
    const WRITERS: usize = 8;
    let patient = |s: &mut ce_api::config::Settings| {
        s.db_timeout = std::time::Duration::from_secs(60);
        s.db_pool_size = 12;
    };
    for backend in [ce_api::config::Backend::Sqlite, ce_api::config::Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, patient).await else { continue };
        let setup = publish(&app, enduring(json!([ama(2.0)]), "automatic")).await;
        let started = std::time::Instant::now();
        let enrollments = completed_enrollments(&app, &setup.activity, AWARDS);
        eprintln!("{backend:?}: setup {:?}", started.elapsed());
        // On PostgreSQL half of the writers go through a second instance.
        let replica = (backend == ce_api::config::Backend::Postgres).then(|| app.replica_with(patient));
        let writers = (0..WRITERS).map(|w| {
            let mine: Vec<String> = enrollments.iter().skip(w).step_by(WRITERS).cloned().collect();
            let (app, replica, admin) = (&app, &replica, setup.admin.clone());
            async move {
                for enrollment in mine {
                    let request = match (replica, w % 2) {
                        (Some(replica), 1) => replica.request(Method::POST, "/v1/credit-claims"),
                        _ => app.request(Method::POST, "/v1/credit-claims"),
                    };
                    let response =
                        request.bearer(&admin).json(&claim_body(&enrollment, "ama_pra_1", 1.0)).send().await;
                    response.assert_status(201);
                }
            }
        });
        let writing = futures_util::future::join_all(writers);
        let done = std::cell::Cell::new(false);
        let reader = async {
            let mut seen_events = HashSet::new();
            let mut seen_claims = HashSet::new();
            let mut after = String::new();
            let mut polls = 0;
            loop {
                // Read before asking: if the writers had finished by then, this page sees
                // every commit, and an empty tail means the reader is done.
                let writers_finished = done.get();
                let page = app
                    .request(Method::GET, &format!("/v1/credit-events?limit=37&after={after}"))
                    .bearer(&setup.admin)
                    .send()
                    .await;
                page.assert_status(200);
                let page = page.json();
                polls += 1;
                for event in page["data"].as_array().unwrap() {
                    assert!(
                        seen_events.insert(event["event_id"].as_str().unwrap().to_string()),
                        "event repeated"
                    );
                    assert!(
                        seen_claims.insert(event["claim"]["id"].as_str().unwrap().to_string()),
                        "award repeated"
                    );
                    assert_eq!(event["type"], "credit.awarded");
                }
                after = page["next_cursor"].as_str().unwrap().to_string();
                if seen_claims.len() >= AWARDS || (writers_finished && page["has_more"] == false) {
                    return (seen_claims, polls);
                }
                if page["has_more"] == false {
                    actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }
        };
        let writing = async {
            writing.await;
            done.set(true);
        };
        let (_, (seen, polls)) = futures_util::future::join(writing, reader).await;
        eprintln!("{backend:?}: raced {:?}", started.elapsed());
        assert_eq!(seen.len(), AWARDS, "{backend:?}: every award once");
        assert!(polls > 10, "{backend:?}: the reader polled while the writers wrote ({polls} polls)");
        // And a reader starting over sees the same, in the same order.
        assert_eq!(feed(&app, &setup.admin).await.len(), AWARDS);
    }
}

/// The ordering the feed rests on, made visible: while one transaction holds an appended
/// event uncommitted, a second appender cannot commit (so a reader can never see event 2 and
/// then have event 1 appear behind its cursor).
#[actix_web::test]
async fn a_later_event_cannot_commit_before_an_earlier_one() {
    use ce_api::{
        credit_events::{dto::CreditEventType, service as store},
        db::schema::credit_events,
    };
    let Some(app) = TestApp::spawn(ce_api::config::Backend::Postgres).await else { return };
    let setup = publish(&app, enduring(json!([ama(2.0)]), "required")).await;
    let learners = completed_enrollments(&app, &setup.activity, 2);
    let mut claims = Vec::new();
    for enrollment in &learners {
        let pending = claim(&app, &setup.admin, claim_body(enrollment, "ama_pra_1", 1.0)).await;
        claims
            .push(serde_json::from_value::<ce_api::credit_claims::dto::CreditClaim>(pending.json()).unwrap());
    }
    let mut first = app.database.connect();
    let mut reader = app.database.connect();
    let count =
        |conn: &mut ce_api::db::DbConnection| credit_events::table.count().get_result::<i64>(conn).unwrap();
    diesel::sql_query("BEGIN").execute(&mut first).unwrap();
    store::append(&mut first, CreditEventType::Awarded, &claims[0], None).unwrap();
    let second_claim = claims[1].clone();
    let database = app.database.url.clone();
    let second = std::thread::spawn(move || {
        let mut conn = ce_api::db::establish(&database).unwrap();
        conn.transaction::<_, ce_api::error::ApiError, _>(|conn| {
            store::append(conn, CreditEventType::Awarded, &second_claim, None)
        })
        .unwrap();
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!second.is_finished(), "the second appender waits for the first to commit");
    assert_eq!(count(&mut reader), 0);
    diesel::sql_query("COMMIT").execute(&mut first).unwrap();
    second.join().unwrap();
    let order: Vec<(i64, String)> = credit_events::table
        .order(credit_events::seq)
        .select((credit_events::seq, credit_events::claim_id))
        .load(&mut reader)
        .unwrap();
    assert_eq!(order, [(1, claims[0].id.clone()), (2, claims[1].id.clone())]);
}

db_test!(
    async fn audit_history_cannot_be_rewritten(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "automatic")).await;
        let learner = completed_learner(&app, &setup, physician(), 120).await;
        claim(&app, &learner.token, claim_body(&learner.enrollment, "ama_pra_1", 1.0))
            .await
            .assert_status(201);
        let mut conn = app.database.connect();
        for (statement, table) in [
            ("UPDATE credit_claim_audit SET reason = 'edited'", "credit_claim_audit"),
            ("DELETE FROM credit_claim_audit", "credit_claim_audit"),
            ("UPDATE credit_events SET event_type = 'credit.revoked'", "credit_events"),
            ("DELETE FROM credit_events", "credit_events"),
        ] {
            let error = diesel::sql_query(statement).execute(&mut conn).expect_err(statement).to_string();
            assert!(error.contains(table), "{statement}: refused by the trigger, not by accident: {error}");
        }
        // Past its retention an audit row may go (a purge job's work).
        use ce_api::db::schema::credit_claim_audit;
        let expired = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
        let claim_id: String =
            credit_claim_audit::table.select(credit_claim_audit::claim_id).first(&mut conn).unwrap();
        diesel::insert_into(credit_claim_audit::table)
            .values((
                credit_claim_audit::id.eq("expired-row"),
                credit_claim_audit::claim_id.eq(&claim_id),
                credit_claim_audit::action.eq("claimed"),
                credit_claim_audit::to_status.eq("pending"),
                credit_claim_audit::actor.eq("test"),
                credit_claim_audit::occurred_at.eq(expired.and_hms_opt(0, 0, 0).unwrap()),
                credit_claim_audit::retain_until.eq(expired),
            ))
            .execute(&mut conn)
            .unwrap();
        let purged =
            diesel::sql_query("DELETE FROM credit_claim_audit WHERE id = 'expired-row'").execute(&mut conn);
        assert_eq!(purged.unwrap(), 1);
    }
);

db_test!(
    async fn nobody_decides_their_own_claim_and_the_history_names_who_did(app: TestApp) {
        let setup = publish(&app, enduring(json!([ama(2.0)]), "required")).await;
        // The planner and an administrator take the course themselves (staff are physicians too).
        let (planner_id, id) = own_claim(&app, &setup, &setup.planner, 120).await;
        for action in ["approve", "reject", "revoke"] {
            post(
                &app,
                &setup.planner,
                &format!("/v1/credit-claims/{id}/{action}"),
                json!({"reason": "Mine"}),
            )
            .await
            .assert_problem(403, "own-claim-decision");
        }
        // Administrators included: an administrator's own claim waits for someone else.
        let (admin_id, admin_claim_id) = own_claim(&app, &setup, &setup.admin, 90).await;
        post(&app, &setup.admin, &format!("/v1/credit-claims/{admin_claim_id}/approve"), json!({}))
            .await
            .assert_problem(403, "own-claim-decision");
        // Each approves the other's; the history says who.
        post(&app, &setup.admin, &format!("/v1/credit-claims/{id}/approve"), json!({"reason": "Checked"}))
            .await
            .assert_status(200);
        post(&app, &setup.planner, &format!("/v1/credit-claims/{admin_claim_id}/approve"), json!({}))
            .await
            .assert_status(200);
        let history = app
            .request(Method::GET, &format!("/v1/credit-claims/{id}/history"))
            .bearer(&setup.planner)
            .send()
            .await
            .json();
        let approval =
            history.as_array().unwrap().iter().find(|e| e["action"] == "approved").unwrap().clone();
        assert_eq!(approval["actor"], format!("user:{admin_id}"));
        let history = app
            .request(Method::GET, &format!("/v1/credit-claims/{admin_claim_id}/history"))
            .bearer(&setup.admin)
            .send()
            .await
            .json();
        let approval =
            history.as_array().unwrap().iter().find(|e| e["action"] == "approved").unwrap().clone();
        assert_eq!(approval["actor"], format!("user:{planner_id}"));
        // Revoking is likewise someone else's: the planner may not revoke their own award.
        post(&app, &setup.planner, &format!("/v1/credit-claims/{id}/revoke"), json!({"reason": "Mine"}))
            .await
            .assert_problem(403, "own-claim-decision");
    }
);

/// A staff member (`token`) enrolls as a physician, completes after `minutes` and claims 1.5
/// AMA credits; returns their user id and the claim id.
async fn own_claim(app: &TestApp, setup: &Setup, token: &str, minutes: i32) -> (String, String) {
    let me = app.request(Method::GET, "/v1/me").bearer(token).send().await.json();
    app.request(Method::PATCH, "/v1/me").bearer(token).json(&physician()).send().await.assert_status(200);
    let enrollment = enroll(app, setup, token).await;
    post(app, token, &format!("/v1/enrollments/{enrollment}/completion"), json!({"minutes_spent": minutes}))
        .await
        .assert_status(200);
    let claimed = claim(app, token, claim_body(&enrollment, "ama_pra_1", 1.5)).await;
    claimed.assert_status(201);
    (me["id"].as_str().unwrap().to_string(), claimed.json()["id"].as_str().unwrap().to_string())
}

/// A pharmacist who completed the ACPE activity of `setup`, awarded one contact hour.
async fn awarded_pharmacist(app: &TestApp, setup: &Setup) -> Learner {
    let profile = json!({"profession": "pharmacist", "nabp_eprofile_id": "7654321", "birth_mmdd": "0412"});
    let pharmacist = completed_learner(app, setup, profile, 120).await;
    claim(app, &pharmacist.token, claim_body(&pharmacist.enrollment, "acpe", 1.0)).await.assert_status(201);
    pharmacist
}

db_test!(
    async fn acpe_credit_goes_only_to_the_audience_its_uan_names(app: TestApp) {
        let acpe = json!([{"credit_type": "acpe", "max_amount": 2.0, "acpe_uan": "0197-0000-26-001-H01-P"}]);
        let setup = publish(&app, enduring(acpe, "automatic")).await;
        let profile =
            json!({"profession": "pharmacy_technician", "nabp_eprofile_id": "1234567", "birth_mmdd": "0412"});
        let technician = completed_learner(&app, &setup, profile, 120).await;
        let refused = claim(&app, &technician.token, claim_body(&technician.enrollment, "acpe", 1.0))
            .await
            .assert_problem(422, "profession-not-eligible");
        assert_eq!(refused["errors"][0]["field"], "credit_type");
        assert!(refused["errors"][0]["message"].as_str().unwrap().contains("pharmacists"), "{refused}");
        let pharmacist = awarded_pharmacist(&app, &setup).await;
        // The pharmacist's transcript line carries the UAN CPE Monitor knows the activity by.
        let line = &transcript(&app, &pharmacist.token).await["entries"][0];
        assert_eq!(line["credit_type"], "acpe");
        assert_eq!(line["acpe_uan"], "0197-0000-26-001-H01-P");
    }
);

db_test!(
    async fn minutes_an_lms_reports_before_the_evaluation_are_kept_until_it_is_done(app: TestApp) {
        let mut body = enduring(json!([ama(2.0)]), "automatic");
        body["completion_requirements"] = json!({"min_minutes": 30, "evaluation_required": true});
        let setup = publish(&app, body).await;
        let Learner { token, enrollment, .. } = enrolled_learner(&app, &setup, physician()).await;
        let reported = post(
            &app,
            &setup.planner,
            &format!("/v1/enrollments/{enrollment}/completion"),
            json!({"minutes_spent": 95}),
        )
        .await;
        reported.assert_status(202);
        assert_eq!(reported.json()["status"], "registered");
        assert_eq!(reported.json()["minutes_spent"], 95, "the minutes are kept");
        let surveys = app
            .request(Method::GET, &format!("/v1/activities/{}/surveys", setup.activity))
            .bearer(&token)
            .send()
            .await
            .json();
        let evaluation = surveys[0]["id"].as_str().unwrap().to_string();
        post(
            &app,
            &token,
            &format!("/v1/surveys/{evaluation}/responses"),
            json!({"answers": [{"question_id": "relevance", "value": 4}]}),
        )
        .await
        .assert_status(201);
        // The evaluation was the last requirement: completed, and the 95 minutes count.
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 2.0))
            .await
            .assert_problem(422, "credit-amount-exceeds-participation");
        claim(&app, &token, claim_body(&enrollment, "ama_pra_1", 1.5)).await.assert_status(201);
    }
);

/// The text a PDF shows: the strings of its (uncompressed) text operators, joined by lines.
/// Literal strings only, with their escapes undone: what `Tj` draws.
fn pdf_text(pdf: &[u8]) -> String {
    let mut lines = Vec::new();
    let mut rest = pdf;
    while let Some(start) = rest.windows(1).position(|w| w == b"(") {
        let mut text = Vec::new();
        let mut index = start + 1;
        while index < rest.len() && rest[index] != b')' {
            if rest[index] == b'\\' && index + 1 < rest.len() {
                index += 1;
            }
            text.push(rest[index]);
            index += 1;
        }
        if rest[index..].starts_with(b") Tj") {
            lines.push(text.iter().map(|b| *b as char).collect::<String>());
        }
        rest = &rest[index.min(rest.len() - 1) + 1..];
    }
    lines.join("\n")
}

db_test!(
    async fn certificates_carry_the_providers_statements_as_html_and_pdf(app: TestApp) {
        let admin = app.admin_token().await;
        // Until an administrator saves it, the settings stand in for the profile.
        let initial = app.get("/v1/provider").await;
        initial.assert_status(200);
        assert_eq!(initial.json()["configured"], false);
        let profile = json!({
            "legal_name": "Riverside University CE",
            "address": "100 University Ave, Springfield, IL",
            "accreditations": [{"accreditor": "acpe", "provider_number": "0197"}],
            "signatory_name": "Dana Lee, PharmD",
            "signatory_title": "Director of Continuing Education",
            "logo_url": "https://ce.example.org/logo.png"
        });
        let acpe = json!([{"credit_type": "acpe", "max_amount": 2.0, "acpe_uan": "0197-0000-26-001-H01-P"}]);
        let mut jointly = enduring(acpe, "automatic");
        jointly["jointly_provided_with"] = json!("County Pharmacists Society");
        let setup = publish(&app, jointly).await;
        app.request(Method::PUT, "/v1/provider")
            .bearer(&setup.planner)
            .json(&profile)
            .send()
            .await
            .assert_problem(403, "forbidden");
        let saved = app.request(Method::PUT, "/v1/provider").bearer(&admin).json(&profile).send().await;
        saved.assert_status(200);
        assert_eq!(saved.json()["configured"], true);
        app.request(Method::PUT, "/v1/provider")
            .bearer(&admin)
            .header("if-match", "\"0\"")
            .json(&profile)
            .send()
            .await
            .assert_problem(412, "precondition-failed");

        let pharmacist_profile =
            json!({"profession": "pharmacist", "nabp_eprofile_id": "1234567", "birth_mmdd": "0412"});
        let pharmacist = completed_learner(&app, &setup, pharmacist_profile, 120).await;
        let claimed = claim(&app, &pharmacist.token, claim_body(&pharmacist.enrollment, "acpe", 2.0)).await;
        claimed.assert_status(201);
        let id = claimed.json()["id"].as_str().unwrap().to_string();
        let statement =
            "Riverside University CE is accredited by the Accreditation Council for Pharmacy Education as a \
                         provider of continuing pharmacy education.";
        let html = app
            .request(Method::GET, &format!("/v1/credit-claims/{id}/certificate"))
            .bearer(&pharmacist.token)
            .send()
            .await
            .text();
        assert!(html.contains(statement), "{html}");
        assert!(html.contains("This enduring material is approved for up to 2 ACPE contact hours."));
        assert!(html.contains("Dana Lee, PharmD, Director of Continuing Education"));
        assert!(!html.contains("set CE_PROVIDER_NAME"));
        assert!(html.contains(
            "through the joint providership of Riverside University CE and County Pharmacists Society."
        ));
        assert!(html.contains("<img src=\"https://ce.example.org/logo.png\""));

        let pdf = app
            .request(Method::GET, &format!("/v1/credit-claims/{id}/certificate"))
            .bearer(&pharmacist.token)
            .header("accept", "application/pdf")
            .send()
            .await;
        pdf.assert_status(200);
        assert_eq!(pdf.header("content-type").as_deref(), Some("application/pdf"));
        assert!(pdf.body.starts_with(b"%PDF-"), "a PDF header");
        assert!(String::from_utf8_lossy(&pdf.body).trim_end().ends_with("%%EOF"), "a PDF trailer");
        let text = pdf_text(&pdf.body);
        assert!(text.contains("ACPE Universal Activity Number: 0197-0000-26-001-H01-P"), "{text}");
        // The statement is wrapped over lines: compare it word for word.
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>().join(" ");
        assert!(words(&text).contains(&words(statement)), "{text}");
        let own_path = app
            .request(Method::GET, &format!("/v1/credit-claims/{id}/certificate.pdf"))
            .bearer(&pharmacist.token)
            .send()
            .await;
        assert_eq!(own_path.header("content-type").as_deref(), Some("application/pdf"));
        assert_eq!(own_path.body, pdf.body, "the PDF at its own path");

        // The verification link answers browsers with a page, programs with JSON.
        let url = claimed.json()["verification_url"].as_str().unwrap().to_string();
        let path = &url[url.find("/v1/").unwrap()..];
        let page = app.request(Method::GET, path).header("accept", "text/html").send().await;
        assert!(page.header("content-type").unwrap().starts_with("text/html"));
        assert!(page.text().contains("Valid: this credit stands."));
        assert_eq!(app.get(path).await.json()["provider"], "Riverside University CE");
    }
);

db_test!(
    async fn moc_claims_record_the_board_and_the_kind_of_points(app: TestApp) {
        let designations = json!([
            ama(2.0),
            {"credit_type": "abim_moc", "max_amount": 2.0, "moc_credit_types": ["medical_knowledge", "patient_safety"]}
        ]);
        let setup = publish(&app, enduring(designations, "automatic")).await;
        let profile = json!({"profession": "physician", "board_ids": {"abim": "123456"}, "birth_mmdd": "0412",
                             "consent_to_report": true});
        let doctor = completed_learner(&app, &setup, profile, 120).await;
        let mut body = claim_body(&doctor.enrollment, "abim_moc", 1.0);
        body["moc_credit_type"] = json!("patient_safety");
        let awarded = claim(&app, &doctor.token, body).await;
        awarded.assert_status(201);
        assert_eq!(awarded.json()["moc_board"], "abim");
        assert_eq!(awarded.json()["moc_credit_type"], "patient_safety");
        // AMA credit names no MOC type.
        let mut ama_body = claim_body(&doctor.enrollment, "ama_pra_1", 1.0);
        ama_body["moc_credit_type"] = json!("patient_safety");
        let refused = claim(&app, &doctor.token, ama_body).await.assert_problem(422, "validation");
        assert_eq!(refused["errors"][0]["field"], "moc_credit_type");
    }
);

db_test!(
    async fn claims_awarded_before_transcript_lines_were_kept_get_them_on_upgrade(app: TestApp) {
        let acpe = json!([{"credit_type": "acpe", "max_amount": 2.0, "acpe_uan": "0197-0000-26-001-H01-P"}]);
        let setup = publish(&app, enduring(acpe, "automatic")).await;
        let pharmacist = awarded_pharmacist(&app, &setup).await;
        crate::support::database::remigrate_from(&mut app.database.connect(), "2026-11-30-000024");
        let line = &transcript(&app, &pharmacist.token).await["entries"][0];
        assert_eq!(line["activity_title"], "Opioid Prescribing <Safely>");
        assert_eq!(line["format"], "enduring");
        assert_eq!(line["acpe_uan"], "0197-0000-26-001-H01-P");
    }
);

db_test!(
    async fn a_transcript_reads_one_index_range_in_order(app: TestApp) {
        // A learner's awarded claims come from the partial index in transcript order, whatever
        // the learner: no lookups of activities, no sort of a thousand lines.
        use ce_api::db::schema::credit_claims;
        let query = ce_api::credit_claims::fixtures::transcript_lines("learner").select(credit_claims::id);
        let plan = crate::support::plans::generic_plan(&app.database, &query, 1);
        assert!(plan.iter().any(|line| line.contains("credit_claims_transcript")), "{plan:#?}");
        assert!(!plan.iter().any(|line| line.contains("Sort") || line.contains("TEMP B-TREE")), "{plan:#?}");
        if let Some(held) = crate::support::plans::prepared_after_two_runs(&app.database, &query) {
            assert!(held.iter().any(|sql| sql.contains("= 'awarded'")), "{held:#?}");
        }
    }
);

db_test!(
    async fn an_enrollments_claims_are_found_by_index_in_any_status(app: TestApp) {
        // Run with any enrollment, credit type and status, the lookup filing and amending
        // make reads an index, not the whole table.
        use ce_api::db::schema::credit_claims;
        let query = credit_claims::table
            .filter(credit_claims::enrollment_id.eq("enrollment"))
            .filter(credit_claims::credit_type.eq("ama_pra_1"))
            .filter(credit_claims::status.eq("revoked"))
            .select(credit_claims::id);
        let plan = crate::support::plans::generic_plan(&app.database, &query, 3);
        assert!(plan.iter().any(|line| line.contains("credit_claims_enrollment")), "{plan:#?}");
    }
);
