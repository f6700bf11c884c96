//! The OpenAPI document. Paths and schemas are collected from the handlers themselves (each
//! `#[utoipa::path]` registered with `.service()`), so this module holds only what is global:
//! info, servers, tags, security schemes and the problem responses every operation shares.

use actix_web::App;
use utoipa::{
    openapi::{
        self,
        response::{Response, ResponseBuilder},
        Content, OpenApi as Document, RefOr,
    },
    OpenApi,
};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ce-api",
        description = "Open JSON REST API for medical continuing-education (CE) programs: \
            activities, enrollments, credit claims and outcome surveys.\n\n\
            Every error is an RFC 9457 `application/problem+json` document with a stable `type`.",
        contact(name = "ce-api maintainers", url = "https://ce-api.dev"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = "operations", description = "Health and readiness probes"),
    ),
    components(schemas(Problem, FieldError)),
)]
struct ApiDoc;

/// The whole document, as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn document() -> Document {
    let (_, mut document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::routes)
        .split_for_parts();
    add_problem_responses(&mut document);
    document
}

/// The document as pretty JSON with a trailing newline (the committed file's exact form).
pub fn document_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            Content::new(Some(RefOr::Ref(openapi::Ref::from_schema_name("Problem")))),
        )
        .build()
}

/// Every operation can fail with a client error or a server error, and both are problem
/// documents; declaring the ranges keeps clients (and schemathesis) honest about that.
fn add_problem_responses(document: &mut Document) {
    for item in document.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            responses
                .entry("4XX".into())
                .or_insert_with(|| RefOr::T(problem_response("Client error (problem details)")));
            responses.entry("5XX".into()).or_insert_with(|| {
                RefOr::T(problem_response("Server error or database unavailable (problem details)"))
            });
        }
    }
}
