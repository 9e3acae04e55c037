//! One session's reconciliation: its snapshot and report, from the broker's facts and the
//! snapshots before it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::facts::{Bars, Facts};
use super::{AccountSummary, Baseline, Pnl, PositionLine, SessionReport, reconcile, schedule};
use crate::alpaca::models::{FillActivity, Order};
use crate::jobs::JobContext;
use crate::jobs::performance::{self, Period};
use crate::market::{self, Phase, Session};
use crate::store::{HeldPosition, Snapshot};
use crate::types::{Money, SessionDate, Symbol};

/// Everything a session's reconciliation reads.
pub struct Books<'a> {
    /// The broker's side.
    pub facts: &'a Facts,
    /// The calendar from before the last snapshot through today.
    pub calendar: &'a [Session],
    /// Alpaca's clock.
    pub now: DateTime<Utc>,
    /// Today's New York date by that clock.
    pub today: SessionDate,
    /// Closes from the data API.
    pub bars: &'a Bars,
}

impl Books<'_> {
    /// The snapshot and report of `target`, given the snapshots before it.
    pub fn reconcile(
        &self,
        ctx: &JobContext,
        target: &Session,
        before: &[Snapshot],
    ) -> anyhow::Result<(Snapshot, SessionReport)> {
        let facts = self.facts;
        let session = target.date;
        // Before the next session opens, what Alpaca reports now is what it held at the close.
        let live = !schedule::opened_since(session, self.now, self.calendar);
        let previous = before.last().filter(|s| s.session_date < session);

        let mut orders = Vec::new();
        for plan in ctx.store.session_plans(session)? {
            let records = ctx.store.plan_orders(plan.id)?;
            orders.extend(reconcile::outcomes(
                plan.plan.revision,
                &plan.plan.orders,
                &records,
                &facts.orders,
            ));
        }
        // Aurora's orders of the session by their ids at Alpaca, whether the store remembers
        // them or not (a restored older backup): their fills are expected, not discrepancies.
        let session_orders: Vec<&Order> = facts
            .orders
            .values()
            .filter(|o| crate::plan::is_session_order(&o.client_order_id, session))
            .collect();
        let ours: BTreeSet<&str> = session_orders.iter().map(|o| o.id.as_str()).collect();
        let forgotten: Vec<&str> = session_orders
            .iter()
            .map(|o| o.client_order_id.as_str())
            .filter(|id| {
                !orders
                    .iter()
                    .any(|known| known.client_order_id.as_str() == *id)
            })
            .collect();
        let our_fills: Vec<&FillActivity> = facts
            .fills
            .get(&session)
            .into_iter()
            .flatten()
            .filter(|f| ours.contains(f.order_id.as_str()))
            .collect();
        let later = facts.later_fills(session);
        let held = reconcile::positions_at(&facts.current_positions(), &later);
        let discrepancies = match previous {
            Some(p) => reconcile::discrepancies(&p.positions, &our_fills, &held).1,
            None => Vec::new(),
        };

        let mut warnings = self.bars.warnings.clone();
        if !forgotten.is_empty() {
            warnings.push(format!(
                "{} of Aurora's orders in this session are not in the store (restored from an \
                 older backup?): {}; their fills are counted as Aurora's",
                forgotten.len(),
                forgotten.join(", ")
            ));
        }
        warnings.extend(orders.iter().filter(|o| o.open).map(|o| {
            format!(
                "{} {} ({}) is still open at Alpaca ({}); a day order expires there",
                o.side.as_str(),
                o.symbol,
                o.client_order_id,
                o.alpaca_status.as_deref().unwrap_or("?")
            )
        }));
        let equity = match facts.closes.get(&session.date()) {
            Some(e) if !live || target.phase(self.now) == Phase::Closed => Money::new(*e),
            _ if live => facts.account.equity,
            _ => anyhow::bail!(
                "Alpaca's portfolio history has no closing equity for {session}; run eod again later"
            ),
        };
        let cash = reconcile::cash_at(facts.account.cash, &later);
        let prev_session = market::previous_session(session, self.calendar).map(|s| s.date);
        let closes = self.known_closes(before);
        let last_equity = prev_session
            .and_then(|d| closes.get(&d.date()).copied())
            .map(Money::new)
            .or_else(|| live.then_some(facts.account.last_equity))
            .unwrap_or_else(|| {
                warnings.push(format!(
                    "no closing equity is known for the session before {session}: day P&L counts from this close"
                ));
                equity
            });
        let dates: Vec<NaiveDate> = self.calendar.iter().map(|s| s.date.date()).collect();
        let month_base = performance::last_of_previous_month(&dates, session.date())
            .and_then(|d| closes.get(&d).copied());

        let positions: Vec<PositionLine> = held
            .iter()
            .map(|(symbol, qty)| {
                let alpaca = facts.positions.iter().find(|p| &p.symbol == symbol);
                let (market_value, unrealized_pl) = match alpaca {
                    Some(p) if live && p.qty == *qty => (
                        p.market_value.map(Money::new),
                        p.unrealized_pl.map(Money::new),
                    ),
                    _ => (
                        self.mark(symbol, session).map(|c| Money::new(c * qty)),
                        None,
                    ),
                };
                PositionLine {
                    symbol: symbol.clone(),
                    qty: *qty,
                    market_value,
                    unrealized_pl,
                }
            })
            .collect();
        let snapshot = Snapshot {
            session_date: session,
            taken_at: Utc::now(),
            equity,
            cash,
            last_equity,
            day_pl: equity - last_equity,
            positions: held.clone(),
            fills: serde_json::value::to_raw_value(&our_fills)?,
            prev_session,
            baseline: previous.is_none(),
            holdings: positions
                .iter()
                .map(|p| HeldPosition {
                    symbol: p.symbol.clone(),
                    qty: p.qty,
                    avg_entry_price: facts
                        .positions
                        .iter()
                        .find(|a| a.symbol == p.symbol && a.qty == p.qty)
                        .map(|a| a.avg_entry_price),
                    market_value: p.market_value,
                })
                .collect(),
            targets: targets(ctx, session),
            orders: serde_json::value::to_raw_value(&orders)?,
        };

        let mut series = before.to_vec();
        series.push(snapshot.clone());
        let period = Period {
            snapshots: &series,
            range: 0..series.len(),
        };
        let start = period.start();
        let stats = period.stats(
            month_base,
            self.bars.benchmark.as_ref(),
            ctx.config.settings.report.risk_free_rate,
        );
        let mtd_base = month_base
            .or_else(|| period.month_base())
            .unwrap_or(start.value);
        let report = SessionReport {
            session,
            caught_up: session < self.today,
            baseline: previous.is_none().then_some(Baseline {
                positions: held.len(),
            }),
            account: AccountSummary {
                equity,
                cash,
                last_equity,
            },
            pnl: Pnl {
                day: equity - last_equity,
                month_to_date: equity - Money::new(mtd_base),
                since_start: equity - Money::new(start.value),
            },
            allocation: performance::allocation(&snapshot),
            stats,
            orders,
            fills: our_fills.into_iter().cloned().collect(),
            positions,
            discrepancies,
            warnings,
            files: None,
        };
        Ok((snapshot, report))
    }

    /// Closing equity by date: the broker's history, overridden by Aurora's snapshots.
    fn known_closes(&self, before: &[Snapshot]) -> BTreeMap<NaiveDate, Decimal> {
        let mut closes = self.facts.closes.clone();
        closes.extend(
            before
                .iter()
                .map(|s| (s.session_date.date(), s.equity.amount())),
        );
        closes
    }

    /// `symbol`'s close in `session`, from the data API.
    fn mark(&self, symbol: &Symbol, session: SessionDate) -> Option<Decimal> {
        self.bars
            .marks
            .get(symbol)?
            .iter()
            .find(|p| p.date == session.date())
            .map(|p| p.value)
    }
}

/// The strategy's target weights for `session`, from the bars stored before it (capped as
/// the plan caps them); none when the strategy cannot be built or judge a symbol.
fn targets(ctx: &JobContext, session: SessionDate) -> BTreeMap<Symbol, Decimal> {
    let settings = &ctx.config.settings;
    let Ok(strategy) = crate::strategy::build(&settings.strategy) else {
        return BTreeMap::new();
    };
    let mut history = crate::strategy::History::new();
    for symbol in &settings.universe.symbols {
        let closes = ctx
            .store
            .recent_closes(symbol, session, settings.strategy.lookback + 5)
            .unwrap_or_default();
        history.insert(
            symbol.clone(),
            closes
                .into_iter()
                .map(|(date, price)| crate::strategy::Close { date, price })
                .collect(),
        );
    }
    strategy
        .targets(&settings.universe.symbols, &history)
        .targets
        .into_iter()
        .map(|t| (t.symbol, t.weight.min(settings.risk.max_position_weight)))
        .collect()
}
