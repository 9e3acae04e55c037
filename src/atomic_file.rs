//! Files replaced whole or not at all: written to a temporary file beside the target, synced,
//! then renamed over it. A full disk or a crash mid-write leaves the previous file (or none),
//! never a truncated one.

use std::fs::File;
use std::io::{self, Write as _};
use std::path::Path;

/// Replaces `path` with `contents`.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_with(path, |f| f.write_all(contents))
}

/// Writes `contents` to `path`, which must not exist: the file is complete (and 0600) the
/// moment it appears, and one that appeared meanwhile is never overwritten (`AlreadyExists`).
pub fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut tmp = temp_beside(path)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// Replaces `path` with what `fill` writes into a new file in the same directory (created
/// 0600); on any error the temporary file is removed and `path` is left as it was.
pub fn write_with(path: &Path, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    let mut tmp = temp_beside(path)?;
    fill(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A new temporary file (0600) in `path`'s directory, so a rename cannot cross a file system.
fn temp_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().map_or_else(
        || std::ffi::OsString::from("file"),
        std::ffi::OsStr::to_os_string,
    );
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(&name);
    prefix.push(".");
    tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("equity.svg");
        write(&path, b"first").unwrap();
        write(&path, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
        assert_eq!(entries(dir.path()), ["equity.svg"]);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026-11-30.md");
        write(&path, b"yesterday's complete report").unwrap();
        let err = write_with(&path, |f| {
            f.write_all(b"half a rep")?;
            Err(io::Error::from_raw_os_error(28)) // ENOSPC: no space left on device
        })
        .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"yesterday's complete report"
        );
        assert_eq!(entries(dir.path()), ["2026-11-30.md"]);
    }

    #[test]
    fn a_new_file_never_replaces_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.env");
        write_new(&path, b"one").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let err = write_new(&path, b"two").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        assert_eq!(entries(dir.path()), ["keys.env"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_file_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope/report.json");
        assert!(write(&path, b"{}").is_err());
        assert!(entries(dir.path()).is_empty());
    }
}
