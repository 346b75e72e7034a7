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
    /// Write the ARR case folders (IIS logs, FREB, HTTPERR, config per server) instead of
    /// the traces.
    #[arg(long)]
    cases: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let written = if args.cases {
        etlview_samplegen::case::write_cases(&args.dir, args.force)
    } else {
        etlview_samplegen::write_all(&args.dir, args.force)
    };
    match written {
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
