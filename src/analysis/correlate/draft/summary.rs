//! What a draft reads from HTTP lines, and the back end and furthest step it reports.

use super::super::observe::{HttpLine, is_ip_literal, split_host_port};
use super::super::{Backend, ConnectionUse, Phase};
use super::Draft;

impl Draft {
    pub(in crate::analysis::correlate) fn take_http(&mut self, line: &HttpLine) {
        match line {
            HttpLine::Request { verb, target } => {
                self.in_response = false;
                if self.verb.is_none() {
                    self.verb = Some(verb.clone());
                }
                if self.path.is_none() {
                    self.path = Some(target.clone());
                }
            }
            HttpLine::Status(status) => {
                self.in_response = true;
                self.status_time.get_or_insert(self.end);
                self.status.get_or_insert(*status);
                self.got_response = true;
            }
            HttpLine::Header { name, value } if self.in_response => {
                if name == "content-length" {
                    self.content_length = value.parse().ok();
                }
            }
            HttpLine::Header { name, value } => match name.as_str() {
                "x-arr-log-id" => {
                    self.arr_log_id.get_or_insert_with(|| value.clone());
                }
                "x-forwarded-for" => {
                    self.forwarded_for.get_or_insert_with(|| value.clone());
                }
                "host" => {
                    let endpoint = split_host_port(value);
                    if endpoint.host.as_deref().is_some_and(|h| !is_ip_literal(h)) {
                        self.learn_endpoint(&endpoint);
                    }
                }
                _ => {}
            },
        }
    }
}

pub(super) fn backend_of(d: &Draft) -> Backend {
    let host = d.endpoint.host.clone().filter(|h| !is_ip_literal(h));
    let address = d.remote_address.clone().or_else(|| {
        let ip = d.endpoint.host.as_deref().filter(|h| is_ip_literal(h))?;
        Some(format!("{ip}:{}", d.endpoint.port?))
    });
    let port = d
        .endpoint
        .port
        .or_else(|| split_host_port(address.as_deref()?).port);
    Backend {
        host,
        address,
        port,
    }
}

/// The furthest step the request got to: its current one, or later ones it went through.
pub(super) fn phase_reached(d: &Draft) -> Phase {
    let s = &d.steps;
    if s.receive_body.is_some() || d.bytes_received.is_some_and(|b| b > 0) {
        Phase::ReceiveBody
    } else if s.receive_headers.is_some() || d.status.is_some() {
        Phase::ReceiveHeaders
    } else if s.connect.is_some() && !d.connected && d.connection_use != Some(ConnectionUse::Reused)
    {
        Phase::Connect
    } else if s.send.is_some() {
        Phase::Send
    } else if s.connect.is_some() {
        Phase::Connect
    } else if s.resolve.is_some() {
        Phase::Resolve
    } else {
        d.phase
    }
}
