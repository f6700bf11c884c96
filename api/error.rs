//! Errors and their HTTP answers.
//!
//! Policy: every error leaves the service as an RFC 9457 `application/problem+json` body with
//! a stable `type` URI that clients can switch on, the status that fits, the request id, and,
//! for validation, one entry per offending field. A client's mistake is never a 500; an
//! unexpected failure is a 500 whose body says nothing about internals (the cause is logged
//! with the request id instead). Database outages are 503 with `Retry-After`, because the
//! client can simply try again.

use std::borrow::Cow;

use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::request_id;

/// Base of every problem `type` URI.
pub const PROBLEM_BASE: &str = "https://ce-api.dev/problems/";

/// Seconds a client should wait before retrying after a 503.
const RETRY_AFTER_SECS: u32 = 5;

/// Every problem `type` the service answers with: the last segment of
/// `https://ce-api.dev/problems/<slug>`. Clients switch on these, so a slug never changes
/// once released; add a variant for a new kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemType {
    ActivityFinished,
    ActivityStarted,
    AlreadyEnrolled,
    AlreadyPassed,
    AlreadyResponded,
    AttestationRequired,
    CheckInWindow,
    ClaimDeadlinePassed,
    ClaimNotAwarded,
    ConcurrentUpdate,
    CreditAmountExceedsAttendance,
    CreditAmountExceedsMaximum,
    CreditAmountExceedsParticipation,
    CreditAmountIncrement,
    CreditRevoked,
    CreditTypeNotDesignated,
    DesignationsLocked,
    Duplicate,
    DuplicateClaim,
    EmailTaken,
    EmailUnverified,
    EnrollmentClosed,
    EnrollmentNotCompleted,
    Forbidden,
    IdempotencyKeyReused,
    IdempotencyRace,
    InsufficientScope,
    Internal,
    InvalidAnswers,
    InvalidTransition,
    MalformedRequest,
    MethodNotAllowed,
    NotFound,
    NotPublishable,
    NotCheckedIn,
    NotRegistered,
    NothingToReport,
    OwnClaimDecision,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    ProfessionNotEligible,
    ReferenceNotFound,
    RegistrationClosed,
    RegistrationWindow,
    ReportingProfileIncomplete,
    RequirementsNotMet,
    SelfLockout,
    ServiceUnavailable,
    SessionNotAttended,
    SessionNotEnded,
    SurveyFrozen,
    SurveyNotOpen,
    TooManyRequests,
    Unauthorized,
    UnknownLearner,
    UnsupportedMediaType,
    Validation,
}

impl ProblemType {
    /// The stable code in the `type` URI.
    pub const fn slug(self) -> &'static str {
        match self {
            ProblemType::ActivityFinished => "activity-finished",
            ProblemType::ActivityStarted => "activity-started",
            ProblemType::AlreadyEnrolled => "already-enrolled",
            ProblemType::AlreadyPassed => "already-passed",
            ProblemType::AlreadyResponded => "already-responded",
            ProblemType::AttestationRequired => "attestation-required",
            ProblemType::CheckInWindow => "check-in-window",
            ProblemType::ClaimDeadlinePassed => "claim-deadline-passed",
            ProblemType::ClaimNotAwarded => "claim-not-awarded",
            ProblemType::ConcurrentUpdate => "concurrent-update",
            ProblemType::CreditAmountExceedsAttendance => "credit-amount-exceeds-attendance",
            ProblemType::CreditAmountExceedsMaximum => "credit-amount-exceeds-maximum",
            ProblemType::CreditAmountExceedsParticipation => "credit-amount-exceeds-participation",
            ProblemType::CreditAmountIncrement => "credit-amount-increment",
            ProblemType::CreditRevoked => "credit-revoked",
            ProblemType::CreditTypeNotDesignated => "credit-type-not-designated",
            ProblemType::DesignationsLocked => "designations-locked",
            ProblemType::Duplicate => "duplicate",
            ProblemType::DuplicateClaim => "duplicate-claim",
            ProblemType::EmailTaken => "email-taken",
            ProblemType::EmailUnverified => "email-unverified",
            ProblemType::EnrollmentClosed => "enrollment-closed",
            ProblemType::EnrollmentNotCompleted => "enrollment-not-completed",
            ProblemType::Forbidden => "forbidden",
            ProblemType::IdempotencyKeyReused => "idempotency-key-reused",
            ProblemType::IdempotencyRace => "idempotency-race",
            ProblemType::InsufficientScope => "insufficient_scope",
            ProblemType::Internal => "internal",
            ProblemType::InvalidAnswers => "invalid-answers",
            ProblemType::InvalidTransition => "invalid-transition",
            ProblemType::MalformedRequest => "malformed-request",
            ProblemType::MethodNotAllowed => "method-not-allowed",
            ProblemType::NotFound => "not-found",
            ProblemType::NotPublishable => "not-publishable",
            ProblemType::NotCheckedIn => "not-checked-in",
            ProblemType::NotRegistered => "not-registered",
            ProblemType::OwnClaimDecision => "own-claim-decision",
            ProblemType::PayloadTooLarge => "payload-too-large",
            ProblemType::PreconditionFailed => "precondition-failed",
            ProblemType::PreconditionRequired => "precondition-required",
            ProblemType::ProfessionNotEligible => "profession-not-eligible",
            ProblemType::ReferenceNotFound => "reference-not-found",
            ProblemType::RegistrationClosed => "registration-closed",
            ProblemType::RegistrationWindow => "registration-window",
            ProblemType::ReportingProfileIncomplete => "reporting-profile-incomplete",
            ProblemType::RequirementsNotMet => "requirements-not-met",
            ProblemType::SelfLockout => "self-lockout",
            ProblemType::ServiceUnavailable => "service-unavailable",
            ProblemType::SessionNotAttended => "session-not-attended",
            ProblemType::SessionNotEnded => "session-not-ended",
            ProblemType::NothingToReport => "nothing-to-report",
            ProblemType::SurveyFrozen => "survey-frozen",
            ProblemType::SurveyNotOpen => "survey-not-open",
            ProblemType::TooManyRequests => "too-many-requests",
            ProblemType::Unauthorized => "unauthorized",
            ProblemType::UnknownLearner => "unknown-learner",
            ProblemType::UnsupportedMediaType => "unsupported-media-type",
            ProblemType::Validation => "validation",
        }
    }
}

/// One field that failed validation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// JSON path of the offending field, e.g. `credit_designations[0].amount`.
    #[schema(example = "email")]
    pub field: String,
    /// Stable machine-readable code, e.g. `required`, `length`, `format`.
    #[schema(example = "format")]
    pub code: String,
    /// Human-readable explanation.
    #[schema(example = "must be a valid email address")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), code: code.into(), message: message.into() }
    }
}

/// An RFC 9457 problem details object.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "https://ce-api.dev/problems/validation",
    "title": "The request body is invalid",
    "status": 422,
    "detail": "1 field failed validation",
    "instance": "/v1/auth/register",
    "request_id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41",
    "errors": [{"field": "email", "code": "format", "message": "must be a valid email address"}]
}))]
pub struct Problem {
    /// Stable URI identifying the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// Explanation specific to this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path this occurrence is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id (also in the `X-Request-Id` header and in every log line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Field-level errors (validation problems only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// A quota by name: `limit` requests per `window_secs`.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitPolicy {
    pub name: &'static str,
    pub limit: u32,
    pub window_secs: u64,
}

/// Every error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest { detail: String },
    #[error("authentication required")]
    Unauthorized { detail: Cow<'static, str> },
    #[error("forbidden")]
    Forbidden { kind: ProblemType, detail: Cow<'static, str> },
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allowed: Vec<String> },
    #[error("conflict: {detail}")]
    Conflict { kind: ProblemType, detail: String },
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType { detail: String },
    #[error("validation failed")]
    Validation { errors: Vec<FieldError> },
    /// A rule of the domain that the request breaks (422 with its own type).
    #[error("{detail}")]
    Rule { kind: ProblemType, title: &'static str, detail: String, errors: Vec<FieldError> },
    #[error("precondition required")]
    PreconditionRequired,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64, policy: Option<RateLimitPolicy> },
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// An outside service the request needs (a board's web service) did not answer.
    #[error("service unavailable: {0}")]
    Upstream(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// 422 naming every field in `errors`, or nothing when there are none.
    pub fn unless_valid(errors: Vec<FieldError>) -> ApiResult<()> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation { errors })
        }
    }

    pub fn validation(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation { errors: vec![FieldError::new(field, code, message)] }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// `(type slug, title)` of the problem.
    fn kind_and_title(&self) -> (ProblemType, &'static str) {
        match self {
            ApiError::BadRequest { .. } => (ProblemType::MalformedRequest, "The request is malformed"),
            ApiError::Unauthorized { .. } => (ProblemType::Unauthorized, "Authentication is required"),
            ApiError::Forbidden { kind, .. } => (*kind, "The caller may not do this"),
            ApiError::NotFound => (ProblemType::NotFound, "The resource was not found"),
            ApiError::MethodNotAllowed { .. } => {
                (ProblemType::MethodNotAllowed, "The method is not allowed on this resource")
            }
            ApiError::Conflict { kind, .. } => (*kind, "The request conflicts with the resource's state"),
            ApiError::PreconditionFailed => (ProblemType::PreconditionFailed, "The resource has changed"),
            ApiError::PayloadTooLarge { .. } => {
                (ProblemType::PayloadTooLarge, "The request body is too large")
            }
            ApiError::UnsupportedMediaType { .. } => {
                (ProblemType::UnsupportedMediaType, "The content type is not supported")
            }
            ApiError::Validation { .. } => (ProblemType::Validation, "The request body is invalid"),
            ApiError::Rule { kind, title, .. } => (*kind, title),
            ApiError::PreconditionRequired => {
                (ProblemType::PreconditionRequired, "An If-Match header is required")
            }
            ApiError::TooManyRequests { .. } => (ProblemType::TooManyRequests, "Too many requests"),
            ApiError::Unavailable(_) => (ProblemType::ServiceUnavailable, "The database is unavailable"),
            ApiError::Upstream(_) => {
                (ProblemType::ServiceUnavailable, "A service this request needs did not answer")
            }
            ApiError::Internal(_) => (ProblemType::Internal, "An unexpected error occurred"),
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            ApiError::BadRequest { detail } | ApiError::UnsupportedMediaType { detail } => {
                Some(detail.clone())
            }
            ApiError::Unauthorized { detail } | ApiError::Forbidden { detail, .. } => {
                Some(detail.to_string())
            }
            ApiError::Conflict { detail, .. } | ApiError::Rule { detail, .. } => Some(detail.clone()),
            ApiError::MethodNotAllowed { allowed } => {
                Some(format!("allowed methods: {}", allowed.join(", ")))
            }
            ApiError::PayloadTooLarge { limit } => Some(format!("the body must not exceed {limit} bytes")),
            ApiError::Validation { errors } => Some(match errors.len() {
                1 => format!("{}: {}", errors[0].field, errors[0].message),
                n => format!("{n} fields failed validation"),
            }),
            ApiError::PreconditionFailed => {
                Some("the If-Match header does not match the current ETag; fetch the resource again".into())
            }
            ApiError::PreconditionRequired => Some(
                "send the resource's current ETag in If-Match to avoid overwriting a concurrent change"
                    .into(),
            ),
            ApiError::TooManyRequests { retry_after_secs, .. } => {
                Some(format!("retry after {retry_after_secs} seconds"))
            }
            ApiError::Unavailable(_) => Some("the database cannot be reached; retry shortly".into()),
            ApiError::Upstream(cause) => Some(cause.clone()),
            ApiError::NotFound | ApiError::Internal(_) => None,
        }
    }

    /// The problem body, with the current request's id and path.
    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind_and_title();
        let context = request_id::current();
        Problem {
            problem_type: format!("{PROBLEM_BASE}{}", kind.slug()),
            title: title.to_string(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            instance: context.as_ref().map(|c| c.path.clone()),
            request_id: context.map(|c| c.id),
            errors: match self {
                ApiError::Validation { errors } | ApiError::Rule { errors, .. } => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation { .. } | ApiError::Rule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::Upstream(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(_) => crate::metrics::server_error("internal"),
            ApiError::Unavailable(_) => crate::metrics::server_error("database_unavailable"),
            ApiError::Upstream(_) => crate::metrics::server_error("upstream"),
            _ => {}
        }
        match self {
            ApiError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            ApiError::Upstream(cause) => tracing::warn!(error = %cause, "outside service unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            ApiError::Unauthorized { .. } => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"ce-api\", error=\"invalid_token\"",
                ));
            }
            ApiError::Forbidden { kind: ProblemType::InsufficientScope, .. } => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"ce-api\", error=\"insufficient_scope\"",
                ));
            }
            ApiError::MethodNotAllowed { allowed } => {
                response.insert_header((header::ALLOW, allowed.join(", ")));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()));
            }
            ApiError::TooManyRequests { retry_after_secs, policy } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
                if let Some(policy) = policy {
                    use crate::rate_limits::rules;
                    crate::metrics::throttled(policy.name);
                    response.insert_header((
                        "RateLimit-Policy",
                        rules::policy_field(policy.name, policy.limit, policy.window_secs),
                    ));
                    response
                        .insert_header(("RateLimit", rules::state_field(policy.name, 0, *retry_after_secs)));
                }
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match &error {
            Error::NotFound => ApiError::NotFound,
            Error::DatabaseError(Kind::UniqueViolation, info) => ApiError::Conflict {
                kind: ProblemType::Duplicate,
                detail: match info.constraint_name() {
                    Some(name) => format!("a record with the same unique value already exists ({name})"),
                    None => "a record with the same unique value already exists".into(),
                },
            },
            Error::DatabaseError(Kind::ForeignKeyViolation, _) => ApiError::Rule {
                kind: ProblemType::ReferenceNotFound,
                title: "A referenced record does not exist",
                detail: "the request refers to a record that does not exist".into(),
                errors: Vec::new(),
            },
            Error::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _) => {
                ApiError::Unavailable(error.to_string())
            }
            Error::DatabaseError(_, info) if is_connection_lost(info.message()) => {
                ApiError::Unavailable(error.to_string())
            }
            // A lost race: a serialization failure, or one of two transactions that waited on
            // each other, which PostgreSQL ends (40P01, which diesel leaves `Unknown`); the
            // other one's change went through.
            Error::DatabaseError(kind, info)
                if matches!(kind, Kind::SerializationFailure)
                    || info.message().contains("deadlock detected") =>
            {
                ApiError::Conflict {
                    kind: ProblemType::ConcurrentUpdate,
                    detail: "a concurrent change got there first; retry the request".into(),
                }
            }
            // Last resort: NUL is refused at the edge, but text PostgreSQL cannot store is the
            // client's, never a 500.
            Error::DatabaseError(_, info) if info.message().contains("invalid byte sequence") => {
                ApiError::BadRequest {
                    detail: "the request holds text the database cannot store (NUL)".into(),
                }
            }
            // PostgreSQL's statement_timeout: the database is too slow to answer now.
            Error::DatabaseError(_, info) if info.message().contains("statement timeout") => {
                ApiError::Unavailable(error.to_string())
            }
            Error::DatabaseError(_, info) if is_lock_timeout(info.message()) => {
                ApiError::Unavailable(error.to_string())
            }
            _ => ApiError::Internal(error.to_string()),
        }
    }
}

/// SQLite reports a busy database as a plain error; it is transient, like an outage.
/// libpq's words for a connection the server or the network ended (a restart, a failover,
/// `pg_terminate_backend`): the database is unavailable, not the request wrong.
fn is_connection_lost(message: &str) -> bool {
    [
        "no connection to the server",
        "server closed the connection",
        "terminating connection",
        "could not receive data from server",
        "could not send data to server",
    ]
    .iter()
    .any(|words| message.contains(words))
}

fn is_lock_timeout(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

impl From<r2d2::Error> for ApiError {
    fn from(error: r2d2::Error) -> Self {
        ApiError::Unavailable(error.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(error: crate::db::DbError) -> Self {
        use crate::db::DbError;
        match error {
            DbError::Query(error) => ApiError::from(error),
            DbError::Pool(error) => ApiError::from(error),
            DbError::Blocking(cause) | DbError::Corrupt(cause) => ApiError::Internal(cause),
            DbError::TimedOut(_) | DbError::NotWritten(_) => ApiError::Unavailable(error.to_string()),
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        ApiError::Validation { errors: flatten_validation_errors("", &errors) }
    }
}

/// Turns validator's nested errors into flat `field` paths (`people[2].email`).
fn flatten_validation_errors(prefix: &str, errors: &validator::ValidationErrors) -> Vec<FieldError> {
    use validator::ValidationErrorsKind as K;
    let mut flat = Vec::new();
    let mut fields: Vec<_> = errors.errors().iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    for (field, kind) in fields {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            K::Field(list) => flat.extend(list.iter().map(|e| {
                let message = e.message.as_ref().map(|m| m.to_string()).unwrap_or_else(|| describe(e));
                FieldError::new(path.clone(), e.code.to_string(), message)
            })),
            K::Struct(inner) => flat.extend(flatten_validation_errors(&path, inner)),
            K::List(items) => {
                for (index, inner) in items {
                    flat.extend(flatten_validation_errors(&format!("{path}[{index}]"), inner));
                }
            }
        }
    }
    flat
}

/// A readable default message for validator's built-in checks.
fn describe(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "invalid length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "out of range".into(),
        },
        "email" => "must be a valid email address".into(),
        "url" => "must be a valid URL".into(),
        code => format!("failed the `{code}` check"),
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_the_error_policy() {
        assert_eq!(ApiError::NotFound.status_code(), 404);
        assert_eq!(ApiError::validation("a", "b", "c").status_code(), 422);
        assert_eq!(ApiError::Unavailable("x".into()).status_code(), 503);
        assert_eq!(ApiError::PreconditionRequired.status_code(), 428);
    }

    #[test]
    fn unique_violations_are_conflicts_not_server_errors() {
        let err = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new("UNIQUE constraint failed: users.email".to_string()),
        );
        assert_eq!(ApiError::from(err).status_code(), 409);
    }

    #[test]
    fn a_lost_database_connection_is_unavailable_not_a_server_error() {
        for message in ["no connection to the server\n", "server closed the connection unexpectedly"] {
            let err = diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::Unknown,
                Box::new(message.to_string()),
            );
            assert_eq!(ApiError::from(err).status_code(), 503, "{message}");
        }
    }

    /// A serialization failure and a deadlock PostgreSQL ended are lost races, not server errors.
    #[test]
    fn serialization_failures_and_deadlocks_are_lost_races() {
        use diesel::result::DatabaseErrorKind as Kind;
        for (kind, message) in
            [(Kind::SerializationFailure, "could not serialize access"), (Kind::Unknown, "deadlock detected")]
        {
            let err = diesel::result::Error::DatabaseError(kind, Box::new(message.to_string()));
            let error = ApiError::from(err);
            assert_eq!(error.status_code(), 409, "{message}");
            assert!(
                error.problem().problem_type.ends_with(ProblemType::ConcurrentUpdate.slug()),
                "{message}"
            );
        }
    }

    #[test]
    fn a_write_its_database_could_not_take_is_unavailable() {
        let err = crate::db::DbError::NotWritten("no connection".into());
        assert_eq!(ApiError::from(err).status_code(), 503);
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let problem = ApiError::internal("connection string postgres://secret").problem();
        assert_eq!(problem.status, 500);
        assert!(problem.detail.is_none());
        assert!(!serde_json::to_string(&problem).unwrap().contains("secret"));
    }
}
