//! `StateLock`: one job at a time per state directory (DESIGN invariant 3).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who holds the lock, as the holder wrote it into the lock file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LockHolder {
    /// The job.
    pub job: String,
    /// Its process id.
    pub pid: u32,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// The lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another job holds it (exit 73).
    #[error("another aurora job holds {}: {}", path.display(), describe(holder.as_ref()))]
    Held {
        /// The lock file.
        path: PathBuf,
        /// Who, when the holder has written it yet.
        holder: Option<LockHolder>,
    },
    /// The lock file could not be opened.
    #[error("cannot open lock file {}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn describe(holder: Option<&LockHolder>) -> String {
    match holder {
        Some(h) => format!(
            "`{}` (pid {}) since {}; wait for it to finish",
            h.job,
            h.pid,
            h.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        None => "a job that has just started; wait for it to finish".to_owned(),
    }
}

/// An exclusive advisory lock on `STATE_DIR/aurora.lock`, released when dropped (or when the process dies).
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// Takes the lock for `job` or says who has it.
    pub fn acquire(
        state_dir: &Path,
        job: &str,
        now: DateTime<Utc>,
    ) -> Result<StateLock, LockError> {
        let path = state_dir.join("aurora.lock");
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(LockError::Held {
                    path,
                    holder: serde_json::from_str(&text).ok(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let holder = LockHolder {
            job: job.to_owned(),
            pid: std::process::id(),
            since: now,
        };
        let text = serde_json::to_string(&holder).expect("plain struct serializes");
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(StateLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_told_who_has_it() {
        let dir = tempfile::tempdir().unwrap();
        let t0: DateTime<Utc> = "2026-11-30T14:00:00Z".parse().unwrap();
        let held = StateLock::acquire(dir.path(), "trade", t0).unwrap();
        let err = StateLock::acquire(dir.path(), "eod", t0).unwrap_err();
        match &err {
            LockError::Held {
                holder: Some(h), ..
            } => {
                assert_eq!(h.job, "trade");
                assert_eq!(h.since, t0);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("`trade`"), "{err}");
        drop(held);
        StateLock::acquire(dir.path(), "eod", t0).unwrap();
    }
}
