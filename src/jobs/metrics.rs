//! Metrics for Prometheus (node_exporter's textfile collector): gathered from the store alone,
//! written atomically to `metrics.textfile` at the end of every job, printed by `aurora metrics`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{JobContext, Report};
use crate::alpaca::models::Account;
use crate::exit::Exit;
use crate::store::{AccountSeen, OrderState, RunRecord, Store};
use crate::types::SessionDate;

/// Every order state, so each `aurora_orders_today{state}` series exists (at 0) from the start.
const ORDER_STATES: [OrderState; 6] = [
    OrderState::Planned,
    OrderState::Submitting,
    OrderState::Accepted,
    OrderState::Rejected,
    OrderState::Unknown,
    OrderState::Skipped,
];

/// What the metrics say, gathered from the store.
#[derive(Clone, Debug, Serialize)]
pub struct Metrics {
    /// The latest account figures a job saw.
    pub account: Option<AccountSeen>,
    /// Trading is paused (`aurora pause` or `STATE_DIR/HALT`).
    pub paused: bool,
    /// Each job's latest run.
    pub runs: Vec<RunRecord>,
    /// The session the orders are counted for: the latest any run acted for.
    pub session: Option<SessionDate>,
    /// That session's orders by state.
    pub orders: Vec<(String, u64)>,
    /// Position discrepancies the latest eod found.
    pub discrepancies: Option<u64>,
}

impl Report for Metrics {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn session(&self) -> Option<SessionDate> {
        self.session
    }

    fn render(&self) -> String {
        render(self)
    }
}

/// Reads the metrics from the store; `halt` is `STATE_DIR/HALT`.
pub fn gather(store: &Store, halt: &Path) -> anyhow::Result<Metrics> {
    let session = store.latest_run_session()?;
    let orders = match session {
        Some(s) => store.order_state_counts(s)?,
        None => Vec::new(),
    };
    let discrepancies = store.last_eod_discrepancies()?;
    Ok(Metrics {
        account: store.account_seen()?,
        // An expired pause is ended by the first job that reads Alpaca's clock after its end.
        paused: super::pause::on_record(halt, store)?.is_some(),
        runs: store.last_runs()?,
        session,
        orders,
        discrepancies,
    })
}

/// `aurora metrics`: the metrics from the state directory's store.
pub fn run(state_dir: &Path) -> anyhow::Result<Metrics> {
    let store = crate::store::open_in(state_dir, crate::store::DEFAULT_BUSY_TIMEOUT)
        .context("cannot open the store")?;
    gather(&store, &state_dir.join(crate::config::HALT_FILE))
}

/// Remembers the account a job just read, for the metrics (best effort: a job does not fail
/// over its metrics).
pub fn save_account(ctx: &JobContext, account: &Account, positions: Option<usize>) {
    let seen = AccountSeen {
        seen_at: Utc::now(),
        equity: account.equity,
        cash: account.cash,
        last_equity: account.last_equity,
        long_market_value: account.long_market_value,
        short_market_value: account.short_market_value,
        positions: positions.map(|n| n as u32),
    };
    if let Err(e) = ctx.store.save_account_seen(&seen) {
        tracing::warn!("cannot store the account figures for the metrics: {e}");
    }
}

/// Writes the metrics to `metrics.textfile`, when set (best effort: logged, never fails the job).
pub fn write_textfile(ctx: &JobContext) {
    let Some(path) = &ctx.config.settings.metrics.textfile else {
        return;
    };
    let result = gather(&ctx.store, &ctx.config.halt_path())
        .and_then(|m| replace_file(path, render(&m).as_bytes()));
    if let Err(e) = result {
        tracing::warn!(path = %path.display(), "cannot write the metrics file {}: {e:#}", path.display());
    }
}

/// Replaces `path` whole (`atomic_file`: the collector never reads half a file), mode 0644:
/// node_exporter runs as another user.
fn replace_file(path: &Path, text: &[u8]) -> anyhow::Result<()> {
    crate::atomic_file::write_with(path, |f| {
        f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
        f.write_all(text)
    })
    .with_context(|| format!("cannot write {}", path.display()))
}

/// The Prometheus text format (version 0.0.4): HELP and TYPE for every metric, even one with no
/// sample yet.
pub fn render(m: &Metrics) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, help: &str, samples: &[(String, String)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let plain = |v: Option<String>| {
        v.map(|v| (String::new(), v))
            .into_iter()
            .collect::<Vec<_>>()
    };
    let a = m.account.as_ref();
    metric(
        "aurora_account_equity_dollars",
        "Account equity the last time a job read the account.",
        &plain(a.map(|a| decimal(a.equity.amount()))),
    );
    metric(
        "aurora_account_cash_dollars",
        "Account cash the last time a job read the account.",
        &plain(a.map(|a| decimal(a.cash.amount()))),
    );
    metric(
        "aurora_day_pnl_dollars",
        "Equity minus the previous close's equity, when the account was last read.",
        &plain(a.map(|a| decimal(a.equity.amount() - a.last_equity.amount()))),
    );
    metric(
        "aurora_positions",
        "Open positions, when a job last read them.",
        &plain(a.and_then(|a| a.positions).map(|n| n.to_string())),
    );
    metric(
        "aurora_gross_exposure_ratio",
        "Long plus short market value over equity, when the account was last read.",
        &plain(a.and_then(|a| {
            let gross = a.long_market_value.amount() + a.short_market_value.amount().abs();
            (!a.equity.amount().is_zero()).then(|| decimal((gross / a.equity.amount()).round_dp(6)))
        })),
    );
    metric(
        "aurora_account_seen_timestamp_seconds",
        "When a job last read the account (Unix time).",
        &plain(a.map(|a| a.seen_at.timestamp().to_string())),
    );
    metric(
        "aurora_paused",
        "1 while trading is paused (aurora pause or STATE_DIR/HALT), else 0.",
        &plain(Some(u8::from(m.paused).to_string())),
    );
    let by_job = |f: &dyn Fn(&RunRecord) -> Option<String>| -> Vec<(String, String)> {
        m.runs
            .iter()
            .filter_map(|r| f(r).map(|v| (format!("{{job=\"{}\"}}", label(&r.job)), v)))
            .collect()
    };
    metric(
        "aurora_job_last_run_timestamp_seconds",
        "When each job's latest run started (Unix time).",
        &by_job(&|r| Some(r.started_at.timestamp().to_string())),
    );
    metric(
        "aurora_job_last_exit_code",
        "Each job's latest finished run's exit code (0 ok; see aurora's exit codes).",
        &by_job(&|r| r.finished_at.and(r.exit_code).map(|c| c.to_string())),
    );
    metric(
        "aurora_job_last_duration_seconds",
        "How long each job's latest finished run took.",
        &by_job(&|r| r.finished_at.map(|f| seconds(r.started_at, f))),
    );
    let orders: Vec<(String, String)> = ORDER_STATES
        .iter()
        .map(|s| {
            let n = m
                .orders
                .iter()
                .find(|(state, _)| state == s.as_str())
                .map_or(0, |(_, n)| *n);
            (format!("{{state=\"{}\"}}", s.as_str()), n.to_string())
        })
        .collect();
    metric(
        "aurora_orders_today",
        "Orders of the latest session a job acted for, by Aurora's state.",
        &orders,
    );
    metric(
        "aurora_discrepancies",
        "Position discrepancies the latest eod run found.",
        &plain(m.discrepancies.map(|n| n.to_string())),
    );
    out
}

fn decimal(d: Decimal) -> String {
    d.normalize().to_string()
}

fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let ms = (to - from).num_milliseconds().max(0);
    (ms as f64 / 1000.0).to_string()
}

/// A label value, escaped as the text format requires.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RunId;
    use crate::types::Money;

    #[test]
    fn every_metric_has_help_and_type_and_numbers_are_exact() {
        let m = Metrics {
            account: Some(AccountSeen {
                seen_at: "2026-11-30T15:05:00Z".parse().unwrap(),
                equity: Money::new("100000.50".parse().unwrap()),
                cash: Money::new("50000".parse().unwrap()),
                last_equity: Money::new("99850".parse().unwrap()),
                long_market_value: Money::new("50000.50".parse().unwrap()),
                short_market_value: Money::new("-10000".parse().unwrap()),
                positions: Some(2),
            }),
            paused: true,
            runs: vec![RunRecord {
                id: RunId(1),
                job: "trade".into(),
                session_date: None,
                started_at: "2026-11-30T14:00:00Z".parse().unwrap(),
                finished_at: Some("2026-11-30T14:00:02.5Z".parse().unwrap()),
                outcome: Some("ok".into()),
                exit_code: Some(0),
                error: None,
            }],
            session: None,
            orders: vec![("accepted".into(), 4)],
            discrepancies: None,
        };
        let text = render(&m);
        for line in [
            "aurora_account_equity_dollars 100000.5",
            "aurora_day_pnl_dollars 150.5",
            "aurora_gross_exposure_ratio 0.600002",
            "aurora_paused 1",
            "aurora_job_last_duration_seconds{job=\"trade\"} 2.5",
            "aurora_orders_today{state=\"accepted\"} 4",
            "aurora_orders_today{state=\"rejected\"} 0",
            "# TYPE aurora_discrepancies gauge",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
        let helps = text.lines().filter(|l| l.starts_with("# HELP")).count();
        let types = text.lines().filter(|l| l.starts_with("# TYPE")).count();
        assert_eq!((helps, types), (12, 12));
        assert_eq!(label("a\"b\\c"), "a\\\"b\\\\c");
    }
}
