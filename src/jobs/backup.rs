//! `aurora backup`: a consistent copy of the store, safe while a timer's job writes it.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::Utc;
use serde::Serialize;

use super::Report;
use crate::exit::Exit;
use crate::store::{self, DEFAULT_BUSY_TIMEOUT};
use crate::types::SessionDate;

/// What the backup wrote.
#[derive(Clone, Debug, Serialize)]
pub struct BackupReport {
    /// The database copied.
    pub database: PathBuf,
    /// The copy.
    pub to: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// `PRAGMA quick_check` of the copy.
    pub quick_check: String,
}

impl Report for BackupReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn session(&self) -> Option<SessionDate> {
        None
    }

    fn render(&self) -> String {
        format!(
            "Backed up {}\n  to           {}\n  size         {} bytes\n  quick_check  {}\n",
            self.database.display(),
            self.to.display(),
            self.bytes,
            self.quick_check
        )
    }
}

/// Copies the state directory's database to `to`, or to `STATE_DIR/backups/aurora-<UTC time>.db`.
///
/// Takes no lock (like `status`): SQLite's online backup copies one consistent state even while
/// a job writes.
pub fn run(state_dir: &Path, to: Option<&Path>) -> anyhow::Result<BackupReport> {
    let database = state_dir.join(store::DB_FILE);
    let to = match to {
        Some(p) => p.to_owned(),
        None => {
            let dir = state_dir.join("backups");
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            // The machine clock only names the file; it decides nothing.
            dir.join(format!("aurora-{}.db", Utc::now().format("%Y%m%dT%H%M%SZ")))
        }
    };
    store::refuse_truncated(&database)?;
    let copy = store::backup(&database, &to, DEFAULT_BUSY_TIMEOUT)
        .with_context(|| format!("cannot back up {}", database.display()))?;
    Ok(BackupReport {
        database,
        to,
        bytes: copy.bytes,
        quick_check: copy.quick_check,
    })
}
