//! Writing a private file that must never clobber what is there: created whole under a
//! temporary name, mode 0600 from creation, then linked into place.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;

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

/// Writes `text` to `path`, creating its directory (0700) if needed. The file is created with
/// mode 0600 under a temporary name, filled and synced, then linked into place, so `path`
/// never holds a partial file or wider permissions. An existing file is an error unless
/// `replace_as` names where to keep it (`NAME.bak-STAMP`): then the old file is linked there
/// and the new one renamed over it in one step.
pub fn write_private(
    path: &Path,
    text: &str,
    replace_as: Option<&Path>,
) -> anyhow::Result<FileAction> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path.file_name().context("a file path has a name")?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = write_new(&tmp, text).and_then(|()| link_into_place(&tmp, path, replace_as));
    // Gone after a rename; left over after a failed or linked write.
    let _ = std::fs::remove_file(&tmp);
    result
}

fn write_new(tmp: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))
}

fn link_into_place(
    tmp: &Path,
    path: &Path,
    replace_as: Option<&Path>,
) -> anyhow::Result<FileAction> {
    let exists = path.symlink_metadata().is_ok();
    match (exists, replace_as) {
        (true, Some(backup)) => {
            // A link, not a rename: `path` stays in place until the new file replaces it.
            std::fs::hard_link(path, backup).with_context(|| {
                format!("cannot keep {} as {}", path.display(), backup.display())
            })?;
            std::fs::rename(tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(FileAction::Replaced {
                backup: backup.to_owned(),
            })
        }
        (true, None) => anyhow::bail!("{} exists; it was left as it is", path.display()),
        (false, _) => {
            // Fails if the file appeared meanwhile: nothing is ever overwritten unasked.
            std::fs::hard_link(tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
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
