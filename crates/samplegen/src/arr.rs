//! The ARR server of the story: who talks to whom (addresses, processes, threads), the
//! session start (kernel rundown, capture interface), background traffic while nothing else
//! happens, and the client-facing half of each request (TCP from the browser, HTTP.sys
//! events, the response ARR sends back).

use super::events::{
    HTTP_CONN_CLEANUP, HTTP_CONN_CLOSE, HTTP_CONN_CONNECT, HTTP_DELIVER, HTTP_PARSE, HTTP_RECV_REQ,
    HTTP_RECV_RESP, HTTP_SEND_COMPLETE, NDIS_ADAPTER, NDIS_MEDIA_TYPE,
};
use super::http_text::{SITE_HOST, client_request};
use super::kernel::{
    IMAGE_DC_START, IMAGE_VERSION, PROCESS_DC_START, PROCESS_VERSION, PROCESSES, THREAD_DC_START,
    THREAD_VERSION, THREADS, W3WP_IMAGES, W3WP_PID, image_payload, process_payload, thread_payload,
};
use super::netsh::{CAPTURE_IF_INDEX, Context, Layout, NetTrace};
use super::packets::{ACK, FIN_ACK, Frame, Host, PSH_ACK, SYN, SYN_ACK, TcpFlow, noise};
use super::payload::Payload;
use super::proxy::Proxy;
use std::net::Ipv4Addr;

/// The ARR server (Hyper-V VM, one adapter).
pub const ARR: Host = Host {
    mac: [0x00, 0x15, 0x5d, 0x0a, 0x00, 0x05],
    ip: Ipv4Addr::new(10, 0, 0, 5),
    ttl: 128,
};
/// The router that connects the client network.
pub const ROUTER_MAC: [u8; 6] = [0x00, 0x15, 0x5d, 0x0a, 0x00, 0x01];
/// The browser's machine, one hop away.
pub const CLIENT: Host = Host {
    mac: ROUTER_MAC,
    ip: Ipv4Addr::new(192, 168, 20, 40),
    ttl: 127,
};
/// The content server of the farm.
pub const BACKEND: Host = Host {
    mac: [0x00, 0x15, 0x5d, 0x0a, 0x00, 0x15],
    ip: Ipv4Addr::new(10, 0, 0, 21),
    ttl: 128,
};
/// The domain controller that answers DNS.
pub const DNS_SERVER: Host = Host {
    mac: [0x00, 0x15, 0x5d, 0x0a, 0x00, 0x0a],
    ip: Ipv4Addr::new(10, 0, 0, 10),
    ttl: 128,
};
/// The administrator's workstation (RDP session that runs netsh).
const ADMIN: Host = Host {
    mac: [0x00, 0x15, 0x5d, 0x0a, 0x00, 0x64],
    ip: Ipv4Addr::new(10, 0, 0, 100),
    ttl: 128,
};

/// Receive indications run in a DPC on processor 0 (no process context).
pub const DPC: Context = Context {
    cpu: 0,
    pid: 0,
    tid: 0,
};
/// HTTP.sys work items in the System process.
pub const HTTP_SYS: Context = Context {
    cpu: 0,
    pid: 4,
    tid: 172,
};
/// HTTP.sys send completions and connection cleanup (another processor).
const HTTP_SYS_COMPLETION: Context = Context {
    cpu: 1,
    pid: 4,
    tid: 7740,
};
const NETSH: Context = Context {
    cpu: 3,
    pid: 4820,
    tid: 4836,
};
/// Remote Desktop (TermService in the netsvcs svchost).
const TERMSRV: Context = Context {
    cpu: 3,
    pid: 1052,
    tid: 3380,
};
pub const DNS_CLIENT: Context = Context {
    cpu: 3,
    pid: 1264,
    tid: 2588,
};

/// The w3wp.exe worker thread that serves the `n`th request.
pub fn worker(n: u32) -> Context {
    let (cpu, tid) = [(1, 2216), (2, 3308), (1, 4412), (2, 5124)][n as usize % 4];
    Context {
        cpu,
        pid: W3WP_PID,
        tid,
    }
}

/// A browser connection accepted by HTTP.sys.
pub struct ClientConnection {
    pub flow: TcpFlow,
    connection_id: u64,
    connection_obj: u64,
}

/// A request HTTP.sys delivered to the DefaultAppPool queue.
pub struct ClientRequest {
    pub number: u32,
    pub path: &'static str,
    pub accept: &'static str,
    pub request_id: u64,
    connection_id: u64,
    /// `ip:port` of the browser (ARR's X-Forwarded-For).
    pub client: String,
}

/// A server answer that arrives at a given time, whatever else happens meanwhile.
struct Scheduled {
    due_seconds: f64,
    frames: Vec<Frame>,
    reply: Option<Frame>,
    label: &'static str,
}

/// The ARR server while the story is told.
pub struct Arr {
    pub trace: NetTrace,
    pub proxy: Proxy,
    clients: u32,
    requests: u32,
    rdp: TcpFlow,
    next_background: f64,
    scheduled: Vec<Scheduled>,
}

impl Arr {
    pub fn new(layout: Layout) -> Arr {
        Arr {
            trace: NetTrace::new(layout),
            proxy: Proxy::new(),
            clients: 0,
            requests: 0,
            rdp: TcpFlow::new(
                (ARR, 3389),
                (ADMIN, 50122),
                ADMIN.mac,
                (0x7A31_0C55, 0x1C0F_9E21),
                (0x2A10, 0x5E02),
            ),
            next_background: 0.6,
            scheduled: Vec::new(),
        }
    }

    /// What netsh logs first: the kernel rundown merged in, then the capture interface.
    pub fn start_session(&mut self) {
        let t = &mut self.trace;
        t.wait_ms(2.5);
        for p in PROCESSES {
            let at = Context {
                cpu: 0,
                pid: p.pid,
                tid: 0,
            };
            t.system(at, PROCESS_DC_START, PROCESS_VERSION, &process_payload(p));
        }
        for &(pid, tid) in THREADS {
            let at = Context { cpu: 0, pid, tid };
            t.system(
                at,
                THREAD_DC_START,
                THREAD_VERSION,
                &thread_payload(pid, tid),
            );
        }
        for &(path, base, size) in W3WP_IMAGES {
            let payload = image_payload(W3WP_PID, path, base, size);
            t.perfinfo(0, IMAGE_DC_START, IMAGE_VERSION, &payload);
        }
        t.wait_ms(41.0);
        t.event(
            NETSH,
            &NDIS_ADAPTER,
            Payload::new()
                .utf16("Microsoft Hyper-V Network Adapter")
                .utf16("{8A1F3C52-6D0B-4E2A-9C71-2F5D0B7E4A13}")
                .utf16("netvsc")
                .utf16("10.0.17763.1"),
        );
        t.event(
            NETSH,
            &NDIS_MEDIA_TYPE,
            Payload::new()
                .u32(CAPTURE_IF_INDEX)
                .u32(CAPTURE_IF_INDEX)
                .u32(0) // NdisMedium802_3
                .u32(0),
        );
    }

    /// Lets `ms` pass; RDP screen updates and scheduled server answers happen meanwhile.
    pub fn idle(&mut self, ms: f64) {
        let end = self.trace.elapsed_seconds() + ms / 1000.0;
        loop {
            let next_due = self
                .scheduled
                .iter()
                .map(|s| s.due_seconds)
                .fold(f64::INFINITY, f64::min);
            let next = self.next_background.min(next_due);
            if next > end {
                break;
            }
            let now = self.trace.elapsed_seconds();
            self.trace.wait_ms(((next - now) * 1000.0).max(0.0));
            if next_due <= self.next_background {
                self.deliver_scheduled();
            } else {
                self.background();
            }
        }
        let now = self.trace.elapsed_seconds();
        self.trace.wait_ms(((end - now) * 1000.0).max(0.0));
    }

    /// One RDP update to the admin's workstation and its acknowledgement.
    fn background(&mut self) {
        let n = (self.next_background * 10.0) as u32;
        let len = 90 + (n * 53) % 700;
        let mut record = vec![0x17, 0x03, 0x03];
        record.extend((len as u16).to_be_bytes());
        record.extend(noise(n, len as usize));
        let out = self.rdp.send(PSH_ACK, &record);
        self.trace.capture(TERMSRV, &out, None);
        self.trace.wait_ms(0.9 + f64::from(n % 5) * 0.2);
        let ack = self.rdp.receive(ACK, &[]);
        self.trace.capture(DPC, &ack, None);
        self.next_background += 2.3 + f64::from(n % 7) * 0.35;
    }

    /// Queues frames from a server that arrive at `due_seconds` (session time), optionally
    /// answered by `reply` right after.
    pub fn schedule(
        &mut self,
        due_seconds: f64,
        frames: Vec<Frame>,
        reply: Option<Frame>,
        label: &'static str,
    ) {
        self.scheduled.push(Scheduled {
            due_seconds,
            frames,
            reply,
            label,
        });
    }

    fn deliver_scheduled(&mut self) {
        let Some(index) = self
            .scheduled
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.due_seconds.total_cmp(&b.1.due_seconds))
            .map(|(i, _)| i)
        else {
            return;
        };
        let item = self.scheduled.remove(index);
        for (i, frame) in item.frames.iter().enumerate() {
            self.trace.capture(DPC, frame, None);
            if i == 0 {
                self.trace.mark(item.label);
            }
        }
        if let Some(reply) = item.reply {
            self.trace.wait_ms(0.05);
            self.trace.capture(worker(0), &reply, None);
            self.trace.mark("ARR answers the late data with TCP RST");
        }
    }

    /// The browser opens a TCP connection; HTTP.sys accepts it.
    pub fn accept_client(&mut self) -> ClientConnection {
        self.clients += 1;
        let n = self.clients;
        // Wrapping: the large trace opens more connections than there are ports.
        let m = n as u16;
        let mut flow = TcpFlow::new(
            (ARR, 80),
            (CLIENT, 50811u16.wrapping_add(m)),
            ROUTER_MAC,
            (
                0x3C1B_0A00u32.wrapping_add(n.wrapping_mul(0x1_1111)),
                0x9E04_7730u32.wrapping_add(n.wrapping_mul(0x2_2222)),
            ),
            (
                0x0C31u16.wrapping_add(m.wrapping_mul(40)),
                0x4D10u16.wrapping_add(m.wrapping_mul(17)),
            ),
        );
        let syn = flow.receive(SYN, &[]);
        self.trace.capture(DPC, &syn, None);
        self.trace.wait_ms(0.04);
        let syn_ack = flow.send(SYN_ACK, &[]);
        self.trace.capture(HTTP_SYS, &syn_ack, None);
        self.trace.wait_ms(0.6);
        let ack = flow.receive(ACK, &[]);
        self.trace.capture(DPC, &ack, None);
        let connection_obj = 0xFFFF_B30C_5A1D_2050 + u64::from(n) * 0x300;
        self.trace.event(
            HTTP_SYS,
            &HTTP_CONN_CONNECT,
            Payload::new()
                .ptr(connection_obj)
                .sockaddr_with_length(flow.local_addr())
                .sockaddr_with_length(flow.remote_addr()),
        );
        ClientConnection {
            flow,
            connection_id: 0xE800_0000_A000_0006 + u64::from(n),
            connection_obj,
        }
    }

    /// The browser sends a GET; HTTP.sys parses it and hands it to the application pool.
    pub fn receive_request(
        &mut self,
        conn: &mut ClientConnection,
        path: &'static str,
        accept: &'static str,
    ) -> ClientRequest {
        self.requests += 1;
        let n = self.requests;
        self.trace.wait_ms(1.8);
        let text = client_request(path, accept);
        for (i, frame) in conn.flow.receive_data(text.as_bytes()).iter().enumerate() {
            let number = self.trace.capture(DPC, frame, None);
            if i == 0 {
                self.trace.mark_frame("browser request arrives", number);
            }
        }
        let request_id = 0xE800_0000_8000_0041 + u64::from(n);
        let request_obj = 0xFFFF_B30C_5B0E_6010 + u64::from(n) * 0x800;
        let url = format!("http://{SITE_HOST}:80{path}");
        self.trace.event(
            HTTP_SYS,
            &HTTP_RECV_REQ,
            Payload::new()
                .u64(request_id)
                .u64(conn.connection_id)
                .sockaddr_with_length(conn.flow.remote_addr()),
        );
        self.trace.event(
            HTTP_SYS,
            &HTTP_PARSE,
            Payload::new().ptr(request_obj).u32(4).utf16(&url), // HttpVerbGET
        );
        self.trace.event(
            HTTP_SYS,
            &HTTP_DELIVER,
            Payload::new()
                .ptr(request_obj)
                .u64(request_id)
                .u32(1) // Default Web Site
                .utf16("DefaultAppPool")
                .utf16(&url)
                .u32(0),
        );
        ClientRequest {
            number: n,
            path,
            accept,
            request_id,
            connection_id: conn.connection_id,
            client: conn.flow.remote_addr().to_string(),
        }
    }

    /// w3wp hands the response to HTTP.sys, which sends it; `split_at` cuts the first frame
    /// into two capture fragments.
    pub fn respond(
        &mut self,
        conn: &mut ClientConnection,
        request: &ClientRequest,
        status: u16,
        response: &str,
        split_at: Option<usize>,
    ) {
        let at = worker(request.number);
        let header_length = response.find("\r\n\r\n").map_or(0, |i| i + 4);
        self.trace.event(
            at,
            &HTTP_RECV_RESP,
            Payload::new()
                .u64(request.request_id)
                .u64(request.connection_id)
                .u16(status)
                .ansi("GET")
                .u32(header_length as u32)
                .u16(1)
                .u32(0),
        );
        self.trace.wait_ms(0.08);
        let frames = conn.flow.send_data(response.as_bytes());
        for (i, frame) in frames.iter().enumerate() {
            let split = if i == 0 { split_at } else { None };
            let number = self.trace.capture(at, frame, split);
            if i == 0 {
                let label = if status == 502 {
                    "HTTP/1.1 502 Bad Gateway to the browser"
                } else {
                    "HTTP/1.1 200 OK to the browser"
                };
                self.trace.mark_frame(label, number);
                if split.is_some() {
                    self.trace
                        .mark_frame("response frame split into two capture fragments", number);
                }
            }
        }
        self.trace.event(
            HTTP_SYS_COMPLETION,
            &HTTP_SEND_COMPLETE,
            Payload::new().u64(request.request_id).u16(status),
        );
        self.trace.wait_ms(24.0);
        let ack = conn.flow.receive(ACK, &[]);
        self.trace.capture(DPC, &ack, None);
    }

    /// The browser closes the connection; HTTP.sys closes and frees it.
    pub fn client_closes(&mut self, conn: &mut ClientConnection) {
        let fin = conn.flow.receive(FIN_ACK, &[]);
        self.trace.capture(DPC, &fin, None);
        self.trace.event(
            HTTP_SYS,
            &HTTP_CONN_CLOSE,
            Payload::new().ptr(conn.connection_obj).u32(0),
        );
        self.trace.wait_ms(0.05);
        let fin_ack = conn.flow.send(FIN_ACK, &[]);
        self.trace.capture(HTTP_SYS, &fin_ack, None);
        self.trace.wait_ms(0.7);
        let ack = conn.flow.receive(ACK, &[]);
        self.trace.capture(DPC, &ack, None);
        self.trace.event(
            HTTP_SYS_COMPLETION,
            &HTTP_CONN_CLEANUP,
            Payload::new().ptr(conn.connection_obj),
        );
    }
}
