//! `aurora trade`: today's plan from stored bars → risk checks → orders that reach Alpaca once.

mod submit;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::Context as _;
use chrono::{NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use tracing::{info, warn};

use super::preflight::{self, Verdict as PreflightVerdict};
use super::{JobContext, Report};
use crate::alpaca::OrderQuery;
use crate::alpaca::models::OrderStatus;
use crate::config::TimeInForce;
use crate::exit::Exit;
use crate::market::{self, Phase, Session, Today};
use crate::plan::risk::{self, AssetState, RiskInput, Verdict, Violation};
use crate::plan::{self, Funds, Plan, PlanInput};
use crate::store::{OrderRecord, OrderState, PlanRecord};
use crate::strategy::{self, Close, History};
use crate::types::{ClientOrderId, Money, SessionDate, Symbol};

/// `aurora trade` flags.
#[derive(Clone, Copy, Debug, Default)]
pub struct TradeRequest {
    /// Compute, print and store the plan; send nothing.
    pub dry_run: bool,
    /// Cancel Aurora's open orders for the session and plan afresh.
    pub replan: bool,
}

/// How the run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// No session today.
    NoSession {
        /// Why.
        reason: String,
    },
    /// Today's session has closed: a late timer must not trade.
    AfterClose,
    /// Today's preflight failed: nothing was sent.
    PreflightFailed {
        /// The failed checks.
        failed: Vec<String>,
    },
    /// A risk rule blocked the plan: nothing was sent.
    Blocked,
    /// The plan was computed and stored, not sent.
    DryRun,
    /// The orders were sent (or were already, by an earlier run).
    Submitted,
}

/// One order line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct OrderLine {
    /// Ticker.
    pub symbol: Symbol,
    /// `buy` / `sell`.
    pub side: &'static str,
    /// Shares.
    pub qty: Option<Decimal>,
    /// Dollars.
    pub notional: Option<Money>,
    /// Sized at.
    pub reference_price: Money,
    /// Size × price.
    pub estimated_value: Money,
    /// Why.
    pub reason: String,
    /// Aurora's id.
    pub client_order_id: ClientOrderId,
    /// Where it stands.
    pub outcome: OrderState,
    /// Alpaca's status, once accepted.
    pub alpaca_status: Option<String>,
    /// Alpaca's message for a rejection.
    pub message: Option<String>,
}

/// What `aurora trade` did.
#[derive(Clone, Debug, Serialize)]
pub struct TradeReport {
    /// The session.
    pub session: Option<SessionDate>,
    /// How it ended.
    pub outcome: Outcome,
    /// The plan revision used (0 unless replanned).
    pub revision: Option<u32>,
    /// This run continued a plan stored by an earlier run.
    pub resumed: bool,
    /// The orders.
    pub orders: Vec<OrderLine>,
    /// Rules that blocked the plan, or dropped orders from it.
    pub violations: Vec<Violation>,
    /// Symbols the plan left alone, and why.
    pub notes: Vec<String>,
}

impl TradeReport {
    fn without_orders(session: Option<SessionDate>, outcome: Outcome) -> TradeReport {
        TradeReport {
            session,
            outcome,
            revision: None,
            resumed: false,
            orders: Vec::new(),
            violations: Vec::new(),
            notes: Vec::new(),
        }
    }
}

impl Report for TradeReport {
    fn exit(&self) -> Exit {
        match self.outcome {
            Outcome::PreflightFailed { .. } | Outcome::Blocked => Exit::Blocked,
            Outcome::Submitted
                if self
                    .orders
                    .iter()
                    .any(|o| o.outcome == OrderState::Rejected) =>
            {
                Exit::Failed
            }
            _ => Exit::Ok,
        }
    }

    fn session(&self) -> Option<SessionDate> {
        self.session
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let date = self.session.map(|d| d.to_string()).unwrap_or_default();
        let head = match &self.outcome {
            Outcome::NoSession { reason } => {
                format!("No session today ({reason}): nothing to trade.")
            }
            Outcome::AfterClose => format!("Session {date} has closed: a late run does not trade."),
            Outcome::PreflightFailed { failed } => {
                format!(
                    "Preflight for {date} failed ({}): nothing sent.",
                    failed.join("; ")
                )
            }
            Outcome::Blocked => format!("Plan for {date} BLOCKED by risk rules: nothing sent."),
            Outcome::DryRun => format!("Dry run for {date}: plan stored, nothing sent."),
            Outcome::Submitted if self.resumed => {
                format!("Trade {date}: continued the stored plan.")
            }
            Outcome::Submitted => format!("Trade {date}"),
        };
        let _ = writeln!(out, "{head}");
        for v in &self.violations {
            let _ = writeln!(out, "  ❌ {v}");
        }
        if !self.orders.is_empty() {
            let mut rows = vec![
                [
                    "SYMBOL",
                    "SIDE",
                    "SIZE",
                    "REF PRICE",
                    "EST VALUE",
                    "OUTCOME",
                    "REASON",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for o in &self.orders {
                let size = match (o.qty, o.notional) {
                    (Some(q), _) => q.normalize().to_string(),
                    (None, Some(n)) => n.to_string(),
                    _ => "—".into(),
                };
                let outcome = match (&o.outcome, &o.message) {
                    (OrderState::Rejected, Some(m)) => format!("rejected: {m}"),
                    (OrderState::Accepted, _) => {
                        format!("accepted ({})", o.alpaca_status.as_deref().unwrap_or("?"))
                    }
                    (state, _) => serde_json::to_value(state)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                };
                rows.push(vec![
                    o.symbol.to_string(),
                    o.side.into(),
                    size,
                    o.reference_price.to_string(),
                    o.estimated_value.to_string(),
                    outcome,
                    o.reason.clone(),
                ]);
            }
            out.push_str(&crate::jobs::table::render(&rows));
        } else if matches!(self.outcome, Outcome::Submitted | Outcome::DryRun) {
            let _ = writeln!(out, "  no orders: the portfolio is on target");
        }
        for n in &self.notes {
            let _ = writeln!(out, "  · {n}");
        }
        out
    }
}

/// Runs `aurora trade`.
pub async fn run(ctx: &JobContext, request: TradeRequest) -> anyhow::Result<TradeReport> {
    let (clock, today) = super::today::market_today(&ctx.client).await?;
    let session = match today {
        Today::NoSession { date, reason } => {
            info!(session = %date, "no session today ({reason}); nothing to trade");
            return Ok(TradeReport::without_orders(
                Some(date),
                Outcome::NoSession {
                    reason: reason.to_string(),
                },
            ));
        }
        Today::Session(s) => s,
    };
    let now = clock.now();
    if session.phase(now) == Phase::Closed {
        warn!(session = %session.date, "today's session has closed; a late trade run does not trade");
        return Ok(TradeReport::without_orders(
            Some(session.date),
            Outcome::AfterClose,
        ));
    }
    // A dry run passes the same gate: it shows what a real run would do.
    if let Some(failed) = preflight_gate(ctx, session.date).await? {
        return Ok(TradeReport::without_orders(
            Some(session.date),
            Outcome::PreflightFailed { failed },
        ));
    }
    let tif = time_in_force(ctx, &session, now);

    if !request.dry_run
        && let Some(current) = ctx.store.current_plan(session.date)?
        && current.outcome == "submitted"
    {
        if !request.replan {
            // The kill switch blocks everything, a stored plan's unsent orders included.
            if ctx.config.halt_path().exists() {
                warn!("kill switch HALT is set: the stored plan's unsent orders stay unsent");
                let mut report = finished(ctx, &current, true, Vec::new())?;
                report.outcome = Outcome::Blocked;
                report.violations.push(halted());
                return Ok(report);
            }
            info!(session = %session.date, revision = current.plan.revision, "continuing the stored plan");
            let records = ctx.store.plan_orders(current.id)?;
            submit::submit_all(ctx, &current.plan.orders, &records, tif).await?;
            return finished(ctx, &current, true, Vec::new());
        }
        cancel_open(ctx, &current).await?;
    }

    let revision = ctx.store.last_revision(session.date)?.map_or(0, |r| r + 1);
    let (plan, facts) = make_plan(ctx, &session, now, revision).await?;
    let settings = &ctx.config.settings.risk;
    let input = facts.as_input(settings, &ctx.config.settings.universe.symbols);
    match risk::enforce(plan.clone(), &input, settings.on_violation) {
        Verdict::Blocked(violations) => {
            for v in &violations {
                warn!(
                    symbol = v.symbol.as_ref().map(|s| s.to_string()),
                    "risk rule {}: {}", v.rule, v.detail
                );
            }
            ctx.store
                .insert_plan(&plan, request.dry_run, ctx.run_id, "blocked", Utc::now())?;
            Ok(TradeReport {
                session: Some(session.date),
                outcome: Outcome::Blocked,
                revision: Some(plan.revision),
                resumed: false,
                orders: lines(&plan, None),
                violations,
                notes: plan.notes,
            })
        }
        Verdict::Allowed { plan, dropped } => {
            for v in &dropped {
                warn!("risk rule {} dropped an order: {v}", v.rule);
            }
            if request.dry_run {
                ctx.store
                    .insert_plan(&plan, true, ctx.run_id, "dry_run", Utc::now())?;
                return Ok(TradeReport {
                    session: Some(session.date),
                    outcome: Outcome::DryRun,
                    revision: Some(plan.revision),
                    resumed: false,
                    orders: lines(&plan, None),
                    violations: dropped,
                    notes: plan.notes,
                });
            }
            // Stored before the first order is sent: a crash from here on is resumable.
            let id = ctx
                .store
                .insert_plan(&plan, false, ctx.run_id, "submitted", Utc::now())
                .context("cannot store the plan")?;
            let record = PlanRecord {
                id,
                plan,
                dry_run: false,
                outcome: "submitted".into(),
            };
            let records = ctx.store.plan_orders(id)?;
            submit::submit_all(ctx, &record.plan.orders, &records, tif).await?;
            finished(ctx, &record, false, dropped)
        }
    }
}

/// The kill switch as a violation, for the report.
fn halted() -> Violation {
    Violation {
        rule: risk::Rule::KillSwitch,
        order: None,
        symbol: None,
        detail: "the kill switch file HALT exists; remove it to trade".into(),
    }
}

/// The failed checks, one line each.
fn failed_checks(checks: &[preflight::Check]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c.status == preflight::CheckStatus::Fail)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect()
}

/// `None` when today's preflight passed (running it now if none was recorded); else the failures.
async fn preflight_gate(
    ctx: &JobContext,
    session: SessionDate,
) -> anyhow::Result<Option<Vec<String>>> {
    if let Some(p) = ctx.store.latest_preflight(session)? {
        if p.passed {
            return Ok(None);
        }
        let checks = serde_json::from_value::<Vec<preflight::Check>>(p.checks).unwrap_or_default();
        return Ok(Some(failed_checks(&checks)));
    }
    info!(session = %session, "no preflight recorded for today; running it first");
    let report = preflight::run(ctx).await.context("inline preflight")?;
    if report.verdict == PreflightVerdict::Fail {
        return Ok(Some(failed_checks(&report.checks)));
    }
    Ok(None)
}

/// `day`, or `opg` when configured and still before Alpaca's 09:28 ET cutoff for it.
fn time_in_force(ctx: &JobContext, session: &Session, now: chrono::DateTime<Utc>) -> &'static str {
    let cutoff = market::new_york(
        session.date.date(),
        NaiveTime::from_hms_opt(9, 28, 0).expect("valid time"),
    );
    match ctx.config.settings.orders.time_in_force {
        TimeInForce::Opg if now < cutoff => "opg",
        TimeInForce::Opg => {
            warn!("past the 09:28 ET cutoff for opg orders; using day");
            "day"
        }
        TimeInForce::Day => "day",
    }
}

/// `--replan`: cancels the session's open Aurora orders and marks the old plan superseded.
///
/// A new plan is made from positions, so every old order must be finished first (canceled, or
/// filled and so in the positions): one still working could fill on top of the new plan.
async fn cancel_open(ctx: &JobContext, current: &PlanRecord) -> anyhow::Result<()> {
    let ours: BTreeSet<&str> = current
        .plan
        .orders
        .iter()
        .map(|o| o.client_order_id.as_str())
        .collect();
    let open = ctx
        .client
        .orders(&OrderQuery::default())
        .await
        .context("cannot list open orders")?;
    let mine: Vec<_> = open
        .iter()
        .filter(|o| ours.contains(o.client_order_id.as_str()))
        .collect();
    for order in &mine {
        info!(client_order_id = %order.client_order_id, "replan: canceling");
        ctx.client
            .cancel_order(&order.id)
            .await
            .context("cannot cancel an order")?;
    }
    for order in &mine {
        let now = ctx
            .client
            .order_by_client_id(&order.client_order_id)
            .await
            .context("cannot check a canceled order")?;
        let status = now.as_ref().map(|o| o.status);
        let finished = matches!(
            status,
            Some(
                OrderStatus::Canceled
                    | OrderStatus::Filled
                    | OrderStatus::Expired
                    | OrderStatus::Rejected
            ) | None
        );
        if !finished {
            anyhow::bail!(
                "replan refused: order {} is still {} at Alpaca; run --replan again once it is canceled",
                order.client_order_id,
                status.map_or("unknown", |s| s.as_str())
            );
        }
        if status == Some(OrderStatus::Canceled)
            && let Some(id) = ClientOrderId::new(order.client_order_id.clone())
        {
            ctx.store.set_order_state(
                &id,
                OrderState::Canceled,
                None,
                Some("canceled by --replan"),
                Utc::now(),
            )?;
        }
    }
    ctx.store.set_plan_outcome(current.id, "superseded")?;
    Ok(())
}

/// Everything the risk rules need, owned.
struct RiskFacts {
    assets: BTreeMap<Symbol, AssetState>,
    equity: Money,
    last_equity: Money,
    positions: BTreeMap<Symbol, Decimal>,
    values: BTreeMap<Symbol, Decimal>,
    previous_closes: BTreeMap<Symbol, Money>,
    orders_today: u32,
    halted: bool,
}

impl RiskFacts {
    fn as_input<'a>(
        &'a self,
        settings: &'a crate::config::RiskSettings,
        universe: &'a [Symbol],
    ) -> RiskInput<'a> {
        RiskInput {
            settings,
            universe,
            assets: &self.assets,
            equity: self.equity,
            last_equity: self.last_equity,
            positions: &self.positions,
            position_values: &self.values,
            previous_closes: &self.previous_closes,
            orders_today: self.orders_today,
            halted: self.halted,
        }
    }
}

/// Gathers the facts (one concurrent round for the account, positions and assets) and plans.
async fn make_plan(
    ctx: &JobContext,
    session: &Session,
    now: chrono::DateTime<Utc>,
    revision: u32,
) -> anyhow::Result<(Plan, RiskFacts)> {
    let settings = &ctx.config.settings;
    let universe = &settings.universe.symbols;
    let strategy =
        strategy::build(&settings.strategy).map_err(|e| anyhow::anyhow!("strategy: {e}"))?;

    let live_prices = async {
        if session.phase(now) == Phase::Open {
            ctx.client
                .latest_prices(universe, settings.data.feed)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    let (account, positions, assets, live_prices) = tokio::try_join!(
        async {
            ctx.client
                .account()
                .await
                .context("cannot read the account")
        },
        async {
            ctx.client
                .positions()
                .await
                .context("cannot read positions")
        },
        async {
            ctx.client
                .active_assets()
                .await
                .context("cannot read assets")
        },
        async { live_prices.await.context("cannot read latest prices") },
    )?;

    // History: enough closes for the strategy, all before today.
    let lookback = settings.strategy.lookback + 5;
    let mut history = History::new();
    let mut last_closes = BTreeMap::new();
    let mut closes_before_last = BTreeMap::new();
    for symbol in universe {
        let closes = ctx.store.recent_closes(symbol, session.date, lookback)?;
        if let Some((_, last)) = closes.last() {
            last_closes.insert(symbol.clone(), *last);
        }
        if let Some((_, before)) = closes.len().checked_sub(2).and_then(|i| closes.get(i)) {
            closes_before_last.insert(symbol.clone(), *before);
        }
        history.insert(
            symbol.clone(),
            closes
                .into_iter()
                .map(|(date, price)| Close { date, price })
                .collect(),
        );
    }
    // Reference prices: the latest trade while the market is open, else the last close. The
    // price-move guard compares each with the close before it, so a bad last bar is caught
    // before the open too.
    let mut prices = last_closes.clone();
    let previous_closes = match &live_prices {
        Some(live) => {
            for symbol in universe {
                if let Some(p) = live.get(symbol.as_str()) {
                    prices.insert(symbol.clone(), Money::new(*p));
                }
            }
            last_closes
        }
        None => closes_before_last,
    };
    let held: BTreeMap<Symbol, Decimal> = positions
        .iter()
        .map(|p| (p.symbol.clone(), p.qty))
        .collect();
    let values: BTreeMap<Symbol, Decimal> = positions
        .iter()
        .map(|p| {
            (
                p.symbol.clone(),
                p.market_value.unwrap_or(p.qty * p.avg_entry_price.amount()),
            )
        })
        .collect();
    // One listing rather than a request per symbol: the universe may be hundreds of symbols.
    let assets: Vec<_> = assets
        .into_iter()
        .filter(|a| universe.contains(&a.symbol))
        .collect();
    let fractionable: BTreeSet<Symbol> = assets
        .iter()
        .filter(|a| a.fractionable)
        .map(|a| a.symbol.clone())
        .collect();
    let asset_states = assets
        .iter()
        .map(|a| {
            let state = AssetState {
                active: a.status == "active",
                tradable: a.tradable,
            };
            (a.symbol.clone(), state)
        })
        .collect();

    let targets = strategy.targets(universe, &history);
    let plan = plan::plan(&PlanInput {
        session: session.date,
        strategy: strategy.name(),
        revision,
        targets: &targets,
        funds: Funds {
            equity: account.equity,
            cash: account.cash,
            buying_power: account.buying_power,
        },
        positions: &held,
        prices: &prices,
        fractionable: &fractionable,
        orders: &settings.orders,
        max_weight: settings.risk.max_position_weight,
        max_order: settings.risk.max_order_notional,
    });
    info!(session = %session.date, orders = plan.orders.len(), hash = %plan.hash, "planned");
    let facts = RiskFacts {
        assets: asset_states,
        equity: account.equity,
        last_equity: account.last_equity,
        positions: held,
        values,
        previous_closes,
        orders_today: ctx.store.orders_sent(session.date)?,
        halted: ctx.config.halt_path().exists(),
    };
    Ok((plan, facts))
}

fn finished(
    ctx: &JobContext,
    record: &PlanRecord,
    resumed: bool,
    dropped: Vec<Violation>,
) -> anyhow::Result<TradeReport> {
    let states = ctx.store.plan_orders(record.id)?;
    Ok(TradeReport {
        session: Some(record.plan.session),
        outcome: Outcome::Submitted,
        revision: Some(record.plan.revision),
        resumed,
        orders: lines(&record.plan, Some(&states)),
        violations: dropped,
        notes: record.plan.notes.clone(),
    })
}

fn lines(plan: &Plan, states: Option<&[OrderRecord]>) -> Vec<OrderLine> {
    plan.orders
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let state = states.and_then(|s| s.get(i));
            let (qty, notional) = o.size.split();
            OrderLine {
                symbol: o.symbol.clone(),
                side: o.side.as_str(),
                qty,
                notional,
                reference_price: o.reference_price,
                estimated_value: o.estimated_value,
                reason: o.reason.clone(),
                client_order_id: o.client_order_id.clone(),
                outcome: state.map_or(OrderState::Planned, |s| s.state),
                alpaca_status: state.and_then(|s| s.alpaca_status.clone()),
                message: state.and_then(|s| s.message.clone()),
            }
        })
        .collect()
}
