//! The `plans` and `orders` tables: a plan is stored before its first order is sent, and each
//! order's submission state is recorded as it changes (DESIGN invariants 2 and 5).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{RunId, Store, StoreError};
use crate::plan::{Plan, Size};
use crate::types::{ClientOrderId, SessionDate};

/// A stored plan's row id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PlanId(pub i64);

/// Where an order is in its submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Stored, not yet sent.
    Planned,
    /// Being sent: if the process dies here, the outcome is unknown.
    Submitting,
    /// Alpaca has it.
    Accepted,
    /// Alpaca refused it.
    Rejected,
    /// Sent, but whether Alpaca has it is not known yet.
    Unknown,
    /// Canceled by `--replan`.
    Canceled,
    /// Dropped by a risk rule, or never sent because the plan was blocked.
    Skipped,
}

impl OrderState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Planned => "planned",
            OrderState::Submitting => "submitting",
            OrderState::Accepted => "accepted",
            OrderState::Rejected => "rejected",
            OrderState::Unknown => "unknown",
            OrderState::Canceled => "canceled",
            OrderState::Skipped => "skipped",
        }
    }

    fn parse(s: &str) -> OrderState {
        match s {
            "planned" => OrderState::Planned,
            "submitting" => OrderState::Submitting,
            "accepted" => OrderState::Accepted,
            "rejected" => OrderState::Rejected,
            "canceled" => OrderState::Canceled,
            "skipped" => OrderState::Skipped,
            _ => OrderState::Unknown,
        }
    }

    /// Whether the order still needs work (sending, or finding out what happened).
    pub fn unfinished(self) -> bool {
        matches!(
            self,
            OrderState::Planned | OrderState::Submitting | OrderState::Unknown
        )
    }
}

/// What became of a stored plan (stored as its snake_case word).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanOutcome {
    /// Its orders are being (or were) sent; a later run continues it.
    Submitted,
    /// A risk rule blocked it: nothing was sent.
    Blocked,
    /// Computed and stored only.
    DryRun,
    /// Replaced by a `--replan`.
    Superseded,
}

impl PlanOutcome {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanOutcome::Submitted => "submitted",
            PlanOutcome::Blocked => "blocked",
            PlanOutcome::DryRun => "dry_run",
            PlanOutcome::Superseded => "superseded",
        }
    }

    fn parse(s: &str) -> Option<PlanOutcome> {
        Some(match s {
            "submitted" => PlanOutcome::Submitted,
            "blocked" => PlanOutcome::Blocked,
            "dry_run" => PlanOutcome::DryRun,
            "superseded" => PlanOutcome::Superseded,
            _ => return None,
        })
    }
}

impl std::fmt::Display for PlanOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored plan.
#[derive(Clone, Debug)]
pub struct PlanRecord {
    /// Row id.
    pub id: PlanId,
    /// The plan itself.
    pub plan: Plan,
    /// Computed and stored only.
    pub dry_run: bool,
    /// What became of it.
    pub outcome: PlanOutcome,
}

/// A stored order's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderRecord {
    /// Aurora's id for it.
    pub client_order_id: ClientOrderId,
    /// Its state.
    pub state: OrderState,
    /// Alpaca's id, once known.
    pub alpaca_id: Option<String>,
    /// Alpaca's status, once known.
    pub alpaca_status: Option<String>,
    /// Alpaca's message for a rejection, or what went wrong.
    pub message: Option<String>,
    /// Submissions tried.
    pub attempts: u32,
    /// The size it is sent at, when the second phase shrank it (else the plan's).
    pub sent_size: Option<Size>,
    /// Why it was shrunk or not sent.
    pub note: Option<String>,
}

/// The `sent_size_json` column at `i`.
fn sent_size(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<Size>> {
    let Some(json) = r.get::<_, Option<String>>(i)? else {
        return Ok(None);
    };
    serde_json::from_str(&json).map(Some).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

impl Store {
    /// Stores a plan and all its orders (`state` for each: planned, or skipped) in one transaction.
    pub fn insert_plan(
        &self,
        plan: &Plan,
        dry_run: bool,
        run_id: RunId,
        outcome: PlanOutcome,
        now: DateTime<Utc>,
    ) -> Result<PlanId, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let json = serde_json::to_string(plan).map_err(|source| StoreError::Json {
            what: "plan",
            source,
        })?;
        tx.execute(
            "INSERT INTO plans (session_date, revision, strategy, hash, dry_run, run_id, created_at, outcome, plan_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                plan.session.to_string(),
                plan.revision,
                plan.strategy,
                plan.hash,
                dry_run,
                run_id.0,
                now,
                outcome.as_str(),
                json
            ],
        )?;
        let id = PlanId(tx.last_insert_rowid());
        if !dry_run {
            let mut stmt = tx.prepare(
                "INSERT INTO orders (client_order_id, plan_id, session_date, symbol, side, position, state, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let state = if outcome == PlanOutcome::Submitted {
                OrderState::Planned
            } else {
                OrderState::Skipped
            };
            for (i, o) in plan.orders.iter().enumerate() {
                stmt.execute(params![
                    o.client_order_id.as_str(),
                    id.0,
                    plan.session.to_string(),
                    o.symbol.as_str(),
                    o.side.as_str(),
                    i as i64,
                    state.as_str(),
                    now
                ])?;
            }
        }
        tx.commit()?;
        Ok(id)
    }

    /// The latest plan of a session that was not a dry run.
    pub fn current_plan(&self, session: SessionDate) -> Result<Option<PlanRecord>, StoreError> {
        Ok(self.session_plans(session)?.pop())
    }

    /// Every plan of a session that was not a dry run, oldest revision first (`--replan`
    /// supersedes a plan, but the orders it sent may still have traded).
    pub fn session_plans(&self, session: SessionDate) -> Result<Vec<PlanRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, dry_run, outcome, plan_json FROM plans
             WHERE session_date = ?1 AND dry_run = 0 ORDER BY revision, id",
        )?;
        let rows = stmt.query_map([session.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, dry_run, outcome, json) = row?;
            let outcome = PlanOutcome::parse(&outcome)
                .ok_or_else(|| StoreError::Corrupt(format!("plan outcome {outcome:?}")))?;
            out.push(PlanRecord {
                id: PlanId(id),
                plan: serde_json::from_str(&json).map_err(|source| StoreError::Json {
                    what: "plan",
                    source,
                })?,
                dry_run,
                outcome,
            });
        }
        Ok(out)
    }

    /// The highest revision stored for a session, dry runs included.
    pub fn last_revision(&self, session: SessionDate) -> Result<Option<u32>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT MAX(revision) FROM plans WHERE session_date = ?1",
            [session.to_string()],
            |r| r.get::<_, Option<u32>>(0),
        )?)
    }

    /// Marks a plan's outcome (e.g. superseded by a replan).
    pub fn set_plan_outcome(&self, id: PlanId, outcome: PlanOutcome) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE plans SET outcome = ?2 WHERE id = ?1",
            params![id.0, outcome.as_str()],
        )?;
        Ok(())
    }

    /// The orders of a plan, in plan order.
    pub fn plan_orders(&self, id: PlanId) -> Result<Vec<OrderRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT client_order_id, state, alpaca_id, alpaca_status, message, attempts,
                    sent_size_json, note
             FROM orders WHERE plan_id = ?1 ORDER BY position",
        )?;
        let rows = stmt.query_map([id.0], |r| {
            let id: String = r.get(0)?;
            Ok(OrderRecord {
                client_order_id: ClientOrderId::new(id).ok_or_else(|| {
                    rusqlite::Error::InvalidColumnType(
                        0,
                        "client_order_id".into(),
                        rusqlite::types::Type::Text,
                    )
                })?,
                state: OrderState::parse(&r.get::<_, String>(1)?),
                alpaca_id: r.get(2)?,
                alpaca_status: r.get(3)?,
                message: r.get(4)?,
                attempts: r.get(5)?,
                sent_size: sent_size(r, 6)?,
                note: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One order's record.
    pub fn order(&self, id: &ClientOrderId) -> Result<Option<OrderRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT state, alpaca_id, alpaca_status, message, attempts, sent_size_json, note
                 FROM orders WHERE client_order_id = ?1",
                [id.as_str()],
                |r| {
                    Ok(OrderRecord {
                        client_order_id: id.clone(),
                        state: OrderState::parse(&r.get::<_, String>(0)?),
                        alpaca_id: r.get(1)?,
                        alpaca_status: r.get(2)?,
                        message: r.get(3)?,
                        attempts: r.get(4)?,
                        sent_size: sent_size(r, 5)?,
                        note: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records an order's new state (and a submission attempt when it goes to `submitting`).
    pub fn set_order_state(
        &self,
        id: &ClientOrderId,
        state: OrderState,
        alpaca: Option<(&str, &str)>,
        message: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE orders SET state = ?2,
                 alpaca_id = COALESCE(?3, alpaca_id), alpaca_status = COALESCE(?4, alpaca_status),
                 message = COALESCE(?5, message),
                 attempts = attempts + (?2 = 'submitting'), updated_at = ?6
             WHERE client_order_id = ?1",
            params![
                id.as_str(),
                state.as_str(),
                alpaca.map(|a| a.0),
                alpaca.map(|a| a.1),
                message,
                now
            ],
        )?;
        Ok(())
    }

    /// Records the second phase's decision for an unsent buy: a smaller size (`Some`), or none
    /// (`None`: it stays as planned); `note` says why.
    pub fn set_sent_size(
        &self,
        id: &ClientOrderId,
        size: Option<Size>,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let json = size
            .map(|s| serde_json::to_string(&s))
            .transpose()
            .map_err(|source| StoreError::Json {
                what: "order size",
                source,
            })?;
        self.conn.execute(
            "UPDATE orders SET sent_size_json = ?2, note = ?3, updated_at = ?4
             WHERE client_order_id = ?1",
            params![id.as_str(), json, note, now],
        )?;
        Ok(())
    }

    /// Every order id Aurora stored for a session, in every plan revision (dry runs have none).
    pub fn session_order_ids(
        &self,
        session: SessionDate,
    ) -> Result<Vec<ClientOrderId>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT client_order_id FROM orders WHERE session_date = ?1 AND state != 'skipped'",
        )?;
        let rows = stmt.query_map([session.to_string()], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.extend(ClientOrderId::new(row?));
        }
        Ok(out)
    }

    /// Orders Aurora has sent (or may have sent) this session, for `max_orders_per_day`.
    pub fn orders_sent(&self, session: SessionDate) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM orders WHERE session_date = ?1 AND state NOT IN ('planned', 'skipped')",
            [session.to_string()],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::plan::{PlannedOrder, Side};
    use crate::types::Money;

    fn plan() -> Plan {
        Plan {
            session: "2026-11-30".parse().unwrap(),
            strategy: "fixed".into(),
            revision: 0,
            hash: "h".into(),
            orders: vec![PlannedOrder {
                symbol: "SPY".parse().unwrap(),
                side: Side::Buy,
                size: Size::Qty(Decimal::TEN),
                reference_price: Money::new(Decimal::ONE_HUNDRED),
                estimated_value: Money::new(Decimal::ONE_THOUSAND),
                reason: String::new(),
                client_order_id: ClientOrderId::new("aurora-x".into()).unwrap(),
            }],
            notes: Vec::new(),
            settings: String::new(),
        }
    }

    #[test]
    fn outcomes_are_read_back_from_the_stored_words_and_a_strange_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        let now: DateTime<Utc> = "2026-11-30T14:00:00Z".parse().unwrap();
        let run = store.start_run("trade", now).unwrap();
        let id = store
            .insert_plan(&plan(), false, run, PlanOutcome::Submitted, now)
            .unwrap();
        let session = "2026-11-30".parse().unwrap();
        for outcome in [
            PlanOutcome::Blocked,
            PlanOutcome::Superseded,
            PlanOutcome::Submitted,
        ] {
            store.set_plan_outcome(id, outcome).unwrap();
            assert_eq!(
                store.current_plan(session).unwrap().unwrap().outcome,
                outcome
            );
        }
        // Rows written before the enum hold the same words; anything else is not guessed at.
        store
            .conn
            .execute("UPDATE plans SET outcome = 'sent?'", [])
            .unwrap();
        assert!(matches!(
            store.current_plan(session),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn a_shrunk_order_keeps_its_planned_size_in_the_plan_and_its_sent_size_and_note() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        let now: DateTime<Utc> = "2026-11-30T14:00:00Z".parse().unwrap();
        let run = store.start_run("trade", now).unwrap();
        let p = plan();
        let id = store
            .insert_plan(&p, false, run, PlanOutcome::Submitted, now)
            .unwrap();
        let order = &p.orders[0].client_order_id;
        assert_eq!(store.plan_orders(id).unwrap()[0].sent_size, None);
        store
            .set_sent_size(order, Some(Size::Qty(Decimal::TWO)), Some("shrunk"), now)
            .unwrap();
        let r = store.order(order).unwrap().unwrap();
        assert_eq!(
            (r.sent_size, r.note.as_deref()),
            (Some(Size::Qty(Decimal::TWO)), Some("shrunk"))
        );
        let stored = store
            .current_plan("2026-11-30".parse().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(stored.plan.orders[0].size, Size::Qty(Decimal::TEN));
    }
}
