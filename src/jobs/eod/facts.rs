//! What eod asks Alpaca, in one concurrent round: the account, positions, each session's FILL
//! activities, Aurora's orders, the closing equities and the closes a report needs.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt as _;
use rust_decimal::Decimal;

use crate::alpaca::models::{Account, FillActivity, Order, PortfolioHistory, Position};
use crate::alpaca::{BarsQuery, Client, OrderQuery, OrderStatusFilter};
use crate::config::DataSettings;
use crate::jobs::JobContext;
use crate::jobs::performance::BenchmarkCloses;
use crate::market::Session;
use crate::stats::Point;
use crate::types::{SessionDate, Symbol};

/// The broker's side of the sessions being reconciled.
#[derive(Debug)]
pub struct Facts {
    /// The account now.
    pub account: Account,
    /// Positions now.
    pub positions: Vec<Position>,
    /// Every FILL activity (Aurora's or not) by session, from the first session reconciled on.
    pub fills: BTreeMap<SessionDate, Vec<FillActivity>>,
    /// Aurora's orders by client order id: those the store knows, and any other Alpaca has
    /// under an Aurora id for a session being reconciled (a restored older backup forgot them).
    pub orders: BTreeMap<String, Order>,
    /// Closing equity by session date, from portfolio history.
    pub closes: BTreeMap<NaiveDate, Decimal>,
}

impl Facts {
    /// Shares held now, by symbol.
    pub fn current_positions(&self) -> BTreeMap<Symbol, Decimal> {
        self.positions
            .iter()
            .map(|p| (p.symbol.clone(), p.qty))
            .collect()
    }

    /// Every execution after `date`'s session, Aurora's or not.
    pub fn later_fills(&self, date: SessionDate) -> Vec<&FillActivity> {
        self.fills
            .range((Bound::Excluded(date), Bound::Unbounded))
            .flat_map(|(_, f)| f)
            .collect()
    }
}

/// Asks for everything at once (order lookups four at a time). `sessions` are the sessions
/// being reconciled: the account's orders since the first one's day are listed for Aurora ids.
pub async fn gather(
    client: &Client,
    sessions: &[SessionDate],
    fill_dates: &[SessionDate],
    order_ids: &[String],
    history: (NaiveDate, NaiveDate),
) -> anyhow::Result<Facts> {
    let listed = async {
        let Some(first) = sessions.iter().min() else {
            return Ok(Vec::new());
        };
        let query = OrderQuery {
            status: OrderStatusFilter::All,
            after: Some(crate::market::day_start(*first)),
            ..OrderQuery::default()
        };
        client.orders(&query).await
    };
    let orders = async {
        let found = futures::stream::iter(
            order_ids
                .iter()
                .map(|id| async move { client.order_by_client_id(id).await }),
        )
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;
        found.into_iter().collect::<Result<Vec<_>, _>>()
    };
    let fills = async {
        let found = futures::stream::iter(
            fill_dates
                .iter()
                .map(|d| async move { client.fills_on(d.date()).await.map(|f| (*d, f)) }),
        )
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;
        found.into_iter().collect::<Result<BTreeMap<_, _>, _>>()
    };
    let (account, positions, fills, orders, listed, history) = tokio::try_join!(
        async { client.account().await.context("cannot read the account") },
        async { client.positions().await.context("cannot read positions") },
        async { fills.await.context("cannot read fill activities") },
        async { orders.await.context("cannot read Aurora's orders") },
        async { listed.await.context("cannot list the account's orders") },
        async {
            client
                .portfolio_history(history.0, history.1)
                .await
                .context("cannot read portfolio history")
        },
    )?;
    let mut orders: BTreeMap<String, Order> = orders
        .into_iter()
        .flatten()
        .map(|o| (o.client_order_id.clone(), o))
        .collect();
    for o in listed {
        if sessions
            .iter()
            .any(|s| crate::plan::is_session_order(&o.client_order_id, *s))
        {
            orders.entry(o.client_order_id.clone()).or_insert(o);
        }
    }
    Ok(Facts {
        account,
        positions,
        fills,
        orders,
        closes: closes_by_date(&history),
    })
}

fn closes_by_date(h: &PortfolioHistory) -> BTreeMap<NaiveDate, Decimal> {
    let mut out: BTreeMap<NaiveDate, Decimal> = h.closes().into_iter().collect();
    if let (Some(date), Some(value)) = (h.base_value_asof, h.base_value.and_then(|b| b.0)) {
        out.entry(date).or_insert(value);
    }
    out
}

/// Daily closes of `symbols` in `start..=end`, every page followed.
pub async fn bar_closes(
    client: &Client,
    symbols: &[Symbol],
    start: NaiveDate,
    end: NaiveDate,
    data: &DataSettings,
) -> Result<BTreeMap<Symbol, Vec<Point>>, crate::alpaca::Error> {
    let query = BarsQuery {
        symbols,
        start,
        end,
        feed: data.feed,
        adjustment: &data.adjustment,
        limit: data.page_limit,
    };
    let mut out: BTreeMap<Symbol, Vec<Point>> = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = client.daily_bars(&query, token.as_deref()).await?;
        for (symbol, bars) in page.bars {
            let Ok(symbol) = symbol.parse::<Symbol>() else {
                continue;
            };
            out.entry(symbol)
                .or_default()
                .extend(bars.iter().map(|b| Point {
                    date: crate::market::market_date(b.t).date(),
                    value: b.c,
                }));
        }
        match page.next_page_token {
            Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
            _ => return Ok(out),
        }
    }
}

/// Closes from the data API: the benchmark since the start, and the held symbols of sessions
/// whose prices Alpaca no longer reports (a later session has opened). A failure is a warning:
/// the benchmark is then named as missing, and those positions go unpriced.
pub struct Bars {
    /// The benchmark's closes since the start (none when not configured).
    pub benchmark: Option<BenchmarkCloses>,
    /// Closes of the symbols held in sessions Alpaca no longer prices.
    pub marks: BTreeMap<Symbol, Vec<Point>>,
    /// What could not be read.
    pub warnings: Vec<String>,
}

/// Reads the closes a report needs; see [`Bars`].
pub async fn closes(
    ctx: &JobContext,
    facts: &Facts,
    pending: &[Session],
    calendar: &[Session],
    now: DateTime<Utc>,
    start: NaiveDate,
    end: NaiveDate,
) -> Bars {
    let data = &ctx.config.settings.data;
    let mut warnings = Vec::new();
    let held_then: BTreeSet<Symbol> = pending
        .iter()
        .filter(|s| super::schedule::opened_since(s.date, now, calendar))
        .flat_map(|s| {
            let later = facts.later_fills(s.date);
            super::reconcile::positions_at(&facts.current_positions(), &later)
                .into_keys()
                .collect::<Vec<_>>()
        })
        .collect();
    let benchmark = ctx.config.settings.report.benchmark.clone();
    let held: Vec<Symbol> = held_then.into_iter().collect();
    let (bench, marks) = tokio::join!(
        async {
            match &benchmark {
                Some(b) => {
                    Some(bar_closes(&ctx.client, std::slice::from_ref(b), start, end, data).await)
                }
                None => None,
            }
        },
        async {
            if held.is_empty() {
                return Ok(BTreeMap::new());
            }
            let from = pending.first().map_or(end, |s| s.date.date());
            bar_closes(&ctx.client, &held, from, end, data).await
        }
    );
    let benchmark = benchmark.map(|symbol| {
        let closes = match bench {
            Some(Ok(mut found)) => found.remove(&symbol).unwrap_or_default(),
            Some(Err(e)) => {
                warnings.push(format!("cannot read {symbol} bars for the benchmark: {e}"));
                Vec::new()
            }
            None => Vec::new(),
        };
        BenchmarkCloses { symbol, closes }
    });
    let marks = marks.unwrap_or_else(|e| {
        warnings.push(format!(
            "cannot read closing prices for the positions of earlier sessions: {e}"
        ));
        BTreeMap::new()
    });
    Bars {
        benchmark,
        marks,
        warnings,
    }
}
