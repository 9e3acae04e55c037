//! `aurora eod`: reconcile every closed session since the last snapshot, oldest first, each
//! once: its orders, fills and positions; a snapshot; a daily report with its chart.

mod chart;
mod facts;
mod files;
mod markdown;
mod reconcile;
mod schedule;
mod session;

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use tracing::{info, warn};

pub use reconcile::{Discrepancy, Fate, OrderOutcome};

use super::performance;
use super::{JobContext, Report};
use crate::alpaca::models::{CalendarDay, FillActivity};
use crate::exit::Exit;
use crate::market::{self, Phase, Session, Today};
use crate::stats::{Allocation, Stats};
use crate::types::{Money, SessionDate, Symbol};

/// `aurora eod` options.
#[derive(Clone, Copy, Debug, Default)]
pub struct EodRequest {
    /// Before today's close, also show today's figures so far (never stored).
    pub preview: bool,
}

/// Where today's session stands by Alpaca's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketState {
    /// No session today.
    NoSession,
    /// Today's session has not opened.
    BeforeOpen,
    /// Today's session is open.
    Open,
    /// Today's session has closed.
    Closed,
}

/// What `aurora eod` did.
#[derive(Clone, Debug, Serialize)]
pub struct EodReport {
    /// Today's New York date by Alpaca's clock.
    pub session: SessionDate,
    /// Where today's session stands.
    pub market: MarketState,
    /// Why there is no session today.
    pub no_session: Option<String>,
    /// Today's session, when there is one.
    pub today: Option<Session>,
    /// The sessions this run reconciled, oldest first.
    pub reconciled: Vec<SessionReport>,
    /// The latest session with a snapshot after this run.
    pub last_reconciled: Option<SessionDate>,
    /// With `--preview` before the close: today's figures so far, not stored.
    pub preview: Option<SessionReport>,
}

/// One session's reconciliation: what `YYYY-MM-DD.json` holds.
#[derive(Clone, Debug, Serialize)]
pub struct SessionReport {
    /// The session.
    pub session: SessionDate,
    /// Reconciled on a later day than its own (the machine was off or late).
    pub caught_up: bool,
    /// Set when the positions were adopted as the baseline (the first snapshot).
    pub baseline: Option<Baseline>,
    /// Account at the close.
    pub account: AccountSummary,
    /// P&L over three horizons.
    pub pnl: Pnl,
    /// The performance block, since the first snapshot.
    pub stats: Stats,
    /// Each position's weight of equity beside its target weight.
    pub allocation: Vec<Allocation>,
    /// Every order of every plan revision of the session, with its fate.
    pub orders: Vec<OrderOutcome>,
    /// Aurora's fills in the session.
    pub fills: Vec<FillActivity>,
    /// Positions at the close.
    pub positions: Vec<PositionLine>,
    /// Positions that differ from what Aurora expects.
    pub discrepancies: Vec<Discrepancy>,
    /// Things to look at (orders still open after the close, …).
    pub warnings: Vec<String>,
    /// Where the report was written (none for a preview).
    pub files: Option<ReportFiles>,
}

/// Positions adopted without an expectation.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Baseline {
    /// How many.
    pub positions: usize,
}

/// Account figures at the close.
#[derive(Clone, Debug, Serialize)]
pub struct AccountSummary {
    /// Equity.
    pub equity: Money,
    /// Cash.
    pub cash: Money,
    /// Equity at the previous close.
    pub last_equity: Money,
}

/// Profit and loss, each from the right base close (a snapshot, else portfolio history).
#[derive(Clone, Debug, Serialize)]
pub struct Pnl {
    /// Since the previous session's close.
    pub day: Money,
    /// Since the last close of the previous month.
    pub month_to_date: Money,
    /// Since the starting capital (the close before the first snapshot).
    pub since_start: Money,
}

/// One position.
#[derive(Clone, Debug, Serialize)]
pub struct PositionLine {
    /// Ticker.
    pub symbol: Symbol,
    /// Shares.
    pub qty: Decimal,
    /// Market value at the close, when known.
    pub market_value: Option<Money>,
    /// Unrealized P&L (Alpaca's, for the latest session only).
    pub unrealized_pl: Option<Money>,
}

/// The report's files.
#[derive(Clone, Debug, Serialize)]
pub struct ReportFiles {
    /// `YYYY-MM-DD.md`.
    pub markdown: PathBuf,
    /// `YYYY-MM-DD.json`.
    pub json: PathBuf,
    /// `equity-YYYY-MM-DD.svg`, the chart the report links.
    pub chart: PathBuf,
    /// `equity.svg`, a copy of the latest session's chart.
    pub latest_chart: PathBuf,
}

impl Report for EodReport {
    fn exit(&self) -> Exit {
        if self.reconciled.iter().any(|s| !s.discrepancies.is_empty()) {
            Exit::Discrepancy
        } else {
            Exit::Ok
        }
    }

    fn session(&self) -> Option<SessionDate> {
        Some(self.reconciled.last().map_or(self.session, |s| s.session))
    }

    fn error_lines(&self) -> Vec<String> {
        self.reconciled
            .iter()
            .flat_map(|s| s.discrepancies.iter().map(move |d| (s.session, d)))
            .map(|(session, d)| {
                format!(
                    "{session}: position discrepancy {}: expected {}, Alpaca holds {}",
                    d.symbol,
                    d.expected.normalize(),
                    d.actual.normalize()
                )
            })
            .collect()
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for s in &self.reconciled {
            let title = if s.caught_up {
                format!("End of day {} (caught up)", s.session)
            } else {
                format!("End of day {}", s.session)
            };
            render_session(&mut out, &title, s);
        }
        if let Some(line) = self.today_line() {
            let _ = writeln!(out, "{line}");
        }
        if self.reconciled.is_empty()
            && let Some(last) = self.last_reconciled
        {
            let _ = writeln!(
                out,
                "Nothing to reconcile: {last} is the last closed session, and reconciled."
            );
        }
        if let Some(p) = &self.preview {
            render_session(
                &mut out,
                &format!("Today so far, {} (not stored)", p.session),
                p,
            );
        }
        out
    }
}

impl EodReport {
    /// One line on today's session, unless it has closed (its report says all).
    fn today_line(&self) -> Option<String> {
        let line = match (self.market, &self.today) {
            (MarketState::NoSession, _) => format!(
                "No session on {} ({}).",
                self.session,
                self.no_session.as_deref().unwrap_or("market closed")
            ),
            (MarketState::BeforeOpen, Some(t)) => format!(
                "Session {} has not opened yet (opens {}): nothing stored for it.",
                t.date,
                market::fmt_chicago(t.open)
            ),
            (MarketState::Open, Some(t)) => format!(
                "Session {} is still open (closes {}): nothing stored for it.",
                t.date,
                market::fmt_chicago(t.close)
            ),
            _ => return None,
        };
        Some(line)
    }
}

fn render_session(out: &mut String, title: &str, s: &SessionReport) {
    let count = |f: Fate| s.orders.iter().filter(|o| o.fate == f).count();
    let _ = writeln!(out, "{title}");
    let _ = writeln!(
        out,
        "  equity {}  day {}  month {}  since start {}",
        s.account.equity,
        s.pnl.day.signed(),
        s.pnl.month_to_date.signed(),
        s.pnl.since_start.signed()
    );
    if let Some(b) = s.baseline {
        let _ = writeln!(
            out,
            "  baseline: {} position{} adopted (no earlier snapshot to check them against; checked from the next session on)",
            b.positions,
            if b.positions == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(
        out,
        "  orders {}: {} filled, {} partially filled, {} unfilled, {} canceled, {} expired, {} rejected, {} not sent",
        s.orders.len(),
        count(Fate::Filled),
        count(Fate::PartiallyFilled),
        count(Fate::Unfilled),
        count(Fate::Canceled),
        count(Fate::Expired),
        count(Fate::Rejected),
        count(Fate::NotSent)
    );
    for o in s.orders.iter().filter(|o| o.fate == Fate::Rejected) {
        let _ = writeln!(
            out,
            "  ❌ {} {} rejected: {}",
            o.side.as_str(),
            o.symbol,
            o.reason.as_deref().unwrap_or("no reason given")
        );
    }
    for o in s.orders.iter().filter(|o| o.fate == Fate::PartiallyFilled) {
        let planned = o
            .planned_qty
            .map(|q| q.normalize().to_string())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  ⚠️  {} {} partially filled: {} of {planned}",
            o.side.as_str(),
            o.symbol,
            o.filled_qty.normalize()
        );
    }
    for d in &s.discrepancies {
        let _ = writeln!(
            out,
            "  ❌ discrepancy {}: expected {}, Alpaca holds {}",
            d.symbol, d.expected, d.actual
        );
    }
    for w in &s.warnings {
        let _ = writeln!(out, "  ⚠️  {w}");
    }
    if let Some(f) = &s.files {
        let _ = writeln!(out, "  report {}", f.markdown.display());
        let _ = writeln!(out, "  chart  {}", f.chart.display());
    }
}

/// Runs `aurora eod`.
pub async fn run(ctx: &JobContext, request: EodRequest) -> anyhow::Result<EodReport> {
    let clock = ctx
        .client
        .clock()
        .await
        .context("cannot read the market clock")?;
    let now = clock.now();
    let today = market::market_date(now);
    super::record_session(today);
    let mut snapshots = ctx.store.snapshots()?;
    let last = snapshots.last().map(|s| s.session_date);
    let calendar: Vec<Session> = ctx
        .client
        .calendar(calendar_start(last, today), today.date())
        .await
        .context("cannot read the market calendar")?
        .iter()
        .map(CalendarDay::session)
        .collect();
    let (market, no_session, today_session) = match market::today(now, &calendar) {
        Today::NoSession { reason, .. } => (MarketState::NoSession, Some(reason.to_string()), None),
        Today::Session(s) => (
            match s.phase(now) {
                Phase::BeforeOpen => MarketState::BeforeOpen,
                Phase::Open => MarketState::Open,
                Phase::Closed => MarketState::Closed,
            },
            None,
            Some(s),
        ),
    };
    let schedule = schedule::schedule(now, &calendar, today, last);
    let preview = today_session.filter(|_| request.preview && market != MarketState::Closed);
    let mut report = EodReport {
        session: today,
        market,
        no_session,
        today: today_session,
        reconciled: Vec::new(),
        last_reconciled: last,
        preview: None,
    };
    let work: Vec<Session> = schedule.pending.iter().copied().chain(preview).collect();
    let Some(first) = work.first().copied() else {
        info!("nothing to reconcile on {today}: the last closed session has its snapshot");
        return Ok(report);
    };
    if schedule.rerun {
        // The session is reconciled afresh from the snapshot before it.
        snapshots.retain(|s| s.session_date < first.date);
    }

    let dates: Vec<NaiveDate> = calendar.iter().map(|s| s.date.date()).collect();
    let prev_session = |d: SessionDate| market::previous_session(d, &calendar).map(|s| s.date);
    let fill_dates: Vec<SessionDate> = calendar
        .iter()
        .filter(|s| s.date >= first.date && s.open <= now)
        .map(|s| s.date)
        .collect();
    let mut order_ids = Vec::new();
    for s in &work {
        order_ids.extend(
            ctx.store
                .session_order_ids(s.date)?
                .into_iter()
                .map(|id| id.as_str().to_owned()),
        );
    }
    let history_from = [
        performance::last_of_previous_month(&dates, first.date.date()),
        prev_session(first.date).map(SessionDate::date),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(first.date.date());
    let last_target = work.last().expect("not empty").date.date();
    let work_dates: Vec<SessionDate> = work.iter().map(|s| s.date).collect();
    let facts = facts::gather(
        &ctx.client,
        &work_dates,
        &fill_dates,
        &order_ids,
        (history_from, last_target),
    )
    .await?;
    super::metrics::save_account(ctx, &facts.account, Some(facts.positions.len()));

    // The since-start series opens at the close before the first snapshot (or this baseline).
    let start_date = snapshots
        .first()
        .and_then(|s| s.prev_session.map(SessionDate::date))
        .or_else(|| prev_session(first.date).map(SessionDate::date))
        .unwrap_or(first.date.date());
    let bars = facts::closes(
        ctx,
        &facts,
        &schedule.pending,
        &calendar,
        now,
        start_date,
        last_target,
    )
    .await;

    let books = session::Books {
        facts: &facts,
        calendar: &calendar,
        now,
        today,
        bars: &bars,
    };
    for target in &schedule.pending {
        let (snapshot, mut session) = books.reconcile(ctx, target, &snapshots)?;
        snapshots.push(snapshot);
        let files = files::write_files(ctx, &session, &snapshots, bars.benchmark.as_ref())?;
        session.files = Some(files);
        let snapshot = snapshots.last().expect("just pushed");
        ctx.store
            .save_snapshot(snapshot)
            .context("cannot store the snapshot")?;
        for d in &session.discrepancies {
            warn!(symbol = %d.symbol, "{}: position discrepancy {}: expected {}, Alpaca holds {}", session.session, d.symbol, d.expected.normalize(), d.actual.normalize());
        }
        info!(
            report = ?session.files.as_ref().map(|f| &f.markdown),
            "session {} reconciled: equity {}, day {}, {} order(s), {} discrepancy(ies); report {}",
            session.session,
            session.account.equity,
            session.pnl.day.signed(),
            session.orders.len(),
            session.discrepancies.len(),
            session.files.as_ref().map_or_else(String::new, |f| f.markdown.display().to_string())
        );
        report.last_reconciled = Some(session.session);
        report.reconciled.push(session);
    }
    if let Some(target) = preview {
        let (_, session) = books.reconcile(ctx, &target, &snapshots)?;
        report.preview = Some(session);
    }
    Ok(report)
}

/// The first calendar day eod needs: the month before the last snapshot's (for month-to-date
/// bases), or some weeks back on a first run.
fn calendar_start(last: Option<SessionDate>, today: SessionDate) -> NaiveDate {
    use chrono::Datelike as _;
    let from = last.unwrap_or(today).date();
    from.with_day(1)
        .unwrap_or(from)
        .checked_sub_days(Days::new(if last.is_some() { 10 } else { 40 }))
        .unwrap_or(from)
}
