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

/// Replaces `path` with what `fill` writes into a new file in the same directory (created
/// 0600); on any error the temporary file is removed and `path` is left as it was.
pub fn write_with(path: &Path, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
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
    // Same directory, so the rename cannot cross a file system.
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    fill(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
    fn a_missing_directory_is_an_error_not_a_file_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope/report.json");
        assert!(write(&path, b"{}").is_err());
        assert!(entries(dir.path()).is_empty());
    }
}
