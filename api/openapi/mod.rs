//! The OpenAPI document. Paths and schemas are collected from the handlers themselves (each
//! `#[utoipa::path]` registered with `.service()`), so this module holds only what is global:
//! info, servers, tags, security schemes and the problem responses every operation shares.

use actix_web::App;
use chrono::NaiveDate;
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

mod examples;
mod shapes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ce-api",
        description = "Open JSON REST API for medical continuing-education (CE) programs: \
            activities, enrollments, credit claims and outcome surveys.\n\n\
            Every error is an RFC 9457 `application/problem+json` document with a stable `type`.\n\n\
            Text never contains NUL (U+0000): a path or query with `%00` is a 400, a JSON string \
            or key with `\\u0000` a 422 naming the field.\n\n\
            ## A learner's flow\n\
            1. `POST /v1/auth/register`, then `POST /v1/auth/login`: an access token (`Authorization: Bearer ...`) \
            and a refresh token.\n\
            2. `GET /v1/activities?q=sepsis`: the published catalog (no token needed).\n\
            3. `POST /v1/activities/{activity_id}/enrollments` (send an `Idempotency-Key`): `registered`, or \
            `waitlisted` when the activity is full.\n\
            4. At each session, `POST /v1/sessions/{session_id}/check-in` with the code shown in the room.\n\
            5. `POST /v1/surveys/{survey_id}/responses`: the evaluation, and the post-test when the activity has one.\n\
            6. `POST /v1/enrollments/{enrollment_id}/completion`, then `POST /v1/credit-claims` for each credit \
            type: `awarded` at once, or `pending` where a planner reviews claims.\n\
            7. `GET /v1/credit-claims/{claim_id}/certificate.pdf`, `GET /v1/me/transcript.csv`; anyone checks a \
            certificate at `GET /v1/credit-verifications/{code}`.\n\n\
            ## A hospital LMS's flow\n\
            1. `POST /v1/oauth/token` with the client's id and secret (HTTP Basic), \
            `grant_type=client_credentials`: a token with the client's scopes.\n\
            2. `PUT /v1/users/by-external-id/{external_id}`: the learner, by the LMS's own id.\n\
            3. `GET /v1/credit-events?after={cursor}`: every award, amendment and revocation once, in order; \
            keep `next_cursor` and resume from it (or subscribe a webhook endpoint to be told).\n\n\
            ## Conventions\n\
            Lists are pages of `{data, next_cursor}` with a `Link: rel=\"next\"` header. A write to an existing \
            resource takes `If-Match: <version>` and answers 412 when someone changed it first. Retries of \
            `POST` are safe with `Idempotency-Key`. Catalog reads carry an `ETag` and answer 304 to \
            `If-None-Match`.",
        contact(name = "ce-api maintainers", url = "https://ce-api.dev"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = "auth", description = "Sign-up, login, token refresh and logout for people; \
            OAuth 2.0 client credentials for machine clients; public signing keys"),
        (name = "activities", description = "The catalog of accredited activities, their sessions, \
            disclosures and the publish workflow"),
        (name = "enrollments", description = "Registration, waitlists, cancellation and completion"),
        (name = "surveys", description = "Outcome surveys (pre/post tests, evaluations, follow-ups) and responses"),
        (name = "reports", description = "Outcome reports by Moore level, for planners and program leadership"),
        (name = "provider", description = "The accredited provider: accreditations, statements and signatory on every certificate"),
        (name = "credit", description = "Credit claims and their review, transcripts, certificates, \
            and the credit feed that hospital LMS systems sync from"),
        (name = "credentials", description = "Verifiable credentials: an Open Badges 3.0 credential (VC-JWT) for every award, \
            its revocation status list, and verification anyone can run"),
        (name = "reporting", description = "Reporting to the boards: what ACCME PARS, NABP CPE Monitor \
            and CE Broker must receive and by when, batch files, and the destinations' answers"),
        (name = "users", description = "Your own learner record, and the user directory"),
        (name = "integration-clients", description = "Machine clients (hospital LMS systems)"),
        (name = "webhooks", description = "Webhook endpoints (Standard Webhooks): signed deliveries of credit, \
            enrollment and activity events, in order per endpoint, with retries and a delivery log"),
        (name = "operations", description = "Health and readiness probes"),
    ),
    components(schemas(Problem, FieldError, crate::activities::dto::ActivitySummary)),
    modifiers(&SecuritySchemes),
)]
struct ApiDoc;

/// `bearer`: a JWT from `/v1/auth/login` (people) or `/v1/oauth/token` (clients);
/// `oauth2`: the client-credentials flow with its scopes; `client_basic`: how a client
/// authenticates at the token endpoint.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, document: &mut Document) {
        use utoipa::openapi::security::{
            ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
        };
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from /v1/auth/login or /v1/oauth/token"))
                    .build(),
            ),
        );
        let scopes = Scopes::from_iter(
            crate::auth::Scope::ALL.map(|scope| (scope.as_str(), scope_description(scope))),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new("/v1/oauth/token", scopes))],
                "Machine clients (hospital LMS systems)",
            )),
        );
        components.add_security_scheme(
            "client_basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("Integration client id and secret, at the token endpoint only"))
                    .build(),
            ),
        );
    }
}

fn scope_description(scope: crate::auth::Scope) -> &'static str {
    use crate::auth::Scope as S;
    match scope {
        S::ActivitiesRead => "Read published activities",
        S::EnrollmentsRead => "Read enrollments and attendance",
        S::EnrollmentsWrite => "Enroll learners and report completions",
        S::CreditsRead => "Read credit claims and the credit feed",
        S::CreditsWrite => "File credit claims for learners where the activity accepts LMS-reported claims",
        S::SurveysRead => "Read aggregate outcome reports",
        S::UsersRead => "Look up learners to match LMS accounts",
        S::UsersWrite => "Create and update the learners the LMS manages, by its own ids",
        S::ReportingRead => "Read what is reported to the boards and its status",
    }
}

/// The date the committed document's examples are built from. The served document builds
/// them from the day the process starts, so that dated examples stay valid (see
/// `activities::examples`); nothing else differs.
pub fn example_anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default()
}

/// The committed document (`openapi/openapi.json`).
pub fn document() -> Document {
    document_at(example_anchor())
}

/// The whole document, with dated examples built from `today`.
pub fn document_at(today: NaiveDate) -> Document {
    let (_, mut document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::routes)
        .split_for_parts();
    add_problem_responses(&mut document);
    add_rate_limit_headers(&mut document);
    add_webhooks(&mut document);
    add_dated_examples(&mut document, today);
    // The create example as the server stores it (defaults applied): what `Activity` shows.
    let input = crate::activities::examples::create_activity(today);
    let stored = serde_json::from_value::<crate::activities::dto::ActivityInput>(input.clone())
        .ok()
        .and_then(|parsed| serde_json::to_value(parsed).ok())
        .unwrap_or(input);
    shapes::finish(document, &stored)
}

fn add_dated_examples(document: &mut Document, today: NaiveDate) {
    let create = document.paths.paths.get_mut("/v1/activities").and_then(|item| item.post.as_mut());
    if let Some(RefOr::T(body)) = create.and_then(|operation| operation.request_body.as_mut()) {
        if let Some(RefOr::T(content)) = body.content.get_mut("application/json") {
            content.example = Some(crate::activities::examples::create_activity(today));
        }
    }
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

fn header(schema: openapi::schema::ObjectBuilder, description: &str) -> RefOr<openapi::header::Header> {
    RefOr::T(
        openapi::header::HeaderBuilder::new().schema(Some(schema)).description(Some(description)).build(),
    )
}

fn text_header(description: &str) -> RefOr<openapi::header::Header> {
    header(openapi::schema::ObjectBuilder::new().schema_type(openapi::schema::Type::String), description)
}

/// The operations the request quotas guard (see `rate_limits::Bucket::of_route`, the same
/// table the middleware reads) answer 429 past the quota, and every answer of theirs carries
/// the IETF `RateLimit` fields.
fn add_rate_limit_headers(document: &mut Document) {
    let method = actix_web::http::Method::POST;
    for (path, item) in document.paths.paths.iter_mut() {
        let (Some(operation), Some(bucket)) =
            (item.post.as_mut(), crate::rate_limits::Bucket::of_route(&method, path))
        else {
            continue;
        };
        let name = bucket.name();
        let responses = &mut operation.responses.responses;
        responses.entry("429".into()).or_insert_with(|| {
            RefOr::T(problem_response(&format!(
                "Too many requests from this address (quota `{name}`); retry after `Retry-After` seconds"
            )))
        });
        for response in responses.values_mut() {
            let RefOr::T(response) = response else { continue };
            response.headers.insert(
                "RateLimit-Policy".into(),
                text_header(&format!(
                    "The quota per client address, e.g. `\"{name}\";q=60;w=60` (requests, window in seconds)"
                )),
            );
            response.headers.insert(
                "RateLimit".into(),
                text_header(&format!(
                    "What is left of it, e.g. `\"{name}\";r=12;t=42` (remaining, seconds to reset)"
                )),
            );
        }
        if let Some(RefOr::T(refused)) = responses.get_mut("429") {
            refused.headers.entry("Retry-After".into()).or_insert_with(|| {
                let seconds = openapi::schema::ObjectBuilder::new()
                    .schema_type(openapi::schema::Type::Integer)
                    .minimum(Some(1));
                header(seconds, "Seconds until a request is allowed again")
            });
        }
    }
}

/// The OpenAPI 3.1 `webhooks`: one POST per event type, as a receiver gets it (Standard
/// Webhooks headers, the `{type, timestamp, data}` body with `data` of the event's schema).
fn add_webhooks(document: &mut Document) {
    use crate::webhooks::EventType;
    use openapi::{
        path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem},
        request_body::RequestBodyBuilder,
        schema::{ObjectBuilder, Type},
        PathsBuilder, Required,
    };
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .schema(Some(text()))
            .description(Some(description))
            .build()
    };
    let mut paths = PathsBuilder::new();
    for event in EventType::SUBSCRIBABLE {
        let name = event.as_str();
        let data = match event.scope() {
            Some(crate::auth::Scope::CreditsRead) => "CreditEvent",
            Some(crate::auth::Scope::EnrollmentsRead) => "Enrollment",
            _ => "Activity",
        };
        let body = ObjectBuilder::new()
            .property("type", text().enum_values(Some([name])))
            .property(
                "timestamp",
                text().format(Some(openapi::schema::SchemaFormat::KnownFormat(
                    openapi::schema::KnownFormat::DateTime,
                ))),
            )
            .property("data", openapi::Ref::from_schema_name(data))
            .required("type")
            .required("timestamp")
            .required("data");
        let operation = OperationBuilder::new()
            .operation_id(Some(format!("webhook_{}", name.replace('.', "_"))))
            .summary(Some(format!("`{name}` delivered to your endpoint")))
            .tag("webhooks")
            // Authenticated by its signature headers, not by a security scheme of this API.
            .securities(Some([openapi::security::SecurityRequirement::default()]))
            .parameter(header("webhook-id", "The message id, the same on every attempt: deduplicate by it"))
            .parameter(header("webhook-timestamp", "Unix seconds of this attempt"))
            .parameter(header(
                "webhook-signature",
                "`v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the \
                 base64-decoded secret after `whsec_`",
            ))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", Content::new(Some(body)))
                    .required(Some(Required::True))
                    .build(),
            ))
            .response("2XX", ResponseBuilder::new().description("Received: the delivery ends").build())
            .response("410", ResponseBuilder::new().description("Gone: the endpoint is disabled").build())
            .response(
                "default",
                ResponseBuilder::new().description("Anything else: retried on the schedule").build(),
            )
            .build();
        paths = paths.path(name, PathItem::new(HttpMethod::Post, operation));
    }
    document.webhooks = Some(paths.build());
}

/// Every operation can fail with a client error or a server error, and both are problem
/// documents; declaring the ranges keeps clients (and schemathesis) honest about that. Every
/// operation that takes a token also answers 401 and 403 (declared here, not per handler).
fn add_problem_responses(document: &mut Document) {
    for item in document.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let secured = operation.security.as_ref().is_some_and(|requirements| {
                serde_json::to_value(requirements).is_ok_and(|value| {
                    value
                        .as_array()
                        .is_some_and(|all| all.iter().any(|r| r.as_object().is_some_and(|r| !r.is_empty())))
                })
            });
            let responses = &mut operation.responses.responses;
            if secured {
                // The answers every secured operation shares, declared once here.
                responses
                    .entry("401".into())
                    .or_insert_with(|| RefOr::T(problem_response("No or invalid token")));
                responses.entry("403".into()).or_insert_with(|| {
                    RefOr::T(problem_response(
                        "Not allowed for this caller (`forbidden`), or a client without the scope (`insufficient_scope`)",
                    ))
                });
            }
            responses
                .entry("4XX".into())
                .or_insert_with(|| RefOr::T(problem_response("Client error (problem details)")));
            responses.entry("5XX".into()).or_insert_with(|| {
                RefOr::T(problem_response("Server error or database unavailable (problem details)"))
            });
        }
    }
}
