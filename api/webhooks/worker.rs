//! The delivery worker: runs inside `serve` on every replica, claims due deliveries (each the
//! oldest pending one of its endpoint), signs and sends them with the one outbound client, and
//! records the outcome. At least once: a delivery is marked done only after a 2xx, so a crash
//! between the answer and the record sends it again (receivers deduplicate by `webhook-id`).

use std::{
    net::{SocketAddr, ToSocketAddrs},
    time::Duration,
};

use actix_web::web;
use futures_util::future::{join_all, select, Either};
use tokio::sync::watch;

use crate::{
    auth::keys,
    db, outbound,
    state::AppState,
    webhooks::{
        rules, service,
        store::{Attempt, Claimed},
    },
};

/// How many deliveries one claim takes.
const BATCH: i64 = 32;

/// Runs until `stop` turns true.
pub async fn run(state: web::Data<AppState>, mut stop: watch::Receiver<bool>) {
    let settings = state.settings.clone();
    let client = match outbound::client(&settings.outbound) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "webhook deliveries are off: no outbound client");
            return;
        }
    };
    // Longer than one attempt can take, so a lease never ends while its attempt runs.
    let lease = chrono::Duration::from_std(settings.outbound.timeout + Duration::from_secs(30))
        .unwrap_or(chrono::Duration::seconds(60));
    while !*stop.borrow() {
        let due = db::run(&state.pool, service::any_due).await.unwrap_or(false);
        let claimed = if due {
            db::write(&state.pool, move |conn| service::claim(conn, BATCH, lease)).await
        } else {
            Ok(Vec::new())
        };
        let claimed = claimed.unwrap_or_else(|error| {
            tracing::warn!(%error, "claiming webhook deliveries failed");
            Vec::new()
        });
        let attempts = claimed.into_iter().map(|claimed| attempt(&state, &client, claimed));
        // After sending, claim again at once: more may be due (a full batch, or the next in
        // line of the endpoints just served). Only an empty claim waits.
        let sent = join_all(attempts).await;
        if sent.is_empty() {
            let pause = Box::pin(actix_web::rt::time::sleep(settings.webhooks.poll_interval));
            if let Either::Right(_) = select(pause, Box::pin(stop.changed())).await {
                break;
            }
        }
    }
}

/// Sends one delivery and records the outcome.
async fn attempt(state: &web::Data<AppState>, client: &awc::Client, claimed: Claimed) {
    let outcome = send(state, client, &claimed).await;
    let pool = state.pool.clone();
    let recorded = db::write(&pool, move |conn| service::record(conn, &claimed, outcome)).await;
    if let Err(error) = recorded {
        tracing::warn!(%error, "recording a webhook attempt failed; it will be sent again");
    }
}

/// The addresses the URL's host resolves to, refused when any is not public (unless private
/// addresses are allowed): the request then connects to the address checked, so a DNS answer
/// that changes in between cannot redirect it.
fn resolve(url: &actix_web::http::Uri, allow_private: bool) -> Result<SocketAddr, String> {
    let host = url.host().ok_or("the URL has no host")?.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_u16().unwrap_or(if url.scheme_str() == Some("http") { 80 } else { 443 });
    let addresses: Vec<SocketAddr> =
        (host, port).to_socket_addrs().map_err(|e| format!("cannot resolve {host}: {e}"))?.collect();
    if !allow_private && addresses.iter().any(|a| !rules::is_public(a.ip())) {
        return Err(format!("{host} resolves to a private or reserved address"));
    }
    addresses.into_iter().next().ok_or_else(|| format!("{host} has no address"))
}

async fn send(state: &web::Data<AppState>, client: &awc::Client, claimed: &Claimed) -> Attempt {
    let settings = &state.settings;
    let failed = |status: Option<i32>, error: String| {
        let spread = f64::from(secrets_spread()) / f64::from(u16::MAX);
        let retry_at =
            rules::retry_after(&settings.webhooks.retry_schedule, (claimed.attempts + 1) as u32, spread)
                .and_then(|wait| chrono::Duration::from_std(wait).ok())
                .map(|wait| settings.clock.now().naive_utc() + wait);
        Attempt::Failed { status, error, retry_at }
    };
    let Ok(uri) = claimed.url.parse::<actix_web::http::Uri>() else {
        return failed(None, "the endpoint's URL does not parse".into());
    };
    let secret = match keys::open_at_rest(
        settings.auth.key_encryption_key.as_ref(),
        &claimed.endpoint_id,
        &claimed.secret,
    ) {
        Ok(secret) => secret,
        Err(error) => return failed(None, error),
    };
    let allow_private = settings.webhooks.allow_private;
    let resolved = web::block(move || resolve(&uri, allow_private)).await;
    let address = match resolved {
        Ok(Ok(address)) => address,
        Ok(Err(error)) => return failed(None, error),
        Err(error) => return failed(None, error.to_string()),
    };
    let timestamp = settings.clock.now().timestamp();
    let signature = match rules::signature(&secret, &claimed.message_id, timestamp, &claimed.body) {
        Ok(signature) => signature,
        Err(error) => return failed(None, error),
    };
    let request = client
        .post(&claimed.url)
        .address(address)
        .insert_header(("content-type", "application/json"))
        .insert_header(("webhook-id", claimed.message_id.as_str()))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .send_body(claimed.body.clone());
    match outbound::text(request).await {
        Ok((status, _)) if (200..300).contains(&status) => Attempt::Delivered { status: i32::from(status) },
        Ok((410, _)) => Attempt::Gone,
        Ok((status, body)) => {
            let excerpt: String = body.chars().take(200).collect();
            failed(Some(i32::from(status)), format!("answered {status}: {excerpt}"))
        }
        Err(error) => failed(None, error.to_string()),
    }
}

/// Random bits for the retry spread.
fn secrets_spread() -> u16 {
    let bytes = crate::auth::secrets::random_bytes(2);
    u16::from_le_bytes([bytes[0], bytes[1]])
}
