//! `StateLock`: one job at a time per state directory (DESIGN invariant 3).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
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
    /// The lock path is a symbolic link: following it would let whoever made it choose which
    /// file Aurora truncates and writes.
    #[error("lock file {} is a symbolic link: refusing to follow it; remove it (Aurora makes a new one)", path.display())]
    Symlink {
        /// The lock path.
        path: PathBuf,
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

/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = "aurora.lock";

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
        let path = state_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let symlink = || LockError::Symlink { path: path.clone() };
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(symlink());
        }
        // O_NOFOLLOW: a link made between the check and the open is refused too (ELOOP).
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path)
            .map_err(|e| {
                if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                    symlink()
                } else {
                    io(e)
                }
            })?;
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

    #[test]
    fn a_symlinked_lock_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep me").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(LOCK_FILE)).unwrap();
        let t0: DateTime<Utc> = "2026-11-30T14:00:00Z".parse().unwrap();
        let err = StateLock::acquire(dir.path(), "trade", t0).unwrap_err();
        assert!(matches!(err, LockError::Symlink { .. }), "{err:?}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    }
}
