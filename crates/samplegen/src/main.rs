//! `cargo run -p etlview-samplegen -- samples --force`: regenerates the bundled sample traces.
//!
//! A development tool, kept out of the `etlview` binary: users read traces, they do not need
//! to write the project's fixtures.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Regenerate the bundled sample traces (netsh-style ARR traces made by etlview's writer).
#[derive(Parser)]
#[command(name = "generate-samples", version)]
struct Args {
    /// Folder to write them to (e.g. `samples`).
    dir: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match etlview_samplegen::write_all(&args.dir, args.force) {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("generate-samples: error: {e}");
            ExitCode::from(2)
        }
    }
}
