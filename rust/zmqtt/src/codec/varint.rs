//! The Variable Byte Integer: MQTT 3.1.1 §2.2.3 (remaining length), MQTT 5.0 §1.5.5.
//!
//! Seven bits per byte, least significant group first, the top bit saying "more follows". At most
//! four bytes, so at most 268,435,455. The spec requires the minimal encoding ("the encoded value
//! MUST use the minimum number of bytes", MQTT 5.0 §1.5.5), which is the same as saying that a
//! multi-byte encoding may not end in a zero byte.

/// The largest value a Variable Byte Integer can hold (four bytes of seven bits).
pub const MAX: u32 = 268_435_455;

/// Why a Variable Byte Integer could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Error {
    /// The input ends before the last byte (top bit clear) was seen.
    Incomplete,
    /// A fifth byte would be needed, or the encoding is not minimal.
    Malformed,
}

/// Reads a Variable Byte Integer from the front of `buf`; returns the value and how many bytes it
/// took. Looks at four bytes at most, so the work is bounded whatever the input.
pub(crate) fn parse(buf: &[u8]) -> Result<(u32, usize), Error> {
    let mut value: u32 = 0;
    for i in 0..4 {
        let byte = *buf.get(i).ok_or(Error::Incomplete)?;
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            // 0x80 0x00 would be a two-byte zero: a trailing zero group is never minimal.
            if i > 0 && byte == 0 {
                return Err(Error::Malformed);
            }
            return Ok((value, i + 1));
        }
    }
    Err(Error::Malformed)
}

/// How many bytes `value` takes on the wire (values above [`MAX`] count as four; callers check
/// the range before emitting).
pub(crate) const fn len(value: usize) -> usize {
    if value < 128 {
        1
    } else if value < 16_384 {
        2
    } else if value < 2_097_152 {
        3
    } else {
        4
    }
}

/// Encodes `value` (at most [`MAX`]) into a fixed array; returns the array and the used length.
pub(crate) fn encode(mut value: u32) -> ([u8; 4], usize) {
    let mut out = [0u8; 4];
    let mut n = 0;
    for slot in out.iter_mut() {
        let mut byte = (value & 0x7f) as u8;
        value >>= 7;
        if value > 0 {
            byte |= 0x80;
        }
        *slot = byte;
        n += 1;
        if value == 0 {
            break;
        }
    }
    (out, n)
}

#[cfg(test)]
mod tests {
    // Reduced feature sets (scripts/test) compile only some of the tests below.
    #![cfg_attr(
        not(all(feature = "v5", feature = "qos2", feature = "broker")),
        allow(unused_imports, dead_code)
    )]
    use super::*;

    /// MQTT 5.0 §1.5.5, table 1-1: the boundaries of each encoded length.
    const TABLE: [(u32, &[u8]); 8] = [
        (0, &[0x00]),
        (127, &[0x7f]),
        (128, &[0x80, 0x01]),
        (16_383, &[0xff, 0x7f]),
        (16_384, &[0x80, 0x80, 0x01]),
        (2_097_151, &[0xff, 0xff, 0x7f]),
        (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
        (268_435_455, &[0xff, 0xff, 0xff, 0x7f]),
    ];

    #[test]
    fn spec_table_values_parse_and_encode_byte_exact() {
        for (value, bytes) in TABLE {
            assert_eq!(parse(bytes), Ok((value, bytes.len())), "parse {value}");
            let (enc, n) = encode(value);
            assert_eq!(&enc[..n], bytes, "encode {value}");
            assert_eq!(len(value as usize), bytes.len());
        }
    }

    #[test]
    fn five_byte_encoding_is_rejected() {
        assert_eq!(
            parse(&[0xff, 0xff, 0xff, 0xff, 0x7f]),
            Err(Error::Malformed)
        );
        assert_eq!(parse(&[0x80, 0x80, 0x80, 0x80]), Err(Error::Malformed));
    }

    #[test]
    fn non_minimal_encodings_are_rejected() {
        assert_eq!(parse(&[0x80, 0x00]), Err(Error::Malformed));
        assert_eq!(parse(&[0x81, 0x80, 0x00]), Err(Error::Malformed));
        assert_eq!(parse(&[0xff, 0xff, 0x80, 0x00]), Err(Error::Malformed));
    }

    #[test]
    fn truncated_encoding_is_incomplete() {
        assert_eq!(parse(&[]), Err(Error::Incomplete));
        assert_eq!(parse(&[0x80]), Err(Error::Incomplete));
        assert_eq!(parse(&[0xff, 0xff, 0xff]), Err(Error::Incomplete));
    }
}
