//! The payload walker: reads the fields of an [`EventSchema`] out of payload bytes.

use super::convert::{
    ansi_to_string, ansi_until_nul, ansi_with_out_type, binary_value, hex_int_value, int_value,
    le16, utf16_until_nul, utf16le_to_string,
};
use super::out_type_ext as ext;
use super::{DecodeError, Decoded, IntFormat, Value};
use crate::schema::{
    Count, EventSchema, FieldDef, Length, ValueMap, in_type as it, out_type as ot,
};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;
use uuid::Uuid;

/// Deepest struct nesting decoded; deeper schemas are malformed or hostile.
const MAX_DEPTH: usize = 16;
/// Values allowed beyond one per payload byte, so zero-size elements cannot explode.
const EXTRA_VALUE_BUDGET: usize = 4096;

/// Decodes the top-level fields of `schema` from `payload`, in order. `pointer_size` (4 or 8)
/// comes from the record's header type; any other value is taken as 8.
///
/// Decoding stops at the first field that does not fit or is invalid: the fields before it
/// are kept, `consumed` is where that field began and `error` says what went wrong.
///
/// Length rules: strings are NUL-terminated unless the field has a length (characters for
/// UTF-16), and an unterminated string at the end of the payload is accepted; BINARY without
/// a length is 16 bytes for out-type IPV6 and otherwise the rest of the payload (manifest
/// binaries without `length`, custom-serialized TraceLogging fields).
pub fn decode_payload<'s>(
    schema: &'s EventSchema,
    payload: &[u8],
    pointer_size: u8,
) -> Decoded<'s> {
    let mut walker = Walker {
        payload,
        pos: 0,
        pointer_size: if pointer_size == 4 { 4 } else { 8 },
        maps: &schema.maps,
        budget: payload.len().saturating_add(EXTRA_VALUE_BUDGET),
    };
    let mut fields = Vec::with_capacity(schema.fields.len());
    let mut error = None;
    for field in &schema.fields {
        let start = walker.pos;
        match walker.field(field, Top::Fields(&fields), 0) {
            Ok(value) => fields.push((field.name.as_str(), value)),
            Err(e) => {
                walker.pos = start;
                error = Some(e);
                break;
            }
        }
    }
    Decoded {
        fields,
        consumed: walker.pos,
        error,
    }
}

/// The text a map gives for `raw`: value maps need an exact entry; bit maps join the names of
/// all set bits with `|` and append any bits no entry covers as hex. `None` = no hit.
pub fn map_lookup(map: &ValueMap, raw: u64) -> Option<String> {
    if !map.is_bitmap || raw == 0 {
        return map.entries.get(&raw).map(|text| text.trim().to_string());
    }
    let mut text = String::new();
    let mut covered = 0u64;
    for (&bits, name) in &map.entries {
        if bits != 0 && raw & bits == bits {
            if !text.is_empty() {
                text.push('|');
            }
            text.push_str(name.trim());
            covered |= bits;
        }
    }
    if text.is_empty() {
        return None;
    }
    let leftover = raw & !covered;
    if leftover != 0 {
        // Writing to a String cannot fail.
        let _ = write!(text, "|0x{leftover:X}");
    }
    Some(text)
}

struct Walker<'p, 's> {
    payload: &'p [u8],
    pos: usize,
    pointer_size: u8,
    maps: &'s BTreeMap<String, Arc<ValueMap>>,
    /// Values still allowed to be produced (bounds work on degenerate schemas).
    budget: usize,
}

/// Where `Count::Field` / `Length::Field` indexes point: the event's top-level fields, or the
/// members of the struct instance being decoded. Manifests and TDH metadata let a member take
/// its count/length from an earlier sibling, so each instance of a struct array uses the
/// value read in that same instance.
#[derive(Clone, Copy)]
enum Top<'a, 's> {
    Fields(&'a [(&'s str, Value)]),
    Members(&'a [Value]),
}

impl<'p> Walker<'p, '_> {
    fn remaining(&self) -> usize {
        self.payload.len().saturating_sub(self.pos)
    }

    fn truncated(&self, f: &FieldDef, need: usize) -> DecodeError {
        DecodeError::Truncated {
            field: f.name.clone(),
            offset: self.pos,
            need,
            have: self.remaining(),
        }
    }

    fn invalid(&self, f: &FieldDef, reason: &'static str) -> DecodeError {
        DecodeError::Invalid {
            field: f.name.clone(),
            offset: self.pos,
            reason,
        }
    }

    fn take(&mut self, f: &FieldDef, n: usize) -> Result<&'p [u8], DecodeError> {
        let payload = self.payload;
        let end = self.pos.checked_add(n);
        match end.and_then(|end| payload.get(self.pos..end).map(|bytes| (end, bytes))) {
            Some((end, bytes)) => {
                self.pos = end;
                Ok(bytes)
            }
            None => Err(self.truncated(f, n)),
        }
    }

    fn take_array<const N: usize>(&mut self, f: &FieldDef) -> Result<[u8; N], DecodeError> {
        match self
            .payload
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<N>())
        {
            Some(bytes) => {
                self.pos += N;
                Ok(*bytes)
            }
            None => Err(self.truncated(f, N)),
        }
    }

    fn take_rest(&mut self) -> &'p [u8] {
        let payload = self.payload;
        let rest = payload.get(self.pos..).unwrap_or_default();
        self.pos = payload.len();
        rest
    }

    fn u16_le(&mut self, f: &FieldDef) -> Result<u16, DecodeError> {
        self.take_array::<2>(f).map(u16::from_le_bytes)
    }

    fn spend(&mut self, f: &FieldDef) -> Result<(), DecodeError> {
        match self.budget.checked_sub(1) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(self.invalid(f, "too many values for the payload size")),
        }
    }

    /// The numeric value of the earlier field `index` in scope, which must already be decoded.
    fn reference(&self, f: &FieldDef, top: Top<'_, '_>, index: usize) -> Result<u64, DecodeError> {
        let value = match top {
            Top::Fields(fields) => fields.get(index).map(|(_, v)| v),
            Top::Members(members) => members.get(index),
        };
        value
            .and_then(Value::as_u64)
            .ok_or_else(|| DecodeError::BadReference {
                field: f.name.clone(),
                offset: self.pos,
                index,
            })
    }

    fn field(
        &mut self,
        f: &FieldDef,
        top: Top<'_, '_>,
        depth: usize,
    ) -> Result<Value, DecodeError> {
        let count = match f.count {
            Count::One => return self.single(f, top, depth),
            Count::Fixed(n) => u64::from(n),
            Count::Field(index) => self.reference(f, top, index)?,
            Count::PrefixU16 => u64::from(self.u16_le(f)?),
            Count::Remaining => {
                let mut items = Vec::new();
                while self.remaining() > 0 {
                    let before = self.pos;
                    items.push(self.single(f, top, depth)?);
                    if self.pos == before {
                        break; // zero-size elements would never end
                    }
                }
                // A trailing optional string (kernel Thread `ThreadName`): the string itself,
                // empty when the payload ends before it.
                let string = matches!(f.in_type, it::UNICODE_STRING | it::ANSI_STRING);
                if string && items.len() <= 1 {
                    return Ok(items.pop().unwrap_or_else(|| Value::String(String::new())));
                }
                return Ok(Value::Array(items));
            }
        };
        self.array(f, top, depth, count)
    }

    fn array(
        &mut self,
        f: &FieldDef,
        top: Top<'_, '_>,
        depth: usize,
        count: u64,
    ) -> Result<Value, DecodeError> {
        // Arrays of 8/16-bit units shown as STRING are one string (TraceLogging char arrays).
        if f.out_type == ot::STRING {
            let unit = match f.in_type {
                it::INT8 | it::UINT8 => 1,
                it::INT16 | it::UINT16 => 2,
                _ => 0,
            };
            if unit > 0 {
                let need = usize::try_from(count)
                    .unwrap_or(usize::MAX)
                    .saturating_mul(unit);
                let bytes = self.take(f, need)?;
                let text = if unit == 1 {
                    ansi_to_string(ansi_until_nul(bytes))
                } else {
                    utf16le_to_string(utf16_until_nul(bytes))
                };
                return Ok(Value::String(text));
            }
        }
        // Every element takes at least one byte except degenerate ones, which the value
        // budget bounds; so the element count can never exceed what remains.
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count > self.remaining() {
            return Err(self.truncated(f, count));
        }
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            items.push(self.single(f, top, depth)?);
        }
        Ok(Value::Array(items))
    }

    fn single(
        &mut self,
        f: &FieldDef,
        top: Top<'_, '_>,
        depth: usize,
    ) -> Result<Value, DecodeError> {
        self.spend(f)?;
        if f.in_type == it::STRUCT {
            if depth >= MAX_DEPTH {
                return Err(DecodeError::TooDeep {
                    field: f.name.clone(),
                    offset: self.pos,
                    max: MAX_DEPTH,
                });
            }
            let _ = top; // members refer to their siblings only, not to the enclosing fields
            let mut values: Vec<Value> = Vec::with_capacity(f.members.len());
            for member in &f.members {
                let value = self
                    .field(member, Top::Members(&values), depth + 1)
                    .map_err(|e| e.within(&f.name))?;
                values.push(value);
            }
            let members = f
                .members
                .iter()
                .zip(values)
                .map(|(m, v)| (m.name.clone(), v))
                .collect();
            return Ok(Value::Struct(members));
        }
        let Some(map) = f.map.as_ref().and_then(|name| self.maps.get(name)) else {
            // Tail call: the value is built in place (no copy through a temporary).
            return self.scalar(f, top);
        };
        let value = self.scalar(f, top)?;
        let mapped = Some(map).and_then(|map| {
            let raw = match value {
                Value::Int { .. } | Value::UInt { .. } => value.as_u64()?,
                _ => return None,
            };
            map_lookup(map, raw).map(|text| Value::Mapped { raw, text })
        });
        Ok(mapped.unwrap_or(value))
    }

    /// Byte length of a counted/fixed string or binary; `None` = the type's natural rule.
    fn length(&self, f: &FieldDef, top: Top<'_, '_>) -> Result<Option<usize>, DecodeError> {
        Ok(match f.length {
            Length::Natural => None,
            Length::Fixed(n) => Some(usize::from(n)),
            Length::Field(index) => {
                Some(usize::try_from(self.reference(f, top, index)?).unwrap_or(usize::MAX))
            }
        })
    }

    fn scalar(&mut self, f: &FieldDef, top: Top<'_, '_>) -> Result<Value, DecodeError> {
        let out = f.out_type;
        Ok(match f.in_type {
            it::UNICODE_STRING | it::NON_NULL_TERMINATED_STRING => {
                let terminated = f.in_type == it::UNICODE_STRING;
                let bytes = match self.length(f, top)? {
                    Some(chars) => utf16_until_nul(self.take(f, chars.saturating_mul(2))?),
                    None if terminated => self.utf16_terminated(),
                    None => utf16_until_nul(self.take_rest()),
                };
                Value::String(utf16le_to_string(bytes))
            }
            it::ANSI_STRING | it::NON_NULL_TERMINATED_ANSI_STRING => {
                let terminated = f.in_type == it::ANSI_STRING;
                let bytes = match self.length(f, top)? {
                    Some(n) => ansi_until_nul(self.take(f, n)?),
                    None if terminated => self.ansi_terminated(),
                    None => ansi_until_nul(self.take_rest()),
                };
                Value::String(ansi_with_out_type(bytes, out))
            }
            it::COUNTED_STRING | it::WBEM_COUNTED_STRING | it::REVERSED_COUNTED_STRING => {
                let prefix = self.take_array::<2>(f)?;
                let n = counted_len(prefix, f.in_type == it::REVERSED_COUNTED_STRING);
                Value::String(utf16le_to_string(utf16_until_nul(self.take(f, n)?)))
            }
            it::COUNTED_ANSI_STRING
            | it::WBEM_COUNTED_ANSI_STRING
            | it::REVERSED_COUNTED_ANSI_STRING => {
                let prefix = self.take_array::<2>(f)?;
                let n = counted_len(prefix, f.in_type == it::REVERSED_COUNTED_ANSI_STRING);
                Value::String(ansi_with_out_type(ansi_until_nul(self.take(f, n)?), out))
            }
            it::INT8 => int_value(
                u64::from(u8::from_le_bytes(self.take_array(f)?)),
                1,
                true,
                out,
            ),
            it::UINT8 => int_value(
                u64::from(u8::from_le_bytes(self.take_array(f)?)),
                1,
                false,
                out,
            ),
            it::INT16 => int_value(u64::from(self.u16_le(f)?), 2, true, out),
            it::UINT16 => int_value(u64::from(self.u16_le(f)?), 2, false, out),
            it::INT32 => int_value(
                u64::from(u32::from_le_bytes(self.take_array(f)?)),
                4,
                true,
                out,
            ),
            it::UINT32 => int_value(
                u64::from(u32::from_le_bytes(self.take_array(f)?)),
                4,
                false,
                out,
            ),
            it::INT64 => int_value(u64::from_le_bytes(self.take_array(f)?), 8, true, out),
            it::UINT64 => int_value(u64::from_le_bytes(self.take_array(f)?), 8, false, out),
            it::HEXINT32 => {
                hex_int_value(u64::from(u32::from_le_bytes(self.take_array(f)?)), 4, out)
            }
            it::HEXINT64 => hex_int_value(u64::from_le_bytes(self.take_array(f)?), 8, out),
            it::FLOAT => Value::F32(f32::from_le_bytes(self.take_array(f)?)),
            it::DOUBLE => Value::F64(f64::from_le_bytes(self.take_array(f)?)),
            it::BOOLEAN => Value::Bool(u32::from_le_bytes(self.take_array(f)?) != 0),
            it::GUID => Value::Guid(Uuid::from_bytes_le(self.take_array(f)?)),
            it::FILETIME => Value::FileTime(i64::from_le_bytes(self.take_array(f)?)),
            it::SYSTEMTIME => {
                let raw: [u8; 16] = self.take_array(f)?;
                let mut parts = [0u16; 8];
                for (part, pair) in parts.iter_mut().zip(raw.chunks_exact(2)) {
                    *part = le16(pair);
                }
                Value::SystemTime {
                    parts,
                    utc: out == ot::DATETIME_UTC,
                }
            }
            it::POINTER => {
                let value = self.pointer(f)?;
                match out {
                    ext::UNSIGNEDLONG | ext::UNSIGNEDINT => Value::UInt {
                        value,
                        width: self.pointer_size,
                        format: IntFormat::Decimal,
                    },
                    _ => Value::Pointer {
                        value,
                        width: self.pointer_size,
                    },
                }
            }
            it::SIZE_T => {
                let value = self.pointer(f)?;
                let hex = matches!(out, ot::HEXINT32 | ot::HEXINT64);
                let format = if hex {
                    IntFormat::Hex
                } else {
                    IntFormat::Decimal
                };
                Value::UInt {
                    value,
                    width: self.pointer_size,
                    format,
                }
            }
            it::SID => Value::Sid(self.sid(f)?),
            it::WBEM_SID => {
                let prefix: [u8; 4] = self.peek_array(f)?;
                if prefix == [0; 4] {
                    self.pos += 4;
                    Value::Sid(Vec::new())
                } else {
                    // A TOKEN_USER: two pointers, then the SID itself.
                    self.take(f, usize::from(self.pointer_size) * 2)?;
                    Value::Sid(self.sid(f)?)
                }
            }
            it::BINARY => {
                let bytes = match self.length(f, top)? {
                    Some(n) => self.take(f, n)?,
                    None if out == ot::IPV6 => self.take(f, 16)?,
                    // No length: custom-serialized TraceLogging data or a manifest binary
                    // without `length`; show the rest of the payload.
                    None => self.take_rest(),
                };
                binary_value(bytes, out)
            }
            it::COUNTED_BINARY => {
                let n = usize::from(self.u16_le(f)?);
                binary_value(self.take(f, n)?, out)
            }
            it::HEXDUMP => {
                let n = u32::from_le_bytes(self.take_array(f)?);
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                Value::Binary(self.take(f, n)?.to_vec())
            }
            it::UNICODE_CHAR => Value::String(utf16le_to_string(&self.take_array::<2>(f)?)),
            it::ANSI_CHAR => Value::String(ansi_to_string(&self.take_array::<1>(f)?)),
            other => {
                return Err(DecodeError::UnsupportedType {
                    field: f.name.clone(),
                    offset: self.pos,
                    in_type: other,
                });
            }
        })
    }

    fn peek_array<const N: usize>(&self, f: &FieldDef) -> Result<[u8; N], DecodeError> {
        match self
            .payload
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<N>())
        {
            Some(bytes) => Ok(*bytes),
            None => Err(self.truncated(f, N)),
        }
    }

    fn pointer(&mut self, f: &FieldDef) -> Result<u64, DecodeError> {
        if self.pointer_size == 4 {
            Ok(u64::from(u32::from_le_bytes(self.take_array(f)?)))
        } else {
            Ok(u64::from_le_bytes(self.take_array(f)?))
        }
    }

    /// A SID: revision, sub-authority count, 6-byte authority, then the sub-authorities.
    fn sid(&mut self, f: &FieldDef) -> Result<Vec<u8>, DecodeError> {
        let [revision, sub_count] = self.peek_array::<2>(f)?;
        // SID_MAX_SUB_AUTHORITIES is 15; anything else is not a SID.
        if revision != 1 || sub_count > 15 {
            return Err(self.invalid(
                f,
                "not a SID (revision must be 1, at most 15 sub-authorities)",
            ));
        }
        Ok(self.take(f, 8 + 4 * usize::from(sub_count))?.to_vec())
    }

    /// A NUL-terminated UTF-16 string (NUL consumed, not returned); an unterminated string
    /// runs to the end of the payload.
    fn utf16_terminated(&mut self) -> &'p [u8] {
        let payload = self.payload;
        let rest = payload.get(self.pos..).unwrap_or_default();
        let units = rest.len() / 2;
        let end = rest
            .chunks_exact(2)
            .position(|u| u == [0, 0])
            .unwrap_or(units);
        self.pos = if end < units {
            self.pos + end * 2 + 2
        } else {
            self.payload.len()
        };
        rest.get(..end * 2).unwrap_or_default()
    }

    fn ansi_terminated(&mut self) -> &'p [u8] {
        let payload = self.payload;
        let rest = payload.get(self.pos..).unwrap_or_default();
        match rest.iter().position(|&b| b == 0) {
            Some(end) => {
                self.pos += end + 1;
                rest.get(..end).unwrap_or_default()
            }
            None => {
                self.pos = self.payload.len();
                rest
            }
        }
    }
}

fn counted_len(prefix: [u8; 2], big_endian: bool) -> usize {
    usize::from(if big_endian {
        u16::from_be_bytes(prefix)
    } else {
        u16::from_le_bytes(prefix)
    })
}

#[cfg(test)]
#[path = "walker_tests.rs"]
mod tests;
