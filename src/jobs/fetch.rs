//! `aurora fetch`: daily bars for the universe, through the last completed session, into the store.

mod gaps;
mod validate;
mod window;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use tracing::{info, warn};

pub use gaps::stored_gaps;
pub use validate::SkippedBar;
pub use window::batches;

use super::{JobContext, Report};
use crate::alpaca::BarsQuery;
use crate::alpaca::models::CalendarDay;
use crate::exit::Exit;
use crate::history;
use crate::market;
use crate::progress::{Progress, ProgressMode};
use crate::store::{BarUpsert, BarWriter, StoredBar};
use crate::types::{Money, SessionDate, Symbol};

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

/// A symbol whose stored history no longer matched Alpaca's and was refetched whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Readjusted {
    /// Ticker.
    pub symbol: Symbol,
    /// The first session refetched (the first stored one).
    pub from: SessionDate,
    /// Stored bars replaced by the refetch.
    pub replaced: u64,
}

/// Sessions of one symbol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SymbolSessions {
    /// Ticker.
    pub symbol: Symbol,
    /// The sessions.
    pub sessions: Vec<SessionDate>,
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
    /// Known symbols without bars in the window, and gaps still open.
    pub warnings: Vec<String>,
    /// Symbols re-adjusted: a refetched bar differed from the stored one by more than
    /// [`crate::history::CORRECTION_TOLERANCE`] of its close, so the whole stored window was
    /// refetched (a split, or a correction).
    pub readjusted: Vec<Readjusted>,
    /// Gaps (sessions missing between stored ones) that this fetch filled.
    pub refilled: Vec<SymbolSessions>,
    /// Gaps Alpaca still has no bar for.
    pub gaps: Vec<SymbolSessions>,
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

    fn error_lines(&self) -> Vec<String> {
        self.failed
            .iter()
            .map(|f| format!("{}: {}", f.symbol, f.reason))
            .collect()
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
        for r in &self.readjusted {
            let _ = writeln!(
                out,
                "  {} history re-adjusted: {} bars replaced",
                r.symbol, r.replaced
            );
        }
        for r in &self.refilled {
            let _ = writeln!(out, "  {} gap refilled: {}", r.symbol, dates(&r.sessions));
        }
        for g in &self.gaps {
            let _ = writeln!(
                out,
                "  ⚠️  {} gap: no bar for {} between stored sessions; the next fetch asks again",
                g.symbol,
                dates(&g.sessions)
            );
        }
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

fn dates(sessions: &[SessionDate]) -> String {
    let list: Vec<String> = sessions.iter().map(ToString::to_string).collect();
    list.join(", ")
}

/// Runs `aurora fetch`.
pub async fn run(ctx: &JobContext, request: FetchRequest) -> anyhow::Result<FetchReport> {
    fetch_bars(ctx, &request).await
}

/// Fetches what `request` asks for; each page is stored in one transaction as it arrives, so
/// an interrupted fetch loses nothing and a rerun continues where it stopped.
///
/// Stored bars that are refetched (the overlap, or from a gap on) are compared with what Alpaca
/// serves now: a symbol whose bar moved by more than [`history::CORRECTION_TOLERANCE`] of its
/// close keeps none of this pass's bars and is refetched whole in a second pass, so its stored
/// history never mixes price scales (a crash between the passes leaves the old bar in place,
/// and the next run notices again).
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
    let span = market::calendar_days_for(data.history_days);
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
        readjusted: Vec::new(),
        refilled: Vec::new(),
        gaps: Vec::new(),
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
    super::record_session(SessionDate::new(end));
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
    // `--full` and `--start` refetch and replace their whole window anyway.
    let whole_window = request.full || request.start.is_some();
    let gaps = if whole_window {
        BTreeMap::new()
    } else {
        gaps::stored_gaps(&ctx.store, &symbols, &completed).context("cannot read stored bars")?
    };
    for (symbol, missing) in &gaps {
        info!(symbol = %symbol, sessions = missing.len(), first = %missing[0], "gap in the stored {symbol} history: {} session(s) missing from {}; refetching from it", missing.len(), missing[0]);
    }
    let first_gaps: BTreeMap<Symbol, NaiveDate> =
        gaps.iter().map(|(s, m)| (s.clone(), m[0])).collect();
    let plan = window::plan(&window::Want {
        symbols: &symbols,
        sessions: &completed,
        stored: &stored,
        history: data.history_days,
        overlap: data.overlap_sessions,
        start: request.start,
        full: request.full,
        gaps: &first_gaps,
    });
    report.up_to_date = plan.up_to_date.len();
    info!(
        symbols = symbols.len(),
        batches = plan.batches.len(),
        up_to_date = plan.up_to_date.len(),
        through = %end,
        "fetching daily bars through {end}: {} symbol(s) in {} request batch(es), {} already up to date",
        symbols.len(),
        plan.batches.len(),
        plan.up_to_date.len()
    );
    let before = if whole_window {
        BTreeMap::new()
    } else {
        refetched_bars(ctx, &plan.batches, &stored)?
    };

    let busy_timeout = ctx.config.settings.store.busy_timeout();
    let mut writer = BarWriter::start(&ctx.config.db_path(), busy_timeout)
        .context("cannot open the store for bars")?;
    let mut progress = Progress::start(request.progress, symbols.len() as u64);
    progress.advance(plan.up_to_date.len() as u64, 0);
    let mut readjust: BTreeSet<Symbol> = BTreeSet::new();
    let mut written: BTreeMap<Symbol, BTreeSet<NaiveDate>> = BTreeMap::new();
    let mut pass = Pass {
        writer: &mut writer,
        report: &mut report,
        progress: Some(&mut progress),
    };
    for batch in &plan.batches {
        pass.download(ctx, batch, &mut |symbol, rows| {
            if readjust.contains(symbol) {
                return Vec::new();
            }
            if let Some(old) = before.get(symbol)
                && let Some(row) = rows.iter().find(|r| {
                    old.get(&r.session_date)
                        .is_some_and(|o| history::differs(prices(o), prices(r)))
                })
            {
                let o = &old[&row.session_date];
                info!(symbol = %symbol, session = %row.session_date, stored = %o.close, now = %row.close, "the stored {symbol} bar of {} changed beyond the tolerance ({} → {}); refetching the whole history", row.session_date, o.close, row.close);
                readjust.insert(symbol.clone());
                return Vec::new();
            }
            note_gap_sessions(&gaps, &mut written, symbol, &rows);
            rows
        })
        .await?;
    }

    // Second pass: each re-adjusted symbol's whole stored window, every bar replaced.
    let readjust: Vec<Symbol> = readjust.into_iter().collect();
    let firsts = ctx
        .store
        .first_bar_dates(&readjust)
        .context("cannot read stored bars")?;
    let mut by_start: BTreeMap<NaiveDate, Vec<Symbol>> = BTreeMap::new();
    for (symbol, first) in &firsts {
        by_start
            .entry(first.date())
            .or_default()
            .push(symbol.clone());
    }
    let mut replaced: BTreeMap<Symbol, u64> = BTreeMap::new();
    pass.progress = None;
    for batch in window::batches(by_start, end) {
        pass.download(ctx, &batch, &mut |symbol, rows| {
            let last = stored.get(symbol).copied();
            *replaced.entry(symbol.clone()).or_default() += rows
                .iter()
                .filter(|r| last.is_some_and(|l| r.session_date <= l))
                .count() as u64;
            note_gap_sessions(&gaps, &mut written, symbol, &rows);
            rows
        })
        .await?;
    }
    report.bars = writer.finish().context("cannot store bars")?;
    progress.finish();
    for (symbol, from) in firsts {
        let replaced = replaced.get(&symbol).copied().unwrap_or_default();
        info!(symbol = %symbol, %from, replaced, "{symbol} history re-adjusted: {replaced} bars replaced");
        report.readjusted.push(Readjusted {
            symbol,
            from,
            replaced,
        });
    }
    (report.refilled, report.gaps) = gap_outcome(gaps, &written);
    for r in &report.refilled {
        info!(symbol = %r.symbol, sessions = r.sessions.len(), "{} gap refilled: {} session(s)", r.symbol, r.sessions.len());
    }
    for g in &report.gaps {
        warn!(symbol = %g.symbol, sessions = g.sessions.len(), first = %g.sessions[0], "{} gap still open: Alpaca served no bar for {} session(s) from {}", g.symbol, g.sessions.len(), g.sessions[0]);
    }
    for f in &report.failed {
        warn!(symbol = %f.symbol, "fetch failed for {}: {}", f.symbol, f.reason);
    }

    report.last_session = ctx
        .store
        .last_bar_dates(&symbols, feed, adjustment)
        .context("cannot read stored bars")?;
    report.requests = ctx.client.data_requests_sent() - requests_before;
    Ok(report)
}

/// Remembers which sessions of a symbol with a gap were stored, to tell refilled from open.
fn note_gap_sessions(
    gaps: &BTreeMap<Symbol, Vec<NaiveDate>>,
    written: &mut BTreeMap<Symbol, BTreeSet<NaiveDate>>,
    symbol: &Symbol,
    rows: &[StoredBar],
) {
    if gaps.contains_key(symbol) {
        let seen = written.entry(symbol.clone()).or_default();
        seen.extend(rows.iter().map(|r| r.session_date.date()));
    }
}

/// Each gap's sessions split into those now stored (refilled) and those still missing.
fn gap_outcome(
    gaps: BTreeMap<Symbol, Vec<NaiveDate>>,
    written: &BTreeMap<Symbol, BTreeSet<NaiveDate>>,
) -> (Vec<SymbolSessions>, Vec<SymbolSessions>) {
    let (mut refilled, mut open) = (Vec::new(), Vec::new());
    for (symbol, missing) in gaps {
        let seen = written.get(&symbol);
        let (filled, still): (Vec<NaiveDate>, Vec<NaiveDate>) = missing
            .into_iter()
            .partition(|d| seen.is_some_and(|s| s.contains(d)));
        for (dates, out) in [(filled, &mut refilled), (still, &mut open)] {
            if !dates.is_empty() {
                out.push(SymbolSessions {
                    symbol: symbol.clone(),
                    sessions: dates.into_iter().map(SessionDate::new).collect(),
                });
            }
        }
    }
    (refilled, open)
}

/// Open, high, low, close.
fn prices(b: &StoredBar) -> [Money; 4] {
    [b.open, b.high, b.low, b.close]
}

/// The stored bars each batch asks for again (from its start through the symbol's last stored
/// session), to tell a correction from the same bar.
fn refetched_bars(
    ctx: &JobContext,
    batches: &[window::Batch],
    stored: &BTreeMap<Symbol, SessionDate>,
) -> anyhow::Result<BTreeMap<Symbol, BTreeMap<SessionDate, StoredBar>>> {
    let mut out = BTreeMap::new();
    for batch in batches {
        for symbol in &batch.symbols {
            let Some(&last) = stored.get(symbol) else {
                continue;
            };
            let start = SessionDate::new(batch.start);
            if start > last {
                continue;
            }
            let bars = ctx
                .store
                .bars(symbol, start, last)
                .context("cannot read stored bars")?;
            out.insert(
                symbol.clone(),
                bars.into_iter().map(|b| (b.session_date, b)).collect(),
            );
        }
    }
    Ok(out)
}

/// One pass of downloads into the store.
struct Pass<'a> {
    writer: &'a mut BarWriter,
    report: &'a mut FetchReport,
    /// Counts symbols done (the first pass); the second pass adds no symbols.
    progress: Option<&'a mut Progress>,
}

impl Pass<'_> {
    /// Downloads one batch, page by page; `keep` chooses which of a symbol's valid bars to store.
    async fn download(
        &mut self,
        ctx: &JobContext,
        batch: &window::Batch,
        keep: &mut dyn FnMut(&Symbol, Vec<StoredBar>) -> Vec<StoredBar>,
    ) -> anyhow::Result<()> {
        let data = &ctx.config.settings.data;
        let (feed, adjustment) = (data.feed.as_str(), data.adjustment.as_str());
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
                    warn!(symbol = %name, "Alpaca returned bars for {name}, a symbol not asked for; ignored");
                    continue;
                };
                seen.insert(symbol.clone());
                page_bars += bars.len() as u64;
                let mut valid = Vec::with_capacity(bars.len());
                for bar in bars {
                    match validate::to_stored(symbol, bar, feed, adjustment, fetched_at) {
                        Ok(row) => valid.push(row),
                        Err(skipped) => {
                            warn!(symbol = %skipped.symbol, "skipped the {} bar of {}: {}", skipped.symbol, skipped.session_date, skipped.reason);
                            self.report.skipped.push(skipped);
                        }
                    }
                }
                rows.extend(keep(symbol, valid));
            }
            batch_bars += page_bars;
            self.writer.write(rows).context("cannot store bars")?;
            // Pages run symbol by symbol: every symbol seen is complete except, while more
            // pages follow, the latest one.
            let complete =
                seen.len() - usize::from(page.next_page_token.is_some() && !seen.is_empty());
            if let Some(progress) = self.progress.as_deref_mut() {
                progress.advance((complete - reported) as u64, page_bars);
            }
            reported = complete;
            match page.next_page_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        self.report.min_requests += batch_bars.div_ceil(10_000).max(1);
        for symbol in batch.symbols.iter().filter(|s| !seen.contains(*s)) {
            if let Some(progress) = self.progress.as_deref_mut() {
                progress.advance(1, 0);
            }
            match ctx.client.asset(symbol).await {
                Err(e) if e.status() == Some(404) => self.report.failed.push(FailedSymbol {
                    symbol: symbol.clone(),
                    reason: "not known to Alpaca".into(),
                }),
                Err(e) => return Err(e).with_context(|| format!("cannot look up {symbol}")),
                Ok(_) => self.report.warnings.push(format!(
                    "{symbol}: no bars from {} to {}",
                    batch.start, batch.end
                )),
            }
        }
        Ok(())
    }
}
