//! Element counts: an embedded schema's fixed count corrected by the manifest's count field,
//! and a check that an event's last counted array used up the bytes it should.
//!
//! TDH metadata that KernelTraceControl embeds for some events records a fixed array count
//! where the manifest counts by an earlier field (CLRStackWalk: `Stack` with count 2, where
//! the manifest says `count="FrameCount"`): TDH itself then shows 2 of 20-67 frames.

use crate::schema::{Count, EventSchema, FieldDef, in_type as it};

/// The schema with each top-level fixed-count array whose manifest twin (same position and
/// name) counts by an earlier field (also the same in both) counted by that field instead.
/// `None` when nothing changes.
pub(super) fn corrected_by_manifest(
    embedded: &EventSchema,
    manifest: &EventSchema,
) -> Option<EventSchema> {
    let same_name = |i: usize| {
        matches!(
            (embedded.fields.get(i), manifest.fields.get(i)),
            (Some(a), Some(b)) if a.name == b.name
        )
    };
    let mut fixed = None;
    for (i, field) in embedded.fields.iter().enumerate() {
        if let (Count::Fixed(_), Some(twin)) = (&field.count, manifest.fields.get(i))
            && let Count::Field(index) = twin.count
            && same_name(i)
            && index < i
            && same_name(index)
        {
            fixed.get_or_insert_with(|| embedded.clone()).fields[i].count = Count::Field(index);
        }
    }
    fixed
}

/// Bytes of one element of a fixed-size scalar type; `None` for strings, structs, SIDs.
fn element_width(f: &FieldDef, pointer_size: u8) -> Option<usize> {
    Some(match f.in_type {
        it::INT8 | it::UINT8 | it::ANSI_CHAR => 1,
        it::INT16 | it::UINT16 | it::UNICODE_CHAR => 2,
        it::INT32 | it::UINT32 | it::HEXINT32 | it::FLOAT | it::BOOLEAN => 4,
        it::INT64 | it::UINT64 | it::HEXINT64 | it::DOUBLE | it::FILETIME => 8,
        it::GUID | it::SYSTEMTIME => 16,
        it::POINTER | it::SIZE_T => usize::from(if pointer_size == 4 { 4u8 } else { 8 }),
        _ => return None,
    })
}

/// A warning when the event's last field is an array counted by a number (fixed or from a
/// field) and whole elements remain unread after it: the count and the bytes disagree.
pub(super) fn trailing_elements(
    schema: &EventSchema,
    payload_len: usize,
    consumed: usize,
    pointer_size: u8,
) -> Option<String> {
    let last = schema.fields.last()?;
    let counted = match last.count {
        Count::Fixed(_) => "its fixed count",
        Count::Field(_) => "its count field",
        _ => return None,
    };
    let width = element_width(last, pointer_size)?;
    let left = payload_len.checked_sub(consumed)?;
    if left == 0 || left % width != 0 {
        return None;
    }
    let count_name = match last.count {
        Count::Field(index) => schema.fields.get(index).map(|f| f.name.as_str()),
        _ => None,
    };
    Some(format!(
        "count mismatch: array `{}` ends at byte {consumed} by {}{}, but {} more element(s) of {width} bytes follow (payload {payload_len} bytes)",
        last.name,
        counted,
        count_name.map(|n| format!(" `{n}`")).unwrap_or_default(),
        left / width
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Count, FieldDef, SchemaSource, in_type, out_type};

    fn stack_walk(count: Count) -> EventSchema {
        let mut s = EventSchema::new(SchemaSource::Metadata, "Microsoft-Windows-DotNETRuntime");
        s.fields = vec![
            FieldDef::scalar("ClrInstanceID", in_type::UINT16, out_type::NULL),
            FieldDef::scalar("FrameCount", in_type::UINT32, out_type::NULL),
            FieldDef {
                count,
                ..FieldDef::scalar("Stack", in_type::POINTER, out_type::NULL)
            },
        ];
        s
    }

    #[test]
    fn the_manifest_count_field_replaces_a_fixed_count() {
        let fixed =
            corrected_by_manifest(&stack_walk(Count::Fixed(2)), &stack_walk(Count::Field(1)))
                .expect("corrected");
        assert_eq!(fixed.fields[2].count, Count::Field(1));
        assert!(
            corrected_by_manifest(&stack_walk(Count::Field(1)), &stack_walk(Count::Field(1)))
                .is_none()
        );
        let mut renamed = stack_walk(Count::Field(1));
        renamed.fields[1].name = "Other".into();
        assert!(corrected_by_manifest(&stack_walk(Count::Fixed(2)), &renamed).is_none());
    }

    #[test]
    fn whole_elements_left_after_a_counted_array_are_reported() {
        let s = stack_walk(Count::Fixed(2));
        // 2 + 4 + 2 * 8 = 22 bytes read of 38: two more pointers.
        let warning = trailing_elements(&s, 38, 22, 8).unwrap();
        assert!(
            warning.contains("`Stack`") && warning.contains("2 more element(s)"),
            "{warning}"
        );
        assert_eq!(trailing_elements(&s, 22, 22, 8), None);
        assert_eq!(
            trailing_elements(&s, 25, 22, 8),
            None,
            "not whole elements: padding"
        );
        let counted = stack_walk(Count::Field(1));
        assert!(
            trailing_elements(&counted, 30, 22, 8)
                .unwrap()
                .contains("`FrameCount`")
        );
    }
}
