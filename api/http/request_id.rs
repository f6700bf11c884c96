//! `X-Request-Id`: accepted from the caller when it is sane, generated otherwise, echoed on
//! every response, attached to every log line (through a tracing span) and to every problem
//! body (through a task-local that [`crate::error::ApiError`] reads when it renders).

use std::time::Instant;

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    error::InternalError,
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    Error, HttpMessage,
};
use tracing::Instrument;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// What the error renderer needs to know about the request being served.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub id: String,
    pub path: String,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// The context of the request the current task is serving, if any.
pub fn current() -> Option<RequestContext> {
    CONTEXT.try_with(Clone::clone).ok()
}

/// A caller's id is reused only when it is short and made of safe characters, so that it
/// cannot inject anything into logs or headers.
fn is_acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let context = RequestContext { id: id.clone(), path: req.path().to_owned() };
    req.extensions_mut().insert(context.clone());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();

    let outcome = CONTEXT.scope(context.clone(), next.call(req)).instrument(span.clone()).await;
    let header_value = HeaderValue::from_str(&id).ok();
    let mut response = match outcome {
        Ok(response) => response.map_into_boxed_body(),
        Err(error) => {
            // An error that escaped the inner services is rendered here, inside the request's
            // context, so that its problem body and headers still carry the request id.
            let mut rendered = CONTEXT.sync_scope(context, || error.error_response());
            if let Some(value) = header_value {
                rendered.headers_mut().insert(HEADER, value);
            }
            tracing::warn!(parent: &span, status = rendered.status().as_u16(), error = %error, "request failed");
            return Err(InternalError::from_response(error.to_string(), rendered).into());
        }
    };
    if let Some(value) = header_value {
        response.headers_mut().insert(HEADER, value);
    }
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        )
    });
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::is_acceptable;

    #[test]
    fn only_short_safe_ids_are_reused() {
        assert!(is_acceptable("abc-123_x.y:z"));
        assert!(!is_acceptable(""));
        assert!(!is_acceptable("a b"));
        assert!(!is_acceptable("line\nbreak"));
        assert!(!is_acceptable(&"x".repeat(129)));
    }
}
