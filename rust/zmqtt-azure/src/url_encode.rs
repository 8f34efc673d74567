//! Percent-encoding and -decoding of URL components, as Azure's SDKs do it.
//!
//! Encoding keeps RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) and writes every other byte of
//! the UTF-8 text as `%XX` with upper-case hex digits. That is what Python's
//! `urllib.parse.quote(s, safe='')` produces, and what the SAS `sr` field, property bag names and
//! values, and the DPS operation id need. Decoding is the reverse; `+` is left alone (it is not a
//! space outside HTML forms).

use core::fmt;

/// `text`, percent-encoded when displayed (see the module doc).
///
/// Writes straight into any [`fmt::Write`], so nothing is buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlEncoded<'a>(pub &'a str);

/// True for RFC 3986 §2.3 unreserved characters.
const fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

impl fmt::Display for UrlEncoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        // Copy runs of unreserved characters in one call: most identifiers are nearly all plain.
        // A run is only ASCII bytes, so its ends are char boundaries; `run_start` itself may sit
        // inside a multi-byte character (whose bytes are all escaped), so empty runs are skipped.
        let mut run_start = 0;
        for (i, &byte) in text.as_bytes().iter().enumerate() {
            if !is_unreserved(byte) {
                if run_start < i {
                    f.write_str(&text[run_start..i])?;
                }
                write!(f, "%{byte:02X}")?;
                run_start = i + 1;
            }
        }
        match text.get(run_start..) {
            Some(rest) => f.write_str(rest),
            None => Ok(()),
        }
    }
}

/// A [`fmt::Write`] that percent-encodes everything written through it into `W`.
///
/// Encoding works byte by byte, so it does not matter how the text is split into writes; this
/// lets a [`fmt::Display`] value (a resource URI made of parts) be encoded without a buffer.
#[derive(Debug)]
pub struct UrlEncodingWriter<W>(pub W);

impl<W: fmt::Write> fmt::Write for UrlEncodingWriter<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write!(self.0, "{}", UrlEncoded(s))
    }
}

/// Why percent-decoding failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlDecodeError {
    /// A `%` at this byte offset is not followed by two hex digits (the sender's fault).
    BadEscape {
        /// Byte offset of the `%` in the encoded text.
        at: usize,
    },
    /// The decoded bytes are not UTF-8 (the sender's fault).
    NotUtf8,
    /// The caller's output buffer is too small for the decoded text.
    BufferTooSmall,
}

impl fmt::Display for UrlDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlDecodeError::BadEscape { at } => write!(f, "bad percent escape at byte {at}"),
            UrlDecodeError::NotUtf8 => f.write_str("decoded text is not UTF-8"),
            UrlDecodeError::BufferTooSmall => f.write_str("buffer too small for decoded text"),
        }
    }
}

impl core::error::Error for UrlDecodeError {}

const fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Checks that every `%` in `encoded` starts a valid escape, without decoding.
pub fn check_escapes(encoded: &str) -> Result<(), UrlDecodeError> {
    decoded_bytes(encoded).try_for_each(|byte| byte.map(drop))
}

/// The bytes `encoded` decodes to, one at a time, with an error for a bad escape (after which the
/// iterator ends). Lets a caller compare a decoded value without a buffer.
pub fn decoded_bytes(encoded: &str) -> impl Iterator<Item = Result<u8, UrlDecodeError>> + '_ {
    let bytes = encoded.as_bytes();
    let mut at = 0;
    let mut failed = false;
    core::iter::from_fn(move || {
        if failed || at >= bytes.len() {
            return None;
        }
        let byte = bytes[at];
        if byte != b'%' {
            at += 1;
            return Some(Ok(byte));
        }
        let high = bytes.get(at + 1).copied().and_then(hex_value);
        let low = bytes.get(at + 2).copied().and_then(hex_value);
        match (high, low) {
            (Some(high), Some(low)) => {
                at += 3;
                Some(Ok((high << 4) | low))
            }
            _ => {
                failed = true;
                Some(Err(UrlDecodeError::BadEscape { at }))
            }
        }
    })
}

/// Percent-decodes `encoded` into `out` and returns the decoded text, which borrows `out`.
pub fn url_decode<'b>(encoded: &str, out: &'b mut [u8]) -> Result<&'b str, UrlDecodeError> {
    let mut len = 0;
    for byte in decoded_bytes(encoded) {
        let slot = out.get_mut(len).ok_or(UrlDecodeError::BufferTooSmall)?;
        *slot = byte?;
        len += 1;
    }
    core::str::from_utf8(&out[..len]).map_err(|_| UrlDecodeError::NotUtf8)
}

/// True when `encoded` decodes to exactly `plain` (a bad escape never matches).
pub fn decodes_to(encoded: &str, plain: &str) -> bool {
    let mut expected = plain.bytes();
    decoded_bytes(encoded).all(|byte| byte.ok() == expected.next()) && expected.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn decode_accepts_both_hex_cases_and_keeps_plus() {
        let mut buf = [0u8; 16];
        assert_eq!(url_decode("a%2fb%2F+c", &mut buf), Ok("a/b/+c"));
    }

    #[test]
    fn decode_reports_where_a_bad_escape_is() {
        let mut buf = [0u8; 16];
        assert_eq!(
            url_decode("ab%4", &mut buf),
            Err(UrlDecodeError::BadEscape { at: 2 })
        );
        assert_eq!(
            url_decode("%zz", &mut buf),
            Err(UrlDecodeError::BadEscape { at: 0 })
        );
        assert_eq!(
            check_escapes("x%"),
            Err(UrlDecodeError::BadEscape { at: 1 })
        );
    }

    #[test]
    fn decode_refuses_non_utf8_and_short_buffers() {
        let mut buf = [0u8; 16];
        assert_eq!(url_decode("%FF", &mut buf), Err(UrlDecodeError::NotUtf8));
        let mut tiny = [0u8; 2];
        assert_eq!(
            url_decode("abc", &mut tiny),
            Err(UrlDecodeError::BufferTooSmall)
        );
    }

    #[test]
    fn decodes_to_compares_without_a_buffer() {
        assert!(decodes_to("%24.to", "$.to"));
        assert!(!decodes_to("%24.to", "$.t"));
        assert!(!decodes_to("%24.t", "$.to"));
        assert!(!decodes_to("%2", "%2"));
    }

    #[test]
    fn encode_writes_upper_case_escapes() {
        assert_eq!(UrlEncoded("a b/ü~").to_string(), "a%20b%2F%C3%BC~");
    }
}
