//! `-` as a trace file: standard input copied into a temporary file (the reader maps whole
//! files; a pipe can be neither mapped nor read twice). The copy is removed when the command
//! ends.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use super::CliError;

/// The files of a command, holding the temporary copy of standard input while they are used.
pub struct Inputs {
    pub files: Vec<PathBuf>,
    _stdin_copy: Option<tempfile::TempPath>,
}

impl std::ops::Deref for Inputs {
    type Target = [PathBuf];
    fn deref(&self) -> &[PathBuf] {
        &self.files
    }
}

impl Inputs {
    /// `paths` with a `-` replaced by a temporary copy of standard input (once).
    pub fn with_stdin(mut files: Vec<PathBuf>, paths: &[PathBuf]) -> Result<Inputs, CliError> {
        let mut copy = None;
        if paths.iter().any(|p| p == Path::new("-")) {
            let temp = copy_stdin()?;
            let path = temp.to_path_buf();
            for f in &mut files {
                if f == Path::new("-") {
                    *f = path.clone();
                }
            }
            copy = Some(temp);
        }
        Ok(Inputs {
            files,
            _stdin_copy: copy,
        })
    }
}

fn copy_stdin() -> Result<tempfile::TempPath, CliError> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        return Err(CliError(
            "`-` reads the trace from standard input, but it is a terminal: pipe a file in (`cat trace.etl | etlview -`)".into(),
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
    let bytes = io::copy(&mut stdin.lock(), temp.as_file_mut()).map_err(|e| {
        CliError(format!(
            "reading the trace from standard input into {}: {e}",
            temp.path().display()
        ))
    })?;
    eprintln!(
        "etlview: note: read {bytes} bytes from standard input into a temporary file (removed on exit)"
    );
    Ok(temp.into_temp_path())
}
