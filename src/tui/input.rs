//! A one-line text editor for the filter, search and go-to bars, with a history for the
//! filter bar (Up/Down as in a shell).

/// Text being typed plus a cursor counted in characters (not bytes), so editing never splits
/// a multi-byte character.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputLine {
    text: String,
    cursor: usize,
}

impl InputLine {
    pub fn new(text: &str) -> InputLine {
        InputLine {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Cursor position in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Replaces the text and puts the cursor at its end.
    pub fn set(&mut self, text: &str) {
        *self = InputLine::new(text);
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(at, _)| at)
    }

    pub fn insert(&mut self, c: char) {
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor = self.cursor.saturating_add(1);
    }

    /// Deletes the character before the cursor (Backspace).
    pub fn delete_back(&mut self) {
        if self.cursor == 0 {
            return;
        }
        self.cursor -= 1;
        let at = self.byte_at(self.cursor);
        self.text.remove(at);
    }

    /// Deletes the character under the cursor (Delete).
    pub fn delete_forward(&mut self) {
        let at = self.byte_at(self.cursor);
        if at < self.text.len() {
            self.text.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.text.chars().count());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.text.chars().count();
    }

    /// The word being typed before the cursor (a field name: letters, digits, `.`, `_`,
    /// `:`, `#`), as (start in characters, text).
    pub fn word_before_cursor(&self) -> (usize, String) {
        let chars: Vec<char> = self.text.chars().take(self.cursor).collect();
        let is_name = |c: &char| c.is_alphanumeric() || matches!(c, '.' | '_' | ':' | '#');
        let start = chars.len() - chars.iter().rev().take_while(|c| is_name(c)).count();
        (start, chars[start..].iter().collect())
    }

    /// Completes the word before the cursor from `candidates` (names that start with it, any
    /// case): one candidate replaces the word; several extend it to their longest common
    /// prefix. Returns the candidates (for the caller to show when there are several).
    pub fn complete(&mut self, candidates: &[String]) -> Vec<String> {
        let (start, word) = self.word_before_cursor();
        let lower = word.to_lowercase();
        let mut matching: Vec<String> = candidates
            .iter()
            .filter(|c| c.to_lowercase().starts_with(&lower))
            .cloned()
            .collect();
        matching.sort_unstable_by_key(|c| c.to_lowercase());
        matching.dedup_by_key(|c| c.to_lowercase());
        let replacement = match matching.as_slice() {
            [] => return matching,
            [one] => one.clone(),
            [first, rest @ ..] => {
                let mut common: Vec<char> = first.chars().collect();
                for other in rest {
                    let same = common
                        .iter()
                        .zip(other.chars())
                        .take_while(|(a, b)| a.to_lowercase().eq(b.to_lowercase()))
                        .count();
                    common.truncate(same);
                }
                if common.len() <= word.chars().count() {
                    return matching;
                }
                common.into_iter().collect()
            }
        };
        let from = self.byte_at(start);
        let to = self.byte_at(self.cursor);
        self.text.replace_range(from..to, &replacement);
        self.cursor = start + replacement.chars().count();
        matching
    }
}

/// Past entries, oldest first, with a browsing position while Up/Down walk through them.
#[derive(Debug, Clone, Default)]
pub struct History {
    entries: Vec<String>,
    /// Index into `entries` while browsing; `None` while editing a fresh draft.
    browsing: Option<usize>,
    /// What was typed before browsing started, restored when walking past the newest entry.
    draft: String,
}

/// Entries kept; older ones are dropped.
const HISTORY_LIMIT: usize = 100;

impl History {
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Records an applied entry (not blank, not a repeat of the newest) and stops browsing.
    pub fn push(&mut self, entry: &str) {
        self.browsing = None;
        if entry.trim().is_empty() || self.entries.last().is_some_and(|last| last == entry) {
            return;
        }
        self.entries.push(entry.to_string());
        if self.entries.len() > HISTORY_LIMIT {
            self.entries.remove(0);
        }
    }

    /// Stops browsing (the bar was closed or reopened).
    pub fn reset(&mut self) {
        self.browsing = None;
    }

    /// The entry before the one shown (Up); `current` is saved as the draft on the first step.
    pub fn older(&mut self, current: &str) -> Option<&str> {
        let next = match self.browsing {
            None => {
                self.draft = current.to_string();
                let newest = self.entries.len().checked_sub(1)?;
                // The bar opens showing the applied filter, usually the newest entry: the
                // first Up should bring something different.
                match self.entries.get(newest) {
                    Some(entry) if entry == current && newest > 0 => newest - 1,
                    _ => newest,
                }
            }
            Some(0) => 0,
            Some(at) => at - 1,
        };
        self.browsing = Some(next);
        self.entries.get(next).map(String::as_str)
    }

    /// The entry after the one shown (Down); past the newest, the saved draft.
    pub fn newer(&mut self) -> Option<&str> {
        let at = self.browsing?;
        if at + 1 < self.entries.len() {
            self.browsing = Some(at + 1);
            self.entries.get(at + 1).map(String::as_str)
        } else {
            self.browsing = None;
            Some(self.draft.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_completes_the_word_before_the_cursor() {
        let names: Vec<String> = ["UTProcessName", "ProcessId", "ProcessName", "TCP.Port"]
            .map(String::from)
            .to_vec();
        let mut line = InputLine::new("utp");
        assert_eq!(line.complete(&names), ["UTProcessName"]);
        assert_eq!(line.text(), "UTProcessName");
        // Several: the common prefix, in the candidates' case.
        let mut line = InputLine::new("Level == 2 AND proc");
        assert_eq!(line.complete(&names).len(), 2);
        assert_eq!(line.text(), "Level == 2 AND Process");
        // Text after the cursor stays.
        let mut line = InputLine::new("tcp.p == 80");
        line.home();
        for _ in 0..5 {
            line.right();
        }
        line.complete(&names);
        assert_eq!(line.text(), "TCP.Port == 80");
        assert_eq!(line.cursor(), 8);
        // Nothing matching: unchanged.
        let mut line = InputLine::new("zzz");
        assert!(line.complete(&names).is_empty());
        assert_eq!(line.text(), "zzz");
    }

    #[test]
    fn editing_counts_characters_not_bytes() {
        let mut line = InputLine::new("é日");
        assert_eq!(line.cursor(), 2);
        line.left();
        line.insert('x');
        assert_eq!(line.text(), "éx日");
        line.delete_back();
        line.delete_back();
        assert_eq!(line.text(), "日");
        assert_eq!(line.cursor(), 0);
        line.delete_back();
        assert_eq!(line.text(), "日");
        line.delete_forward();
        assert_eq!(line.text(), "");
        line.delete_forward();
        line.right();
        assert_eq!(line.cursor(), 0);
        line.set("abc");
        line.home();
        line.right();
        line.insert('-');
        assert_eq!(line.text(), "a-bc");
        line.end();
        assert_eq!(line.cursor(), 4);
    }

    #[test]
    fn history_walks_back_and_restores_the_draft() {
        let mut history = History::default();
        history.push("Level == 2");
        history.push("Level == 2");
        history.push("  ");
        history.push("Pid == 4");
        assert_eq!(history.entries(), ["Level == 2", "Pid == 4"]);
        assert_eq!(history.older("draft"), Some("Pid == 4"));
        assert_eq!(history.older("ignored"), Some("Level == 2"));
        assert_eq!(history.older("ignored"), Some("Level == 2"));
        assert_eq!(history.newer(), Some("Pid == 4"));
        assert_eq!(history.newer(), Some("draft"));
        assert_eq!(history.newer(), None);
        // Opening on the newest entry skips it.
        assert_eq!(history.older("Pid == 4"), Some("Level == 2"));
        assert_eq!(history.newer(), Some("Pid == 4"));
        assert_eq!(history.newer(), Some("Pid == 4"));
    }

    #[test]
    fn history_is_bounded_and_empty_history_gives_nothing() {
        let mut history = History::default();
        assert_eq!(history.older("x"), None);
        for i in 0..150 {
            history.push(&format!("Pid == {i}"));
        }
        assert_eq!(history.entries().len(), HISTORY_LIMIT);
        assert_eq!(
            history.entries().first().map(String::as_str),
            Some("Pid == 50")
        );
    }
}
