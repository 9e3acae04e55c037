//! Getting each planned order to Alpaca exactly once (DESIGN invariant 2).
//!
//! Every state change is stored before the next step, so a crash anywhere leaves a state the
//! next run can finish from: `submitting` and `unknown` are resolved by looking the client
//! order id up, and an order is sent again (with the same id) only if Alpaca has none.

use anyhow::Context as _;
use chrono::Utc;
use futures::StreamExt as _;
use tracing::{info, warn};

use crate::alpaca::models::{Order, OrderStatus};
use crate::alpaca::{NewOrder, Submitted};
use crate::jobs::JobContext;
use crate::plan::{PlannedOrder, Side};
use crate::store::{OrderRecord, OrderState};

/// Orders in flight at once: well inside Alpaca's 200 requests a minute, with the client pacing
/// on the rate-limit headers as well.
const CONCURRENCY: usize = 4;
/// Sends without a certain answer, in one run, before the run gives up (exit 75).
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
    // Sends without a certain answer in this run; counted here, not in the store, so that a
    // short outage one run does not stop the next run from trying again.
    let mut unanswered = 0u32;
    let mut last_error: Option<crate::alpaca::Error> = None;
    loop {
        if matches!(state, OrderState::Submitting | OrderState::Unknown) {
            // The last send may or may not have placed it: ask before sending again.
            let found = ctx
                .client
                .order_by_client_id(id)
                .await
                .with_context(|| format!("cannot look up order {id}"))?;
            if let Some(found) = found {
                return record_found(ctx, order, &found);
            }
        }
        if unanswered >= MAX_SUBMISSIONS {
            warn!(
                client_order_id = id,
                "no certain answer after {MAX_SUBMISSIONS} submissions; a later run will look it up"
            );
            // Temporary (exit 75): systemd retries, and the next run resolves it by lookup.
            let err = last_error
                .map(anyhow::Error::from)
                .unwrap_or_else(|| anyhow::anyhow!("no answer"));
            return Err(err.context(format!(
                "order {id} is still unresolved after {MAX_SUBMISSIONS} submissions"
            )));
        }
        if unanswered > 0 {
            // Give a struggling broker room before sending again.
            tokio::time::sleep(std::time::Duration::from_millis(500 << unanswered.min(4))).await;
        }
        set(ctx, order, OrderState::Submitting, None, None)?;
        let (qty, notional) = order.size.split();
        // Fractional (notional) orders must be day orders.
        let tif = if notional.is_some() { "day" } else { tif };
        let request = NewOrder {
            symbol: order.symbol.as_str(),
            qty,
            notional: notional.map(|n| n.amount()),
            side: order.side.as_str(),
            order_type: "market",
            time_in_force: tif,
            client_order_id: id,
        };
        match ctx.client.submit_order(&request).await {
            Submitted::Accepted(placed) => return record_found(ctx, order, &placed),
            Submitted::Refused(e) if is_duplicate_id(&e) => {
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
                unanswered += 1;
                last_error = Some(e);
            }
        }
    }
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
fn record_found(ctx: &JobContext, order: &PlannedOrder, placed: &Order) -> anyhow::Result<()> {
    if placed.status == OrderStatus::Rejected {
        warn!(
            client_order_id = order.client_order_id.as_str(),
            "Alpaca rejected it after taking it"
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
