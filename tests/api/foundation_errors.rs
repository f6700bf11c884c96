//! Every way a request body can be wrong gets its own status and a problem+json answer
//! carrying the request id; nothing is stored.

use actix_web::http::Method;
use ce_api::config::Backend;
use serde_json::json;

use crate::{db_test, support::TestApp};

db_test!(
    async fn malformed_json_is_a_400_problem(app: TestApp) {
        let response = app
            .request(Method::POST, "/v1/auth/register")
            .header("x-request-id", "bad-json-1")
            .raw("application/json", br#"{"email": "#.to_vec())
            .send()
            .await;
        let problem = response.assert_problem(400, "malformed-request");
        assert_eq!(problem["request_id"], "bad-json-1");
    }
);

db_test!(
    async fn a_wrong_content_type_is_a_415_problem(app: TestApp) {
        let response = app
            .request(Method::POST, "/v1/auth/register")
            .raw("text/plain", b"email=a@b.c".to_vec())
            .send()
            .await;
        response.assert_problem(415, "unsupported-media-type");
    }
);

db_test!(
    async fn invalid_fields_are_a_422_problem_naming_each_field(app: TestApp) {
        let response = app
            .post_json(
                "/v1/auth/register",
                &json!({"email": "not-an-email", "password": "short", "first_name": "A", "last_name": "B"}),
            )
            .await;
        let problem = response.assert_problem(422, "validation");
        let fields: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["email", "password"], "{problem}");
        for error in problem["errors"].as_array().unwrap() {
            assert!(error["code"].is_string() && error["message"].is_string());
        }
        let users = app.get("/healthz").await;
        users.assert_status(200);
    }
);

db_test!(
    async fn wrong_types_unknown_enums_and_unknown_fields_are_422_with_the_field(app: TestApp) {
        let base = json!({"email": "x@example.org", "password": "long enough password", "first_name": "A", "last_name": "B"});
        let mut wrong_type = base.clone();
        wrong_type["first_name"] = json!(42);
        let mut unknown_enum = base.clone();
        unknown_enum["profession"] = json!("astronaut");
        let mut mass_assignment = base.clone();
        mass_assignment["role"] = json!("admin");
        let mut missing = base.clone();
        missing.as_object_mut().unwrap().remove("last_name");
        for (body, field, code) in [
            (wrong_type, "first_name", "type"),
            (unknown_enum, "profession", "enum"),
            (mass_assignment, "role", "unknown_field"),
            (missing, "last_name", "required"),
        ] {
            let problem = app.post_json("/v1/auth/register", &body).await.assert_problem(422, "validation");
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
            assert_eq!(problem["errors"][0]["code"], code, "{problem}");
        }
        // Nothing was stored: the account made now is the valid body's, a learner.
        app.post_json("/v1/auth/register", &base).await.assert_status(202);
        let email = base["email"].as_str().unwrap();
        let password = base["password"].as_str().unwrap();
        let token = app.login(email, password).await["access_token"].as_str().unwrap().to_string();
        let me = app.request(Method::GET, "/v1/me").bearer(&token).send().await.json();
        assert_eq!(
            (me["role"].as_str(), me["first_name"].as_str()),
            (Some("learner"), base["first_name"].as_str())
        );
    }
);

#[actix_web::test]
async fn a_body_over_the_limit_is_a_413_problem() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, |s| s.body_limit_bytes = 2048).await else { continue };
        let padding = "x".repeat(4096);
        let response = app
            .post_json(
                "/v1/auth/register",
                &json!({"email": "big@example.org", "password": padding, "first_name": "A", "last_name": "B"}),
            )
            .await;
        response.assert_problem(413, "payload-too-large");
    }
}
