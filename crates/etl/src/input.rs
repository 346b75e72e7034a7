//! Opening the input file: only regular files can be mapped and indexed. FIFOs, devices,
//! directories and `/proc`-style files (size 0, content on read) are named as what they are
//! instead of blocking forever or reading as "empty".

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::trace::OpenError;

/// What a non-regular file is, in words.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Opens `path` for reading if it is a regular file, without blocking on FIFOs; returns the
/// file and its length.
pub fn open_regular(path: &Path) -> Result<(File, u64), OpenError> {
    let io = |source| OpenError::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_regular = |meta: &std::fs::Metadata| OpenError::NotRegular {
        path: path.to_path_buf(),
        what: kind_of(meta),
    };
    // Check before opening: opening a FIFO for reading blocks until a writer comes.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // A FIFO swapped in after the check must not block either.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut file = options.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let len = meta.len();
    if len == 0 {
        // /proc and /sys files report size 0 and yet have content: they cannot be mapped.
        let mut probe = [0u8; 1];
        if file.read(&mut probe).map_err(io)? > 0 {
            return Err(OpenError::NoSize {
                path: path.to_path_buf(),
            });
        }
    }
    Ok((file, len))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn error_text(path: &Path) -> String {
        open_regular(path).unwrap_err().to_string()
    }

    #[test]
    fn non_regular_inputs_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(error_text(dir.path()).contains("is a directory"));
        assert!(error_text(Path::new("/dev/zero")).contains("is a character device"));
        let fifo = dir.path().join("pipe.etl");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Without a writer, opening would block forever; the check comes first.
        assert!(error_text(&fifo).contains("is a FIFO (named pipe)"));
        if Path::new("/proc/self/maps").exists() {
            assert!(error_text(Path::new("/proc/self/maps")).contains("reports a size of 0"));
        }
        let empty = dir.path().join("empty.etl");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(open_regular(&empty).unwrap().1, 0);
    }
}
