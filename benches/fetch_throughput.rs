//! `aurora fetch` at scale: 500 symbols × 2 years of daily bars from the fake on loopback.
//!
//! Run with `cargo bench --locked --bench fetch_throughput`. Targets (issue 3):
//! cold store — the minimum number of requests, ≤ 2 s wall, ≤ 100 MB peak RSS;
//! one new session — at most one request per symbol batch, < 0.3 s.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use aurora::sim::{Sim, SimOptions};

const SYMBOLS: usize = 500;
/// Two years of sessions.
const HISTORY: u32 = 504;
const PAGE: u64 = 10_000;

fn main() {
    let monday = "2026-11-30T22:00:00Z".parse().expect("valid time");
    let sim = Sim::start(SimOptions {
        now: monday,
        ..SimOptions::default()
    })
    .expect("fake starts");
    sim.set_clock(monday, true);
    let symbols: Vec<String> = (0..SYMBOLS)
        .map(|i| {
            let l = |n: usize| char::from(b'A' + (n % 26) as u8);
            format!("Q{}{}{}", l(i / 676), l(i / 26), l(i))
        })
        .collect();
    sim.register_symbols(symbols.clone());

    let home = tempfile::tempdir().expect("temp dir");
    let config = home.path().join("aurora.toml");
    let quoted: Vec<String> = symbols.iter().map(|s| format!("{s:?}")).collect();
    std::fs::write(
        &config,
        format!(
            "[universe]\nsymbols = [{}]\n\n[data]\nhistory_days = {HISTORY}\n",
            quoted.join(", ")
        ),
    )
    .expect("config written");
    let fetch = || {
        let started = Instant::now();
        let out = common::aurora(home.path(), &sim)
            .env("AURORA_CONFIG", &config)
            .args(["-q", "fetch", "--json"])
            .stderr(Stdio::inherit())
            .output()
            .expect("aurora runs");
        let elapsed = started.elapsed();
        assert!(out.status.success(), "fetch failed");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        (elapsed, report)
    };

    let (cold, report) = fetch();
    let rss_mb = peak_child_rss_kb() as f64 / 1024.0;
    let bars = report["bars"]["added"].as_u64().unwrap_or_default();
    let minimum = bars.div_ceil(PAGE);
    let requests = report["requests"].as_u64().unwrap_or_default();
    println!(
        "cold: {SYMBOLS} symbols, {bars} bars in {:.2} s, {requests} data requests (minimum for the data: {minimum}), \
peak RSS {rss_mb:.1} MB  [targets: requests = minimum, ≤ 2 s, ≤ 100 MB] {}",
        cold.as_secs_f64(),
        verdict(requests == minimum && cold <= Duration::from_secs(2) && rss_mb <= 100.0)
    );

    sim.set_clock("2026-12-01T22:00:00Z".parse().expect("valid time"), true);
    let (incremental, report) = fetch();
    let requests = report["requests"].as_u64().unwrap_or_default();
    let added = report["bars"]["added"].as_u64().unwrap_or_default();
    println!(
        "incremental: one new session, {added} bars added in {:.3} s, {requests} data request(s)  \
[targets: 1 per batch, < 0.3 s] {}",
        incremental.as_secs_f64(),
        verdict(requests == 1 && incremental < Duration::from_millis(300))
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok { "OK" } else { "OVER TARGET" }
}

/// Peak resident set of the largest child waited for so far, in KiB (Linux reports KiB).
fn peak_child_rss_kb() -> i64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0, "getrusage failed");
    usage.ru_maxrss
}
