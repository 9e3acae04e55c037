//! Getting each planned order to Alpaca exactly once (DESIGN invariant 2).
//!
//! Every state change is stored before the next step, so a crash anywhere leaves a state the
//! next run can finish from: `submitting` and `unknown` are resolved by looking the client
//! order id up, and an order is sent again (with the same id) only if Alpaca has none.

use anyhow::Context as _;
use chrono::Utc;
use futures::StreamExt as _;
use tracing::{info, warn};

use crate::alpaca::models::Order;
use crate::alpaca::{NewOrder, Submitted};
use crate::jobs::JobContext;
use crate::plan::{PlannedOrder, Side, Size};
use crate::store::{OrderRecord, OrderState};

/// Orders in flight at once: well inside Alpaca's 200 requests a minute, with the client pacing
/// on the rate-limit headers as well.
const CONCURRENCY: usize = 4;
/// Times an order is sent when Alpaca keeps having no record of it.
const MAX_SUBMISSIONS: u32 = 3;

/// Sends every unfinished order: sells first, so their proceeds fund the buys.
pub async fn submit_all(
    ctx: &JobContext,
    orders: &[PlannedOrder],
    records: &[OrderRecord],
    time_in_force: &str,
) -> anyhow::Result<()> {
    for side in [Side::Sell, Side::Buy] {
        let work = orders
            .iter()
            .zip(records)
            .filter(|(o, r)| o.side == side && r.state.unfinished());
        let mut runs =
            futures::stream::iter(work.map(|(o, r)| drive(ctx, o, r.state, time_in_force)))
                .buffer_unordered(CONCURRENCY);
        while let Some(result) = runs.next().await {
            result?;
        }
    }
    Ok(())
}

/// Takes one order from wherever it stands to accepted or rejected.
async fn drive(
    ctx: &JobContext,
    order: &PlannedOrder,
    state: OrderState,
    tif: &str,
) -> anyhow::Result<()> {
    let id = order.client_order_id.as_str();
    let mut state = state;
    for _ in 0..=MAX_SUBMISSIONS {
        if matches!(state, OrderState::Submitting | OrderState::Unknown) {
            // The last send may or may not have placed it: ask before sending again.
            let found = ctx
                .client
                .order_by_client_id(id)
                .await
                .with_context(|| format!("cannot look up order {id}"))?;
            if let Some(found) = found {
                return record_accepted(ctx, order, &found);
            }
        }
        if records_attempts(ctx, order)? >= MAX_SUBMISSIONS {
            warn!(
                client_order_id = id,
                "Alpaca has no record of it after {MAX_SUBMISSIONS} submissions; giving up"
            );
            anyhow::bail!("order {id} could not be placed after {MAX_SUBMISSIONS} submissions");
        }
        set(ctx, order, OrderState::Submitting, None, None)?;
        let (qty, notional) = match order.size {
            Size::Qty(q) => (Some(q), None),
            Size::Notional(n) => (None, Some(n.amount())),
        };
        // Fractional (notional) orders must be day orders.
        let tif = if notional.is_some() { "day" } else { tif };
        let request = NewOrder {
            symbol: order.symbol.as_str(),
            qty,
            notional,
            side: order.side.as_str(),
            order_type: "market",
            time_in_force: tif,
            client_order_id: id,
        };
        match ctx.client.submit_order(&request).await {
            Submitted::Accepted(placed) => return record_accepted(ctx, order, &placed),
            Submitted::Refused(e) if e.to_string().contains("client_order_id must be unique") => {
                // Alpaca already has it: adopt it.
                info!(
                    client_order_id = id,
                    "already placed; adopting Alpaca's order"
                );
                state = OrderState::Unknown;
            }
            Submitted::Refused(e) => {
                let message = refusal(&e);
                warn!(client_order_id = id, symbol = %order.symbol, "rejected: {message}");
                return set(ctx, order, OrderState::Rejected, None, Some(&message));
            }
            Submitted::Unknown(e) => {
                warn!(client_order_id = id, "outcome unknown ({e}); looking it up");
                set(ctx, order, OrderState::Unknown, None, Some(&e.to_string()))?;
                state = OrderState::Unknown;
            }
        }
    }
    anyhow::bail!("order {id} is still unresolved")
}

fn refusal(e: &crate::alpaca::Error) -> String {
    match e {
        crate::alpaca::Error::Api { status, body, .. } => format!("{} (HTTP {status})", body),
        other => other.to_string(),
    }
}

fn records_attempts(ctx: &JobContext, order: &PlannedOrder) -> anyhow::Result<u32> {
    Ok(ctx
        .store
        .order(&order.client_order_id)?
        .map_or(0, |r| r.attempts))
}

fn record_accepted(ctx: &JobContext, order: &PlannedOrder, placed: &Order) -> anyhow::Result<()> {
    info!(client_order_id = order.client_order_id.as_str(), symbol = %order.symbol, status = placed.status.as_str(), "accepted");
    set(
        ctx,
        order,
        OrderState::Accepted,
        Some((&placed.id, placed.status.as_str())),
        None,
    )
}

fn set(
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
