//! Writing output files safely: never over an existing file (or through a symlink) without
//! `--force`, never over the input, always via a temporary file renamed into place. Without
//! `--force` the final rename refuses to replace a file that appeared meanwhile (no-clobber);
//! with it, a replaced file keeps its mode. New files get the usual 0666 minus umask. Ctrl-C or
//! SIGTERM during the write removes the temporary file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why an output file cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{} already exists: pass --force to overwrite it", shown(.0))]
    Exists(PathBuf),
    #[error("{} is the input file: choose another output path", shown(.0))]
    IsInput(PathBuf),
    #[error("cannot write {}: {source}", shown(.path))]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A path as it may be shown on a terminal (its name comes from the user or a directory).
fn shown(path: &Path) -> String {
    etl::sanitize::for_terminal(&path.display().to_string()).into_owned()
}

/// An output being written to a temporary file next to its final path.
pub struct PendingOutput {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    force: bool,
    /// Removes the temporary file if a signal ends the process first.
    _cleanup: interrupt::Registration,
}

impl PendingOutput {
    /// Checks the destination and opens a temporary file beside it.
    pub fn create(
        path: &Path,
        inputs: &[PathBuf],
        force: bool,
    ) -> Result<PendingOutput, OutputError> {
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if inputs.iter().any(|input| same(path, input)) {
            return Err(OutputError::IsInput(path.to_path_buf()));
        }
        // symlink_metadata sees a dangling or live symlink itself, not its target.
        let existing = path.symlink_metadata().ok();
        if existing.is_some() && !force {
            return Err(OutputError::Exists(path.to_path_buf()));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = new_temp_in(&dir, existing.as_ref()).map_err(|source| OutputError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let cleanup = interrupt::Registration::new(temp.path());
        Ok(PendingOutput {
            path: path.to_path_buf(),
            temp,
            force,
            _cleanup: cleanup,
        })
    }

    pub fn writer(&mut self) -> &mut std::fs::File {
        self.temp.as_file_mut()
    }

    /// Flushes and renames the temporary file into place (replacing a symlink, not its
    /// target). Without `--force` a file created at the path meanwhile is never replaced.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let path = self.path.clone();
        let io = |source| OutputError::Io {
            path: path.clone(),
            source,
        };
        self.temp.as_file_mut().flush().map_err(io)?;
        self.temp.as_file().sync_all().map_err(io)?;
        let persisted = if self.force {
            self.temp.persist(&self.path).map(drop)
        } else {
            self.temp.persist_noclobber(&self.path).map(drop)
        };
        persisted.map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                OutputError::Exists(path.clone())
            } else {
                OutputError::Io {
                    path: path.clone(),
                    source: e.error,
                }
            }
        })
    }
}

/// A temporary file in `dir` created with the mode the final file should have: a replaced
/// regular file's mode, else 0666 minus the umask (as any new file).
pub fn new_temp_in(
    dir: &Path,
    replaced: Option<&std::fs::Metadata>,
) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".etlview-").suffix(".partial");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let temp = builder.tempfile_in(dir)?;
    if let Some(meta) = replaced.filter(|m| m.is_file()) {
        // Exactly the old mode (the umask only applies at creation).
        temp.as_file().set_permissions(meta.permissions())?;
    }
    Ok(temp)
}

/// Removing unfinished temporary files when SIGINT or SIGTERM ends the process.
#[cfg(unix)]
#[allow(unsafe_code)]
pub mod interrupt {
    use std::ffi::CString;
    use std::path::Path;
    use std::sync::Once;
    use std::sync::atomic::{AtomicPtr, Ordering};

    /// The temporary file to remove (a leaked C string), or null.
    static PENDING: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());
    static INSTALL: Once = Once::new();

    /// Keeps the path registered while the output is pending.
    pub struct Registration(Option<*mut libc::c_char>);

    impl Registration {
        pub fn new(path: &Path) -> Registration {
            use std::os::unix::ffi::OsStrExt;
            let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
                return Registration(None);
            };
            INSTALL.call_once(|| {
                for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
                    // SAFETY: the action is async-signal-safe: an atomic swap, unlink(2),
                    // then the default action (signal-hook's emulation re-raises it).
                    let _ = unsafe {
                        signal_hook::low_level::register(signal, move || {
                            let pending = PENDING.swap(std::ptr::null_mut(), Ordering::AcqRel);
                            if !pending.is_null() {
                                libc::unlink(pending);
                            }
                            let _ = signal_hook::low_level::emulate_default_handler(signal);
                        })
                    };
                }
            });
            let raw = c_path.into_raw();
            PENDING.store(raw, Ordering::Release);
            Registration(Some(raw))
        }
    }

    impl Drop for Registration {
        fn drop(&mut self) {
            if let Some(raw) = self.0 {
                // Unpublish; the string itself is leaked (a path, once per export), since a
                // handler running on another thread may still be reading it.
                let _ = PENDING.compare_exchange(
                    raw,
                    std::ptr::null_mut(),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
            }
        }
    }
}

#[cfg(not(unix))]
pub mod interrupt {
    pub struct Registration;
    impl Registration {
        pub fn new(_: &std::path::Path) -> Registration {
            Registration
        }
    }
}
