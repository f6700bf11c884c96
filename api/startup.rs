//! Builds the actix application once, for `main` and for the tests alike.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_cors::Cors;
use actix_web::{
    dev::Server,
    http::header,
    middleware::{from_fn, Condition, DefaultHeaders},
    web, App, HttpResponse, HttpServer,
};
use utoipa_actix_web::{scope, service_config::ServiceConfig, AppExt};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    accounts,
    activities::{
        self, dto::ActivityStatus, revalidation::Revalidation, rules::OutcomeMeasures,
        service::ActivityEffects, ActivityRow,
    },
    auth::keys::{self, KeyCache},
    auth_sessions,
    config::Settings,
    credentials, credit_claims, credit_events,
    db::{self, DbConnection},
    enrollments,
    error::ApiResult,
    health,
    http::{self, fallback::RouteTable, json::BodyLimit, request_id},
    integration_clients,
    mail::Mailer,
    metrics, oauth, openapi, provider, rate_limits, reporting, reports, seed,
    state::AppState,
    surveys, users, webhooks,
};

/// Every documented route. Only `.service()` registrations reach the OpenAPI document.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.configure(health::configure);
    cfg.service(metrics::scrape);
    cfg.configure(oauth::configure_well_known);
    cfg.service(scope::scope("/v1").configure(v1_routes));
}

fn v1_routes(cfg: &mut ServiceConfig) {
    cfg.configure(auth_sessions::configure);
    cfg.configure(accounts::configure);
    cfg.configure(activities::configure);
    cfg.configure(enrollments::configure);
    cfg.configure(credit_claims::configure);
    cfg.configure(credentials::configure);
    cfg.configure(credit_events::configure);
    cfg.configure(surveys::configure);
    cfg.configure(reports::configure);
    cfg.configure(reporting::configure);
    cfg.configure(oauth::configure_v1);
    cfg.configure(users::configure);
    cfg.configure(integration_clients::configure);
    cfg.configure(provider::configure);
    cfg.configure(webhooks::configure);
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot bind {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

/// A bound, not yet running, server (and the metrics server, with `CE_METRICS_BIND`).
pub struct Application {
    port: u16,
    server: Server,
    metrics: Option<(u16, Server)>,
    state: web::Data<AppState>,
}

fn bind(address: std::net::SocketAddr) -> Result<(TcpListener, u16), StartupError> {
    let failed = |source| StartupError::Bind { address: address.to_string(), source };
    let listener = TcpListener::bind(address).map_err(failed)?;
    let port = listener.local_addr().map_err(failed)?.port();
    Ok((listener, port))
}

impl Application {
    /// Migrates (unless disabled), binds the listener and builds the server.
    pub fn build(settings: Settings) -> Result<Application, StartupError> {
        if settings.migrate_on_start {
            migrate(&settings.database_url)?;
        }
        prepare(&settings)?;
        let pool = db::pool(
            &settings.database_url,
            settings.db_pool_size,
            settings.db_timeout,
            settings.db_statement_timeout,
            settings.clock.clone(),
        );
        let (listener, port) = bind(settings.bind)?;
        let mailer = Mailer::new(&settings.mail, &settings.outbound).map_err(StartupError::Config)?;
        let metrics_bind = settings.metrics_bind;
        // A revalidation is never confirmed from memory for longer than caches may keep the page.
        let revalidate_window =
            settings.catalog_revalidate_window.min(Duration::from_secs(settings.catalog_max_age_secs.into()));
        let state = web::Data::new(AppState {
            catalog: Revalidation::new(revalidate_window),
            pool,
            settings: Arc::new(settings),
            keys: KeyCache::default(),
            tokens: Default::default(),
            mailer,
            views: Default::default(),
        });
        let metrics = match metrics_bind {
            Some(address) => {
                let (listener, port) = bind(address)?;
                Some((port, serve_metrics(listener, state.clone())?))
            }
            None => None,
        };
        let server = serve(listener, state.clone())?;
        Ok(Application { port, server, metrics, state })
    }

    /// The port of the metrics listener, when `CE_METRICS_BIND` gives one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the API server stops (SIGTERM, or its handle); the metrics server and the
    /// webhook worker stop with it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            actix_web::rt::spawn(server);
            handle
        });
        let (stop_worker, stopped) = tokio::sync::watch::channel(false);
        let worker = self
            .state
            .settings
            .webhooks
            .worker
            .then(|| actix_web::rt::spawn(webhooks::worker::run(self.state.clone(), stopped)));
        let served = self.server.await;
        let _ = stop_worker.send(true);
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        if let Some(handle) = metrics {
            handle.stop(true).await;
        }
        served
    }
}

/// Applies pending migrations with a dedicated connection.
pub fn migrate(database_url: &str) -> Result<Vec<String>, StartupError> {
    let mut conn = db::establish(database_url).map_err(|e| StartupError::Database(e.to_string()))?;
    let applied = db::run_migrations(&mut conn).map_err(StartupError::Database)?;
    for version in &applied {
        tracing::info!(version, "applied migration");
    }
    Ok(applied)
}

/// What must exist before the first request: a signing key, the bootstrap admin if
/// configured, and every activity's catalog views. All are idempotent, so every replica runs
/// them.
fn prepare(settings: &Settings) -> Result<(), StartupError> {
    let mut conn =
        db::establish(&settings.database_url).map_err(|e| StartupError::Database(e.to_string()))?;
    let kek = settings.auth.key_encryption_key.as_ref();
    if kek.is_none() && settings.backend() == crate::config::Backend::Postgres {
        tracing::warn!(
            "CE_KEY_ENCRYPTION_KEY is not set: JWT signing keys are stored unencrypted, and every \
             database backup holds them; set it (`openssl rand -base64 32`) to seal them"
        );
    }
    keys::ensure_signing_keys(
        &mut conn,
        settings.auth.signing_key_pem.as_deref(),
        settings.auth.credential_key_pem.as_deref(),
        kek,
    )
    .map_err(StartupError::Database)?;
    if let Some((email, password)) = &settings.auth.bootstrap_admin {
        seed::ensure_admin(&mut conn, email, password).map_err(|e| StartupError::Database(e.to_string()))?;
    }
    let rendered = crate::activities::service::render_missing_views(&mut conn)
        .map_err(|e| StartupError::Database(e.to_string()))?;
    if rendered > 0 {
        tracing::info!(rendered, "rendered the catalog views of activities stored before them");
    }
    Ok(())
}

/// `GET /metrics` alone, on its own listener (kept off the public port).
fn serve_metrics(listener: TcpListener, state: web::Data<AppState>) -> Result<Server, StartupError> {
    let server = HttpServer::new(move || {
        App::new().app_data(state.clone()).app_data(metrics::MetricsListener).service(metrics::scrape)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .map_err(|source| StartupError::Bind { address: "metrics listener".into(), source })?
    .run();
    Ok(server)
}

fn serve(listener: TcpListener, state: web::Data<AppState>) -> Result<Server, StartupError> {
    let settings = state.settings.clone();
    // Served with today's examples (see `activities::examples`).
    let document = openapi::document_at(chrono::Utc::now().date_naive());
    let route_table = web::Data::new(RouteTable::from_openapi(&document, settings.docs_enabled));
    // The catalog's changes reach enrollments through this (see `activities::service`).
    let activity_effects: web::Data<dyn ActivityEffects> =
        web::Data::from(Arc::new(CatalogEffects) as Arc<dyn ActivityEffects>);
    let workers = settings.workers;
    let docs_enabled = settings.docs_enabled;
    let shutdown_timeout = settings.shutdown_timeout.as_secs();
    let server = HttpServer::new(move || {
        let (app, _) = App::new().into_utoipa_app().configure(routes).split_for_parts();
        app.app_data(state.clone())
            .app_data(activity_effects.clone())
            .app_data(route_table.clone())
            .app_data(BodyLimit(settings.body_limit_bytes))
            .app_data(http::query_config())
            .app_data(http::path_config())
            .app_data(http::form_config(settings.body_limit_bytes))
            .configure(|cfg| {
                // CE_DOCS_ENABLED=false: no Swagger UI and no served document.
                if docs_enabled {
                    cfg.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", document.clone()))
                        .route("/docs", web::get().to(redirect_to_docs));
                }
            })
            .default_service(web::to(http::fallback::unmatched))
            .wrap(from_fn(http::representations::representation_paths))
            .wrap(from_fn(rate_limits::guard))
            .wrap(Condition::new(
                !settings.cors_allowed_origins.is_empty(),
                cors(&settings.cors_allowed_origins),
            ))
            .wrap(from_fn(metrics::track))
            .wrap(from_fn(http::hygiene::private_answers))
            .wrap(from_fn(http::hygiene::refuse_nul))
            // Outside the handlers and the ETag they set: a gzip body keeps its identity
            // body's validator (range requests, where that would matter, are not served).
            .wrap(Condition::new(settings.compress_responses, actix_web::middleware::Compress::default()))
            .wrap(security_headers())
            .wrap(from_fn(request_id::middleware))
    })
    .workers(workers)
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)
    .map_err(|source| StartupError::Bind { address: "listener".into(), source })?
    .run();
    Ok(server)
}

async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

fn cors(allowed_origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::ACCEPT,
            header::HeaderName::from_static("idempotency-key"),
            request_id::HEADER,
        ])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("ratelimit"),
            header::HeaderName::from_static("ratelimit-policy"),
            request_id::HEADER,
        ])
        .max_age(3600);
    for origin in allowed_origins {
        cors = if origin == "*" { cors.allow_any_origin() } else { cors.allowed_origin(origin) };
    }
    cors
}

/// What the catalog's changes mean to the resources above it, wired into the activities' use
/// cases (the catalog itself imports none of them).
struct CatalogEffects;

impl ActivityEffects for CatalogEffects {
    fn capacity_changed(&self, conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()> {
        enrollments::service::fill_seats(conn, activity)
    }

    fn live_activity_closed(&self, conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()> {
        enrollments::service::mark_no_shows(conn, activity)
    }

    fn retitled(&self, conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<()> {
        credit_claims::service::activity_retitled(conn, activity)
    }

    fn outcome_measures(&self, conn: &mut DbConnection, activity_id: &str) -> ApiResult<OutcomeMeasures> {
        surveys::service::outcome_measures(conn, activity_id)
    }

    fn status_changed(
        &self,
        conn: &mut DbConnection,
        activity: &ActivityRow,
        to: ActivityStatus,
    ) -> ApiResult<()> {
        match to {
            ActivityStatus::Published => reporting::service::on_activity_published(conn, activity),
            ActivityStatus::Cancelled => reporting::service::on_activity_cancelled(conn, &activity.id),
            _ => Ok(()),
        }
    }
}
