//! Little-endian payload encoding for manifest and kernel events (64-bit logger: pointers
//! are 8 bytes).

use std::net::SocketAddrV4;

/// Appends fields in template order.
#[derive(Debug, Default, Clone)]
pub struct Payload(Vec<u8>);

impl Payload {
    pub fn new() -> Payload {
        Payload(Vec::with_capacity(64))
    }

    pub fn u8(mut self, value: u8) -> Self {
        self.0.push(value);
        self
    }

    pub fn u16(mut self, value: u16) -> Self {
        self.0.extend(value.to_le_bytes());
        self
    }

    pub fn u32(mut self, value: u32) -> Self {
        self.0.extend(value.to_le_bytes());
        self
    }

    pub fn i32(mut self, value: i32) -> Self {
        self.0.extend(value.to_le_bytes());
        self
    }

    pub fn u64(mut self, value: u64) -> Self {
        self.0.extend(value.to_le_bytes());
        self
    }

    /// A `win:Pointer` of a 64-bit logger.
    pub fn ptr(self, value: u64) -> Self {
        self.u64(value)
    }

    /// NUL-terminated 8-bit string.
    pub fn ansi(mut self, text: &str) -> Self {
        self.0.extend(text.bytes());
        self.0.push(0);
        self
    }

    /// NUL-terminated UTF-16LE string.
    pub fn utf16(mut self, text: &str) -> Self {
        for unit in text.encode_utf16().chain([0]) {
            self.0.extend(unit.to_le_bytes());
        }
        self
    }

    /// UTF-16LE characters without a terminator (a string whose length is another field).
    pub fn utf16_counted(mut self, text: &str) -> Self {
        for unit in text.encode_utf16() {
            self.0.extend(unit.to_le_bytes());
        }
        self
    }

    pub fn bytes(mut self, data: &[u8]) -> Self {
        self.0.extend(data);
        self
    }

    /// A `u32` byte count followed by a 16-byte `sockaddr_in` (the TCPIP / HTTP.sys form).
    pub fn sockaddr_with_length(self, address: SocketAddrV4) -> Self {
        let raw = sockaddr_in(address);
        self.u32(raw.len() as u32).bytes(&raw)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// `sockaddr_in`: family 2, port and address in network order, 8 zero bytes.
pub fn sockaddr_in(address: SocketAddrV4) -> [u8; 16] {
    let mut raw = [0u8; 16];
    raw[0] = 2;
    raw[2..4].copy_from_slice(&address.port().to_be_bytes());
    raw[4..8].copy_from_slice(&address.ip().octets());
    raw
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn fields_are_little_endian_and_strings_terminated() {
        let bytes = Payload::new()
            .u16(0x0102)
            .u32(0x0304_0506)
            .ansi("GET")
            .utf16("é")
            .into_bytes();
        assert_eq!(
            bytes,
            [2, 1, 6, 5, 4, 3, b'G', b'E', b'T', 0, 0xE9, 0, 0, 0]
        );
    }

    #[test]
    fn sockaddr_is_network_order() {
        let address = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 21), 80);
        let bytes = Payload::new().sockaddr_with_length(address).into_bytes();
        assert_eq!(&bytes[..4], &16u32.to_le_bytes());
        assert_eq!(&bytes[4..12], &[2, 0, 0, 80, 10, 0, 0, 21]);
        assert_eq!(&bytes[12..], &[0u8; 8]);
    }
}
