//! Parquet export: one row per event with typed columns (see [`columns::SCHEMA`]), zstd
//! compressed, the trace's facts in the file's key-value metadata, row groups bounded in rows
//! and bytes so that memory stays flat on any trace size.
//!
//! The writer reads events through [`RowSource`] (one trace's rows by frame, with its source
//! file and computer passed in), so it does not depend on how the application holds traces.

pub mod columns;
mod source;

use std::io::Write;

use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::{Compression, ZstdLevel};
use ::parquet::file::metadata::KeyValue;
use ::parquet::file::properties::{EnabledStatistics, WriterProperties};
use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use rayon::prelude::*;

use super::EventRow;
pub use columns::{SCHEMA, filetime_to_unix_micros};
pub use source::source_info;

/// Rows built by one task (as the line formats' tasks).
const TASK_FRAMES: usize = 8192;
/// Rows built before they are handed to the (single-threaded) Parquet encoder.
const ROUND_FRAMES: usize = 8 * TASK_FRAMES;
/// Row group limits: whichever comes first.
const ROW_GROUP_ROWS: usize = 256 * 1024;
const ROW_GROUP_BYTES: usize = 64 << 20;

/// Packet columns of a captured frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketColumns {
    pub src: String,
    pub dst: String,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    /// `TCP`, `UDP`, `ICMP`, `ICMPv6`, `ARP`, or the IP protocol number.
    pub ip_proto: String,
}

/// Everything one Parquet row holds.
#[derive(Debug, Clone)]
pub struct SourceRow {
    /// Index of the row's trace in [`SourceInfo::sources`].
    pub source: usize,
    pub row: EventRow,
    /// UTC FILETIME (100 ns since 1601).
    pub filetime: i64,
    /// Who wrote the event (the `provider_key` column is `etlview info`'s provider key).
    pub provider: etl::ProviderId,
    pub keyword: u64,
    pub hook: Option<u16>,
    pub packet: Option<PacketColumns>,
}

/// Events as rows, each naming its trace: what the Parquet writer needs from the application.
pub trait RowSource: Sync {
    /// Number of frames (0-based frames `0..len`).
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The row of a frame; `None` when the frame cannot be read.
    fn source_row(&self, frame: usize) -> Option<SourceRow>;
}

/// Which traces the rows came from, and what is known about them.
#[derive(Debug, Clone, Default)]
pub struct SourceInfo {
    /// `(source_file, computer)` of each source, by [`SourceRow::source`].
    pub sources: Vec<(String, String)>,
    /// `etlview.*` facts (files, OS, clock, damage...) for the key-value metadata, in order.
    pub metadata: Vec<(String, String)>,
}

/// What a Parquet export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParquetSummary {
    pub rows: usize,
    pub row_groups: usize,
}

/// Why a Parquet export failed.
#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    #[error("Parquet encoding: {0}")]
    Parquet(#[from] ::parquet::errors::ParquetError),
    #[error("Arrow batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

fn properties(info: &SourceInfo) -> WriterProperties {
    let mut kv = vec![KeyValue::new(
        "etlview.version".to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    )];
    kv.extend(
        info.metadata
            .iter()
            .map(|(k, v)| KeyValue::new(format!("etlview.{k}"), v.clone())),
    );
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        // Chunk statistics let engines skip row groups (time ranges, pids); page-level ones
        // cost time and help little here.
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_key_value_metadata(Some(kv))
        .build()
}

/// Writes the events of `source` that `keep` accepts (by frame), in frame order, as one
/// Parquet file. `progress` hears how many frames were examined, once per task.
pub fn write_parquet<W: Write + Send>(
    source: &dyn RowSource,
    info: &SourceInfo,
    out: W,
    keep: &(dyn Fn(usize) -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ParquetSummary, ParquetError> {
    write_parquet_in(
        source,
        info,
        out,
        keep,
        progress,
        (TASK_FRAMES, ROUND_FRAMES),
    )
}

fn write_parquet_in<W: Write + Send>(
    source: &dyn RowSource,
    info: &SourceInfo,
    out: W,
    keep: &(dyn Fn(usize) -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
    (task_frames, round_frames): (usize, usize),
) -> Result<ParquetSummary, ParquetError> {
    let mut writer = ArrowWriter::try_new(out, SCHEMA.clone(), Some(properties(info)))?;
    let total = source.len();
    let mut rows = 0;
    let build_round = |round: usize| -> Vec<Result<RecordBatch, ArrowError>> {
        let end = (round + round_frames).min(total);
        (round..end)
            .step_by(task_frames.max(1))
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let frames = start..(start + task_frames).min(end);
                let mut batch = columns::BatchBuilder::new(&info.sources, frames.len());
                let examined = frames.len() as u64;
                for frame in frames.filter(|&f| keep(f)) {
                    if let Some(row) = source.source_row(frame) {
                        batch.push(&row);
                    }
                }
                progress(examined);
                batch.finish()
            })
            .collect()
    };
    let mut encode = |batches: Vec<Result<RecordBatch, ArrowError>>| -> Result<(), ParquetError> {
        for batch in batches {
            let batch = batch?;
            rows += batch.num_rows();
            if batch.num_rows() > 0 {
                writer.write(&batch)?;
            }
        }
        Ok(())
    };
    // The encoder (one thread) works on round N while the pool builds round N + 1.
    let mut built = None;
    for round in (0..total).step_by(round_frames.max(1)) {
        let mut next = None;
        let mut encoded = Ok(());
        rayon::in_place_scope(|scope| {
            scope.spawn(|_| next = Some(build_round(round)));
            if let Some(batches) = built.take() {
                encoded = encode(batches);
            }
        });
        encoded?;
        built = next;
    }
    if let Some(batches) = built {
        encode(batches)?;
    }
    let meta = writer.close()?;
    Ok(ParquetSummary {
        rows,
        row_groups: meta.num_row_groups(),
    })
}

#[cfg(test)]
mod tests;
