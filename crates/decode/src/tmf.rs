//! WPP trace message format (TMF) files: the formats that turn a WPP message record (message
//! GUID + message number + packed argument bytes) into text.
//!
//! [`TmfSet::load_dir`] reads every `*.tmf` under a directory, [`TmfSet::lookup`] finds the
//! [`MessageFormat`] for a record, and [`MessageFormat::render`] decodes the arguments and
//! fills the format string. Nothing here panics on bad input: a malformed TMF line is reported
//! as a [`TmfError`] and skipped; a payload that does not match its format renders what it can
//! and says why in [`Rendered::error`].

mod args;
mod item;
mod parse;
mod printf;
mod render;

pub use args::{ArgProblem, TmfValue};
pub use item::ItemType;
pub use render::RenderError;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use uuid::Uuid;

/// Bigger files are refused: real TMF files are kilobytes to a few megabytes.
const MAX_FILE_BYTES: u64 = 64 << 20;
/// How deep [`TmfSet::load_dir`] descends into subdirectories.
const MAX_DIR_DEPTH: usize = 16;

/// A problem with one TMF file or line; the rest of the input still loads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TmfError {
    #[error("{path}: cannot read TMF file: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: cannot list TMF directory: {reason}")]
    ReadDir { path: String, reason: String },
    #[error("{file} line {line}: {problem}")]
    Line {
        file: String,
        line: usize,
        problem: LineProblem,
    },
    #[error(
        "{file} line {line}: message {guid} #{number} is already defined differently at {first}; keeping that one"
    )]
    Duplicate {
        file: String,
        line: usize,
        guid: Uuid,
        number: u16,
        first: Origin,
    },
}

/// What was wrong with a TMF line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error("`#typev` line has no quoted format string")]
    NoFormat,
    #[error("`#typev` format string has no closing quote")]
    UnterminatedFormat,
    #[error(
        "`#typev` line needs `<file_line> <message number>` before the format, found {found:?}"
    )]
    BadNumber { found: String },
    #[error("`#typev` line comes before any `<guid> <module>` header line")]
    NoHeader,
    #[error("argument line {text:?} is not `name, ItemType -- index`")]
    BadArgument { text: String },
    #[error("`{{` block opened here is never closed with `}}`")]
    UnclosedBlock,
    #[error("`{{` block with no `#typev` line before it")]
    UnexpectedBlock,
    #[error("unrecognised line {text:?}")]
    UnexpectedLine { text: String },
}

/// Where a message format was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}", self.file, self.line)
    }
}

/// One argument of a message: `name, ItemXxx -- index`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgSpec {
    /// The source expression tracewpp recorded (`FileObject`, `(PCHAR)sig`, often just `Arg`).
    pub name: String,
    pub item: ItemType,
    /// The `%N` that shows it; user arguments start at 10.
    pub index: u16,
}

/// The format of one WPP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFormat {
    /// Message GUID (the TMF file's name; a.k.a. trace GUID).
    pub guid: Uuid,
    pub number: u16,
    /// Component name from the header line (tracewpp writes the build directory name).
    pub module: String,
    /// `SRC=` of the header line.
    pub source_file: Option<String>,
    /// The `#typev` name: source file and line run together, e.g. `hydrate_c812`.
    pub source_file_line: String,
    pub function: Option<String>,
    pub level: Option<String>,
    pub flags: Option<String>,
    /// FormatMessage-style text, `%0` prefix marker included.
    pub format: String,
    /// In payload order (ascending index).
    pub args: Vec<ArgSpec>,
    /// Every `KEY=value` of the `#typev` trailer, in order (LEVEL, FLAGS, FUNC, GLOBALS, ...).
    pub attributes: Vec<(String, String)>,
    pub origin: Origin,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The format string with its inserts filled (the `%0` prefix left out).
    pub text: String,
    /// The decoded arguments in payload order, named by their TMF expression or `Arg<N>`.
    pub fields: Vec<(String, TmfValue)>,
    /// Why not every argument could be decoded, or why bytes were left over.
    pub error: Option<String>,
}

impl MessageFormat {
    /// Decodes the raw argument bytes and renders the format string. Never panics: a short
    /// payload renders what it can, shows `<missing>` for the rest and says what was missing.
    /// `pointer_size` is the record's (4 or 8; anything else is taken as 8).
    pub fn render(&self, payload: &[u8], pointer_size: u8) -> Rendered {
        render::render(self, payload, pointer_size)
    }

    /// Same message, ignoring where it was defined.
    fn same_definition(&self, other: &MessageFormat) -> bool {
        MessageFormat {
            origin: other.origin.clone(),
            ..self.clone()
        } == *other
    }
}

/// All known message formats, keyed by (message GUID, message number).
#[derive(Debug, Clone, Default)]
pub struct TmfSet {
    formats: HashMap<(Uuid, u16), MessageFormat>,
}

impl TmfSet {
    pub fn new() -> Self {
        TmfSet::default()
    }

    /// Every `*.tmf` file under `dir` (subdirectories too, symlinked directories not
    /// followed), in path order; `dir` may also be a single file. Bad files and lines are
    /// reported; everything else loads. When two files define one message differently the
    /// first (in path order) wins and the other is reported.
    pub fn load_dir(dir: &Path) -> (TmfSet, Vec<TmfError>) {
        let mut errors = Vec::new();
        let mut files = Vec::new();
        if dir.is_file() {
            files.push(dir.to_path_buf());
        } else {
            collect_tmf_files(dir, 0, &mut files, &mut errors);
        }
        files.sort();
        let mut set = TmfSet::new();
        for file in files {
            let name = file.display().to_string();
            match read_text(&file) {
                Ok(text) => {
                    let (messages, line_errors) = parse::parse_text(&text, &name);
                    errors.extend(line_errors);
                    set.absorb(messages, &mut errors);
                }
                Err(reason) => errors.push(TmfError::Read { path: name, reason }),
            }
        }
        (set, errors)
    }

    /// Parses TMF text; `source` names it in errors and [`MessageFormat::origin`].
    pub fn parse_str(text: &str, source: &str) -> (TmfSet, Vec<TmfError>) {
        let (messages, mut errors) = parse::parse_text(text, source);
        let mut set = TmfSet::new();
        set.absorb(messages, &mut errors);
        (set, errors)
    }

    /// Adds `other`'s formats; where both define a message, the one already here is kept.
    pub fn merge(&mut self, other: TmfSet) {
        for (key, format) in other.formats {
            self.formats.entry(key).or_insert(format);
        }
    }

    pub fn len(&self) -> usize {
        self.formats.len()
    }

    pub fn is_empty(&self) -> bool {
        self.formats.is_empty()
    }

    pub fn lookup(&self, guid: &Uuid, number: u16) -> Option<&MessageFormat> {
        self.formats.get(&(*guid, number))
    }

    /// Every format, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &MessageFormat> {
        self.formats.values()
    }

    fn absorb(&mut self, messages: Vec<MessageFormat>, errors: &mut Vec<TmfError>) {
        for message in messages {
            let key = (message.guid, message.number);
            match self.formats.get(&key) {
                Some(existing) if existing.same_definition(&message) => {}
                Some(existing) => errors.push(TmfError::Duplicate {
                    file: message.origin.file.clone(),
                    line: message.origin.line,
                    guid: message.guid,
                    number: message.number,
                    first: existing.origin.clone(),
                }),
                None => {
                    self.formats.insert(key, message);
                }
            }
        }
    }
}

fn collect_tmf_files(
    dir: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<TmfError>,
) {
    let dir_error = |reason: String| TmfError::ReadDir {
        path: dir.display().to_string(),
        reason,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(dir_error(e.to_string()));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                errors.push(dir_error(e.to_string()));
                continue;
            }
        };
        let path = entry.path();
        // `file_type` does not follow symlinks, so a symlinked directory cannot loop us.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth < MAX_DIR_DEPTH {
                collect_tmf_files(&path, depth + 1, files, errors);
            }
        } else if path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("tmf"))
            && path.is_file()
        {
            files.push(path);
        }
    }
}

/// File text: UTF-16LE when it has that byte-order mark, else UTF-8 with bad bytes replaced.
fn read_text(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{size} bytes is more than the {MAX_FILE_BYTES}-byte limit for a TMF file"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    Ok(match bytes.strip_prefix(&[0xFF, 0xFE]) {
        Some(wide) => args::utf16_text(wide),
        None => {
            let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
            String::from_utf8_lossy(bytes).into_owned()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GUID_A: &str = "2818ef08-6a54-396f-2244-5a6ea4a98cf0";
    const GUID_B: &str = "d58c126f-b309-3913-5c1b-e9b0f0a6db13";

    fn tmf(guid: &str, number: u16, format: &str) -> String {
        format!(
            "// PDB:  drv.pdb\n{guid} drv // SRC=drv.c MJ= MN=\n#typev drv_c10 {number} \"%0{format}\" //   LEVEL=TRACE_LEVEL_INFORMATION FLAGS=ALL FUNC=Go\n{{\nvalue, ItemLong -- 10\n}}\n"
        )
    }

    fn uuid(text: &str) -> Uuid {
        Uuid::parse_str(text).unwrap()
    }

    #[test]
    fn loads_a_directory_tree_and_reports_bad_files_and_duplicates() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("sub").join("deeper");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(root.path().join("a.tmf"), tmf(GUID_A, 1, "one %10!d!")).unwrap();
        // The same definition again is not a conflict; a different one is.
        std::fs::write(root.path().join("b.TMF"), tmf(GUID_A, 1, "one %10!d!")).unwrap();
        std::fs::write(nested.join("c.tmf"), tmf(GUID_A, 1, "other %10!d!")).unwrap();
        std::fs::write(nested.join("d.tmf"), tmf(GUID_B, 7, "seven %10!d!")).unwrap();
        std::fs::write(root.path().join("e.tmf"), "not a tmf line\n").unwrap();
        std::fs::write(root.path().join("notes.txt"), tmf(GUID_B, 8, "ignored")).unwrap();

        let (set, errors) = TmfSet::load_dir(root.path());
        assert_eq!(set.len(), 2);
        let one = set.lookup(&uuid(GUID_A), 1).unwrap();
        assert_eq!(one.format, "%0one %10!d!");
        assert!(one.origin.file.ends_with("a.tmf"));
        assert_eq!(one.origin.line, 3);
        assert_eq!(
            set.lookup(&uuid(GUID_B), 7)
                .unwrap()
                .render(&[7, 0, 0, 0], 8)
                .text,
            "seven 7"
        );
        assert!(set.lookup(&uuid(GUID_B), 8).is_none());

        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].ends_with("e.tmf line 1: unrecognised line \"not a tmf line\""));
        assert!(matches!(
            &errors[1],
            TmfError::Duplicate { line: 3, number: 1, first, .. } if first.file.ends_with("a.tmf")
        ));
    }

    #[test]
    fn loads_a_single_file_and_utf16_text() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("wide.tmf");
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(
            tmf(GUID_B, 3, "w")
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        std::fs::write(&path, bytes).unwrap();
        let (set, errors) = TmfSet::load_dir(&path);
        assert_eq!(errors, vec![]);
        assert_eq!(
            set.lookup(&uuid(GUID_B), 3).unwrap().function.as_deref(),
            Some("Go")
        );
    }

    #[test]
    fn missing_directories_are_reported() {
        let root = tempfile::tempdir().unwrap();
        let (set, errors) = TmfSet::load_dir(&root.path().join("absent"));
        assert!(set.is_empty());
        assert!(
            matches!(&errors[..], [TmfError::ReadDir { path, .. }] if path.ends_with("absent"))
        );
    }

    #[test]
    fn merge_keeps_existing_definitions() {
        let (mut set, _) = TmfSet::parse_str(&tmf(GUID_A, 1, "first"), "one.tmf");
        let (other, _) = TmfSet::parse_str(
            &format!("{}{}", tmf(GUID_A, 1, "second"), tmf(GUID_A, 2, "two")),
            "two.tmf",
        );
        set.merge(other);
        assert_eq!(set.len(), 2);
        assert_eq!(set.lookup(&uuid(GUID_A), 1).unwrap().format, "%0first");
        assert_eq!(set.lookup(&uuid(GUID_A), 2).unwrap().origin.file, "two.tmf");
        assert_eq!(set.iter().count(), 2);
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let (_, errors) = TmfSet::parse_str(
            &format!("{GUID_A} m\n#typev x 1 \"a\"\n{{\nbroken\n}}\n"),
            "drv.tmf",
        );
        assert_eq!(
            errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec!["drv.tmf line 4: argument line \"broken\" is not `name, ItemType -- index`"]
        );
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just(format!("{GUID_A} drv // SRC=a.c")),
                    Just("{".to_string()),
                    Just("}".to_string()),
                    "#typev [a-z_0-9]{0,8} [0-9]{0,6} \"[^\"\n]{0,12}\"? (// [A-Z]{1,5}=[a-z ]{0,6})?",
                    "[a-z(), ]{0,8}, Item[A-Za-z]{0,10}(\\([a-z,=0-9]{0,10}\\))? -- [0-9]{0,6}",
                    "\\PC{0,30}",
                ],
                0..24,
            )
        ) {
            let (set, _) = TmfSet::parse_str(&lines.join("\n"), "fuzz.tmf");
            for format in set.iter() {
                let rendered = format.render(&[0xFF; 24], 8);
                prop_assert!(rendered.fields.len() <= format.args.len());
            }
        }
    }
}
