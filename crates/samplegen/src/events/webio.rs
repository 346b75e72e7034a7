//! Microsoft-Windows-WebIO events: the HTTP engine under WinHTTP (requests, headers,
//! sockets, name resolution).

use super::{EventSpec, FieldSpec, START, STOP, WEBIO, ansi, ptr, sized, u16f, u32f, u64f, utf16};

const K_API: u64 = 0x1;
const K_SEND: u64 = 0x1_0000_0000;
const K_RECEIVE: u64 = 0x2_0000_0000;
const K_L3_CONNECT: u64 = 0x4_0000_0000;
const K_CONFIGURATION: u64 = 0x40_0000_0000;
const K_PAYLOAD: u64 = 0x200_0000_0000;

/// An Informational WebIO event; the statics below override what differs.
const fn webio(
    symbol: &'static str,
    id: u16,
    task: u16,
    task_name: &'static str,
    fields: &'static [FieldSpec],
) -> EventSpec {
    EventSpec {
        provider: &WEBIO,
        symbol,
        id,
        version: 0,
        level: 4,
        opcode: 0,
        task,
        keyword: 0,
        task_name: Some(task_name),
        opcode_name: None,
        keyword_names: &[],
        fields,
    }
}
const fn start(mut e: EventSpec) -> EventSpec {
    e.opcode = 1;
    e.opcode_name = START;
    e
}
const fn keywords(mut e: EventSpec, keyword: u64, names: &'static [&'static str]) -> EventSpec {
    e.keyword = keyword;
    e.keyword_names = names;
    e
}

static REQUEST_CREATE_FIELDS: [FieldSpec; 9] = [
    ptr("Request"),
    u64f("RequestHandle"),
    ptr("Session"),
    u64f("SessionHandle"),
    ansi("Method"),
    utf16("URI"),
    u16f("VersionMajor"),
    u16f("VersionMinor"),
    u32f("Error"),
];
static API_OBJECT_FIELDS: [FieldSpec; 4] = [
    ptr("ApiObject"),
    u64f("ApiHandle"),
    u64f("Flags"),
    u32f("Error"),
];
static HEADER_FIELDS: [FieldSpec; 3] = [ptr("Request"), u16f("Length"), sized(ansi("Headers"), 1)];
static ENTITY_FIELDS: [FieldSpec; 7] = [
    ptr("Request"),
    u64f("RequestHandle"),
    u32f("Flags"),
    ptr("DataChunks"),
    u32f("DataChunkCount"),
    ptr("CompletionContext"),
    u32f("Error"),
];
static RESPONSE_RECEIVE_FIELDS: [FieldSpec; 6] = [
    ptr("Request"),
    u64f("RequestHandle"),
    u32f("Flags"),
    u32f("ResponseFlags"),
    ptr("CompletionContext"),
    u32f("Error"),
];
static RECEIVE_CALLBACK_FIELDS: [FieldSpec; 4] = [
    ptr("Request"),
    u32f("ResponseFlags"),
    u32f("Error"),
    ptr("CompletionContext"),
];
static CANCEL_FIELDS: [FieldSpec; 4] = [
    ptr("Request"),
    u64f("RequestHandle"),
    u32f("Flags"),
    u32f("Error"),
];
static SOCKET_CONNECT_FIELDS: [FieldSpec; 7] = [
    ptr("Connection"),
    u64f("SocketHandle"),
    u32f("AddressLength"),
    sized(utf16("Address"), 2),
    ptr("Context"),
    u64f("RemainingAddressCount"),
    u32f("Error"),
];
static SOCKET_CREATE_FIELDS: [FieldSpec; 3] =
    [ptr("Connection"), u64f("SocketHandle"), u32f("Error")];
static SOCKET_CLOSE_FIELDS: [FieldSpec; 4] = [
    ptr("Endpoint"),
    u64f("Socket"),
    u32f("Reason"),
    u32f("Result"),
];
static NAME_RESOLUTION_FIELDS: [FieldSpec; 5] = [
    ptr("CacheEntry"),
    utf16("ResolveName"),
    u32f("Flags"),
    u32f("Error"),
    u32f("AddressCount"),
];
static SOCKET_IO_FIELDS: [FieldSpec; 7] = [
    ptr("Connection"),
    ptr("DataChunks"),
    u64f("SocketHandle"),
    ptr("Buffer"),
    ptr("Context"),
    u32f("Error"),
    u64f("Information"),
];

const API_CONFIG: &[&str] = &["Keyword.API", "Keyword.CONFIGURATION"];
const API_RECEIVE: &[&str] = &["Keyword.API", "Keyword.RECEIVE"];

pub static WEBIO_REQUEST_CREATE: EventSpec = keywords(
    webio(
        "RequestCreate",
        17,
        200,
        "RequestCreate",
        &REQUEST_CREATE_FIELDS,
    ),
    K_API | K_CONFIGURATION,
    API_CONFIG,
);
pub static WEBIO_REQUEST_CLOSE_START: EventSpec = keywords(
    start(webio(
        "RequestCloseStart",
        19,
        202,
        "RequestClose",
        &API_OBJECT_FIELDS,
    )),
    K_API,
    &["Keyword.API"],
);
pub static WEBIO_REQUEST_CLOSE_STOP: EventSpec = EventSpec {
    symbol: "RequestCloseStop30",
    id: 30,
    opcode: 2,
    opcode_name: STOP,
    ..WEBIO_REQUEST_CLOSE_START
};
pub static WEBIO_REQUEST_HEADER: EventSpec = keywords(
    webio("RequestHeader", 100, 400, "RequestHeader", &HEADER_FIELDS),
    K_SEND | K_PAYLOAD,
    &["Keyword.SEND", "keyword_20000000000"],
);
pub static WEBIO_RESPONSE_HEADER: EventSpec = keywords(
    webio(
        "RequestHeader101",
        101,
        400,
        "RequestHeader",
        &HEADER_FIELDS,
    ),
    K_RECEIVE | K_PAYLOAD,
    &["Keyword.RECEIVE", "keyword_20000000000"],
);
pub static WEBIO_ENTITY_START: EventSpec = keywords(
    start(webio(
        "ResponseRecieveEntityStart",
        115,
        408,
        "ResponseRecieveEntity",
        &ENTITY_FIELDS,
    )),
    K_API | K_RECEIVE,
    API_RECEIVE,
);
pub static WEBIO_ENTITY_STOP: EventSpec = EventSpec {
    symbol: "ResponseRecieveEntityStop",
    id: 116,
    opcode: 2,
    opcode_name: STOP,
    ..WEBIO_ENTITY_START
};
pub static WEBIO_RECEIVE_START: EventSpec = keywords(
    start(webio(
        "ResponseReceiveStart",
        132,
        414,
        "ResponseReceive",
        &RESPONSE_RECEIVE_FIELDS,
    )),
    K_API | K_RECEIVE,
    API_RECEIVE,
);
pub static WEBIO_RECEIVE_STOP: EventSpec = EventSpec {
    symbol: "ResponseReceiveStop",
    id: 133,
    opcode: 2,
    opcode_name: STOP,
    ..WEBIO_RECEIVE_START
};
pub static WEBIO_RECEIVE_CALLBACK_START: EventSpec = keywords(
    start(webio(
        "ResponseReceiveCompleteCallbackStart",
        134,
        432,
        "ResponseReceiveCompleteCallback",
        &RECEIVE_CALLBACK_FIELDS,
    )),
    K_API | K_RECEIVE,
    API_RECEIVE,
);
pub static WEBIO_RECEIVE_CALLBACK_STOP: EventSpec = EventSpec {
    symbol: "ResponseReceiveCompleteCallbackStop",
    id: 135,
    opcode: 2,
    opcode_name: STOP,
    ..WEBIO_RECEIVE_CALLBACK_START
};
pub static WEBIO_CANCEL_START: EventSpec = keywords(
    start(webio(
        "RequestCancelStart",
        136,
        416,
        "RequestCancel",
        &CANCEL_FIELDS,
    )),
    K_API,
    &["Keyword.API"],
);
pub static WEBIO_CANCEL_STOP: EventSpec = EventSpec {
    symbol: "RequestCancelStop",
    id: 137,
    opcode: 2,
    opcode_name: STOP,
    ..WEBIO_CANCEL_START
};
pub static WEBIO_CONNECT_START: EventSpec = keywords(
    start(webio(
        "ConnectionSocketConnectStart",
        200,
        417,
        "ConnectionSocketConnect",
        &SOCKET_CONNECT_FIELDS,
    )),
    K_L3_CONNECT,
    &["Keyword.L3_CONNECT"],
);
pub static WEBIO_CONNECT_STOP: EventSpec = EventSpec {
    symbol: "ConnectionSocketConnectStop",
    id: 201,
    opcode: 2,
    opcode_name: STOP,
    ..WEBIO_CONNECT_START
};
/// The Error-level twin of 201: the connect attempt failed.
pub static WEBIO_CONNECT_FAILED: EventSpec = EventSpec {
    symbol: "ConnectionSocketConnectStop202",
    id: 202,
    level: 2,
    ..WEBIO_CONNECT_STOP
};
pub static WEBIO_SOCKET_CREATE: EventSpec = webio(
    "ConnectionSocketCreate",
    203,
    418,
    "ConnectionSocketCreate",
    &SOCKET_CREATE_FIELDS,
);
pub static WEBIO_SOCKET_CLOSE: EventSpec = webio(
    "ConnectionSocketClose",
    204,
    419,
    "ConnectionSocketClose",
    &SOCKET_CLOSE_FIELDS,
);
pub static WEBIO_RESOLVE_START: EventSpec = start(webio(
    "ConnectionNameResolutionStart",
    211,
    420,
    "ConnectionNameResolution",
    &NAME_RESOLUTION_FIELDS,
));
pub static WEBIO_RESOLVE_STOP: EventSpec = EventSpec {
    symbol: "ConnectionNameResolutionStop",
    id: 212,
    opcode: 2,
    opcode_name: STOP,
    ..WEBIO_RESOLVE_START
};
pub static WEBIO_SEND_START: EventSpec = keywords(
    start(webio(
        "ConnectionSocketSendStart",
        213,
        421,
        "ConnectionSocketSend",
        &SOCKET_IO_FIELDS,
    )),
    K_SEND,
    &["Keyword.SEND"],
);
pub static WEBIO_SEND_STOP: EventSpec = EventSpec {
    symbol: "ConnectionSocketSendStop",
    id: 214,
    opcode: 2,
    opcode_name: STOP,
    ..WEBIO_SEND_START
};
pub static WEBIO_SOCKET_RECEIVE_START: EventSpec = keywords(
    start(webio(
        "ConnectionSocketReceiveStart",
        215,
        423,
        "ConnectionSocketReceive",
        &SOCKET_IO_FIELDS,
    )),
    K_RECEIVE,
    &["Keyword.RECEIVE"],
);
pub static WEBIO_SOCKET_RECEIVE_STOP: EventSpec = EventSpec {
    symbol: "ConnectionSocketReceiveStop",
    id: 216,
    opcode: 2,
    opcode_name: STOP,
    ..WEBIO_SOCKET_RECEIVE_START
};
