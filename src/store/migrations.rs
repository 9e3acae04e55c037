//! Schema migrations, tracked by `PRAGMA user_version`.

use std::path::PathBuf;

use rusqlite::Connection;

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
];

/// Applies every migration the database has not seen, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = MIGRATIONS.len() as i64;
    if current > latest {
        return Err(StoreError::TooNew {
            path: PathBuf::new(),
            found: current,
            supported: latest,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
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
