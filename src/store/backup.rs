//! A consistent copy of the database while jobs may be writing it (SQLite's online backup API).

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, DatabaseName, OpenFlags};

use super::StoreError;

/// What a backup wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupCopy {
    /// Size of the copy, in bytes.
    pub bytes: u64,
    /// `PRAGMA quick_check` of the copy: `ok`.
    pub quick_check: String,
}

/// Copies the database at `db` to `dest`, which must not exist yet.
///
/// The source is opened read-only and takes no Aurora lock: SQLite's backup restarts by itself
/// when another connection writes mid-copy, so the result is one consistent state. The copy is
/// made under a temporary name beside `dest`, private (0600), turned into a self-contained
/// file (no WAL), checked, and only then renamed to `dest`: a `dest` that exists is complete.
pub fn backup(db: &Path, dest: &Path, busy_timeout: Duration) -> Result<BackupCopy, StoreError> {
    let at = StoreError::at(db);
    if !db.exists() {
        return Err(StoreError::Io {
            path: db.to_owned(),
            source: std::io::ErrorKind::NotFound.into(),
        });
    }
    if dest.exists() {
        return Err(StoreError::Io {
            path: dest.to_owned(),
            source: std::io::ErrorKind::AlreadyExists.into(),
        });
    }
    let source = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(&at)?;
    source.busy_timeout(busy_timeout).map_err(&at)?;

    let partial = partial_name(dest);
    let result = copy_into(&source, &partial);
    let copy = match result {
        Ok(copy) => copy,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, dest).map_err(|source| StoreError::Io {
        path: dest.to_owned(),
        source,
    })?;
    Ok(copy)
}

fn copy_into(source: &Connection, partial: &Path) -> Result<BackupCopy, StoreError> {
    let at = StoreError::at(partial);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(partial)
        .map_err(|e| StoreError::Io {
            path: partial.to_owned(),
            source: e,
        })?;
    source
        .backup(DatabaseName::Main, partial, None)
        .map_err(StoreError::Sqlite)?;
    let copy = Connection::open(partial).map_err(&at)?;
    // The copy keeps the source's WAL mode; a backup should be one file.
    copy.pragma_update(None, "journal_mode", "DELETE")
        .map_err(&at)?;
    let quick_check: String = copy
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(&at)?;
    drop(copy);
    if quick_check != "ok" {
        return Err(StoreError::Corrupt(format!(
            "backup copy (quick_check: {quick_check})"
        )));
    }
    let bytes = std::fs::metadata(partial)
        .map_err(|e| StoreError::Io {
            path: partial.to_owned(),
            source: e,
        })?
        .len();
    Ok(BackupCopy { bytes, quick_check })
}

/// `DIR/.NAME.partial` beside `dest`.
fn partial_name(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "aurora-backup".into());
    dest.with_file_name(format!(".{name}.partial"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn copies_a_store_that_is_open_for_writing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("aurora.db");
        let store = Store::open(&db).unwrap();
        let t0 = "2026-11-30T14:00:00Z".parse().unwrap();
        store.start_run("fetch", t0).unwrap();
        let dest = dir.path().join("copy.db");
        let copy = backup(&db, &dest, Duration::from_secs(1)).unwrap();
        assert_eq!(copy.quick_check, "ok");
        assert!(copy.bytes > 0);
        assert_eq!(Store::open(&dest).unwrap().last_runs().unwrap().len(), 1);
        let again = backup(&db, &dest, Duration::from_secs(1)).unwrap_err();
        assert!(again.to_string().contains("exists"), "{again}");
        assert!(!partial_name(&dest).exists());
    }
}
