//! `kam-server`: read the configuration, start telemetry, serve until SIGINT or SIGTERM.

use clap::Parser;
use kam_server::{Config, Flags, telemetry};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load(Flags::parse())?;
    let telemetry = telemetry::init(config.log_format, &config.log_filter)?;
    let listener = TcpListener::bind(config.listen_addr).await?;
    let outcome = kam_server::run(config, listener, shutdown_signal()).await;
    if let Err(err) = &outcome {
        tracing::error!(error = %err, "server failed");
    }
    telemetry.shutdown();
    Ok(outcome?)
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM (what orchestrators send).
async fn shutdown_signal() {
    let interrupt = async {
        tokio::signal::ctrl_c().await.expect("cannot listen for SIGINT");
    };
    #[cfg(unix)]
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("cannot listen for SIGTERM")
            .recv()
            .await;
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
