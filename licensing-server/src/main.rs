//! `localmerge-licensing-server`: reads its configuration from the environment, serves until
//! SIGTERM or Ctrl-C, then lets requests in flight finish (nothing is half-written: every
//! change is one transaction). Logs are JSON lines when standard output is not a terminal
//! (a container, a service manager), text otherwise; neither holds personal data.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser as _;
use localmerge_licensing_server::{Config, app, build};

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LICENSING_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,access=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if std::io::stdout().is_terminal() {
        builder.init();
    } else {
        builder.json().with_ansi(false).with_current_span(false).init();
    }
}

async fn shutdown_signal(state: app::Shared) {
    let terminate = async {
        #[cfg(unix)]
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {
            let drain = state.config.shutdown_drain_secs;
            state.draining.store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::info!(seconds = drain, "SIGTERM: draining (readiness answers 503, requests are still served)");
            tokio::time::sleep(Duration::from_secs(drain)).await;
        }
    }
    tracing::info!("shutting down: requests in flight finish first");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logs();
    let config = Config::parse();
    for missing in config.missing() {
        tracing::warn!("not configured: {missing}");
    }
    let state = build(config.clone()).await?;
    // Every minute, housekeeping; every hour, the purge of deleted accounts' personal fields
    // and of ended sessions.
    let chores = state.clone();
    tokio::spawn(async move {
        for minute in 0u64.. {
            chores.housekeeping();
            if minute % 60 == 0 {
                match chores.purge().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(users = n, "purged deleted accounts"),
                    Err(e) => tracing::error!(error = %e, "purge failed"),
                }
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
    let listener = tokio::net::TcpListener::bind(&config.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!("licensing server on http://{addr} ({:?})", state.store.backend());
    if std::io::stdout().is_terminal() {
        println!("Licensing server: http://{addr}");
    }
    axum::serve(listener, app::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal(state))
        .await?;
    Ok(())
}
