//! Decoding a message's argument bytes and filling its format string.
//!
//! Format strings are FormatMessage-style: `%N` or `%N!printf-spec!` inserts argument N
//! (user arguments are numbered from 10; `%0` is where tracefmt puts its prefix, `%1`/`%2`
//! the module and `file_line` name), `%!FUNC!`-style names come from the `//` trailer, and
//! `%%`, `%n`, `%r`, `%t`, `% `, `%.`, `%!` are escapes.

use super::args::{self, ArgProblem, Cursor, TmfValue};
use super::printf::{self, Spec};
use super::{MessageFormat, Rendered};

/// Field names longer than this fall back to `Arg<N>`.
const NAME_LIMIT: usize = 64;

/// Why rendering could not use the whole payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("argument %{index} ({item}) at payload offset {offset}: {problem}")]
    Argument {
        index: u16,
        item: String,
        offset: usize,
        problem: ArgProblem,
    },
    #[error(
        "{count} payload bytes left over after the last argument (the TMF may be from another build)"
    )]
    LeftOver { count: usize },
}

pub fn render(format: &MessageFormat, payload: &[u8], pointer_size: u8) -> Rendered {
    let pointer_size = if pointer_size == 4 { 4 } else { 8 };
    let mut cursor = Cursor::new(payload);
    let mut values: Vec<(u16, TmfValue)> = Vec::with_capacity(format.args.len());
    let mut error = None;
    for arg in &format.args {
        let offset = cursor.position();
        match args::read(&arg.item, &mut cursor, pointer_size) {
            Ok(value) => values.push((arg.index, value)),
            Err(failure) => {
                if let Some(partial) = failure.partial {
                    values.push((arg.index, partial));
                }
                error = Some(RenderError::Argument {
                    index: arg.index,
                    item: arg.item.label(),
                    offset,
                    problem: failure.problem,
                });
                break;
            }
        }
    }
    let left_over = cursor.remaining().len();
    if error.is_none() && left_over > 0 {
        error = Some(RenderError::LeftOver { count: left_over });
    }
    let text = fill(format, &values);
    let names = field_names(format);
    let fields = format
        .args
        .iter()
        .zip(names)
        .filter_map(|(arg, name)| {
            let value = values.iter().find(|(index, _)| *index == arg.index)?;
            Some((name, value.1.clone()))
        })
        .collect();
    Rendered {
        text,
        fields,
        error: error.map(|e| e.to_string()),
    }
}

/// The argument's own name when it is a usable, unique label; `Arg<N>` otherwise (tracewpp
/// writes plain `Arg` when it had no expression to show).
fn field_names(format: &MessageFormat) -> Vec<String> {
    let usable = |name: &str| {
        !name.is_empty() && name.chars().count() <= NAME_LIMIT && !name.eq_ignore_ascii_case("arg")
    };
    format
        .args
        .iter()
        .map(|arg| {
            let name = arg.name.trim();
            let unique = format.args.iter().filter(|a| a.name.trim() == name).count() == 1;
            if usable(name) && unique {
                name.to_string()
            } else {
                format!("Arg{}", arg.index)
            }
        })
        .collect()
}

fn fill(format: &MessageFormat, values: &[(u16, TmfValue)]) -> String {
    let mut out = String::with_capacity(format.format.len());
    let mut rest = format.format.as_str();
    while let Some(at) = rest.find('%') {
        out.push_str(rest.get(..at).unwrap_or_default());
        rest = insert(
            format,
            values,
            rest.get(at + 1..).unwrap_or_default(),
            &mut out,
        );
    }
    out.push_str(rest);
    out
}

/// Handles what follows one `%`, appending to `out`; returns the text after the insert.
fn insert<'a>(
    format: &MessageFormat,
    values: &[(u16, TmfValue)],
    after: &'a str,
    out: &mut String,
) -> &'a str {
    let Some(first) = after.chars().next() else {
        out.push('%');
        return after;
    };
    let skip_first = after.get(first.len_utf8()..).unwrap_or_default();
    let escape = match first {
        '%' => Some("%"),
        'n' => Some("\n"),
        'r' => Some("\r"),
        't' => Some("\t"),
        ' ' => Some(" "),
        '.' => Some("."),
        _ => None,
    };
    if let Some(text) = escape {
        out.push_str(text);
        return skip_first;
    }
    if first == '!' {
        return named_insert(format, skip_first, out);
    }
    let digits = after
        .char_indices()
        .take_while(|(i, c)| *i < 3 && c.is_ascii_digit())
        .count();
    if digits == 0 {
        out.push('%');
        return after;
    }
    let (index_text, mut rest) = after.split_at_checked(digits).unwrap_or((after, ""));
    let index: u16 = index_text.parse().unwrap_or(u16::MAX);
    let mut spec_text = None;
    if let Some(spec_start) = rest.strip_prefix('!')
        && let Some((spec, tail)) = spec_start.split_once('!')
    {
        spec_text = Some(spec);
        rest = tail;
    }
    let spec = spec_text.and_then(Spec::parse).unwrap_or(Spec::STRING);
    let declared = format.args.iter().any(|arg| arg.index == index);
    if let Some((_, value)) = values.iter().find(|(i, _)| *i == index) {
        out.push_str(&printf::apply(&spec, value));
    } else if declared {
        out.push_str("<missing>");
    } else {
        match index {
            0 => {}
            1 => out.push_str(&format.module),
            2 => out.push_str(&format.source_file_line),
            _ => {
                // Not something this message defines: keep the insert as written.
                out.push('%');
                out.push_str(index_text);
                if let Some(spec) = spec_text {
                    out.push('!');
                    out.push_str(spec);
                    out.push('!');
                }
            }
        }
    }
    rest
}

/// `%!NAME!` (after the first `!`): a trailer value, or the text kept as written.
fn named_insert<'a>(format: &MessageFormat, after: &'a str, out: &mut String) -> &'a str {
    let Some((name, rest)) = after.split_once('!') else {
        out.push('!');
        return after;
    };
    let is_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_name {
        out.push('!');
        return after;
    }
    match named_value(format, name) {
        Some(value) => out.push_str(&value),
        None => {
            out.push_str("%!");
            out.push_str(name);
            out.push('!');
        }
    }
    rest
}

fn named_value(format: &MessageFormat, name: &str) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    match upper.as_str() {
        "FUNC" => format.function.clone(),
        "LEVEL" => format.level.clone(),
        "FLAGS" => format.flags.clone(),
        "COMPNAME" => Some(format.module.clone()),
        "FILE" => format.source_file.clone(),
        "LINE" => {
            let name = &format.source_file_line;
            let digits = name.chars().rev().take_while(char::is_ascii_digit).count();
            name.get(name.len().saturating_sub(digits)..)
                .filter(|d| !d.is_empty())
                .map(str::to_string)
        }
        _ => format
            .attributes
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::TmfSet;
    use super::*;
    use proptest::prelude::*;

    const GUID: &str = "2818ef08-6a54-396f-2244-5a6ea4a98cf0";

    fn message(format: &str, args: &[&str]) -> MessageFormat {
        let mut text = format!(
            "{GUID} cldflt // SRC=hydrate.c MJ= MN=\n#typev hydrate_c812 43 \"{format}\" //   LEVEL=TRACE_LEVEL_ERROR FLAGS=HYDRATE FUNC=HsmHydrate\n{{\n"
        );
        for (i, arg) in args.iter().enumerate() {
            text.push_str(&format!("{arg} -- {}\n", 10 + i));
        }
        text.push_str("}\n");
        let (set, errors) = TmfSet::parse_str(&text, "test.tmf");
        assert_eq!(errors, vec![]);
        set.lookup(&uuid::Uuid::parse_str(GUID).unwrap(), 43)
            .expect("message 43")
            .clone()
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn renders_the_real_cldflt_payload_shape() {
        // Arguments of the first WPP record in s4-cldflt0-wpp.etl: two pointers, an NTSTATUS.
        let format = message(
            "%0Hydration of %10!p! (stream %11!p!) failed: %12!s! [%!FUNC!]",
            &[
                "FileObject, ItemPtr",
                "Stream, ItemPtr",
                "status, ItemNTSTATUS",
            ],
        );
        let rendered = format.render(&hex("1070aab088bbffff101032ae88bbffff0f001cc0"), 8);
        assert_eq!(
            rendered.text,
            "Hydration of FFFFBB88B0AA7010 (stream FFFFBB88AE321010) failed: 0xC01C000F [HsmHydrate]"
        );
        assert_eq!(rendered.error, None);
        assert_eq!(
            rendered.fields,
            vec![
                (
                    "FileObject".to_string(),
                    TmfValue::Pointer {
                        value: 0xFFFF_BB88_B0AA_7010,
                        width: 8
                    }
                ),
                (
                    "Stream".to_string(),
                    TmfValue::Pointer {
                        value: 0xFFFF_BB88_AE32_1010,
                        width: 8
                    }
                ),
                ("status".to_string(), TmfValue::NtStatus(0xC01C_000F)),
            ]
        );
    }

    #[test]
    fn renders_each_item_type_through_its_conversion() {
        let format = message(
            "c=%10!c! uc=%11!u! s=%12!hd! us=%13!hu! l=%14!d! ul=%15!08X! ll=%16!I64d! ull=%17!I64x! \
             d=%18!.3f! str=%19!s! w=%20!ws! ps=%21!s! pw=%22!s! g=%23!s! hr=%24!s! we=%25!s! \
             ip=%26!s! port=%27!s! list=%28!s! enum=%29!s! sid=%30!s!",
            &[
                "a, ItemChar",
                "b, ItemUChar",
                "c, ItemShort",
                "d, ItemUShort",
                "e, ItemLong",
                "f, ItemULong",
                "g, ItemLongLong",
                "h, ItemULongLong",
                "i, ItemDouble",
                "j, ItemString",
                "k, ItemWString",
                "l, ItemPString",
                "m, ItemPWString",
                "n, ItemGuid",
                "o, ItemHRESULT",
                "p, ItemWINERROR",
                "q, ItemIPAddr",
                "r, ItemPort",
                "s, ItemListLong(Idle,Running,Stopped)",
                "t, ItemEnum(_MODE)",
                "u, ItemSid",
            ],
        );
        let mut payload = vec![b'Z', 200];
        payload.extend_from_slice(&(-2i16).to_le_bytes());
        payload.extend_from_slice(&65535u16.to_le_bytes());
        payload.extend_from_slice(&(-100_000i32).to_le_bytes());
        payload.extend_from_slice(&0xBEEFu32.to_le_bytes());
        payload.extend_from_slice(&(-5i64).to_le_bytes());
        payload.extend_from_slice(&0xDEAD_BEEF_0000u64.to_le_bytes());
        payload.extend_from_slice(&2.5f64.to_le_bytes());
        payload.extend_from_slice(b"ansi\0");
        payload.extend("wide\0".encode_utf16().flat_map(u16::to_le_bytes));
        payload.extend_from_slice(&[3, 0, b'c', b'n', b't']);
        payload.extend_from_slice(&[4, 0, b'u', 0, b'w', 0]);
        payload.extend_from_slice(&uuid::Uuid::parse_str(GUID).unwrap().to_bytes_le());
        payload.extend_from_slice(&0x8007_0005u32.to_le_bytes());
        payload.extend_from_slice(&5u32.to_le_bytes());
        payload.extend_from_slice(&[127, 0, 0, 1]);
        payload.extend_from_slice(&[0x1F, 0x90]);
        payload.extend_from_slice(&1u32.to_le_bytes());
        payload.extend_from_slice(&3u32.to_le_bytes());
        payload.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
        let rendered = format.render(&payload, 8);
        assert_eq!(rendered.error, None);
        assert_eq!(
            rendered.text,
            "c=Z uc=200 s=-2 us=65535 l=-100000 ul=0000BEEF ll=-5 ull=deadbeef0000 d=2.500 \
             str=ansi w=wide ps=cnt pw=uw g={2818ef08-6a54-396f-2244-5a6ea4a98cf0} \
             hr=E_ACCESSDENIED we=ERROR_ACCESS_DENIED ip=127.0.0.1 port=8080 list=Running \
             enum=3 sid=S-1-5-18"
        );
        assert_eq!(rendered.fields.len(), 21);
        assert_eq!(
            rendered.fields[4],
            (
                "e".to_string(),
                TmfValue::Int {
                    value: -100_000,
                    width: 4
                }
            )
        );
    }

    #[test]
    fn handles_escapes_names_positions_and_unknown_inserts() {
        let format = message(
            "%0[%!LEVEL!|%!FLAGS!|%!FILE!:%!LINE!|%!GLOBALS!] %11 then %10!x!%%%n%1 %2 %5!x! 100%",
            &["first, ItemLong", "second, ItemLong"],
        );
        let mut payload = 255u32.to_le_bytes().to_vec();
        payload.extend_from_slice(&7u32.to_le_bytes());
        let rendered = format.render(&payload, 8);
        assert_eq!(
            rendered.text,
            "[TRACE_LEVEL_ERROR|HYDRATE|hydrate.c:812|%!GLOBALS!] 7 then ff%\ncldflt hydrate_c812 %5!x! 100%"
        );
    }

    #[test]
    fn truncated_payloads_render_what_they_can_and_say_what_is_missing() {
        let format = message(
            "a=%10!d! b=%11!s! c=%12!d!",
            &["a, ItemLong", "b, ItemString", "c, ItemLong"],
        );
        let mut payload = 9u32.to_le_bytes().to_vec();
        payload.extend_from_slice(b"unfinished");
        let rendered = format.render(&payload, 8);
        assert_eq!(rendered.text, "a=9 b=unfinished c=<missing>");
        assert_eq!(
            rendered.error.as_deref(),
            Some(
                "argument %11 (ItemString) at payload offset 4: no NUL terminator in the 10 bytes left"
            )
        );
        assert_eq!(rendered.fields.len(), 2);

        let rendered = format.render(&[1, 2], 8);
        assert_eq!(rendered.text, "a=<missing> b=<missing> c=<missing>");
        assert_eq!(
            rendered.error.as_deref(),
            Some("argument %10 (ItemLong) at payload offset 0: needs 4 bytes, 2 left")
        );
        assert!(rendered.fields.is_empty());
    }

    #[test]
    fn unknown_types_stop_decoding_and_left_over_bytes_are_reported() {
        let format = message(
            "%10!d! %11!s! %12!d!",
            &["a, ItemLong", "b, ItemFrobnicator", "c, ItemLong"],
        );
        let rendered = format.render(&[1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0], 8);
        assert_eq!(rendered.text, "1 <missing> <missing>");
        assert_eq!(
            rendered.error.as_deref(),
            Some(
                "argument %11 (ItemFrobnicator) at payload offset 4: unknown item type, cannot tell its size"
            )
        );
        let format = message("%10!d!", &["a, ItemLong"]);
        let rendered = format.render(&[1, 0, 0, 0, 9, 9], 8);
        assert_eq!(rendered.text, "1");
        assert_eq!(
            rendered.error.as_deref(),
            Some(
                "2 payload bytes left over after the last argument (the TMF may be from another build)"
            )
        );
    }

    #[test]
    fn pointer_size_follows_the_record() {
        let format = message("%10!p! %11!d!", &["p, ItemPtr", "n, ItemLong"]);
        let rendered = format.render(&[0x10, 0x20, 0, 0, 7, 0, 0, 0], 4);
        assert_eq!(
            (rendered.text.as_str(), rendered.error),
            ("00002010 7", None)
        );
    }

    #[test]
    fn field_names_fall_back_to_the_argument_index() {
        let format = message(
            "",
            &[
                "Arg, ItemChar",
                "x, ItemChar",
                "x, ItemChar",
                "ok, ItemChar",
            ],
        );
        let names: Vec<String> = format
            .render(&[1, 2, 3, 4], 8)
            .fields
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(names, vec!["Arg10", "Arg11", "Arg12", "ok"]);
    }

    proptest! {
        #[test]
        fn render_never_panics(
            payload in proptest::collection::vec(any::<u8>(), 0..96),
            pointer_size in any::<u8>(),
            format in "[%!0-9a-zA-Z .#-]{0,40}",
        ) {
            let message = message(
                &format.replace('"', ""),
                &[
                    "a, ItemWString", "b, ItemSid", "c, ItemPWString", "d, ItemDouble",
                    "e, ItemSetByte(x,y)", "f, ItemString", "g, ItemHEXDump", "h, ItemPtr",
                ],
            );
            let rendered = message.render(&payload, pointer_size);
            prop_assert!(rendered.fields.len() <= 8);
            let for_spec = message.render(&payload, 8);
            prop_assert!(for_spec.error.is_some() || for_spec.fields.len() == 8);
        }
    }
}
