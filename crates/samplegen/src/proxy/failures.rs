//! The three ways the content server lets ARR down: no answer to the SYNs, no answer within
//! the 30 s receive timeout, and a reset in the middle of the response body.

use super::{
    Arr, BackendConnection, ERROR_NETNAME_DELETED, ERROR_WINHTTP_CANNOT_CONNECT,
    ERROR_WINHTTP_CONNECTION_ERROR, ERROR_WINHTTP_TIMEOUT, Handles, STATUS_IO_TIMEOUT,
    WSAETIMEDOUT, callback_payload, connect_payload, hex, receive_payload,
};
use crate::arr::DPC;
use crate::events::{
    TCP_CLOSE_REQUEST, TCP_CONNECT_FAILURE, TCP_CONNECT_TIMEOUT, WEBIO_CANCEL_START,
    WEBIO_CANCEL_STOP, WEBIO_CONNECT_FAILED, WEBIO_ENTITY_START, WEBIO_ENTITY_STOP,
    WEBIO_RECEIVE_CALLBACK_START, WEBIO_RECEIVE_CALLBACK_STOP, WEBIO_RECEIVE_STOP,
    WEBIO_SOCKET_CLOSE, WEBIO_SOCKET_RECEIVE_START, WEBIO_SOCKET_RECEIVE_STOP,
};
use crate::http_text::{BACKEND_HOST, backend_response_head, http_date};
use crate::netsh::Context;
use crate::packets::{ACK, FIN_ACK, RST, RST_ACK};
use crate::payload::Payload;

impl Arr {
    /// Nobody answers the SYN: Windows retransmits it twice (after 3 s, then 6 s more) and
    /// gives up 12 s later; WebIO and WinHTTP report the failed connect.
    pub(super) fn connect_times_out(
        &mut self,
        at: Context,
        h: &Handles,
        mut connection: BackendConnection,
    ) {
        self.trace.mark("SYN to the content server (no answer)");
        for (wait, label) in [
            (3000.0, "SYN retransmission 1"),
            (6000.0, "SYN retransmission 2"),
        ] {
            self.idle(wait);
            let again = connection.flow.retransmit_syn();
            self.trace.capture(at, &again, None);
            self.trace.mark(label);
        }
        self.idle(12_000.0);
        let flow = connection.flow.clone();
        self.tcb_event(
            at,
            &TCP_CONNECT_TIMEOUT,
            &flow,
            connection.tcb,
            STATUS_IO_TIMEOUT,
        );
        self.trace.mark("TCPIP: TcpConnectTcbTimeout");
        self.tcb_event(
            at,
            &TCP_CONNECT_FAILURE,
            &flow,
            connection.tcb,
            STATUS_IO_TIMEOUT,
        );
        self.trace.event(
            at,
            &WEBIO_CONNECT_FAILED,
            connect_payload(&connection, h.context, WSAETIMEDOUT),
        );
        self.trace.mark("WebIO: connect failed with 10060");
        self.text(
            at,
            &format!(
                "sys-req failed to connect to {BACKEND_HOST}:80; \
                 error = WSAETIMEDOUT ({WSAETIMEDOUT})"
            ),
        );
        self.text(
            at,
            "ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 \
             to (ERROR_WINHTTP_CANNOT_CONNECT) 12029",
        );
        self.trace
            .mark("WinHttp: WSAETIMEDOUT mapped to ERROR_WINHTTP_CANNOT_CONNECT");
        self.text(
            at,
            "returning ERROR_WINHTTP_CANNOT_CONNECT (12029) from WinHttpSendRequest()",
        );
        self.api_stop(
            at,
            h.winhttp,
            "WinHttpSendRequest",
            ERROR_WINHTTP_CANNOT_CONNECT,
        );
        self.trace.mark("WinHttpSendRequest fails with 12029");
        let close = Payload::new()
            .ptr(connection.webio)
            .u64(connection.socket)
            .u32(2)
            .u32(WSAETIMEDOUT);
        self.trace.event(at, &WEBIO_SOCKET_CLOSE, close);
    }

    /// No answer within ARR's 30 s: WinHTTP times the receive out, cancels the WebIO request
    /// and closes the connection. The content server's answer arrives later and is refused.
    pub(super) fn receive_timeout(
        &mut self,
        at: Context,
        h: &Handles,
        answer_after_ms: f64,
        body: &str,
    ) {
        let sent_at = self.trace.elapsed_seconds();
        self.idle(230.0);
        self.ack_backend_from_server();
        self.idle(30_000.0 - 230.0);
        self.text(at, "sys-recver failed to receive headers; error = ? (1460)");
        self.trace
            .mark("WinHttp: sys-recver failed to receive headers; error = ? (1460)");
        self.text(
            at,
            "ERROR_WINHTTP_FROM_WIN32 mapped (?) 1460 to (ERROR_WINHTTP_TIMEOUT) 12002",
        );
        let cancel = Payload::new().ptr(h.webio).u64(h.winhttp).u32(0).u32(0);
        self.trace.event(at, &WEBIO_CANCEL_START, cancel.clone());
        self.socket_io(at, &WEBIO_SOCKET_RECEIVE_STOP, WSAETIMEDOUT, 0);
        let callback = callback_payload(h, WSAETIMEDOUT);
        self.trace
            .event(at, &WEBIO_RECEIVE_CALLBACK_START, callback.clone());
        self.text(
            at,
            "sys-recver processing WebReceiveHttpResponse completion \
             (error-cdoe = WSAETIMEDOUT (0x274c), overlapped = 000001F6C3B09EE8)",
        );
        self.text(
            at,
            "ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002",
        );
        self.trace
            .mark("WinHttp: WSAETIMEDOUT mapped to ERROR_WINHTTP_TIMEOUT");
        self.text(
            at,
            "sys-recver returning ERROR_WINHTTP_TIMEOUT (12002) from RecvResponse()",
        );
        self.trace.event(at, &WEBIO_RECEIVE_CALLBACK_STOP, callback);
        self.trace
            .event(at, &WEBIO_RECEIVE_STOP, receive_payload(h, WSAETIMEDOUT));
        self.trace.event(at, &WEBIO_CANCEL_STOP, cancel);
        self.text(
            at,
            "sys-req completes recv-headers inline (sync); error = ERROR_WINHTTP_TIMEOUT (12002)",
        );
        self.text(
            at,
            "returning ERROR_WINHTTP_TIMEOUT (12002) from WinHttpReceiveResponse()",
        );
        self.trace
            .mark("WinHttp: returning ERROR_WINHTTP_TIMEOUT (12002) from WinHttpReceiveResponse()");
        self.api_stop(
            at,
            h.winhttp,
            "WinHttpReceiveResponse",
            ERROR_WINHTTP_TIMEOUT,
        );
        self.trace.mark("WinHttpReceiveResponse fails with 12002");
        self.close_request(at, h);
        self.drop_connection(at, 0);
        // The late answer: its data reaches a closed socket and is refused with a RST.
        let due = sent_at + answer_after_ms / 1000.0;
        if let Some(mut c) = self.proxy.connection.take() {
            let head = backend_response_head(
                &http_date(self.trace.unix_seconds() + 15),
                "application/json; charset=utf-8",
                body.len(),
            );
            let frames = c.flow.receive_data(format!("{head}{body}").as_bytes());
            let reply = c.flow.send(RST, &[]);
            self.schedule(
                due,
                frames,
                Some(reply),
                "late HTTP/1.1 200 OK from the content server (after 45 s)",
            );
        }
    }

    /// The content server acknowledges the request (delayed ACK) while it works on it.
    fn ack_backend_from_server(&mut self) {
        if let Some(c) = self.proxy.connection.as_mut() {
            let ack = c.flow.receive(ACK, &[]);
            self.trace.capture(DPC, &ack, None);
        }
    }

    /// WinHTTP gives up on the connection: WebIO closes the socket and TCP sends a FIN that
    /// the content server acknowledges. The connection stays in `proxy.connection` only
    /// until the caller takes it (for a late answer) or drops it.
    fn drop_connection(&mut self, at: Context, result: u32) {
        let Some(c) = self.proxy.connection.as_mut() else {
            return;
        };
        let (webio, socket, tcb) = (c.webio, c.socket, c.tcb);
        let close = Payload::new().ptr(webio).u64(socket).u32(2).u32(result);
        self.trace.event(at, &WEBIO_SOCKET_CLOSE, close);
        let flow = c.flow.clone();
        self.tcb_event(at, &TCP_CLOSE_REQUEST, &flow, tcb, 0);
        if result == 0 {
            let frames = self.proxy.connection.as_mut().map(|c| {
                let fin = c.flow.send(FIN_ACK, &[]);
                (fin, c.flow.receive(ACK, &[]))
            });
            if let Some((fin, ack)) = frames {
                self.trace.capture(at, &fin, None);
                self.trace.wait_ms(0.35);
                self.trace.capture(DPC, &ack, None);
            }
        }
    }

    /// The second WinHttpReadData waits for more body; the content server resets instead.
    pub(super) fn reset_during_read(&mut self, at: Context, h: &Handles, buffered: usize) {
        self.trace.wait_ms(0.03);
        self.api_start(at, h.winhttp, "WinHttpReadData");
        self.text(
            at,
            &format!("WinHttpReadData({}, 0x1f50000, 65536, 0x0)", hex(h.winhttp)),
        );
        self.entity_event(at, &WEBIO_ENTITY_START, h, 0);
        self.entity_event(at, &WEBIO_ENTITY_STOP, h, 0);
        self.text(
            at,
            &format!("WinHttpReadData() returning TRUE; {buffered} bytes read"),
        );
        self.api_stop(at, h.winhttp, "WinHttpReadData", 0);
        self.trace.wait_ms(0.2);
        self.api_start(at, h.winhttp, "WinHttpReadData");
        self.text(
            at,
            &format!("WinHttpReadData({}, 0x1f50000, 65536, 0x0)", hex(h.winhttp)),
        );
        self.entity_event(at, &WEBIO_ENTITY_START, h, 0);
        self.socket_io(at, &WEBIO_SOCKET_RECEIVE_START, 0, 0);
        self.idle(37.0);
        let reset = self
            .proxy
            .connection
            .as_mut()
            .map(|c| c.flow.receive(RST_ACK, &[]));
        if let Some(frame) = reset {
            self.trace.capture(DPC, &frame, None);
            self.trace.mark("TCP RST from the content server");
        }
        self.socket_io(at, &WEBIO_SOCKET_RECEIVE_STOP, ERROR_NETNAME_DELETED, 0);
        self.entity_event(at, &WEBIO_ENTITY_STOP, h, ERROR_NETNAME_DELETED);
        self.text(
            at,
            "sys-recver processing WebReceiveHttpEntity completion \
             (error-cdoe = ERROR_NETNAME_DELETED (0x40), overlapped = 000001F6C3B0A1C8)",
        );
        self.text(
            at,
            "ERROR_WINHTTP_FROM_WIN32 mapped (ERROR_NETNAME_DELETED) 64 \
             to (ERROR_WINHTTP_CONNECTION_ERROR) 12030",
        );
        self.trace
            .mark("WinHttp: ERROR_NETNAME_DELETED mapped to ERROR_WINHTTP_CONNECTION_ERROR");
        self.text(
            at,
            "sys-recver failed to receive entity body; \
             error = ERROR_WINHTTP_CONNECTION_ERROR (12030)",
        );
        self.text(
            at,
            "returning ERROR_WINHTTP_CONNECTION_ERROR (12030) from WinHttpReadData()",
        );
        self.api_stop(
            at,
            h.winhttp,
            "WinHttpReadData",
            ERROR_WINHTTP_CONNECTION_ERROR,
        );
        self.trace.mark("WinHttpReadData fails with 12030");
        self.close_request(at, h);
        self.drop_connection(at, ERROR_NETNAME_DELETED);
        self.proxy.connection = None;
    }
}
