//! `StoreError`: the store could not be opened, read or written.

use std::path::{Path, PathBuf};

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// SQLite failed on a named database file.
    #[error("database {}: {source}", path.display())]
    File {
        /// The database.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The database file could not be created or examined.
    #[error("database {}: {source}", path.display())]
    Io {
        /// The database.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The database was written by a newer Aurora.
    #[error(
        "database {}: schema version {found} is newer than this aurora supports ({supported}); upgrade aurora",
        path.display()
    )]
    TooNew {
        /// The database.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// The database file is empty although the state directory has a history: something
    /// truncated it, and opening it would silently start afresh.
    #[error(
        "database {} is empty (0 bytes) but the state directory {} has a history: restore a backup (a copy made by `aurora backup`; see the operator guide's \"Backup and restore\") or move the file away to start afresh",
        path.display(),
        dir.display()
    )]
    Truncated {
        /// The database.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
    },
    /// A stored value does not parse.
    #[error("stored {0} is not valid")]
    Corrupt(String),
    /// A store thread could not start or died.
    #[error("store thread: {0}")]
    Thread(String),
    /// A stored JSON value does not parse.
    #[error("stored {what} is not valid JSON: {source}")]
    Json {
        /// What was read.
        what: &'static str,
        /// The parse error.
        source: serde_json::Error,
    },
}

/// Whether SQLite gave up waiting for another connection (`SQLITE_BUSY` / `SQLITE_LOCKED`).
pub fn is_busy(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl StoreError {
    /// The database stayed busy past the busy timeout: temporary (exit 75).
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Sqlite(e) | StoreError::File { source: e, .. } => is_busy(e),
            _ => false,
        }
    }

    /// Wraps a SQLite error with the database path.
    pub(crate) fn at(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::File {
            path: path.to_owned(),
            source,
        }
    }

    /// Attaches the database path to an error that lacks it.
    pub(crate) fn with_path(self, path: &Path) -> StoreError {
        match self {
            StoreError::Sqlite(source) => StoreError::File {
                path: path.to_owned(),
                source,
            },
            StoreError::TooNew {
                found, supported, ..
            } => StoreError::TooNew {
                path: path.to_owned(),
                found,
                supported,
            },
            other => other,
        }
    }
}
