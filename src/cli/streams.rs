//! The CLI's streams: standard output watched for a closed or broken pipe (decided on the
//! error kind, never on its text), and `-` as an input read from standard input into a
//! temporary file (a trace is mapped, so it must be a regular file).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::CliError;

/// Set when a write to standard output failed with `BrokenPipe` (the reader went away, as
/// with `etlview FILE | head`): the run then ends quietly with exit code 0.
static STDOUT_BROKEN: AtomicBool = AtomicBool::new(false);

pub fn stdout_broken() -> bool {
    STDOUT_BROKEN.load(Ordering::Acquire)
}

/// Standard output for data. Fails when it is closed (`>&-`): the standard library would
/// silently drop what is written to a closed descriptor.
pub fn stdout() -> Result<Watched<io::StdoutLock<'static>>, CliError> {
    if !stdout_is_open() {
        return Err(CliError(
            "cannot write to standard output: it is closed (Bad file descriptor). Redirect it to a file or a pipe".into(),
        ));
    }
    Ok(Watched(io::stdout().lock()))
}

/// False when the process started with standard output closed. The standard library's
/// start-up code reopens a closed standard descriptor on `/dev/null` for reading and writing
/// (so that no file opened later takes its number); a shell's `>/dev/null` opens it
/// write-only. So a read-write `/dev/null` on descriptor 1 means "closed".
#[cfg(unix)]
fn stdout_is_open() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(flags) = rustix::fs::fcntl_getfl(io::stdout()) else {
        return false;
    };
    let Ok(ours) = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
    else {
        return false;
    };
    let read_write = flags & rustix::fs::OFlags::ACCMODE == rustix::fs::OFlags::RDWR;
    let is_dev_null = ours.file_type().is_char_device()
        && std::fs::metadata("/dev/null").is_ok_and(|null| null.rdev() == ours.rdev());
    !(read_write && is_dev_null)
}

#[cfg(not(unix))]
fn stdout_is_open() -> bool {
    true
}

/// A writer that records a broken pipe before passing the error on.
pub struct Watched<W>(pub W);

impl<W: Write> Watched<W> {
    fn note<T>(result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result
            && e.kind() == io::ErrorKind::BrokenPipe
        {
            STDOUT_BROKEN.store(true, Ordering::Release);
        }
        result
    }
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Self::note(self.0.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Self::note(self.0.write_all(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Self::note(self.0.flush())
    }
}

/// Temporary copies of standard input, removed when the process ends normally.
static STDIN_COPIES: std::sync::Mutex<Vec<tempfile::TempPath>> = std::sync::Mutex::new(Vec::new());

/// Copies standard input (a trace piped in, named `-`) to a temporary file and returns its
/// path; the file lives until [`remove_stdin_copies`].
pub fn stdin_copy() -> Result<PathBuf, CliError> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        return Err(CliError(
            "`-` reads the trace from standard input, which is a terminal: pipe a trace in (e.g. `cat trace.etl | etlview info -`)".into(),
        ));
    }
    let mut temp = tempfile::Builder::new()
        .prefix("etlview-stdin-")
        .suffix(".etl")
        .tempfile()
        .map_err(|e| {
            CliError(format!(
                "cannot create a temporary file for standard input: {e}"
            ))
        })?;
    let bytes = io::copy(&mut stdin.lock(), temp.as_file_mut())
        .and_then(|n| temp.as_file_mut().flush().map(|()| n))
        .map_err(|e| {
            CliError(format!(
                "cannot copy standard input to {}: {e}",
                temp.path().display()
            ))
        })?;
    eprintln!(
        "etlview: note: read {bytes} bytes from standard input into a temporary file (removed on exit)"
    );
    let temp = temp.into_temp_path();
    let path = temp.to_path_buf();
    if let Ok(mut copies) = STDIN_COPIES.lock() {
        copies.push(temp);
    }
    Ok(path)
}

/// Removes the temporary copies of standard input.
pub fn remove_stdin_copies() {
    if let Ok(mut copies) = STDIN_COPIES.lock() {
        copies.clear();
    }
}
