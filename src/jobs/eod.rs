//! `aurora eod`: reconcile the day's orders, fills and positions; snapshot; daily report.

mod chart;
mod markdown;
mod reconcile;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{Datelike, Utc};
use futures::StreamExt as _;
use rust_decimal::Decimal;
use serde::Serialize;
use tracing::{info, warn};

pub use reconcile::{Discrepancy, Fate, OrderOutcome};

use super::{JobContext, Report};
use crate::alpaca::models::{FillActivity, Order};
use crate::exit::Exit;
use crate::market::Today;
use crate::store::Snapshot;
use crate::types::{Money, SessionDate, Symbol};

/// What `aurora eod` found.
#[derive(Clone, Debug, Serialize)]
pub struct EodReport {
    /// The session (today's New York date).
    pub session: SessionDate,
    /// Why there was nothing to do, on a day without a session.
    pub no_session: Option<String>,
    /// The reconciliation, on a session day.
    pub day: Option<Day>,
}

/// A session day's facts.
#[derive(Clone, Debug, Serialize)]
pub struct Day {
    /// Account at the end of the day.
    pub account: AccountSummary,
    /// P&L over three horizons.
    pub pnl: Pnl,
    /// Each planned order's fate.
    pub orders: Vec<OrderOutcome>,
    /// Aurora's fills today.
    pub fills: Vec<FillActivity>,
    /// Alpaca's positions.
    pub positions: Vec<PositionLine>,
    /// Positions that differ from what Aurora expects.
    pub discrepancies: Vec<Discrepancy>,
    /// Things to look at (orders still open after the close, …).
    pub warnings: Vec<String>,
    /// Where the report was written.
    pub files: ReportFiles,
}

/// Account figures.
#[derive(Clone, Debug, Serialize)]
pub struct AccountSummary {
    /// Equity.
    pub equity: Money,
    /// Cash.
    pub cash: Money,
    /// Equity at the previous close.
    pub last_equity: Money,
}

/// Profit and loss.
#[derive(Clone, Debug, Serialize)]
pub struct Pnl {
    /// Equity − last equity.
    pub day: Money,
    /// Since the last close of the previous month (or the first snapshot this month).
    pub month_to_date: Money,
    /// Since the first snapshot's starting equity.
    pub since_first: Money,
}

/// One position.
#[derive(Clone, Debug, Serialize)]
pub struct PositionLine {
    /// Ticker.
    pub symbol: Symbol,
    /// Shares.
    pub qty: Decimal,
    /// Market value.
    pub market_value: Option<Money>,
    /// Unrealized P&L.
    pub unrealized_pl: Option<Money>,
}

/// The report's files.
#[derive(Clone, Debug, Serialize)]
pub struct ReportFiles {
    /// `YYYY-MM-DD.md`.
    pub markdown: PathBuf,
    /// `YYYY-MM-DD.json`.
    pub json: PathBuf,
    /// `equity.svg`.
    pub chart: PathBuf,
}

impl Report for EodReport {
    fn exit(&self) -> Exit {
        match &self.day {
            Some(day) if !day.discrepancies.is_empty() => Exit::Discrepancy,
            _ => Exit::Ok,
        }
    }

    fn session(&self) -> Option<SessionDate> {
        Some(self.session)
    }

    fn render(&self) -> String {
        let Some(day) = &self.day else {
            return format!(
                "No session on {} ({}): nothing to reconcile.",
                self.session,
                self.no_session.as_deref().unwrap_or("closed")
            );
        };
        let mut out = String::new();
        let count = |f: Fate| day.orders.iter().filter(|o| o.fate == f).count();
        let _ = writeln!(out, "End of day {}", self.session);
        let _ = writeln!(
            out,
            "  equity {}  day {}  month {}  since start {}",
            day.account.equity,
            day.pnl.day.signed(),
            day.pnl.month_to_date.signed(),
            day.pnl.since_first.signed()
        );
        let _ = writeln!(
            out,
            "  orders {}: {} filled, {} partially filled, {} unfilled, {} canceled, {} expired, {} rejected, {} not sent",
            day.orders.len(),
            count(Fate::Filled),
            count(Fate::PartiallyFilled),
            count(Fate::Unfilled),
            count(Fate::Canceled),
            count(Fate::Expired),
            count(Fate::Rejected),
            count(Fate::NotSent)
        );
        for o in day.orders.iter().filter(|o| o.fate == Fate::Rejected) {
            let _ = writeln!(
                out,
                "  ❌ {} {} rejected: {}",
                o.side,
                o.symbol,
                o.reason.as_deref().unwrap_or("no reason given")
            );
        }
        for o in day
            .orders
            .iter()
            .filter(|o| o.fate == Fate::PartiallyFilled)
        {
            let planned = o
                .planned_qty
                .map(|q| q.normalize().to_string())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  ⚠️  {} {} partially filled: {} of {planned}",
                o.side,
                o.symbol,
                o.filled_qty.normalize()
            );
        }
        for d in &day.discrepancies {
            let _ = writeln!(
                out,
                "  ❌ discrepancy {}: expected {}, Alpaca holds {}",
                d.symbol, d.expected, d.actual
            );
        }
        for w in &day.warnings {
            let _ = writeln!(out, "  ⚠️  {w}");
        }
        let _ = writeln!(out, "  report {}", day.files.markdown.display());
        let _ = writeln!(out, "  chart  {}", day.files.chart.display());
        out
    }
}

/// Runs `aurora eod`.
pub async fn run(ctx: &JobContext) -> anyhow::Result<EodReport> {
    let (_, today) = super::today::market_today(&ctx.client).await?;
    let session = match today {
        Today::NoSession { date, reason } => {
            info!(session = %date, "no session today ({reason}); nothing to reconcile");
            return Ok(EodReport {
                session: date,
                no_session: Some(reason.to_string()),
                day: None,
            });
        }
        Today::Session(s) => s.date,
    };

    let plan = ctx.store.current_plan(session)?;
    let records = match &plan {
        Some(p) => ctx.store.plan_orders(p.id)?,
        None => Vec::new(),
    };
    // Every revision's orders: fills of a plan superseded by --replan are Aurora's too.
    let ids: Vec<String> = ctx
        .store
        .session_order_ids(session)?
        .into_iter()
        .map(|id| id.as_str().to_owned())
        .collect();
    let c = &ctx.client;
    let orders = async {
        let found = futures::stream::iter(
            ids.iter()
                .map(|id| async move { c.order_by_client_id(id).await }),
        )
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;
        found.into_iter().collect::<Result<Vec<_>, _>>()
    };
    let (account, positions, fills, orders) = tokio::try_join!(
        async { c.account().await.context("cannot read the account") },
        async { c.positions().await.context("cannot read positions") },
        async {
            c.fills_on(session.date())
                .await
                .context("cannot read fill activities")
        },
        async { orders.await.context("cannot read today's orders") },
    )?;
    let by_client: BTreeMap<String, Order> = orders
        .into_iter()
        .flatten()
        .map(|o| (o.client_order_id.clone(), o))
        .collect();

    let outcomes = match &plan {
        Some(p) => reconcile::outcomes(&p.plan.orders, &records, &by_client),
        None => Vec::new(),
    };
    let ours: BTreeSet<&str> = by_client.values().map(|o| o.id.as_str()).collect();
    let our_fills: Vec<&FillActivity> = fills
        .iter()
        .filter(|f| ours.contains(f.order_id.as_str()))
        .collect();
    let previous = ctx.store.snapshot_before(session)?;
    let first_snapshot = previous.is_none();
    let baseline = previous.map(|s| s.positions).unwrap_or_default();
    let (_, discrepancies) = reconcile::discrepancies(&baseline, &our_fills, &positions);
    for d in &discrepancies {
        warn!(symbol = %d.symbol, "position discrepancy: expected {}, Alpaca holds {}", d.expected, d.actual);
    }
    let mut warnings: Vec<String> = outcomes
        .iter()
        .filter(|o| o.open)
        .map(|o| {
            format!(
                "{} {} ({}) is still open at Alpaca ({}); a day order expires there",
                o.side,
                o.symbol,
                o.client_order_id,
                o.alpaca_status.as_deref().unwrap_or("?")
            )
        })
        .collect();
    if first_snapshot {
        warnings.push(
            "first snapshot: positions were expected to start from flat; holdings from before Aurora show as discrepancies once"
                .into(),
        );
    }

    let snapshot = Snapshot {
        session_date: session,
        taken_at: Utc::now(),
        equity: account.equity,
        cash: account.cash,
        last_equity: account.last_equity,
        day_pl: account.day_change(),
        positions: positions
            .iter()
            .map(|p| (p.symbol.clone(), p.qty))
            .collect(),
        fills: serde_json::to_value(&our_fills)?,
    };
    ctx.store
        .save_snapshot(&snapshot)
        .context("cannot store the snapshot")?;
    let snapshots = ctx.store.snapshots()?;
    let pnl = pnl(&snapshots, &snapshot);

    let dir = ctx.config.report_dir();
    let files = ReportFiles {
        markdown: dir.join(format!("{session}.md")),
        json: dir.join(format!("{session}.json")),
        chart: dir.join("equity.svg"),
    };
    let report = EodReport {
        session,
        no_session: None,
        day: Some(Day {
            account: AccountSummary {
                equity: account.equity,
                cash: account.cash,
                last_equity: account.last_equity,
            },
            pnl,
            orders: outcomes,
            fills: our_fills.into_iter().cloned().collect(),
            positions: positions
                .iter()
                .map(|p| PositionLine {
                    symbol: p.symbol.clone(),
                    qty: p.qty,
                    market_value: p.market_value.map(Money::new),
                    unrealized_pl: p.unrealized_pl.map(Money::new),
                })
                .collect(),
            discrepancies,
            warnings,
            files: files.clone(),
        }),
    };
    write_files(&report, &files, &snapshots, session)?;
    Ok(report)
}

/// Day, month-to-date and since-first P&L from the snapshots (today's included).
fn pnl(snapshots: &[Snapshot], today: &Snapshot) -> Pnl {
    let month_start = snapshots
        .iter()
        .find(|s| {
            let (d, t) = (s.session_date.date(), today.session_date.date());
            d.year() == t.year() && d.month() == t.month()
        })
        .map_or(today.last_equity, |s| s.last_equity);
    let first = snapshots
        .first()
        .map_or(today.last_equity, |s| s.last_equity);
    Pnl {
        day: today.day_pl,
        month_to_date: today.equity - month_start,
        since_first: today.equity - first,
    }
}

/// Writes the Markdown, the JSON and the chart; a rerun the same day rewrites them.
fn write_files(
    report: &EodReport,
    files: &ReportFiles,
    snapshots: &[Snapshot],
    session: SessionDate,
) -> anyhow::Result<()> {
    let dir = files
        .markdown
        .parent()
        .expect("report files live in a directory");
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create report directory {}", dir.display()))?;
    let chart_name = files
        .chart
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("equity.svg");
    let write = |path: &PathBuf, text: String| {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    write(&files.markdown, markdown::render(report, chart_name))?;
    write(&files.json, serde_json::to_string_pretty(report)?)?;
    write(
        &files.chart,
        chart::equity_svg(snapshots, session)
            .map_err(|e| anyhow::anyhow!("cannot draw the equity curve: {e}"))?,
    )?;
    info!(report = %files.markdown.display(), "daily report written");
    Ok(())
}
