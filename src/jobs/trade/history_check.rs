//! The strategy's input is checked, not trusted: this gathers the facts the pure check
//! ([`crate::history::check`]) needs — Alpaca's calendar for the lookback window, and the
//! broker's current bars for just the sessions of any suspicious move — and runs it.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;

use super::super::JobContext;
use crate::alpaca::BarsQuery;
use crate::alpaca::models::CalendarDay;
use crate::history::{self, Facts, Jump};
use crate::market::{self, Session};
use crate::strategy::{History, Skipped};
use crate::types::{Money, SessionDate, Symbol};

/// The symbols whose stored history must not feed the strategy today, each with its reason.
pub async fn skipped(
    ctx: &JobContext,
    session: &Session,
    history: &History,
) -> anyhow::Result<Vec<Skipped>> {
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
    let Some(&window_start) = window.first() else {
        return Ok(Vec::new());
    };
    let max_move = settings.risk.max_price_move;
    let jumps = history::jumps(history, window_start, max_move);
    let broker = broker_closes(ctx, &jumps).await?;
    Ok(history::check(
        history,
        &Facts {
            window: &window,
            max_move,
            broker: &broker,
        },
    ))
}

/// The broker's current closes, in the configured feed and adjustment, over the sessions the
/// jumps span: one paged request for all of them, none when there is no jump.
async fn broker_closes(
    ctx: &JobContext,
    jumps: &[Jump],
) -> anyhow::Result<BTreeMap<Symbol, BTreeMap<SessionDate, Money>>> {
    let mut out: BTreeMap<Symbol, BTreeMap<SessionDate, Money>> = BTreeMap::new();
    let (Some(start), Some(end)) = (
        jumps.iter().map(|j| j.from.date).min(),
        jumps.iter().map(|j| j.to.date).max(),
    ) else {
        return Ok(out);
    };
    let symbols: Vec<Symbol> = jumps
        .iter()
        .map(|j| j.symbol.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let data = &ctx.config.settings.data;
    let query = BarsQuery {
        symbols: &symbols,
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
            .context("cannot read Alpaca's bars to confirm a large move")?;
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
            Some(next) => token = Some(next),
            None => return Ok(out),
        }
    }
}
