//! Whole-process latency of `aurora status` against the fake on loopback.
//!
//! Run with `cargo bench --locked --bench status_latency`. Target: median ≤ 50 ms.
//! Measures real process start to exit (fork, exec, config, store, five HTTP requests, render).

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use aurora::sim::{Sim, SimOptions};

const RUNS: usize = 50;
const TARGET: Duration = Duration::from_millis(50);

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter this bench does not use.
    let now = "2026-11-30T15:05:00Z".parse().expect("valid time");
    let sim = Sim::start(SimOptions {
        now,
        ..SimOptions::default()
    })
    .expect("fake starts");
    // Alpaca allows 200 requests a minute; this bench makes 255 in a few seconds on purpose.
    sim.set_rate_limit(100_000, std::time::Duration::from_secs(60));
    let home = tempfile::tempdir().expect("temp dir");
    let status = || {
        let started = Instant::now();
        let out = common::aurora(home.path(), &sim)
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("aurora runs");
        let elapsed = started.elapsed();
        // Exit 1 (no preflight yet) is a healthy measurement too; anything else is a broken run.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "status failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        elapsed
    };
    status(); // creates the database, as the first timer run of a day would not need to
    let mut times: Vec<Duration> = (0..RUNS).map(|_| status()).collect();
    times.sort();
    let pct = |p: usize| times[(times.len() - 1) * p / 100];
    let median = pct(50);
    println!(
        "aurora status, {RUNS} runs: median {:.1} ms, p90 {:.1} ms, max {:.1} ms (target: median ≤ {} ms) {}",
        ms(median),
        ms(pct(90)),
        ms(pct(100)),
        TARGET.as_millis(),
        if median <= TARGET {
            "OK"
        } else {
            "OVER TARGET"
        }
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
