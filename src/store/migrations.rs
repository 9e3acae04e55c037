//! Schema migrations, tracked by `PRAGMA user_version`.

use std::path::PathBuf;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Each entry migrates from version `i` to `i + 1`. Append only; never edit a released step.
const MIGRATIONS: &[&str] = &[
    // 1: runs and preflight verdicts.
    "CREATE TABLE runs (
        id           INTEGER PRIMARY KEY,
        job          TEXT NOT NULL,
        session_date TEXT,
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        outcome      TEXT,
        exit_code    INTEGER,
        summary_json TEXT,
        error        TEXT
    );
    CREATE INDEX runs_job_started ON runs(job, started_at);
    CREATE TABLE preflights (
        id           INTEGER PRIMARY KEY,
        session_date TEXT NOT NULL,
        run_id       INTEGER NOT NULL REFERENCES runs(id),
        checked_at   TEXT NOT NULL,
        passed       INTEGER NOT NULL,
        checks_json  TEXT NOT NULL
    );
    CREATE INDEX preflights_session ON preflights(session_date, checked_at);",
    // 2: daily bars, one row per (symbol, session); decimals as exact text.
    "CREATE TABLE bars (
        symbol       TEXT NOT NULL,
        session_date TEXT NOT NULL,
        open         TEXT NOT NULL,
        high         TEXT NOT NULL,
        low          TEXT NOT NULL,
        close        TEXT NOT NULL,
        volume       INTEGER NOT NULL,
        trade_count  INTEGER,
        vwap         TEXT,
        feed         TEXT NOT NULL,
        adjustment   TEXT NOT NULL,
        fetched_at   TEXT NOT NULL,
        PRIMARY KEY (symbol, session_date)
    ) WITHOUT ROWID;",
    // 3: plans and their orders, each order with its submission state.
    "CREATE TABLE plans (
        id           INTEGER PRIMARY KEY,
        session_date TEXT NOT NULL,
        revision     INTEGER NOT NULL,
        strategy     TEXT NOT NULL,
        hash         TEXT NOT NULL,
        dry_run      INTEGER NOT NULL,
        run_id       INTEGER NOT NULL REFERENCES runs(id),
        created_at   TEXT NOT NULL,
        outcome      TEXT NOT NULL,
        plan_json    TEXT NOT NULL
    );
    CREATE INDEX plans_session ON plans(session_date, dry_run, revision);
    CREATE TABLE orders (
        client_order_id TEXT PRIMARY KEY,
        plan_id         INTEGER NOT NULL REFERENCES plans(id),
        session_date    TEXT NOT NULL,
        symbol          TEXT NOT NULL,
        side            TEXT NOT NULL,
        position        INTEGER NOT NULL,
        state           TEXT NOT NULL,
        alpaca_id       TEXT,
        alpaca_status   TEXT,
        message         TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        updated_at      TEXT NOT NULL
    );
    CREATE INDEX orders_plan ON orders(plan_id, position);",
    // 4: one end-of-day snapshot per session (a rerun replaces it).
    "CREATE TABLE snapshots (
        session_date   TEXT PRIMARY KEY,
        taken_at       TEXT NOT NULL,
        equity         TEXT NOT NULL,
        cash           TEXT NOT NULL,
        last_equity    TEXT NOT NULL,
        day_pl         TEXT NOT NULL,
        positions_json TEXT NOT NULL,
        fills_json     TEXT NOT NULL
    );",
    // 5: the size an order is sent at when the second phase of a submission shrank it, and why.
    "ALTER TABLE orders ADD COLUMN sent_size_json TEXT;
    ALTER TABLE orders ADD COLUMN note TEXT;",
    // 6: what a report needs from each snapshot without asking the broker again: the session
    // its last_equity closed, whether its positions were adopted as a baseline, positions with
    // cost and value, the strategy's targets and every order's outcome.
    "ALTER TABLE snapshots ADD COLUMN prev_session TEXT;
    ALTER TABLE snapshots ADD COLUMN baseline INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE snapshots ADD COLUMN holdings_json TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE snapshots ADD COLUMN targets_json TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE snapshots ADD COLUMN orders_json TEXT NOT NULL DEFAULT '[]';",
    // 7: operations: pauses (`aurora pause`), problems already alerted (one alert per problem
    // and session), and the latest account figures a job saw (for the metrics file).
    "CREATE TABLE pauses (
        id         INTEGER PRIMARY KEY,
        since      TEXT NOT NULL,
        paused_by  TEXT NOT NULL,
        reason     TEXT,
        until      TEXT,
        ended_at   TEXT,
        ended_by   TEXT
    );
    CREATE TABLE alerted (
        problem      TEXT NOT NULL,
        session_date TEXT NOT NULL,
        alerted_at   TEXT NOT NULL,
        PRIMARY KEY (problem, session_date)
    ) WITHOUT ROWID;
    CREATE TABLE account_seen (
        id                 INTEGER PRIMARY KEY CHECK (id = 1),
        seen_at            TEXT NOT NULL,
        equity             TEXT NOT NULL,
        cash               TEXT NOT NULL,
        last_equity        TEXT NOT NULL,
        long_market_value  TEXT NOT NULL,
        short_market_value TEXT NOT NULL,
        positions          INTEGER
    );",
];

/// Applies every migration the database has not seen, each in its own transaction.
///
/// The version is read inside an immediate (write-locked) transaction, so two processes opening
/// a new database at once (`status` does not take the state lock) cannot both migrate it.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let latest = MIGRATIONS.len() as i64;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > latest {
            return Err(StoreError::TooNew {
                path: PathBuf::new(),
                found: current,
                supported: latest,
            });
        }
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer_schemas() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }
}
