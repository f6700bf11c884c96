//! Settings from `CE_*` environment variables over defaults.
//!
//! Every variable is parsed once at start-up; a bad value is reported as one line naming the
//! variable so that an operator can fix it without reading code. Secrets are never logged:
//! `Debug` for [`Settings`] redacts them.

use std::{fmt, net::SocketAddr, time::Duration};

use crate::{
    clock::Clock,
    rate_limits::{Quota, RateLimitSettings},
};

/// Which database the URL selects. SQLite is the embedded default; PostgreSQL is production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from the URL scheme; anything that is not `postgres://` or
    /// `postgresql://` is a SQLite path (optionally prefixed with `sqlite://`).
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Output format of the log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    pub log_filter: String,
    pub log_format: LogFormat,
    /// Origins allowed by CORS; empty disables CORS, `*` allows any origin.
    pub cors_allowed_origins: Vec<String>,
    pub db_pool_size: u32,
    /// How long a request waits for a database connection, and for its database work, before
    /// answering 503.
    pub db_timeout: Duration,
    /// PostgreSQL's `statement_timeout` on every pooled connection.
    pub db_statement_timeout: Duration,
    pub body_limit_bytes: usize,
    /// How long shared caches and browsers may keep an anonymous catalog answer (seconds;
    /// 0: revalidate each time, with `If-None-Match`).
    pub catalog_max_age_secs: u32,
    /// How long a replica answers an anonymous catalog revalidation from the catalog change
    /// mark it last read, without reading again (never longer than `catalog_max_age_secs`;
    /// zero: every revalidation reads the database). See `activities::revalidation`.
    pub catalog_revalidate_window: Duration,
    /// gzip response bodies for clients that accept it (`Accept-Encoding: gzip`). Off by
    /// default: a reverse proxy in front usually compresses, and on a fast local network the
    /// CPU costs more than the bytes save (docs/BENCHMARKS.md).
    pub compress_responses: bool,
    /// HTTP worker threads; defaults to the number of CPUs.
    pub workers: usize,
    /// How long in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// Run pending migrations when `serve` starts.
    pub migrate_on_start: bool,
    /// How long after a session ends learners may still check in.
    pub check_in_grace: Duration,
    /// Serve Swagger UI (`/docs/`) and the OpenAPI document (`/openapi.json`).
    pub docs_enabled: bool,
    /// Proxies whose `X-Forwarded-For` names the client (addresses or CIDR networks).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Request quotas per client address.
    pub rate_limits: RateLimitSettings,
    /// Serve `GET /metrics` on this address only (not on the API's port).
    pub metrics_bind: Option<SocketAddr>,
    pub auth: AuthSettings,
    pub provider: ProviderSettings,
    /// Timeouts of every outgoing call.
    pub outbound: OutboundSettings,
    /// The board services batches may be sent to directly (none: files only).
    pub boards: BoardServices,
    /// Where account mails go and where their links point.
    pub mail: MailSettings,
    /// Webhook deliveries.
    pub webhooks: WebhookSettings,
    /// The clock rules read (the system clock; tests pass one they move).
    pub clock: Clock,
}

/// Webhook deliveries: where they may go, how often the worker looks, when it retries.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Deliver to http:// and private, loopback and link-local addresses (development only).
    pub allow_private: bool,
    /// How long the worker waits when nothing is due.
    pub poll_interval: Duration,
    /// The waits after failed attempts; their number plus one is the attempts in all.
    pub retry_schedule: Vec<Duration>,
    /// Run the delivery worker in this process.
    pub worker: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private: false,
            poll_interval: Duration::from_secs(1),
            retry_schedule: crate::webhooks::rules::default_retry_schedule(),
            worker: true,
        }
    }
}

/// Account mails (verification, password reset, notices).
#[derive(Clone)]
pub struct MailSettings {
    /// `smtp://host:port`, `smtps://user:password@host` or `smtp://...?tls=required`; without
    /// it mails are written to the log.
    pub smtp_url: Option<String>,
    /// The sender, e.g. `CE Office <ce@example.org>`.
    pub from: String,
    /// The learner portal's base URL: mails link to `{portal_url}/verify-email?token=...` and
    /// `{portal_url}/reset-password?token=...`, pages that post the token to this API.
    pub portal_url: String,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("from", &self.from)
            .field("portal_url", &self.portal_url)
            .finish()
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            from: "ce-api <no-reply@localhost>".into(),
            portal_url: ProviderSettings::default().public_url,
        }
    }
}

/// Timeouts of outgoing calls: to connect, and for the whole exchange.
#[derive(Debug, Clone)]
pub struct OutboundSettings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
}

impl Default for OutboundSettings {
    fn default() -> Self {
        OutboundSettings { connect_timeout: Duration::from_secs(5), timeout: Duration::from_secs(30) }
    }
}

/// NABP CPE Monitor's web service: base URL (up to `.asmx`) and the provider's account.
#[derive(Clone)]
pub struct CpeMonitorService {
    pub url: String,
    pub username: String,
    pub password: String,
}

/// CE Broker's web service: base URL (up to `.asmx`) and the provider's upload key.
#[derive(Clone)]
pub struct CeBrokerService {
    pub url: String,
    pub upload_key: String,
}

/// The board services configured for direct submission.
#[derive(Clone, Default)]
pub struct BoardServices {
    pub cpe_monitor: Option<CpeMonitorService>,
    pub ce_broker: Option<CeBrokerService>,
}

impl fmt::Debug for BoardServices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoardServices")
            .field("cpe_monitor", &self.cpe_monitor.as_ref().map(|s| (&s.url, &s.username, "***")))
            .field("ce_broker", &self.ce_broker.as_ref().map(|s| (&s.url, "***")))
            .finish()
    }
}

/// CPE Monitor's documented service address.
pub const CPE_MONITOR_URL: &str = "https://cpemonitor.acpe-accredit.org/service/cpemonitorservice.asmx";

/// The accredited provider, as certificates print it, and where the service is reached
/// publicly (for the verification links on certificates).
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub name: String,
    pub address: String,
    /// Public base URL of this API, without a trailing slash.
    pub public_url: String,
}

impl Default for ProviderSettings {
    fn default() -> Self {
        ProviderSettings {
            name: "CE Program (set CE_PROVIDER_NAME)".into(),
            address: "Set CE_PROVIDER_ADDRESS".into(),
            public_url: "http://localhost:8080".into(),
        }
    }
}

/// Token, password and sign-up settings.
#[derive(Clone)]
pub struct AuthSettings {
    /// `iss` of every token we issue, and the only one we accept.
    pub issuer: String,
    /// `aud` of every token we issue, and the only one we accept.
    pub audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Whether `POST /v1/auth/register` is open.
    pub self_registration: bool,
    /// An Ed25519 private key (PKCS#8 PEM) to sign with, instead of generated keys.
    pub signing_key_pem: Option<String>,
    /// An Ed25519 private key (PKCS#8 PEM) that signs credentials, instead of generated keys;
    /// never the access-token key.
    pub credential_key_pem: Option<String>,
    /// Failed logins allowed per account within the window before 429.
    pub login_max_failures: u32,
    pub login_failure_window: Duration,
    /// Created at start-up when no account has this email (for containers).
    pub bootstrap_admin: Option<(String, String)>,
    /// The key-encryption key that seals signing keys at rest (32 bytes).
    pub key_encryption_key: Option<[u8; 32]>,
    /// Learners must verify their email before they claim credit.
    pub require_verified_email: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            issuer: "ce-api".into(),
            audience: "ce-api".into(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            self_registration: true,
            signing_key_pem: None,
            credential_key_pem: None,
            login_max_failures: 5,
            login_failure_window: Duration::from_secs(15 * 60),
            bootstrap_admin: None,
            key_encryption_key: None,
            require_verified_email: true,
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("log_filter", &self.log_filter)
            .field("log_format", &self.log_format)
            .field("cors_allowed_origins", &self.cors_allowed_origins)
            .field("db_pool_size", &self.db_pool_size)
            .field("db_timeout", &self.db_timeout)
            .field("db_statement_timeout", &self.db_statement_timeout)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("catalog_max_age_secs", &self.catalog_max_age_secs)
            .field("catalog_revalidate_window", &self.catalog_revalidate_window)
            .field("compress_responses", &self.compress_responses)
            .field("workers", &self.workers)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("migrate_on_start", &self.migrate_on_start)
            .field("check_in_grace", &self.check_in_grace)
            .field("docs_enabled", &self.docs_enabled)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("rate_limits", &self.rate_limits)
            .field("metrics_bind", &self.metrics_bind)
            .field("clock", &self.clock.now())
            .field("jwt_issuer", &self.auth.issuer)
            .field("jwt_audience", &self.auth.audience)
            .field("access_token_ttl", &self.auth.access_token_ttl)
            .field("self_registration", &self.auth.self_registration)
            .field("signing_key_pem", &self.auth.signing_key_pem.as_ref().map(|_| "***"))
            .field("credential_key_pem", &self.auth.credential_key_pem.as_ref().map(|_| "***"))
            .field("bootstrap_admin", &self.auth.bootstrap_admin.as_ref().map(|(email, _)| email))
            .field("key_encryption_key", &self.auth.key_encryption_key.as_ref().map(|_| "***"))
            .field("provider", &self.provider)
            .field("outbound", &self.outbound)
            .field("boards", &self.boards)
            .field("mail", &self.mail)
            .field("webhooks", &self.webhooks)
            .field("require_verified_email", &self.auth.require_verified_email)
            .finish()
    }
}

/// Hides the password of a `scheme://user:password@host` URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &userinfo[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A configuration value that cannot be used; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "ce-api.db".into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_filter: "info".into(),
            log_format: LogFormat::Text,
            cors_allowed_origins: Vec::new(),
            db_pool_size: 10,
            db_timeout: Duration::from_secs(5),
            db_statement_timeout: Duration::from_secs(5),
            body_limit_bytes: 1024 * 1024,
            catalog_max_age_secs: 60,
            catalog_revalidate_window: Duration::from_secs(1),
            compress_responses: false,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            shutdown_timeout: Duration::from_secs(30),
            migrate_on_start: true,
            check_in_grace: Duration::from_secs(30 * 60),
            docs_enabled: true,
            trusted_proxies: Vec::new(),
            rate_limits: RateLimitSettings::default(),
            metrics_bind: None,
            auth: AuthSettings::default(),
            provider: ProviderSettings::default(),
            outbound: OutboundSettings::default(),
            boards: BoardServices::default(),
            mail: MailSettings::default(),
            webhooks: WebhookSettings::default(),
            clock: Clock::system(),
        }
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply variables without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let defaults = Settings::default();
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Ok(Settings {
            database_url: var("CE_DATABASE_URL").unwrap_or(defaults.database_url),
            bind: parse_or(
                "CE_BIND",
                var("CE_BIND"),
                defaults.bind,
                "a socket address such as 127.0.0.1:8080",
            )?,
            log_filter: var("CE_LOG").unwrap_or(defaults.log_filter),
            log_format: match var("CE_LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => return Err(invalid("CE_LOG_FORMAT", other, "`text` or `json`")),
            },
            cors_allowed_origins: var("CE_CORS_ALLOWED_ORIGINS")
                .map(|v| v.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect())
                .unwrap_or_default(),
            db_pool_size: bounded("CE_DB_POOL_SIZE", var("CE_DB_POOL_SIZE"), defaults.db_pool_size, 1, 1000)?,
            db_timeout: Duration::from_millis(bounded(
                "CE_DB_TIMEOUT_MS",
                var("CE_DB_TIMEOUT_MS"),
                defaults.db_timeout.as_millis() as u64,
                50,
                600_000,
            )?),
            db_statement_timeout: Duration::from_millis(bounded(
                "CE_DB_STATEMENT_TIMEOUT_MS",
                var("CE_DB_STATEMENT_TIMEOUT_MS"),
                defaults.db_statement_timeout.as_millis() as u64,
                100,
                3_600_000,
            )?),
            body_limit_bytes: bounded(
                "CE_BODY_LIMIT_BYTES",
                var("CE_BODY_LIMIT_BYTES"),
                defaults.body_limit_bytes,
                1024,
                64 * 1024 * 1024,
            )?,
            catalog_max_age_secs: bounded(
                "CE_CATALOG_MAX_AGE_SECS",
                var("CE_CATALOG_MAX_AGE_SECS"),
                defaults.catalog_max_age_secs,
                0,
                86_400,
            )?,
            catalog_revalidate_window: Duration::from_millis(bounded(
                "CE_CATALOG_REVALIDATE_MS",
                var("CE_CATALOG_REVALIDATE_MS"),
                defaults.catalog_revalidate_window.as_millis() as u64,
                0,
                60_000,
            )?),
            compress_responses: parse_bool(
                "CE_COMPRESS_RESPONSES",
                var("CE_COMPRESS_RESPONSES"),
                defaults.compress_responses,
            )?,
            workers: bounded("CE_WORKERS", var("CE_WORKERS"), defaults.workers, 1, 512)?,
            shutdown_timeout: Duration::from_secs(bounded(
                "CE_SHUTDOWN_TIMEOUT_SECS",
                var("CE_SHUTDOWN_TIMEOUT_SECS"),
                defaults.shutdown_timeout.as_secs(),
                0,
                3600,
            )?),
            migrate_on_start: parse_bool(
                "CE_MIGRATE_ON_START",
                var("CE_MIGRATE_ON_START"),
                defaults.migrate_on_start,
            )?,
            check_in_grace: Duration::from_secs(
                60 * bounded(
                    "CE_CHECK_IN_GRACE_MINUTES",
                    var("CE_CHECK_IN_GRACE_MINUTES"),
                    defaults.check_in_grace.as_secs() / 60,
                    0,
                    24 * 60,
                )?,
            ),
            docs_enabled: parse_bool("CE_DOCS_ENABLED", var("CE_DOCS_ENABLED"), defaults.docs_enabled)?,
            trusted_proxies: match var("CE_TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(list) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        a.parse::<ipnet::IpNet>()
                            .or_else(|_| a.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                            .map_err(|_| {
                                invalid(
                                    "CE_TRUSTED_PROXIES",
                                    a,
                                    "IP addresses or CIDR networks, comma-separated",
                                )
                            })
                    })
                    .collect::<Result<_, _>>()?,
            },
            rate_limits: rate_limit_settings(&var)?,
            metrics_bind: match var("CE_METRICS_BIND") {
                None => None,
                Some(address) => Some(address.parse().map_err(|_| {
                    invalid("CE_METRICS_BIND", &address, "a socket address such as 127.0.0.1:9090")
                })?),
            },
            auth: auth_settings(&var)?,
            provider: provider_settings(&var)?,
            outbound: outbound_settings(&var)?,
            boards: board_services(&var)?,
            mail: mail_settings(&var)?,
            webhooks: webhook_settings(&var)?,
            clock: Clock::system(),
        })
    }

    pub fn backend(&self) -> Backend {
        Backend::of_url(&self.database_url)
    }
}

/// `CE_RATE_LIMIT_<BUCKET>` = `requests/seconds` or `off`; `CE_RATE_LIMITS=off` turns every
/// quota off (load tests).
fn rate_limit_settings(var: &dyn Fn(&str) -> Option<String>) -> Result<RateLimitSettings, ConfigError> {
    if var("CE_RATE_LIMITS").as_deref() == Some("off") {
        return Ok(RateLimitSettings::off());
    }
    let defaults = RateLimitSettings::default();
    let quota = |variable: &'static str, default: Option<Quota>| -> Result<Option<Quota>, ConfigError> {
        match var(variable) {
            None => Ok(default),
            Some(text) if text.trim() == "off" => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|reason| ConfigError { variable, reason }),
        }
    };
    Ok(RateLimitSettings {
        login: quota("CE_RATE_LIMIT_LOGIN", defaults.login)?,
        register: quota("CE_RATE_LIMIT_REGISTER", defaults.register)?,
        token: quota("CE_RATE_LIMIT_TOKEN", defaults.token)?,
        refresh: quota("CE_RATE_LIMIT_REFRESH", defaults.refresh)?,
        password_reset: quota("CE_RATE_LIMIT_PASSWORD_RESET", defaults.password_reset)?,
        check_in: quota("CE_RATE_LIMIT_CHECK_IN", defaults.check_in)?,
        reset_mails_per_account: quota("CE_RATE_LIMIT_RESET_MAILS", defaults.reset_mails_per_account)?,
    })
}

fn outbound_settings(var: &dyn Fn(&str) -> Option<String>) -> Result<OutboundSettings, ConfigError> {
    let defaults = OutboundSettings::default();
    Ok(OutboundSettings {
        connect_timeout: Duration::from_millis(bounded(
            "CE_OUTBOUND_CONNECT_TIMEOUT_MS",
            var("CE_OUTBOUND_CONNECT_TIMEOUT_MS"),
            defaults.connect_timeout.as_millis() as u64,
            50,
            60_000,
        )?),
        timeout: Duration::from_millis(bounded(
            "CE_OUTBOUND_TIMEOUT_MS",
            var("CE_OUTBOUND_TIMEOUT_MS"),
            defaults.timeout.as_millis() as u64,
            100,
            600_000,
        )?),
    })
}

fn service_url(variable: &'static str, url: String) -> Result<String, ConfigError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(invalid(variable, &url, "an http(s) URL ending in .asmx"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// A board service is on when its credentials are set (both parts, or an error naming the
/// missing one).
fn board_services(var: &dyn Fn(&str) -> Option<String>) -> Result<BoardServices, ConfigError> {
    let together = |a: &'static str, b: &'static str| -> Result<Option<(String, String)>, ConfigError> {
        match (var(a), var(b)) {
            (Some(x), Some(y)) => Ok(Some((x, y))),
            (None, None) => Ok(None),
            (Some(_), None) => {
                Err(ConfigError { variable: b, reason: format!("must be set together with {a}") })
            }
            (None, Some(_)) => {
                Err(ConfigError { variable: a, reason: format!("must be set together with {b}") })
            }
        }
    };
    let cpe_monitor = match together("CE_CPE_MONITOR_USERNAME", "CE_CPE_MONITOR_PASSWORD")? {
        Some((username, password)) => Some(CpeMonitorService {
            url: service_url(
                "CE_CPE_MONITOR_URL",
                var("CE_CPE_MONITOR_URL").unwrap_or(CPE_MONITOR_URL.into()),
            )?,
            username,
            password,
        }),
        None => None,
    };
    // CE Broker's production address is not published with its documentation: it is set.
    let ce_broker = match together("CE_CEBROKER_URL", "CE_CEBROKER_UPLOAD_KEY")? {
        Some((url, upload_key)) => {
            Some(CeBrokerService { url: service_url("CE_CEBROKER_URL", url)?, upload_key })
        }
        None => None,
    };
    Ok(BoardServices { cpe_monitor, ce_broker })
}

fn webhook_settings(var: &dyn Fn(&str) -> Option<String>) -> Result<WebhookSettings, ConfigError> {
    let defaults = WebhookSettings::default();
    let retry_schedule = match var("CE_WEBHOOK_RETRY_SCHEDULE") {
        None => defaults.retry_schedule,
        Some(list) => list
            .split(',')
            .map(|s| s.trim().parse::<u64>().map(Duration::from_secs))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                invalid("CE_WEBHOOK_RETRY_SCHEDULE", &list, "seconds, comma-separated (e.g. 5,300,1800)")
            })?,
    };
    Ok(WebhookSettings {
        allow_private: parse_bool(
            "CE_WEBHOOK_ALLOW_PRIVATE",
            var("CE_WEBHOOK_ALLOW_PRIVATE"),
            defaults.allow_private,
        )?,
        poll_interval: Duration::from_millis(bounded(
            "CE_WEBHOOK_POLL_MS",
            var("CE_WEBHOOK_POLL_MS"),
            defaults.poll_interval.as_millis() as u64,
            10,
            60_000,
        )?),
        retry_schedule,
        worker: parse_bool("CE_WEBHOOK_WORKER", var("CE_WEBHOOK_WORKER"), defaults.worker)?,
    })
}

fn mail_settings(var: &dyn Fn(&str) -> Option<String>) -> Result<MailSettings, ConfigError> {
    let defaults = MailSettings::default();
    let from = var("CE_MAIL_FROM").unwrap_or(defaults.from);
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(invalid("CE_MAIL_FROM", &from, "a mailbox such as `CE Office <ce@example.org>`"));
    }
    let smtp_url = var("CE_SMTP_URL");
    if let Some(url) = &smtp_url {
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            return Err(invalid("CE_SMTP_URL", &redact_url(url), "an smtp:// or smtps:// URL"));
        }
    }
    let portal_url = var("CE_PORTAL_URL")
        .or_else(|| var("CE_PUBLIC_URL"))
        .unwrap_or(defaults.portal_url)
        .trim_end_matches('/')
        .to_string();
    if !(portal_url.starts_with("http://") || portal_url.starts_with("https://")) {
        return Err(invalid("CE_PORTAL_URL", &portal_url, "an http(s) URL"));
    }
    Ok(MailSettings { smtp_url, from, portal_url })
}

fn provider_settings(var: &dyn Fn(&str) -> Option<String>) -> Result<ProviderSettings, ConfigError> {
    let defaults = ProviderSettings::default();
    let public_url = var("CE_PUBLIC_URL").unwrap_or(defaults.public_url);
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        return Err(invalid("CE_PUBLIC_URL", &public_url, "an http(s) URL such as https://ce.example.org"));
    }
    Ok(ProviderSettings {
        name: var("CE_PROVIDER_NAME").unwrap_or(defaults.name),
        address: var("CE_PROVIDER_ADDRESS").unwrap_or(defaults.address),
        public_url: public_url.trim_end_matches('/').to_string(),
    })
}

/// 32 bytes, base64 (`openssl rand -base64 32`).
fn key_encryption_key(encoded: &str) -> Result<[u8; 32], ConfigError> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| ConfigError {
            variable: "CE_KEY_ENCRYPTION_KEY",
            reason: "must be 32 random bytes in base64 (`openssl rand -base64 32`)".into(),
        })
}

fn auth_settings(var: &dyn Fn(&str) -> Option<String>) -> Result<AuthSettings, ConfigError> {
    let defaults = AuthSettings::default();
    let bootstrap_admin = match (var("CE_BOOTSTRAP_ADMIN_EMAIL"), var("CE_BOOTSTRAP_ADMIN_PASSWORD")) {
        (Some(email), Some(password)) => Some((email, password)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(ConfigError {
                variable: "CE_BOOTSTRAP_ADMIN_PASSWORD",
                reason: "must be set together with CE_BOOTSTRAP_ADMIN_EMAIL".into(),
            })
        }
        (None, Some(_)) => {
            return Err(ConfigError {
                variable: "CE_BOOTSTRAP_ADMIN_EMAIL",
                reason: "must be set together with CE_BOOTSTRAP_ADMIN_PASSWORD".into(),
            })
        }
    };
    Ok(AuthSettings {
        issuer: var("CE_JWT_ISSUER").unwrap_or(defaults.issuer),
        audience: var("CE_JWT_AUDIENCE").unwrap_or(defaults.audience),
        access_token_ttl: Duration::from_secs(bounded(
            "CE_ACCESS_TOKEN_TTL_SECS",
            var("CE_ACCESS_TOKEN_TTL_SECS"),
            defaults.access_token_ttl.as_secs(),
            30,
            86_400,
        )?),
        refresh_token_ttl: Duration::from_secs(bounded(
            "CE_REFRESH_TOKEN_TTL_SECS",
            var("CE_REFRESH_TOKEN_TTL_SECS"),
            defaults.refresh_token_ttl.as_secs(),
            60,
            365 * 86_400,
        )?),
        self_registration: parse_bool(
            "CE_ALLOW_SELF_REGISTRATION",
            var("CE_ALLOW_SELF_REGISTRATION"),
            defaults.self_registration,
        )?,
        signing_key_pem: var("CE_JWT_PRIVATE_KEY_PEM"),
        credential_key_pem: var("CE_CREDENTIAL_PRIVATE_KEY_PEM"),
        require_verified_email: parse_bool(
            "CE_REQUIRE_VERIFIED_EMAIL",
            var("CE_REQUIRE_VERIFIED_EMAIL"),
            defaults.require_verified_email,
        )?,
        key_encryption_key: match var("CE_KEY_ENCRYPTION_KEY") {
            None => None,
            Some(encoded) => Some(key_encryption_key(&encoded)?),
        },
        login_max_failures: bounded(
            "CE_LOGIN_MAX_FAILURES",
            var("CE_LOGIN_MAX_FAILURES"),
            defaults.login_max_failures,
            1,
            1000,
        )?,
        login_failure_window: Duration::from_secs(bounded(
            "CE_LOGIN_FAILURE_WINDOW_SECS",
            var("CE_LOGIN_FAILURE_WINDOW_SECS"),
            defaults.login_failure_window.as_secs(),
            1,
            86_400,
        )?),
        bootstrap_admin,
    })
}

fn invalid(variable: &'static str, value: &str, expected: &str) -> ConfigError {
    ConfigError { variable, reason: format!("invalid value {value:?}, expected {expected}") }
}

fn parse_or<T: std::str::FromStr>(
    variable: &'static str,
    raw: Option<String>,
    default: T,
    expected: &str,
) -> Result<T, ConfigError> {
    match raw {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|_| invalid(variable, &raw, expected)),
    }
}

fn bounded<T>(
    variable: &'static str,
    raw: Option<String>,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    let expected = format!("a whole number from {min} to {max}");
    let value = parse_or(variable, raw.clone(), default, &expected)?;
    if value < min || value > max {
        return Err(invalid(variable, &raw.unwrap_or_default(), &expected));
    }
    Ok(value)
}

fn parse_bool(variable: &'static str, raw: Option<String>, default: bool) -> Result<bool, ConfigError> {
    match raw.as_deref().map(str::trim) {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(invalid(variable, other, "true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn board_services_are_on_only_with_their_credentials() {
        let off = settings(&[]).unwrap();
        assert!(off.boards.cpe_monitor.is_none() && off.boards.ce_broker.is_none());
        let on = settings(&[("CE_CPE_MONITOR_USERNAME", "ce"), ("CE_CPE_MONITOR_PASSWORD", "pw")]).unwrap();
        assert_eq!(on.boards.cpe_monitor.as_ref().map(|s| s.url.as_str()), Some(CPE_MONITOR_URL));
        assert!(!format!("{on:?}").contains("pw"), "the password is redacted");
        let half = settings(&[("CE_CPE_MONITOR_USERNAME", "ce")]).unwrap_err();
        assert_eq!(half.variable, "CE_CPE_MONITOR_PASSWORD");
        let key_only = settings(&[("CE_CEBROKER_UPLOAD_KEY", "k")]).unwrap_err();
        assert_eq!(key_only.variable, "CE_CEBROKER_URL");
        let kek =
            settings(&[("CE_KEY_ENCRYPTION_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")]).unwrap();
        assert_eq!(kek.auth.key_encryption_key.map(|k| k[31]), Some(31));
        assert!(!format!("{kek:?}").contains("AAECAw"), "the key is redacted");
        let short = settings(&[("CE_KEY_ENCRYPTION_KEY", "c2hvcnQ=")]).unwrap_err();
        assert_eq!(short.variable, "CE_KEY_ENCRYPTION_KEY");
        let proxies = settings(&[("CE_TRUSTED_PROXIES", "10.0.0.1, ::1")]).unwrap();
        assert_eq!(proxies.trusted_proxies.len(), 2);
        assert_eq!(
            settings(&[("CE_TRUSTED_PROXIES", "10.0.0.1, proxy.local")]).unwrap_err().variable,
            "CE_TRUSTED_PROXIES"
        );
        let timeout = settings(&[("CE_OUTBOUND_TIMEOUT_MS", "5")]).unwrap_err();
        assert_eq!(timeout.variable, "CE_OUTBOUND_TIMEOUT_MS");
    }

    #[test]
    fn defaults_use_a_local_sqlite_file_on_port_8080() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, "ce-api.db");
        assert_eq!(s.backend(), Backend::Sqlite);
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.body_limit_bytes, 1024 * 1024);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = settings(&[("CE_BIND", "not-an-address")]).unwrap_err();
        assert_eq!(err.variable, "CE_BIND");
        assert!(err.to_string().starts_with("CE_BIND: invalid value"));
        let err = settings(&[("CE_DB_POOL_SIZE", "0")]).unwrap_err();
        assert_eq!(err.variable, "CE_DB_POOL_SIZE");
        let err = settings(&[("CE_LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(err.variable, "CE_LOG_FORMAT");
    }

    #[test]
    fn quotas_and_trusted_networks_are_configurable() {
        let s = settings(&[
            ("CE_RATE_LIMIT_LOGIN", "10/60"),
            ("CE_RATE_LIMIT_CHECK_IN", "off"),
            ("CE_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1, fd00::/8"),
        ])
        .unwrap();
        assert_eq!(s.rate_limits.login, Some(Quota::per(10, 60)));
        assert_eq!(s.rate_limits.check_in, None);
        assert_eq!(s.rate_limits.register, RateLimitSettings::default().register);
        let trusted: Vec<String> = s.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(trusted, ["10.0.0.0/8", "192.0.2.1/32", "fd00::/8"]);
        assert_eq!(settings(&[("CE_RATE_LIMITS", "off")]).unwrap().rate_limits, RateLimitSettings::off());
        let err = settings(&[("CE_RATE_LIMIT_TOKEN", "lots")]).unwrap_err();
        assert_eq!(err.variable, "CE_RATE_LIMIT_TOKEN");
        let err = settings(&[("CE_TRUSTED_PROXIES", "10.0.0.0/33")]).unwrap_err();
        assert_eq!(err.variable, "CE_TRUSTED_PROXIES");
    }

    #[test]
    fn postgres_urls_select_postgres() {
        assert_eq!(Backend::of_url("postgres://a@b/c"), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://a@b/c"), Backend::Postgres);
        assert_eq!(Backend::of_url("sqlite://x.db"), Backend::Sqlite);
    }

    #[test]
    fn database_passwords_are_redacted_in_debug_output() {
        let s = settings(&[("CE_DATABASE_URL", "postgres://ce:s3cret@db:5432/ce")]).unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("s3cret"));
        assert!(printed.contains("postgres://ce:***@db:5432/ce"));
    }
}
