//! HTTP plumbing shared by every resource: the JSON extractor, request ids, the fallback
//! for unknown routes and methods, and extractor error handlers.

pub mod batch;
pub mod csv;
pub mod etag;
pub mod fallback;
pub mod hygiene;
pub mod idempotency;
pub mod json;
pub mod pagination;
pub mod representations;
pub mod request_id;

use std::net::IpAddr;

use actix_web::{error::QueryPayloadError, http::header, web, HttpRequest};
use ipnet::IpNet;

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
pub fn client_addr(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| canonical(a.ip()))?;
    let is_trusted = |addr: &IpAddr| trusted.iter().any(|net| net.contains(addr));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .map(canonical)
        .collect();
    Some(forwarded.into_iter().rev().find(|a| !is_trusted(a)).unwrap_or(peer))
}

/// The key quotas and login throttles count a client under: its address, and for IPv6 its
/// /64 network (one subscriber usually holds a whole /64, so single addresses are free to
/// rotate through).
pub fn client_key(req: &HttpRequest, trusted: &[IpNet]) -> String {
    match client_addr(req, trusted) {
        Some(IpAddr::V6(v6)) => {
            let network = ipnet::Ipv6Net::new(v6, 64).map(|n| n.trunc()).unwrap_or_else(|_| v6.into());
            network.to_string()
        }
        Some(v4) => v4.to_string(),
        None => String::new(),
    }
}

/// IPv4 clients reached over an IPv6 socket (`::ffff:a.b.c.d`) are IPv4 clients.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// Query strings that do not parse are the client's mistake: 400 problem+json.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|error: QueryPayloadError, _req: &HttpRequest| invalid_query(error).into())
}

/// The request's query string as `T`, answered as [`query_config`] answers the `Query`
/// extractor (for a handler that may answer before it needs the query).
pub fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    web::Query::<T>::from_query(req.query_string()).map(web::Query::into_inner).map_err(invalid_query)
}

fn invalid_query(error: QueryPayloadError) -> ApiError {
    ApiError::BadRequest { detail: format!("invalid query string: {error}") }
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

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn key(peer: &str, forwarded: Option<&str>, trusted: &[&str]) -> String {
        let mut request = TestRequest::default().peer_addr(peer.parse().unwrap());
        if let Some(forwarded) = forwarded {
            request = request.insert_header(("x-forwarded-for", forwarded));
        }
        let trusted: Vec<IpNet> = trusted.iter().map(|n| n.parse().unwrap()).collect();
        client_key(&request.to_http_request(), &trusted)
    }

    #[test]
    fn clients_are_keyed_by_address_and_ipv6_clients_by_their_64() {
        assert_eq!(key("192.0.2.7:5000", None, &[]), "192.0.2.7");
        assert_eq!(key("[2001:db8:1:2:aaaa::1]:5000", None, &[]), "2001:db8:1:2::/64");
        assert_eq!(key("[2001:db8:1:2:bbbb::9]:5000", None, &[]), "2001:db8:1:2::/64");
        assert_eq!(key("[::ffff:192.0.2.7]:5000", None, &[]), "192.0.2.7");
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        // Untrusted peer: its own address, whatever it forwards.
        assert_eq!(key("192.0.2.7:1", Some("203.0.113.5"), &["10.0.0.0/8"]), "192.0.2.7");
        // Trusted network: the nearest untrusted forwarded address; forged ones to its left lose.
        assert_eq!(key("10.1.2.3:1", Some("6.6.6.6, 203.0.113.5, 10.9.9.9"), &["10.0.0.0/8"]), "203.0.113.5");
        // Nothing but proxies: the peer.
        assert_eq!(key("10.1.2.3:1", Some("10.9.9.9"), &["10.0.0.0/8"]), "10.1.2.3");
    }
}
