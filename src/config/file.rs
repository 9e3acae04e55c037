//! Reading a configuration file without trusting what sits at its path: regular files only,
//! never blocking on a FIFO or device, and never reading more than a cap.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use super::ConfigError;

/// An opened regular file, its metadata taken from the open descriptor (not the path, which
/// could be swapped between a check and a read).
pub struct Opened {
    file: File,
    /// Owner, mode and size.
    pub meta: Metadata,
}

/// Opens `path` for reading; `Ok(None)` when nothing is there.
///
/// The open never blocks (a FIFO with no writer would hang a job forever), and anything but a
/// regular file is refused.
pub fn open(path: &Path) -> Result<Option<Opened>, ConfigError> {
    let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let meta = file.metadata().map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    if !meta.is_file() {
        return Err(ConfigError::NotRegularFile {
            path: path.to_owned(),
            kind: kind(&meta),
        });
    }
    Ok(Some(Opened { file, meta }))
}

impl Opened {
    /// Reads the whole file, refusing one larger than `limit` bytes (it may grow after the check).
    pub fn read_capped(self, path: &Path, limit: u64) -> Result<Vec<u8>, ConfigError> {
        let too_large = || ConfigError::TooLarge {
            path: path.to_owned(),
            limit,
        };
        if self.meta.len() > limit {
            return Err(too_large());
        }
        let mut bytes = Vec::with_capacity(self.meta.len() as usize);
        self.file
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
        if bytes.len() as u64 > limit {
            return Err(too_large());
        }
        Ok(bytes)
    }
}

/// The 1-based line that byte `offset` of `text` is on.
pub fn line_of(text: &[u8], offset: usize) -> usize {
    text[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let read = |limit| open(&path).unwrap().unwrap().read_capped(&path, limit);
        assert_eq!(read(10).unwrap(), b"0123456789");
        assert!(matches!(
            read(9),
            Err(ConfigError::TooLarge { limit: 9, .. })
        ));
        assert!(open(&dir.path().join("absent")).unwrap().is_none());
        assert!(matches!(
            open(dir.path()),
            Err(ConfigError::NotRegularFile {
                kind: "a directory",
                ..
            })
        ));
    }

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of(b"a\nb\nc", 0), 1);
        assert_eq!(line_of(b"a\nb\nc", 2), 2);
        assert_eq!(line_of(b"a\nb\nc", 99), 3);
    }
}
