//! The embedded store (SQLite): schema migrations, runs, preflight verdicts, and the state-directory lock.

mod backup;
mod bar_writer;
mod bars;
mod error;
mod lock;
mod migrations;
mod ops;
mod plans;
mod preflights;
mod runs;
mod snapshots;

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

pub use backup::{BackupCopy, backup};
pub use bar_writer::BarWriter;
pub use bars::{BarSpan, BarUpsert, StoredBar};
pub use error::{StoreError, is_busy};
pub use lock::{LOCK_FILE, LockError, LockHolder, StateLock};
pub use ops::{AccountSeen, PauseRecord};
pub use plans::{OrderRecord, OrderState, PlanId, PlanOutcome, PlanRecord};
pub use preflights::PreflightRecord;
pub use runs::{RunFinish, RunId, RunRecord};
pub use snapshots::{HeldPosition, Snapshot};

/// The SQLite database in the state directory.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

/// The database's file name in the state directory.
pub const DB_FILE: &str = "aurora.db";

/// How long a connection waits for another's write before giving up (`[store] busy_timeout_secs`).
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date, waiting up to
    /// `DEFAULT_BUSY_TIMEOUT` for other connections.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_timeout(path, DEFAULT_BUSY_TIMEOUT)
    }

    /// Opens (creating if needed) the database, waiting up to `busy_timeout` for another
    /// connection's write (a job run by hand, a backup) before failing with a busy error.
    pub fn open_with_timeout(path: &Path, busy_timeout: Duration) -> Result<Store, StoreError> {
        prepare_file(path)?;
        let conn = Connection::open(path).map_err(StoreError::at(path))?;
        conn.busy_timeout(busy_timeout)
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

/// Opens the store in `dir` for a command that runs outside the job frame (`pause`, `metrics`,
/// `alert`): creates the directory (0700) when missing, refuses a truncated database, takes no lock.
pub fn open_in(dir: &Path, busy_timeout: Duration) -> Result<Store, StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    let new_dir = is_new_state_dir(dir);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| StoreError::Io {
            path: dir.to_owned(),
            source,
        })?;
    let db = dir.join(DB_FILE);
    if !new_dir {
        refuse_truncated(&db)?;
    }
    Store::open_with_timeout(&db, busy_timeout)
}

/// Creates the database file private: 0600 whatever the umask (SQLite gives its WAL and
/// shared-memory files the database's mode).
fn prepare_file(path: &Path) -> Result<(), StoreError> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Whether a state directory has never been used: absent, or holding nothing but an empty
/// database file (a placeholder). Asked before a job creates anything in it.
pub fn is_new_state_dir(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return !dir.exists();
    };
    entries.into_iter().all(|entry| {
        entry.is_ok_and(|e| {
            e.file_name().to_str() == Some(DB_FILE) && e.metadata().is_ok_and(|m| m.len() == 0)
        })
    })
}

/// Refuses an empty database in a state directory that was used before: something truncated
/// it, and SQLite would silently start a new, empty store in its place, losing the history.
pub fn refuse_truncated(db: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(db) {
        Ok(m) if m.is_file() && m.len() == 0 => Err(StoreError::Truncated {
            path: db.to_owned(),
            dir: db.parent().unwrap_or(Path::new(".")).to_owned(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_database_is_new_only_alone() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        assert!(is_new_state_dir(&state), "absent");
        std::fs::create_dir(&state).unwrap();
        assert!(is_new_state_dir(&state), "empty");
        let db = state.join(DB_FILE);
        std::fs::write(&db, "").unwrap();
        assert!(is_new_state_dir(&state), "an empty placeholder");
        let err = refuse_truncated(&db).unwrap_err();
        assert!(err.to_string().contains("aurora backup"), "{err}");
        std::fs::write(state.join(LOCK_FILE), "").unwrap();
        assert!(!is_new_state_dir(&state), "a job ran here");
        std::fs::remove_file(state.join(LOCK_FILE)).unwrap();
        std::fs::write(&db, "x").unwrap();
        assert!(!is_new_state_dir(&state), "a database with content");
        refuse_truncated(&db).unwrap();
        refuse_truncated(&state.join("absent.db")).unwrap();
    }

    #[test]
    fn a_new_database_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("aurora.db");
        // Open while checking: closing the last connection removes the WAL.
        let _store = Store::open(&db).unwrap();
        for name in ["aurora.db", "aurora.db-wal", "aurora.db-shm"] {
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }
}
