//! HTTP plumbing shared by every resource: the JSON extractor, request ids, the fallback
//! for unknown routes and methods, and extractor error handlers.

pub mod csv;
pub mod etag;
pub mod fallback;
pub mod hygiene;
pub mod idempotency;
pub mod json;
pub mod pagination;
pub mod request_id;

use actix_web::{error::QueryPayloadError, http::header, web, HttpRequest};

use crate::error::ApiError;

/// Whether the client's `Accept` header names `media_type` (content negotiation between the
/// JSON default and another representation: CSV, PDF, HTML).
pub fn accepts(req: &HttpRequest, media_type: &str) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with(media_type)))
}

/// The client's address: the socket's peer, or, when that peer is one of the `trusted`
/// proxies, the nearest address in `X-Forwarded-For` that is not a trusted proxy (the
/// rightmost ones were added by our own proxies; anything left of them could be forged).
pub fn client_ip(req: &HttpRequest, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else { return String::new() };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded.into_iter().rev().find(|a| !trusted.contains(a)).unwrap_or(peer).to_string()
}

/// Query strings that do not parse are the client's mistake: 400 problem+json.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _req: &HttpRequest| {
        ApiError::BadRequest { detail: format!("invalid query string: {error}") }.into()
    })
}

/// A path segment that does not parse names nothing that exists: 404 problem+json.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_error, _req| ApiError::NotFound.into())
}

/// Form bodies (only the OAuth token endpoint takes them).
pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default().limit(limit).error_handler(|error, _req| {
        use actix_web::error::UrlencodedError as E;
        match error {
            E::ContentType => ApiError::UnsupportedMediaType {
                detail: "send the body as application/x-www-form-urlencoded".into(),
            },
            E::Overflow { limit, .. } => ApiError::PayloadTooLarge { limit },
            other => ApiError::BadRequest { detail: format!("invalid form body: {other}") },
        }
        .into()
    })
}
