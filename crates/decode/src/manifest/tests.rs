use super::*;
use crate::schema::{Count, Length, SchemaSource, in_type, out_type};
use proptest::prelude::*;

const NS: &str = "http://schemas.microsoft.com/win/2004/08/events";
const TEST_GUID: &str = "11111111-2222-3333-4444-555555555555";

fn guid(text: &str) -> Uuid {
    Uuid::parse_str(text).expect("test GUID literal")
}

/// A one-provider manifest around the given provider body and string table.
fn manifest(body: &str, strings: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<instrumentationManifest xmlns="{NS}" xmlns:win="http://manifests.microsoft.com/win/2004/08/windows/events" xmlns:xs="http://www.w3.org/2001/XMLSchema">
 <instrumentation><events>
  <provider name="Test-Provider" guid="{{{TEST_GUID}}}" symbol="TestProvider">
{body}
  </provider>
 </events></instrumentation>
 <localization><resources culture="en-US"><stringTable>
{strings}
 </stringTable></resources></localization>
</instrumentationManifest>"#
    )
}

fn load(text: &str, kind: DefinitionKind) -> (SchemaRegistry, LoadReport) {
    let mut registry = SchemaRegistry::new();
    let mut report = LoadReport::default();
    registry.add_text("test.man", text, kind, &mut report);
    (registry, report)
}

fn event(registry: &SchemaRegistry, id: u16, version: u8) -> Arc<EventSchema> {
    registry
        .manifest_event(&guid(TEST_GUID), id, version)
        .expect("event defined by the test manifest")
        .0
}

#[test]
fn builtin_definitions_all_load_without_problems() {
    let (registry, report) = SchemaRegistry::builtin_with_report();
    let problems: Vec<String> = report.skipped_files.iter().map(|e| e.to_string()).collect();
    assert!(problems.is_empty(), "skipped builtin files: {problems:#?}");
    let warnings: Vec<String> = report.warnings.iter().map(|w| w.to_string()).collect();
    assert!(warnings.is_empty(), "builtin warnings: {warnings:#?}");
    assert_eq!(report.files_loaded, builtin::BUILTIN_PARSERS.len());
    assert!(
        registry.provider_count() >= 17,
        "{}",
        registry.provider_count()
    );
    assert_eq!(registry.event_count(), report.events - report.replaced);

    let winhttp = guid("7d44233d-3055-4b9c-ba64-0d47ca40a232");
    let (trace, exact) = registry.manifest_event(&winhttp, 1, 0).expect("WinHttp 1");
    assert!(exact);
    assert_eq!(trace.source, SchemaSource::Manifest);
    assert_eq!(&*trace.provider_name, "Microsoft-Windows-WinHttp");
    assert_eq!(trace.fields.len(), 1);
    assert_eq!(trace.fields[0].name, "param1");
    assert_eq!(trace.fields[0].in_type, in_type::UNICODE_STRING);
    assert_eq!(trace.message.as_deref(), Some("%1"));
    assert_eq!(trace.level_name.as_deref(), Some("LogAlways"));

    let webio = guid("50b3e73c-9370-461d-bb9f-26f32d68887d");
    let (headers, _) = registry.manifest_event(&webio, 100, 0).expect("WebIO 100");
    assert_eq!(headers.fields[2].name, "Headers");
    assert_eq!(headers.fields[2].length, Length::Field(1));
    assert_eq!(
        headers.keyword_names,
        ["Keyword.SEND", "keyword_20000000000"]
    );

    let http = guid("dd5ef90a-6398-47a4-ad34-4dcecdef795f");
    let (deliver, _) = registry.manifest_event(&http, 3, 0).expect("HttpService 3");
    assert_eq!(&*deliver.event_name, "HTTPRequestTraceTaskDeliver");
    assert_eq!(deliver.task_name.as_deref(), Some("HTTPRequestTraceTask"));
    assert_eq!(deliver.opcode_name.as_deref(), Some("Deliver"));

    let process = guid("22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716");
    let (start, _) = registry
        .manifest_event(&process, 1, 0)
        .expect("ProcessStart");
    assert_eq!(
        start.fields.last().map(|f| f.name.as_str()),
        Some("ImageName")
    );
    assert_eq!(start.opcode_name.as_deref(), Some("Start"));
    assert_eq!(
        registry.provider_name(&guid("b3e675d7-2554-4f18-830b-2762732560de")),
        Some("KernelTraceControl/ImageID")
    );
}

#[test]
fn version_fallback_prefers_nearest_lower_then_lowest_higher() {
    let body = r#"<events>
   <event value="7" version="2" symbol="Two"/>
   <event value="7" version="4" symbol="Four"/>
  </events>"#;
    let (registry, report) = load(&manifest(body, ""), DefinitionKind::Manifest);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let name = |version| {
        let (schema, exact) = registry
            .manifest_event(&guid(TEST_GUID), 7, version)
            .expect("event 7");
        (schema.event_name.to_string(), exact)
    };
    assert_eq!(name(2), ("Two".to_string(), true));
    assert_eq!(name(4), ("Four".to_string(), true));
    assert_eq!(name(3), ("Two".to_string(), false));
    assert_eq!(name(9), ("Four".to_string(), false));
    assert_eq!(name(0), ("Two".to_string(), false));
    assert!(registry.manifest_event(&guid(TEST_GUID), 8, 0).is_none());
    assert!(registry.classic_event(&guid(TEST_GUID), 7, 2).is_none());
}

#[test]
fn length_and_count_refer_to_earlier_fields_by_name() {
    let body = r#"<events><event value="1" template="t"/></events>
  <templates><template tid="t">
   <data name="Len" inType="win:UInt16"/>
   <data name="Text" inType="win:AnsiString" length="Len"/>
   <data name="Count" inType="win:UInt32"/>
   <data name="Items" inType="win:UInt64" outType="win:HexInt64" count="Count"/>
   <data name="Fixed" inType="win:Binary" length="6" count="2"/>
  </template></templates>"#;
    let (registry, report) = load(&manifest(body, ""), DefinitionKind::Manifest);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let schema = event(&registry, 1, 0);
    let fields = &schema.fields;
    assert_eq!(fields.len(), 5);
    assert_eq!(fields[1].length, Length::Field(0));
    assert_eq!(fields[1].count, Count::One);
    assert_eq!(fields[3].count, Count::Field(2));
    assert_eq!(fields[3].in_type, in_type::UINT64);
    assert_eq!(fields[3].out_type, out_type::HEXINT64);
    assert_eq!(fields[4].length, Length::Fixed(6));
    assert_eq!(fields[4].count, Count::Fixed(2));
}

#[test]
fn struct_groups_keep_their_members_in_order() {
    let body = r#"<events><event value="2" template="t"/></events>
  <templates><template tid="t">
   <data name="Count" inType="win:UInt16"/>
   <struct name="Entries" count="Count">
    <data name="Size" inType="win:UInt32"/>
    <data name="Blob" inType="win:Binary" length="Size"/>
   </struct>
   <data name="Tail" inType="win:GUID"/>
  </template></templates>"#;
    let (registry, report) = load(&manifest(body, ""), DefinitionKind::Manifest);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let schema = event(&registry, 2, 0);
    let entries = &schema.fields[1];
    assert_eq!(entries.in_type, in_type::STRUCT);
    assert_eq!(entries.count, Count::Field(0));
    let names: Vec<&str> = entries.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Size", "Blob"]);
    // Inside a struct a length names a sibling member: the index is into `members`.
    assert_eq!(entries.members[1].length, Length::Field(0));
    assert_eq!(schema.fields[2].in_type, in_type::GUID);
}

#[test]
fn struct_members_are_sized_by_siblings_of_their_own_instance() {
    let body = r#"<events>
   <event value="3" template="t"/><event value="4" template="outer"/><event value="5" template="by_struct"/>
  </events>
  <templates>
   <template tid="t">
    <data name="Count" inType="win:UInt8"/>
    <struct name="Types" count="Count">
     <data name="ParamCount" inType="win:UInt8"/>
     <data name="Params" inType="win:UInt16" count="ParamCount"/>
     <data name="Name" inType="win:AnsiString" length="ParamCount"/>
    </struct>
   </template>
   <template tid="outer"><data name="N" inType="win:UInt8"/><struct name="S"><data name="V" inType="win:UInt8" count="N"/></struct></template>
   <template tid="by_struct"><struct name="S"><data name="X" inType="win:UInt8"/></struct><data name="V" inType="win:UInt8" count="S"/></template>
  </templates>"#;
    let (registry, report) = load(&manifest(body, ""), DefinitionKind::Manifest);
    let messages: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(messages[0].contains("field V: count `N` is not an earlier field"));
    assert!(messages[1].contains("field V: count `S` is a struct, not a number"));
    let schema = event(&registry, 3, 0);
    let payload = [2, 1, 7, 0, b'a', 2, 8, 0, 9, 0, b'b', b'c'];
    let d = crate::value::decode_payload(&schema, &payload, 8);
    assert_eq!((&d.error, d.consumed), (&None, payload.len()));
    assert_eq!(
        d.get("Types").map(|v| v.display()).as_deref(),
        Some("[{ParamCount: 1, Params: [7], Name: a}, {ParamCount: 2, Params: [8, 9], Name: bc}]")
    );
}

#[test]
fn rest_of_payload_count_is_accepted_on_the_last_field_only() {
    let body = r#"<events><event value="1" template="tail"/><event value="2" template="middle"/></events>
  <templates>
   <template tid="tail"><data name="Key" inType="win:UInt64"/><data name="Stack" inType="win:Pointer" count="*"/></template>
   <template tid="middle"><data name="Stack" inType="win:Pointer" count="*"/><data name="Key" inType="win:UInt64"/></template>
  </templates>"#;
    let (registry, report) = load(&manifest(body, ""), DefinitionKind::Manifest);
    let tail = event(&registry, 1, 0);
    let names: Vec<String> = tail.fields.iter().map(|f| f.name.clone()).collect();
    assert_eq!(names, ["Key", "Stack"]);
    assert_eq!(tail.fields[1].count, crate::schema::Count::Remaining);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].message.contains("last field only"));
    assert!(registry.manifest_event(&guid(TEST_GUID), 2, 0).is_none());
}

#[test]
fn value_and_bit_maps_are_attached_with_resolved_text() {
    let body = r#"<maps>
   <valueMap name="Color"><map value="0" message="$(string.red)"/><map value="0x2" message="$(string.blue)"/></valueMap>
   <bitMap name="Flags"><map value="0x1" message="$(string.read)"/><map value="0x4" message="$(string.write)"/></bitMap>
   <valueMap name="Unused"><map value="1" message="$(string.red)"/></valueMap>
  </maps>
  <events><event value="3" template="t"/></events>
  <templates><template tid="t">
   <data name="C" inType="win:UInt32" map="Color"/>
   <data name="F" inType="win:UInt32" map="Flags"/>
  </template></templates>"#;
    let strings = r#"<string id="red" value="Red"/><string id="blue" value="Blue"/>
  <string id="read" value="Read"/><string id="write" value="Write"/>"#;
    let (registry, report) = load(&manifest(body, strings), DefinitionKind::Manifest);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let schema = event(&registry, 3, 0);
    assert_eq!(schema.maps.len(), 2, "only referenced maps are attached");
    let color = &schema.maps["Color"];
    assert!(!color.is_bitmap);
    assert_eq!(color.entries.get(&2).map(String::as_str), Some("Blue"));
    let flags = &schema.maps["Flags"];
    assert!(flags.is_bitmap);
    assert_eq!(flags.entries.get(&4).map(String::as_str), Some("Write"));
    assert_eq!(schema.fields[1].map.as_deref(), Some("Flags"));
}

#[test]
fn messages_resolve_through_the_string_table() {
    let body = r#"<events>
   <event value="4" message="$(string.hello)"/>
   <event value="5" message="Literal %1"/>
   <event value="6" message="$(string.missing)"/>
  </events>"#;
    let text = manifest(body, r#"<string id="hello" value="Hello %1 &amp; %2"/>"#).replace(
        "</localization>",
        r#"<resources culture="de-DE"><stringTable><string id="hello" value="Hallo"/></stringTable></resources></localization>"#,
    );
    let (registry, _) = load(&text, DefinitionKind::Manifest);
    assert_eq!(
        event(&registry, 4, 0).message.as_deref(),
        Some("Hello %1 & %2")
    );
    assert_eq!(
        event(&registry, 5, 0).message.as_deref(),
        Some("Literal %1")
    );
    assert_eq!(event(&registry, 6, 0).message, None);
}

#[test]
fn event_names_follow_symbol_then_task_and_opcode() {
    let body = r#"<tasks><task name="Conn" value="9"><opcodes><opcode name="Retry" value="12"/></opcodes></task></tasks>
  <levels><level name="Chatty" value="16"/></levels>
  <keywords><keyword name="Net" mask="0x10"/></keywords>
  <events>
   <event value="10" symbol="Explicit" task="Conn" opcode="win:Start"/>
   <event value="11" task="Conn" opcode="win:Start" level="win:Error" keywords="Net"/>
   <event value="12" task="Conn" opcode="Retry" level="Chatty"/>
   <event value="13" task="Conn"/>
   <event value="14"/>
  </events>"#;
    let (registry, report) = load(&manifest(body, ""), DefinitionKind::Manifest);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(&*event(&registry, 10, 0).event_name, "Explicit");
    let start = event(&registry, 11, 0);
    assert_eq!(&*start.event_name, "ConnStart");
    assert_eq!(start.level_name.as_deref(), Some("Error"));
    assert_eq!(start.keyword_names, ["Net"]);
    let retry = event(&registry, 12, 0);
    assert_eq!(&*retry.event_name, "ConnRetry");
    assert_eq!(retry.level_name.as_deref(), Some("Chatty"));
    assert_eq!(&*event(&registry, 13, 0).event_name, "Conn");
    assert_eq!(&*event(&registry, 14, 0).event_name, "Event14");
}

#[test]
fn classic_definitions_are_keyed_by_opcode_and_named_task_slash_opcode() {
    let body = r#"<tasks><task name="Process" value="1"><opcodes><opcode name="DCStart" value="3"/></opcodes></task></tasks>
  <events>
   <event value="3" version="2" task="Process" opcode="DCStart" template="t"/>
   <event value="1" version="2" task="Process"/>
   <event value="300" version="0"/>
  </events>
  <templates><template tid="t"><data name="Pid" inType="win:UInt32"/><data name="Sid" inType="etl:WbemSid"/></template></templates>"#;
    let (registry, report) = load(&manifest(body, ""), DefinitionKind::Classic);
    assert_eq!(
        report.warnings.len(),
        1,
        "event type 300 is refused: {:?}",
        report.warnings
    );
    let (dc_start, exact) = registry
        .classic_event(&guid(TEST_GUID), 3, 2)
        .expect("classic DCStart");
    assert!(exact);
    assert_eq!(dc_start.source, SchemaSource::Mof);
    assert_eq!(&*dc_start.event_name, "Process/DCStart");
    assert_eq!(dc_start.fields[1].in_type, in_type::WBEM_SID);
    // Without an opcode attribute the event type names the standard opcode.
    let (start, _) = registry
        .classic_event(&guid(TEST_GUID), 1, 2)
        .expect("Start");
    assert_eq!(&*start.event_name, "Process/Start");
    assert!(registry.manifest_event(&guid(TEST_GUID), 3, 2).is_none());
}

#[test]
fn wevtutil_publisher_export_loads() {
    // Shape of `wevtutil gp <name> /ge /gm:true /f:xml`: numeric attributes, inline messages
    // and templates, opcode values printed as opcode << 16 | task.
    let text = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<provider name="Contoso-Widget" guid="{{{TEST_GUID}}}" message="Contoso Widget">
<levels><level name="win:Informational" value="4" message="Information"/></levels>
<opcodes><opcode name="win:Start" value="65536" message="Start"/><opcode name="Spin" value="720901" message="Spin"/></opcodes>
<tasks><task name="Rotate" value="5" message="Rotate"/></tasks>
<keywords><keyword name="Gears" mask="10" message="Gears"/></keywords>
<events>
<event value="1" version="0" opcode="1" channel="16" level="4" task="5" keywords="0x8000000000000010" message="Rotated %1 times.">
<template xmlns="{NS}"><data name="Turns" inType="win:UInt32" outType="xs:unsignedInt"/></template>
</event>
<event value="2" version="0" opcode="11" level="4" task="5" keywords="0x0"/>
</events>
</provider>"#
    );
    let (registry, report) = load(&text, DefinitionKind::Manifest);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let rotated = event(&registry, 1, 0);
    assert_eq!(&*rotated.provider_name, "Contoso-Widget");
    assert_eq!(&*rotated.event_name, "RotateStart");
    assert_eq!(rotated.level_name.as_deref(), Some("Informational"));
    assert_eq!(rotated.keyword_names, ["Gears"]);
    assert_eq!(rotated.message.as_deref(), Some("Rotated %1 times."));
    assert_eq!(rotated.fields[0].out_type, 8);
    assert_eq!(event(&registry, 2, 0).opcode_name.as_deref(), Some("Spin"));
}

#[test]
fn broken_definitions_cost_only_themselves() {
    let body = r#"<events>
   <event value="20" template="bad_length"/>
   <event value="21" template="missing"/>
   <event value="22" template="unknown_map"/>
   <event value="23" symbol="Fine"/>
   <event value="70000"/>
  </events>
  <templates>
   <template tid="bad_length"><data name="S" inType="win:AnsiString" length="Later"/><data name="Later" inType="win:UInt16"/></template>
   <template tid="unknown_map"><data name="V" inType="win:UInt32" map="Nope"/><data name="W" inType="win:Mystery"/></template>
  </templates>"#;
    let (registry, report) = load(&manifest(body, ""), DefinitionKind::Manifest);
    let messages: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(messages.len(), 5, "{messages:#?}");
    assert!(messages[0].contains("length `Later` is not an earlier field"));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("template missing is not defined"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("map Nope is not defined"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("unknown inType win:Mystery"))
    );
    assert!(messages.iter().any(|m| m.contains("value 0-65535")));
    assert!(report.warnings.iter().all(|w| w.line > 1 && w.column >= 1));
    assert!(registry.manifest_event(&guid(TEST_GUID), 20, 0).is_none());
    assert!(registry.manifest_event(&guid(TEST_GUID), 21, 0).is_none());
    // Degraded, not dropped: the map is omitted, the unknown type becomes NULL.
    let degraded = event(&registry, 22, 0);
    assert_eq!(degraded.fields[0].map, None);
    assert_eq!(degraded.fields[1].in_type, in_type::NULL);
    assert_eq!(&*event(&registry, 23, 0).event_name, "Fine");
}

#[test]
fn warnings_are_capped_per_file_and_positions_count_characters() {
    let many: String = (0..80).map(|_| "<level/>").collect();
    let body =
        format!("<levels>\n  \u{e9}{many}</levels>\n<events><event value=\"\u{e9}\"/></events>");
    let (_, report) = load(&manifest(&body, ""), DefinitionKind::Manifest);
    assert_eq!(report.warnings.len(), parse::MAX_WARNINGS + 1);
    let last = report.warnings.last().expect("summary warning");
    assert!(
        last.message.starts_with("31 more problems"),
        "{}",
        last.message
    );
    // Columns count characters: the two-byte `é` before the first <level/> counts once.
    let first = &report.warnings[0];
    assert_eq!((first.line, first.column), (6, 4));
    let second = &report.warnings[1];
    assert_eq!((second.line, second.column), (6, 12));
}

#[test]
fn load_dir_reports_a_malformed_file_with_position_and_loads_the_rest() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let good = manifest(r#"<events><event value="1" symbol="Good"/></events>"#, "");
    std::fs::write(dir.path().join("good.man"), good).expect("write good.man");
    std::fs::write(dir.path().join("bad.man"), "<a>\n  <b attr=\"1>\n</a>").expect("write bad");
    std::fs::write(dir.path().join("notes.txt"), "not a definition").expect("write txt");
    let classic = dir.path().join("classic");
    std::fs::create_dir(&classic).expect("classic dir");
    let mut utf16 = vec![0xFF, 0xFE];
    let classic_text = manifest(r#"<events><event value="2" symbol="X"/></events>"#, "")
        .replace(TEST_GUID, "99999999-2222-3333-4444-555555555555");
    utf16.extend(classic_text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(classic.join("kernel.xml"), utf16).expect("write classic");

    let mut registry = SchemaRegistry::new();
    let report = registry.load_dir(dir.path()).expect("readable directory");
    assert_eq!(report.files_loaded, 2);
    assert_eq!(report.skipped_files.len(), 1);
    match &report.skipped_files[0] {
        ManifestError::Xml {
            path, line, column, ..
        } => {
            assert!(path.ends_with("bad.man"), "{path}");
            assert_eq!((*line, *column), (3, 1));
        }
        other => panic!("expected an XML error, got {other}"),
    }
    assert!(
        report.skipped_files[0]
            .to_string()
            .contains("line 3, column 1")
    );
    assert_eq!(&*event(&registry, 1, 0).event_name, "Good");
    let other = guid("99999999-2222-3333-4444-555555555555");
    assert_eq!(
        registry.classic_event(&other, 2, 0).map(|e| e.1),
        Some(true)
    );

    let missing = registry.load_dir(&dir.path().join("nope"));
    assert!(matches!(missing, Err(ManifestError::Directory { .. })));
}

#[test]
fn files_without_providers_or_with_bad_encoding_are_skipped() {
    let (_, report) = load("<root><child/></root>", DefinitionKind::Manifest);
    assert!(matches!(
        report.skipped_files[..],
        [ManifestError::NoProvider { .. }]
    ));
    assert_eq!(decode_text(b"\xEF\xBB\xBFabc").as_deref(), Ok("abc"));
    assert_eq!(
        decode_text(&[0xFE, 0xFF, 0, b'h', 0, b'i']).as_deref(),
        Ok("hi")
    );
    let error = decode_text(b"ok\xFFno").expect_err("invalid UTF-8");
    assert!(error.contains("offset 2"), "{error}");
    assert!(
        decode_text(&[0xFF, 0xFE, 0x00, 0xD8]).is_err(),
        "lone surrogate"
    );
}

#[test]
fn later_definitions_replace_earlier_ones() {
    let first = manifest(r#"<events><event value="1" symbol="Old"/></events>"#, "");
    let second = manifest(r#"<events><event value="1" symbol="New"/></events>"#, "");
    let mut registry = SchemaRegistry::new();
    let mut report = LoadReport::default();
    registry.add_text("a.man", &first, DefinitionKind::Manifest, &mut report);
    registry.add_text("b.man", &second, DefinitionKind::Manifest, &mut report);
    assert_eq!((report.events, report.replaced), (2, 1));
    assert_eq!(registry.event_count(), 1);
    assert_eq!(&*event(&registry, 1, 0).event_name, "New");
}

#[test]
fn protocol_names_follow_network_monitor() {
    let registry = SchemaRegistry::builtin();
    assert_eq!(
        registry.protocol_name("Microsoft-Windows-WinHttp"),
        "WINHTTP_MicrosoftWindowsWinHttp"
    );
    assert_eq!(
        registry.protocol_name("microsoft-windows-webio"),
        "WEBIO_MicrosoftWindowsWebIO"
    );
    assert_eq!(
        registry.protocol_name("Microsoft-Windows-USB-USBHUB"),
        "USBHub_MicrosoftWindowsUSBUSBHUB"
    );
    assert_eq!(
        registry.protocol_name("Contoso-My Provider.1"),
        "ContosoMyProvider1"
    );
}

#[test]
fn provider_names_come_from_definitions_then_the_table() {
    let mut registry = SchemaRegistry::new();
    registry.add_name_tables(
        "# comment\n{AAAAAAAA-0000-0000-0000-000000000001}\tTable-Name\nbroken line\n",
        "Table-Name\tTBL\n",
    );
    let table_guid = guid("aaaaaaaa-0000-0000-0000-000000000001");
    assert_eq!(registry.provider_name(&table_guid), Some("Table-Name"));
    assert_eq!(registry.provider_by_name("table-name"), Some(table_guid));
    assert_eq!(registry.protocol_name("Table-Name"), "TBL_TableName");
    let mut report = LoadReport::default();
    let text = manifest("", "");
    registry.add_text("p.man", &text, DefinitionKind::Manifest, &mut report);
    assert_eq!(
        registry.provider_name(&guid(TEST_GUID)),
        Some("Test-Provider")
    );
    assert_eq!(
        registry.provider_by_name("TEST-PROVIDER"),
        Some(guid(TEST_GUID))
    );
    assert_eq!(registry.provider_count(), 1);
    assert_eq!(registry.provider_name(&Uuid::nil()), None);
}

/// Fragments that recombine into almost-manifests, to reach the deeper code paths.
fn manifest_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(format!(r#"<provider name="P" guid="{TEST_GUID}">"#)),
        Just("</provider>".to_string()),
        Just("<events>".to_string()),
        Just("</events>".to_string()),
        Just("<templates><template tid=\"t\">".to_string()),
        Just("</template></templates>".to_string()),
        Just("<struct name=\"S\" count=\"N\">".to_string()),
        Just("</struct>".to_string()),
        Just(
            "<maps><bitMap name=\"M\"><map value=\"1\" message=\"x\"/></bitMap></maps>".to_string()
        ),
        "<event value=\"[0-9]{1,6}\" version=\"[0-9]{1,3}\" template=\"t\" opcode=\"[0-9]{1,8}\"/>",
        "<data name=\"[A-Z]\" inType=\"win:[A-Za-z0-9]{1,8}\" length=\"[A-Z0-9]{1,5}\" map=\"M\"/>",
        "<data name=\"N\" inType=\"win:UInt16\" count=\"[A-Z0-9]{1,3}\"/>",
        "<opcode name=\"o\" value=\"[0-9]{1,12}\"/>",
        "[ -~]{0,12}",
    ]
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        for kind in [DefinitionKind::Manifest, DefinitionKind::Classic] {
            let (registry, report) = load(&text, kind);
            prop_assert!(report.files_loaded + report.skipped_files.len() == 1);
            let _ = registry.event_count();
        }
    }

    #[test]
    fn almost_manifests_never_panic(parts in prop::collection::vec(manifest_fragment(), 0..40)) {
        let text = parts.concat();
        for kind in [DefinitionKind::Manifest, DefinitionKind::Classic] {
            let (registry, report) = load(&text, kind);
            prop_assert!(report.files_loaded + report.skipped_files.len() == 1);
            prop_assert!(registry.event_count() <= report.events);
        }
    }
}
