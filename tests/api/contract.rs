//! The committed OpenAPI document is the contract: it must be exactly what the code generates.

use crate::db_test;

#[test]
fn committed_openapi_document_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = ce_api::openapi::document_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_declares_problem_responses() {
    let document: serde_json::Value = serde_json::from_str(&ce_api::openapi::document_json()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for range in ["4XX", "5XX"] {
                let content = &operation["responses"][range]["content"]["application/problem+json"];
                assert!(content.is_object(), "{method} {path} lacks a {range} problem response");
            }
        }
    }
    assert!(document["info"]["license"].is_object());
    assert!(document["info"]["contact"].is_object());
    assert!(document["servers"].is_array());
}

db_test!(
    async fn the_served_document_is_openapi_3_1(app: TestApp) {
        let response = app.get("/openapi.json").await;
        response.assert_status(200);
        let served = response.json();
        assert_eq!(served["openapi"], "3.1.0");
        // The served document is the committed one with dated examples built from today.
        let today = chrono::Utc::now().date_naive();
        let generated = serde_json::to_value(ce_api::openapi::document_at(today)).unwrap();
        assert_eq!(served, generated);
    }
);

db_test!(
    async fn swagger_ui_is_served_offline(app: TestApp) {
        let page = app.get("/docs/").await;
        page.assert_status(200);
        assert!(page.text().contains("swagger-ui"), "{}", page.text());
        let initializer = app.get("/docs/swagger-initializer.js").await;
        initializer.assert_status(200);
        assert!(initializer.text().contains("/openapi.json"));
        let redirect = app.get("/docs").await;
        assert_eq!(redirect.status.as_u16(), 308);
        assert_eq!(redirect.header("location").as_deref(), Some("/docs/"));
    }
);
