//! The `ce-api` command: serve the API, migrate, print the OpenAPI document.

use std::process::ExitCode;

use ce_api::{config::Settings, openapi, startup, telemetry};
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
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ce-api: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        tracing::info!(settings = ?settings, "starting");
        let app = startup::Application::build(settings).map_err(|e| e.to_string())?;
        tracing::info!(port = app.port(), "listening");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}
