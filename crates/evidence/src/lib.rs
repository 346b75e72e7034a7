//! The evidence of an IIS / ARR case besides ETW traces, read on any OS.
//!
//! - [`w3c`]: IIS W3C extended logs (`u_ex*.log`) and HTTP.sys error logs (`httperr*.log`);
//! - [`freb`]: Failed Request Tracing files (`fr*.xml`);
//! - [`config`]: `applicationHost.config` / `web.config` (ARR farms and proxy settings);
//! - [`netcab`]: `net.cab` from `netsh trace stop` (members, machine facts, event logs);
//! - [`case`]: walk a collected case folder, recognise every file by content, attribute it
//!   to a server;
//! - [`correlate`]: link each ARR request to the member's request;
//! - [`diagnose`]: the ARR 502 article's conclusions from logs and configuration.
//!
//! Every file becomes a [`Source`]: metadata, a damage report, and [`Record`]s with a UTC
//! FILETIME, named fields and their line. Nothing here panics on bad input.
#![forbid(unsafe_code)]

pub mod case;
pub mod config;
pub mod correlate;
pub mod diagnose;
pub mod freb;
pub mod model;
pub mod netcab;
pub mod w3c;

use std::path::{Path, PathBuf};

pub use model::{
    Attribution, Damage, Details, Location, Record, RecordKind, ServerGuess, Source, SourceKind,
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: not a recognised evidence file (expected an IIS or HTTPERR log with #Fields, a \
         FREB <failedRequest> XML, an IIS <configuration>, a cabinet or an .etl trace)"
    )]
    Unrecognised { path: PathBuf },
    #[error(
        "{path}: {size} bytes is over the {limit}-byte limit for a {kind} file; split it or open a smaller one"
    )]
    TooLarge {
        path: PathBuf,
        kind: &'static str,
        size: u64,
        limit: u64,
    },
}

/// Largest text evidence file read whole (IIS logs roll over by day; 2 GiB is far beyond one).
const MAX_TEXT_FILE: u64 = 2 << 30;

/// How many leading bytes [`sniff`] looks at.
pub const SNIFF_LEN: usize = 64 * 1024;

/// Recognises a file from its first bytes (and, for `.etl`, its name: an ETL's first buffer
/// has no fixed magic at offset 0 that a log could not also hold).
pub fn sniff(head: &[u8], name: &str) -> Option<SourceKind> {
    if netcab::sniff(head) {
        return Some(SourceKind::NetCab);
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".etl") && !head.starts_with(b"#") && !head.starts_with(b"<") {
        return Some(SourceKind::Etl);
    }
    let text = decode_head(head);
    if let Some(flavor) = w3c::sniff(&text) {
        return Some(match flavor {
            w3c::Flavor::Iis => SourceKind::IisLog,
            w3c::Flavor::HttpErr => SourceKind::HttpErr,
        });
    }
    if freb::sniff(&text) {
        return Some(SourceKind::Freb);
    }
    if config::sniff(&text) {
        return Some(SourceKind::Config);
    }
    None
}

fn decode_head(head: &[u8]) -> String {
    if head.starts_with(b"\xFF\xFE") {
        netcab::decode_text(&head[..head.len() & !1])
    } else {
        String::from_utf8_lossy(head).into_owned()
    }
}

/// Parses bytes already read as the given kind. `Etl` gives an empty source (the trace
/// reader opens it).
pub fn parse_as(kind: SourceKind, path: PathBuf, bytes: &[u8]) -> Source {
    match kind {
        SourceKind::IisLog => w3c::parse(path, bytes, w3c::Flavor::Iis),
        SourceKind::HttpErr => w3c::parse(path, bytes, w3c::Flavor::HttpErr),
        SourceKind::Freb => freb::parse(path, bytes),
        SourceKind::Config => config::parse(path, bytes),
        SourceKind::NetCab => netcab::parse(path, bytes),
        SourceKind::Etl => Source::new(path, SourceKind::Etl),
    }
}

/// Reads a file and parses it as whatever its content says it is.
pub fn open(path: &Path) -> Result<Source, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_TEXT_FILE {
        return Err(Error::TooLarge {
            path: path.into(),
            kind: "evidence",
            size,
            limit: MAX_TEXT_FILE,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let kind = sniff(&bytes[..bytes.len().min(SNIFF_LEN)], &name)
        .ok_or_else(|| Error::Unrecognised { path: path.into() })?;
    Ok(parse_as(kind, path.to_path_buf(), &bytes))
}
