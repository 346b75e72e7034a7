//! The example filters of shared/docs/filter-language.md (§1.2, §1.4, §2, §3, §4) must parse;
//! a representative subset is checked tree by tree.

use std::net::IpAddr;

use super::tests::{
    assert_tree, cmp, eq, exists, field, hex, in_set, int, ints, lit, ok, path, string, symbol,
    text,
};
use crate::filter::ast::*;

/// §1.4: everyday Network Monitor filters.
const NETMON_EXAMPLES: [&str; 14] = [
    r#"UTProcessName == "w3wp.exe (1432)""#,
    r#"UTProcessName == "w3wp.exe (1432)" AND ProtocolName == "WINHTTP_MicrosoftWindowsWinHttp""#,
    r#"NetEvent.Header.Descriptor.Task == 0x2 AND ProtocolName == "USBHub_MicrosoftWindowsUSBUSBHUB""#,
    r#"ProtocolName == "USBHub_MicrosoftWindowsUSBUSBHUB" OR ProtocolName == "USBPort_MicrosoftWindowsUSBUSBPORT""#,
    r#"NOT (Description == "USBPort_MicrosoftWindowsUSBUSBPORT:Host Controller Async Schedule Enable" OR Description == "USBPort_MicrosoftWindowsUSBUSBPORT:Host Controller Async Schedule Disable")"#,
    "(USBHub_MicrosoftWindowsUSBUSBHUB AND NetEvent.Header.Descriptor.Opcode == 11)",
    "(NetEvent.Header.Descriptor.Level == 0x2)",
    "Property.TCPRetransmit==1 && tcp.Port==4444",
    "tcp.port== 1234 and property.tcpretranmit==1",
    "Tcp.flags.syn==1",
    r#"http.request.command == "GET""#,
    r#"ContainsBin(FrameData, ASCII, "office")"#,
    "FrameVariable.TimeDelta > 10000000",
    "WEBIO_MicrosoftWindowsWebIO.HttpInvokeParserComplete.Error.WinErrorValue == 0x3a",
];

/// §4: example filters for 502.3 investigations (and the NM variant of 22).
const INVESTIGATION_EXAMPLES: [&str; 26] = [
    r#"UTProcessName == "w3wp.exe (1432)" AND ProtocolName == "WINHTTP_MicrosoftWindowsWinHttp""#,
    r#"ProcessName == "w3wp.exe" && Provider == "Microsoft-Windows-WinHttp""#,
    r#"Provider == "Microsoft-Windows-WinHttp" && (Message contains "ERROR_WINHTTP_TIMEOUT" || Message contains "(12002)")"#,
    r#"Message contains "ERROR_WINHTTP_FROM_WIN32 mapped""#,
    r#"Message matches "mapped \(.*\) \d+ to \(ERROR_WINHTTP_TIMEOUT\) 12002""#,
    r#"winhttp.component == "sys-recver" && Message contains "failed""#,
    r#"Message matches "returning ERROR_WINHTTP_\w+ \(\d+\) from \w+\(\)""#,
    r#"winhttp.error == ERROR_WINHTTP_CONNECTION_ERROR || Message matches "(?i)WSAECONNRESET|WSAECONNABORTED""#,
    r#"winhttp.error == 12152 || (Provider == "Microsoft-Windows-WebIO" && Task == "ResponseParser" && Error != 0)"#,
    r#"ProtocolName == "WEBIO_MicrosoftWindowsWebIO" AND NetEvent.Header.Descriptor.Level == 0x2"#,
    r#"Provider == "Microsoft-Windows-WebIO" && EventId in {201, 202} && Error != 0"#,
    r#"Provider == "Microsoft-Windows-WebIO" && EventId in {200, 201, 202} && Address contains "192.168.0.216""#,
    r#"Provider == "Microsoft-Windows-WebIO" && EventId == 17 && URI contains "/time/""#,
    r#"Provider == "Microsoft-Windows-WebIO" && EventId == 101 && Headers matches "^HTTP/1\.[01] 5\d\d""#,
    r#"Provider == "Microsoft-Windows-WebIO" && Task == "RequestCancel""#,
    r#"Provider == "Microsoft-Windows-TCPIP" && EventId in {1045, 1046, 1047, 1048}"#,
    "(tcp.flags.reset == 1 OR Property.TCPRetransmit == 1) AND ipv4.address == 192.168.0.216",
    r#"Provider == "Microsoft-Windows-Winsock-AFD" && EventId == 1032 && ProcessName == "w3wp.exe""#,
    r#"Provider == "Microsoft-Windows-DNS-Client" && EventId == 3008 && QueryStatus != 0"#,
    r#"Provider == "Microsoft-Windows-WebIO" && EventId in {713, 730} || winhttp.error in {12157, 12175, 12045, 12038}"#,
    "Timestamp >= 2011-07-22T14:32:00 && Timestamp < 2011-07-22T14:32:30",
    "FrameNumber >= 336 && FrameNumber <= 344",
    "FrameVariable.FrameNumber >= 335 AND FrameVariable.FrameNumber <= 343",
    "Pid == 1432 && Tid == 3396 && TimeOffset >= 32.6 && TimeOffset <= 32.7",
    "(Keyword & 0x200000000) != 0 && Error != 0",
    "ActivityId == {1d4f3a2b-0000-0000-0000-000000000000}",
];

/// Other filters quoted in §1.2, §2 and §3 that the adopted grammar covers.
const OTHER_EXAMPLES: [&str; 26] = [
    "tcp",
    "Icmp",
    "USBPort_MicrosoftWindowsUSBUSBPORT",
    "Tcp.SrcPort == 80",
    "Tcp.flags.reset==1",
    "ipv4.address == 10.1.1.1",
    "Udp.port == 53",
    "Property.TCPSynRetransmit",
    "Property.tcpretranmits",
    r#"Description == "USBPort_MicrosoftWindowsUSBUSBPORT:Host Controller Async Schedule Enable""#,
    "FrameVariable.FrameNumber == 0",
    "FrameVariable.TimeOfDay == 129222852861360590",
    r#"Http.Request.URI.contains("foo")"#,
    r#"Description.contains("timeout")"#,
    r#"ContainsBin(FrameData, HEX, "0x6F6666")"#,
    "TCP.SourcePort ~= 443",
    "*Port == 443",
    r#"HTTP:Request:Method == "GET""#,
    "#MessageNumber == 5",
    "Etw::ProcessId == 4",
    "!F == true",
    "Level <= error",
    "Keyword has RECEIVE",
    r#"Microsoft-Windows-WebIO AND "Microsoft-Windows-WebIO""#,
    "TimeDelta > 500ms",
    "ProviderId == {7d44233d-3055-4b9c-ba64-0d47ca40a232}",
];

#[test]
fn every_documented_example_parses_and_prints_back_to_the_same_tree() {
    for text in NETMON_EXAMPLES
        .iter()
        .chain(&INVESTIGATION_EXAMPLES)
        .chain(&OTHER_EXAMPLES)
    {
        let tree = ok(text);
        let printed = tree.to_string();
        assert!(
            ok(&printed).eq_ignoring_spans(&tree),
            "{text}\nprinted as {printed}"
        );
    }
}

#[test]
fn netmon_examples_build_the_expected_trees() {
    assert_tree(
        NETMON_EXAMPLES[0],
        eq("UTProcessName", string("w3wp.exe (1432)")),
    );
    assert_tree(
        NETMON_EXAMPLES[4],
        Expr::Not(Box::new(Expr::Or(vec![
            eq(
                "Description",
                string("USBPort_MicrosoftWindowsUSBUSBPORT:Host Controller Async Schedule Enable"),
            ),
            eq(
                "Description",
                string("USBPort_MicrosoftWindowsUSBUSBPORT:Host Controller Async Schedule Disable"),
            ),
        ]))),
    );
    assert_tree(
        NETMON_EXAMPLES[5],
        Expr::And(vec![
            exists("USBHub_MicrosoftWindowsUSBUSBHUB"),
            eq("NetEvent.Header.Descriptor.Opcode", int(11)),
        ]),
    );
    assert_tree(
        NETMON_EXAMPLES[6],
        eq("NetEvent.Header.Descriptor.Level", hex(2)),
    );
    assert_tree(
        NETMON_EXAMPLES[8],
        Expr::And(vec![
            eq("tcp.port", int(1234)),
            eq("property.tcpretranmit", int(1)),
        ]),
    );
    assert_tree(
        NETMON_EXAMPLES[11],
        Expr::ContainsBin(ContainsBin {
            field: path("FrameData"),
            encoding: BinEncoding::Ascii,
            pattern: StringLiteral {
                value: "office".into(),
                span: 0..0,
            },
            span: 0..0,
        }),
    );
    assert_tree(
        NETMON_EXAMPLES[12],
        cmp(field("FrameVariable.TimeDelta"), CmpOp::Gt, int(10_000_000)),
    );
}

#[test]
fn investigation_examples_build_the_expected_trees() {
    assert_tree(
        INVESTIGATION_EXAMPLES[2],
        Expr::And(vec![
            eq("Provider", string("Microsoft-Windows-WinHttp")),
            Expr::Or(vec![
                text("Message", TextOp::Contains, "ERROR_WINHTTP_TIMEOUT", false),
                text("Message", TextOp::Contains, "(12002)", false),
            ]),
        ]),
    );
    // Backslashes other than \" and \\ stay as written, ready for the regex engine.
    assert_tree(
        INVESTIGATION_EXAMPLES[4],
        text(
            "Message",
            TextOp::Matches,
            r"mapped \(.*\) \d+ to \(ERROR_WINHTTP_TIMEOUT\) 12002",
            false,
        ),
    );
    assert_tree(
        INVESTIGATION_EXAMPLES[7],
        Expr::Or(vec![
            eq("winhttp.error", symbol("ERROR_WINHTTP_CONNECTION_ERROR")),
            text(
                "Message",
                TextOp::Matches,
                "(?i)WSAECONNRESET|WSAECONNABORTED",
                false,
            ),
        ]),
    );
    assert_tree(
        INVESTIGATION_EXAMPLES[10],
        Expr::And(vec![
            eq("Provider", string("Microsoft-Windows-WebIO")),
            in_set("EventId", ints(&[201, 202])),
            cmp(field("Error"), CmpOp::Ne, int(0)),
        ]),
    );
    // AND binds tighter than OR (note under §4).
    assert_tree(
        INVESTIGATION_EXAMPLES[19],
        Expr::Or(vec![
            Expr::And(vec![
                eq("Provider", string("Microsoft-Windows-WebIO")),
                in_set("EventId", ints(&[713, 730])),
            ]),
            in_set("winhttp.error", ints(&[12157, 12175, 12045, 12038])),
        ]),
    );
    let ip = "192.168.0.216".parse::<IpAddr>().unwrap();
    assert_tree(
        INVESTIGATION_EXAMPLES[16],
        Expr::And(vec![
            Expr::Or(vec![
                eq("tcp.flags.reset", int(1)),
                eq("Property.TCPRetransmit", int(1)),
            ]),
            eq(
                "ipv4.address",
                Operand::Literal(lit(LiteralValue::Ip {
                    addr: ip,
                    prefix_len: None,
                })),
            ),
        ]),
    );
    let masked = Operand::Field(FieldOperand {
        path: path("Keyword"),
        mask: Some(Mask {
            value: 0x2_0000_0000,
            base: IntBase::Hex,
            span: 0..0,
        }),
    });
    assert_tree(
        INVESTIGATION_EXAMPLES[24],
        Expr::And(vec![
            cmp(masked, CmpOp::Ne, int(0)),
            cmp(field("Error"), CmpOp::Ne, int(0)),
        ]),
    );
    let guid = uuid::Uuid::parse_str("1d4f3a2b-0000-0000-0000-000000000000").unwrap();
    assert_tree(
        INVESTIGATION_EXAMPLES[25],
        eq(
            "ActivityId",
            Operand::Literal(lit(LiteralValue::Guid(guid))),
        ),
    );
    assert_tree(
        INVESTIGATION_EXAMPLES[23],
        Expr::And(vec![
            eq("Pid", int(1432)),
            eq("Tid", int(3396)),
            cmp(
                field("TimeOffset"),
                CmpOp::Ge,
                Operand::Literal(lit(LiteralValue::Float(32.6))),
            ),
            cmp(
                field("TimeOffset"),
                CmpOp::Le,
                Operand::Literal(lit(LiteralValue::Float(32.7))),
            ),
        ]),
    );
}
