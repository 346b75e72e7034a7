//! Evaluates a compiled filter against one event. Header fields are read directly; the payload
//! is decoded only when a predicate needs it, and at most once per event.

use std::borrow::Cow;
use std::cell::OnceCell;

use uuid::Uuid;

use super::ast::CmpOp;
use super::compile::{Compiled, FieldRef, Lit, Node, Test};
use super::fields::{self, Builtin};
use crate::timeline::Timeline;
use crate::timeline::trace_text_of;
use decode::DecodedEvent;
use decode::trace_text;
use decode::value::Value;
use etl::Event;

/// One value of a field (fields may have several: arrays, error tokens).
#[derive(Debug, Clone, PartialEq)]
enum FVal<'a> {
    Int(i128),
    Float(f64),
    Str(Cow<'a, str>),
    Guid(Uuid),
    /// FILETIME.
    Time(i64),
    Bytes(Cow<'a, [u8]>),
    /// A number with a name (value maps, level/opcode/task names).
    Named {
        raw: i128,
        name: Cow<'a, str>,
    },
}

/// Per-event evaluation state.
pub struct EvalCtx<'s> {
    session: &'s Timeline,
    event: Event<'s>,
    decoded: OnceCell<DecodedEvent>,
    frame: OnceCell<Option<crate::packet::Frame>>,
}

impl<'s> EvalCtx<'s> {
    pub fn new(session: &'s Timeline, event: Event<'s>) -> Self {
        EvalCtx {
            session,
            event,
            decoded: OnceCell::new(),
            frame: OnceCell::new(),
        }
    }

    fn decoded(&self) -> &DecodedEvent {
        self.decoded
            .get_or_init(|| self.session.decode(&self.event))
    }

    /// The captured frame this event carries, if it is a whole packet event.
    fn frame(&self) -> Option<&crate::packet::Frame> {
        self.frame
            .get_or_init(|| crate::packet::frame_of(self.session, &self.event))
            .as_ref()
    }

    fn provider_name(&self) -> Option<std::sync::Arc<str>> {
        match self.decoded.get() {
            Some(d) => d.provider_name.clone(),
            None => self
                .session
                .decoder_of(&self.event)
                .provider_name(&self.event),
        }
    }

    fn values(&self, field: &FieldRef) -> Vec<FVal<'_>> {
        let e = &self.event;
        let h = &e.header;
        let int = |v: i128| vec![FVal::Int(v)];
        match field {
            FieldRef::Provider(_) | FieldRef::PacketProtocol(_) => Vec::new(),
            FieldRef::Packet(path) => match self
                .frame()
                .and_then(|f| crate::packet::field_values(f, path))
            {
                Some(values) => values
                    .into_iter()
                    .map(|v| match v {
                        crate::packet::FieldValue::Int(i) => FVal::Int(i),
                        crate::packet::FieldValue::Str(s) => FVal::Str(s.into()),
                    })
                    .collect(),
                None => Vec::new(),
            },
            FieldRef::Payload(name) => match self.decoded().get(name) {
                Some(v) => value_of(v),
                None => Vec::new(),
            },
            FieldRef::Builtin(b) => match b {
                Builtin::FrameNumber => int(e.frame as i128 + 1),
                Builtin::FrameNumber0 => int(e.frame as i128),
                Builtin::Timestamp => vec![FVal::Time(e.filetime)],
                Builtin::RawTimestamp => int(i128::from(h.timestamp)),
                Builtin::Source => vec![FVal::Str(self.session.source_label(e).into())],
                Builtin::Hook => h.hook_id.map(|k| int(i128::from(k))).unwrap_or_default(),
                Builtin::DecodeError => self
                    .decoded()
                    .error
                    .as_deref()
                    .map(|m| vec![FVal::Str(m.into())])
                    .unwrap_or_default(),
                Builtin::TimeOffset => {
                    let first = self.session.filetime(0).unwrap_or(e.filetime);
                    vec![FVal::Float((e.filetime - first) as f64 / 1e7)]
                }
                Builtin::TimeDelta => {
                    let prev = e
                        .frame
                        .checked_sub(1)
                        .and_then(|f| self.session.filetime(f));
                    vec![FVal::Float(
                        prev.map_or(0.0, |p| (e.filetime - p) as f64 / 1e7),
                    )]
                }
                Builtin::ProviderName => self
                    .provider_name()
                    .map(|n| vec![FVal::Str(n.to_string().into())])
                    .unwrap_or_default(),
                Builtin::ProviderGuid => h
                    .provider_guid()
                    .map(|g| vec![FVal::Guid(g)])
                    .unwrap_or_default(),
                Builtin::ProtocolName => self
                    .provider_name()
                    .map(|n| vec![FVal::Str(self.session.protocol_name(&n).into())])
                    .unwrap_or_default(),
                Builtin::EventId => int(i128::from(h.id)),
                Builtin::Version => int(i128::from(h.version)),
                Builtin::Level => {
                    let name = fields::LEVEL_NAMES
                        .iter()
                        .find(|(_, v)| *v == u64::from(h.level))
                        .map(|(n, _)| *n);
                    vec![FVal::Named {
                        raw: i128::from(h.level),
                        name: name.unwrap_or("").into(),
                    }]
                }
                Builtin::Opcode => {
                    let name = self.decoded().opcode_name.as_deref().unwrap_or_default();
                    vec![FVal::Named {
                        raw: i128::from(h.opcode),
                        name: name.into(),
                    }]
                }
                Builtin::Task => {
                    let name = self.decoded().task_name.as_deref().unwrap_or_default();
                    vec![FVal::Named {
                        raw: i128::from(h.task),
                        name: name.into(),
                    }]
                }
                Builtin::Keyword => int(i128::from(h.keyword)),
                Builtin::Channel => int(i128::from(h.channel)),
                Builtin::ProcessId => h.process_id.map(|p| int(i128::from(p))).unwrap_or_default(),
                Builtin::ThreadId => h.thread_id.map(|t| int(i128::from(t))).unwrap_or_default(),
                Builtin::ProcessName => h
                    .process_id
                    .and_then(|_| self.session.process_name(e))
                    .map(|n| vec![FVal::Str(n.into())])
                    .unwrap_or_default(),
                Builtin::UTProcessName => self
                    .session
                    .ut_process_name(e)
                    .map(|n| vec![FVal::Str(n.into())])
                    .unwrap_or_default(),
                Builtin::Processor => int(i128::from(e.cpu)),
                Builtin::ActivityId => h
                    .activity_id
                    .map(|a| vec![FVal::Guid(a)])
                    .unwrap_or_default(),
                Builtin::EventName => self
                    .decoded()
                    .event_name
                    .as_deref()
                    .map(|n| vec![FVal::Str(n.into())])
                    .unwrap_or_default(),
                Builtin::Message => self
                    .message()
                    .map(|m| vec![FVal::Str(m.into())])
                    .unwrap_or_default(),
                Builtin::Description => {
                    let protocol = self
                        .provider_name()
                        .map(|n| self.session.protocol_name(&n))
                        .unwrap_or_default();
                    let text = self
                        .message()
                        .map_or_else(|| self.decoded().summary(), str::to_string);
                    vec![FVal::Str(format!("{protocol}:{text}").into())]
                }
                Builtin::DecodedBy => vec![FVal::Str(self.decoded().decoded_by.name().into())],
                Builtin::HeaderKind => vec![FVal::Str(h.kind.name().into())],
                Builtin::FrameData => vec![FVal::Bytes(Cow::Borrowed(e.payload()))],
                text_field => self.trace_text_values(*text_field),
            },
        }
    }

    /// The rendered message, or for WinHTTP/WebIO trace-text events their text (borrowed:
    /// the decoded event caches its message).
    fn message(&self) -> Option<&str> {
        let d = self.decoded();
        d.message().or_else(|| trace_text_of(d))
    }

    fn trace_text_values(&self, field: Builtin) -> Vec<FVal<'_>> {
        let Some(text) = trace_text_of(self.decoded()) else {
            return Vec::new();
        };
        let line = trace_text::parse_line(text);
        let s = |v: Option<&str>| {
            v.map(|v| vec![FVal::Str(v.to_string().into())])
                .unwrap_or_default()
        };
        match field {
            Builtin::TextTime => s(line.time_of_day),
            Builtin::Component => s(line.component),
            Builtin::Api => s(line.api_call.as_ref().map(|a| a.name)),
            Builtin::Handle => line
                .handle
                .map(|h| vec![FVal::Int(i128::from(h))])
                .unwrap_or_default(),
            Builtin::ErrorCode => {
                let mut v: Vec<FVal> = line
                    .errors
                    .iter()
                    .map(|t| FVal::Int(i128::from(t.code)))
                    .collect();
                if let Some(m) = &line.mapping {
                    v.push(FVal::Int(i128::from(m.from_code)));
                    v.push(FVal::Int(i128::from(m.to_code)));
                }
                if let Some(r) = &line.returning {
                    v.push(FVal::Int(i128::from(r.code)));
                }
                v
            }
            Builtin::ErrorSymbol => {
                let mut v: Vec<FVal> = line
                    .errors
                    .iter()
                    .filter_map(|t| t.display_symbol())
                    .map(|s| FVal::Str(s.to_string().into()))
                    .collect();
                if let Some(m) = &line.mapping {
                    v.extend(
                        [m.from_symbol, m.to_symbol]
                            .into_iter()
                            .flatten()
                            .map(|s| FVal::Str(s.to_string().into())),
                    );
                }
                if let Some(sym) = line.returning.as_ref().and_then(|r| r.symbol) {
                    v.push(FVal::Str(sym.to_string().into()));
                }
                v
            }
            Builtin::MappedFrom => line
                .mapping
                .as_ref()
                .map(|m| vec![FVal::Int(i128::from(m.from_code))])
                .unwrap_or_default(),
            Builtin::MappedTo => line
                .mapping
                .as_ref()
                .map(|m| vec![FVal::Int(i128::from(m.to_code))])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn provider_matches(&self, name: &str) -> bool {
        let Some(provider) = self.provider_name() else {
            return self
                .event
                .header
                .provider_guid()
                .is_some_and(|g| g.to_string() == name);
        };
        provider.eq_ignore_ascii_case(name)
            || self
                .session
                .protocol_name(&provider)
                .eq_ignore_ascii_case(name)
            || self
                .event
                .header
                .provider_guid()
                .is_some_and(|g| g.to_string() == name)
    }
}

/// Field values of a decoded payload value.
fn value_of(v: &Value) -> Vec<FVal<'_>> {
    match v {
        Value::Bool(b) => vec![FVal::Int(i128::from(*b))],
        Value::Int { value, .. } => vec![FVal::Int(i128::from(*value))],
        Value::UInt { value, .. } => vec![FVal::Int(i128::from(*value))],
        Value::Pointer { value, .. } => vec![FVal::Int(i128::from(*value))],
        Value::Port(p) => vec![FVal::Int(i128::from(*p))],
        Value::F32(f) => vec![FVal::Float(f64::from(*f))],
        Value::F64(f) => vec![FVal::Float(*f)],
        Value::String(s) => vec![FVal::Str(Cow::Borrowed(s))],
        Value::Guid(g) => vec![FVal::Guid(*g)],
        Value::FileTime(t) => vec![FVal::Time(*t)],
        Value::Binary(b) => vec![FVal::Bytes(Cow::Borrowed(b))],
        Value::Mapped { raw, text } => vec![FVal::Named {
            raw: i128::from(*raw),
            name: Cow::Borrowed(text),
        }],
        Value::Array(items) => items.iter().flat_map(value_of).collect(),
        other => vec![FVal::Str(other.display().into())],
    }
}

fn parse_int(s: &str) -> Option<i128> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => i128::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn ordering_holds(op: CmpOp, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Eq => ord == Equal,
        CmpOp::Ne | CmpOp::ValueNe => ord != Equal,
        CmpOp::Lt => ord == Less,
        CmpOp::Gt => ord == Greater,
        CmpOp::Le => ord != Greater,
        CmpOp::Ge => ord != Less,
    }
}

/// Compares one value with a literal under `op` (Eq/Lt/...; Ne is handled by the caller).
fn compare(v: &FVal, op: CmpOp, lit: &Lit, field: &FieldRef) -> bool {
    use std::cmp::Ordering;
    let num = |a: i128, b: i128| ordering_holds(op, a.cmp(&b));
    let float = |a: f64, b: f64| a.partial_cmp(&b).is_some_and(|o| ordering_holds(op, o));
    let text = |a: &str, b: &str| ordering_holds(op, a.to_lowercase().as_str().cmp(b));
    match (v, lit) {
        (FVal::Int(a), Lit::Int(b)) => num(*a, *b),
        (FVal::Int(a), Lit::Float(b)) | (FVal::Named { raw: a, .. }, Lit::Float(b)) => {
            float(*a as f64, *b)
        }
        (FVal::Int(a), Lit::ErrorCode { values, .. })
        | (FVal::Named { raw: a, .. }, Lit::ErrorCode { values, .. }) => {
            if matches!(op, CmpOp::Eq | CmpOp::Ne | CmpOp::ValueNe) {
                let hit = values
                    .iter()
                    .any(|&c| i128::from(c) == *a || i128::from(c as u32) == (*a & 0xFFFF_FFFF));
                hit == (op == CmpOp::Eq)
            } else {
                values.first().is_some_and(|&c| num(*a, i128::from(c)))
            }
        }
        (FVal::Int(a), Lit::Str { raw, lower }) => match parse_int(raw) {
            Some(b) => num(*a, b),
            None => text(&a.to_string(), lower),
        },
        (FVal::Named { raw, .. }, Lit::Int(b)) => num(*raw, *b),
        (FVal::Named { raw, name }, Lit::Str { lower, .. } | Lit::Name(lower)) => {
            if name.eq_ignore_ascii_case(lower) {
                return ordering_holds(op, Ordering::Equal);
            }
            let standard = match field {
                FieldRef::Builtin(Builtin::Level) => fields::LEVEL_NAMES,
                FieldRef::Builtin(Builtin::Opcode) => fields::OPCODE_NAMES,
                _ => &[],
            };
            match standard.iter().find(|(n, _)| *n == lower.as_str()) {
                Some(&(_, value)) => num(*raw, i128::from(value)),
                None => parse_int(lower).is_some_and(|b| num(*raw, b)),
            }
        }
        (FVal::Int(a), Lit::Name(name)) => {
            let standard = match field {
                FieldRef::Builtin(Builtin::Level) => fields::LEVEL_NAMES,
                _ => &[],
            };
            standard
                .iter()
                .find(|(n, _)| *n == name.as_str())
                .is_some_and(|&(_, b)| num(*a, i128::from(b)))
        }
        (FVal::Float(a), Lit::Float(b)) | (FVal::Float(a), Lit::Duration(b)) => float(*a, *b),
        (FVal::Float(a), Lit::Int(b)) => float(*a, *b as f64),
        (FVal::Str(a), Lit::Str { lower, .. } | Lit::Name(lower)) => text(a, lower),
        (FVal::Str(a), Lit::Int(b)) => parse_int(a).is_some_and(|a| num(a, *b)),
        (FVal::Str(a), Lit::ErrorCode { symbol, .. }) => text(a, &symbol.to_lowercase()),
        (FVal::Str(a), Lit::Guid(g)) => Uuid::parse_str(a.trim_matches(|c| c == '{' || c == '}'))
            .is_ok_and(|u| ordering_holds(op, u.cmp(g))),
        (FVal::Guid(a), Lit::Guid(b)) => ordering_holds(op, a.cmp(b)),
        (FVal::Guid(a), Lit::Str { raw, .. }) => {
            Uuid::parse_str(raw.trim_matches(|c| c == '{' || c == '}'))
                .is_ok_and(|b| ordering_holds(op, a.cmp(&b)))
        }
        (FVal::Time(a), Lit::Time { filetime, .. }) => ordering_holds(op, a.cmp(filetime)),
        (FVal::Time(a), Lit::Int(b)) => num(i128::from(*a), *b),
        _ => false,
    }
}

fn text_of<'a>(v: &'a FVal) -> Cow<'a, str> {
    match v {
        FVal::Str(s) => Cow::Borrowed(s),
        FVal::Named { name, .. } => Cow::Borrowed(name),
        FVal::Int(i) => i.to_string().into(),
        FVal::Float(f) => f.to_string().into(),
        FVal::Guid(g) => g.to_string().into(),
        FVal::Time(t) => etl::format_filetime(*t).into(),
        FVal::Bytes(b) => String::from_utf8_lossy(b).into_owned().into(),
    }
}

fn eval_pred(ctx: &EvalCtx, field: &FieldRef, mask: Option<u64>, test: &Test) -> bool {
    if let FieldRef::Provider(name) = field {
        return ctx.provider_matches(name);
    }
    if let FieldRef::PacketProtocol(word) = field {
        return ctx
            .frame()
            .is_some_and(|f| crate::packet::has_protocol(f, word));
    }
    let mut values = ctx.values(field);
    if let Some(m) = mask {
        for v in &mut values {
            if let FVal::Int(i) | FVal::Named { raw: i, .. } = v {
                *v = FVal::Int(*i & i128::from(m));
            }
        }
    }
    match test {
        Test::Exists => !values.is_empty(),
        Test::Compare(op @ (CmpOp::Ne | CmpOp::ValueNe), lit) => {
            if values.is_empty() {
                return *op == CmpOp::Ne;
            }
            !values.iter().any(|v| compare(v, CmpOp::Eq, lit, field))
        }
        Test::Compare(op, lit) => values.iter().any(|v| compare(v, *op, lit, field)),
        Test::In(lits) => values
            .iter()
            .any(|v| lits.iter().any(|l| compare(v, CmpOp::Eq, l, field))),
        Test::Contains {
            needle,
            case_sensitive,
        } => values.iter().any(|v| {
            let hay = text_of(v);
            if *case_sensitive {
                hay.contains(needle.as_str())
            } else {
                hay.to_lowercase().contains(needle.as_str())
            }
        }),
        Test::Matches(re) => values.iter().any(|v| re.is_match(&text_of(v))),
        Test::HasBits(bits) => values
            .iter()
            .any(|v| matches!(v, FVal::Int(i) if *i & i128::from(*bits) != 0)),
        Test::ContainsBytes(needle) => values.iter().any(|v| match v {
            FVal::Bytes(b) => {
                !needle.is_empty() && b.windows(needle.len()).any(|w| w == needle.as_slice())
            }
            _ => false,
        }),
    }
}

fn eval_node(ctx: &EvalCtx, node: &Node) -> bool {
    match node {
        Node::And(v) => v.iter().all(|n| eval_node(ctx, n)),
        Node::Or(v) => v.iter().any(|n| eval_node(ctx, n)),
        Node::Not(n) => !eval_node(ctx, n),
        Node::Pred { field, mask, test } => eval_pred(ctx, field, *mask, test),
    }
}

/// Evaluates one compiled node on an event (used to evaluate provider-only predicates once
/// per provider).
pub fn node_matches(session: &Timeline, event: Event<'_>, node: &Node) -> bool {
    eval_node(&EvalCtx::new(session, event), node)
}

impl Compiled {
    /// True when the event matches.
    pub fn matches(&self, session: &Timeline, event: Event<'_>) -> bool {
        let ctx = EvalCtx::new(session, event);
        eval_node(&ctx, &self.root)
    }
}
