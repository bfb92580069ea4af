//! `localmerge-licensing-server`.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser as _;
use localmerge_licensing_server::{Config, build, http, now_ms};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LICENSING_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,access=warn")),
        )
        .init();
    let config = Config::parse();
    for missing in config.missing() {
        tracing::warn!("not configured: {missing}");
    }
    let state = build(config.clone()).await?;
    // Every minute, housekeeping; every hour, the purge of deleted accounts' personal fields.
    let chores = state.clone();
    tokio::spawn(async move {
        for minute in 0u64.. {
            chores.housekeeping();
            if minute % 60 == 0 {
                let cutoff = now_ms() - i64::from(chores.config.purge_after_days) * 86_400_000;
                match chores.store.purge(cutoff).await {
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
    println!("Licensing server: http://{addr}");
    axum::serve(listener, http::router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
