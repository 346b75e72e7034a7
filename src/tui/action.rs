//! Everything the user can ask the viewer to do, and the one key map that binds keys to it.
//!
//! The help overlay (`?`) and the hint line are generated from [`BINDINGS`], so what the
//! screen says a key does is what it does.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A user intent. Keys, mouse events and terminal resizes become actions; [`super::update`]
/// applies them to the state. Actions that move or activate act on the focused pane or on the
/// overlay that is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Move the cursor one line down (event list, detail tree, hex dump, lists).
    Down,
    /// Move the cursor one line up.
    Up,
    /// Move one screen down.
    PageDown,
    /// Move one screen up.
    PageUp,
    /// Go to the first line.
    Top,
    /// Go to the last line.
    Bottom,
    /// Jump to the next failure (error-level event, failed call, error mapping).
    NextFailure,
    /// Jump to the previous failure.
    PrevFailure,
    /// Move the focus to the next pane (events, details, hex).
    NextPane,
    /// Expand or collapse the selected detail node; in a list, filter by the selected entry.
    Activate,
    /// Switch the time column between absolute UTC and seconds since the first event.
    ToggleTimeFormat,
    /// Open the filter bar (validated as you type; Enter applies).
    OpenFilter,
    /// Open the search bar (incremental search over the visible columns).
    OpenSearch,
    /// Open the go-to bar: a frame number, `+seconds`, `HH:MM:SS` or a full UTC time.
    OpenGoto,
    /// Find the next row matching the last search.
    SearchNext,
    /// Find the previous row matching the last search.
    SearchPrev,
    /// Add the selected detail field to the filter (AND), as Network Monitor's "Add to filter".
    AddToFilter,
    /// Show events, time range and failures per process.
    ShowProcesses,
    /// Show events per provider and event id.
    ShowProviders,
    /// Show WinHTTP requests (target, duration, outcome).
    ShowRequests,
    /// Show or hide this help.
    ToggleHelp,
    /// Close the bar or overlay; cancel a running filter or search.
    Cancel,
    /// Quit the viewer.
    Quit,
    /// Type a character into the open bar.
    Insert(char),
    /// Delete the character before the cursor.
    DeleteBack,
    /// Delete the character under the cursor.
    DeleteForward,
    /// Move the text cursor left.
    CursorLeft,
    /// Move the text cursor right.
    CursorRight,
    /// Move the text cursor to the start.
    CursorHome,
    /// Move the text cursor to the end.
    CursorEnd,
    /// Clear the bar.
    ClearInput,
    /// Complete the field name before the cursor (filter bar).
    Complete,
    /// Show the previous filter from the history.
    HistoryOlder,
    /// Show the next filter from the history.
    HistoryNewer,
    /// Apply what was typed in the bar.
    Submit,
    /// Mouse wheel: scroll the pane under the pointer by this many lines (negative = up).
    Scroll { column: u16, row: u16, lines: i16 },
    /// Mouse click: select what is under the pointer.
    Click { column: u16, row: u16 },
    /// The terminal changed size.
    Resize { width: u16, height: u16 },
}

impl Action {
    /// One-line description for the help overlay.
    pub fn description(&self) -> &'static str {
        match self {
            Action::Down => "down one line",
            Action::Up => "up one line",
            Action::PageDown => "down one screen",
            Action::PageUp => "up one screen",
            Action::Top => "first line",
            Action::Bottom => "last line",
            Action::NextFailure => "next failure",
            Action::PrevFailure => "previous failure",
            Action::NextPane => "next pane (events, details, hex)",
            Action::Activate => "expand/collapse; in a list: filter by it",
            Action::ToggleTimeFormat => "time: absolute UTC / offset",
            Action::OpenFilter => "filter (validated as you type)",
            Action::OpenSearch => "search the visible columns",
            Action::OpenGoto => "go to frame, +seconds or time",
            Action::SearchNext => "next search match",
            Action::SearchPrev => "previous search match",
            Action::AddToFilter => "details: add field to filter (AND)",
            Action::ShowProcesses => "processes view",
            Action::ShowProviders => "providers view",
            Action::ShowRequests => "WinHTTP requests view",
            Action::ToggleHelp => "this help",
            Action::Cancel => "close; cancel a running filter",
            Action::Quit => "quit",
            Action::Insert(_) => "type",
            Action::DeleteBack => "delete before cursor",
            Action::DeleteForward => "delete under cursor",
            Action::CursorLeft => "cursor left",
            Action::CursorRight => "cursor right",
            Action::CursorHome => "cursor to start",
            Action::CursorEnd => "cursor to end",
            Action::ClearInput => "clear the line",
            Action::Complete => "complete the field name",
            Action::HistoryOlder => "older filter from history",
            Action::HistoryNewer => "newer filter from history",
            Action::Submit => "apply",
            Action::Scroll { .. } => "scroll",
            Action::Click { .. } => "select",
            Action::Resize { .. } => "resize",
        }
    }
}

/// Which set of bindings is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// Browsing the event list, details or hex dump.
    Browse,
    /// Typing in the filter, search or go-to bar.
    Input,
    /// A list view or the help overlay is open.
    Overlay,
}

impl KeyMode {
    pub fn title(self) -> &'static str {
        match self {
            KeyMode::Browse => "Browsing",
            KeyMode::Input => "Filter, search and go-to bars",
            KeyMode::Overlay => "Lists and help",
        }
    }
}

/// A key with the modifiers that matter (Ctrl only; Shift is in the character itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    const fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    const fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }

    /// How the key is written in help and hints.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::Backspace => "Bksp".to_string(),
            KeyCode::Delete => "Del".to_string(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        self.code == event.code && self.ctrl == event.modifiers.contains(KeyModifiers::CONTROL)
    }
}

/// Keys bound to an action in one mode; `hint` puts it on the hint line with that label.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub mode: KeyMode,
    pub keys: &'static [Key],
    pub action: Action,
    pub hint: Option<&'static str>,
}

const fn bind(mode: KeyMode, keys: &'static [Key], action: Action) -> Binding {
    Binding {
        mode,
        keys,
        action,
        hint: None,
    }
}

const fn hinted(
    mode: KeyMode,
    keys: &'static [Key],
    action: Action,
    hint: &'static str,
) -> Binding {
    Binding {
        mode,
        keys,
        action,
        hint: Some(hint),
    }
}

use KeyMode::{Browse, Input, Overlay};

/// The key map. Ctrl-C always quits (handled before this table, so it works in every mode).
pub const BINDINGS: &[Binding] = &[
    bind(
        Browse,
        &[Key::char('j'), Key::plain(KeyCode::Down)],
        Action::Down,
    ),
    bind(
        Browse,
        &[Key::char('k'), Key::plain(KeyCode::Up)],
        Action::Up,
    ),
    bind(
        Browse,
        &[
            Key::plain(KeyCode::PageDown),
            Key::ctrl('f'),
            Key::char(' '),
        ],
        Action::PageDown,
    ),
    bind(
        Browse,
        &[Key::plain(KeyCode::PageUp), Key::ctrl('b')],
        Action::PageUp,
    ),
    bind(
        Browse,
        &[Key::char('g'), Key::plain(KeyCode::Home)],
        Action::Top,
    ),
    bind(
        Browse,
        &[Key::char('G'), Key::plain(KeyCode::End)],
        Action::Bottom,
    ),
    hinted(Browse, &[Key::char('n')], Action::NextFailure, "failure"),
    bind(Browse, &[Key::char('N')], Action::PrevFailure),
    hinted(
        Browse,
        &[Key::plain(KeyCode::Tab)],
        Action::NextPane,
        "pane",
    ),
    bind(Browse, &[Key::plain(KeyCode::Enter)], Action::Activate),
    hinted(Browse, &[Key::char('t')], Action::ToggleTimeFormat, "time"),
    hinted(Browse, &[Key::char('f')], Action::OpenFilter, "filter"),
    hinted(Browse, &[Key::char('/')], Action::OpenSearch, "search"),
    hinted(Browse, &[Key::char(':')], Action::OpenGoto, "go to"),
    bind(Browse, &[Key::char('>')], Action::SearchNext),
    bind(Browse, &[Key::char('<')], Action::SearchPrev),
    bind(Browse, &[Key::char('a')], Action::AddToFilter),
    hinted(
        Browse,
        &[Key::char('p')],
        Action::ShowProcesses,
        "processes",
    ),
    bind(Browse, &[Key::char('P')], Action::ShowProviders),
    bind(Browse, &[Key::char('r')], Action::ShowRequests),
    hinted(Browse, &[Key::char('?')], Action::ToggleHelp, "help"),
    bind(Browse, &[Key::plain(KeyCode::Esc)], Action::Cancel),
    hinted(Browse, &[Key::char('q')], Action::Quit, "quit"),
    hinted(
        Input,
        &[Key::plain(KeyCode::Enter)],
        Action::Submit,
        "apply",
    ),
    hinted(Input, &[Key::plain(KeyCode::Esc)], Action::Cancel, "cancel"),
    hinted(
        Input,
        &[Key::plain(KeyCode::Up), Key::ctrl('p')],
        Action::HistoryOlder,
        "history",
    ),
    bind(
        Input,
        &[Key::plain(KeyCode::Down), Key::ctrl('n')],
        Action::HistoryNewer,
    ),
    hinted(
        Input,
        &[Key::plain(KeyCode::Tab)],
        Action::Complete,
        "complete",
    ),
    bind(Input, &[Key::plain(KeyCode::Backspace)], Action::DeleteBack),
    bind(
        Input,
        &[Key::plain(KeyCode::Delete), Key::ctrl('d')],
        Action::DeleteForward,
    ),
    bind(Input, &[Key::plain(KeyCode::Left)], Action::CursorLeft),
    bind(Input, &[Key::plain(KeyCode::Right)], Action::CursorRight),
    bind(
        Input,
        &[Key::plain(KeyCode::Home), Key::ctrl('a')],
        Action::CursorHome,
    ),
    bind(
        Input,
        &[Key::plain(KeyCode::End), Key::ctrl('e')],
        Action::CursorEnd,
    ),
    bind(Input, &[Key::ctrl('u')], Action::ClearInput),
    bind(
        Overlay,
        &[Key::char('j'), Key::plain(KeyCode::Down)],
        Action::Down,
    ),
    bind(
        Overlay,
        &[Key::char('k'), Key::plain(KeyCode::Up)],
        Action::Up,
    ),
    bind(Overlay, &[Key::plain(KeyCode::PageDown)], Action::PageDown),
    bind(Overlay, &[Key::plain(KeyCode::PageUp)], Action::PageUp),
    bind(
        Overlay,
        &[Key::char('g'), Key::plain(KeyCode::Home)],
        Action::Top,
    ),
    bind(
        Overlay,
        &[Key::char('G'), Key::plain(KeyCode::End)],
        Action::Bottom,
    ),
    hinted(
        Overlay,
        &[Key::plain(KeyCode::Enter)],
        Action::Activate,
        "filter by it",
    ),
    hinted(
        Overlay,
        &[Key::plain(KeyCode::Esc), Key::char('?')],
        Action::Cancel,
        "close",
    ),
    bind(Overlay, &[Key::char('p')], Action::ShowProcesses),
    bind(Overlay, &[Key::char('P')], Action::ShowProviders),
    bind(Overlay, &[Key::char('r')], Action::ShowRequests),
    hinted(Overlay, &[Key::char('q')], Action::Quit, "quit"),
];

/// The action a key press asks for in `mode`, if any. Key releases are ignored (Windows
/// terminals report them); Ctrl-C quits everywhere; in the bars, other printable characters
/// are typed.
pub fn action_for_key(mode: KeyMode, event: &KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    if event.code == KeyCode::Char('c') && event.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Action::Quit);
    }
    let bound = BINDINGS
        .iter()
        .filter(|b| b.mode == mode)
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action);
    if bound.is_some() {
        return bound;
    }
    match (mode, event.code) {
        (KeyMode::Input, KeyCode::Char(c))
            if !event
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(Action::Insert(c))
        }
        _ => None,
    }
}

/// The keys of `mode` joined as `j/↓`, for help and hints.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(Key::label)
        .collect::<Vec<_>>()
        .join("/")
}

/// `(keys, label)` pairs for the hint line of `mode`.
pub fn hints(mode: KeyMode) -> Vec<(String, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.mode == mode)
        .filter_map(|b| {
            b.hint
                .map(|h| (b.keys.first().map(Key::label).unwrap_or_default(), h))
        })
        .collect()
}

/// `(keys, description)` lines of the help overlay, grouped by mode.
pub fn help_sections() -> Vec<(KeyMode, Vec<(String, &'static str)>)> {
    [KeyMode::Browse, KeyMode::Input, KeyMode::Overlay]
        .into_iter()
        .map(|mode| {
            let mut lines: Vec<(String, &'static str)> = BINDINGS
                .iter()
                .filter(|b| b.mode == mode)
                .map(|b| (keys_label(b), b.action.description()))
                .collect();
            if mode == KeyMode::Browse {
                lines.push(("wheel/click".to_string(), "scroll / select a row"));
                lines.push(("Ctrl-c".to_string(), Action::Quit.description()));
            }
            (mode, lines)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn browse_keys_map_to_their_actions() {
        let none = KeyModifiers::NONE;
        let browse = |code| action_for_key(KeyMode::Browse, &key(code, none));
        assert_eq!(browse(KeyCode::Char('j')), Some(Action::Down));
        assert_eq!(browse(KeyCode::Down), Some(Action::Down));
        assert_eq!(browse(KeyCode::Char('G')), Some(Action::Bottom));
        assert_eq!(browse(KeyCode::Char('n')), Some(Action::NextFailure));
        assert_eq!(browse(KeyCode::Char('N')), Some(Action::PrevFailure));
        assert_eq!(browse(KeyCode::Char('P')), Some(Action::ShowProviders));
        assert_eq!(browse(KeyCode::Char('x')), None);
        assert_eq!(
            action_for_key(
                KeyMode::Browse,
                &key(KeyCode::Char('f'), KeyModifiers::CONTROL)
            ),
            Some(Action::PageDown)
        );
    }

    #[test]
    fn input_mode_types_characters_and_ctrl_c_always_quits() {
        let typed = action_for_key(
            KeyMode::Input,
            &key(KeyCode::Char('q'), KeyModifiers::SHIFT),
        );
        assert_eq!(typed, Some(Action::Insert('q')));
        assert_eq!(
            action_for_key(KeyMode::Input, &key(KeyCode::Up, KeyModifiers::NONE)),
            Some(Action::HistoryOlder)
        );
        for mode in [KeyMode::Browse, KeyMode::Input, KeyMode::Overlay] {
            assert_eq!(
                action_for_key(mode, &key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
                Some(Action::Quit)
            );
        }
        let mut release = key(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for_key(KeyMode::Browse, &release), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_one_mode() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in BINDINGS.iter().skip(i + 1).filter(|b| b.mode == a.mode) {
                for k in a.keys {
                    assert!(
                        !b.keys.contains(k),
                        "{k:?} bound to {:?} and {:?}",
                        a.action,
                        b.action
                    );
                }
            }
        }
    }

    #[test]
    fn help_lists_every_binding_with_its_description() {
        let sections = help_sections();
        let browse = &sections[0].1;
        assert!(browse.contains(&("n".to_string(), "next failure")));
        assert!(browse.contains(&("j/↓".to_string(), "down one line")));
        let listed: usize = sections.iter().map(|(_, lines)| lines.len()).sum();
        assert_eq!(listed, BINDINGS.len() + 2);
        assert_eq!(hints(KeyMode::Input)[0], ("Enter".to_string(), "apply"));
    }
}
