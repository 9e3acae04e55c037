//! The strategy's input is checked, not trusted: this loads the stored closes, gathers the facts
//! the pure check ([`crate::history::check`]) needs — Alpaca's calendar for the lookback window,
//! and the broker's current closes for each symbol's last stored session and for the sessions
//! of any suspicious move — and runs it.
//!
//! A last stored close Alpaca's current series no longer shows (a split or dividend adjustment
//! that went ex overnight, after the evening fetch) is not only refused: that symbol's stored
//! history is refetched whole first, as `fetch` re-adjusts it, so the day's plan sizes orders
//! on the scale the broker's positions are on.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use tracing::warn;

use super::super::JobContext;
use super::super::fetch::{self, FetchRequest};
use crate::alpaca::BarsQuery;
use crate::alpaca::models::CalendarDay;
use crate::history::{self, Facts};
use crate::market::{self, Session};
use crate::progress::ProgressMode;
use crate::strategy::{Close, History, Skipped};
use crate::types::{Money, SessionDate, Symbol};

/// The broker's current closes by symbol and session.
type BrokerCloses = BTreeMap<Symbol, BTreeMap<SessionDate, Money>>;

/// The stored history the strategy may read, checked.
pub struct Checked {
    /// Stored closes per universe symbol, oldest first (after any refetch).
    pub history: History,
    /// The symbols whose history must not feed the strategy today, each with its reason.
    pub skipped: Vec<Skipped>,
    /// One line per symbol whose history was refetched before planning, and why.
    pub refetched: Vec<String>,
}

/// Loads the stored closes of the universe and checks them against Alpaca.
pub async fn checked_history(ctx: &JobContext, session: &Session) -> anyhow::Result<Checked> {
    let mut history = load_history(ctx, session.date)?;
    let settings = &ctx.config.settings;
    let today = session.date.date();
    let lookback = settings.strategy.lookback;
    let start = today
        .checked_sub_days(market::calendar_days_for(lookback))
        .unwrap_or(today);
    let calendar = ctx
        .client
        .calendar(start, today)
        .await
        .context("cannot read the market calendar for the lookback window")?;
    let sessions: Vec<Session> = calendar.iter().map(CalendarDay::session).collect();
    let window = market::sessions_before(session.date, &sessions, lookback);
    let (Some(&window_start), Some(&previous)) = (window.first(), window.last()) else {
        return Ok(Checked {
            history,
            skipped: Vec::new(),
            refetched: Vec::new(),
        });
    };

    // Symbols up to date (a stale one is named stale, whatever its last close).
    let current: Vec<Symbol> = history
        .iter()
        .filter(|(_, closes)| closes.last().is_some_and(|c| c.date == previous))
        .map(|(s, _)| s.clone())
        .collect();
    let mut broker = broker_closes(ctx, &current, previous, previous).await?;
    let moved = history::moved_last_closes(&up_to_date(&history, &current), &broker);
    let mut refetched = Vec::new();
    if !moved.is_empty() {
        refetched = refetch(ctx, &history, &broker, &moved).await?;
        history = load_history(ctx, session.date)?;
    }

    let max_move = settings.risk.max_price_move;
    let jumps = history::jumps(&history, window_start, max_move);
    if let (Some(from), Some(to)) = (
        jumps.iter().map(|j| j.from.date).min(),
        jumps.iter().map(|j| j.to.date).max(),
    ) {
        let symbols: Vec<Symbol> = jumps
            .iter()
            .map(|j| j.symbol.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for (symbol, closes) in broker_closes(ctx, &symbols, from, to).await? {
            broker.entry(symbol).or_default().extend(closes);
        }
    }
    let skipped = history::check(
        &history,
        &Facts {
            window: &window,
            max_move,
            broker: &broker,
        },
    );
    Ok(Checked {
        history,
        skipped,
        refetched,
    })
}

/// The part of `history` for `symbols`.
fn up_to_date(history: &History, symbols: &[Symbol]) -> History {
    history
        .iter()
        .filter(|(s, _)| symbols.contains(s))
        .map(|(s, c)| (s.clone(), c.clone()))
        .collect()
}

/// Refetches the whole stored history of each `moved` symbol (from its first stored session),
/// replacing every bar; one line each on what changed.
async fn refetch(
    ctx: &JobContext,
    history: &History,
    broker: &BrokerCloses,
    moved: &[Symbol],
) -> anyhow::Result<Vec<String>> {
    let firsts = ctx
        .store
        .first_bar_dates(moved)
        .context("cannot read stored bars")?;
    let mut by_start: BTreeMap<SessionDate, Vec<Symbol>> = BTreeMap::new();
    for (symbol, first) in firsts {
        by_start.entry(first).or_default().push(symbol);
    }
    let mut lines = Vec::new();
    for (start, symbols) in by_start {
        let request = FetchRequest {
            symbols: Some(symbols.clone()),
            start: Some(start.date()),
            end: None,
            full: false,
            progress: ProgressMode::Off,
        };
        fetch::fetch_bars(ctx, &request)
            .await
            .context("cannot refetch a history Alpaca has re-adjusted")?;
        for symbol in symbols {
            let Some(last) = history.get(&symbol).and_then(|c| c.last()) else {
                continue;
            };
            let now = broker
                .get(&symbol)
                .and_then(|b| b.get(&last.date))
                .map_or("no bar".to_owned(), ToString::to_string);
            let line = format!(
                "{symbol}: Alpaca's close for {} is now {now}, not the stored {} (a split or \
                 correction since the last fetch); its history was refetched before planning",
                last.date, last.price
            );
            warn!(symbol = %symbol, "{line}");
            lines.push(line);
        }
    }
    Ok(lines)
}

/// Enough stored closes for the strategy, all before today.
fn load_history(ctx: &JobContext, today: SessionDate) -> anyhow::Result<History> {
    let settings = &ctx.config.settings;
    let lookback = settings.strategy.lookback + 5;
    let mut history = History::new();
    for symbol in &settings.universe.symbols {
        let closes = ctx.store.recent_closes(symbol, today, lookback)?;
        history.insert(
            symbol.clone(),
            closes
                .into_iter()
                .map(|(date, price)| Close { date, price })
                .collect(),
        );
    }
    Ok(history)
}

/// The broker's current closes of `symbols` over `start..=end`, in the configured feed and
/// adjustment: one paged request per batch of symbols (as fetch batches them), none without.
async fn broker_closes(
    ctx: &JobContext,
    symbols: &[Symbol],
    start: SessionDate,
    end: SessionDate,
) -> anyhow::Result<BrokerCloses> {
    let mut out = BrokerCloses::new();
    let by_start = BTreeMap::from([(start.date(), symbols.to_vec())]);
    for batch in fetch::batches(by_start, end.date()) {
        if !batch.symbols.is_empty() {
            read_closes(ctx, &batch.symbols, start, end, &mut out).await?;
        }
    }
    Ok(out)
}

/// One batch of [`broker_closes`], every page followed.
async fn read_closes(
    ctx: &JobContext,
    symbols: &[Symbol],
    start: SessionDate,
    end: SessionDate,
    out: &mut BrokerCloses,
) -> anyhow::Result<()> {
    let data = &ctx.config.settings.data;
    let query = BarsQuery {
        symbols,
        start: start.date(),
        end: end.date(),
        feed: data.feed,
        adjustment: &data.adjustment,
        limit: data.page_limit,
    };
    let mut token: Option<String> = None;
    loop {
        let page = ctx
            .client
            .daily_bars(&query, token.as_deref())
            .await
            .context("cannot read Alpaca's bars to confirm the stored history")?;
        for (name, bars) in page.bars {
            let Some(symbol) = symbols.iter().find(|s| s.as_str() == name) else {
                continue;
            };
            let closes = out.entry(symbol.clone()).or_default();
            for bar in bars {
                closes.insert(market::market_date(bar.t), Money::new(bar.c));
            }
        }
        match page.next_page_token {
            Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
            _ => return Ok(()),
        }
    }
}
