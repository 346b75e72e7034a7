//! WebIO/WinHTTP/TCPIP manifest events whose `Error`/`Status`/`Result` field holds a failure
//! code are failures in the timeline, and the detail view explains the code (issue 19).

mod common;

use etlview::timeline::{Severity, Timeline, TimelineOptions};

#[test]
fn error_fields_with_failure_codes_mark_failures_and_explain_them() {
    let mut checked = 0;
    for (name, expected) in [
        ("arr-502-timeout.etl", "WSAETIMEDOUT"),
        ("arr-502-reset.etl", "ERROR_NETNAME_DELETED"),
        ("arr-502-offline.etl", "STATUS_IO_TIMEOUT"),
    ] {
        let path = common::workspace_root().join("samples").join(name);
        let session = Timeline::open(&path, TimelineOptions::default()).unwrap();
        let mut explained = false;
        for e in session.events() {
            let d = session.decode(&e);
            let failing = ["Error", "Status", "Result"].iter().any(|field| {
                d.get(field)
                    .and_then(|v| v.as_u64())
                    .is_some_and(|c| c != 0 && c != 997)
            });
            if !failing {
                continue;
            }
            assert_eq!(
                session.severity(e.frame),
                Some(Severity::Failure),
                "{name} frame {}",
                e.frame + 1
            );
            let detail = session.detail(e.frame).unwrap();
            let meanings: Vec<&str> = detail
                .fields
                .iter()
                .filter(|f| ["Error", "Status", "Result"].contains(&f.name.as_str()))
                .filter_map(|f| f.meaning.as_deref())
                .collect();
            assert!(
                !meanings.is_empty(),
                "{name} frame {}: no meaning",
                e.frame + 1
            );
            explained |= meanings.iter().any(|m| m.contains(expected));
            checked += 1;
        }
        assert!(explained, "{name}: no field explained as {expected}");
    }
    assert!(checked >= 14, "{checked}");
}

#[test]
fn zero_and_pending_codes_are_not_failures() {
    let path = common::workspace_root().join("samples/arr-healthy.etl");
    let session = Timeline::open(&path, TimelineOptions::default()).unwrap();
    let failures = session
        .severity_marks()
        .iter()
        .filter(|(_, s)| *s == Severity::Failure)
        .count();
    assert_eq!(failures, 0);
}
