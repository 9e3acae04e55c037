//! `aurora status`: account, positions, open orders, market clock, last runs and health.

mod health;
mod render;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

pub use health::{Problem, run_failed_key, run_session};

use super::pause::Pause;
use super::{JobContext, Report};
use crate::alpaca::models::{Account, Clock, Order, OrderSide, OrderStatus, Position};
use crate::alpaca::{OrderQuery, OrderStatusFilter};
use crate::exit::Exit;
use crate::market::{self, Today};
use crate::store::{OrderState, PlanOutcome};
use crate::store::{PreflightRecord, RunRecord};
use crate::systemctl::{self, TimerState};
use crate::types::{ClientOrderId, Money, SessionDate, Symbol};

/// `aurora status` flags.
#[derive(Clone, Copy, Debug, Default)]
pub struct StatusRequest {
    /// Exit 1 for every problem, alerted before or not (for scripts); remembers nothing.
    pub strict: bool,
}

/// Everything status shows; `--json` prints exactly this.
#[derive(Clone, Debug, Serialize)]
pub struct StatusReport {
    /// The market clock and today's session.
    pub market: MarketView,
    /// The pause in force (`aurora pause` or `STATE_DIR/HALT`), if trading is paused.
    pub pause: Option<Pause>,
    /// Account summary.
    pub account: AccountView,
    /// Open positions.
    pub positions: Vec<PositionView>,
    /// Orders not yet terminal.
    pub open_orders: Vec<OrderView>,
    /// The latest run of each job.
    pub last_runs: Vec<RunView>,
    /// Today's latest preflight verdict.
    pub preflight: Option<PreflightView>,
    /// Today's plan and what became of its orders so far.
    pub plan: Option<PlanView>,
    /// The paper timers, from `systemctl --user`.
    pub timers: TimersView,
    /// Health verdict.
    pub health: Health,
}

/// The market clock, in UTC (the human view shows America/Chicago).
#[derive(Clone, Debug, Serialize)]
pub struct MarketView {
    /// Alpaca's clock.
    pub now: DateTime<Utc>,
    /// Regular session open now.
    pub is_open: bool,
    /// Next open.
    pub next_open: DateTime<Utc>,
    /// Next close.
    pub next_close: DateTime<Utc>,
    /// Today's session, or why there is none.
    pub today: Today,
}

/// Account figures.
#[derive(Clone, Debug, Serialize)]
pub struct AccountView {
    /// Account number.
    pub account_number: String,
    /// Status.
    pub status: String,
    /// Equity.
    pub equity: Money,
    /// Cash.
    pub cash: Money,
    /// Buying power.
    pub buying_power: Money,
    /// Equity at the previous close.
    pub last_equity: Money,
    /// Equity minus last equity.
    pub day_change: Money,
    /// Day change as a fraction of last equity.
    pub day_change_pct: Option<Decimal>,
}

/// One position.
#[derive(Clone, Debug, Serialize)]
pub struct PositionView {
    /// Ticker.
    pub symbol: Symbol,
    /// Shares.
    pub qty: Decimal,
    /// Average entry price.
    pub avg_entry_price: Money,
    /// Market value.
    pub market_value: Option<Money>,
    /// Unrealized P&L.
    pub unrealized_pl: Option<Money>,
    /// Unrealized P&L as a fraction.
    pub unrealized_plpc: Option<Decimal>,
}

/// One open order.
#[derive(Clone, Debug, Serialize)]
pub struct OrderView {
    /// Ticker.
    pub symbol: Symbol,
    /// `buy` / `sell`.
    pub side: OrderSide,
    /// Shares.
    pub qty: Option<Decimal>,
    /// Dollars.
    pub notional: Option<Money>,
    /// Shares filled.
    pub filled_qty: Decimal,
    /// `market`, `limit`, …
    pub order_type: String,
    /// `day`, `opg`, …
    pub time_in_force: String,
    /// Lifecycle state.
    pub status: OrderStatus,
    /// Submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Client order id.
    pub client_order_id: String,
}

/// A job's last run.
#[derive(Clone, Debug, Serialize)]
pub struct RunView {
    /// Job.
    pub job: String,
    /// Session.
    pub session_date: Option<SessionDate>,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished (`null` while running or after a crash).
    pub finished_at: Option<DateTime<Utc>>,
    /// Outcome.
    pub outcome: Option<String>,
    /// Exit code.
    pub exit_code: Option<u8>,
    /// Seconds since it started, by this machine's clock.
    pub age_secs: i64,
    /// Error line.
    pub error: Option<String>,
}

/// Today's plan, with each order's state at Alpaca (fills included).
#[derive(Clone, Debug, Serialize)]
pub struct PlanView {
    /// Plan revision.
    pub revision: u32,
    /// What became of it.
    pub outcome: PlanOutcome,
    /// Its orders.
    pub orders: Vec<PlannedOrderView>,
}

/// One of today's planned orders.
#[derive(Clone, Debug, Serialize)]
pub struct PlannedOrderView {
    /// Ticker.
    pub symbol: Symbol,
    /// `buy` / `sell`.
    pub side: &'static str,
    /// Aurora's state for it.
    pub state: OrderState,
    /// Alpaca's status now.
    pub alpaca_status: Option<String>,
    /// Shares filled.
    pub filled_qty: Decimal,
    /// Average fill price.
    pub filled_avg_price: Option<Money>,
    /// Aurora's id.
    pub client_order_id: ClientOrderId,
}

/// The paper timers.
#[derive(Clone, Debug, Serialize)]
pub struct TimersView {
    /// Whether systemd could be asked.
    pub reachable: bool,
    /// Why not, when not.
    pub problem: Option<String>,
    /// Each timer.
    pub timers: Vec<TimerState>,
}

/// Today's preflight verdict.
#[derive(Clone, Debug, Serialize)]
pub struct PreflightView {
    /// Session.
    pub session_date: SessionDate,
    /// Passed.
    pub passed: bool,
    /// When.
    pub checked_at: DateTime<Utc>,
}

/// The health verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Health {
    /// No problems (a pause is not one).
    pub ok: bool,
    /// What is wrong, each marked `new` when not alerted before.
    pub problems: Vec<Problem>,
    /// Every problem counts for the exit code, alerted before or not (`--strict`).
    pub strict: bool,
}

impl Health {
    /// The problems this run exits 1 for: the new ones, or all of them under `--strict`.
    pub fn flagged(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| self.strict || p.new)
    }
}

impl Report for StatusReport {
    fn exit(&self) -> Exit {
        if self.health.flagged().next().is_none() {
            Exit::Ok
        } else {
            Exit::Failed
        }
    }

    fn error_lines(&self) -> Vec<String> {
        self.health
            .flagged()
            .map(|p| format!("{}: {}", p.subject, p.detail))
            .collect()
    }

    fn session(&self) -> Option<SessionDate> {
        match self.market.today {
            Today::Session(s) => Some(s.date),
            Today::NoSession { date, .. } => Some(date),
        }
    }

    fn render(&self) -> String {
        render::render(self)
    }
}

/// One concurrent round of requests, then the store.
pub async fn run(ctx: &JobContext, request: StatusRequest) -> anyhow::Result<StatusReport> {
    let c = &ctx.client;
    // Today's calendar entry needs the market's date, so it follows the clock; everything
    // else goes out alongside them.
    // systemctl is a blocking child process: ask it on the blocking pool, alongside the requests.
    let names = crate::units::timers(ctx.config.origins.paths.instance.as_ref().map(|i| &i.value));
    let timers = tokio::task::spawn_blocking(move || {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        systemctl::timers(&names)
    });
    let (account, positions, orders, (clock, today, recent)) = tokio::try_join!(
        async { c.account().await.context("cannot read the account") },
        async { c.positions().await.context("cannot read positions") },
        async {
            c.orders(&OrderQuery::default())
                .await
                .context("cannot read open orders")
        },
        async {
            let (clock, today) = super::today::market_today(c).await?;
            // Today's orders in every state, for the plan's fills: everything submitted since
            // the market date began in New York, by Alpaca's clock (never this machine's).
            let query = OrderQuery {
                status: OrderStatusFilter::All,
                after: Some(market::day_start(market::market_date(clock.now()))),
                ..OrderQuery::default()
            };
            let recent = c
                .orders(&query)
                .await
                .context("cannot read today's orders")?;
            anyhow::Ok((clock, today, recent))
        },
    )?;

    let runs = ctx.store.last_runs().context("cannot read past runs")?;
    let today_date = match &today {
        Today::Session(s) => s.date,
        Today::NoSession { date, .. } => *date,
    };
    let preflight = ctx
        .store
        .latest_preflight(today_date)
        .context("cannot read the preflight verdict")?;
    let local_now = Utc::now();
    let pause = super::pause::in_force_at(ctx, clock.now())?;
    let mut problems = health::problems(
        clock.now(),
        local_now,
        &today,
        &runs,
        preflight.as_ref(),
        pause.is_some(),
    );
    for p in &mut problems {
        p.new = !ctx
            .store
            .was_alerted(&p.key, p.session)
            .context("cannot read the alerted problems")?;
    }
    if !request.strict {
        // Exit 1 makes systemd run the alert: each new problem is alerted this once.
        for p in problems.iter().filter(|p| p.new) {
            ctx.store.mark_alerted(&p.key, p.session, local_now)?;
            tracing::warn!(problem = %p.key, session = %p.session, "new problem: {}: {}", p.subject, p.detail);
        }
    }
    super::metrics::save_account(ctx, &account, Some(positions.len()));
    Ok(StatusReport {
        market: market_view(&clock, today),
        pause,
        account: account_view(&account),
        positions: positions.iter().map(position_view).collect(),
        open_orders: orders.iter().map(order_view).collect(),
        // `status` itself is running now: showing its previous run would only confuse.
        last_runs: runs
            .iter()
            .filter(|r| r.job != "status")
            .map(|r| run_view(r, local_now))
            .collect(),
        preflight: preflight.as_ref().map(preflight_view),
        plan: plan_view(ctx, today_date, &recent)?,
        timers: match timers.await {
            Ok(Ok(timers)) => TimersView {
                reachable: true,
                problem: None,
                timers,
            },
            Ok(Err(e)) => TimersView {
                reachable: false,
                problem: Some(e.reason),
                timers: Vec::new(),
            },
            Err(e) => TimersView {
                reachable: false,
                problem: Some(e.to_string()),
                timers: Vec::new(),
            },
        },
        health: Health {
            ok: problems.is_empty(),
            problems,
            strict: request.strict,
        },
    })
}

fn market_view(clock: &Clock, today: Today) -> MarketView {
    MarketView {
        now: clock.now(),
        is_open: clock.is_open,
        next_open: clock.next_open.with_timezone(&Utc),
        next_close: clock.next_close.with_timezone(&Utc),
        today,
    }
}

fn account_view(a: &Account) -> AccountView {
    AccountView {
        account_number: a.account_number.clone(),
        status: a.status.clone(),
        equity: a.equity,
        cash: a.cash,
        buying_power: a.buying_power,
        last_equity: a.last_equity,
        day_change: a.day_change(),
        day_change_pct: a
            .day_change_fraction()
            .map(|f| (f * Decimal::ONE_HUNDRED).round_dp(2)),
    }
}

fn position_view(p: &Position) -> PositionView {
    PositionView {
        symbol: p.symbol.clone(),
        qty: p.qty,
        avg_entry_price: p.avg_entry_price,
        market_value: p.market_value.map(Money::new),
        unrealized_pl: p.unrealized_pl.map(Money::new),
        unrealized_plpc: p.unrealized_plpc,
    }
}

fn order_view(o: &Order) -> OrderView {
    OrderView {
        symbol: o.symbol.clone(),
        side: o.side,
        qty: o.qty,
        notional: o.notional.map(Money::new),
        filled_qty: o.filled_qty,
        order_type: o.order_type.clone(),
        time_in_force: o.time_in_force.clone(),
        status: o.status,
        submitted_at: o.submitted_at,
        client_order_id: o.client_order_id.clone(),
    }
}

fn run_view(r: &RunRecord, now: DateTime<Utc>) -> RunView {
    RunView {
        job: r.job.clone(),
        session_date: r.session_date,
        started_at: r.started_at,
        finished_at: r.finished_at,
        outcome: r.outcome.clone(),
        exit_code: r.exit_code,
        age_secs: (now - r.started_at).num_seconds(),
        error: r.error.clone(),
    }
}

fn plan_view(
    ctx: &JobContext,
    session: SessionDate,
    recent: &[Order],
) -> anyhow::Result<Option<PlanView>> {
    let Some(plan) = ctx.store.current_plan(session)? else {
        return Ok(None);
    };
    let records = ctx.store.plan_orders(plan.id)?;
    let orders = plan
        .plan
        .orders
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let at_alpaca = recent
                .iter()
                .find(|r| r.client_order_id == o.client_order_id.as_str());
            PlannedOrderView {
                symbol: o.symbol.clone(),
                side: o.side.as_str(),
                state: records.get(i).map_or(OrderState::Planned, |r| r.state),
                alpaca_status: at_alpaca.map(|a| a.status.as_str().to_owned()),
                filled_qty: at_alpaca.map_or(Decimal::ZERO, |a| a.filled_qty),
                filled_avg_price: at_alpaca.and_then(|a| a.filled_avg_price).map(Money::new),
                client_order_id: o.client_order_id.clone(),
            }
        })
        .collect();
    Ok(Some(PlanView {
        revision: plan.plan.revision,
        outcome: plan.outcome,
        orders,
    }))
}

fn preflight_view(p: &PreflightRecord) -> PreflightView {
    PreflightView {
        session_date: p.session_date,
        passed: p.passed,
        checked_at: p.checked_at,
    }
}
