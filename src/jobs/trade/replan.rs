//! `--replan`: retires the session's current plan so a fresh one can be made.
//!
//! A new plan is made from positions and open orders, so every order of the old one must be
//! known and finished first: one a stopped run was sending could still reach Alpaca after the
//! replan (and double the move), and one still working could fill on top of the new plan.

use std::collections::BTreeSet;

use anyhow::Context as _;
use chrono::Utc;
use tracing::{info, warn};

use super::submit::{record_found, set};
use crate::alpaca::models::Order;
use crate::alpaca::{OrderQuery, RetryPolicy};
use crate::exit::Temporary;
use crate::jobs::JobContext;
use crate::store::{OrderState, PlanOutcome, PlanRecord};
use crate::types::ClientOrderId;

/// Resolves the orders a stopped run may have sent, cancels the plan's open orders and marks
/// the plan superseded. Refuses (exit 75) while any order's fate is unknown.
/// `config_changed`: the retirement is not asked for, but the settings changed since the plan
/// was made (the refusal then says so: finishing the plan is not the way out).
pub async fn retire(
    ctx: &JobContext,
    current: &PlanRecord,
    config_changed: bool,
) -> anyhow::Result<()> {
    resolve_in_flight(ctx, current, config_changed).await?;
    cancel_open(ctx, current).await?;
    ctx.store
        .set_plan_outcome(current.id, PlanOutcome::Superseded)?;
    Ok(())
}

/// Looks up every order left `submitting` or `unknown`, within the client's retry budget
/// (`alpaca.max_attempts` lookups, backing off between them): a send still in flight has that
/// long to land. One Alpaca still does not show is named, and the replan refused.
async fn resolve_in_flight(
    ctx: &JobContext,
    current: &PlanRecord,
    config_changed: bool,
) -> anyhow::Result<()> {
    let policy = RetryPolicy::from_settings(&ctx.config.settings.alpaca);
    let records = ctx.store.plan_orders(current.id)?;
    let mut unresolved = Vec::new();
    for (order, record) in current.plan.orders.iter().zip(&records) {
        if !matches!(record.state, OrderState::Submitting | OrderState::Unknown) {
            continue;
        }
        let found = poll(ctx, &policy, order.client_order_id.as_str(), |o| {
            o.is_some()
        })
        .await?;
        match found {
            Some(placed) => record_found(ctx, order, &placed)?,
            None => {
                warn!(
                    client_order_id = order.client_order_id.as_str(),
                    symbol = %order.symbol,
                    "{} is not at Alpaca after {} lookups", super::submit::describe(order, order.size), policy.max_attempts
                );
                set(
                    ctx,
                    order,
                    OrderState::Unknown,
                    None,
                    Some("a stopped run was sending it; Alpaca does not show it yet"),
                )?;
                unresolved.push(order.client_order_id.as_str());
            }
        }
    }
    if unresolved.is_empty() {
        return Ok(());
    }
    let them = if unresolved.len() == 1 { "it" } else { "them" };
    if config_changed {
        return Err(Temporary(format!(
            "the configuration changed since this session's plan was made, so it is replanned, \
             not continued; but a stopped run was sending {} and Alpaca does not show {them} yet, \
             and a new plan could double {them}: the next run looks again (to finish the plan as \
             it was, restore the configuration it was made under)",
            unresolved.join(", ")
        ))
        .into());
    }
    Err(Temporary(format!(
        "replan refused: a stopped run was sending {} and Alpaca does not show {them} yet; \
         `aurora trade` finishes the current plan (sending each again under its own id, which \
         Alpaca takes at most once), then --replan can run",
        unresolved.join(", "),
    ))
    .into())
}

/// Cancels the plan's open orders and waits for each to be finished at Alpaca.
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
        info!(client_order_id = %order.client_order_id, symbol = %order.symbol, "replan: canceling open order {} {} {} ({})", order.side.as_str(), order.qty.map(|q| q.normalize().to_string()).unwrap_or_default(), order.symbol, order.client_order_id);
        ctx.client
            .cancel_order(&order.id)
            .await
            .context("cannot cancel an order")?;
    }
    // A cancel is a request: the order passes through `pending_cancel` before it is canceled
    // (or fills first), so each is looked at until it is finished, within the retry budget.
    let policy = RetryPolicy::from_settings(&ctx.config.settings.alpaca);
    for order in &mine {
        let now = poll(ctx, &policy, &order.client_order_id, |o| {
            o.is_none_or(|o| o.status.is_terminal())
        })
        .await?;
        let status = now.as_ref().map(|o| o.status);
        if status.is_some_and(|s| !s.is_terminal()) {
            return Err(Temporary(format!(
                "replan refused: order {} is still {} at Alpaca after {} lookups; run --replan \
                 again once it is canceled",
                order.client_order_id,
                status.map_or("unknown", |s| s.as_str()),
                policy.max_attempts
            ))
            .into());
        }
        if status == Some(crate::alpaca::models::OrderStatus::Canceled)
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
    Ok(())
}

/// Looks an order up by its client order id until `done` holds for Alpaca's answer, at most
/// `alpaca.max_attempts` times, backing off between lookups; returns the last answer.
async fn poll(
    ctx: &JobContext,
    policy: &RetryPolicy,
    client_order_id: &str,
    done: impl Fn(Option<&Order>) -> bool,
) -> anyhow::Result<Option<Order>> {
    let mut attempt = 1;
    loop {
        let found = ctx
            .client
            .order_by_client_id(client_order_id)
            .await
            .with_context(|| format!("cannot look up order {client_order_id}"))?;
        if done(found.as_ref()) || attempt >= policy.max_attempts {
            return Ok(found);
        }
        tokio::time::sleep(policy.backoff(attempt, fastrand::f64())).await;
        attempt += 1;
    }
}
