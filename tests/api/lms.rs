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
