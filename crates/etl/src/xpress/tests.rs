//! Tests of the decoder's every item and error path, and compress/decompress round trips.

use super::compress::StreamWriter;
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
