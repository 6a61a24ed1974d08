//! `kam-server`: read the configuration, start telemetry, serve until SIGINT or SIGTERM.

use clap::Parser;
use kam_server::{Config, Flags, telemetry};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shutdown = shutdown_signal()?;
    let config = Config::load(Flags::parse())?;
    let telemetry = telemetry::init(config.log_format, &config.log_filter)?;
    let listener = TcpListener::bind(config.listen_addr).await?;
    let outcome = kam_server::run(config, listener, shutdown).await;
    if let Err(err) = &outcome {
        tracing::error!(error = %err, "server failed");
    }
    telemetry.shutdown();
    Ok(outcome?)
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM (what orchestrators send). The handlers are installed
/// here, before the server starts: installed when the future is first polled, a signal that came while
/// the server was starting up would have killed it without a drain.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
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
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
