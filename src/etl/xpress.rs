//! MS-XCA "plain LZ77" (XPRESS, `COMPRESSION_FORMAT_XPRESS` = 3): the codec of compressed ETL
//! buffers (etl-format.md §3).
//!
//! Stream layout: a 32-bit little-endian flag word announces the next 32 items, most significant
//! bit first; a 0 bit is one literal byte, a 1 bit a match. A match is a u16 `v` with
//! distance `(v >> 3) + 1` and a 3-bit length; the length escape 7 continues in a nibble shared
//! by two matches (low half first), then a byte, then a u16 or u32 total. Every length gets +3.
//! The stream simply ends when the input does: the encoder pads the last flag word with 1 bits,
//! so it may end mid-word or even with a flag word that no data follows.

use thiserror::Error;

/// Shortest match the format can express.
const MIN_MATCH: usize = 3;
/// Longest back-reference distance the 13-bit offset field can express.
const MAX_DISTANCE: usize = 8192;
/// Smallest total accepted from the u16/u32 length fields: the 15 + 7 the escapes already imply.
const MIN_LONG_LENGTH: u32 = 22;

/// Why a plain-LZ77 stream could not be decompressed. Offsets are byte positions in the
/// compressed input; `produced` counts output bytes written before the failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum XpressError {
    #[error("truncated input reading {what} at offset {offset}: need {need} bytes, have {have}")]
    TruncatedInput {
        what: &'static str,
        offset: usize,
        need: usize,
        have: usize,
    },
    #[error(
        "match at input offset {offset} reaches {distance} bytes back, \
         but only {produced} bytes were produced"
    )]
    BackReferenceBeforeStart {
        offset: usize,
        distance: usize,
        produced: usize,
    },
    #[error("match length field {value} at input offset {offset} is below the minimum of 22")]
    LengthTooShort { offset: usize, value: u32 },
    #[error(
        "item at input offset {offset} adds {length} bytes to {produced} produced, \
         past the expected {expected}"
    )]
    OutputOverrun {
        offset: usize,
        produced: usize,
        length: usize,
        expected: usize,
    },
    #[error("stream ended after {produced} output bytes, expected {expected}")]
    ShortOutput { produced: usize, expected: usize },
    #[error("cannot reserve {expected} bytes for the decompressed output")]
    OutputAllocation { expected: usize },
}

/// Decompress `input` (the bytes after the 72-byte buffer header) into `out` (cleared first);
/// succeeds only if exactly `expected_len` bytes are produced.
///
/// `out` never holds more than `expected_len` bytes. Its storage is reused, and the output area
/// is allocated and zeroed up front, so the caller must bound `expected_len` (for ETL buffers:
/// by a sane maximum buffer size). On error `out` holds the bytes produced before the failure.
pub fn decompress(input: &[u8], expected_len: usize, out: &mut Vec<u8>) -> Result<(), XpressError> {
    // Old contents are only scratch space: every byte below the produced length is
    // overwritten and the rest is cut off, which saves zeroing a reused buffer.
    out.truncate(expected_len);
    out.try_reserve_exact(expected_len - out.len())
        .map_err(|_| XpressError::OutputAllocation {
            expected: expected_len,
        })?;
    out.resize(expected_len, 0);
    let mut produced = 0;
    let decoded = decode_items(input, out, &mut produced);
    out.truncate(produced);
    decoded?;
    if produced == expected_len {
        Ok(())
    } else {
        Err(XpressError::ShortOutput {
            produced,
            expected: expected_len,
        })
    }
}

/// Reads `N` bytes at `offset`; a short read is an error naming `what`.
fn read_bytes<const N: usize>(
    input: &[u8],
    offset: usize,
    what: &'static str,
) -> Result<[u8; N], XpressError> {
    input
        .get(offset..)
        .and_then(<[u8]>::first_chunk::<N>)
        .copied()
        .ok_or(XpressError::TruncatedInput {
            what,
            offset,
            need: N,
            have: input.len().saturating_sub(offset),
        })
}

/// Bytes copied at once by the fast paths: fixed-size copies compile to a few vector moves.
/// Writing past the current item is harmless because later items overwrite those bytes (or
/// `decompress` truncates them away).
const WIDE_COPY: usize = 16;

/// Decodes items into `out` until the input ends, advancing `produced`; the caller checks the
/// final length. `out.len()` is the expected output length.
fn decode_items(input: &[u8], out: &mut [u8], produced: &mut usize) -> Result<(), XpressError> {
    let expected = out.len();
    let mut cursor = 0;
    // High half of a nibble byte whose low half an earlier match already consumed.
    let mut pending_high_nibble: Option<u8> = None;
    while cursor < input.len() {
        let mut flags = u32::from_le_bytes(read_bytes::<4>(input, cursor, "flag word")?);
        cursor += 4;
        let mut flags_left = 32u32;
        while flags_left > 0 {
            // Leading 0 bits are a run of literals: copy them as one slice.
            let literal_run = flags.leading_zeros().min(flags_left);
            if literal_run > 0 {
                let rest = input.get(cursor..).unwrap_or_default();
                let take = rest.len().min(literal_run as usize);
                let room = expected - *produced;
                if take > room {
                    return Err(XpressError::OutputOverrun {
                        offset: cursor + room,
                        produced: expected,
                        length: 1,
                        expected,
                    });
                }
                copy_literals(rest, take, out, *produced);
                *produced += take;
                cursor += take;
                if take < literal_run as usize {
                    return Ok(()); // input ended inside the literal run
                }
                flags_left -= literal_run;
                if flags_left == 0 {
                    break;
                }
                flags = flags.checked_shl(literal_run).unwrap_or(0);
            }
            // The top bit is now 1: a match, or the encoder's end padding if no input is left.
            flags <<= 1;
            flags_left -= 1;
            if cursor == input.len() {
                return Ok(());
            }
            let token_offset = cursor;
            let token = u16::from_le_bytes(read_bytes::<2>(input, cursor, "match token")?);
            cursor += 2;
            let distance = usize::from(token >> 3) + 1;
            let mut length = usize::from(token & 7);
            if length == 7 {
                length = read_long_length(input, &mut cursor, &mut pending_high_nibble)?;
            }
            let length = length.saturating_add(MIN_MATCH);
            if distance > *produced {
                return Err(XpressError::BackReferenceBeforeStart {
                    offset: token_offset,
                    distance,
                    produced: *produced,
                });
            }
            if length > expected - *produced {
                return Err(XpressError::OutputOverrun {
                    offset: token_offset,
                    produced: *produced,
                    length,
                    expected,
                });
            }
            copy_match(out, *produced, distance, length);
            *produced += length;
        }
    }
    Ok(())
}

/// Copies the first `count` bytes of `source` to `out[position..]`; the caller has checked
/// that both ranges exist.
fn copy_literals(source: &[u8], count: usize, out: &mut [u8], position: usize) {
    // A run is at most 32 literals (one flag word): two fixed-size copies when both sides
    // have room, instead of a variable-length memcpy call.
    let wide = (
        source.get(..2 * WIDE_COPY),
        out.get_mut(position..position + 2 * WIDE_COPY),
    );
    if let (true, Some(from), Some(to)) = (count <= 2 * WIDE_COPY, wide.0, wide.1) {
        let (from_low, from_high) = from.split_at(WIDE_COPY);
        let (to_low, to_high) = to.split_at_mut(WIDE_COPY);
        to_low.copy_from_slice(from_low);
        if count > WIDE_COPY {
            to_high.copy_from_slice(from_high);
        }
    } else if let (Some(from), Some(to)) =
        (source.get(..count), out.get_mut(position..position + count))
    {
        to.copy_from_slice(from);
    }
}

/// Writes `length` bytes copied from `distance` back at `out[position..]`. The caller has
/// checked `1 <= distance <= position` and `position + length <= out.len()`, so every range
/// below lies inside `out`.
fn copy_match(out: &mut [u8], position: usize, distance: usize, length: usize) {
    let source = position - distance;
    let has_slack = position + length + WIDE_COPY <= out.len();
    if distance >= WIDE_COPY && has_slack && length <= 4 * WIDE_COPY {
        // Far enough back that each 16-byte step reads only final bytes: a few fixed-size
        // copies cover the short and medium matches that dominate ETL data.
        for step in (0..length).step_by(WIDE_COPY) {
            out.copy_within(source + step..source + step + WIDE_COPY, position + step);
        }
    } else if distance >= length {
        if length <= WIDE_COPY && has_slack {
            out.copy_within(source..source + WIDE_COPY, position);
        } else {
            out.copy_within(source..source + length, position);
        }
    } else if distance == 1 {
        let byte = out.get(source).copied().unwrap_or_default();
        if let Some(run) = out.get_mut(position..position + length) {
            run.fill(byte);
        }
    } else if distance >= 8 && has_slack {
        // Each 8-byte step reads only bytes that are already final.
        for step in (0..length).step_by(8) {
            out.copy_within(source + step..source + step + 8, position + step);
        }
    } else if has_slack {
        // Short period: repeat it across 8 bytes and store that in steps that are a multiple
        // of the period, so every store continues the pattern in phase.
        let mut pattern = [0u8; 8];
        for (index, byte) in pattern.iter_mut().enumerate() {
            *byte = out
                .get(source + index % distance)
                .copied()
                .unwrap_or_default();
        }
        let step = 8 - 8 % distance;
        for offset in (0..length).step_by(step) {
            if let Some(target) = out.get_mut(position + offset..position + offset + 8) {
                target.copy_from_slice(&pattern);
            }
        }
    } else {
        // Overlapping copy: the bytes from `source` repeat with period `distance`, and each
        // round doubles the repeated stretch, so copy it whole instead of byte by byte.
        let mut copied = 0;
        while copied < length {
            let chunk = (distance + copied).min(length - copied);
            out.copy_within(source..source + chunk, position + copied);
            copied += chunk;
        }
    }
}

/// Reads the continuation of a length whose 3-bit field was 7; returns length - 3.
fn read_long_length(
    input: &[u8],
    cursor: &mut usize,
    pending_high_nibble: &mut Option<u8>,
) -> Result<usize, XpressError> {
    let nibble = match pending_high_nibble.take() {
        Some(high) => high,
        None => {
            let [byte] = read_bytes::<1>(input, *cursor, "length nibble byte")?;
            *cursor += 1;
            *pending_high_nibble = Some(byte >> 4);
            byte & 0x0F
        }
    };
    if nibble < 15 {
        return Ok(7 + usize::from(nibble));
    }
    let [byte] = read_bytes::<1>(input, *cursor, "length byte")?;
    *cursor += 1;
    if byte < 255 {
        return Ok(usize::from(byte) + 15 + 7);
    }
    let field_offset = *cursor;
    let short_total = u16::from_le_bytes(read_bytes::<2>(input, *cursor, "16-bit length")?);
    *cursor += 2;
    let total = if short_total != 0 {
        u32::from(short_total)
    } else {
        let long_total = u32::from_le_bytes(read_bytes::<4>(input, *cursor, "32-bit length")?);
        *cursor += 4;
        long_total
    };
    if total < MIN_LONG_LENGTH {
        return Err(XpressError::LengthTooShort {
            offset: field_offset,
            value: total,
        });
    }
    Ok(usize::try_from(total).unwrap_or(usize::MAX))
}

/// Longest match the compressor emits; longer repeats become several matches.
const MAX_MATCH: usize = 1 << 24;
const HASH_BITS: u32 = 15;
/// Candidates examined per position: trades compression speed for ratio.
const MAX_CHAIN: usize = 16;
const NO_POSITION: usize = usize::MAX;

/// A valid plain-LZ77 stream for `input` (greedy match finder with hash chains over the
/// 8 KiB window). The output ends with padding bits set to 1, as Windows' encoder does, so
/// Windows' own decoder accepts it too.
pub fn compress(input: &[u8]) -> Vec<u8> {
    let mut writer = StreamWriter::with_capacity(input.len());
    let mut finder = MatchFinder::new();
    let mut position = 0;
    while let Some(&byte) = input.get(position) {
        if let Some((distance, length)) = finder.longest_match(input, position) {
            writer.push_match(distance, length);
            for covered in position..position + length {
                finder.insert(input, covered);
            }
            position += length;
        } else {
            writer.push_literal(byte);
            finder.insert(input, position);
            position += 1;
        }
    }
    writer.finish()
}

/// Hash chains over the last `MAX_DISTANCE` positions, keyed by their first 3 bytes.
struct MatchFinder {
    head: Vec<usize>,
    previous: Vec<usize>,
}

impl MatchFinder {
    fn new() -> Self {
        Self {
            head: vec![NO_POSITION; 1 << HASH_BITS],
            previous: vec![NO_POSITION; MAX_DISTANCE],
        }
    }

    fn hash(key: &[u8; 3]) -> usize {
        let value = u32::from_le_bytes([key[0], key[1], key[2], 0]);
        (value.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
    }

    fn insert(&mut self, input: &[u8], position: usize) {
        let Some(key) = input.get(position..).and_then(<[u8]>::first_chunk::<3>) else {
            return;
        };
        let bucket = Self::hash(key);
        self.previous[position % MAX_DISTANCE] = self.head[bucket];
        self.head[bucket] = position;
    }

    /// Best `(distance, length)` for `position` among earlier positions; call before
    /// inserting `position`, so no chain link inside the window has been overwritten yet.
    fn longest_match(&self, input: &[u8], position: usize) -> Option<(usize, usize)> {
        let ahead = input.get(position..)?;
        let key = ahead.first_chunk::<3>()?;
        let ahead = ahead.get(..ahead.len().min(MAX_MATCH))?;
        let mut best: Option<(usize, usize)> = None;
        let mut candidate = self.head[Self::hash(key)];
        for _ in 0..MAX_CHAIN {
            if candidate >= position || position - candidate > MAX_DISTANCE {
                break;
            }
            let length = common_prefix(input.get(candidate..).unwrap_or_default(), ahead);
            if length >= MIN_MATCH && best.is_none_or(|(_, best_length)| length > best_length) {
                best = Some((position - candidate, length));
                if length == ahead.len() {
                    break;
                }
            }
            candidate = self.previous[candidate % MAX_DISTANCE];
        }
        best
    }
}

/// Length of the common prefix of `a` and `b`, compared 8 bytes at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut same = 0;
    for (left, right) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let left = left
            .first_chunk::<8>()
            .map_or(0, |c| u64::from_le_bytes(*c));
        let right = right
            .first_chunk::<8>()
            .map_or(0, |c| u64::from_le_bytes(*c));
        let difference = left ^ right;
        if difference != 0 {
            return same + (difference.trailing_zeros() / 8) as usize;
        }
        same += 8;
    }
    let tail_a = a.get(same..).unwrap_or_default();
    let tail_b = b.get(same..).unwrap_or_default();
    same + tail_a
        .iter()
        .zip(tail_b)
        .take_while(|(x, y)| x == y)
        .count()
}

/// Builds the output stream: flag words are reserved before the items they describe and
/// filled in once 32 items are known.
struct StreamWriter {
    out: Vec<u8>,
    flag_slot: usize,
    flags: u32,
    flag_count: u32,
    nibble_slot: Option<usize>,
}

impl StreamWriter {
    fn with_capacity(input_len: usize) -> Self {
        // Worst case is all literals: one byte each plus a flag word per 32.
        let mut out = Vec::with_capacity(input_len + input_len / 8 + 8);
        out.extend_from_slice(&[0; 4]);
        Self {
            out,
            flag_slot: 0,
            flags: 0,
            flag_count: 0,
            nibble_slot: None,
        }
    }

    fn push_literal(&mut self, byte: u8) {
        self.out.push(byte);
        self.push_flag(false);
    }

    /// `distance` is 1..=MAX_DISTANCE and `length` MIN_MATCH..=MAX_MATCH (finder's bounds).
    fn push_match(&mut self, distance: usize, length: usize) {
        // (distance - 1) < 8192 fits the 13 high bits of the token.
        let offset_bits = ((distance - 1) as u16) << 3;
        let extra = length - MIN_MATCH;
        if extra < 7 {
            self.push_u16(offset_bits | extra as u16);
        } else {
            self.push_u16(offset_bits | 7);
            let extra = extra - 7;
            if extra < 15 {
                self.push_nibble(extra as u8);
            } else {
                self.push_nibble(15);
                let extra = extra - 15;
                if extra < 255 {
                    self.out.push(extra as u8);
                } else {
                    self.out.push(255);
                    // MAX_MATCH keeps the total within u32.
                    let total = (extra + 15 + 7) as u32;
                    match u16::try_from(total) {
                        Ok(short_total) => self.push_u16(short_total),
                        Err(_) => {
                            self.push_u16(0);
                            self.out.extend_from_slice(&total.to_le_bytes());
                        }
                    }
                }
            }
        }
        self.push_flag(true);
    }

    fn push_u16(&mut self, value: u16) {
        self.out.extend_from_slice(&value.to_le_bytes());
    }

    /// Length nibbles pair up in one byte: the first goes to the low half of a new byte, the
    /// next to its high half.
    fn push_nibble(&mut self, nibble: u8) {
        match self.nibble_slot.take() {
            Some(slot) => {
                if let Some(byte) = self.out.get_mut(slot) {
                    *byte |= nibble << 4;
                }
            }
            None => {
                self.nibble_slot = Some(self.out.len());
                self.out.push(nibble);
            }
        }
    }

    /// Records one item's flag after its bytes; a full word is stored and the next reserved.
    fn push_flag(&mut self, is_match: bool) {
        self.flags = (self.flags << 1) | u32::from(is_match);
        self.flag_count += 1;
        if self.flag_count == 32 {
            self.store_flags(self.flags);
            self.flag_slot = self.out.len();
            self.out.extend_from_slice(&[0; 4]);
            self.flags = 0;
            self.flag_count = 0;
        }
    }

    fn store_flags(&mut self, flags: u32) {
        if let Some(slot) = self.out.get_mut(self.flag_slot..self.flag_slot + 4) {
            slot.copy_from_slice(&flags.to_le_bytes());
        }
    }

    /// Pads the last flag word with 1 bits (read as "end" once the input is exhausted).
    fn finish(mut self) -> Vec<u8> {
        let unused = 32 - self.flag_count; // 1..=32
        let padded = if unused == 32 {
            u32::MAX
        } else {
            (self.flags << unused) | ((1u32 << unused) - 1)
        };
        self.store_flags(padded);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Flags for "literal, then matches": the remaining bits are the encoder's 1 padding.
    const LITERAL_THEN_MATCHES: u32 = 0x7FFF_FFFF;

    fn stream(flags: u32, body: &[u8]) -> Vec<u8> {
        let mut bytes = flags.to_le_bytes().to_vec();
        bytes.extend_from_slice(body);
        bytes
    }

    /// Decodes into a Vec holding stale bytes, which must not leak into the result.
    fn decode(input: &[u8], expected: usize) -> Result<Vec<u8>, XpressError> {
        let mut out = vec![0xAA; 3];
        decompress(input, expected, &mut out).map(|()| out)
    }

    fn periodic(pattern: &[u8], len: usize) -> Vec<u8> {
        pattern.iter().copied().cycle().take(len).collect()
    }

    #[test]
    fn literals_only() {
        assert_eq!(decode(&stream(0x1FFF_FFFF, b"abc"), 3).unwrap(), b"abc");
        // Zero padding bits also end the stream once the input is exhausted.
        assert_eq!(decode(&stream(0, b"abc"), 3).unwrap(), b"abc");
    }

    #[test]
    fn short_lengths_3_to_9() {
        for field in 0u8..7 {
            let input = stream(LITERAL_THEN_MATCHES, &[b'a', field, 0x00]);
            let length = usize::from(field) + 3;
            assert_eq!(decode(&input, 1 + length).unwrap(), vec![b'a'; 1 + length]);
        }
    }

    #[test]
    fn distance_field_reaches_8192_back() {
        // 'q', 8191 x 'z' (literal + run of 8190), then 3 bytes from 8192 back: "qzz".
        let body = [b'q', b'z', 0x07, 0x00, 0x0F, 0xFF, 0xFB, 0x1F, 0xF8, 0xFF];
        let mut expected = vec![b'q'];
        expected.extend(std::iter::repeat_n(b'z', 8191));
        expected.extend_from_slice(b"qzz");
        assert_eq!(decode(&stream(0x3FFF_FFFF, &body), 8195).unwrap(), expected);
    }

    #[test]
    fn nibble_byte_serves_low_half_then_high_half() {
        // "ab", match d2 (nibble 2 -> 12 bytes), "c", match d1 (high nibble 5 -> 15 bytes).
        let body = [b'a', b'b', 0x0F, 0x00, 0x52, b'c', 0x07, 0x00];
        let mut expected = periodic(b"ab", 14);
        expected.extend(std::iter::repeat_n(b'c', 16));
        assert_eq!(decode(&stream(0x2FFF_FFFF, &body), 30).unwrap(), expected);
    }

    #[test]
    fn pending_high_nibble_survives_a_short_match() {
        // Lengths 11 (low nibble 1), 5 (short), 13 (high nibble 3), each from 'a'/'b' runs.
        let body = [b'a', 0x07, 0x00, 0x31, b'b', 0x02, 0x00, b'c', 0x07, 0x00];
        let mut expected = vec![b'a'; 12];
        expected.extend(std::iter::repeat_n(b'b', 6));
        expected.extend(std::iter::repeat_n(b'c', 14));
        // Flags: L M L M L M.
        assert_eq!(decode(&stream(0x57FF_FFFF, &body), 32).unwrap(), expected);
    }

    #[test]
    fn byte_length_path() {
        for (byte, length) in [(0u8, 25), (100, 125), (254, 279)] {
            let input = stream(LITERAL_THEN_MATCHES, &[b'x', 0x07, 0x00, 0x0F, byte]);
            assert_eq!(decode(&input, 1 + length).unwrap(), vec![b'x'; 1 + length]);
        }
    }

    #[test]
    fn u16_length_path() {
        for total in [22u16, 1000, u16::MAX] {
            let [low, high] = total.to_le_bytes();
            let input = stream(
                LITERAL_THEN_MATCHES,
                &[b'x', 0x07, 0, 0x0F, 0xFF, low, high],
            );
            let length = usize::from(total) + 3;
            assert_eq!(decode(&input, 1 + length).unwrap(), vec![b'x'; 1 + length]);
        }
    }

    #[test]
    fn u32_length_path() {
        let mut body = vec![b'x', 0x07, 0x00, 0x0F, 0xFF, 0x00, 0x00];
        body.extend_from_slice(&70_000u32.to_le_bytes());
        let input = stream(LITERAL_THEN_MATCHES, &body);
        assert_eq!(decode(&input, 70_004).unwrap(), vec![b'x'; 70_004]);
    }

    #[test]
    fn matches_copy_every_distance_and_length_class() {
        // Trailing literals decide whether the wide-copy fast paths have room to run.
        for distance in 1..=20 {
            for length in [3, 4, 7, 8, 9, 15, 16, 17, 20, 40, 300] {
                for trailing in [0, 5, 16, 40] {
                    let pattern: Vec<u8> = (0..distance as u8).map(|i| b'A' + i).collect();
                    let mut expected = periodic(&pattern, distance + length);
                    expected.extend((0..trailing as u8).map(|i| b'a' + i % 26));
                    let mut writer = StreamWriter::with_capacity(expected.len());
                    pattern.iter().for_each(|&byte| writer.push_literal(byte));
                    writer.push_match(distance, length);
                    expected[distance + length..]
                        .iter()
                        .for_each(|&byte| writer.push_literal(byte));
                    let input = writer.finish();
                    assert_eq!(decode(&input, expected.len()).unwrap(), expected);
                }
            }
        }
    }

    #[test]
    fn stream_may_end_with_a_data_less_flag_word() {
        let literals: Vec<u8> = (0..32).collect();
        let mut input = stream(0, &literals);
        assert_eq!(decode(&input, 32).unwrap(), literals);
        input.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&input, 32).unwrap(), literals);
        assert_eq!(decode(&[], 0).unwrap(), b"");
        assert_eq!(decode(&u32::MAX.to_le_bytes(), 0).unwrap(), b"");
    }

    #[test]
    fn truncated_fields_name_what_was_read() {
        let cases: [(&[u8], &str, usize, usize, usize); 6] = [
            (&[0xFF, 0xFF], "flag word", 0, 4, 2),
            (&[b'a', 0x07], "match token", 5, 2, 1),
            (&[b'a', 0x07, 0x00], "length nibble byte", 7, 1, 0),
            (&[b'a', 0x07, 0x00, 0x0F], "length byte", 8, 1, 0),
            (
                &[b'a', 0x07, 0x00, 0x0F, 0xFF, 0x01],
                "16-bit length",
                9,
                2,
                1,
            ),
            (
                &[b'a', 7, 0, 0x0F, 0xFF, 0, 0, 1, 2],
                "32-bit length",
                11,
                4,
                2,
            ),
        ];
        for (body, what, offset, need, have) in cases {
            let input = if what == "flag word" {
                body.to_vec()
            } else {
                stream(LITERAL_THEN_MATCHES, body)
            };
            let expected = XpressError::TruncatedInput {
                what,
                offset,
                need,
                have,
            };
            assert_eq!(decode(&input, 100), Err(expected));
        }
    }

    #[test]
    fn back_reference_before_start_is_rejected() {
        let at_start = stream(u32::MAX, &[0x00, 0x00]);
        assert_eq!(
            decode(&at_start, 3),
            Err(XpressError::BackReferenceBeforeStart {
                offset: 4,
                distance: 1,
                produced: 0
            })
        );
        let too_far = stream(LITERAL_THEN_MATCHES, &[b'a', 0x08, 0x00]);
        assert_eq!(
            decode(&too_far, 4),
            Err(XpressError::BackReferenceBeforeStart {
                offset: 5,
                distance: 2,
                produced: 1
            })
        );
    }

    #[test]
    fn long_length_fields_below_22_are_rejected() {
        let short16 = stream(LITERAL_THEN_MATCHES, &[b'a', 7, 0, 0x0F, 0xFF, 21, 0]);
        assert_eq!(
            decode(&short16, 100),
            Err(XpressError::LengthTooShort {
                offset: 9,
                value: 21
            })
        );
        let short32 = stream(
            LITERAL_THEN_MATCHES,
            &[b'a', 7, 0, 0x0F, 0xFF, 0, 0, 5, 0, 0, 0],
        );
        assert_eq!(
            decode(&short32, 100),
            Err(XpressError::LengthTooShort {
                offset: 9,
                value: 5
            })
        );
    }

    #[test]
    fn output_beyond_expected_length_is_rejected() {
        let literal_overrun = XpressError::OutputOverrun {
            offset: 6,
            produced: 2,
            length: 1,
            expected: 2,
        };
        assert_eq!(decode(&stream(0, b"abc"), 2), Err(literal_overrun));
        let match_overrun = XpressError::OutputOverrun {
            offset: 5,
            produced: 1,
            length: 5,
            expected: 4,
        };
        let input = stream(LITERAL_THEN_MATCHES, &[b'a', 0x02, 0x00]);
        assert_eq!(decode(&input, 4), Err(match_overrun));
        // A 4 GiB match is refused without allocating it.
        let mut body = vec![b'x', 0x07, 0x00, 0x0F, 0xFF, 0x00, 0x00];
        body.extend_from_slice(&u32::MAX.to_le_bytes());
        let result = decode(&stream(LITERAL_THEN_MATCHES, &body), 10);
        assert!(matches!(
            result,
            Err(XpressError::OutputOverrun { offset: 5, .. })
        ));
    }

    #[test]
    fn short_output_and_failed_allocation_are_reported() {
        let short = XpressError::ShortOutput {
            produced: 3,
            expected: 5,
        };
        let mut out = Vec::new();
        assert_eq!(decompress(&stream(0, b"abc"), 5, &mut out), Err(short));
        assert_eq!(out, b"abc", "output keeps what was produced");
        assert_eq!(
            decode(&[], usize::MAX),
            Err(XpressError::OutputAllocation {
                expected: usize::MAX
            })
        );
    }

    #[test]
    fn compressor_covers_every_length_encoding() {
        assert_eq!(compress(b""), u32::MAX.to_le_bytes());
        // 32 literals fill one flag word exactly, so a data-less padding word follows.
        let distinct: Vec<u8> = (0..32).collect();
        let packed = compress(&distinct);
        assert_eq!(packed.len(), 4 + 32 + 4);
        assert_eq!(packed.get(36..), Some(&u32::MAX.to_le_bytes()[..]));
        for run in [5, 12, 30, 300, 70_000, 200_000] {
            let data: Vec<u8> = periodic(b"ETW", 3)
                .into_iter()
                .chain(vec![7; run])
                .collect();
            let packed = compress(&data);
            assert!(
                packed.len() < 32,
                "run {run} packs to {} bytes",
                packed.len()
            );
            let mut out = Vec::new();
            decompress(&packed, data.len(), &mut out).unwrap();
            assert_eq!(out, data);
        }
    }

    fn repetitive_data() -> impl Strategy<Value = Vec<u8>> {
        let piece = (prop::collection::vec(any::<u8>(), 1..12), 1usize..40);
        prop::collection::vec(piece, 0..60).prop_map(|pieces| {
            pieces
                .into_iter()
                .flat_map(|(pattern, repeats)| periodic(&pattern, pattern.len() * repeats))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn round_trip_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..5000)) {
            let mut out = vec![1, 2, 3];
            prop_assert_eq!(decompress(&compress(&data), data.len(), &mut out), Ok(()));
            prop_assert_eq!(out, data);
        }

        #[test]
        fn round_trip_repetitive_data_and_shrinks_it(data in repetitive_data()) {
            let packed = compress(&data);
            let mut out = Vec::new();
            prop_assert_eq!(decompress(&packed, data.len(), &mut out), Ok(()));
            prop_assert_eq!(&out, &data);
            if data.len() >= 1000 {
                prop_assert!(packed.len() < data.len() / 2);
            }
        }

        #[test]
        fn arbitrary_input_never_panics(
            input in prop::collection::vec(any::<u8>(), 0..2000),
            expected in 0usize..100_000,
        ) {
            let mut out = Vec::new();
            match decompress(&input, expected, &mut out) {
                Ok(()) => prop_assert_eq!(out.len(), expected),
                Err(_) => prop_assert!(out.len() <= expected),
            }
        }

        #[test]
        fn corrupted_valid_stream_never_panics(
            data in repetitive_data(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            expected_delta in -50isize..50,
        ) {
            let mut packed = compress(&data);
            for (index, byte) in edits {
                let at = index.index(packed.len());
                packed[at] = byte;
            }
            let expected = data.len().saturating_add_signed(expected_delta);
            let mut out = Vec::new();
            match decompress(&packed, expected, &mut out) {
                Ok(()) => prop_assert_eq!(out.len(), expected),
                Err(_) => prop_assert!(out.len() <= expected),
            }
        }
    }
}
