//! Header-only filters evaluated on the compact header rows: no record parsing, no allocation.
//! Filters that read anything else fall back to the general evaluator.

use super::ast::CmpOp;
use super::compile::{FieldRef, Lit, Node, Test};
use super::fields::{self, Builtin};
use crate::timeline::columns::HeaderRow;

/// A header column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Id,
    Level,
    Opcode,
    Task,
    ProcessId,
    Version,
    /// 1-based frame number.
    Frame,
    /// 0-based frame number.
    Frame0,
}

/// A filter over header rows.
#[derive(Debug, Clone)]
pub enum Fast {
    And(Vec<Fast>),
    Or(Vec<Fast>),
    Not(Box<Fast>),
    Cmp {
        col: Col,
        op: CmpOp,
        value: i128,
        mask: Option<u64>,
    },
    In {
        col: Col,
        values: Vec<i128>,
        mask: Option<u64>,
    },
    Exists(Col),
    /// True for the providers (by slot) marked true.
    Provider(Vec<bool>),
}

fn column(field: &FieldRef) -> Option<Col> {
    Some(match field {
        FieldRef::Builtin(Builtin::EventId) => Col::Id,
        FieldRef::Builtin(Builtin::Level) => Col::Level,
        FieldRef::Builtin(Builtin::Opcode) => Col::Opcode,
        FieldRef::Builtin(Builtin::Task) => Col::Task,
        FieldRef::Builtin(Builtin::ProcessId) => Col::ProcessId,
        FieldRef::Builtin(Builtin::Version) => Col::Version,
        FieldRef::Builtin(Builtin::FrameNumber) => Col::Frame,
        FieldRef::Builtin(Builtin::FrameNumber0) => Col::Frame0,
        _ => return None,
    })
}

/// A literal as a plain number for a column, when it is one.
fn number(col: Col, lit: &Lit) -> Option<i128> {
    match lit {
        Lit::Int(v) => Some(*v),
        Lit::Name(name) | Lit::Str { lower: name, .. } => {
            let names = match col {
                Col::Level => fields::LEVEL_NAMES,
                Col::Opcode => fields::OPCODE_NAMES,
                _ => return None,
            };
            // Provider-specific opcode names need the decoder: not a fast filter.
            names
                .iter()
                .find(|(n, _)| n == name)
                .map(|&(_, v)| i128::from(v))
        }
        _ => None,
    }
}

fn provider_only(field: &FieldRef) -> bool {
    matches!(
        field,
        FieldRef::Provider(_)
            | FieldRef::Builtin(
                Builtin::ProviderName
                    | Builtin::ProviderGuid
                    | Builtin::ProtocolName
                    // Provider slots are per source: the source is constant over a slot.
                    | Builtin::Source
            )
    )
}

/// Lowers a compiled filter; `per_provider` evaluates a provider-only predicate node once per
/// provider slot. `None` when some predicate needs more than the header rows.
pub fn lower(node: &Node, per_provider: &dyn Fn(&Node) -> Vec<bool>) -> Option<Fast> {
    Some(match node {
        Node::And(v) => Fast::And(
            v.iter()
                .map(|n| lower(n, per_provider))
                .collect::<Option<_>>()?,
        ),
        Node::Or(v) => Fast::Or(
            v.iter()
                .map(|n| lower(n, per_provider))
                .collect::<Option<_>>()?,
        ),
        Node::Not(n) => Fast::Not(Box::new(lower(n, per_provider)?)),
        Node::Pred { field, mask, test } => {
            if provider_only(field) {
                return Some(Fast::Provider(per_provider(node)));
            }
            let col = column(field)?;
            match test {
                Test::Exists => Fast::Exists(col),
                Test::Compare(op, lit) => Fast::Cmp {
                    col,
                    op: *op,
                    value: number(col, lit)?,
                    mask: *mask,
                },
                Test::In(lits) => Fast::In {
                    col,
                    values: lits.iter().map(|l| number(col, l)).collect::<Option<_>>()?,
                    mask: *mask,
                },
                _ => return None,
            }
        }
    })
}

#[inline]
fn value(col: Col, row: &HeaderRow, frame: usize) -> Option<i128> {
    Some(match col {
        Col::Id => i128::from(row.id),
        Col::Level => i128::from(row.level),
        Col::Opcode => i128::from(row.opcode),
        Col::Task => i128::from(row.task),
        Col::ProcessId => i128::from(row.process_id()?),
        Col::Version => i128::from(row.version),
        Col::Frame => frame as i128 + 1,
        Col::Frame0 => frame as i128,
    })
}

impl Fast {
    /// True when the event with this header row (at position `frame`) matches.
    pub fn matches(&self, row: &HeaderRow, frame: usize) -> bool {
        match self {
            Fast::And(v) => v.iter().all(|n| n.matches(row, frame)),
            Fast::Or(v) => v.iter().any(|n| n.matches(row, frame)),
            Fast::Not(n) => !n.matches(row, frame),
            Fast::Exists(col) => value(*col, row, frame).is_some(),
            Fast::Provider(slots) => slots
                .get(usize::from(row.provider))
                .copied()
                .unwrap_or(false),
            Fast::Cmp {
                col,
                op,
                value: v,
                mask,
            } => {
                let Some(mut x) = value(*col, row, frame) else {
                    return *op == CmpOp::Ne;
                };
                if let Some(m) = mask {
                    x &= i128::from(*m);
                }
                match op {
                    CmpOp::Eq => x == *v,
                    CmpOp::Ne | CmpOp::ValueNe => x != *v,
                    CmpOp::Lt => x < *v,
                    CmpOp::Gt => x > *v,
                    CmpOp::Le => x <= *v,
                    CmpOp::Ge => x >= *v,
                }
            }
            Fast::In { col, values, mask } => match value(*col, row, frame) {
                Some(mut x) => {
                    if let Some(m) = mask {
                        x &= i128::from(*m);
                    }
                    values.contains(&x)
                }
                None => false,
            },
        }
    }
}
