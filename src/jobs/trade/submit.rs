//! Getting each planned order to Alpaca exactly once (DESIGN invariant 2), in two phases.
//!
//! Sells go first. Once every sell is answered, the account is read again and the unsent buys
//! are re-sized to what it can pay for then (`plan::resize`): a rejected or unanswered sell
//! frees nothing, so the buys it was to fund shrink or stay unsent, and each says why.
//!
//! Every state change is stored before the next step, so a crash anywhere leaves a state the
//! next run can finish from: `submitting` and `unknown` are resolved by looking the client
//! order id up, and an order is sent again (with the same id) only if Alpaca has none.

use anyhow::Context as _;
use chrono::Utc;
use futures::StreamExt as _;
use tracing::{debug, info, warn};

use super::facts;
use crate::alpaca::models::{Order, OrderStatus};
use crate::alpaca::{NewOrder, RetryPolicy, Submitted};
use crate::config::TimeInForce;
use crate::exit::Temporary;
use crate::jobs::JobContext;
use crate::plan::resize::{self, Resized};
use crate::plan::{PlannedOrder, Side, Size, tif};
use crate::store::{OrderRecord, OrderState, PlanRecord};

/// Orders in flight at once: well inside Alpaca's 200 requests a minute, with the client pacing
/// on the rate-limit headers as well.
const CONCURRENCY: usize = 4;
/// Sends without a certain answer (or answered "id already used" while the lookup finds none),
/// in one run, before the run gives up on an order (exit 75; the next run looks it up).
const MAX_SUBMISSIONS: u32 = 3;

/// One order to take to an answer: at this size, from this state.
type Work<'a> = (&'a PlannedOrder, Size, OrderState);

/// Sends every unfinished order of a stored plan: the sells, then the buys re-sized to what the
/// account can pay for once the sells are answered. `tif` is the session's time in force.
pub async fn submit_plan(
    ctx: &JobContext,
    record: &PlanRecord,
    tif: TimeInForce,
) -> anyhow::Result<()> {
    let policy = RetryPolicy::from_settings(&ctx.config.settings.alpaca);
    let orders = &record.plan.orders;
    let records = ctx.store.plan_orders(record.id)?;
    let sells = orders
        .iter()
        .zip(&records)
        .filter(|(o, r)| o.side == Side::Sell && r.state.unfinished())
        .map(|(o, r)| (o, r.sent_size.unwrap_or(o.size), r.state))
        .collect();
    // A sell without an answer stops here: the buys wait for the next run, which resolves it.
    run_all(ctx, sells, tif, &policy).await?;

    let records = ctx.store.plan_orders(record.id)?;
    let mut buys = Vec::new();
    for (o, r) in orders.iter().zip(&records) {
        if o.side != Side::Buy || !r.state.unfinished() {
            continue;
        }
        // One a stopped run may have sent is Alpaca's already: it is not re-sized.
        if matches!(r.state, OrderState::Submitting | OrderState::Unknown)
            && let Some(found) = lookup(ctx, o).await?
        {
            record_found(ctx, o, &found)?;
            continue;
        }
        buys.push((o, r));
    }
    if buys.is_empty() {
        return Ok(());
    }
    let work = resize_buys(ctx, record, &records, &buys).await?;
    run_all(ctx, work, tif, &policy).await
}

/// Phase two's sizing: reads the account and open orders again and fits the unsent buys into
/// what it can pay for now; records each shrunk or dropped buy with why.
async fn resize_buys<'a>(
    ctx: &JobContext,
    record: &PlanRecord,
    records: &[OrderRecord],
    buys: &[(&'a PlannedOrder, &OrderRecord)],
) -> anyhow::Result<Vec<Work<'a>>> {
    let funds = facts::buy_funds(ctx, &record.plan).await?;
    let available = funds.available();
    // The sizes they would go out at now (an earlier run may have shrunk them already).
    let current: Vec<PlannedOrder> = buys
        .iter()
        .map(|(o, r)| PlannedOrder {
            size: r.sent_size.unwrap_or(o.size),
            ..(*o).clone()
        })
        .collect();
    let refs: Vec<&PlannedOrder> = current.iter().collect();
    let why = why_short(&record.plan.orders, records);
    let min = ctx.config.settings.orders.min_notional;
    let mut work = Vec::new();
    for ((o, r), (now, resized)) in buys.iter().zip(
        current
            .iter()
            .zip(resize::resize(&refs, available, min, &why)),
    ) {
        let id = &o.client_order_id;
        // Orders a stopped run may have sent were looked up just now: not there, so send them.
        let state = match r.state {
            OrderState::Submitting | OrderState::Unknown => OrderState::Planned,
            other => other,
        };
        match resized {
            Resized::Keep => work.push((*o, now.size, state)),
            Resized::Shrink { size, note, .. } => {
                warn!(client_order_id = id.as_str(), symbol = %o.symbol, "{}: {note}", describe(o, now.size));
                ctx.store
                    .set_sent_size(id, Some(size), Some(&note), Utc::now())?;
                work.push((*o, size, state));
            }
            Resized::Drop { note } => {
                warn!(client_order_id = id.as_str(), symbol = %o.symbol, "{} not sent: {note}", describe(o, now.size));
                ctx.store
                    .set_sent_size(id, r.sent_size, Some(&note), Utc::now())?;
                set(ctx, o, OrderState::Skipped, None, None)?;
            }
        }
    }
    Ok(work)
}

/// Why the buys may find less money than planned: the plan's sells that freed nothing.
fn why_short(orders: &[PlannedOrder], records: &[OrderRecord]) -> String {
    let failed: Vec<&str> = orders
        .iter()
        .zip(records)
        .filter(|(o, r)| o.side == Side::Sell && r.state != OrderState::Accepted)
        .map(|(o, _)| o.symbol.as_str())
        .collect();
    match failed.as_slice() {
        [] => "open orders and fills since the plan was made left less".into(),
        [one] => format!("the {one} sell was rejected or not sent"),
        many => format!("the {} sells were rejected or not sent", many.join(", ")),
    }
}

/// Takes each order to an answer, four at a time; every order gets its chance even when one
/// fails, and the first failure is returned.
async fn run_all(
    ctx: &JobContext,
    work: Vec<Work<'_>>,
    tif: TimeInForce,
    policy: &RetryPolicy,
) -> anyhow::Result<()> {
    let mut runs = futures::stream::iter(
        work.into_iter()
            .map(|(o, size, state)| drive(ctx, o, size, state, tif, policy)),
    )
    .buffer_unordered(CONCURRENCY);
    let mut first = None;
    while let Some(result) = runs.next().await {
        if let Err(e) = result {
            first.get_or_insert(e);
        }
    }
    first.map_or(Ok(()), Err)
}

/// Takes one order from wherever it stands to accepted or rejected, or leaves it `unknown`
/// (exit 75) when no send got a usable answer.
async fn drive(
    ctx: &JobContext,
    order: &PlannedOrder,
    size: Size,
    state: OrderState,
    tif: TimeInForce,
    policy: &RetryPolicy,
) -> anyhow::Result<()> {
    let id = order.client_order_id.as_str();
    let mut state = state;
    // Sends without a certain answer in this run; counted here, not in the store, so that a
    // short outage one run does not stop the next run from trying again.
    let mut unanswered = 0u32;
    let mut last_error = String::from("no answer");
    loop {
        if matches!(state, OrderState::Submitting | OrderState::Unknown)
            && let Some(found) = lookup(ctx, order).await?
        {
            // The last send may or may not have placed it: asked before sending again.
            return record_found(ctx, order, &found);
        }
        if unanswered >= MAX_SUBMISSIONS {
            warn!(
                client_order_id = id,
                symbol = %order.symbol,
                "{}: no certain answer after {MAX_SUBMISSIONS} submissions ({last_error}); a later run will look it up",
                describe(order, size)
            );
            return Err(Temporary(format!(
                "order {id} is still unresolved after {MAX_SUBMISSIONS} submissions ({last_error}); \
                 the next run looks it up"
            ))
            .into());
        }
        if unanswered > 0 {
            // Give a struggling broker room before sending again.
            tokio::time::sleep(policy.backoff(unanswered, fastrand::f64())).await;
        }
        set(ctx, order, OrderState::Submitting, None, None)?;
        let (qty, notional) = size.split();
        let request = NewOrder {
            symbol: order.symbol.as_str(),
            qty,
            notional: notional.map(|n| n.amount()),
            side: order.side.as_str(),
            order_type: "market",
            time_in_force: tif::name(tif::for_order(size, tif)),
            client_order_id: id,
        };
        match ctx.client.submit_order(&request).await {
            Submitted::Accepted(placed) => return record_found(ctx, order, &placed),
            Submitted::Refused(e) if is_duplicate_id(&e) => {
                // Alpaca has an order with this id: adopt it once the lookup finds it. Counted:
                // a lookup that keeps answering 404 must not make this loop forever.
                debug!(
                    client_order_id = id,
                    "{}: id already used at Alpaca; looking it up",
                    describe(order, size)
                );
                set(ctx, order, OrderState::Unknown, None, Some(&e.to_string()))?;
                state = OrderState::Unknown;
                unanswered += 1;
                last_error = e.to_string();
            }
            Submitted::Refused(e) => {
                let message = refusal(&e);
                warn!(client_order_id = id, symbol = %order.symbol, "order rejected: {}: {message}", describe(order, size));
                return set(ctx, order, OrderState::Rejected, None, Some(&message));
            }
            Submitted::Unknown(e) => {
                // A timeout, a dropped connection, a 5xx, or a 200 whose body was unreadable.
                // One warning per order when it gives up (above), not one per send.
                debug!(
                    client_order_id = id,
                    "{}: outcome unknown ({e}); looking it up",
                    describe(order, size)
                );
                set(ctx, order, OrderState::Unknown, None, Some(&e.to_string()))?;
                state = OrderState::Unknown;
                unanswered += 1;
                last_error = e.to_string();
            }
        }
    }
}

/// `buy 132 SPY (aurora-2026-11-30-…)` or `buy $1,000.00 of SPY (…)`: an order in a log line.
pub(super) fn describe(order: &PlannedOrder, size: Size) -> String {
    let amount = match size {
        Size::Qty(q) => format!("{} {}", q.normalize(), order.symbol),
        Size::Notional(n) => format!("{n} of {}", order.symbol),
    };
    format!(
        "{} {amount} ({})",
        order.side.as_str(),
        order.client_order_id.as_str()
    )
}

/// Alpaca's order with this client order id, or `None` when it has none.
pub(super) async fn lookup(
    ctx: &JobContext,
    order: &PlannedOrder,
) -> anyhow::Result<Option<Order>> {
    let id = order.client_order_id.as_str();
    ctx.client
        .order_by_client_id(id)
        .await
        .with_context(|| format!("cannot look up order {id}"))
}

/// Alpaca's answer to a client order id it has seen before.
fn is_duplicate_id(e: &crate::alpaca::Error) -> bool {
    matches!(e, crate::alpaca::Error::Api { status: 422, body, .. } if body.message.contains("client_order_id must be unique"))
}

fn refusal(e: &crate::alpaca::Error) -> String {
    match e {
        crate::alpaca::Error::Api { status, body, .. } => format!("{} (HTTP {status})", body),
        other => other.to_string(),
    }
}

/// Records an order Alpaca has: accepted, or rejected if Alpaca has since refused it.
pub(super) fn record_found(
    ctx: &JobContext,
    order: &PlannedOrder,
    placed: &Order,
) -> anyhow::Result<()> {
    if placed.status == OrderStatus::Rejected {
        warn!(
            client_order_id = order.client_order_id.as_str(),
            symbol = %order.symbol,
            "order rejected: {}: Alpaca rejected it after taking it",
            describe(order, order.size)
        );
        let status = (placed.id.as_str(), placed.status.as_str());
        return set(
            ctx,
            order,
            OrderState::Rejected,
            Some(status),
            Some("rejected by Alpaca after it was accepted"),
        );
    }
    let size = match (placed.qty, placed.notional) {
        (Some(q), _) => Size::Qty(q),
        (None, Some(n)) => Size::Notional(crate::types::Money::new(n)),
        (None, None) => order.size,
    };
    info!(
        client_order_id = order.client_order_id.as_str(),
        symbol = %order.symbol,
        status = placed.status.as_str(),
        "order accepted: {}{}",
        describe(order, size),
        match placed.status.as_str() {
            "accepted" | "new" => String::new(),
            other => format!(", now {other}"),
        }
    );
    set(
        ctx,
        order,
        OrderState::Accepted,
        Some((&placed.id, placed.status.as_str())),
        None,
    )
}

/// Stores an order's new state.
pub(super) fn set(
    ctx: &JobContext,
    order: &PlannedOrder,
    state: OrderState,
    alpaca: Option<(&str, &str)>,
    message: Option<&str>,
) -> anyhow::Result<()> {
    ctx.store
        .set_order_state(&order.client_order_id, state, alpaca, message, Utc::now())
        .context("cannot record the order's state")
}
