//! The `ce-api` command: serve the API, migrate, print the OpenAPI document.

use std::process::ExitCode;

use ce_api::{auth::keys, config::Settings, db, openapi, seed, startup, telemetry};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ce-api", version, about = "Continuing-education API service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document to stdout.
    Openapi,
    /// Create an administrator. The password comes from CE_ADMIN_PASSWORD or, if unset, the
    /// first line of standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
    /// Create demo accounts (and data) for exploring the API. Idempotent.
    SeedDemo,
    /// Add a new access-token signing key; older keys keep verifying until their tokens expire.
    /// With `--credentials`, a new credential signing key instead (older ones stay published
    /// for good: credentials they signed keep verifying).
    RotateKeys {
        #[arg(long)]
        credentials: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        print!("{}", openapi::document_json());
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("ce-api: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log_filter, settings.log_format);
    let outcome = match command {
        Command::Serve => serve(settings),
        Command::Migrate => startup::migrate(&settings.database_url)
            .map(|applied| eprintln!("ce-api: {} migration(s) applied", applied.len()))
            .map_err(|e| e.to_string()),
        Command::Openapi => Ok(()),
        Command::CreateAdmin { email } => create_admin(&settings, &email),
        Command::SeedDemo => with_database(&settings, |conn| {
            let created = seed::seed_demo(conn).map_err(|e| e.to_string())?;
            eprintln!("ce-api: demo data ready ({created} account(s) created)");
            Ok(())
        }),
        Command::RotateKeys { credentials } => with_database(&settings, |conn| {
            let purpose = if credentials { keys::KeyPurpose::Credentials } else { keys::KeyPurpose::Access };
            let kid = keys::rotate(conn, purpose, settings.auth.key_encryption_key.as_ref())?;
            eprintln!(
                "ce-api: new {} signing key {kid}; older keys stay valid for verification",
                purpose.as_str()
            );
            Ok(())
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ce-api: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Migrates, then runs `work` with a connection.
fn with_database(
    settings: &Settings,
    work: impl FnOnce(&mut db::DbConnection) -> Result<(), String>,
) -> Result<(), String> {
    startup::migrate(&settings.database_url).map_err(|e| e.to_string())?;
    let mut conn = db::establish(&settings.database_url).map_err(|e| e.to_string())?;
    keys::ensure_signing_keys(
        &mut conn,
        settings.auth.signing_key_pem.as_deref(),
        settings.auth.credential_key_pem.as_deref(),
        settings.auth.key_encryption_key.as_ref(),
    )?;
    work(&mut conn)
}

fn create_admin(settings: &Settings, email: &str) -> Result<(), String> {
    let password = match std::env::var("CE_ADMIN_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    with_database(settings, |conn| match seed::ensure_admin(conn, email, &password) {
        Ok(true) => {
            eprintln!("ce-api: administrator {email} created");
            Ok(())
        }
        Ok(false) => Err(format!("an account with the email {email} already exists")),
        Err(error) => Err(error.problem().detail.unwrap_or_else(|| error.to_string())),
    })
}

fn serve(settings: Settings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        tracing::info!(settings = ?settings, "starting");
        let app = startup::Application::build(settings).map_err(|e| e.to_string())?;
        tracing::info!(port = app.port(), "listening");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}
