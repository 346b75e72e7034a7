//! Filtering a timeline: compiling filters against its catalog and running them over every
//! event on all cores (the header-row fast path when a filter reads only header fields).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::filter::{self, FilterError};
use crate::timeline::Timeline;

impl Timeline {
    /// Parses and compiles a filter for this trace.
    pub fn compile_filter(&self, expr: &str) -> Result<filter::Compiled, FilterError> {
        let parsed = filter::parse(expr)?;
        filter::compile(&parsed, self.catalog())
    }

    /// Validates a filter expression without running it (for live validation as you type).
    pub fn check_filter(&self, expr: &str) -> Result<(), FilterError> {
        if expr.trim().is_empty() {
            return Ok(());
        }
        self.compile_filter(expr).map(|_| ())
    }

    /// Frames (0-based, time order) matching `expr`; an empty expression matches everything.
    /// Polls `cancel` and returns `Ok(None)` when it is set; reports progress as the number of
    /// events examined so far.
    pub fn filter(
        &self,
        expr: &str,
        cancel: &AtomicBool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Option<Vec<u32>>, FilterError> {
        if expr.trim().is_empty() {
            progress(self.len());
            return Ok(Some((0..self.len() as u32).collect()));
        }
        let compiled = self.compile_filter(expr)?;
        Ok(self.run_filter(&compiled, cancel, progress))
    }

    /// Runs a compiled filter over every event, on all cores, in chunks.
    pub fn run_filter(
        &self,
        compiled: &filter::Compiled,
        cancel: &AtomicBool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Option<Vec<u32>> {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 16;
        let per_provider = |node: &filter::compile::Node| -> Vec<bool> {
            self.columns()
                .providers
                .iter()
                .map(|slot| {
                    self.event(slot.first_frame as usize)
                        .is_some_and(|e| filter::eval::node_matches(self, e, node))
                })
                .collect()
        };
        if let Some(fast) = filter::fast::lower(&compiled.root, &per_provider) {
            let rows = &self.columns().rows;
            let chunks: Vec<Option<Vec<u32>>> = rows
                .par_chunks(CHUNK)
                .enumerate()
                .map(|(c, chunk)| {
                    if cancel.load(Ordering::Relaxed) {
                        return None;
                    }
                    let base = c * CHUNK;
                    let hits = chunk
                        .iter()
                        .enumerate()
                        .filter(|(i, row)| fast.matches(row, base + i))
                        .map(|(i, _)| (base + i) as u32)
                        .collect();
                    progress(base + chunk.len());
                    Some(hits)
                })
                .collect();
            let mut out = Vec::new();
            for c in chunks {
                out.extend(c?);
            }
            return Some(out);
        }
        let done = std::sync::atomic::AtomicUsize::new(0);
        let chunks: Vec<Option<Vec<u32>>> = (0..self.len().div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let start = c * CHUNK;
                let end = (start + CHUNK).min(self.len());
                let hits = (start..end)
                    .filter(|&f| self.event(f).is_some_and(|e| compiled.matches(self, e)))
                    .map(|f| f as u32)
                    .collect();
                progress(done.fetch_add(end - start, Ordering::Relaxed) + end - start);
                Some(hits)
            })
            .collect();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(c?);
        }
        Some(out)
    }
}
