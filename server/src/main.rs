//! `kam-server`: read the configuration, start telemetry, serve until SIGINT or SIGTERM.

use std::future::Future;

use clap::Parser;
use kam_server::{Config, Flags, platform::telemetry};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load(Flags::parse())?;
    let telemetry = telemetry::init(config.log_format, &config.log_filter)?;
    // Listening for the signals starts before anything is served: until a handler is registered, a
    // SIGTERM kills the process outright (the default action), and one sent the moment the log says
    // "serving" (an orchestrator's stop, a test) must drain the server instead.
    let shutdown = shutdown_signal()?;
    let listener = TcpListener::bind(config.listen_addr).await?;
    let outcome = kam_server::run(config, listener, shutdown).await;
    if let Err(err) = &outcome {
        tracing::error!(error = %err, "server failed");
    }
    telemetry.shutdown();
    Ok(outcome?)
}

/// Registers for SIGINT (Ctrl-C) and SIGTERM (what orchestrators send) now; the future resolves on the
/// first of them, also one that arrived before it was first polled.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
