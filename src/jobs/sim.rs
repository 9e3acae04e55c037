//! `aurora sim serve`: the fake Alpaca as a standalone server.

use anyhow::Context as _;
use chrono::Utc;
use tokio::net::TcpListener;

use crate::cli::SimServeArgs;
use crate::exit::Blocked;
use crate::sim::{
    self,
    state::{Shared, SimState},
};

/// Binds, reports the base URL through `on_ready`, then serves until Ctrl-C or SIGTERM.
pub async fn serve(args: &SimServeArgs, on_ready: impl FnOnce(&str)) -> anyhow::Result<()> {
    // The fake accepts any order from anyone who knows its made-up keys: never expose it.
    if !args.addr.ip().is_loopback() {
        return Err(Blocked(format!(
            "refusing to serve the fake Alpaca on {}: use a loopback address such as 127.0.0.1",
            args.addr
        ))
        .into());
    }
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    let now = args.now.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let shared = Shared::new(SimState::new(now, args.key.clone(), args.secret.clone()));
    on_ready(&format!("http://{addr}"));
    tracing::info!(%addr, market_time = %now, "fake Alpaca serving; stop with Ctrl-C");
    sim::serve(listener, shared, shutdown_signal())
        .await
        .context("the fake Alpaca stopped")
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
