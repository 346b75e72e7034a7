//! The text-log request id and the HTTP stream dump markers.

use super::*;

fn token_view<'a>(line: &TraceLine<'a>) -> Vec<(Option<&'a str>, u32)> {
    line.errors.iter().map(|t| (t.symbol, t.code)).collect()
}

#[test]
fn request_tag_of_text_logs() {
    let line = parse_line(
        "10:19:26.578 ::*0000004* :: WinHttpOpenRequest(0x1a1f80, \"GET\", \"/a\", \"\", \"\", 0x0, 0x00000000)",
    );
    assert_eq!(line.request_tag, Some("0000004"));
    assert_eq!(line.time_of_day, Some("10:19:26.578"));
    assert_eq!(
        line.api_call.as_ref().map(|c| c.name),
        Some("WinHttpOpenRequest")
    );
    assert_eq!(line.handle, Some(0x1a_1f80));
    let input = "10:19:26.578 ::*Session* ::sys-req failed; error = WSAECONNREFUSED (10061)";
    let line = parse_line(input);
    assert_eq!(line.request_tag, Some("Session"));
    assert_eq!(line.component, Some("sys-req"));
    assert_eq!(token_view(&line), [(Some("WSAECONNREFUSED"), 10061)]);
    let span = line
        .errors
        .first()
        .map(|t| t.span.clone())
        .unwrap_or_default();
    assert_eq!(input.get(span), Some("WSAECONNREFUSED (10061)"));
    // Not a tag: a star inside a message, or no `::` after it.
    assert_eq!(parse_line("12:00:00.000 ::*bad tag* ::x").request_tag, None);
    assert_eq!(parse_line("12:00:00.000 ::*0001* x").request_tag, None);
    assert_eq!(parse_line("*0001* ::x").request_tag, Some("0001"));
}

#[test]
fn stream_dump_markers() {
    let begin = parse_line(
        "10:19:26.593 ::*0000004* ::<<<<-------- HTTP stream follows below ----------------------------------------------->>>>",
    );
    assert_eq!(begin.stream_marker, Some(StreamMarker::Begin));
    let end = parse_line(
        "10:19:26.593 ::<<<<-------- End ----------------------------------------------->>>>",
    );
    assert_eq!(end.stream_marker, Some(StreamMarker::End));
    assert_eq!(parse_line("GET / HTTP/1.1").stream_marker, None);
}
