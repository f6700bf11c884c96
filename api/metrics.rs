//! Prometheus metrics of this process (each replica is scraped on its own): requests by route
//! template, method and status; latency histograms; requests in flight; the pool's connections;
//! database errors; and, read at scrape time, the credit feed's head. Served at `GET /metrics`
//! in the Prometheus text format.

use std::{sync::LazyLock, time::Instant};

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    get,
    middleware::Next,
    web, Error, HttpRequest, HttpResponse, ResponseError,
};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::{db, error::ApiError, state::AppState};

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    in_flight: IntGauge,
    server_errors: IntCounterVec,
    pool: IntGaugeVec,
    feed_head: IntGauge,
    throttled: IntCounterVec,
}

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new();
    let requests = IntCounterVec::new(
        Opts::new("ce_http_requests_total", "HTTP requests answered, by route template, method and status"),
        &["route", "method", "status"],
    )?;
    let latency = HistogramVec::new(
        HistogramOpts::new(
            "ce_http_request_duration_seconds",
            "Time to answer, by route template and method",
        )
        .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
        &["route", "method"],
    )?;
    let in_flight = IntGauge::new("ce_http_requests_in_flight", "Requests being answered")?;
    let server_errors = IntCounterVec::new(
        Opts::new(
            "ce_server_errors_total",
            "Answers 5xx by cause: database_unavailable (down, stalled, timed out), upstream, internal",
        ),
        &["cause"],
    )?;
    let pool = IntGaugeVec::new(
        Opts::new("ce_db_pool_connections", "Pooled database connections, by state (idle, in_use)"),
        &["state"],
    )?;
    let feed_head = IntGauge::new("ce_credit_feed_head", "Sequence number of the newest credit feed event")?;
    let throttled = IntCounterVec::new(
        Opts::new(
            "ce_throttled_total",
            "Requests answered 429, by policy: a request quota (login, register, token, refresh, \
             password-reset, check-in), login-failures or check-in-code-failures",
        ),
        &["policy"],
    )?;
    registry.register(Box::new(requests.clone()))?;
    registry.register(Box::new(latency.clone()))?;
    registry.register(Box::new(in_flight.clone()))?;
    registry.register(Box::new(server_errors.clone()))?;
    registry.register(Box::new(pool.clone()))?;
    registry.register(Box::new(feed_head.clone()))?;
    registry.register(Box::new(throttled.clone()))?;
    Ok(Metrics { registry, requests, latency, in_flight, server_errors, pool, feed_head, throttled })
}

/// One set per process: every app the process serves adds to it.
static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| build().ok());

/// Counts a 5xx answer by its cause.
pub fn server_error(cause: &str) {
    if let Some(metrics) = METRICS.as_ref() {
        metrics.server_errors.with_label_values(&[cause]).inc();
    }
}

/// Marks the app on the `CE_METRICS_BIND` listener.
#[derive(Clone, Copy)]
pub struct MetricsListener;

/// Counts a 429 by the policy that refused it.
pub fn throttled(policy: &str) {
    if let Some(metrics) = METRICS.as_ref() {
        metrics.throttled.with_label_values(&[policy]).inc();
    }
}

/// Times and counts every request, labelled by its route template (never the raw path, so
/// ids do not multiply the series).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(metrics) = METRICS.as_ref() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let method = req.method().to_string();
    let started = Instant::now();
    metrics.in_flight.inc();
    let outcome = next.call(req).await;
    metrics.in_flight.dec();
    let response = outcome?.map_into_boxed_body();
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = response.status().as_u16().to_string();
    metrics.requests.with_label_values(&[&route, &method, &status]).inc();
    metrics.latency.with_label_values(&[&route, &method]).observe(started.elapsed().as_secs_f64());
    Ok(response)
}

/// Prometheus metrics of this process
///
/// Prometheus metrics of this process (text format 0.0.4). Not under `/v1`: it is for the
/// operator's scraper; restrict it at the proxy where it should not be public.
#[utoipa::path(
    tag = "operations",
    operation_id = "metrics",
    security(()),
    responses((status = 200, description = "The metrics", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn scrape(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    // With `CE_METRICS_BIND`, only the metrics listener answers.
    if state.settings.metrics_bind.is_some() && req.app_data::<MetricsListener>().is_none() {
        return ApiError::NotFound.error_response();
    }
    let Some(metrics) = METRICS.as_ref() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let pool = state.pool.state();
    metrics.pool.with_label_values(&["idle"]).set(i64::from(pool.idle_connections));
    metrics.pool.with_label_values(&["in_use"]).set(i64::from(pool.connections - pool.idle_connections));
    // Read at scrape time, and only if the database answers quickly.
    if let Ok(head) = db::run(&state.pool, crate::credit_events::service::head).await {
        metrics.feed_head.set(head);
    }
    let mut body = Vec::new();
    if TextEncoder::new().encode(&metrics.registry.gather(), &mut body).is_err() {
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body)
}
