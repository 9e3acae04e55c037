//! Writing a private file that must never clobber what is there unasked, and keeps what it
//! replaces as `NAME.bak-STAMP`.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;

use crate::atomic_file;

/// What became of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FileAction {
    /// Written where none was.
    Created,
    /// Written over an existing file, which was kept as `backup` first.
    Replaced {
        /// Where the old file is.
        backup: PathBuf,
    },
    /// An existing file, used as it is.
    Kept,
}

/// `NAME.bak-STAMP` beside `path`.
pub fn backup_path(path: &Path, stamp: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".bak-{stamp}"));
    path.with_file_name(name)
}

/// Writes `text` to `path`, creating its directory (0700) if needed. The file is complete and
/// mode 0600 the moment it appears (`atomic_file`). An existing file is an error unless
/// `replace_as` names where to keep it (`NAME.bak-STAMP`): then the old file is linked there
/// first, so `path` is never missing, and the new one replaces it in one rename.
pub fn write_private(
    path: &Path,
    text: &str,
    replace_as: Option<&Path>,
) -> anyhow::Result<FileAction> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let cannot_write = || format!("cannot write {}", path.display());
    match (path.symlink_metadata().is_ok(), replace_as) {
        (true, Some(backup)) => {
            // Fails if the backup exists: an older backup is never overwritten either.
            std::fs::hard_link(path, backup).with_context(|| {
                format!("cannot keep {} as {}", path.display(), backup.display())
            })?;
            atomic_file::write(path, text.as_bytes()).with_context(cannot_write)?;
            Ok(FileAction::Replaced {
                backup: backup.to_owned(),
            })
        }
        (true, None) => anyhow::bail!("{} exists; it was left as it is", path.display()),
        (false, _) => {
            atomic_file::write_new(path, text.as_bytes()).with_context(cannot_write)?;
            Ok(FileAction::Created)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn creates_private_files_and_never_clobbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/keys.env");
        assert_eq!(
            write_private(&path, "one", None).unwrap(),
            FileAction::Created
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()) & 0o077, 0);

        let e = write_private(&path, "two", None).unwrap_err();
        assert!(e.to_string().contains("exists"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one");

        let backup = backup_path(&path, "20261130133000");
        assert_eq!(backup, dir.path().join("a/b/keys.env.bak-20261130133000"));
        assert_eq!(
            write_private(&path, "two", Some(&backup)).unwrap(),
            FileAction::Replaced {
                backup: backup.clone()
            }
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), "one");
        // A backup is never overwritten either.
        assert!(write_private(&path, "three", Some(&backup)).is_err());
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), "one");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
