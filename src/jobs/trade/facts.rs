//! The facts a plan is made from, read in as few requests as possible: the account, positions,
//! assets, every open order, Aurora's orders of the session, stored history and prices.
//!
//! Only I/O and conversion live here; what the facts mean is decided in `plan`.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use rust_decimal::Decimal;

use crate::alpaca::models::{Asset, Order, OrderSide};
use crate::alpaca::{OrderQuery, OrderStatusFilter};
use crate::jobs::JobContext;
use crate::market::{self, Phase, Session};
use crate::plan::book::{self, OpenOrder, Pending, SessionOrder};
use crate::plan::prices::{self, ReferencePrices};
use crate::plan::resize::BuyFunds;
use crate::plan::risk::AssetState;
use crate::plan::{Book, Plan, Side};
use crate::strategy::{History, Skipped};
use crate::types::{Money, Symbol};

/// Everything one plan and its risk checks are made from.
pub struct Facts {
    /// Funds, positions, open orders and the session's trading so far.
    pub book: Book,
    /// Why the account may not trade (empty when it may).
    pub account_blockers: Vec<String>,
    /// Stored closes per universe symbol, oldest first.
    pub history: History,
    /// Universe symbols whose stored history failed its check, and why.
    pub history_skipped: Vec<Skipped>,
    /// Symbols whose history was refetched before planning (Alpaca re-adjusted it), and why.
    pub history_refetched: Vec<String>,
    /// Reference prices and the closes they are checked against.
    pub prices: ReferencePrices,
    /// Each universe symbol's standing at Alpaca (absent: unknown to Alpaca).
    pub assets: BTreeMap<Symbol, AssetState>,
    /// Universe symbols that take fractional orders.
    pub fractionable: BTreeSet<Symbol>,
}

/// Reads the facts: one concurrent round for the account, positions, assets, open orders, the
/// session's orders and (while the market is open) latest prices; then, only when needed, the
/// universe symbols missing from the active assets and prices for open orders outside the
/// universe.
pub async fn gather(
    ctx: &JobContext,
    session: &Session,
    now: DateTime<Utc>,
) -> anyhow::Result<Facts> {
    let settings = &ctx.config.settings;
    let universe = &settings.universe.symbols;
    let c = &ctx.client;
    let live = async {
        if session.phase(now) == Phase::Open {
            c.latest_prices(universe, settings.data.feed)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    let today = OrderQuery {
        status: OrderStatusFilter::All,
        after: Some(market::day_start(session.date)),
        ..OrderQuery::default()
    };
    let (account, positions, active, open, today_orders, live) = tokio::try_join!(
        async { c.account().await.context("cannot read the account") },
        async { c.positions().await.context("cannot read positions") },
        async { c.active_assets().await.context("cannot read assets") },
        async {
            c.orders(&OrderQuery::default())
                .await
                .context("cannot read open orders")
        },
        async { c.orders(&today).await.context("cannot read today's orders") },
        async { live.await.context("cannot read latest prices") },
    )?;
    crate::jobs::metrics::save_account(ctx, &account, Some(positions.len()));

    let checked = super::history_check::checked_history(ctx, session).await?;
    let history = checked.history;
    let live = live.map(|l| to_prices(universe, l));
    let prices = prices::reference_prices(&history, live.as_ref());

    let (assets, fractionable) = asset_states(ctx, universe, active).await?;

    let mut known = prices.reference.clone();
    // Aurora's orders of the session by their ids, whether the store remembers them or not (a
    // restored older backup): what max_order_notional counts must not reset with the store.
    let ours: Vec<&Order> = today_orders
        .iter()
        .filter(|o| crate::plan::is_session_order(&o.client_order_id, session.date))
        .collect();
    // Aurora's working orders are among the open ones: pricing those prices everything.
    price_missing(ctx, &mut known, open.iter()).await?;
    let pending = pending(&open, &known)?;
    let session_orders: Vec<SessionOrder> = ours.iter().map(|o| session_order(o)).collect();
    let traded = book::traded(&session_orders, |s| known.get(s).copied())
        .map_err(|s| anyhow::anyhow!("cannot value Aurora's open order in {s}: no price"))?;

    let book = Book {
        equity: account.equity,
        last_equity: account.last_equity,
        cash: account.cash,
        buying_power: account.buying_power,
        held: positions
            .iter()
            .map(|p| (p.symbol.clone(), p.qty))
            .collect(),
        values: positions
            .iter()
            .map(|p| {
                let value = p.market_value.unwrap_or(p.qty * p.avg_entry_price.amount());
                (p.symbol.clone(), value)
            })
            .collect(),
        pending,
        traded,
    };
    Ok(Facts {
        book,
        account_blockers: account.trading_blockers(),
        history,
        history_skipped: checked.skipped,
        history_refetched: checked.refetched,
        prices,
        assets,
        fractionable,
    })
}

/// Alpaca's latest prices, keyed by the universe's symbols.
fn to_prices(universe: &[Symbol], live: BTreeMap<String, Decimal>) -> BTreeMap<Symbol, Money> {
    universe
        .iter()
        .filter_map(|s| live.get(s.as_str()).map(|p| (s.clone(), Money::new(*p))))
        .collect()
}

/// Each universe symbol's standing, and which take fractions. The active listing is one request
/// however large the universe; a symbol missing from it is asked for by name, so that an
/// inactive asset is named inactive rather than unknown.
async fn asset_states(
    ctx: &JobContext,
    universe: &[Symbol],
    active: Vec<Asset>,
) -> anyhow::Result<(BTreeMap<Symbol, AssetState>, BTreeSet<Symbol>)> {
    let mut found: Vec<Asset> = active
        .into_iter()
        .filter(|a| universe.contains(&a.symbol))
        .collect();
    let missing: Vec<&Symbol> = universe
        .iter()
        .filter(|s| !found.iter().any(|a| &a.symbol == *s))
        .collect();
    let c = &ctx.client;
    let looked_up = futures::stream::iter(missing.into_iter().map(|s| async move {
        match c.asset(s).await {
            Ok(a) => Ok(Some(a)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }))
    .buffer_unordered(4)
    .collect::<Vec<_>>()
    .await;
    for asset in looked_up {
        found.extend(asset.context("cannot read an asset")?);
    }
    let states = found
        .iter()
        .map(|a| {
            let state = AssetState {
                active: a.status == "active",
                tradable: a.tradable,
            };
            (a.symbol.clone(), state)
        })
        .collect();
    let fractionable = found
        .iter()
        .filter(|a| a.fractionable)
        .map(|a| a.symbol.clone())
        .collect();
    Ok((states, fractionable))
}

/// Adds latest prices for the symbols of `orders` that have none yet (one request, only when
/// some open order is outside the universe).
async fn price_missing<'a>(
    ctx: &JobContext,
    known: &mut BTreeMap<Symbol, Money>,
    orders: impl Iterator<Item = &'a Order>,
) -> anyhow::Result<()> {
    let missing: Vec<Symbol> = orders
        .map(|o| o.symbol.clone())
        .filter(|s| !known.contains_key(s))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let latest = ctx
        .client
        .latest_prices(&missing, ctx.config.settings.data.feed)
        .await
        .context("cannot read prices for open orders")?;
    known.extend(to_prices(&missing, latest));
    Ok(())
}

/// Every open order as exposure per symbol; an open order that cannot be valued stops the run
/// (its exposure would be a guess).
fn pending(
    open: &[Order],
    prices: &BTreeMap<Symbol, Money>,
) -> anyhow::Result<BTreeMap<Symbol, Pending>> {
    let open: Vec<OpenOrder> = open.iter().map(open_order).collect();
    book::pending(&open, |s| prices.get(s).copied()).map_err(|s| {
        anyhow::anyhow!("cannot value the open order in {s}: Alpaca has no price for it")
    })
}

/// What of an order is still working.
fn open_order(o: &Order) -> OpenOrder {
    let filled_value = o.filled_qty * o.filled_avg_price.unwrap_or_default();
    OpenOrder {
        symbol: o.symbol.clone(),
        side: match o.side {
            OrderSide::Buy => Side::Buy,
            OrderSide::Sell => Side::Sell,
        },
        qty_left: o.qty.map(|q| (q - o.filled_qty).max(Decimal::ZERO)),
        notional_left: o.notional.map(|n| (n - filled_value).max(Decimal::ZERO)),
        limit_price: o.limit_price,
    }
}

/// One of Aurora's orders of the session, as far as it has traded.
fn session_order(o: &Order) -> SessionOrder {
    SessionOrder {
        symbol: o.symbol.clone(),
        filled_value: o.filled_qty * o.filled_avg_price.unwrap_or_default(),
        open: (!o.status.is_terminal()).then(|| open_order(o)),
    }
}

/// What the account can pay for buys now, read once the plan's sells were answered: cash and
/// buying power, what every open buy order holds, and the plan's own sells Alpaca accepted but
/// has not filled (valued at their reference prices; filled ones are in the cash already).
pub async fn buy_funds(ctx: &JobContext, plan: &Plan) -> anyhow::Result<BuyFunds> {
    let c = &ctx.client;
    let (account, open) = tokio::try_join!(
        async { c.account().await.context("cannot read the account") },
        async {
            c.orders(&OrderQuery::default())
                .await
                .context("cannot read open orders")
        },
    )?;
    let mut known: BTreeMap<Symbol, Money> = plan
        .orders
        .iter()
        .map(|o| (o.symbol.clone(), o.reference_price))
        .collect();
    price_missing(ctx, &mut known, open.iter()).await?;
    let open_buys = pending(&open, &known)?.values().map(|p| p.buy_value).sum();
    let open_sells = plan
        .orders
        .iter()
        .filter(|o| o.side == Side::Sell)
        .filter_map(|o| {
            let at_alpaca = open
                .iter()
                .find(|a| a.client_order_id == o.client_order_id.as_str())?;
            let left = open_order(at_alpaca).qty_left?;
            Some(left * o.reference_price.amount())
        })
        .sum();
    Ok(BuyFunds {
        cash: account.cash.amount(),
        buying_power: account.buying_power.amount(),
        open_buys,
        open_sells,
    })
}
