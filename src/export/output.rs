//! Writing output files safely: never over an existing file (or through a symlink) without
//! `--force`, never over the input, always via a temporary file renamed into place.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why an output file cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0} already exists: pass --force to overwrite it")]
    Exists(PathBuf),
    #[error("{0} is the input file: choose another output path")]
    IsInput(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// An output being written to a temporary file next to its final path.
pub struct PendingOutput {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
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
        if path.symlink_metadata().is_ok() && !force {
            return Err(OutputError::Exists(path.to_path_buf()));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".etlview-")
            .suffix(".partial")
            .tempfile_in(&dir)
            .map_err(|source| OutputError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(PendingOutput {
            path: path.to_path_buf(),
            temp,
        })
    }

    pub fn writer(&mut self) -> &mut std::fs::File {
        self.temp.as_file_mut()
    }

    /// Flushes and renames the temporary file into place (replacing a symlink, not its target).
    pub fn commit(mut self) -> Result<(), OutputError> {
        let path = self.path.clone();
        let io = |source| OutputError::Io {
            path: path.clone(),
            source,
        };
        self.temp.as_file_mut().flush().map_err(io)?;
        self.temp.as_file().sync_all().map_err(io)?;
        self.temp.persist(&self.path).map_err(|e| OutputError::Io {
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}
