//! The plain-LZ77 decoder: flag words, literal runs, matches and their length escapes.

use super::{MIN_LONG_LENGTH, MIN_MATCH, XpressError};

/// Decompress `input` (the bytes after the 72-byte buffer header) into `out` (cleared first);
/// succeeds only if exactly `expected_len` bytes are produced.
///
/// `out` never holds more than `expected_len` bytes. Its storage is reused, and the output area
/// grows as output is produced (doubling, up to `expected_len`), so a stream that fails early
/// costs in proportion to its input and what it produced, not to the size it claims. On error
/// `out` holds the bytes produced before the failure.
pub fn decompress(input: &[u8], expected_len: usize, out: &mut Vec<u8>) -> Result<(), XpressError> {
    // Old contents are only scratch space: every byte below the produced length is
    // overwritten and the rest is cut off, which saves zeroing a reused buffer.
    // More than any allocation can hold: fail now rather than after decoding up to there.
    if isize::try_from(expected_len).is_err() {
        return Err(XpressError::OutputAllocation {
            expected: expected_len,
        });
    }
    let start_len = expected_len.min(first_window(input.len()));
    out.truncate(start_len);
    out.try_reserve(start_len - out.len())
        .map_err(|_| XpressError::OutputAllocation {
            expected: expected_len,
        })?;
    out.resize(start_len, 0);
    let mut produced = 0;
    let decoded = decode_items(input, out, expected_len, &mut produced);
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

/// Output area allocated before decoding: enough for the usual ratios of ETL data (so that a
/// real buffer rarely grows), small enough that a stream which fails early costs little.
fn first_window(input_len: usize) -> usize {
    input_len.saturating_mul(8).max(4 << 10)
}

/// Grows `out` so that `needed` bytes fit (doubling, capped at `expected`); the caller has
/// checked `needed <= expected`.
#[cold]
fn grow(out: &mut Vec<u8>, needed: usize, expected: usize) -> Result<(), XpressError> {
    let target = needed
        .max(out.len().saturating_mul(2))
        .saturating_add(2 * WIDE_COPY)
        .min(expected);
    out.try_reserve(target.saturating_sub(out.len()))
        .map_err(|_| XpressError::OutputAllocation { expected })?;
    out.resize(target, 0);
    Ok(())
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
/// final length. `out` grows on demand up to `expected` bytes.
fn decode_items(
    input: &[u8],
    out: &mut Vec<u8>,
    expected: usize,
    produced: &mut usize,
) -> Result<(), XpressError> {
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
                if *produced + take > out.len() {
                    grow(out, *produced + take, expected)?;
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
            if *produced + length > out.len() {
                grow(out, *produced + length, expected)?;
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
