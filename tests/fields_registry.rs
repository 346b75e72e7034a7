//! The field registry is the one list of fields: `etlview fields` lists exactly what the filter
//! accepts, every name compiles to its field, packet paths reach the dissector, and names the
//! registry does not know are errors with a suggestion.

use std::collections::BTreeSet;
use std::process::Command;

use etlview::fields::registry::{self, FieldId};
use etlview::filter::compile::{Catalog, FieldRef, Node, compile};
use etlview::filter::parse;
use etlview::packet::{Direction, Frame, Media, Source, field_values};

fn resolved(name: &str) -> Result<FieldRef, String> {
    let expr = parse(name).map_err(|e| e.render(name))?;
    let compiled = compile(&expr, &Catalog::default()).map_err(|e| e.render(name))?;
    match compiled.root {
        Node::Pred { field, .. } => Ok(field),
        other => Err(format!("{name} compiled to {other:?}")),
    }
}

#[test]
fn every_registry_name_compiles_to_its_field() {
    let mut names = 0;
    for def in registry::FIELDS.iter().filter(|f| !f.is_template()) {
        for name in def.names() {
            let want = match def.id {
                FieldId::Builtin(b) => FieldRef::Builtin(b),
                FieldId::Packet(path) => FieldRef::Packet(path.to_string()),
                FieldId::Payload => unreachable!(),
            };
            // Any case, and `::` separators as Network Monitor writes them.
            for spelled in [
                name.to_string(),
                name.to_uppercase(),
                name.replace('.', "::"),
            ] {
                assert_eq!(resolved(&spelled), Ok(want.clone()), "{spelled}");
            }
            names += 1;
        }
    }
    assert!(names > 150, "{names} names");
}

#[test]
fn the_fields_command_lists_what_the_filter_accepts() {
    let out = Command::new(env!("CARGO_BIN_EXE_etlview"))
        .args(["fields", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut from_cli = BTreeSet::new();
    for f in &listed {
        let name = f["name"].as_str().unwrap();
        if name.ends_with(".*") {
            continue; // the payload-field template
        }
        from_cli.insert(name.to_lowercase());
        for alias in f["aliases"].as_array().unwrap() {
            from_cli.insert(alias.as_str().unwrap().to_lowercase());
        }
    }
    // What the filter accepts, asked of the filter: every listed name resolves to a builtin
    // or packet field, and so does nothing else among the names the filter language and
    // Network Monitor users type (unknown ones are errors or payload fields).
    for name in &from_cli {
        assert!(
            matches!(
                resolved(name),
                Ok(FieldRef::Builtin(_)) | Ok(FieldRef::Packet(_))
            ),
            "{name}"
        );
    }
    let accepted: BTreeSet<String> = registry::FIELDS
        .iter()
        .flat_map(|f| f.names())
        .filter(|n| !n.ends_with(".*"))
        .filter(|n| {
            matches!(
                resolved(n),
                Ok(FieldRef::Builtin(_)) | Ok(FieldRef::Packet(_))
            )
        })
        .map(str::to_lowercase)
        .collect();
    assert_eq!(from_cli, accepted);
    // A pattern narrows the list; none matching is exit code 1.
    let tcp = Command::new(env!("CARGO_BIN_EXE_etlview"))
        .args(["fields", "tcp.flags"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&tcp.stdout)
            .matches("TCP.Flags.")
            .count(),
        6
    );
    let none = Command::new(env!("CARGO_BIN_EXE_etlview"))
        .args(["fields", "no-such-field-anywhere"])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
}

#[test]
fn every_packet_field_reaches_the_dissector() {
    let frame = Frame {
        frame_number: 1,
        filetime: 0,
        interface: 0,
        direction: Direction::Unknown,
        media: Media::Ethernet,
        pid: None,
        tid: None,
        original_len: 0,
        truncated: false,
        data: Vec::new(),
        source: Source::Ndis,
    };
    for def in registry::FIELDS {
        if let FieldId::Packet(path) = def.id {
            for name in std::iter::once(path).chain(def.aliases.iter().copied()) {
                assert!(
                    field_values(&frame, &name.to_lowercase()).is_some(),
                    "the dissector does not know {name}"
                );
            }
        }
    }
}

#[test]
fn unknown_packet_fields_are_errors_with_a_suggestion() {
    for (typed, suggested) in [
        ("tcp.prot", "TCP.Port"),
        ("http.response.code", "HTTP.Response.StatusCode"),
        ("ipv4.adress", "IPv4.Address"),
    ] {
        let err = resolved(&format!("{typed} == 1")).unwrap_err();
        assert!(err.contains("unknown packet field"), "{err}");
        assert!(err.contains(suggested), "{typed}: {err}");
    }
}
