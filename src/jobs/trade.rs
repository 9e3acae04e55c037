//! `aurora trade`: today's plan from stored bars → risk checks → orders that reach Alpaca once.
//!
//! This module orders the steps; the files under `trade/` do the I/O of each (the gate, the
//! facts, the submission, the replan) and every decision is made in the pure core (`plan`).

mod facts;
mod gate;
mod history_check;
mod replan;
mod report;
mod submit;

use anyhow::Context as _;
use chrono::Utc;
use tracing::{info, warn};

pub use report::{OrderLine, Outcome, TradeReport};

use super::{JobContext, pause};
use crate::plan::risk::{self, RiskInput, Verdict};
use crate::plan::{self, Plan, PlanInput, tif};
use crate::store::{PlanOutcome, PlanRecord};
use crate::strategy;
use facts::Facts;
use gate::Gate;

/// `aurora trade` flags.
#[derive(Clone, Copy, Debug, Default)]
pub struct TradeRequest {
    /// Compute, print and store the plan; send nothing.
    pub dry_run: bool,
    /// Cancel Aurora's open orders for the session and plan afresh.
    pub replan: bool,
}

/// Runs `aurora trade`.
pub async fn run(ctx: &JobContext, request: TradeRequest) -> anyhow::Result<TradeReport> {
    let (session, now) = match gate::check(ctx).await? {
        Gate::Go { session, now } => (session, now),
        Gate::Stop(report) => return Ok(report),
    };
    let (tif, past_cutoff) =
        tif::for_session(ctx.config.settings.orders.time_in_force, &session, now);
    if past_cutoff {
        warn!(
            "{}: past the 09:28 ET cutoff for opg orders; using day orders",
            session.date
        );
    }

    let fingerprint = plan::settings_fingerprint(&ctx.config.settings);
    let mut note = None;
    if !request.dry_run
        && let Some(current) = ctx.store.current_plan(session.date)?
        && current.outcome == PlanOutcome::Submitted
    {
        // A plan made under other settings (the operator changed the universe, weights or
        // limits since) is replanned, not continued: its unsent orders may be what the new
        // configuration forbids.
        let changed = !current.plan.settings.is_empty() && current.plan.settings != fingerprint;
        if changed && !request.replan {
            let text = format!(
                "the configuration changed since revision {} of this session's plan was made: \
                 replanned (its open orders canceled) rather than continued",
                current.plan.revision
            );
            warn!(session = %session.date, "{text}");
            note = Some(text);
        }
        if !request.replan && !changed {
            // The kill switch blocks everything, a stored plan's unsent orders included.
            if let Some(pause) = pause::in_force_at(ctx, now)? {
                warn!(session = %session.date, "kill switch: {}; the stored plan's unsent orders stay unsent", pause.line());
                return TradeReport::halted(ctx, &current, &pause);
            }
            info!(
                revision = current.plan.revision,
                "continuing the stored plan for {} (revision {})",
                session.date,
                current.plan.revision
            );
            submit::submit_plan(ctx, &current, tif).await?;
            return TradeReport::sent(ctx, &current, true, Vec::new());
        }
        replan::retire(ctx, &current, changed && !request.replan).await?;
    }

    let revision = ctx.store.last_revision(session.date)?.map_or(0, |r| r + 1);
    let facts = facts::gather(ctx, &session, now).await?;
    let mut plan = make_plan(ctx, &facts, session.date, revision)?;
    plan.settings = fingerprint;
    plan.notes.splice(0..0, note);
    let settings = &ctx.config.settings.risk;
    let input = RiskInput {
        settings,
        universe: &ctx.config.settings.universe.symbols,
        assets: &facts.assets,
        book: &facts.book,
        account_blockers: &facts.account_blockers,
        previous_closes: &facts.prices.previous_close,
        orders_today: ctx.store.orders_sent(session.date)?,
        // A pause that began after the gate (while this run planned) still stops it here.
        halted: pause::in_force_at(ctx, now)?.map(|p| p.line()),
    };
    match risk::enforce(plan.clone(), &input, settings.on_violation) {
        Verdict::Blocked(violations) => {
            for v in &violations {
                warn!(
                    symbol = v.symbol.as_ref().map(|s| s.to_string()),
                    "plan for {} blocked by risk rule {v}", session.date
                );
            }
            ctx.store.insert_plan(
                &plan,
                request.dry_run,
                ctx.run_id,
                PlanOutcome::Blocked,
                Utc::now(),
            )?;
            Ok(TradeReport::unsent(plan, Outcome::Blocked, violations))
        }
        Verdict::Allowed { plan, dropped } => {
            for v in &dropped {
                warn!(
                    symbol = v.symbol.as_ref().map(|s| s.to_string()),
                    "risk rule {} dropped an order: {v}", v.rule
                );
            }
            if request.dry_run {
                ctx.store
                    .insert_plan(&plan, true, ctx.run_id, PlanOutcome::DryRun, Utc::now())?;
                return Ok(TradeReport::unsent(plan, Outcome::DryRun, dropped));
            }
            // Stored before the first order is sent: a crash from here on is resumable.
            let id = ctx
                .store
                .insert_plan(&plan, false, ctx.run_id, PlanOutcome::Submitted, Utc::now())
                .context("cannot store the plan")?;
            let record = PlanRecord {
                id,
                plan,
                dry_run: false,
                outcome: PlanOutcome::Submitted,
            };
            submit::submit_plan(ctx, &record, tif).await?;
            TradeReport::sent(ctx, &record, false, dropped)
        }
    }
}

/// The strategy's targets turned into orders against the facts.
fn make_plan(
    ctx: &JobContext,
    facts: &Facts,
    session: crate::types::SessionDate,
    revision: u32,
) -> anyhow::Result<Plan> {
    let settings = &ctx.config.settings;
    let strategy =
        strategy::build(&settings.strategy).map_err(|e| anyhow::anyhow!("strategy: {e}"))?;
    // Symbols whose history failed its check get no target, nor any the strategy cannot judge.
    let targets = strategy::targets_except(
        strategy.as_ref(),
        &settings.universe.symbols,
        &facts.history,
        facts.history_skipped.clone(),
    );
    for s in &targets.skipped {
        warn!(symbol = %s.symbol, "{s}");
    }
    let mut plan = plan::plan(&PlanInput {
        session,
        strategy: strategy.name(),
        revision,
        targets: &targets.targets,
        book: &facts.book,
        prices: &facts.prices.reference,
        fractionable: &facts.fractionable,
        orders: &settings.orders,
        max_weight: settings.risk.max_position_weight,
        max_order: settings.risk.max_order_notional,
    });
    // Every symbol left alone is named in the plan, first.
    plan.notes.splice(
        0..0,
        facts
            .history_refetched
            .iter()
            .cloned()
            .chain(targets.skipped.iter().map(ToString::to_string)),
    );
    info!(orders = plan.orders.len(), hash = %plan.hash, "planned {} order(s) for {session} (revision {revision}, plan {})", plan.orders.len(), plan.hash);
    Ok(plan)
}
