//! Whole-process time of `aurora report` over 2,500 sessions of snapshots (ten years).
//!
//! Run with `cargo bench --locked --bench report_speed`. Target: median under 100 ms.
//! Measures real process start to exit: config, opening the store, reading every snapshot and
//! the benchmark's bars, the stats, and rendering the per-day table of all 2,500 sessions.
//! `REPORT_SPEED_HOME=DIR` keeps the generated store in `DIR/state` (to profile `aurora report`
//! against it); by default it is a temporary directory.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aurora::sim::{DEFAULT_KEY, DEFAULT_SECRET};
use aurora::store::{HeldPosition, Snapshot, Store, StoredBar};
use aurora::types::{Money, SessionDate, Symbol};
use chrono::{Datelike, Days, NaiveDate, Utc, Weekday};
use rust_decimal::Decimal;
use serde_json::json;
use serde_json::value::to_raw_value;

const SESSIONS: usize = 2_500;
const RUNS: usize = 30;
const TARGET: Duration = Duration::from_millis(100);

fn money(x: f64) -> Money {
    Money::new(Decimal::new((x * 100.0).round() as i64, 2))
}

/// A store with one snapshot per weekday from 2017 on, each with four positions, two fills and
/// two orders, and SPY's bars for the benchmark.
fn fill_store(path: &Path) {
    let store = Store::open(path).expect("store opens");
    let mut rng = fastrand::Rng::with_seed(11);
    let symbols: Vec<Symbol> = ["SPY", "QQQ", "TLT", "GLD"]
        .iter()
        .map(|s| s.parse().expect("symbol"))
        .collect();
    let mut date = NaiveDate::from_ymd_opt(2017, 1, 3).expect("date");
    let mut prev = date.pred_opt().expect("date");
    let (mut equity, mut spy) = (100_000.0f64, 220.0f64);
    let mut bars = Vec::with_capacity(SESSIONS + 1);
    let bar = |d: NaiveDate, close: f64| StoredBar {
        symbol: symbols[0].clone(),
        session_date: SessionDate::new(d),
        open: money(close),
        high: money(close),
        low: money(close),
        close: money(close),
        volume: 1_000_000,
        trade_count: None,
        vwap: None,
        feed: "iex".into(),
        adjustment: "all".into(),
        fetched_at: Utc::now(),
    };
    bars.push(bar(prev, spy));
    for i in 0..SESSIONS {
        let last = equity;
        equity *= 1.0 + (rng.f64() - 0.48) * 0.02;
        spy *= 1.0 + (rng.f64() - 0.48) * 0.02;
        bars.push(bar(date, spy));
        let fill = |k: usize, side: &str| {
            json!({"id": format!("{i}-{k}"), "transaction_time": format!("{date}T14:30:00Z"),
                "type": "fill", "price": "100.25", "qty": "3", "side": side,
                "symbol": symbols[k].as_str(), "order_id": format!("o{i}-{k}")})
        };
        let order = |k: usize, side: &str| {
            json!({"client_order_id": format!("aurora-{date}-fixed-{}-{side}-0000000{k}", symbols[k].as_str()),
                "revision": 0, "symbol": symbols[k].as_str(), "side": side, "planned_qty": "3",
                "planned_notional": null, "fate": "filled", "alpaca_status": "filled",
                "filled_qty": "3", "filled_avg_price": "100.25", "reference_price": "100.00",
                "slippage_bps": "25.0", "reason": null, "open": false})
        };
        let holdings: Vec<HeldPosition> = symbols
            .iter()
            .map(|s| HeldPosition {
                symbol: s.clone(),
                qty: Decimal::from(50),
                avg_entry_price: Some(money(100.0)),
                market_value: Some(money(equity * 0.2)),
            })
            .collect();
        store
            .save_snapshot(&Snapshot {
                session_date: SessionDate::new(date),
                taken_at: Utc::now(),
                equity: money(equity),
                cash: money(equity * 0.2),
                last_equity: money(last),
                day_pl: money(equity - last),
                positions: holdings.iter().map(|h| (h.symbol.clone(), h.qty)).collect(),
                fills: to_raw_value(&json!([fill(i % 4, "buy"), fill((i + 1) % 4, "sell")]))
                    .expect("JSON"),
                prev_session: Some(SessionDate::new(prev)),
                baseline: i == 0,
                holdings,
                targets: symbols
                    .iter()
                    .map(|s| (s.clone(), Decimal::new(2, 1)))
                    .collect::<BTreeMap<_, _>>(),
                orders: to_raw_value(&json!([order(i % 4, "buy"), order((i + 1) % 4, "sell")]))
                    .expect("JSON"),
            })
            .expect("snapshot stored");
        prev = date;
        date = date.checked_add_days(Days::new(1)).expect("date");
        while matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            date = date.checked_add_days(Days::new(1)).expect("date");
        }
    }
    store.upsert_bars(&bars).expect("bars stored");
}

fn main() {
    let temp = tempfile::tempdir().expect("temp dir");
    let home = std::env::var_os("REPORT_SPEED_HOME")
        .map_or_else(|| temp.path().to_owned(), std::path::PathBuf::from);
    let state = home.join("state");
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state).expect("state dir");
    fill_store(&state.join("aurora.db"));
    let report = |args: &[&str]| {
        let cpu_before = children_cpu();
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_aurora"))
            .env_clear()
            .env("HOME", &home)
            .env("APCA_API_KEY_ID", DEFAULT_KEY)
            .env("APCA_API_SECRET_KEY", DEFAULT_SECRET)
            // Never contacted: report reads only the store.
            .env("APCA_API_BASE_URL", "http://127.0.0.1:9")
            .env("AURORA_STATE_DIR", &state)
            .arg("report")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("aurora runs");
        let elapsed = started.elapsed();
        let cpu = children_cpu() - cpu_before;
        assert!(
            out.status.success(),
            "report failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("(2500 sessions)") || text.contains("\"sessions\": 2500"),
            "{text:.300}"
        );
        (elapsed, cpu)
    };
    for (name, args) in [("text", &[][..]), ("--json", &["--json"][..])] {
        report(args); // warm the page cache
        let (mut times, mut cpu): (Vec<Duration>, Vec<Duration>) =
            (0..RUNS).map(|_| report(args)).unzip();
        times.sort();
        cpu.sort();
        let pct = |p: usize| times[(times.len() - 1) * p / 100];
        let median = pct(50);
        println!(
            "aurora report {name}, {SESSIONS} sessions, {RUNS} runs: median {:.1} ms, p90 {:.1} ms, max {:.1} ms, median CPU (user + system) {:.1} ms (target: median < {} ms) {}",
            ms(median),
            ms(pct(90)),
            ms(pct(100)),
            ms(cpu[cpu.len() / 2]),
            TARGET.as_millis(),
            if median < TARGET { "OK" } else { "OVER TARGET" }
        );
    }
}

/// User plus system time of every child process waited for so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut u);
        u
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
