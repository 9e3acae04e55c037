//! The embedded store (SQLite): schema migrations, runs, preflight verdicts, and the state-directory lock.

mod bar_writer;
mod bars;
mod error;
mod lock;
mod migrations;
mod plans;
mod preflights;
mod runs;
mod snapshots;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

pub use bar_writer::BarWriter;
pub use bars::{BarUpsert, StoredBar};
pub use error::StoreError;
pub use lock::{LockError, LockHolder, StateLock};
pub use plans::{OrderRecord, OrderState, PlanId, PlanRecord};
pub use preflights::PreflightRecord;
pub use runs::{RunFinish, RunId, RunRecord};
pub use snapshots::Snapshot;

/// The SQLite database in the state directory.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(StoreError::at(path))?;
        // A status run by hand may overlap a timer's job: wait for the writer instead of failing.
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(StoreError::at(path))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(StoreError::at(path))?;
        // FULL: a committed order state must survive a power loss (invariant 5); writes are few.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(StoreError::at(path))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(StoreError::at(path))?;
        let mut store = Store { conn };
        migrations::migrate(&mut store.conn).map_err(|e| e.with_path(path))?;
        Ok(store)
    }

    /// `PRAGMA quick_check`: `ok`, or SQLite's first complaint.
    pub fn quick_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0))?)
    }

    /// Proves the database accepts writes (a write in a transaction that is rolled back).
    pub fn check_writable(&self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "BEGIN IMMEDIATE; CREATE TEMP TABLE IF NOT EXISTS write_probe(x); ROLLBACK;",
        )?;
        Ok(())
    }
}
