//! Versions as `ETag`s and optimistic concurrency with `If-Match` (RFC 9110 §13.1.1).

use actix_web::{http::header, HttpRequest};

use crate::error::{ApiError, ApiResult};

/// The strong ETag of a resource version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No `If-Match` header.
    None,
    /// `If-Match: *`: any current version.
    Any,
    /// One version, or `Unmatchable` if the header names none we could have issued.
    Version(i32),
    Unmatchable,
}

pub fn if_match(req: &HttpRequest) -> Precondition {
    let Some(value) = req.headers().get(header::IF_MATCH) else { return Precondition::None };
    let Ok(value) = value.to_str() else { return Precondition::Unmatchable };
    if value.trim() == "*" {
        return Precondition::Any;
    }
    // Weak tags never match under If-Match (strong comparison), so only "N" is accepted.
    value
        .split(',')
        .map(str::trim)
        .find_map(|tag| tag.strip_prefix('"')?.strip_suffix('"')?.parse::<i32>().ok())
        .map_or(Precondition::Unmatchable, Precondition::Version)
}

impl Precondition {
    /// 428 when the header is required but missing.
    pub fn required(self) -> ApiResult<Precondition> {
        match self {
            Precondition::None => Err(ApiError::PreconditionRequired),
            other => Ok(other),
        }
    }

    /// Checks the current version: 412 when it does not match.
    pub fn check(self, current: i32) -> ApiResult<()> {
        match self {
            Precondition::None | Precondition::Any => Ok(()),
            Precondition::Version(v) if v == current => Ok(()),
            _ => Err(ApiError::PreconditionFailed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn parse(value: &str) -> Precondition {
        if_match(&TestRequest::default().insert_header((header::IF_MATCH, value)).to_http_request())
    }

    #[test]
    fn if_match_headers_parse_to_versions() {
        assert_eq!(parse("\"3\""), Precondition::Version(3));
        assert_eq!(parse("*"), Precondition::Any);
        assert_eq!(parse("W/\"3\""), Precondition::Unmatchable);
        assert_eq!(parse("\"x\", \"4\""), Precondition::Version(4));
        assert_eq!(if_match(&TestRequest::default().to_http_request()), Precondition::None);
        assert!(Precondition::Version(2).check(3).is_err());
        assert!(Precondition::Version(3).check(3).is_ok());
        assert!(Precondition::None.required().is_err());
    }
}
