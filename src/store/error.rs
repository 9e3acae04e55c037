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

impl StoreError {
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
