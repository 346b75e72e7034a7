//! The manifest events the generated traces use: identity, descriptor and template of each,
//! as Windows Server 2019 (build 17763) registers them. Field names, in-types and field order
//! follow `shared/docs/winhttp-events.md` and `parsers/manifests/` (checked by a test); the
//! same table drives the payload encoders and the embedded TRACE_EVENT_INFO blobs.

use decode::schema::{in_type as it, out_type as ot};
use uuid::Uuid;

/// A manifest provider.
#[derive(Debug)]
pub struct ProviderSpec {
    pub guid: Uuid,
    pub name: &'static str,
}

/// One template field. `out_type` is what TDH reports (the in-type's default when the manifest
/// names none); `length_field` is the index of an earlier field holding the length.
#[derive(Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub in_type: u16,
    pub out_type: u16,
    pub length_field: Option<u16>,
}

/// One event definition.
#[derive(Debug)]
pub struct EventSpec {
    pub provider: &'static ProviderSpec,
    /// The manifest symbol (TDH does not store it; the tests compare it with the manifests).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests"))]
    pub symbol: &'static str,
    pub id: u16,
    pub version: u8,
    pub level: u8,
    pub opcode: u8,
    pub task: u16,
    pub keyword: u64,
    pub task_name: Option<&'static str>,
    pub opcode_name: Option<&'static str>,
    pub keyword_names: &'static [&'static str],
    pub fields: &'static [FieldSpec],
}

impl EventSpec {
    /// The level's name as TDH reports it for manifest events.
    pub fn level_name(&self) -> &'static str {
        match self.level {
            0 => "win:LogAlways",
            1 => "win:Critical",
            2 => "win:Error",
            3 => "win:Warning",
            4 => "win:Informational",
            _ => "win:Verbose",
        }
    }
}

const fn field(name: &'static str, in_type: u16, out_type: u16) -> FieldSpec {
    FieldSpec {
        name,
        in_type,
        out_type,
        length_field: None,
    }
}
const fn u16f(name: &'static str) -> FieldSpec {
    field(name, it::UINT16, 6)
}
const fn u32f(name: &'static str) -> FieldSpec {
    field(name, it::UINT32, 8)
}
const fn u64f(name: &'static str) -> FieldSpec {
    field(name, it::UINT64, 10)
}
const fn ptr(name: &'static str) -> FieldSpec {
    field(name, it::POINTER, ot::HEXINT64)
}
const fn utf16(name: &'static str) -> FieldSpec {
    field(name, it::UNICODE_STRING, ot::STRING)
}
const fn ansi(name: &'static str) -> FieldSpec {
    field(name, it::ANSI_STRING, ot::STRING)
}
/// A field whose length is given by the field at `index`.
const fn sized(mut f: FieldSpec, index: u16) -> FieldSpec {
    f.length_field = Some(index);
    f
}
const fn sockaddr(name: &'static str, length_index: u16) -> FieldSpec {
    sized(field(name, it::BINARY, ot::SOCKETADDRESS), length_index)
}

pub static WINHTTP: ProviderSpec = ProviderSpec {
    guid: Uuid::from_u128(0x7d44233d_3055_4b9c_ba64_0d47ca40a232),
    name: "Microsoft-Windows-WinHttp",
};
pub static WEBIO: ProviderSpec = ProviderSpec {
    guid: Uuid::from_u128(0x50b3e73c_9370_461d_bb9f_26f32d68887d),
    name: "Microsoft-Windows-WebIO",
};
pub static TCPIP: ProviderSpec = ProviderSpec {
    guid: Uuid::from_u128(0x2f07e2ee_15db_40f1_90ef_9d7ba282188a),
    name: "Microsoft-Windows-TCPIP",
};
pub static HTTP_SERVICE: ProviderSpec = ProviderSpec {
    guid: Uuid::from_u128(0xdd5ef90a_6398_47a4_ad34_4dcecdef795f),
    name: "Microsoft-Windows-HttpService",
};
pub static NDIS_CAPTURE: ProviderSpec = ProviderSpec {
    guid: Uuid::from_u128(0x2ed6006e_4729_4609_b423_3ee7bcd678ef),
    name: "Microsoft-Windows-NDIS-PacketCapture",
};

mod webio;
pub use webio::*;

/// Start/stop opcode names as TDH reports them.
const START: Option<&str> = Some("win:Start");
const STOP: Option<&str> = Some("win:Stop");

// ---- Microsoft-Windows-WinHttp ------------------------------------------------------------

const WINHTTP_API: u64 = 0x1;
static API_START_FIELDS: [FieldSpec; 2] = [u64f("ApiHandle"), ansi("Api")];
static API_STOP_FIELDS: [FieldSpec; 3] = [u64f("ApiHandle"), ansi("Api"), u32f("Result")];

/// The free-text trace line (`HH:MM:SS.mmm ::body`).
pub static WINHTTP_TEXT: EventSpec = EventSpec {
    provider: &WINHTTP,
    symbol: "task_0",
    id: 1,
    version: 0,
    level: 0,
    opcode: 0,
    task: 0,
    keyword: 0,
    task_name: Some("task_0"),
    opcode_name: None,
    keyword_names: &[],
    fields: &[utf16("param1")],
};
pub static WINHTTP_API_START: EventSpec = EventSpec {
    provider: &WINHTTP,
    symbol: "APIStart",
    id: 9,
    version: 0,
    level: 5,
    opcode: 1,
    task: 109,
    keyword: WINHTTP_API,
    task_name: Some("API"),
    opcode_name: START,
    keyword_names: &["Keyword.API"],
    fields: &API_START_FIELDS,
};
pub static WINHTTP_API_STOP: EventSpec = EventSpec {
    symbol: "APIStop",
    id: 10,
    opcode: 2,
    opcode_name: STOP,
    fields: &API_STOP_FIELDS,
    ..WINHTTP_API_START
};

// ---- Microsoft-Windows-TCPIP --------------------------------------------------------------

// Keyword bits of the Windows 10 manifest ("ut:" = unified tracing).
const UT_TCB: u64 = 0x4;
const UT_DIAGNOSIS: u64 = 0x80;
const UT_ENDPOINT: u64 = 0x400;
const UT_CONNECT_PATH: u64 = 0x4_0000_0000;
const UT_CLOSE_PATH: u64 = 0x10_0000_0000;

static TCP_REQUEST_CONNECT_FIELDS: [FieldSpec; 7] = [
    ptr("Tcb"),
    u32f("LocalAddressLength"),
    sockaddr("LocalAddress", 1),
    u32f("RemoteAddressLength"),
    sockaddr("RemoteAddress", 3),
    u32f("NewState"),
    u32f("RexmitCount"),
];
/// The template most TCB events share.
static TCB_FIELDS: [FieldSpec; 8] = [
    u32f("LocalAddressLength"),
    sockaddr("LocalAddress", 0),
    u32f("RemoteAddressLength"),
    sockaddr("RemoteAddress", 2),
    field("Status", it::UINT32, ot::NTSTATUS),
    field("ProcessId", it::UINT32, ot::PID),
    u32f("Compartment"),
    ptr("Tcb"),
];

/// TCPIP events use one task per event, named like the event.
const fn tcpip(
    symbol: &'static str,
    id: u16,
    keyword: u64,
    keyword_names: &'static [&'static str],
    fields: &'static [FieldSpec],
) -> EventSpec {
    EventSpec {
        provider: &TCPIP,
        symbol,
        id,
        version: 0,
        level: 4,
        opcode: 0,
        task: id,
        keyword,
        task_name: Some(symbol),
        opcode_name: None,
        keyword_names,
        fields,
    }
}

const TCB_CONNECT: u64 = UT_TCB | UT_DIAGNOSIS | UT_ENDPOINT | UT_CONNECT_PATH;
const TCB_CONNECT_NAMES: &[&str] = &[
    "ut:TcpipTcb",
    "ut:TcpipDiagnosis",
    "ut:Endpoint",
    "ut:ConnectPath",
];

pub static TCP_REQUEST_CONNECT: EventSpec = tcpip(
    "TcpRequestConnect",
    1002,
    UT_DIAGNOSIS | UT_ENDPOINT | UT_CONNECT_PATH,
    &["ut:TcpipDiagnosis", "ut:Endpoint", "ut:ConnectPath"],
    &TCP_REQUEST_CONNECT_FIELDS,
);
pub static TCP_CONNECT_COMPLETE: EventSpec = tcpip(
    "TcpConnectTcbComplete",
    1033,
    TCB_CONNECT,
    TCB_CONNECT_NAMES,
    &TCB_FIELDS,
);
pub static TCP_CONNECT_FAILURE: EventSpec = tcpip(
    "TcpConnectTcbFailure",
    1034,
    TCB_CONNECT,
    TCB_CONNECT_NAMES,
    &TCB_FIELDS,
);
pub static TCP_CLOSE_REQUEST: EventSpec = tcpip(
    "TcpCloseTcbRequest",
    1038,
    UT_TCB | UT_ENDPOINT | UT_CLOSE_PATH,
    &["ut:TcpipTcb", "ut:Endpoint", "ut:ClosePath"],
    &TCB_FIELDS,
);
pub static TCP_CONNECT_TIMEOUT: EventSpec = tcpip(
    "TcpConnectTcbTimeout",
    1045,
    UT_TCB | UT_DIAGNOSIS | UT_ENDPOINT | UT_CLOSE_PATH,
    &[
        "ut:TcpipTcb",
        "ut:TcpipDiagnosis",
        "ut:Endpoint",
        "ut:ClosePath",
    ],
    &TCB_FIELDS,
);

// ---- Microsoft-Windows-HttpService (HTTP.sys) ---------------------------------------------

const HTTP_REQUEST: u64 = 0x2;
const HTTP_RESPONSE: u64 = 0x4;
const HTTP_CONNECTION: u64 = 0x10;
const HTTP_REQUEST_QUEUE: u64 = 0x100;

const fn http(
    symbol: &'static str,
    id: u16,
    task: (u16, &'static str),
    opcode: (u8, &'static str),
    keyword: u64,
    keyword_names: &'static [&'static str],
    fields: &'static [FieldSpec],
) -> EventSpec {
    EventSpec {
        provider: &HTTP_SERVICE,
        symbol,
        id,
        version: 0,
        level: 4,
        opcode: opcode.0,
        task: task.0,
        keyword,
        task_name: Some(task.1),
        opcode_name: Some(opcode.1),
        keyword_names,
        fields,
    }
}

const REQUEST_TASK: (u16, &str) = (1, "HTTPRequestTraceTask");
const CONNECTION_TASK: (u16, &str) = (4, "HTTPConnectionTraceTask");
const REQUEST_AND_QUEUE: &[&str] = &["HTTP_KEYWORD_REQUEST", "HTTP_KEYWORD_REQUEST_QUEUE"];

static RECV_REQ_FIELDS: [FieldSpec; 4] = [
    u64f("RequestId"),
    u64f("ConnectionId"),
    u32f("RemoteAddrLength"),
    sockaddr("RemoteAddr", 2),
];
static PARSE_FIELDS: [FieldSpec; 3] = [ptr("RequestObj"), u32f("HttpVerb"), utf16("Url")];
static DELIVER_FIELDS: [FieldSpec; 6] = [
    ptr("RequestObj"),
    u64f("RequestId"),
    u32f("SiteId"),
    utf16("RequestQueueName"),
    utf16("Url"),
    u32f("Status"),
];
static RECV_RESP_FIELDS: [FieldSpec; 7] = [
    u64f("RequestId"),
    u64f("ConnectionId"),
    u16f("StatusCode"),
    ansi("Verb"),
    u32f("HeaderLength"),
    u16f("EntityChunkCount"),
    u32f("CachePolicy"),
];
static SEND_COMPLETE_FIELDS: [FieldSpec; 2] = [u64f("RequestId"), u16f("HttpStatus")];
static CONN_CONNECT_FIELDS: [FieldSpec; 5] = [
    ptr("ConnectionObj"),
    u32f("LocalAddrLength"),
    sockaddr("LocalAddr", 1),
    u32f("RemoteAddrLength"),
    sockaddr("RemoteAddr", 3),
];
static CONN_CLOSE_FIELDS: [FieldSpec; 2] = [ptr("ConnectionObj"), u32f("Abortive")];
static CONN_CLEANUP_FIELDS: [FieldSpec; 1] = [ptr("ConnectionObj")];

pub static HTTP_RECV_REQ: EventSpec = http(
    "HTTPRequestTraceTaskRecvReq",
    1,
    REQUEST_TASK,
    (11, "RecvReq"),
    HTTP_REQUEST | HTTP_REQUEST_QUEUE,
    REQUEST_AND_QUEUE,
    &RECV_REQ_FIELDS,
);
pub static HTTP_PARSE: EventSpec = http(
    "HTTPRequestTraceTaskParse",
    2,
    REQUEST_TASK,
    (12, "Parse"),
    HTTP_REQUEST,
    &["HTTP_KEYWORD_REQUEST"],
    &PARSE_FIELDS,
);
pub static HTTP_DELIVER: EventSpec = http(
    "HTTPRequestTraceTaskDeliver",
    3,
    REQUEST_TASK,
    (13, "Deliver"),
    HTTP_REQUEST | HTTP_REQUEST_QUEUE,
    REQUEST_AND_QUEUE,
    &DELIVER_FIELDS,
);
pub static HTTP_RECV_RESP: EventSpec = http(
    "HTTPRequestTraceTaskRecvResp",
    4,
    REQUEST_TASK,
    (14, "RecvResp"),
    HTTP_REQUEST | HTTP_RESPONSE,
    &["HTTP_KEYWORD_REQUEST", "HTTP_KEYWORD_RESPONSE"],
    &RECV_RESP_FIELDS,
);
pub static HTTP_SEND_COMPLETE: EventSpec = http(
    "HTTPRequestTraceTaskSendComplete",
    10,
    REQUEST_TASK,
    (51, "SendComplete"),
    HTTP_REQUEST | HTTP_RESPONSE | HTTP_CONNECTION,
    &[
        "HTTP_KEYWORD_REQUEST",
        "HTTP_KEYWORD_RESPONSE",
        "HTTP_KEYWORD_CONNECTION",
    ],
    &SEND_COMPLETE_FIELDS,
);
pub static HTTP_CONN_CONNECT: EventSpec = http(
    "HTTPConnectionTraceTaskConnConnect",
    21,
    CONNECTION_TASK,
    (28, "ConnConnect"),
    HTTP_CONNECTION,
    &["HTTP_KEYWORD_CONNECTION"],
    &CONN_CONNECT_FIELDS,
);
pub static HTTP_CONN_CLOSE: EventSpec = http(
    "HTTPConnectionTraceTaskConnClose",
    23,
    CONNECTION_TASK,
    (29, "ConnClose"),
    HTTP_CONNECTION,
    &["HTTP_KEYWORD_CONNECTION"],
    &CONN_CLOSE_FIELDS,
);
pub static HTTP_CONN_CLEANUP: EventSpec = http(
    "HTTPConnectionTraceTaskConnCleanup",
    24,
    CONNECTION_TASK,
    (30, "ConnCleanup"),
    HTTP_CONNECTION,
    &["HTTP_KEYWORD_CONNECTION"],
    &CONN_CLEANUP_FIELDS,
);

// ---- Microsoft-Windows-NDIS-PacketCapture -------------------------------------------------

/// Keyword bits on each 1001 event instance (etl2pcapng): media type, fragment position and
/// direction. The manifest keywords of the event are `NDIS_FRAGMENT_KEYWORD`.
pub const NDIS_ETHERNET: u64 = 0x1;
pub const NDIS_PACKET_START: u64 = 0x4000_0000;
pub const NDIS_PACKET_END: u64 = 0x8000_0000;
pub const NDIS_SEND: u64 = 0x1_0000_0000;
pub const NDIS_RECEIVE: u64 = 0x2_0000_0000;
pub const NDIS_FRAGMENT_KEYWORD: u64 = 0x200_0000_0000 | 0x400_0000_0000;
const UT_GLOBAL: u64 = 0x80_0000_0000;

static FRAGMENT_FIELDS: [FieldSpec; 4] = [
    u32f("MiniportIfIndex"),
    u32f("LowerIfIndex"),
    u32f("FragmentSize"),
    sized(field("Fragment", it::BINARY, ot::HEXBINARY), 2),
];
static ADAPTER_FIELDS: [FieldSpec; 4] = [
    utf16("FriendlyName"),
    utf16("UniqueName"),
    utf16("ServiceName"),
    utf16("Version"),
];
static MEDIA_TYPE_FIELDS: [FieldSpec; 4] = [
    u32f("MiniportIfIndex"),
    u32f("LowerIfIndex"),
    u32f("MediaType"),
    u32f("ReferenceContext"),
];

pub static NDIS_FRAGMENT: EventSpec = EventSpec {
    provider: &NDIS_CAPTURE,
    symbol: "PacketFragment",
    id: 1001,
    version: 0,
    level: 4,
    opcode: 0,
    task: 0,
    keyword: NDIS_FRAGMENT_KEYWORD,
    task_name: Some("task_0"),
    opcode_name: None,
    keyword_names: &["keyword_20000000000", "keyword_40000000000"],
    fields: &FRAGMENT_FIELDS,
};
pub static NDIS_ADAPTER: EventSpec = EventSpec {
    symbol: "MiniportDescription",
    id: 1012,
    level: 5,
    keyword: UT_GLOBAL,
    keyword_names: &["ut:Global"],
    fields: &ADAPTER_FIELDS,
    ..NDIS_FRAGMENT
};
pub static NDIS_MEDIA_TYPE: EventSpec = EventSpec {
    symbol: "MiniportMediaType",
    id: 1014,
    fields: &MEDIA_TYPE_FIELDS,
    ..NDIS_ADAPTER
};

/// Every event the generators can write.
#[cfg(test)]
pub static ALL_EVENTS: &[&EventSpec] = &[
    &WINHTTP_TEXT,
    &WINHTTP_API_START,
    &WINHTTP_API_STOP,
    &WEBIO_REQUEST_CREATE,
    &WEBIO_REQUEST_CLOSE_START,
    &WEBIO_REQUEST_CLOSE_STOP,
    &WEBIO_REQUEST_HEADER,
    &WEBIO_RESPONSE_HEADER,
    &WEBIO_ENTITY_START,
    &WEBIO_ENTITY_STOP,
    &WEBIO_RECEIVE_START,
    &WEBIO_RECEIVE_STOP,
    &WEBIO_RECEIVE_CALLBACK_START,
    &WEBIO_RECEIVE_CALLBACK_STOP,
    &WEBIO_CANCEL_START,
    &WEBIO_CANCEL_STOP,
    &WEBIO_CONNECT_START,
    &WEBIO_CONNECT_STOP,
    &WEBIO_CONNECT_FAILED,
    &WEBIO_SOCKET_CREATE,
    &WEBIO_SOCKET_CLOSE,
    &WEBIO_RESOLVE_START,
    &WEBIO_RESOLVE_STOP,
    &WEBIO_SEND_START,
    &WEBIO_SEND_STOP,
    &WEBIO_SOCKET_RECEIVE_START,
    &WEBIO_SOCKET_RECEIVE_STOP,
    &TCP_REQUEST_CONNECT,
    &TCP_CONNECT_COMPLETE,
    &TCP_CONNECT_FAILURE,
    &TCP_CLOSE_REQUEST,
    &TCP_CONNECT_TIMEOUT,
    &HTTP_RECV_REQ,
    &HTTP_PARSE,
    &HTTP_DELIVER,
    &HTTP_RECV_RESP,
    &HTTP_SEND_COMPLETE,
    &HTTP_CONN_CONNECT,
    &HTTP_CONN_CLOSE,
    &HTTP_CONN_CLEANUP,
    &NDIS_FRAGMENT,
    &NDIS_ADAPTER,
    &NDIS_MEDIA_TYPE,
];
