//! Every response a test receives is checked against the contract: its status must be
//! documented for the operation, and each header the API adds (`ETag`, `Link`, `Location`,
//! `Idempotent-Replayed`, `Retry-After`, rate-limit headers, `Last-Modified`, `X-Request-Id`)
//! must be documented for that status. The whole suite so guards the document.

use std::sync::OnceLock;

use actix_web::{
    dev::ResourceDef,
    http::{header::HeaderMap, Method, StatusCode},
};
use serde_json::Value;

/// Headers the API sets on purpose (transport and security headers are described once, in the
/// document's introduction).
const API_HEADERS: [&str; 9] = [
    "etag",
    "link",
    "location",
    "idempotent-replayed",
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
    "last-modified",
    "x-request-id",
];

struct Operation {
    method: String,
    path: ResourceDef,
    /// Path parameters in the template (literal paths are tried first).
    parameters: usize,
    responses: Value,
}

fn operations() -> &'static Vec<Operation> {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let document: Value = serde_json::from_str(&ce_api::openapi::document_json()).expect("document");
        let mut all = Vec::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                all.push(Operation {
                    method: method.to_uppercase(),
                    path: ResourceDef::new(path.as_str()),
                    parameters: path.matches('{').count(),
                    responses: operation["responses"].clone(),
                });
            }
        }
        // Literal segments before parameters: `/users/by-external-id/{id}` before `/users/{id}/...`.
        all.sort_by_key(|op| op.parameters);
        all
    })
}

/// Panics when the response is not what the document says the operation answers.
pub fn check(method: &Method, url: &str, status: StatusCode, headers: &HeaderMap) {
    let path = url.split("://").nth(1).and_then(|rest| rest.find('/').map(|i| &rest[i..])).unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    let Some(operation) =
        operations().iter().find(|op| op.method == method.as_str() && op.path.is_match(path))
    else {
        return; // Not an API operation (Swagger UI, the document itself, unknown paths).
    };
    let code = status.as_str();
    let range = format!("{}XX", &code[..1]);
    let response = [code, range.as_str(), "default"]
        .iter()
        .find_map(|key| operation.responses.get(*key))
        .unwrap_or_else(|| panic!("{method} {path} answered {code}, which its operation does not document"));
    for name in API_HEADERS {
        if headers.contains_key(name) {
            let documented = response["headers"]
                .as_object()
                .is_some_and(|all| all.keys().any(|key| key.eq_ignore_ascii_case(name)));
            assert!(documented, "{method} {path} sent `{name}` with {code}, undocumented there");
        }
    }
}
