//! Compiles a parsed filter into a predicate tree once: names resolved, symbols turned into
//! numbers, regexes built, and a note of whether any payload decoding is needed.

use regex::Regex;
use uuid::Uuid;

use super::ast::{self, CmpOp, Expr, FieldPath, LiteralValue, Operand, Separator, TextOp};
use super::error::{FilterError, suggest};
use super::fields::{self, Builtin};
use crate::fields::registry::{self, FieldId};
use decode::errors;

/// What a predicate reads.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldRef {
    Builtin(Builtin),
    /// A decoded payload field, by name (case-insensitive).
    Payload(String),
    /// A provider or protocol name used alone: true for that provider's events.
    Provider(String),
    /// A packet field of a captured frame (`tcp.port`, `http.request.command`), lower-case.
    Packet(String),
    /// A packet protocol used alone (`tcp`, `dns`): true for frames that contain it.
    PacketProtocol(String),
}

impl FieldRef {
    pub fn needs_decode(&self) -> bool {
        match self {
            FieldRef::Builtin(b) => b.needs_decode(),
            FieldRef::Payload(_) | FieldRef::Packet(_) | FieldRef::PacketProtocol(_) => true,
            FieldRef::Provider(_) => false,
        }
    }
}

/// A literal after compilation.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Int(i128),
    Float(f64),
    /// Lower-cased for case-insensitive comparison, and as written.
    Str {
        lower: String,
        raw: String,
    },
    Guid(Uuid),
    /// FILETIME (100 ns since 1601, UTC); `local` when no zone was given.
    Time {
        filetime: i64,
        local: bool,
    },
    /// Seconds.
    Duration(f64),
    /// An error symbol: its code and HRESULT form both match.
    ErrorCode {
        symbol: String,
        values: Vec<u64>,
    },
    /// A bare name to compare against named values (level/opcode names, map texts).
    Name(String),
}

/// One test on a field.
#[derive(Debug, Clone)]
pub enum Test {
    Exists,
    Compare(CmpOp, Lit),
    Contains {
        needle: String,
        case_sensitive: bool,
    },
    Matches(Regex),
    In(Vec<Lit>),
    HasBits(u64),
    ContainsBytes(Vec<u8>),
}

/// A compiled filter node.
#[derive(Debug, Clone)]
pub enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Pred {
        field: FieldRef,
        mask: Option<u64>,
        test: Test,
    },
}

/// A compiled filter.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub root: Node,
    /// Some predicate reads decoded payload data.
    pub needs_decode: bool,
    /// The expression as parsed, printed canonically.
    pub canonical: String,
}

pub use crate::timeline::Catalog;

/// Protocol words that are valid as existence tests even without packet data.
const PROTOCOL_WORDS: &[&str] = &["netevent"];

/// Protocols of captured frames (NDIS-PacketCapture, pktmon); their fields are packet fields.
const PACKET_PROTOCOLS: &[&str] = &[
    "tcp", "udp", "ipv4", "ipv6", "http", "dns", "tls", "icmp", "icmpv6", "ethernet", "eth", "arp",
];

/// Compiles `expr` (already parsed from `text`) against a catalog.
pub fn compile(expr: &Expr, catalog: &Catalog) -> Result<Compiled, FilterError> {
    let root = node(expr, catalog)?;
    let mut needs = false;
    visit(&root, &mut |f| needs |= f.needs_decode());
    Ok(Compiled {
        root,
        needs_decode: needs,
        canonical: expr.to_string(),
    })
}

fn visit(n: &Node, f: &mut impl FnMut(&FieldRef)) {
    match n {
        Node::And(v) | Node::Or(v) => v.iter().for_each(|c| visit(c, f)),
        Node::Not(c) => visit(c, f),
        Node::Pred { field, .. } => f(field),
    }
}

fn node(expr: &Expr, catalog: &Catalog) -> Result<Node, FilterError> {
    Ok(match expr {
        Expr::Or(v) => Node::Or(
            v.iter()
                .map(|e| node(e, catalog))
                .collect::<Result<_, _>>()?,
        ),
        Expr::And(v) => Node::And(
            v.iter()
                .map(|e| node(e, catalog))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(e) => Node::Not(Box::new(node(e, catalog)?)),
        Expr::Exists(path) => Node::Pred {
            field: resolve(path, catalog, true)?,
            mask: None,
            test: Test::Exists,
        },
        Expr::QuotedName(s) => Node::Pred {
            field: FieldRef::Provider(s.value.to_lowercase()),
            mask: None,
            test: Test::Exists,
        },
        Expr::Compare(c) => compare(c, catalog)?,
        Expr::Text(t) => {
            let field = resolve(&t.field, catalog, false)?;
            let test = match t.op {
                TextOp::Contains => Test::Contains {
                    needle: if t.case_sensitive {
                        t.pattern.value.clone()
                    } else {
                        t.pattern.value.to_lowercase()
                    },
                    case_sensitive: t.case_sensitive,
                },
                TextOp::Matches => Test::Matches(
                    regex::RegexBuilder::new(&t.pattern.value)
                        .case_insensitive(!t.case_sensitive)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| {
                            FilterError::new(
                                t.pattern.span.clone(),
                                format!("bad regular expression: {e}"),
                            )
                        })?,
                ),
            };
            Node::Pred {
                field,
                mask: None,
                test,
            }
        }
        Expr::InSet(s) => {
            let field = resolve(&s.field.path, catalog, false)?;
            let members = s.members.iter().map(literal).collect::<Result<_, _>>()?;
            Node::Pred {
                field,
                mask: s.field.mask.as_ref().map(|m| m.value),
                test: Test::In(members),
            }
        }
        Expr::HasBit(h) => {
            let field = resolve(&h.field, catalog, false)?;
            let lower = h.bit.name.to_lowercase();
            let Some(&(_, bits)) = fields::KEYWORD_NAMES.iter().find(|(n, _)| *n == lower) else {
                let names: Vec<&str> = fields::KEYWORD_NAMES.iter().map(|(n, _)| *n).collect();
                let mut e = FilterError::new(
                    h.bit.span.clone(),
                    format!("unknown keyword bit `{}`", h.bit.name),
                )
                .with_expected(names.iter().map(|n| n.to_uppercase()));
                if let Some(s) = suggest(&lower, &names) {
                    e = e.with_suggestion(s.to_uppercase());
                }
                return Err(e);
            };
            Node::Pred {
                field,
                mask: None,
                test: Test::HasBits(bits),
            }
        }
        Expr::ContainsBin(c) => {
            let field = resolve(&c.field, catalog, false)?;
            let bytes = match c.encoding {
                ast::BinEncoding::Ascii => c.pattern.value.as_bytes().to_vec(),
                ast::BinEncoding::Utf16 => c
                    .pattern
                    .value
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect(),
                ast::BinEncoding::Hex => {
                    let digits: String = c
                        .pattern
                        .value
                        .trim_start_matches("0x")
                        .chars()
                        .filter(|ch| !ch.is_whitespace())
                        .collect();
                    (0..digits.len() / 2)
                        .filter_map(|i| u8::from_str_radix(digits.get(2 * i..2 * i + 2)?, 16).ok())
                        .collect()
                }
            };
            Node::Pred {
                field,
                mask: None,
                test: Test::ContainsBytes(bytes),
            }
        }
    })
}

fn compare(c: &ast::Comparison, catalog: &Catalog) -> Result<Node, FilterError> {
    // Field on the left; a literal on the left is mirrored.
    let (field, lit, op) = match (&c.left, &c.right) {
        (Operand::Field(f), Operand::Literal(l)) => (f, l, c.op),
        (Operand::Literal(l), Operand::Field(f)) => (f, l, mirror(c.op)),
        (Operand::Field(_), Operand::Field(f)) => {
            return Err(FilterError::new(
                f.path.span.clone(),
                "comparing two fields is not supported: compare a field with a value",
            ));
        }
        (Operand::Literal(_), Operand::Literal(l)) => {
            return Err(FilterError::new(
                l.span.clone(),
                "a comparison needs a field on one side",
            ));
        }
    };
    Ok(Node::Pred {
        field: resolve(&field.path, catalog, false)?,
        mask: field.mask.as_ref().map(|m| m.value),
        test: Test::Compare(op, literal(lit)?),
    })
}

fn mirror(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn literal(l: &ast::Literal) -> Result<Lit, FilterError> {
    Ok(match &l.value {
        LiteralValue::Int { value, .. } => Lit::Int(*value),
        LiteralValue::Float(f) => Lit::Float(*f),
        LiteralValue::Str(s) => Lit::Str {
            lower: s.to_lowercase(),
            raw: s.clone(),
        },
        LiteralValue::Guid(g) => Lit::Guid(*g),
        LiteralValue::Ip { addr, .. } => Lit::Str {
            lower: addr.to_string().to_lowercase(),
            raw: addr.to_string(),
        },
        LiteralValue::Time(t) => {
            let date = chrono::NaiveDate::from_ymd_opt(
                i32::from(t.year),
                u32::from(t.month),
                u32::from(t.day),
            )
            .and_then(|d| {
                d.and_hms_nano_opt(
                    u32::from(t.hour),
                    u32::from(t.minute),
                    u32::from(t.second),
                    t.nanosecond,
                )
            })
            .ok_or_else(|| FilterError::new(l.span.clone(), "this date and time does not exist"))?;
            let utc = date.and_utc()
                - chrono::Duration::minutes(i64::from(t.utc_offset_minutes.unwrap_or(0)));
            Lit::Time {
                filetime: etl::clock::datetime_to_filetime(utc),
                local: t.utc_offset_minutes.is_none(),
            }
        }
        LiteralValue::Duration(d) => Lit::Duration(d.as_seconds()),
        LiteralValue::Symbol(name) => match errors::by_symbol(name) {
            Some(code) => {
                let mut values = vec![u64::from(code.code)];
                if let Some(h) = code.hresult {
                    values.push(u64::from(h));
                }
                Lit::ErrorCode {
                    symbol: code.symbol.to_string(),
                    values,
                }
            }
            None => match name.to_ascii_lowercase().as_str() {
                "true" => Lit::Int(1),
                "false" => Lit::Int(0),
                _ => Lit::Name(name.to_lowercase()),
            },
        },
    })
}

/// The dotted, lower-cased spelling of a path (`::` and `:` read as `.`).
fn dotted(path: &FieldPath) -> String {
    let mut s = String::new();
    if path.prefix == Some(ast::PathPrefix::Annotation) {
        s.push('#');
    }
    for seg in &path.segments {
        if matches!(
            seg.separator,
            Some(Separator::Dot | Separator::Colon | Separator::DoubleColon)
        ) {
            s.push('.');
        }
        s.push_str(&seg.name.to_lowercase());
    }
    s
}

/// Resolves a field path: builtin fields and aliases, `Provider.field` paths into payloads,
/// bare payload field names, provider/protocol names (as existence tests).
fn resolve(path: &FieldPath, catalog: &Catalog, existence: bool) -> Result<FieldRef, FilterError> {
    let full = dotted(path);
    if let Some(b) = fields::builtin(&full) {
        return Ok(FieldRef::Builtin(b));
    }
    let names: Vec<String> = path.names().map(str::to_lowercase).collect();
    if PACKET_PROTOCOLS.contains(&names[0].as_str()) && path.prefix.is_none() {
        if names.len() == 1 {
            return Ok(FieldRef::PacketProtocol(names[0].clone()));
        }
        // Packet fields are the registry's: an unknown one is an error, not a silent false.
        if let Some(FieldId::Packet(canonical)) = registry::packet_field(&full).map(|f| f.id) {
            return Ok(FieldRef::Packet(canonical.to_string()));
        }
        let layer = format!("{}.", names[0]);
        let candidates: Vec<&str> = registry::FIELDS
            .iter()
            .filter(|f| matches!(f.id, FieldId::Packet(_)))
            .flat_map(|f| f.names())
            .filter(|n| n.to_lowercase().starts_with(&layer))
            .collect();
        let mut err = FilterError::new(
            path.span.clone(),
            format!(
                "unknown packet field `{}` (`etlview fields {}` lists the {} fields)",
                path.names().collect::<Vec<_>>().join("."),
                names[0],
                names[0].to_uppercase()
            ),
        );
        if let Some(s) = suggest(&full, &candidates) {
            err = err.with_suggestion(s);
        }
        return Err(err);
    }
    if path.prefix == Some(ast::PathPrefix::AnyProtocol) || names.len() == 1 {
        let name = &names[0];
        if existence
            && (catalog.providers.contains(name) || PROTOCOL_WORDS.contains(&name.as_str()))
        {
            return Ok(FieldRef::Provider(name.clone()));
        }
        if catalog.payload_fields.contains(name) || path.prefix.is_some() {
            return Ok(FieldRef::Payload(name.clone()));
        }
        if !existence && catalog.providers.contains(name) {
            return Ok(FieldRef::Provider(name.clone()));
        }
    } else {
        // `<Protocol>.<...>.<field>`: the last payload field named in the path, ignoring
        // unknown middle segments and Network Monitor's `.WinErrorValue` suffix.
        let first = &names[0];
        let known_prefix = catalog.providers.contains(first)
            || PROTOCOL_WORDS.contains(&first.as_str())
            || matches!(first.as_str(), "payload" | "winhttp" | "webio" | "property");
        if known_prefix {
            let mut tail: Vec<&String> = names[1..].iter().collect();
            if tail.last().is_some_and(|n| *n == "winerrorvalue") && tail.len() > 1 {
                tail.pop();
            }
            if let Some(field) = tail
                .iter()
                .rev()
                .find(|n| catalog.payload_fields.contains(n.as_str()))
            {
                return Ok(FieldRef::Payload((*field).clone()));
            }
            if let Some(last) = tail.last() {
                // Packet fields and payload fields of events not in this trace: false for every
                // event, as a missing field is.
                return Ok(FieldRef::Payload((*last).clone()));
            }
        }
    }
    let mut candidates: Vec<&str> = fields::suggestion_candidates();
    candidates.extend(catalog.display_names.iter().map(String::as_str));
    let mut err = FilterError::new(
        path.span.clone(),
        format!(
            "unknown field `{}`: no builtin field, payload field or provider has that name in this trace",
            path.names().collect::<Vec<_>>().join(".")
        ),
    );
    if let Some(s) = suggest(&full, &candidates) {
        err = err.with_suggestion(s);
    }
    Err(err)
}
