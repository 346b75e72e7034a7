//! Background work: opening the trace, filtering, searching and the list views' summaries.
//! Each job runs on its own thread and answers over an mpsc channel, so the UI thread never
//! waits; filters and searches poll a cancel flag that Esc sets.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;

use super::app::{LoadProgress, Rows, RunningJob};
use super::columns::{RowCells, TimeFormat};
use crate::filter::FilterError;
use crate::timeline::{ProcessSummary, ProviderSummary, Timeline, TimelineOptions};

/// Work for a background thread.
#[derive(Debug, Clone)]
pub enum Job {
    /// Run a filter over the whole trace.
    Filter { job: RunningJob, expr: String },
    /// Find the first row from `start` (inclusive; wrapping around) whose visible columns
    /// contain `needle` (lower-cased).
    Search {
        job: RunningJob,
        needle: String,
        rows: Rows,
        start: usize,
        backwards: bool,
        time_format: TimeFormat,
        first_filetime: i64,
    },
    /// Per-process and per-provider counts for the list views.
    Summaries,
    /// Builds what filter validation needs, so typing in the filter bar never waits.
    PrepareFilter,
}

/// A finished job.
pub enum Outcome {
    /// The first part of a large file, indexed quickly so that the first screen need not
    /// wait for the whole index; [`Outcome::Loaded`] follows with the whole file.
    Preview(Arc<Timeline>),
    Loaded(Result<Arc<Timeline>, String>),
    /// `Ok(None)`: cancelled.
    Filtered {
        id: u64,
        expr: String,
        result: Result<Option<Vec<u32>>, FilterError>,
    },
    /// The frame found (0-based), `None` when nothing matches or the search was cancelled.
    Searched {
        id: u64,
        found: Option<usize>,
        cancelled: bool,
    },
    Summaries {
        processes: Vec<ProcessSummary>,
        providers: Vec<ProviderSummary>,
        requests: Vec<crate::analysis::correlate::Request>,
    },
    /// Filters can now be validated without delay.
    FilterReady,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Preview(session) => write!(f, "Preview({} events)", session.len()),
            Outcome::Loaded(Ok(session)) => write!(f, "Loaded({} events)", session.len()),
            Outcome::Loaded(Err(e)) => write!(f, "Loaded(Err({e:?}))"),
            Outcome::Filtered { id, expr, result } => f
                .debug_struct("Filtered")
                .field("id", id)
                .field("expr", expr)
                .field("rows", &result.as_ref().map(|r| r.as_ref().map(Vec::len)))
                .finish(),
            Outcome::Searched {
                id,
                found,
                cancelled,
            } => f
                .debug_struct("Searched")
                .field("id", id)
                .field("found", found)
                .field("cancelled", cancelled)
                .finish(),
            Outcome::Summaries {
                processes,
                providers,
                requests,
            } => write!(
                f,
                "Summaries({} processes, {} providers, {} requests)",
                processes.len(),
                providers.len(),
                requests.len()
            ),
            Outcome::FilterReady => write!(f, "FilterReady"),
        }
    }
}

/// Rows a search thread takes at a time.
const SEARCH_CHUNK: usize = 4096;

/// Runs `job` to completion on the calling thread.
pub fn execute(job: Job, session: &Timeline) -> Outcome {
    match job {
        Job::Filter { job, expr } => {
            let progress = |done: usize| job.progress.store(done, Ordering::Relaxed);
            let result = session.filter(&expr, &job.cancel, &progress);
            Outcome::Filtered {
                id: job.id,
                expr,
                result,
            }
        }
        Job::Search {
            job,
            needle,
            rows,
            start,
            backwards,
            time_format,
            first_filetime,
        } => {
            let found = search_rows(
                session,
                &job,
                &needle,
                &rows,
                start,
                backwards,
                (time_format, first_filetime),
            );
            Outcome::Searched {
                id: job.id,
                found,
                cancelled: job.cancel.load(Ordering::Relaxed),
            }
        }
        Job::PrepareFilter => {
            // Validation needs the trace's field catalog, built on first use; build it here
            // rather than on the UI thread at the first keystroke.
            let _ = session.check_filter("Level == 0");
            Outcome::FilterReady
        }
        Job::Summaries => Outcome::Summaries {
            processes: session.processes(),
            providers: session.providers(),
            requests: crate::analysis::correlate::requests(session),
        },
    }
}

/// The first frame, walking the rows from `start` in the search direction (wrapping), whose
/// visible columns contain `needle`. Rows are examined in parallel but the first match in
/// walking order wins; `None` when nothing matches or the job was cancelled.
fn search_rows(
    session: &Timeline,
    job: &RunningJob,
    needle: &str,
    rows: &Rows,
    start: usize,
    backwards: bool,
    (time_format, first_filetime): (TimeFormat, i64),
) -> Option<usize> {
    use rayon::prelude::*;
    let total = rows.len();
    let start = start.checked_rem(total)?;
    let hit = (0..total)
        .into_par_iter()
        .with_min_len(SEARCH_CHUNK)
        .find_map_first(|step| {
            if job.cancel.load(Ordering::Relaxed) {
                return Some(None);
            }
            job.progress.fetch_add(1, Ordering::Relaxed);
            let row = if backwards {
                (start + total - step) % total
            } else {
                (start + step) % total
            };
            let frame = rows.frame(row)?;
            RowCells::of(session, frame, time_format, first_filetime)
                .is_some_and(|cells| cells.contains(needle))
                .then_some(Some(frame))
        });
    hit.flatten()
}

/// Runs `job` on a new thread and sends its outcome to `results`.
pub fn spawn(job: Job, session: Arc<Timeline>, results: Sender<Outcome>) {
    std::thread::spawn(move || {
        // The receiver is gone only when the viewer has quit; nothing is left to tell.
        let _ = results.send(execute(job, &session));
    });
}

/// Files larger than this are previewed from their first this-many bytes while the whole is
/// indexed (a fraction of a second of work even on a slow machine).
pub const PREVIEW_BYTES: u64 = 24 << 20;

/// Opens the traces on a new thread, reporting progress through `progress`.
pub fn spawn_loader(
    paths: Vec<PathBuf>,
    options: TimelineOptions,
    progress: Arc<LoadProgress>,
    results: Sender<Outcome>,
) {
    std::thread::spawn(move || {
        let report = |done: u64, total: u64| {
            progress.total.store(total, Ordering::Relaxed);
            progress.done.store(done, Ordering::Relaxed);
        };
        // A large file shows its first part at once while the whole file is indexed. A preview
        // that fails is no loss: the full open reports the problem. (Several files open whole:
        // a preview of one would hide the others.)
        if let [path] = paths.as_slice()
            && let Ok(Some(preview)) = Timeline::open_preview(path, options.clone(), PREVIEW_BYTES)
        {
            let _ = results.send(Outcome::Preview(Arc::new(preview)));
        }
        let opened = Timeline::open_all_with_progress(&paths, options, &report)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        let _ = results.send(Outcome::Loaded(opened));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::app::App;
    use crate::tui::fixtures;
    use ratatui::layout::Rect;

    fn search(app: &mut App, needle: &str, start: usize, backwards: bool) -> Option<usize> {
        let job = app.new_job(app.rows.len());
        let outcome = execute(
            Job::Search {
                job,
                needle: needle.to_lowercase(),
                rows: app.rows.clone(),
                start,
                backwards,
                time_format: TimeFormat::Offset,
                first_filetime: app.first_filetime,
            },
            app.session.as_ref().unwrap(),
        );
        match outcome {
            Outcome::Searched { found, .. } => found,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn search_wraps_in_both_directions() {
        let session = fixtures::session(fixtures::small_trace());
        let mut app = App::with_session("t.etl", session, Rect::new(0, 0, 80, 24), true);
        // The failure lines mention (12002): frames 10, 25 and 33.
        assert_eq!(search(&mut app, "(12002)", 0, false), Some(10));
        assert_eq!(search(&mut app, "(12002)", 11, false), Some(25));
        assert_eq!(search(&mut app, "(12002)", 34, false), Some(10));
        assert_eq!(search(&mut app, "(12002)", 24, true), Some(10));
        assert_eq!(search(&mut app, "no such text", 0, false), None);
        // Row 4 is pid 900: backwards finds row 3, forwards row 5.
        assert_eq!(search(&mut app, "1432/", 4, true), Some(3));
        assert_eq!(search(&mut app, "1432/", 4, false), Some(5));
        assert_eq!(search(&mut app, "900/", 0, true), Some(40));
        // Time offsets are searched as shown.
        assert_eq!(search(&mut app, "0.0000030", 0, false), Some(3));
    }

    #[test]
    fn cancelled_search_reports_it() {
        let session = fixtures::session(fixtures::small_trace());
        let mut app = App::with_session("t.etl", session.clone(), Rect::new(0, 0, 80, 24), true);
        let job = app.new_job(app.rows.len());
        job.cancel.store(true, Ordering::Relaxed);
        let outcome = execute(
            Job::Search {
                job,
                needle: "x".to_string(),
                rows: app.rows.clone(),
                start: 0,
                backwards: false,
                time_format: TimeFormat::Absolute,
                first_filetime: 0,
            },
            &session,
        );
        assert!(matches!(
            outcome,
            Outcome::Searched {
                found: None,
                cancelled: true,
                ..
            }
        ));
    }

    #[test]
    fn loader_reports_missing_files() {
        let (tx, rx) = std::sync::mpsc::channel();
        let progress = Arc::new(LoadProgress::default());
        spawn_loader(
            vec![PathBuf::from("/nonexistent/etlview-tui.etl")],
            TimelineOptions::default(),
            progress,
            tx,
        );
        match rx.recv() {
            Ok(Outcome::Loaded(Err(message))) => {
                assert!(message.contains("cannot read"), "{message}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
