//! `aurora fetch`: daily bars for the universe, through the last completed session, into the store.

mod validate;
mod window;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::Context as _;
use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;
use tracing::{info, warn};

pub use validate::SkippedBar;

use super::{JobContext, Report};
use crate::alpaca::BarsQuery;
use crate::alpaca::models::CalendarDay;
use crate::exit::Exit;
use crate::market;
use crate::progress::{Progress, ProgressMode};
use crate::store::{BarUpsert, BarWriter};
use crate::types::{SessionDate, Symbol};

/// What to fetch (the command line, or preflight's catch-up).
#[derive(Clone, Debug)]
pub struct FetchRequest {
    /// `--symbols`; the universe when absent.
    pub symbols: Option<Vec<Symbol>>,
    /// `--start`.
    pub start: Option<NaiveDate>,
    /// `--end` (never past the last completed session).
    pub end: Option<NaiveDate>,
    /// `--full`: refetch the whole window.
    pub full: bool,
    /// How to show progress.
    pub progress: ProgressMode,
}

/// A symbol that could not be fetched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedSymbol {
    /// Ticker.
    pub symbol: Symbol,
    /// Why.
    pub reason: String,
}

/// What a fetch did.
#[derive(Clone, Debug, Serialize)]
pub struct FetchReport {
    /// The last completed session: bars are fetched through it.
    pub through: Option<SessionDate>,
    /// `iex` or `sip`.
    pub feed: String,
    /// Adjustment asked for.
    pub adjustment: String,
    /// Symbols asked about.
    pub symbols: usize,
    /// Symbols that already held the last session.
    pub up_to_date: usize,
    /// Bars added, updated and unchanged.
    pub bars: BarUpsert,
    /// Bars not stored because they are impossible.
    pub skipped: Vec<SkippedBar>,
    /// Symbols Alpaca does not know.
    pub failed: Vec<FailedSymbol>,
    /// Known symbols without bars in the window.
    pub warnings: Vec<String>,
    /// The last stored session of each symbol asked about.
    pub last_session: BTreeMap<Symbol, SessionDate>,
    /// HTTP requests to the Market Data API, retries included.
    pub requests: u64,
    /// The fewest requests the API allows for the same bars: one per 10,000 bars (its largest
    /// page) per batch of symbols.
    pub min_requests: u64,
}

impl Report for FetchReport {
    fn exit(&self) -> Exit {
        if self.failed.is_empty() {
            Exit::Ok
        } else {
            Exit::Failed
        }
    }

    fn session(&self) -> Option<SessionDate> {
        self.through
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let Some(through) = self.through else {
            return "No completed session in the calendar yet: nothing to fetch.".to_owned();
        };
        let b = &self.bars;
        let _ = writeln!(
            out,
            "Fetched daily bars through {through} ({}, adjustment {})",
            self.feed, self.adjustment
        );
        let _ = writeln!(
            out,
            "  symbols   {} ({} already up to date)",
            self.symbols, self.up_to_date
        );
        let _ = writeln!(
            out,
            "  bars      {} added, {} updated, {} unchanged",
            b.added, b.updated, b.unchanged
        );
        let _ = writeln!(
            out,
            "  requests  {} (minimum {})",
            self.requests, self.min_requests
        );
        for s in &self.skipped {
            let _ = writeln!(
                out,
                "  ⚠️  skipped {} {}: {}",
                s.symbol, s.session_date, s.reason
            );
        }
        for w in &self.warnings {
            let _ = writeln!(out, "  ⚠️  {w}");
        }
        for f in &self.failed {
            let _ = writeln!(out, "  ❌ {}: {}", f.symbol, f.reason);
        }
        let mut by_date: BTreeMap<SessionDate, Vec<&Symbol>> = BTreeMap::new();
        for (symbol, date) in &self.last_session {
            by_date.entry(*date).or_default().push(symbol);
        }
        let _ = writeln!(out, "Last session stored");
        for (date, symbols) in by_date.iter().rev() {
            let names: Vec<&str> = symbols.iter().map(|s| s.as_str()).collect();
            let list = if names.len() > 12 {
                format!("{} symbols", names.len())
            } else {
                names.join(" ")
            };
            let _ = writeln!(out, "  {date}  {list}");
        }
        if !self.failed.is_empty() {
            let names: Vec<&str> = self.failed.iter().map(|f| f.symbol.as_str()).collect();
            let _ = writeln!(out, "Failed: {}", names.join(", "));
        }
        out
    }
}

/// Runs `aurora fetch`.
pub async fn run(ctx: &JobContext, request: FetchRequest) -> anyhow::Result<FetchReport> {
    fetch_bars(ctx, &request).await
}

/// Fetches what `request` asks for; each page is stored in one transaction as it arrives, so
/// an interrupted fetch loses nothing and a rerun continues where it stopped.
pub async fn fetch_bars(ctx: &JobContext, request: &FetchRequest) -> anyhow::Result<FetchReport> {
    let data = &ctx.config.settings.data;
    let feed = data.feed.as_str();
    let adjustment = data.adjustment.as_str();
    let symbols: Vec<Symbol> = {
        let list = request
            .symbols
            .as_ref()
            .unwrap_or(&ctx.config.settings.universe.symbols);
        let set: BTreeSet<Symbol> = list.iter().cloned().collect();
        set.into_iter().collect()
    };
    let requests_before = ctx.client.data_requests_sent();

    let clock = ctx
        .client
        .clock()
        .await
        .context("cannot read the market clock")?;
    let now = clock.now();
    let today = market::market_date(now).date();
    // About 252 sessions a year: this many calendar days hold `history_days` sessions.
    let span = Days::new(u64::from(data.history_days) * 7 / 5 + 30);
    let mut cal_start = today.checked_sub_days(span).unwrap_or(today);
    if let Some(start) = request.start {
        cal_start = cal_start.min(start);
    }
    let calendar: Vec<CalendarDay> = ctx
        .client
        .calendar(cal_start, today)
        .await
        .context("cannot read the market calendar")?;
    let sessions: Vec<_> = calendar.iter().map(CalendarDay::session).collect();
    let mut report = FetchReport {
        through: None,
        feed: feed.to_owned(),
        adjustment: adjustment.to_owned(),
        symbols: symbols.len(),
        up_to_date: 0,
        bars: BarUpsert::default(),
        skipped: Vec::new(),
        failed: Vec::new(),
        warnings: Vec::new(),
        last_session: BTreeMap::new(),
        requests: 0,
        min_requests: 0,
    };
    let Some(last) = market::last_completed(now, &sessions) else {
        return Ok(report);
    };
    let end = request
        .end
        .map_or(last.date.date(), |e| e.min(last.date.date()));
    report.through = Some(SessionDate::new(end));
    let mut completed: Vec<NaiveDate> = sessions
        .iter()
        .map(|s| s.date.date())
        .filter(|d| *d <= end)
        .collect();
    completed.sort();

    let stored = ctx
        .store
        .last_bar_dates(&symbols, feed, adjustment)
        .context("cannot read stored bars")?;
    let plan = window::plan(&window::Want {
        symbols: &symbols,
        sessions: &completed,
        stored: &stored,
        history: data.history_days,
        overlap: data.overlap_sessions,
        start: request.start,
        full: request.full,
    });
    report.up_to_date = plan.up_to_date.len();
    info!(
        symbols = symbols.len(),
        batches = plan.batches.len(),
        up_to_date = plan.up_to_date.len(),
        through = %end,
        "fetching daily bars"
    );

    let busy_timeout = ctx.config.settings.store.busy_timeout();
    let mut writer = BarWriter::start(&ctx.config.db_path(), busy_timeout)
        .context("cannot open the store for bars")?;
    let mut progress = Progress::start(request.progress, symbols.len() as u64);
    progress.advance(plan.up_to_date.len() as u64, 0);
    for batch in &plan.batches {
        let query = BarsQuery {
            symbols: &batch.symbols,
            start: batch.start,
            end: batch.end,
            feed: data.feed,
            adjustment,
            limit: data.page_limit,
        };
        let mut seen: BTreeSet<Symbol> = BTreeSet::new();
        let mut batch_bars = 0u64;
        let mut reported = 0usize;
        let mut token: Option<String> = None;
        loop {
            let page = ctx
                .client
                .daily_bars(&query, token.as_deref())
                .await
                .with_context(|| {
                    format!(
                        "cannot fetch bars for {} symbol(s) from {}",
                        batch.symbols.len(),
                        batch.start
                    )
                })?;
            let fetched_at = Utc::now();
            let mut rows = Vec::new();
            let mut page_bars = 0u64;
            for (name, bars) in &page.bars {
                // Trust Alpaca's key only if it is one we asked for.
                let Some(symbol) = batch.symbols.iter().find(|s| s.as_str() == name) else {
                    warn!(symbol = %name, "Alpaca returned bars for a symbol not asked for; ignored");
                    continue;
                };
                seen.insert(symbol.clone());
                page_bars += bars.len() as u64;
                for bar in bars {
                    match validate::to_stored(symbol, bar, feed, adjustment, fetched_at) {
                        Ok(row) => rows.push(row),
                        Err(skipped) => {
                            warn!(symbol = %skipped.symbol, session = %skipped.session_date, "skipped bar: {}", skipped.reason);
                            report.skipped.push(skipped);
                        }
                    }
                }
            }
            batch_bars += page_bars;
            writer.write(rows).context("cannot store bars")?;
            // Pages run symbol by symbol: every symbol seen is complete except, while more
            // pages follow, the latest one.
            let complete =
                seen.len() - usize::from(page.next_page_token.is_some() && !seen.is_empty());
            progress.advance((complete - reported) as u64, page_bars);
            reported = complete;
            match page.next_page_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        report.min_requests += batch_bars.div_ceil(10_000).max(1);
        for symbol in batch.symbols.iter().filter(|s| !seen.contains(*s)) {
            progress.advance(1, 0);
            match ctx.client.asset(symbol).await {
                Err(e) if e.status() == Some(404) => report.failed.push(FailedSymbol {
                    symbol: symbol.clone(),
                    reason: "not known to Alpaca".into(),
                }),
                Err(e) => return Err(e).with_context(|| format!("cannot look up {symbol}")),
                Ok(_) => report.warnings.push(format!(
                    "{symbol}: no bars from {} to {}",
                    batch.start, batch.end
                )),
            }
        }
    }
    report.bars = writer.finish().context("cannot store bars")?;
    progress.finish();
    for f in &report.failed {
        warn!(symbol = %f.symbol, "{}", f.reason);
    }

    report.last_session = ctx
        .store
        .last_bar_dates(&symbols, feed, adjustment)
        .context("cannot read stored bars")?;
    report.requests = ctx.client.data_requests_sent() - requests_before;
    Ok(report)
}
