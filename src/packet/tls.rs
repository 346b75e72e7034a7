//! TLS records at the start of a TCP payload: content types for the summary line and the
//! server name (SNI) of a ClientHello. Bounded reads only; nothing is allocated from a
//! length field.

/// Records described per segment (a segment can hold many small records).
const MAX_RECORDS: usize = 16;
/// Largest record length TLS allows (2^14 plus expansion for protected records).
const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
const RECORD_HEADER_LEN: usize = 5;

/// What the records at the start of a segment say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// Record-layer version of the first record (`0x0303` for TLS 1.2 and 1.3 records).
    pub record_version: u16,
    /// One description per record seen: `Client Hello`, `Application Data`, ...
    pub records: Vec<String>,
    /// Server name from a ClientHello's server_name extension.
    pub sni: Option<String>,
    /// ALPN protocols offered by a ClientHello (`h2`, `http/1.1`).
    pub alpn: Vec<String>,
}

impl TlsInfo {
    /// Recognises TLS when the payload starts with a plausible record header.
    pub fn parse(payload: &[u8]) -> Option<TlsInfo> {
        let (content_type, record_version, _) = record_header(payload)?;
        if !(20..=24).contains(&content_type) {
            return None;
        }
        let mut info = TlsInfo {
            record_version,
            records: Vec::new(),
            sni: None,
            alpn: Vec::new(),
        };
        let mut at = 0usize;
        while info.records.len() < MAX_RECORDS {
            let Some(rest) = payload.get(at..) else { break };
            let Some((content_type, _, len)) = record_header(rest) else {
                break;
            };
            // The record body may continue in the next segment: read what is here.
            let end = RECORD_HEADER_LEN.saturating_add(len).min(rest.len());
            let body = rest.get(RECORD_HEADER_LEN..end).unwrap_or_default();
            info.records.push(describe_record(
                content_type,
                body,
                &mut info.sni,
                &mut info.alpn,
            ));
            at = at.saturating_add(RECORD_HEADER_LEN + len);
        }
        Some(info)
    }

    /// Summary text: the record descriptions joined, with the SNI of a ClientHello.
    pub fn info(&self) -> String {
        let mut text = self.records.join(", ");
        if let Some(sni) = &self.sni {
            text.push_str(&format!(" (SNI={sni})"));
        }
        text
    }
}

/// (content type, version, length) of a record header that looks like TLS 1.0-1.3 / SSL 3.
fn record_header(bytes: &[u8]) -> Option<(u8, u16, usize)> {
    let header = bytes.get(..RECORD_HEADER_LEN)?;
    let version = u16::from_be_bytes([header[1], header[2]]);
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let plausible = (0x0300..=0x0304).contains(&version) && len > 0 && len <= MAX_RECORD_LEN;
    plausible.then_some((header[0], version, len))
}

fn describe_record(
    content_type: u8,
    body: &[u8],
    sni: &mut Option<String>,
    alpn: &mut Vec<String>,
) -> String {
    match content_type {
        20 => "Change Cipher Spec".into(),
        21 => "Alert".into(),
        22 => {
            let Some(&handshake_type) = body.first() else {
                return "Handshake".into();
            };
            if handshake_type == 1
                && let Some(hello) = client_hello_extensions(body)
            {
                *sni = hello.0.or(sni.take());
                alpn.extend(hello.1);
            }
            handshake_name(handshake_type)
        }
        23 => "Application Data".into(),
        24 => "Heartbeat".into(),
        _ => "Unknown Record".into(),
    }
}

fn handshake_name(t: u8) -> String {
    match t {
        0 => "Hello Request",
        1 => "Client Hello",
        2 => "Server Hello",
        4 => "New Timeline Ticket",
        8 => "Encrypted Extensions",
        11 => "Certificate",
        12 => "Server Key Exchange",
        13 => "Certificate Request",
        14 => "Server Hello Done",
        15 => "Certificate Verify",
        16 => "Client Key Exchange",
        20 => "Finished",
        // In TLS 1.3 (and after Change Cipher Spec) handshake bytes are encrypted.
        _ => "Encrypted Handshake Message",
    }
    .to_string()
}

/// A cursor over big-endian fields that fails softly at the end of its slice.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(*self.take(1)?.first()?)
    }
    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }
    /// A vector with a one- or two-byte length prefix.
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
}

/// (server name, ALPN protocols) from a ClientHello handshake message. Works on a
/// message cut short by the segment boundary as long as the extensions needed are present.
fn client_hello_extensions(handshake: &[u8]) -> Option<(Option<String>, Vec<String>)> {
    let mut r = Reader {
        bytes: handshake,
        at: 0,
    };
    r.take(4)?; // type, 24-bit length
    r.take(2 + 32)?; // legacy_version, random
    r.vec8()?; // session id
    r.vec16()?; // cipher suites
    r.vec8()?; // compression methods
    let ext_len = usize::from(r.u16()?);
    let available = handshake.len().saturating_sub(r.at);
    let mut ext = Reader {
        bytes: r.take(ext_len.min(available))?,
        at: 0,
    };
    let mut sni = None;
    let mut alpn = Vec::new();
    while let (Some(ext_type), Some(data)) = (ext.u16(), ext.vec16()) {
        match ext_type {
            0 => sni = server_name(data),
            16 => alpn = protocol_names(data),
            _ => {}
        }
    }
    Some((sni, alpn))
}

fn server_name(data: &[u8]) -> Option<String> {
    let mut list = Reader {
        bytes: Reader { bytes: data, at: 0 }.vec16()?,
        at: 0,
    };
    while let Some(name_type) = list.u8() {
        let name = list.vec16()?;
        if name_type == 0 {
            return Some(String::from_utf8_lossy(name).into_owned());
        }
    }
    None
}

fn protocol_names(data: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let Some(list) = (Reader { bytes: data, at: 0 }).vec16() else {
        return names;
    };
    let mut list = Reader { bytes: list, at: 0 };
    while let Some(name) = list.vec8() {
        names.push(String::from_utf8_lossy(name).into_owned());
    }
    names
}

/// A ClientHello record for `server_name` offering `h2` and `http/1.1` (for tests).
#[cfg(test)]
pub(crate) fn client_hello_record(server_name: &str) -> Vec<u8> {
    let name = server_name.as_bytes();
    let mut sni = Vec::new();
    sni.extend(((name.len() + 3) as u16).to_be_bytes());
    sni.push(0);
    sni.extend((name.len() as u16).to_be_bytes());
    sni.extend(name);
    let alpn_list: &[&[u8]] = &[b"h2", b"http/1.1"];
    let mut alpn = Vec::new();
    for p in alpn_list {
        alpn.push(p.len() as u8);
        alpn.extend(*p);
    }
    let mut alpn_ext = (alpn.len() as u16).to_be_bytes().to_vec();
    alpn_ext.extend(alpn);
    let mut extensions = Vec::new();
    for (t, data) in [(0u16, sni), (16, alpn_ext), (43, vec![2, 0x03, 0x04])] {
        extensions.extend(t.to_be_bytes());
        extensions.extend((data.len() as u16).to_be_bytes());
        extensions.extend(data);
    }
    let mut body = vec![0x03, 0x03];
    body.extend([0x11; 32]); // random
    body.push(0); // session id
    body.extend([0, 2, 0x13, 0x01]); // one cipher suite
    body.extend([1, 0]); // null compression
    body.extend((extensions.len() as u16).to_be_bytes());
    body.extend(extensions);
    let mut handshake = vec![1];
    handshake.extend(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![22, 0x03, 0x01];
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_gives_sni_and_alpn() {
        let info = TlsInfo::parse(&client_hello_record("backend.contoso.com")).unwrap();
        assert_eq!(info.record_version, 0x0301);
        assert_eq!(info.records, vec!["Client Hello"]);
        assert_eq!(info.sni.as_deref(), Some("backend.contoso.com"));
        assert_eq!(info.alpn, vec!["h2", "http/1.1"]);
        assert_eq!(info.info(), "Client Hello (SNI=backend.contoso.com)");
    }

    #[test]
    fn several_records_in_one_segment_are_listed() {
        let mut seg = vec![22, 3, 3, 0, 4, 2, 0, 0, 0]; // Server Hello (cut short)
        seg.extend([20, 3, 3, 0, 1, 1]);
        seg.extend([23, 3, 3, 0, 3, 0xAA, 0xBB, 0xCC]);
        let info = TlsInfo::parse(&seg).unwrap();
        assert_eq!(
            info.info(),
            "Server Hello, Change Cipher Spec, Application Data"
        );
    }

    #[test]
    fn non_tls_payloads_are_declined() {
        assert_eq!(TlsInfo::parse(b"GET / HTTP/1.1\r\n"), None);
        assert_eq!(TlsInfo::parse(&[22, 3, 3]), None);
        assert_eq!(TlsInfo::parse(&[22, 9, 9, 0, 1, 1]), None);
        assert_eq!(TlsInfo::parse(&[22, 3, 3, 0xFF, 0xFF]), None);
    }

    #[test]
    fn every_truncation_of_a_client_hello_is_safe() {
        let full = client_hello_record("a.example");
        let mut with_sni = 0;
        for cut in 0..=full.len() {
            if let Some(info) = TlsInfo::parse(&full[..cut]) {
                // Only the record header: the handshake type is not there yet.
                let want = if cut == RECORD_HEADER_LEN {
                    "Handshake"
                } else {
                    "Client Hello"
                };
                assert_eq!(info.records, vec![want]);
                with_sni += usize::from(info.sni.is_some());
            }
        }
        // The name is readable once its extension is complete.
        assert!(with_sni > 0 && with_sni < full.len());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(mut bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            if bytes.len() > 3 {
                bytes[0] = 22;
                bytes[1] = 3;
                bytes[2] = 1;
            }
            let _ = TlsInfo::parse(&bytes).map(|i| i.info());
        }
    }
}
