//! `aurora trade` placing 500 orders with the fake: unthrottled, then under Alpaca's
//! 200-requests-a-minute limit.
//!
//! Run with `cargo bench --locked --bench order_submission` (about two and a half minutes: the
//! second run is paced by the limit on purpose). Targets: unthrottled, all 500 submitted within
//! 2 s; throttled, zero 429 answers and a total within 10% of what the limit allows.

mod common;

use std::time::Duration;

use aurora::sim::{Sim, SimOptions};
use chrono::{DateTime, Utc};

const ORDERS: usize = 500;

fn main() {
    let symbols: Vec<String> = (0..ORDERS)
        .map(|i| {
            let l = |n: usize| char::from(b'A' + (n % 26) as u8);
            format!("O{}{}{}", l(i / 676), l(i / 26), l(i))
        })
        .collect();
    let weights: Vec<String> = symbols.iter().map(|s| format!("{s} = 0.0019")).collect();
    let quoted: Vec<String> = symbols.iter().map(|s| format!("{s:?}")).collect();
    let config = format!(
        "[universe]\nsymbols = [{}]\n\n[strategy]\nname = \"fixed\"\nweights = {{ {} }}\n\n\
[orders]\nfractional = true\nmin_notional = 1.0\nrebalance_threshold = 0.0\n\n[risk]\nmax_orders_per_day = 1000\n\n[data]\nhistory_days = 10\n",
        quoted.join(", "),
        weights.join(", ")
    );

    let (sim, span, posts, rejected_429) = trade(&symbols, &config, None);
    println!(
        "unthrottled: {posts} orders submitted in {:.2} s, {rejected_429} × 429  [target: {ORDERS} within 2 s] {}",
        span.as_secs_f64(),
        verdict(posts == ORDERS && span <= Duration::from_secs(2))
    );
    drop(sim);

    let (sim, _, posts, rejected_429) = trade(&symbols, &config, Some(200));
    let trading: Vec<DateTime<Utc>> = sim
        .requests()
        .iter()
        .filter(|r| !r.path.starts_with("/v2/stocks"))
        .map(|r| r.at)
        .collect();
    let (first, last) = (trading[0], trading[trading.len() - 1]);
    // A 200-per-60-s window lets request k go no earlier than floor(k / 200) minutes after the first.
    let allowed = Duration::from_secs(60 * ((trading.len() as u64 - 1) / 200));
    let took = (last - first).to_std().unwrap_or_default();
    let ratio = took.as_secs_f64() / allowed.as_secs_f64().max(1.0);
    println!(
        "200/min: {posts} orders, {} trading requests in {:.1} s (the limit allows {:.0} s: {:.0}%), {rejected_429} × 429  \
[targets: zero 429, within 110%] {}",
        trading.len(),
        took.as_secs_f64(),
        allowed.as_secs_f64(),
        ratio * 100.0,
        verdict(posts == ORDERS && rejected_429 == 0 && ratio <= 1.10)
    );
}

/// Runs `aurora trade` once against a fresh fake; returns it, the span from first to last
/// order POST, the orders placed and the 429 answers.
fn trade(
    symbols: &[String],
    config: &str,
    per_minute: Option<u32>,
) -> (Sim, Duration, usize, usize) {
    let monday = "2026-11-30T14:00:00Z".parse().expect("valid time");
    let sim = Sim::start(SimOptions {
        now: monday,
        ..SimOptions::default()
    })
    .expect("fake starts");
    sim.set_clock(monday, true);
    sim.register_symbols(symbols.iter().cloned());
    sim.set_rate_limit(per_minute.unwrap_or(1_000_000), Duration::from_secs(60));
    let home = tempfile::tempdir().expect("temp dir");
    let config_path = home.path().join("aurora.toml");
    std::fs::write(&config_path, config).expect("config written");
    let status = common::aurora(home.path(), &sim)
        .env("AURORA_CONFIG", &config_path)
        .args(["-q", "trade"])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("aurora runs");
    assert!(status.success(), "trade failed: {status}");
    let log = sim.requests();
    let posts: Vec<_> = log
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/orders")
        .collect();
    let span = (posts[posts.len() - 1].at - posts[0].at)
        .to_std()
        .unwrap_or_default();
    let placed = sim.orders().len();
    let throttled = log.iter().filter(|r| r.status == 429).count();
    (sim, span, placed, throttled)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "OK" } else { "OVER TARGET" }
}
