//! LMS integration: learners found by the LMS's own ids, NPI or email, and created or
//! updated by them (idempotently, without touching what is the learner's own).

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::{db_test, support::TestApp};

async fn client_token(app: &TestApp, admin: &str, scopes: &[&str]) -> String {
    let (id, secret) = app.integration_client(admin, scopes).await;
    app.client_token(&id, &secret, None).await.json()["access_token"].as_str().unwrap().to_string()
}

async fn upsert(
    app: &TestApp,
    token: &str,
    external_id: &str,
    body: &Value,
) -> crate::support::app::TestResponse {
    app.request(Method::PUT, &format!("/v1/users/by-external-id/{external_id}"))
        .bearer(token)
        .json(body)
        .send()
        .await
}

async fn lookup(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let page = app.request(Method::GET, &format!("/v1/users?{query}")).bearer(token).send().await;
    page.assert_status(200);
    page.json()["data"].as_array().unwrap().clone()
}

db_test!(
    async fn an_lms_creates_and_updates_its_learners_by_its_own_ids(app: TestApp) {
        let admin = app.admin_token().await;
        let lms = client_token(&app, &admin, &["users:read", "users:write"]).await;
        let other_lms = client_token(&app, &admin, &["users:read", "users:write"]).await;
        let body = json!({"email": "pat.lee@hospital.example", "first_name": "Pat", "last_name": "Lee",
            "profession": "nurse", "degree": "RN", "npi": "1234567893"});

        let created = upsert(&app, &lms, "EMP-1001", &body).await;
        created.assert_status(201);
        assert!(created.header("location").unwrap().starts_with("/v1/users/"));
        let user = created.json();
        assert_eq!((user["role"].as_str(), user["email_verified"].as_bool()), (Some("learner"), Some(true)));
        // The same body again: the same learner, nothing changed.
        let again = upsert(&app, &lms, "EMP-1001", &body).await;
        again.assert_status(200);
        assert_eq!(again.json()["id"], user["id"]);
        assert_eq!(again.json()["version"], user["version"], "no change, no new version");
        // The LMS is the source of an account it created.
        let mut renamed = body.clone();
        renamed["last_name"] = json!("Lee-Park");
        let updated = upsert(&app, &lms, "EMP-1001", &renamed).await.json();
        assert_eq!(
            (updated["last_name"].as_str(), updated["id"].clone()),
            (Some("Lee-Park"), user["id"].clone())
        );

        // Lookups: by its own id (another client's ids are another namespace), NPI, email.
        let found = lookup(&app, &lms, "external_id=EMP-1001").await;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["id"], user["id"]);
        assert!(lookup(&app, &other_lms, "external_id=EMP-1001").await.is_empty());
        assert_eq!(lookup(&app, &lms, "npi=1234567893").await[0]["id"], user["id"]);
        assert_eq!(lookup(&app, &lms, "email=PAT.LEE@hospital.example").await[0]["id"], user["id"]);
        assert!(lookup(&app, &lms, "npi=1497758544").await.is_empty());

        // A learner who signed up themselves is linked by email; their own fields stay theirs,
        // empty ones are filled.
        let (own_id, _) = app.learner("dana.self@example.org").await;
        let lms_view = json!({"email": "dana.self@example.org", "first_name": "D.", "last_name": "R.", "npi": "1497758544"});
        let linked = upsert(&app, &other_lms, "X-7", &lms_view).await;
        linked.assert_status(200);
        let linked = linked.json();
        assert_eq!(linked["id"], own_id.as_str());
        assert_eq!(
            (linked["first_name"].as_str(), linked["npi"].as_str()),
            (Some("Test"), Some("1497758544"))
        );
        // One id per learner and client.
        upsert(&app, &other_lms, "X-8", &lms_view).await.assert_problem(409, "duplicate");

        // Roles never change: an administrator's account linked by email stays an administrator.
        let admin_me = app.request(Method::GET, "/v1/me").bearer(&admin).send().await.json();
        let admin_view = json!({"email": admin_me["email"], "first_name": "A", "last_name": "B"});
        let still_admin = upsert(&app, &lms, "ADM-1", &admin_view).await.json();
        assert_eq!(still_admin["role"], "admin");

        // Without users:write, and for people: refused.
        let reader = client_token(&app, &admin, &["users:read"]).await;
        upsert(&app, &reader, "EMP-2", &body).await.assert_problem(403, "insufficient_scope");
        upsert(&app, &admin, "EMP-2", &body).await.assert_problem(403, "forbidden");
        let bad = upsert(
            &app,
            &lms,
            "EMP-3",
            &json!({"email": "x@example.org", "first_name": "X", "last_name": "Y", "npi": "1234567890"}),
        )
        .await;
        assert_eq!(bad.assert_problem(422, "validation")["errors"][0]["field"], "npi");
    }
);

db_test!(
    async fn parallel_upserts_of_one_external_id_make_one_learner(app: TestApp) {
        let admin = app.admin_token().await;
        let lms = client_token(&app, &admin, &["users:read", "users:write"]).await;
        let body = json!({"email": "race@hospital.example", "first_name": "R", "last_name": "C"});
        let answers =
            futures_util::future::join_all((0..8).map(|_| upsert(&app, &lms, "RACE-1", &body))).await;
        let ids: std::collections::HashSet<String> =
            answers.iter().map(|a| a.json()["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids.len(), 1, "one learner");
        let created = answers.iter().filter(|a| a.status.as_u16() == 201).count();
        assert_eq!(created, 1, "created once, found the other times");
    }
);

db_test!(
    async fn batches_land_row_by_row_and_replay_with_their_key(app: TestApp) {
        use crate::credit::{ama, enduring, publish};
        let setup = publish(&app, enduring(json!([ama(1.0)]), "automatic")).await;
        let lms = client_token(
            &app,
            &setup.admin,
            &["users:read", "users:write", "enrollments:read", "enrollments:write"],
        )
        .await;
        let learner = json!({"email": "batch.one@hospital.example", "first_name": "B", "last_name": "One", "profession": "physician"});
        upsert(&app, &lms, "EMP-1", &learner).await.assert_status(201);
        app.learner("batch.two@example.org").await;
        let activity = setup.activity.as_str();
        let rows = json!({"rows": [
            {"activity_id": activity, "external_id": "EMP-1"},
            {"activity_id": activity, "email": "batch.two@example.org"},
            {"activity_id": activity, "external_id": "NOBODY"},
            {"activity_id": "no-such-activity", "external_id": "EMP-1"},
            {"activity_id": activity, "external_id": "EMP-1"}
        ]});
        let send = |body: Value| {
            app.request(Method::POST, "/v1/enrollments/batch")
                .bearer(&lms)
                .header("idempotency-key", "batch-2026-11-29")
                .json(&body)
                .send()
        };
        let answer = send(rows.clone()).await;
        answer.assert_status(200);
        let answer = answer.json();
        let statuses: Vec<u64> =
            answer["results"].as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses, [201, 201, 422, 404, 409], "{answer}");
        assert_eq!((answer["succeeded"].as_u64(), answer["failed"].as_u64()), (Some(2), Some(3)));
        assert_eq!(answer["results"][2]["problem"]["errors"][0]["field"], "external_id");
        assert_eq!(answer["results"][4]["problem"]["type"], "https://ce-api.dev/problems/already-enrolled");
        let first = answer["results"][0]["enrollment"]["id"].as_str().unwrap().to_string();

        // The same key and body: the same answer, replayed; nothing more written.
        let replay = send(rows).await;
        assert_eq!(replay.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(replay.json(), answer);
        let listed = app
            .request(Method::GET, &format!("/v1/enrollments?activity_id={activity}"))
            .bearer(&setup.admin)
            .send()
            .await
            .json();
        assert_eq!(listed["data"].as_array().unwrap().len(), 2, "two rows landed, once");

        // Completions: each row on its own.
        let done = app
            .request(Method::POST, "/v1/enrollments/completions/batch")
            .bearer(&lms)
            .json(&json!({"rows": [
                {"enrollment_id": first, "minutes_spent": 45, "completed_at": "2026-11-28T15:00:00Z"},
                {"enrollment_id": "no-such-enrollment", "minutes_spent": 45}
            ]}))
            .send()
            .await;
        done.assert_status(200);
        let done = done.json();
        assert_eq!(done["results"][0]["status"], 200);
        assert_eq!(done["results"][0]["enrollment"]["status"], "completed");
        assert_eq!(done["results"][1]["status"], 404);

        // Learners do not batch; more than 500 rows is a 422.
        let (_, learner_token) = app.learner("batch.three@example.org").await;
        app.request(Method::POST, "/v1/enrollments/batch")
            .bearer(&learner_token)
            .json(&json!({"rows": [{"activity_id": activity}]}))
            .send()
            .await
            .assert_problem(403, "forbidden");
        let too_many: Vec<Value> = (0..501).map(|_| json!({"activity_id": activity})).collect();
        let refused = app
            .request(Method::POST, "/v1/enrollments/batch")
            .bearer(&lms)
            .json(&json!({"rows": too_many}))
            .send()
            .await;
        assert_eq!(refused.assert_problem(422, "validation")["errors"][0]["field"], "rows");
    }
);

db_test!(
    async fn feed_events_carry_what_a_transcript_import_needs(app: TestApp) {
        use crate::credit::{ama, claim, claim_body, completed_learner, enduring, publish};
        let uan = "0197-0000-26-001-H01-P";
        let designations = json!([ama(1.0), {"credit_type": "acpe", "max_amount": 1.0, "acpe_uan": uan}]);
        let setup = publish(&app, enduring(designations, "automatic")).await;
        let pharmacist =
            json!({"profession": "pharmacist", "nabp_eprofile_id": "1234567", "birth_mmdd": "0714"});
        let learner = completed_learner(&app, &setup, pharmacist, 60).await;
        claim(&app, &learner.token, claim_body(&learner.enrollment, "acpe", 1.0)).await.assert_status(201);

        let feed = |token: String| {
            let app = &app;
            async move {
                let page = app.request(Method::GET, "/v1/credit-events").bearer(&token).send().await;
                page.assert_status(200);
                page.json()["data"][0].clone()
            }
        };
        let event = feed(setup.admin.clone()).await;
        let activity = &event["activity"];
        assert_eq!(activity["id"], setup.activity.as_str());
        assert_eq!(activity["title"], "Opioid Prescribing <Safely>");
        assert_eq!(activity["format"], "enduring");
        assert!(activity["release_date"].is_string() && activity["expiry_date"].is_string());
        assert_eq!(activity["uan"], uan);
        let details = &event["learner"]["details"];
        assert_eq!(details["profession"], "pharmacist");
        assert_eq!(
            (details["nabp_eprofile_id"].as_str(), details["birth_mmdd"].as_str()),
            (Some("1234567"), Some("0714"))
        );

        // The learner's record only to callers that may read users.
        let credits_only = client_token(&app, &setup.admin, &["credits:read"]).await;
        let event = feed(credits_only).await;
        assert!(event["learner"].get("details").is_none(), "{event}");
        assert_eq!(event["activity"]["uan"], uan);
        let with_users = client_token(&app, &setup.admin, &["credits:read", "users:read"]).await;
        assert_eq!(feed(with_users).await["learner"]["details"]["nabp_eprofile_id"], "1234567");
    }
);

db_test!(
    async fn an_lms_files_claims_where_the_activity_takes_them(app: TestApp) {
        use crate::credit::{ama, enduring, publish};
        let mut accepting = enduring(json!([ama(1.0)]), "automatic");
        accepting["lms_reported_claims"] = json!(true);
        let open = publish(&app, accepting).await;
        let closed = publish(&app, enduring(json!([ama(1.0)]), "automatic")).await;
        let lms =
            client_token(&app, &open.admin, &["users:write", "enrollments:write", "credits:write"]).await;
        let learner = json!({"email": "claims@hospital.example", "first_name": "C", "last_name": "L", "profession": "physician"});
        upsert(&app, &lms, "EMP-9", &learner).await.assert_status(201);
        let post = |path: &'static str, token: String, body: Value| {
            let app = &app;
            async move {
                let answer = app.request(Method::POST, path).bearer(&token).json(&body).send().await;
                answer.assert_status(200);
                answer.json()
            }
        };
        let enrolled = post(
            "/v1/enrollments/batch",
            lms.clone(),
            json!({"rows": [
                {"activity_id": open.activity, "external_id": "EMP-9"},
                {"activity_id": closed.activity, "external_id": "EMP-9"}
            ]}),
        )
        .await;
        let enrollment = |n: usize| enrolled["results"][n]["enrollment"]["id"].as_str().unwrap().to_string();
        let (open_enrollment, closed_enrollment) = (enrollment(0), enrollment(1));
        let completions = json!({"rows": [
            {"enrollment_id": open_enrollment, "minutes_spent": 60},
            {"enrollment_id": closed_enrollment, "minutes_spent": 60}
        ]});
        assert_eq!(post("/v1/enrollments/completions/batch", lms.clone(), completions).await["succeeded"], 2);

        let row = |enrollment: &str, amount: f64| json!({"enrollment_id": enrollment, "credit_type": "ama_pra_1", "amount": amount, "attestation": true});
        let claims = post(
            "/v1/credit-claims/batch",
            lms.clone(),
            json!({"rows": [row(&open_enrollment, 5.0), row(&open_enrollment, 1.0), row(&open_enrollment, 1.0), row(&closed_enrollment, 1.0)]}),
        )
        .await;
        let statuses: Vec<u64> =
            claims["results"].as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses, [422, 201, 409, 403], "{claims}");
        assert_eq!(claims["results"][1]["claim"]["status"], "awarded");
        assert_eq!(
            claims["results"][0]["problem"]["type"],
            "https://ce-api.dev/problems/credit-amount-exceeds-maximum"
        );

        // Without credits:write a client files nothing.
        let reader = client_token(&app, &open.admin, &["credits:read"]).await;
        let refused =
            post("/v1/credit-claims/batch", reader, json!({"rows": [row(&open_enrollment, 1.0)]})).await;
        assert_eq!(refused["results"][0]["status"], 403);
        assert_eq!(
            refused["results"][0]["problem"]["type"],
            "https://ce-api.dev/problems/insufficient_scope"
        );

        // A row outside the contract's bounds (more than 1,000, or not in quarter steps) makes the
        // batch malformed as a whole, as a missing field would: nothing of it is filed.
        for amount in [1000.25, 0.3] {
            let malformed = json!({"rows": [row(&open_enrollment, 1.0), row(&closed_enrollment, amount)]});
            let refused = app
                .request(Method::POST, "/v1/credit-claims/batch")
                .bearer(&lms)
                .json(&malformed)
                .send()
                .await
                .assert_problem(422, "validation");
            assert_eq!(refused["errors"][0]["field"], "rows[1].amount", "{refused}");
        }

        // The award reached the feed once.
        let feed = app.request(Method::GET, "/v1/credit-events").bearer(&open.admin).send().await.json();
        let awards: Vec<&Value> =
            feed["data"].as_array().unwrap().iter().filter(|e| e["type"] == "credit.awarded").collect();
        assert_eq!(awards.len(), 1);
    }
);
