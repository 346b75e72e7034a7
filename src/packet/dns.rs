//! DNS messages (RFC 1035): header, questions and the A / AAAA / CNAME answers, enough for
//! a summary line and `dns.QueryName`. Every read is bounds-checked; names follow at most
//! [`MAX_POINTER_JUMPS`] compression pointers, each pointing strictly backwards.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Questions and answers kept per message (counts in the header can claim 65535).
const MAX_RECORDS: usize = 32;
/// Compression pointers followed while reading one name.
const MAX_POINTER_JUMPS: usize = 16;
/// Longest name kept (RFC 1035: 255 octets on the wire).
const MAX_NAME_LEN: usize = 255;
const HEADER_LEN: usize = 12;

/// One DNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    pub opcode: u8,
    pub rcode: u8,
    pub questions: Vec<DnsQuestion>,
    pub answers: Vec<DnsAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsQuestion {
    pub name: String,
    pub qtype: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsAnswer {
    pub name: String,
    pub rtype: u16,
    pub data: DnsData,
}

/// Answer data we show; other record types keep only their type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsData {
    Address(IpAddr),
    Name(String),
    Other,
}

impl DnsMessage {
    /// Parses a message carried over UDP. `None` when even the header or the first
    /// question is unreadable; later damage just ends the record lists.
    pub fn parse(bytes: &[u8]) -> Option<DnsMessage> {
        let header = bytes.get(..HEADER_LEN)?;
        let word = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]);
        let flags = word(2);
        let question_count = usize::from(word(4));
        let answer_count = usize::from(word(6));
        let mut message = DnsMessage {
            id: word(0),
            response: flags & 0x8000 != 0,
            opcode: ((flags >> 11) & 0x0F) as u8,
            rcode: (flags & 0x0F) as u8,
            questions: Vec::new(),
            answers: Vec::new(),
        };
        let mut at = HEADER_LEN;
        for _ in 0..question_count.min(MAX_RECORDS) {
            let Some((name, after_name)) = read_name(bytes, at) else {
                break;
            };
            let (Some(qtype), Some(_class)) =
                (read_u16(bytes, after_name), read_u16(bytes, after_name + 2))
            else {
                break;
            };
            message.questions.push(DnsQuestion { name, qtype });
            at = after_name + 4; // type and class
        }
        if question_count > 0 && message.questions.is_empty() {
            return None;
        }
        if question_count > message.questions.len() {
            return Some(message); // the answers' position is unknown
        }
        for _ in 0..answer_count.min(MAX_RECORDS) {
            let Some((answer, next)) = read_answer(bytes, at) else {
                break;
            };
            message.answers.push(answer);
            at = next;
        }
        Some(message)
    }

    /// Parses a message carried over TCP (a 2-byte length precedes it).
    pub fn parse_tcp(bytes: &[u8]) -> Option<DnsMessage> {
        let declared = usize::from(read_u16(bytes, 0)?);
        let body = bytes.get(2..)?;
        DnsMessage::parse(body.get(..declared.min(body.len()))?)
    }

    /// Wireshark-style info text: `Standard query 0x1a2b A example.com` or
    /// `Standard query response 0x1a2b A example.com A 93.184.216.34`.
    pub fn info(&self) -> String {
        let kind = match self.opcode {
            0 => "Standard query",
            1 => "Inverse query",
            2 => "Server status request",
            4 => "Zone change notification",
            5 => "Dynamic update",
            _ => "Unknown operation",
        };
        let mut text = format!(
            "{kind}{} 0x{:04x}",
            if self.response { " response" } else { "" },
            self.id
        );
        if self.response && self.rcode != 0 {
            text.push(' ');
            text.push_str(rcode_name(self.rcode));
        }
        for q in &self.questions {
            text.push_str(&format!(" {} {}", type_name(q.qtype), q.name));
        }
        for a in &self.answers {
            match &a.data {
                DnsData::Address(ip) => text.push_str(&format!(" {} {ip}", type_name(a.rtype))),
                DnsData::Name(n) => text.push_str(&format!(" {} {n}", type_name(a.rtype))),
                DnsData::Other => text.push_str(&format!(" {}", type_name(a.rtype))),
            }
        }
        text
    }
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([
        *bytes.get(at)?,
        *bytes.get(at.checked_add(1)?)?,
    ]))
}

fn read_answer(bytes: &[u8], at: usize) -> Option<(DnsAnswer, usize)> {
    let (name, after_name) = read_name(bytes, at)?;
    let rtype = read_u16(bytes, after_name)?;
    let data_len = usize::from(read_u16(bytes, after_name.checked_add(8)?)?);
    let data_start = after_name.checked_add(10)?;
    let data_end = data_start.checked_add(data_len)?;
    let rdata = bytes.get(data_start..data_end)?;
    let data = match (rtype, rdata.len()) {
        (1, 4) => DnsData::Address(IpAddr::V4(Ipv4Addr::new(
            rdata[0], rdata[1], rdata[2], rdata[3],
        ))),
        (28, 16) => {
            let octets: [u8; 16] = rdata.try_into().ok()?;
            DnsData::Address(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        (5 | 2 | 12, _) => DnsData::Name(read_name(bytes, data_start)?.0),
        _ => DnsData::Other,
    };
    Some((DnsAnswer { name, rtype, data }, data_end))
}

/// Reads a possibly compressed name at `at`; returns it and the offset after its in-place
/// part (after the first pointer, or after the terminating zero).
fn read_name(bytes: &[u8], at: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut pos = at;
    let mut resume_at = None;
    let mut jumps = 0;
    loop {
        let len = *bytes.get(pos)?;
        match len & 0xC0 {
            0x00 if len == 0 => {
                let end = resume_at.unwrap_or(pos + 1);
                if name.is_empty() {
                    name.push_str("<Root>");
                }
                return Some((name, end));
            }
            0x00 => {
                let label = bytes.get(pos + 1..pos + 1 + usize::from(len))?;
                if name.len() + label.len() + 1 > MAX_NAME_LEN {
                    return None;
                }
                if !name.is_empty() {
                    name.push('.');
                }
                push_label(&mut name, label);
                pos += 1 + usize::from(len);
            }
            0xC0 => {
                let target = usize::from(read_u16(bytes, pos)? & 0x3FFF);
                jumps += 1;
                // Backwards only, and a few times at most: no loops.
                if jumps > MAX_POINTER_JUMPS || target >= pos {
                    return None;
                }
                resume_at.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return None, // extended label types (0x40, 0x80) are obsolete
        }
    }
}

/// Appends a label, escaping bytes that are not printable ASCII as `\ddd` (RFC 4343 style).
fn push_label(name: &mut String, label: &[u8]) {
    for &b in label {
        if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("\\{b:03}"));
        }
    }
}

/// Record type mnemonic (the common ones), else `TYPE<n>`.
pub fn type_name(t: u16) -> String {
    let known = match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        41 => "OPT",
        64 => "SVCB",
        65 => "HTTPS",
        255 => "ANY",
        _ => return format!("TYPE{t}"),
    };
    known.to_string()
}

fn rcode_name(rcode: u8) -> &'static str {
    match rcode {
        1 => "Format error",
        2 => "Server failure",
        3 => "No such name",
        4 => "Not implemented",
        5 => "Refused",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::packet::testdata::dns_query as query;

    fn response_with_cname_and_a() -> Vec<u8> {
        let mut b = query(0x1a2b, "www.example.com", 1);
        b[2] = 0x81;
        b[3] = 0x80;
        b[7] = 2; // two answers
        // www.example.com CNAME example.com (pointer into the question: offset 16)
        b.extend([0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xC0, 16]);
        // example.com A 93.184.216.34 (name by pointer to offset 16)
        b.extend([0xC0, 16, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]);
        b
    }

    #[test]
    fn query_header_and_question() {
        let m = DnsMessage::parse(&query(0x1234, "www.example.com", 1)).unwrap();
        assert_eq!(m.id, 0x1234);
        assert!(!m.response);
        assert_eq!(
            m.questions,
            vec![DnsQuestion {
                name: "www.example.com".into(),
                qtype: 1
            }]
        );
        assert_eq!(m.info(), "Standard query 0x1234 A www.example.com");
    }

    #[test]
    fn response_follows_compression_pointers() {
        let m = DnsMessage::parse(&response_with_cname_and_a()).unwrap();
        assert!(m.response);
        assert_eq!(m.answers.len(), 2);
        assert_eq!(m.answers[0].data, DnsData::Name("example.com".into()));
        assert_eq!(m.answers[1].name, "example.com");
        assert_eq!(
            m.info(),
            "Standard query response 0x1a2b A www.example.com CNAME example.com A 93.184.216.34"
        );
    }

    #[test]
    fn error_rcode_is_named() {
        let mut b = query(7, "nope.example", 28);
        b[2] = 0x81;
        b[3] = 0x83;
        let m = DnsMessage::parse(&b).unwrap();
        assert_eq!(
            m.info(),
            "Standard query response 0x0007 No such name AAAA nope.example"
        );
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_rejected() {
        let mut b = query(1, "a", 1);
        // Replace the name with a pointer to itself.
        b.truncate(HEADER_LEN);
        b.extend([0xC0, 12, 0, 1, 0, 1]);
        assert_eq!(DnsMessage::parse(&b), None);
        assert_eq!(read_name(&[0xC0, 5, 0, 0, 0, 0], 0), None);
    }

    #[test]
    fn tcp_framing_uses_the_length_prefix() {
        let body = query(9, "example.org", 1);
        let mut framed = (body.len() as u16).to_be_bytes().to_vec();
        framed.extend(&body);
        let m = DnsMessage::parse_tcp(&framed).unwrap();
        assert_eq!(m.questions[0].name, "example.org");
    }

    #[test]
    fn odd_label_bytes_are_escaped() {
        let mut name = String::new();
        push_label(&mut name, b"a.b\x01");
        assert_eq!(name, "a\\046b\\001");
    }

    #[test]
    fn every_truncation_of_a_response_parses_or_declines_without_panic() {
        let full = response_with_cname_and_a();
        for cut in 0..full.len() {
            let parsed = DnsMessage::parse(&full[..cut]);
            if cut < 33 {
                assert!(parsed.is_none(), "cut {cut}");
            } else {
                assert!(parsed.unwrap().answers.len() <= 2);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = DnsMessage::parse(&bytes).map(|m| m.info());
            let _ = DnsMessage::parse_tcp(&bytes);
        }
    }
}
