//! Line-format export on every core: events are filtered, decoded and formatted a slice of
//! frames per task, and the slices are written in time order. Output is byte-for-byte what a
//! single [`RowWriter`] writing row after row produces.

use std::io::{self, Write};

use rayon::prelude::*;

use super::formats::{Format, RowWriter};
use crate::timeline::Timeline;
use etl::Event;

/// Frames formatted by one task (small enough to balance, large enough to amortise).
const TASK_FRAMES: usize = 2048;
/// Frames formatted before their text is written out (bounds the text held in memory).
const ROUND_FRAMES: usize = 32 * TASK_FRAMES;

/// Writes every event that `keep` accepts, in time order, as `format` rows (CSV with its header
/// row). `progress` hears how many frames were examined, once per task. Returns how many events
/// were written.
pub fn write_rows<W: Write>(
    session: &Timeline,
    format: Format,
    out: W,
    keep: &(dyn Fn(Event<'_>) -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> io::Result<usize> {
    let sizes = (TASK_FRAMES, ROUND_FRAMES);
    write_rows_in(session, format, out, keep, progress, sizes)
}

fn write_rows_in<W: Write>(
    session: &Timeline,
    format: Format,
    out: W,
    keep: &(dyn Fn(Event<'_>) -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
    (task_frames, round_frames): (usize, usize),
) -> io::Result<usize> {
    let several = session.sources().len() > 1;
    let mut writer = RowWriter::new_for(format, out, several)?.into_inner()?;
    let total = session.len();
    let mut written = 0;
    for round in (0..total).step_by(round_frames) {
        let end = (round + round_frames).min(total);
        let parts: Vec<io::Result<(Vec<u8>, usize)>> = (round..end)
            .step_by(task_frames)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let frames = start..(start + task_frames).min(end);
                let examined = frames.len() as u64;
                let part = format_frames(session, format, frames, keep);
                progress(examined);
                part
            })
            .collect();
        for part in parts {
            let (bytes, rows) = part?;
            writer.write_all(&bytes)?;
            written += rows;
        }
    }
    writer.flush()?;
    Ok(written)
}

fn format_frames(
    session: &Timeline,
    format: Format,
    frames: std::ops::Range<usize>,
    keep: &(dyn Fn(Event<'_>) -> bool + Sync),
) -> io::Result<(Vec<u8>, usize)> {
    let mut rows = RowWriter::headerless(format, Vec::with_capacity(frames.len() * 256));
    let mut count = 0;
    for frame in frames {
        if let Some(event) = session.event(frame).filter(|e| keep(*e)) {
            rows.write(&session.row_of(&event))?;
            count += 1;
        }
    }
    Ok((rows.into_inner()?, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::TimelineOptions;

    fn session() -> (tempfile::TempDir, Timeline) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.etl");
        samplegen::large_trace(&path, 3_000).unwrap();
        let session = Timeline::open(&path, TimelineOptions::default()).unwrap();
        (dir, session)
    }

    /// Row after row with one writer: the reference output.
    fn sequential(session: &Timeline, format: Format, keep: impl Fn(Event<'_>) -> bool) -> Vec<u8> {
        let mut w = RowWriter::new(format, Vec::new()).unwrap();
        for e in session.events().filter(|e| keep(*e)) {
            w.write(&session.row_of(&e)).unwrap();
        }
        w.into_inner().unwrap()
    }

    #[test]
    fn parallel_output_is_the_sequential_output() {
        let (_dir, session) = session();
        let odd = |e: Event<'_>| e.frame % 3 != 1;
        for format in [Format::Csv, Format::Jsonl, Format::Text] {
            let mut out = Vec::new();
            let examined = std::sync::atomic::AtomicU64::new(0);
            let count = |k| {
                examined.fetch_add(k, std::sync::atomic::Ordering::Relaxed);
            };
            // Small tasks and rounds, so that the test crosses many of both.
            let n = write_rows_in(&session, format, &mut out, &odd, &count, (37, 500)).unwrap();
            let expected = sequential(&session, format, odd);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(expected).unwrap()
            );
            assert_eq!(n, session.events().filter(|e| odd(*e)).count());
            assert_eq!(examined.into_inner(), session.len() as u64);
        }
    }
}
