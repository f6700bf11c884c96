//! The one client for calls to the outside world (board services now, webhooks later): a
//! timeout to connect and one for the whole exchange, TLS through rustls with the Mozilla root
//! store, redirects not followed (a service that moves is configured, not followed).

use std::sync::Arc;

use crate::config::OutboundSettings;

/// Why an outgoing call failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("{0}")]
    Tls(String),
    #[error("the service did not answer: {0}")]
    Send(String),
    #[error("the service's answer could not be read: {0}")]
    Body(String),
}

fn tls() -> Result<Arc<rustls::ClientConfig>, OutboundError> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| OutboundError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A client for one piece of outgoing work (awc clients live on the calling thread).
pub fn client(settings: &OutboundSettings) -> Result<awc::Client, OutboundError> {
    let connector = awc::Connector::new().rustls_0_23(tls()?).timeout(settings.connect_timeout);
    Ok(awc::Client::builder()
        .connector(connector)
        .timeout(settings.timeout)
        .disable_redirects()
        .add_default_header(("user-agent", concat!("ce-api/", env!("CARGO_PKG_VERSION"))))
        .finish())
}

/// A response's status and body as text (bounded: board services answer briefly).
pub async fn text(request: awc::SendClientRequest) -> Result<(u16, String), OutboundError> {
    let mut response = request.await.map_err(|e| OutboundError::Send(e.to_string()))?;
    let body = response.body().limit(1 << 20).await.map_err(|e| OutboundError::Body(e.to_string()))?;
    Ok((response.status().as_u16(), String::from_utf8_lossy(&body).into_owned()))
}
