//! What a provider defines that its events refer to (levels, tasks, opcodes, keywords, maps,
//! templates), and the name resolution of an event's attributes against it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::types::{
    parse_number, standard_level, standard_level_by_value, standard_opcode,
    standard_opcode_by_value,
};
use crate::schema::{FieldDef, ValueMap};

/// A task with the opcodes defined inside it.
pub(super) struct TaskDef {
    pub name: String,
    pub opcodes: NameTable,
}

/// Names defined by a provider, by name and by value.
#[derive(Default)]
pub(super) struct NameTable {
    by_name: HashMap<String, u16>,
    by_value: HashMap<u16, String>,
}

impl NameTable {
    pub fn add(&mut self, name: &str, value: u16) {
        self.by_name.insert(name.to_string(), value);
        self.by_value
            .entry(value)
            .or_insert_with(|| name.to_string());
    }
}

/// Everything a provider defines that its events refer to.
#[derive(Default)]
pub(super) struct ProviderTables {
    pub levels: NameTable,
    pub tasks: HashMap<u16, TaskDef>,
    pub task_values: HashMap<String, u16>,
    pub opcodes: NameTable,
    pub keywords: Vec<(String, u64)>,
    pub maps: HashMap<String, Arc<ValueMap>>,
    /// tid -> fields, or why the template is unusable.
    pub templates: HashMap<String, Result<Vec<FieldDef>, String>>,
}

/// Display form of a level/opcode/task name: winmeta names lose their `win:` prefix.
fn display_name(name: &str) -> String {
    name.strip_prefix("win:").unwrap_or(name).to_string()
}

/// Keyword masks are hex; wevtutil may print them without the `0x`.
pub(super) fn parse_mask(text: &str) -> Option<u64> {
    let text = text.trim();
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    u64::from_str_radix(hex, 16).ok()
}

impl ProviderTables {
    /// The task named (or numbered, in wevtutil exports) by an event's `task` attribute.
    pub fn task(&self, text: &str) -> Option<&TaskDef> {
        let value = match parse_number(text) {
            Some(number) => u16::try_from(number).ok()?,
            None => *self.task_values.get(text)?,
        };
        self.tasks.get(&value)
    }

    /// Display name of an event's `level` attribute (a name, or a number in wevtutil exports).
    pub fn level_name(&self, text: &str) -> Option<String> {
        if let Some(value) = parse_number(text).and_then(|v| u16::try_from(v).ok()) {
            return match self.levels.by_value.get(&value) {
                Some(name) => Some(display_name(name)),
                None => standard_level_by_value(u8::try_from(value).ok()?).map(str::to_string),
            };
        }
        match standard_level(text) {
            Some((_, display)) => Some(display.to_string()),
            None => self
                .levels
                .by_name
                .contains_key(text)
                .then(|| display_name(text)),
        }
    }

    /// Display name of an event's `opcode` attribute; task-specific opcodes first.
    pub fn opcode_name(&self, text: &str, task: Option<&TaskDef>) -> Option<String> {
        if let Some(value) = parse_number(text).and_then(|v| u16::try_from(v).ok()) {
            return self.opcode_by_value(value, task);
        }
        let known = task.is_some_and(|t| t.opcodes.by_name.contains_key(text))
            || self.opcodes.by_name.contains_key(text);
        if known {
            return Some(display_name(text));
        }
        standard_opcode(text).map(|(_, display)| display.to_string())
    }

    /// Display name of an opcode value; task-specific opcodes first, then winmeta.
    pub fn opcode_by_value(&self, value: u16, task: Option<&TaskDef>) -> Option<String> {
        task.and_then(|t| t.opcodes.by_value.get(&value))
            .or_else(|| self.opcodes.by_value.get(&value))
            .map(|name| display_name(name))
            .or_else(|| standard_opcode_by_value(u8::try_from(value).ok()?).map(str::to_string))
    }

    /// Keyword names of an event: listed names as written; a numeric mask is split into the
    /// provider's keyword names (bits without a name, e.g. channel bits, are dropped).
    pub fn keyword_names(&self, text: &str) -> Vec<String> {
        let mut names = Vec::new();
        for token in text.split_whitespace() {
            match parse_number(token) {
                Some(mask) => names.extend(
                    self.keywords
                        .iter()
                        .filter(|(_, bits)| *bits != 0 && mask & bits == *bits)
                        .map(|(name, _)| name.clone()),
                ),
                None => names.push(token.to_string()),
            }
        }
        names
    }

    /// The provider maps referenced by `fields` (struct members included).
    pub fn used_maps(&self, fields: &[FieldDef]) -> BTreeMap<String, Arc<ValueMap>> {
        let mut maps = BTreeMap::new();
        let mut pending: Vec<&FieldDef> = fields.iter().collect();
        while let Some(field) = pending.pop() {
            if let Some(name) = &field.map
                && let Some(map) = self.maps.get(name)
            {
                maps.insert(name.clone(), Arc::clone(map));
            }
            pending.extend(field.members.iter());
        }
        maps
    }
}
