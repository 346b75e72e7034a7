//! The detail pane as a tree: three groups (header, decoded fields, extended data) whose
//! fields nest by depth; nodes expand and collapse, and stay so from event to event.

use std::collections::HashSet;

use crate::fields::{Detail, DetailField};
use etl::sanitize::for_terminal;

/// One visible line of the tree, sanitized for the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLine {
    /// Path of names from the group down (`Fields/Request/Status`): what collapsing keys on,
    /// so the same field of the next event is collapsed too.
    pub key: String,
    pub depth: usize,
    pub name: String,
    pub value: String,
    /// `SYMBOL: description` when the value is a known error code.
    pub meaning: Option<String>,
    pub filter_term: Option<String>,
    /// Has children (drawn with ▸/▾).
    pub expandable: bool,
    pub expanded: bool,
}

/// Deepest nesting shown; deeper fields are drawn at this depth (no recursion involved, but a
/// hostile depth must not push text off screen).
const MAX_DEPTH: usize = 16;

/// The visible lines of `detail` given the collapsed keys.
pub fn lines(detail: &Detail, collapsed: &HashSet<String>) -> Vec<TreeLine> {
    let mut out = Vec::new();
    let fields_note = detail
        .decode_error
        .as_ref()
        .map(|e| format!("decoding stopped: {e}"));
    let groups: [(&str, &[DetailField], Option<String>); 3] = [
        ("Header", &detail.header, None),
        ("Fields", &detail.fields, fields_note),
        ("Extended data", &detail.extended, None),
    ];
    for (title, fields, note) in groups {
        if fields.is_empty() && note.is_none() {
            continue;
        }
        let expanded = !collapsed.contains(title);
        let count = fields.iter().filter(|f| f.depth == 0).count();
        out.push(TreeLine {
            key: title.to_string(),
            depth: 0,
            name: title.to_string(),
            value: if count == 1 {
                "1 item".to_string()
            } else {
                format!("{count} items")
            },
            meaning: None,
            filter_term: None,
            expandable: true,
            expanded,
        });
        if !expanded {
            continue;
        }
        if let Some(note) = note {
            out.push(TreeLine {
                key: format!("{title}/!"),
                depth: 1,
                name: "!".to_string(),
                value: for_terminal(&note).into_owned(),
                meaning: None,
                filter_term: None,
                expandable: false,
                expanded: false,
            });
        }
        push_fields(title, fields, collapsed, &mut out);
    }
    out
}

fn push_fields(
    group: &str,
    fields: &[DetailField],
    collapsed: &HashSet<String>,
    out: &mut Vec<TreeLine>,
) {
    // Names of the enclosing fields, by depth, to build each field's key.
    let mut path: Vec<String> = Vec::new();
    // While inside a collapsed node: its depth; deeper fields are hidden.
    let mut hidden_below: Option<usize> = None;
    for (i, field) in fields.iter().enumerate() {
        let depth = field.depth.min(MAX_DEPTH);
        path.truncate(depth);
        let name = for_terminal(&field.name).into_owned();
        let key = format!(
            "{group}/{}{name}",
            path.iter().map(|p| format!("{p}/")).collect::<String>()
        );
        path.push(name.clone());
        if let Some(limit) = hidden_below {
            if depth > limit {
                continue;
            }
            hidden_below = None;
        }
        let expandable = fields
            .get(i + 1)
            .is_some_and(|next| next.depth.min(MAX_DEPTH) > depth);
        let expanded = expandable && !collapsed.contains(&key);
        if expandable && !expanded {
            hidden_below = Some(depth);
        }
        out.push(TreeLine {
            key,
            depth: depth + 1,
            name,
            value: for_terminal(&field.value).into_owned(),
            meaning: field
                .meaning
                .as_deref()
                .map(|m| for_terminal(m).into_owned()),
            filter_term: field.filter_term.clone(),
            expandable,
            expanded,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(depth: usize, name: &str, value: &str) -> DetailField {
        DetailField {
            depth,
            name: name.to_string(),
            value: value.to_string(),
            meaning: None,
            filter_term: None,
        }
    }

    fn detail() -> Detail {
        Detail {
            header: vec![field(0, "Frame", "1"), field(0, "Level", "2")],
            fields: vec![
                field(0, "Request", ""),
                field(1, "Url", "http://x/\x1b[31m"),
                field(1, "Status", "12002"),
                field(0, "Error", "0"),
            ],
            extended: Vec::new(),
            payload: Vec::new(),
            decode_error: None,
        }
    }

    fn names(lines: &[TreeLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| format!("{}{}", " ".repeat(l.depth), l.name))
            .collect()
    }

    #[test]
    fn groups_and_nested_fields_are_listed_with_depths() {
        let lines = lines(&detail(), &HashSet::new());
        assert_eq!(
            names(&lines),
            [
                "Header", " Frame", " Level", "Fields", " Request", "  Url", "  Status", " Error"
            ]
        );
        assert!(lines[4].expandable && lines[4].expanded);
        assert_eq!(lines[4].key, "Fields/Request");
        assert_eq!(lines[6].key, "Fields/Request/Status");
        assert_eq!(lines[5].value, "http://x/\\u{001B}[31m");
        assert_eq!(lines[3].value, "2 items");
    }

    #[test]
    fn collapsed_keys_hide_children() {
        let collapsed: HashSet<String> =
            ["Fields/Request".to_string(), "Header".to_string()].into();
        let lines = lines(&detail(), &collapsed);
        assert_eq!(names(&lines), ["Header", "Fields", " Request", " Error"]);
        assert!(!lines[0].expanded);
        assert!(lines[2].expandable && !lines[2].expanded);
    }

    #[test]
    fn decode_errors_show_under_fields_and_depth_is_capped() {
        let mut d = detail();
        d.fields = vec![field(0, "a", ""), field(1_000_000, "deep", "")];
        d.decode_error = Some("payload ends at offset 4".to_string());
        let lines = lines(&d, &HashSet::new());
        assert_eq!(lines[4].value, "decoding stopped: payload ends at offset 4");
        assert_eq!(lines[6].depth, MAX_DEPTH + 1);
    }
}
