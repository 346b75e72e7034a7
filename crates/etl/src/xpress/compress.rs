//! The plain-LZ77 compressor: a greedy hash-chain match finder and the stream writer.

use super::{MAX_DISTANCE, MIN_MATCH};

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
pub(super) struct StreamWriter {
    out: Vec<u8>,
    flag_slot: usize,
    flags: u32,
    flag_count: u32,
    nibble_slot: Option<usize>,
}

impl StreamWriter {
    pub(super) fn with_capacity(input_len: usize) -> Self {
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

    pub(super) fn push_literal(&mut self, byte: u8) {
        self.out.push(byte);
        self.push_flag(false);
    }

    /// `distance` is 1..=MAX_DISTANCE and `length` MIN_MATCH..=MAX_MATCH (finder's bounds).
    pub(super) fn push_match(&mut self, distance: usize, length: usize) {
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
    pub(super) fn finish(mut self) -> Vec<u8> {
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
