//! What a Network Monitor or Wireshark user types means what they expect (issue 19, filters):
//! Level ordering skips Level 0, error codes in every spelling, time literals, NetMon tick
//! units, unknown fields under known prefixes, quoting hints and subnets. Runs on the bundled
//! samples (and one shared sample for the local-time zone).

mod common;

use std::sync::atomic::AtomicBool;

use etlview::timeline::{Timeline, TimelineOptions};

fn bundled(name: &str) -> Timeline {
    let path = common::workspace_root().join("samples").join(name);
    Timeline::open(path, TimelineOptions::default()).unwrap()
}

fn count(session: &Timeline, expr: &str) -> usize {
    session
        .filter(expr, &AtomicBool::new(false), &|_| {})
        .unwrap_or_else(|e| panic!("{expr}: {}", e.render(expr)))
        .unwrap()
        .len()
}

fn error(session: &Timeline, expr: &str) -> String {
    match session.filter(expr, &AtomicBool::new(false), &|_| {}) {
        Ok(_) => panic!("`{expr}` was accepted"),
        Err(e) => e.render(expr),
    }
}

/// Events whose header level is in `levels`, counted without the filter language.
fn with_level(session: &Timeline, levels: &[u8]) -> usize {
    session
        .events()
        .filter(|e| levels.contains(&e.header.level))
        .count()
}

#[test]
fn level_ordering_does_not_count_level_zero() {
    let s = bundled("arr-502-timeout.etl");
    let zero = with_level(&s, &[0]);
    assert!(zero > 50, "the sample has Level 0 events: {zero}");
    assert_eq!(count(&s, "Level <= error"), with_level(&s, &[1, 2]));
    assert_eq!(count(&s, "Level < warning"), with_level(&s, &[1, 2]));
    assert_eq!(count(&s, "Level >= info"), with_level(&s, &[4, 5]));
    assert_eq!(count(&s, "Level > 0"), s.len() - zero);
    assert_eq!(
        count(&s, "NetEvent.Header.Descriptor.Level <= 0x2"),
        with_level(&s, &[1, 2])
    );
    // Equality still reaches Level 0.
    assert_eq!(count(&s, "Level == 0"), zero);
    assert_eq!(count(&s, "Level == always"), zero);
    // The general evaluator (a payload term forces it) agrees with the header fast path.
    assert_eq!(
        count(&s, "Level <= error AND NOT Message contains \"@@none@@\""),
        with_level(&s, &[1, 2])
    );
}

#[test]
fn error_fields_match_decimal_hex_hresult_and_symbol() {
    let s = bundled("arr-502-timeout.etl");
    let by_number = count(&s, "winhttp.error == 12002");
    assert!(by_number >= 5, "{by_number}");
    for form in [
        "winhttp.error == 0x2EE2",
        "winhttp.error == 0x80072EE2",
        "winhttp.error == 0x80072ee2",
        "winhttp.error == -2147012894",
        "winhttp.error == ERROR_WINHTTP_TIMEOUT",
        "ErrorCode == 0x80072EE2",
    ] {
        assert_eq!(count(&s, form), by_number, "{form}");
    }
    // Payload fields named like errors.
    let result = count(&s, "Result == 12002");
    assert_eq!(result, 1);
    for form in [
        "Result == 0x80072EE2",
        "Result == ERROR_WINHTTP_TIMEOUT",
        "Result == 0x2ee2",
    ] {
        assert_eq!(count(&s, form), result, "{form}");
    }
    let error = count(&s, "Error == 10060");
    assert_eq!(error, 4);
    for form in [
        "Error == WSAETIMEDOUT",
        "Error == 0x8007274C",
        "Error in {0x8007274C, 1}",
        "WEBIO_MicrosoftWindowsWebIO.ConnectionSocketReceive.Error.WinErrorValue == 0x274c",
    ] {
        assert!(count(&s, form) >= 1, "{form}");
    }
    assert_eq!(count(&s, "Error == 0x8007274C"), error);
    // A non-error field does not get the HRESULT reading.
    assert_eq!(count(&s, "EventId == 0x80070000"), 0);
}

#[test]
fn time_literals_in_every_accepted_form() {
    let s = bundled("arr-502-timeout.etl");
    let iso = count(&s, "Timestamp > 2024-03-12T14:32:40");
    assert!(iso > 0 && iso < s.len(), "{iso}");
    for form in [
        "Timestamp > \"2024-03-12T14:32:40\"",
        "Timestamp > 2024-03-12 14:32:40",
        "Timestamp > \"2024-03-12 14:32:40\"",
        "Timestamp > 14:32:40",
        "Timestamp > \"14:32:40\"",
        "Timestamp > 2024-03-12T14:32:40Z",
        "Timestamp > 2024-03-12 14:32:40 local",
        "Timestamp > 14:32:40.000 local",
        "Time > 14:32:40 AND Timestamp < 2024-03-13",
    ] {
        assert_eq!(count(&s, form), iso, "{form}");
    }
    let message = error(&s, "Timestamp > \"yesterday\"");
    for accepted in ["2024-03-12T14:32:40", "14:32:40", "local", "Z"] {
        assert!(message.contains(accepted), "{message}");
    }
    let message = error(&s, "Timestamp > 14:32:99");
    assert!(!message.contains("IPv6"), "{message}");
    assert!(message.contains("local"), "{message}");
}

#[test]
fn local_time_uses_the_capture_zone() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    // TimeZoneBias 480 minutes (UTC-8): 01:21:42 local is 09:21:42 UTC.
    let s = Timeline::open(
        shared.join("samples/tx-bond-etw-sample.etl"),
        TimelineOptions::default(),
    )
    .unwrap();
    let utc = count(&s, "Timestamp > 2015-10-24T09:21:42Z");
    assert!(utc > 0 && utc < s.len(), "{utc}");
    assert_eq!(count(&s, "Timestamp > 2015-10-24T01:21:42 local"), utc);
    assert_eq!(count(&s, "Timestamp > 01:21:42 local"), utc);
    assert_eq!(count(&s, "Timestamp > 09:21:42"), utc);
}

#[test]
fn netmon_time_fields_are_ticks_and_etlview_fields_seconds() {
    let s = bundled("arr-502-timeout.etl");
    let one_second = count(&s, "TimeDelta > 1");
    assert!(one_second > 0, "{one_second}");
    assert_eq!(count(&s, "TimeDelta > 1s"), one_second);
    assert_eq!(count(&s, "TimeDelta > 1000ms"), one_second);
    assert_eq!(count(&s, "FrameVariable.TimeDelta > 10000000"), one_second);
    assert_eq!(count(&s, "FrameVariable.TimeDelta > 1s"), one_second);
    assert!(count(&s, "TimeDelta > 1.5") <= one_second);
    let offset = count(&s, "TimeOffset >= 32.5");
    assert!(offset > 0 && offset < s.len());
    assert_eq!(count(&s, "FrameVariable.TimeOffset >= 325000000"), offset);
}

#[test]
fn unknown_fields_under_known_prefixes_are_errors_with_suggestions() {
    let s = bundled("arr-502-timeout.etl");
    for (expr, suggestion) in [
        ("tcp.prot == 80", "tcp.port"),
        ("http.response.code == 502", "http.response.statuscode"),
        ("Property.Eror != 0", "Property.Error"),
    ] {
        let message = error(&s, expr);
        assert!(
            message.contains("unknown field") || message.contains("unknown packet field"),
            "{expr}: {message}"
        );
        assert!(
            message.to_lowercase().contains(&suggestion.to_lowercase()),
            "{expr}: {message}"
        );
    }
    let message = error(&s, "Property.Foo");
    assert!(message.contains("unknown field"), "{message}");
    // Property.X reaches decoded payload fields.
    assert_eq!(
        count(&s, "Property.Error == 10060"),
        count(&s, "Error == 10060")
    );
    assert_eq!(
        count(&s, "Property.URI contains \"/api\""),
        count(&s, "URI contains \"/api\"")
    );
    assert!(count(&s, "tcp.port == 80") > 0);
}

#[test]
fn unquoted_values_and_subnets() {
    let s = bundled("arr-502-timeout.etl");
    let message = error(&s, "UTProcessName == w3wp.exe");
    assert!(message.contains("\"w3wp.exe\""), "{message}");
    assert!(message.contains("quote"), "{message}");
    let ipv4 = count(&s, "ipv4");
    assert!(ipv4 > 0);
    assert_eq!(count(&s, "ipv4.address == 10.0.0.0/24"), ipv4);
    assert_eq!(count(&s, "ipv4.address == 10.0.1.0/24"), 0);
    assert_eq!(count(&s, "ipv4.address != 10.0.0.0/8"), s.len() - ipv4);
    assert_eq!(
        count(&s, "ipv4.address == 10.0.0.21/32"),
        count(&s, "ipv4.address == 10.0.0.21")
    );
    assert_eq!(
        count(&s, "ipv4.src == 10.0.0.0/24 OR ipv4.dst == 10.0.0.0/24"),
        ipv4
    );
}
