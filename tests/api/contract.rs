//! The committed OpenAPI document is the contract: it must be exactly what the code generates.

use crate::db_test;
use serde_json::Value;

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

fn generated() -> serde_json::Value {
    serde_json::from_str(&ce_api::openapi::document_json()).unwrap()
}

#[test]
fn public_operations_need_no_token_and_the_others_say_which() {
    let document = generated();
    let public = [
        "jwks",
        "healthz",
        "readyz",
        "login",
        "logout",
        "refresh",
        "register",
        "verifyEmail",
        "requestPasswordReset",
        "confirmPasswordReset",
        "list_specialties",
        "list_topics",
        "get_provider",
        "verify_credit",
        "verify_credential",
        "get_credential_status_list",
        "get_credential_issuer",
        "metrics",
    ];
    // A token only widens what the catalog shows.
    let catalog = ["list_activities", "get_activity", "get_activity_disclosures", "list_sessions"];
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().unwrap();
            let security =
                operation["security"].as_array().unwrap_or_else(|| panic!("{id} declares no security"));
            // A representation's own path (`{path}.html`...) is as open as its operation.
            let base = ["_html", "_csv", "_pdf", "_jwt", "_svg"]
                .iter()
                .find_map(|s| id.strip_suffix(s))
                .unwrap_or(id);
            if public.contains(&base) || catalog.contains(&base) {
                assert!(security.is_empty(), "{id} needs no token");
            } else {
                assert!(!security.is_empty(), "{id}");
            }
        }
    }
    for item in document["webhooks"].as_object().unwrap().values() {
        assert!(item["post"]["security"].is_array(), "webhooks are signed, not authenticated by a scheme");
    }
}

#[test]
fn every_operation_has_a_short_summary_and_a_description() {
    let document = generated();
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().unwrap();
            let summary = operation["summary"].as_str().unwrap_or_default();
            assert!(!summary.is_empty() && summary.chars().count() <= 80, "{id}: summary {summary:?}");
            assert!(!summary.contains('\n'), "{id}: one line");
            assert!(operation["description"].as_str().is_some_and(|d| !d.is_empty()), "{id}: no description");
        }
    }
}

/// Every request body and every success answer a client parses (JSON, CSV, JWT) shows an
/// example, on the media type or on the schema it names; `tests/clients/examples.py` checks
/// that each one validates.
#[test]
fn every_request_and_parsed_answer_has_an_example() {
    let document = generated();
    let schemas = &document["components"]["schemas"];
    let illustrated = |media: &Value| {
        media.get("example").is_some()
            || media["schema"]["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .is_some_and(|name| schemas[name].get("example").is_some())
    };
    let mut missing = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (media_type, media) in operation["requestBody"]["content"].as_object().into_iter().flatten() {
                if !illustrated(media) {
                    missing.push(format!("{method} {path} request {media_type}"));
                }
            }
            for (status, response) in operation["responses"].as_object().unwrap() {
                if !status.starts_with('2') {
                    continue;
                }
                for (media_type, media) in response["content"].as_object().into_iter().flatten() {
                    let parsed = ["json", "csv", "jwt"].iter().any(|kind| media_type.contains(kind));
                    if parsed && !illustrated(media) {
                        missing.push(format!("{method} {path} {status} {media_type}"));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "no example: {missing:#?}");
}

/// The flows in the document's introduction name operations that exist.
#[test]
fn the_introductions_flows_name_real_operations() {
    let document = generated();
    let introduction = document["info"]["description"].as_str().unwrap();
    let mentioned = regex::Regex::new(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`?]+)(\?[^`]*)?`").unwrap();
    let mut count = 0;
    for found in mentioned.captures_iter(introduction) {
        let (method, path) = (found[1].to_lowercase(), &found[2]);
        assert!(document["paths"][path][&method].is_object(), "{method} {path} is not an operation");
        count += 1;
    }
    assert!(count >= 10, "the flows name their steps ({count})");
}

/// The documented constraints admit every value the server accepts: each IANA time zone
/// name (the server parses with chrono-tz), every US jurisdiction of a license.
#[test]
fn documented_patterns_admit_what_the_server_accepts() {
    let document = generated();
    let schemas = &document["components"]["schemas"];
    let pattern = |schema: &str, field: &str| {
        let text = schemas[schema]["properties"][field]["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("{schema}.{field}"));
        regex::Regex::new(text).unwrap()
    };
    let time_zone = pattern("ActivityInput", "time_zone");
    for zone in chrono_tz::TZ_VARIANTS {
        assert!(time_zone.is_match(zone.name()), "{} is refused by the documented pattern", zone.name());
    }
    assert!(!time_zone.is_match("New York"));
    let states = schemas["StateLicenseInput"]["properties"]["state"]["enum"].as_array().unwrap();
    assert!(states.contains(&Value::from("NY")) && states.contains(&Value::from("PR")));
    assert_eq!(states.len(), 56, "50 states, DC and 5 territories");
    let number = pattern("StateLicenseInput", "license_number");
    assert!(number.is_match("RN-045.678/B 2") && !number.is_match("045678;"));
}

#[test]
fn pages_reference_their_items_and_responses_require_what_they_always_carry() {
    let document = generated();
    let schemas = &document["components"]["schemas"];
    for (name, schema) in schemas.as_object().unwrap() {
        if let Some(item) = name.strip_prefix("Page_") {
            assert_eq!(schema["properties"]["data"]["items"]["$ref"], format!("#/components/schemas/{item}"));
        }
    }
    let required = |name: &str| -> Vec<String> {
        serde_json::from_value(schemas[name]["required"].clone()).unwrap_or_default()
    };
    let properties = |name: &str| -> Vec<String> {
        schemas[name]["properties"].as_object().unwrap().keys().cloned().collect()
    };
    // Every field of an activity is sent (nullable ones as null).
    let mut activity = required("Activity");
    activity.sort();
    let mut all = properties("Activity");
    all.sort();
    assert_eq!(activity, all);
    // Shared types split: the response requires what requests may leave out.
    assert!(required("CreditDesignation").contains(&"eligible_professions".to_string()));
    assert!(!required("CreditDesignationInput").contains(&"eligible_professions".to_string()));
    assert!(!required("CreditDesignation").contains(&"moc_credit_types".to_string()), "left out when empty");
    assert_eq!(
        schemas["ActivityInput"]["properties"]["credit_designations"]["items"]["$ref"],
        "#/components/schemas/CreditDesignationInput"
    );
    assert!(!required("Problem").contains(&"detail".to_string()));
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
