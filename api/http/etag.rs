//! Versions as `ETag`s and optimistic concurrency with `If-Match` (RFC 9110 §13.1.1).

use actix_web::{
    http::{header, StatusCode},
    HttpRequest, HttpResponse,
};

use crate::error::{ApiError, ApiResult};

/// The strong ETag of a resource version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// `body` as JSON with its version's `ETag`.
pub fn versioned(status: StatusCode, version: i32, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::ETAG, etag(version))).json(body)
}

/// Whether `If-None-Match` names `tag` (or `*`): the client's copy is current, answer 304.
/// Weak comparison, as RFC 9110 §13.1.2 asks for this header.
pub fn none_match_hits(req: &HttpRequest, tag: &str) -> bool {
    if_none_match(req).is_some_and(|value| names(&value, tag))
}

/// The `If-None-Match` header's value, when there is one.
pub fn if_none_match(req: &HttpRequest) -> Option<String> {
    req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Whether an `If-None-Match` value names `tag` (or is `*`), by weak comparison.
pub fn names(if_none_match: &str, tag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
}

/// A strong validator of a representation: a hash of its bytes (for answers, such as list
/// pages, that have no version of their own).
pub fn of_bytes(body: &[u8]) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use sha2::{Digest, Sha256};
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&Sha256::digest(body)[..18]))
}

/// A read others may cache: `ETag`, `304 Not Modified` when `If-None-Match` names it, and
/// `Cache-Control: public, max-age` for anonymous callers (what they see is the same for
/// everyone); an answer to a caller with credentials stays private (`no-store`, added by
/// `hygiene::private_answers`). `Vary` tells caches that a token or another `Accept` changes it.
pub fn cacheable(req: &HttpRequest, tag: String, max_age_secs: u32, answer: HttpResponse) -> HttpResponse {
    let anonymous = !req.headers().contains_key(header::AUTHORIZATION);
    let mut response = if none_match_hits(req, &tag) { HttpResponse::NotModified().finish() } else { answer };
    let headers = response.headers_mut();
    if let Ok(value) = header::HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::VARY, header::HeaderValue::from_static("Authorization, Accept"));
    if anonymous {
        if let Ok(value) = header::HeaderValue::from_str(&format!("public, max-age={max_age_secs}")) {
            headers.insert(header::CACHE_CONTROL, value);
        }
    }
    response
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No `If-Match` header.
    None,
    /// `If-Match: *`: any current version.
    Any,
    /// One version, or `Unmatchable` if the header names only tags we never issue.
    Version(i32),
    Unmatchable,
    /// Not a list of entity tags at all: the client's mistake (400).
    Malformed,
}

pub fn if_match(req: &HttpRequest) -> Precondition {
    let Some(value) = req.headers().get(header::IF_MATCH) else { return Precondition::None };
    let Ok(value) = value.to_str() else { return Precondition::Malformed };
    if value.trim() == "*" {
        return Precondition::Any;
    }
    let tags: Vec<&str> = value.split(',').map(str::trim).collect();
    // Lenient: a bare version number (a client that dropped the quotes) counts as its tag.
    if let [bare] = tags.as_slice() {
        if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit()) {
            return bare.parse::<i32>().map_or(Precondition::Unmatchable, Precondition::Version);
        }
    }
    let is_entity_tag = |tag: &str| {
        let opaque = tag.strip_prefix("W/").unwrap_or(tag);
        opaque.len() >= 2
            && opaque.starts_with('"')
            && opaque.ends_with('"')
            && !opaque[1..opaque.len() - 1].contains('"')
    };
    if tags.iter().any(|tag| !is_entity_tag(tag)) {
        return Precondition::Malformed;
    }
    // Weak tags never match under If-Match (strong comparison), and a number we cannot have
    // issued matches nothing.
    tags.iter()
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
            Precondition::Malformed => Err(ApiError::BadRequest {
                detail: "If-Match must be `*` or a list of quoted entity tags".into(),
            }),
            Precondition::Version(_) | Precondition::Unmatchable => Err(ApiError::PreconditionFailed),
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
        assert_eq!(parse(""), Precondition::Malformed);
        assert_eq!(parse("3"), Precondition::Version(3));
        assert_eq!(parse("abc"), Precondition::Malformed);
        assert_eq!(parse("99999999999999"), Precondition::Unmatchable);
        assert_eq!(parse("\"99999999999999\""), Precondition::Unmatchable);
        assert!(matches!(Precondition::Malformed.check(1), Err(ApiError::BadRequest { .. })));
        assert_eq!(if_match(&TestRequest::default().to_http_request()), Precondition::None);
        assert!(Precondition::Version(2).check(3).is_err());
        assert!(Precondition::Version(3).check(3).is_ok());
        assert!(Precondition::None.required().is_err());
    }
}
