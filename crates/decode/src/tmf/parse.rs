//! The TMF text grammar, as tracewpp writes it into PDBs and tracepdb copies it out:
//!
//! ```text
//! // PDB:  d:\build\drv.pdb                                 (comments, ignored)
//! 2818ef08-6a54-396f-2244-5a6ea4a98cf0 drv // SRC=io.c MJ= MN=     (header: GUID, module)
//! #typev io_c120 43 "%0Open %10!s! at 0x%11!p!" //   LEVEL=TRACE_LEVEL_ERROR FLAGS=IO FUNC=Open
//! {
//! FileName, ItemWString -- 10
//! Irp, ItemPtr -- 11
//! }
//! ```
//!
//! A file may hold several headers; each `#typev` belongs to the last one. `TMF:` and
//! `PUBLIC_TMF:` markers (from annotation dumps) are ignored, as are other `#` directives and
//! their `{ }` blocks. A bad line is reported and parsing goes on with the next one.

use uuid::Uuid;

use super::item::ItemType;
use super::{ArgSpec, LineProblem, MessageFormat, Origin, TmfError};

/// Longest piece of a bad line quoted back in an error.
const QUOTE_LIMIT: usize = 80;

struct Header {
    guid: Uuid,
    module: String,
    source_file: Option<String>,
}

enum State {
    Top,
    /// A `#typev` line was read; its `{` block should follow.
    AwaitingBlock(MessageFormat),
    /// Inside a message's `{ }` block, opened on the given line.
    InBlock(MessageFormat, usize),
    /// Inside a block that belongs to nothing we use.
    Skipping,
}

struct Parser<'a> {
    file: &'a str,
    header: Option<Header>,
    state: State,
    /// The last line was one whose `{ }` block is skipped without complaint.
    skip_next_block: bool,
    messages: Vec<MessageFormat>,
    errors: Vec<TmfError>,
}

/// Every message defined in `text` and every problem found; `file` names the text in errors.
pub fn parse_text(text: &str, file: &str) -> (Vec<MessageFormat>, Vec<TmfError>) {
    let mut parser = Parser {
        file,
        header: None,
        state: State::Top,
        skip_next_block: false,
        messages: Vec::new(),
        errors: Vec::new(),
    };
    let mut last = 0;
    for (index, line) in text.lines().enumerate() {
        last = index + 1;
        parser.line(last, line.trim());
    }
    parser.finish(last);
    (parser.messages, parser.errors)
}

impl Parser<'_> {
    fn error(&mut self, line: usize, problem: LineProblem) {
        self.errors.push(TmfError::Line {
            file: self.file.to_string(),
            line,
            problem,
        });
    }

    fn line(&mut self, number: usize, line: &str) {
        match std::mem::replace(&mut self.state, State::Top) {
            State::Top => {}
            State::Skipping => {
                if line != "}" {
                    self.state = State::Skipping;
                }
                return;
            }
            State::AwaitingBlock(message) => match line {
                "{" => {
                    self.state = State::InBlock(message, number);
                    return;
                }
                "" => {
                    self.state = State::AwaitingBlock(message);
                    return;
                }
                // A message without an argument block; this line starts something else.
                _ => self.messages.push(message),
            },
            State::InBlock(mut message, opened) => {
                if line == "}" {
                    message.args.sort_by_key(|arg| arg.index);
                    self.messages.push(message);
                    return;
                }
                if line.is_empty() {
                    self.state = State::InBlock(message, opened);
                    return;
                }
                if !is_typev(line) && header_guid(line).is_none() {
                    match parse_argument(line) {
                        Some(arg) => message.args.push(arg),
                        None => {
                            self.error(number, LineProblem::BadArgument { text: quote(line) });
                            // Keep the slot so decoding stops here rather than misreading
                            // the arguments after it.
                            let index = message
                                .args
                                .last()
                                .map_or(10, |arg| arg.index.saturating_add(1));
                            message.args.push(ArgSpec {
                                name: String::new(),
                                item: ItemType::Unknown(quote(line)),
                                index,
                            });
                        }
                    }
                    self.state = State::InBlock(message, opened);
                    return;
                }
                self.error(opened, LineProblem::UnclosedBlock);
                message.args.sort_by_key(|arg| arg.index);
                self.messages.push(message);
            }
        }
        self.top_line(number, line);
    }

    fn top_line(&mut self, number: usize, line: &str) {
        let skip_block = std::mem::take(&mut self.skip_next_block);
        if line.is_empty() {
            self.skip_next_block = skip_block;
            return;
        }
        if line.starts_with("//") || line == "TMF:" || line == "PUBLIC_TMF:" {
            return;
        }
        if line == "{" {
            if !skip_block {
                self.error(number, LineProblem::UnexpectedBlock);
            }
            self.state = State::Skipping;
            return;
        }
        if is_typev(line) {
            match self.typev(number, line) {
                Ok(message) => self.state = State::AwaitingBlock(message),
                Err(problem) => {
                    self.error(number, problem);
                    self.skip_next_block = true;
                }
            }
            return;
        }
        if line.starts_with('#') {
            self.skip_next_block = true;
            return;
        }
        if let Some(guid) = header_guid(line) {
            self.header = Some(parse_header(guid, line));
            return;
        }
        self.error(number, LineProblem::UnexpectedLine { text: quote(line) });
    }

    /// `#typev <file_line> <number> "<format>" // KEY=value ...`
    fn typev(&self, number: usize, line: &str) -> Result<MessageFormat, LineProblem> {
        let rest = line.get("#typev".len()..).unwrap_or_default();
        let open = rest.find('"').ok_or(LineProblem::NoFormat)?;
        let head = rest.get(..open).unwrap_or_default();
        let quoted = rest.get(open + 1..).unwrap_or_default();
        // The format ends at the last quote that only a `//` trailer (or nothing) follows.
        let close = quoted
            .rmatch_indices('"')
            .map(|(at, _)| at)
            .find(|&at| {
                let after = quoted.get(at + 1..).unwrap_or_default().trim_start();
                after.is_empty() || after.starts_with("//")
            })
            .ok_or(LineProblem::UnterminatedFormat)?;
        let format = quoted.get(..close).unwrap_or_default();
        let trailer = quoted.get(close + 1..).unwrap_or_default().trim_start();
        let trailer = trailer.strip_prefix("//").unwrap_or(trailer);

        let tokens: Vec<&str> = head.split_whitespace().collect();
        let (name, id) = match tokens.as_slice() {
            [name, id] => (*name, *id),
            [id] => ("", *id),
            _ => ("", ""),
        };
        let id: u16 = id.parse().map_err(|_| LineProblem::BadNumber {
            found: quote(head.trim()),
        })?;
        let header = self.header.as_ref().ok_or(LineProblem::NoHeader)?;
        let attributes = attributes(trailer);
        let find = |key: &str| {
            attributes
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
        };
        Ok(MessageFormat {
            guid: header.guid,
            number: id,
            module: header.module.clone(),
            source_file: header.source_file.clone(),
            source_file_line: name.to_string(),
            function: find("FUNC"),
            level: find("LEVEL"),
            flags: find("FLAGS").or_else(|| find("FLAG")),
            format: format.to_string(),
            args: Vec::new(),
            attributes,
            origin: Origin {
                file: self.file.to_string(),
                line: number,
            },
        })
    }

    fn finish(&mut self, last: usize) {
        match std::mem::replace(&mut self.state, State::Top) {
            State::AwaitingBlock(message) => self.messages.push(message),
            State::InBlock(mut message, opened) => {
                self.error(opened, LineProblem::UnclosedBlock);
                message.args.sort_by_key(|arg| arg.index);
                self.messages.push(message);
            }
            State::Skipping => self.error(last, LineProblem::UnclosedBlock),
            State::Top => {}
        }
    }
}

fn is_typev(line: &str) -> bool {
    line.strip_prefix("#typev")
        .is_some_and(|rest| rest.starts_with(char::is_whitespace))
}

/// The GUID that starts a header line (`<guid> <module> // SRC=...`), plain or in braces.
fn header_guid(line: &str) -> Option<Uuid> {
    let token = line.split_whitespace().next()?;
    if !token.contains('-') {
        return None;
    }
    Uuid::parse_str(token).ok()
}

fn parse_header(guid: Uuid, line: &str) -> Header {
    let (head, trailer) = line.split_once("//").unwrap_or((line, ""));
    let module = head
        .split_once(char::is_whitespace)
        .map_or("", |(_, module)| module.trim());
    let source_file = attributes(trailer)
        .into_iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("SRC"))
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty());
    Header {
        guid,
        module: module.to_string(),
        source_file,
    }
}

/// `KEY=value` pairs of a `//` trailer. A value runs until the next `KEY=` token, so values
/// with spaces (`FUNC=operator ()`) survive; words before the first key are ignored.
fn attributes(trailer: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for token in trailer.split_whitespace() {
        match token.split_once('=') {
            Some((key, value)) if is_identifier(key) => {
                pairs.push((key.to_string(), value.to_string()));
            }
            _ => {
                if let Some((_, value)) = pairs.last_mut() {
                    if !value.is_empty() {
                        value.push(' ');
                    }
                    value.push_str(token);
                }
            }
        }
    }
    pairs
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `<expression>, <ItemType> -- <index>`. The expression may itself contain commas, and list
/// types carry their own (`ItemSetLong(A, B)`), so the type is the rightmost `, Item...` that
/// forms a whole `Name` or `Name(...)` running to the `--`.
fn parse_argument(line: &str) -> Option<ArgSpec> {
    let (left, index) = line.rsplit_once("--")?;
    let index: u16 = index.trim().parse().ok()?;
    let left = left.trim_end();
    let starts = left.rmatch_indices("Item").map(|(at, _)| at);
    for start in starts {
        let before = left.get(..start).unwrap_or_default().trim_end();
        let name = match before.strip_suffix(',') {
            Some(name) => name.trim(),
            None if before.is_empty() => "",
            None => continue,
        };
        let item_text = left.get(start..).unwrap_or_default();
        if is_item_type(item_text) {
            return Some(ArgSpec {
                name: name.to_string(),
                item: ItemType::parse(item_text),
                index,
            });
        }
    }
    None
}

/// `Name` or `Name(...)` with the parenthesis opened after the name closing at the end.
fn is_item_type(text: &str) -> bool {
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let rest = text.get(name_end..).unwrap_or_default().trim_start();
    if rest.is_empty() {
        return true;
    }
    let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) else {
        return false;
    };
    let mut depth = 0i32;
    for c in inner.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

fn quote(line: &str) -> String {
    line.chars().take(QUOTE_LIMIT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"// PDB:  d:\os\obj\amd64fre\drv\objfre\amd64\drv.pdb
// PDB:  Last Updated :2024-3-1:12:0:0:0 (UTC) [tracepdb]
2818ef08-6a54-396f-2244-5a6ea4a98cf0 cldflt // SRC=hydration.c MJ= MN=
#typev  hydration_c1204 43 "%0Hydration of %10!p! for %11!p! failed, %12!s!" //   LEVEL=TRACE_LEVEL_ERROR FLAGS=HYDRATION FUNC=CldHydrateRange
{
FileObject, ItemPtr -- 10
Context->Stream, ItemPtr -- 11
status, ItemNTSTATUS -- 12
}
#typev  hydration_c1300 44 "%0Done" //   LEVEL=4 FLAGS=HYDRATION
{
}
"#;

    #[test]
    fn parses_headers_messages_and_arguments() {
        let (messages, errors) = parse_text(SAMPLE, "sample.tmf");
        assert_eq!(errors, vec![]);
        assert_eq!(messages.len(), 2);
        let first = &messages[0];
        assert_eq!(
            first.guid.to_string(),
            "2818ef08-6a54-396f-2244-5a6ea4a98cf0"
        );
        assert_eq!(first.number, 43);
        assert_eq!(first.module, "cldflt");
        assert_eq!(first.source_file.as_deref(), Some("hydration.c"));
        assert_eq!(first.source_file_line, "hydration_c1204");
        assert_eq!(first.function.as_deref(), Some("CldHydrateRange"));
        assert_eq!(first.level.as_deref(), Some("TRACE_LEVEL_ERROR"));
        assert_eq!(first.flags.as_deref(), Some("HYDRATION"));
        assert_eq!(
            first.format,
            "%0Hydration of %10!p! for %11!p! failed, %12!s!"
        );
        assert_eq!(first.origin.to_string(), "sample.tmf line 4");
        let args: Vec<(&str, &ItemType, u16)> = first
            .args
            .iter()
            .map(|a| (a.name.as_str(), &a.item, a.index))
            .collect();
        assert_eq!(
            args,
            vec![
                ("FileObject", &ItemType::Ptr, 10),
                ("Context->Stream", &ItemType::Ptr, 11),
                ("status", &ItemType::NtStatus, 12),
            ]
        );
        let second = &messages[1];
        assert_eq!((second.number, second.function.as_deref()), (44, None));
        assert_eq!(second.level.as_deref(), Some("4"));
        assert!(second.args.is_empty());
    }

    #[test]
    fn handles_format_quotes_trailer_spaces_and_odd_argument_expressions() {
        let text = r#"{5a8e1c6d-0000-1111-2222-333344445555} {braced module} // SRC=a b.cpp MJ= MN=
#typev a_cpp7 9 "say "hi" // then %10!d!" // GLOBALS=Get() FUNC=Klass<int, char>::operator ()
{
Sum(a, b), ItemLong -- 10
mode, ItemSetLong(READ, WRITE, ItemX) -- 11
}
#typev 12 "no name token"
"#;
        let (messages, errors) = parse_text(text, "t.tmf");
        assert_eq!(errors, vec![]);
        assert_eq!(messages[0].module, "{braced module}");
        assert_eq!(messages[0].source_file.as_deref(), Some("a b.cpp"));
        assert_eq!(messages[0].format, r#"say "hi" // then %10!d!"#);
        assert_eq!(
            messages[0].function.as_deref(),
            Some("Klass<int, char>::operator ()")
        );
        assert_eq!(
            messages[0].attributes[0],
            ("GLOBALS".to_string(), "Get()".to_string())
        );
        assert_eq!(messages[0].args[0].name, "Sum(a, b)");
        assert_eq!(messages[0].args[1].name, "mode");
        assert_eq!(
            messages[0].args[1].item,
            ItemType::Set {
                width: 4,
                names: vec!["READ".into(), "WRITE".into(), "ItemX".into()]
            }
        );
        assert_eq!(
            (messages[1].number, messages[1].format.as_str()),
            (12, "no name token")
        );
        assert!(messages[1].args.is_empty());
    }

    #[test]
    fn sorts_arguments_by_index() {
        let text = "2818ef08-6a54-396f-2244-5a6ea4a98cf0 m\n#typev x1 1 \"%11!d! %10!d!\"\n{\nb, ItemLong -- 11\na, ItemShort -- 10\n}\n";
        let (messages, _) = parse_text(text, "t.tmf");
        let indexes: Vec<u16> = messages[0].args.iter().map(|a| a.index).collect();
        assert_eq!(indexes, vec![10, 11]);
    }

    fn problems(text: &str) -> Vec<(usize, LineProblem)> {
        parse_text(text, "bad.tmf")
            .1
            .into_iter()
            .map(|e| match e {
                TmfError::Line { line, problem, .. } => (line, problem),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn reports_malformed_lines_with_their_numbers() {
        let text = r#"#typev a_c1 1 "before any header"
{
x, ItemLong -- 10
}
2818ef08-6a54-396f-2244-5a6ea4a98cf0 m // SRC=a.c
#typev a_c2 seventy "x"
{
ignored, ItemLong -- 10
}
#typev a_c3 70000 "too big"
#typev a_c4 5 "unterminated
#typev a_c5 6 no quotes
this is not TMF
{
}
#typev a_c6 7 "ok %10!d! %11!d!"
{
x, ItemLong -- 10
what is this
}
"#;
        let found = problems(text);
        assert_eq!(
            found,
            vec![
                (1, LineProblem::NoHeader),
                (
                    6,
                    LineProblem::BadNumber {
                        found: "a_c2 seventy".into()
                    }
                ),
                (
                    10,
                    LineProblem::BadNumber {
                        found: "a_c3 70000".into()
                    }
                ),
                (11, LineProblem::UnterminatedFormat),
                (12, LineProblem::NoFormat),
                (
                    13,
                    LineProblem::UnexpectedLine {
                        text: "this is not TMF".into()
                    }
                ),
                (14, LineProblem::UnexpectedBlock),
                (
                    19,
                    LineProblem::BadArgument {
                        text: "what is this".into()
                    }
                ),
            ]
        );
        // The good message survives, its bad argument kept as an unknown type.
        let (messages, _) = parse_text(text, "bad.tmf");
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].args.len(), 2);
        assert_eq!(
            messages[0].args[1].item,
            ItemType::Unknown("what is this".into())
        );
        assert_eq!(messages[0].args[1].index, 11);
    }

    #[test]
    fn reports_blocks_left_open() {
        let text = "2818ef08-6a54-396f-2244-5a6ea4a98cf0 m\n#typev a1 1 \"x\"\n{\na, ItemLong -- 10\n#typev a2 2 \"y\"\n{\nb, ItemLong -- 10\n";
        assert_eq!(
            problems(text),
            vec![
                (3, LineProblem::UnclosedBlock),
                (6, LineProblem::UnclosedBlock)
            ]
        );
        let (messages, _) = parse_text(text, "bad.tmf");
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[1].args.len(), 1);
    }

    #[test]
    fn skips_other_directives_and_annotation_markers() {
        let text = "TMF:\n2818ef08-6a54-396f-2244-5a6ea4a98cf0 m\n#enumv MODE 2\n{\nA = 0\nB = 1\n}\n#typev a1 1 \"x\"\n{\n}\nPUBLIC_TMF:\n";
        let (messages, errors) = parse_text(text, "t.tmf");
        assert_eq!(errors, vec![]);
        assert_eq!(messages.len(), 1);
    }

    #[test]
    fn argument_lines_need_an_item_type_and_index() {
        assert!(parse_argument("x, ItemLong -- ten").is_none());
        assert!(parse_argument("x, Long -- 10").is_none());
        assert!(parse_argument("x ItemLong -- 10").is_none());
        assert!(parse_argument("x, ItemListByte(a,b -- 10").is_none());
        let bare = parse_argument("ItemULongLong -- 12").unwrap();
        assert_eq!((bare.name.as_str(), bare.index), ("", 12));
        let spaced = parse_argument("v, ItemListByte (Low, High) -- 10").unwrap();
        assert_eq!(
            spaced.item,
            ItemType::List {
                width: 1,
                names: vec![(0, "Low".into()), (1, "High".into())]
            }
        );
    }
}
