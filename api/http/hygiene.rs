//! Request and response hygiene: text PostgreSQL cannot store is refused before any handler
//! runs, and personal answers are never cached.

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
    Error,
};

use crate::error::ApiError;

/// Whether a path or query holds an encoded NUL (`%00`): PostgreSQL text cannot hold one, and
/// no identifier or filter of this API contains one.
pub fn has_encoded_nul(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// 400 for a path or query with a NUL in it, before routing reaches a query.
pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let uri = req.uri();
    if has_encoded_nul(uri.path()) || uri.query().is_some_and(has_encoded_nul) {
        let refused = ApiError::BadRequest {
            detail: "NUL characters (%00) are not accepted in paths or queries".into(),
        };
        return Ok(req.error_response(refused));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Whether an answer is personal: anything asked with credentials, and the public credit
/// verification (it names the learner).
fn personal(req: &ServiceRequest) -> bool {
    req.headers().contains_key(header::AUTHORIZATION) || req.path().starts_with("/v1/credit-verifications/")
}

/// `Cache-Control: no-store` on personal answers that do not say otherwise, so no shared or
/// browser cache keeps a learner's records.
pub async fn private_answers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let personal = personal(&req);
    let mut response = next.call(req).await?.map_into_boxed_body();
    if personal && !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::has_encoded_nul;

    #[test]
    fn encoded_nuls_are_found_and_encoded_percents_are_not() {
        assert!(has_encoded_nul("/v1/activities/%00"));
        assert!(has_encoded_nul("q=a%00b"));
        assert!(!has_encoded_nul("q=100%25"));
        assert!(!has_encoded_nul("q=%2500"));
    }
}
