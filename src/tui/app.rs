//! The viewer's state. [`super::update::update`] changes it, [`super::render::render`] draws
//! it; nothing here touches the terminal, so tests drive it directly.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use ratatui::layout::Rect;

use super::columns::TimeFormat;
use super::input::{History, InputLine};
use super::layout::ScreenLayout;
use super::tree::{self, TreeLine};
use super::worker::Job;
use crate::fields::Detail;
use crate::filter::FilterError;
use crate::timeline::{ProcessSummary, ProviderSummary, Severity, Timeline};

/// The rows the table lists: every event, or the frames a filter kept (time order).
#[derive(Debug, Clone)]
pub enum Rows {
    All(usize),
    Filtered(Arc<Vec<u32>>),
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::All(n) => *n,
            Rows::Filtered(frames) => frames.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The 0-based frame shown at `row`.
    pub fn frame(&self, row: usize) -> Option<usize> {
        match self {
            Rows::All(n) => (row < *n).then_some(row),
            Rows::Filtered(frames) => frames.get(row).map(|&f| f as usize),
        }
    }

    /// The first row whose frame is `frame` or later.
    pub fn row_at_or_after(&self, frame: usize) -> usize {
        match self {
            Rows::All(n) => frame.min(*n),
            Rows::Filtered(frames) => frames.partition_point(|&f| (f as usize) < frame),
        }
    }

    /// The row showing exactly `frame`, if it is listed.
    pub fn row_of(&self, frame: usize) -> Option<usize> {
        let row = self.row_at_or_after(frame);
        (self.frame(row) == Some(frame)).then_some(row)
    }
}

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Table,
    Detail,
    Hex,
}

impl Pane {
    pub fn next(self) -> Pane {
        match self {
            Pane::Table => Pane::Detail,
            Pane::Detail => Pane::Hex,
            Pane::Hex => Pane::Table,
        }
    }
}

/// The input bar being typed in, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bar {
    None,
    Filter,
    Search,
    Goto,
}

/// A list view over the whole trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    Processes,
    Providers,
    /// Correlated WinHTTP requests (target, duration, outcome); Enter filters to their frames.
    Requests,
}

/// What is drawn over the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help { scroll: usize },
    View(ViewKind),
}

/// Opening progress, written by the loader thread and read when drawing.
#[derive(Debug, Default)]
pub struct LoadProgress {
    pub done: AtomicU64,
    pub total: AtomicU64,
}

/// A background filter or search: its id (stale results are dropped), the flag Esc sets,
/// and events examined so far.
#[derive(Debug, Clone)]
pub struct RunningJob {
    pub id: u64,
    pub cancel: Arc<AtomicBool>,
    pub progress: Arc<AtomicUsize>,
    pub total: usize,
}

impl RunningJob {
    /// Percentage done, 0-100.
    pub fn percent(&self) -> u64 {
        let done = self.progress.load(Ordering::Relaxed) as u64;
        (done.saturating_mul(100))
            .checked_div(self.total as u64)
            .unwrap_or(0)
            .min(100)
    }
}

#[derive(Debug, Default)]
pub struct FilterState {
    /// The filter the rows reflect ("" = none).
    pub applied: String,
    pub input: InputLine,
    /// Result of validating `input` as typed.
    pub error: Option<FilterError>,
    pub history: History,
    pub running: Option<(RunningJob, String)>,
    /// Validation is instant (the worker has built the field catalog); until then typing
    /// is not validated and Enter leaves the checking to the filter job.
    pub ready: bool,
}

#[derive(Debug, Default)]
pub struct SearchState {
    pub input: InputLine,
    /// Last text searched for (for `>`/`<`).
    pub last: String,
    /// Row selected when the bar opened: incremental search starts there, Esc returns there.
    pub origin: usize,
    pub running: Option<RunningJob>,
}

#[derive(Debug, Default)]
pub struct DetailState {
    /// Frame the detail below belongs to.
    pub frame: Option<usize>,
    pub detail: Option<Detail>,
    pub lines: Vec<TreeLine>,
    pub cursor: usize,
    pub collapsed: HashSet<String>,
    pub hex_scroll: usize,
}

#[derive(Debug, Default)]
pub struct ViewsState {
    pub processes: Option<Vec<ProcessSummary>>,
    pub providers: Option<Vec<ProviderSummary>>,
    /// Correlated WinHTTP requests.
    pub requests: Option<Vec<crate::analysis::correlate::Request>>,
    pub summaries_requested: bool,
    pub cursor: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Info(String),
    Error(String),
}

/// The whole viewer state.
pub struct App {
    pub file_name: String,
    pub session: Option<Arc<Timeline>>,
    pub load: Arc<LoadProgress>,
    /// The whole file could not be indexed: what is shown is the preview, for good.
    pub preview_only: bool,
    pub rows: Rows,
    /// Selected row (index into `rows`).
    pub selected: usize,
    /// First row drawn.
    pub offset: usize,
    pub focus: Pane,
    pub bar: Bar,
    pub overlay: Overlay,
    pub time_format: TimeFormat,
    pub filter: FilterState,
    pub search: SearchState,
    pub goto: InputLine,
    /// The command line's `-f EXPR`, applied when the trace is loaded.
    pub initial_filter: Option<String>,
    pub detail: DetailState,
    pub views: ViewsState,
    pub message: Option<Message>,
    /// Terminal size (for paging and mouse hit tests).
    pub screen: Rect,
    pub no_color: bool,
    /// Frames of failures and warnings, in time order (for `n`/`N` and the timeline).
    pub failures: Vec<u32>,
    pub warnings: Vec<u32>,
    pub first_filetime: i64,
    pub last_filetime: i64,
    next_job_id: u64,
    /// Jobs for the worker threads; the run loop takes them.
    pub outbox: Vec<Job>,
    pub quit: bool,
}

impl App {
    /// A viewer waiting for its session.
    pub fn loading(file_name: &str, screen: Rect, no_color: bool) -> App {
        App {
            file_name: etl::sanitize::for_terminal(file_name).into_owned(),
            session: None,
            load: Arc::new(LoadProgress::default()),
            preview_only: false,
            rows: Rows::All(0),
            selected: 0,
            offset: 0,
            focus: Pane::Table,
            bar: Bar::None,
            overlay: Overlay::None,
            time_format: TimeFormat::Absolute,
            filter: FilterState::default(),
            search: SearchState::default(),
            goto: InputLine::default(),
            initial_filter: None,
            // The decoded fields matter more than the header: it starts collapsed.
            detail: DetailState {
                collapsed: HashSet::from(["Header".to_string()]),
                ..DetailState::default()
            },
            views: ViewsState::default(),
            message: None,
            screen,
            no_color,
            failures: Vec::new(),
            warnings: Vec::new(),
            first_filetime: 0,
            last_filetime: 0,
            next_job_id: 0,
            outbox: Vec::new(),
            quit: false,
        }
    }

    /// A viewer over an opened session.
    pub fn with_session(
        file_name: &str,
        session: Arc<Timeline>,
        screen: Rect,
        no_color: bool,
    ) -> App {
        let mut app = App::loading(file_name, screen, no_color);
        app.set_session(session);
        app
    }

    /// Takes the opened session: all rows, failure marks, time range.
    pub fn set_session(&mut self, session: Arc<Timeline>) {
        let mut failures = Vec::new();
        let mut warnings = Vec::new();
        for &(frame, severity) in session.severity_marks() {
            match severity {
                Severity::Failure => failures.push(frame),
                Severity::Warning => warnings.push(frame),
            }
        }
        self.failures = failures;
        self.warnings = warnings;
        self.first_filetime = session.filetime(0).unwrap_or(0);
        self.last_filetime = session
            .len()
            .checked_sub(1)
            .and_then(|last| session.filetime(last))
            .unwrap_or(self.first_filetime);
        self.rows = Rows::All(session.len());
        self.session = Some(session);
        self.filter.ready = false;
        self.outbox.push(Job::PrepareFilter);
        self.selected = 0;
        self.offset = 0;
        self.sync_detail();
    }

    pub fn layout(&self) -> ScreenLayout {
        ScreenLayout::compute(self.screen, self)
    }

    /// Data rows that fit in the table.
    pub fn page_rows(&self) -> usize {
        usize::from(self.layout().table.height.saturating_sub(1)).max(1)
    }

    /// The 0-based frame under the cursor.
    pub fn selected_frame(&self) -> Option<usize> {
        self.rows.frame(self.selected)
    }

    /// Selects `row` (clamped), scrolls it into view and loads its details.
    pub fn select_row(&mut self, row: usize) {
        self.selected = row.min(self.rows.len().saturating_sub(1));
        self.scroll_into_view();
        self.sync_detail();
    }

    /// Keeps the selection inside the drawn window.
    pub fn scroll_into_view(&mut self) {
        let page = self.page_rows();
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset.saturating_add(page) {
            self.offset = self.selected + 1 - page;
        }
        let max_offset = self.rows.len().saturating_sub(page);
        self.offset = self.offset.min(max_offset);
    }

    /// Loads the detail of the selected event when the selection moved to another frame.
    /// One event is decoded, so this is cheap enough for the UI thread.
    pub fn sync_detail(&mut self) {
        let frame = self.selected_frame();
        if frame == self.detail.frame {
            return;
        }
        self.detail.frame = frame;
        self.detail.detail = match (&self.session, frame) {
            (Some(session), Some(frame)) => session.detail(frame),
            _ => None,
        };
        self.detail.hex_scroll = 0;
        self.rebuild_tree();
    }

    /// Recomputes the visible tree lines (after loading or expanding/collapsing).
    pub fn rebuild_tree(&mut self) {
        self.detail.lines = match &self.detail.detail {
            Some(detail) => tree::lines(detail, &self.detail.collapsed),
            None => Vec::new(),
        };
        self.detail.cursor = self
            .detail
            .cursor
            .min(self.detail.lines.len().saturating_sub(1));
    }

    /// A fresh job id with its cancel flag and progress counter.
    pub fn new_job(&mut self, total: usize) -> RunningJob {
        self.next_job_id += 1;
        RunningJob {
            id: self.next_job_id,
            cancel: Arc::new(AtomicBool::new(false)),
            progress: Arc::new(AtomicUsize::new(0)),
            total,
        }
    }

    /// UTC FILETIME of the event at `row`.
    pub fn filetime_of_row(&self, row: usize) -> Option<i64> {
        let session = self.session.as_ref()?;
        session.filetime(self.rows.frame(row)?)
    }

    /// Number of lines the open list view has.
    pub fn view_len(&self, kind: ViewKind) -> usize {
        match kind {
            ViewKind::Processes => self.views.processes.as_ref().map_or(0, Vec::len),
            ViewKind::Providers => self.views.providers.as_ref().map_or(0, Vec::len),
            ViewKind::Requests => self.views.requests.as_ref().map_or(0, Vec::len),
        }
    }

    /// True while any filter or search runs in the background.
    /// Something runs in the background whose progress the screen shows.
    pub fn busy(&self) -> bool {
        self.filter.running.is_some()
            || self.search.running.is_some()
            || (!self.preview_only && self.session.as_ref().is_some_and(|s| s.is_preview()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtered_rows_map_frames_both_ways() {
        let rows = Rows::Filtered(Arc::new(vec![2, 5, 9]));
        assert_eq!(rows.len(), 3);
        assert_eq!(rows.frame(1), Some(5));
        assert_eq!(rows.frame(3), None);
        assert_eq!(rows.row_at_or_after(6), 2);
        assert_eq!(rows.row_at_or_after(10), 3);
        assert_eq!(rows.row_of(9), Some(2));
        assert_eq!(rows.row_of(4), None);
        let all = Rows::All(4);
        assert_eq!(all.frame(3), Some(3));
        assert_eq!(all.frame(4), None);
        assert_eq!(all.row_of(7), None);
        assert!(Rows::All(0).is_empty());
    }

    #[test]
    fn job_percent_is_bounded() {
        let mut app = App::loading("x.etl", Rect::new(0, 0, 80, 24), true);
        let job = app.new_job(0);
        assert_eq!(job.percent(), 0);
        let job = app.new_job(200);
        job.progress.store(50, Ordering::Relaxed);
        assert_eq!(job.percent(), 25);
        job.progress.store(usize::MAX, Ordering::Relaxed);
        assert_eq!(job.percent(), 100);
        assert!(job.id > 1);
    }
}
