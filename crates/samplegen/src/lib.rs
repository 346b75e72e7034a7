//! Deterministic generators of realistic `netsh trace` files of an IIS ARR server, written
//! with the project's own [`EtlWriter`](etl::writer::EtlWriter).
//!
//! Each sample is what `netsh trace start scenario=internetclient capture=yes` and
//! `netsh trace stop` leave on Windows Server 2019 (build 17763) when a browser's request
//! goes through Application Request Routing (w3wp.exe, pid 1432) to the content server
//! web01.contoso.local (10.0.0.21): a merged NetTrace.etl with a relogged header buffer and
//! compressed 64 KiB buffers for four processors, a 10 MHz QPC clock, the kernel process,
//! thread and image rundown, an EventMetadata record (TDH `TRACE_EVENT_INFO`) before the first
//! event of each kind, Microsoft-Windows-WinHttp API and trace-text events, WebIO, TCPIP and
//! HttpService (HTTP.sys) events, and NDIS-PacketCapture frames with real HTTP/1.1 bytes.
//!
//! The committed files in `samples/` must equal fresh output (a test checks it); regenerate
//! them with `cargo run -p etlview-samplegen -- samples --force`.

mod arr;
pub mod case;
mod event_info_writer;
mod events;
mod fixtures;
mod http_text;
mod kernel;
mod large;
mod netsh;
pub mod packets;
mod payload;
mod proxy;
mod scenarios;
#[cfg(test)]
mod tests;

pub use fixtures::process_trace;

use std::io;
use std::path::{Path, PathBuf};

/// One generated sample.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub file_name: &'static str,
    /// What happens in the trace and the frame numbers (1-based, time order) of its key
    /// events.
    pub description: &'static str,
    pub build: fn() -> Vec<u8>,
}

fn bytes_of(built: Result<netsh::Built, etl::writer::RecordTooLarge>) -> Vec<u8> {
    // Every record of the stories is far below the 64 KiB buffer size; a failure here is a
    // bug in the generator, caught by the tests.
    match built {
        Ok(built) => built.bytes,
        Err(e) => panic!("sample generator wrote an oversized record: {e}"),
    }
}

fn build_healthy() -> Vec<u8> {
    bytes_of(scenarios::arr_healthy())
}
fn build_timeout() -> Vec<u8> {
    bytes_of(scenarios::arr_502_timeout())
}
fn build_reset() -> Vec<u8> {
    bytes_of(scenarios::arr_502_reset())
}
fn build_offline() -> Vec<u8> {
    bytes_of(scenarios::arr_502_offline())
}

/// The samples, in the order they are written.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            file_name: "arr-healthy.etl",
            description: "Baseline: a browser (192.168.20.40) asks ARR for /api/orders/1234 and \
                          /css/site.css over one keep-alive connection; ARR resolves and connects \
                          to web01.contoso.local and relays two 200 responses. \
                          Key frames: 45 browser request arrives; \
                          90 request forwarded to the content server; \
                          104 HTTP/1.1 200 OK from the content server; \
                          147 HTTP/1.1 200 OK to the browser; 151 browser request arrives; \
                          167 request forwarded to the content server; \
                          178 HTTP/1.1 200 OK from the content server; \
                          212 HTTP/1.1 200 OK to the browser; \
                          212 response frame split into two capture fragments.",
            build: build_healthy,
        },
        Scenario {
            file_name: "arr-502-timeout.etl",
            description: "Receive timeout: the content server needs 45 s for \
                          /api/reports/monthly?year=2024 while ARR's WinHTTP receive timeout is \
                          30 s; WinHTTP fails with ERROR_WINHTTP_TIMEOUT (12002), the browser \
                          gets 502 (502.3), and the late answer is refused with a TCP RST. \
                          Key frames: 45 browser request arrives; \
                          90 request forwarded to the content server; \
                          104 HTTP/1.1 200 OK from the content server; \
                          147 HTTP/1.1 200 OK to the browser; 151 browser request arrives; \
                          167 request forwarded to the content server; \
                          195 WinHttp: sys-recver failed to receive headers; error = ? (1460); \
                          202 WinHttp: WSAETIMEDOUT mapped to ERROR_WINHTTP_TIMEOUT; \
                          209 WinHttp: returning ERROR_WINHTTP_TIMEOUT (12002) from \
                          WinHttpReceiveResponse(); \
                          210 WinHttpReceiveResponse fails with 12002; \
                          224 HTTP/1.1 502 Bad Gateway to the browser; \
                          224 response frame split into two capture fragments; \
                          240 late HTTP/1.1 200 OK from the content server (after 45 s); \
                          241 ARR answers the late data with TCP RST.",
            build: build_timeout,
        },
        Scenario {
            file_name: "arr-502-reset.etl",
            description: "Connection reset mid-response: the content server sends the headers and \
                          part of /api/export/orders.csv, then resets the connection; WebIO sees \
                          ERROR_NETNAME_DELETED (64), WinHttpReadData fails with \
                          ERROR_WINHTTP_CONNECTION_ERROR (12030) and the browser gets 502 (502.3). \
                          \
                          Key frames: 45 browser request arrives; \
                          90 request forwarded to the content server; \
                          104 HTTP/1.1 200 OK from the content server; \
                          147 HTTP/1.1 200 OK to the browser; 151 browser request arrives; \
                          167 request forwarded to the content server; \
                          178 HTTP/1.1 200 OK from the content server; \
                          205 TCP RST from the content server; \
                          209 WinHttp: ERROR_NETNAME_DELETED mapped to \
                          ERROR_WINHTTP_CONNECTION_ERROR; \
                          212 WinHttpReadData fails with 12030; \
                          224 HTTP/1.1 502 Bad Gateway to the browser; \
                          224 response frame split into two capture fragments.",
            build: build_reset,
        },
        Scenario {
            file_name: "arr-502-offline.etl",
            description: "Content server offline: ARR's SYNs to 10.0.0.21:80 go unanswered (two \
                          retransmissions), TCP gives up after 21 s with WSAETIMEDOUT (10060), \
                          WinHttpSendRequest fails with ERROR_WINHTTP_CANNOT_CONNECT (12029) and \
                          the browser gets 502 (502.3). \
                          Key frames: 45 browser request arrives; \
                          79 SYN to the content server (no answer); 80 SYN retransmission 1; \
                          87 SYN retransmission 2; 95 TCPIP: TcpConnectTcbTimeout; \
                          99 WebIO: connect failed with 10060; \
                          101 WinHttp: WSAETIMEDOUT mapped to ERROR_WINHTTP_CANNOT_CONNECT; \
                          103 WinHttpSendRequest fails with 12029; \
                          116 HTTP/1.1 502 Bad Gateway to the browser; \
                          116 response frame split into two capture fragments.",
            build: build_offline,
        },
    ]
}

/// Writes every sample into `dir` (created if missing) and returns the paths written.
/// Refuses, before writing anything, when a sample file exists and `force` is false.
pub fn write_all(dir: &Path, force: bool) -> io::Result<Vec<PathBuf>> {
    let all = scenarios();
    let paths: Vec<PathBuf> = all.iter().map(|s| dir.join(s.file_name)).collect();
    // symlink_metadata: a dangling symlink exists too (writing "through" it would create its
    // target outside `dir`).
    let exists = |p: &PathBuf| p.symlink_metadata().is_ok();
    if !force && let Some(existing) = paths.iter().find(|p| exists(p)) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} already exists; pass --force to overwrite the samples",
                existing.display()
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| with_path(e, "creating", dir))?;
    for (scenario, path) in all.iter().zip(&paths) {
        replace_file(dir, path, &(scenario.build)(), force)
            .map_err(|e| with_path(e, "writing", path))?;
    }
    Ok(paths)
}

/// Writes `bytes` to a temporary file in `dir` and renames it to `path`: never through a
/// symlink (the rename replaces the link itself), never half-written, and without `force`
/// never over a file created meanwhile. A new file gets 0666 minus the umask; a replaced
/// regular file keeps its mode.
fn replace_file(dir: &Path, path: &Path, bytes: &[u8], force: bool) -> io::Result<()> {
    use std::io::Write;
    let replaced = path.symlink_metadata().ok().filter(|m| m.is_file());
    let mut builder = tempfile::Builder::new();
    builder.prefix(".samplegen-").suffix(".partial");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder.tempfile_in(dir)?;
    if let Some(meta) = replaced {
        temp.as_file().set_permissions(meta.permissions())?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    let persisted = if force {
        temp.persist(path).map(drop)
    } else {
        temp.persist_noclobber(path).map(drop)
    };
    persisted.map_err(|e| e.error)
}

/// The same error, saying what was done to which path.
fn with_path(error: io::Error, doing: &str, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{doing} {}: {error}", path.display()))
}

/// Writes a large synthetic trace of exactly `events` records (the EventTrace header
/// included, so at least one) for benchmarks: the healthy ARR
/// story repeated with new connections and requests, uncompressed 64 KiB buffers (about
/// 210 bytes per event: ten million events make 2.1 GB, 5 million about 1 GB). The file is
/// built in memory (peak about the file size), then written.
pub fn large_trace(path: &Path, events: usize) -> io::Result<()> {
    let bytes = large::build(events)
        .map_err(|e| io::Error::other(format!("building the large trace: {e}")))?;
    std::fs::write(path, bytes).map_err(|e| with_path(e, "writing", path))
}
