//! Reading and writing the data types of MQTT 5.0 §1.5 (MQTT 3.1.1 §1.5): integers, Variable
//! Byte Integers, UTF-8 strings and binary data.
//!
//! `Reader` walks a packet body front to back and hands out sub-slices of it, so decoded values
//! borrow the input. Every read is bounds-checked and fails with [`DecodeError::Truncated`]
//! instead of panicking. `Writer` fills the caller's buffer and also checks every write, which is
//! why `emit` cannot panic even if a length computation were wrong.

use super::error::{DecodeError, EncodeError};
use super::{string, varint};

/// A cursor over untrusted bytes.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Takes the next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Takes everything that is left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&b, tail) = self.buf.split_first().ok_or(DecodeError::Truncated)?;
        self.buf = tail;
        Ok(b)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        match b {
            [hi, lo] => Ok(u16::from_be_bytes([*hi, *lo])),
            _ => Err(DecodeError::Truncated),
        }
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        match b {
            [a, b, c, d] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => Err(DecodeError::Truncated),
        }
    }

    /// A Variable Byte Integer inside a packet body, where running out of bytes means the packet
    /// is truncated (the whole packet is already in the buffer).
    pub(crate) fn varint(&mut self) -> Result<u32, DecodeError> {
        match varint::parse(self.buf) {
            Ok((v, n)) => {
                self.take(n)?;
                Ok(v)
            }
            Err(varint::Error::Incomplete) => Err(DecodeError::Truncated),
            Err(varint::Error::Malformed) => Err(DecodeError::VarInt),
        }
    }

    /// Binary Data: a two-byte length, then that many bytes (§1.5.6).
    pub(crate) fn binary(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// UTF-8 Encoded String (§1.5.4): well-formed UTF-8 (which excludes surrogates) without U+0000.
    pub(crate) fn string(&mut self) -> Result<&'a str, DecodeError> {
        let s = self.utf8()?;
        if s.as_bytes().contains(&0) {
            return Err(DecodeError::NullCharacter);
        }
        Ok(s)
    }

    /// A string checked for UTF-8 only: for topics, whose validation also finds U+0000, so the
    /// bytes are not scanned for it twice. The caller must validate the topic.
    pub(crate) fn utf8(&mut self) -> Result<&'a str, DecodeError> {
        core::str::from_utf8(self.binary()?).map_err(|_| DecodeError::Utf8)
    }

    /// Fails unless every byte has been read.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// A cursor over a payload made of length-prefixed strings and small fields (the topic filter
/// lists of SUBSCRIBE and UNSUBSCRIBE), which hands out the strings as `&str`.
///
/// Without `unsafe` the only way from bytes to `&str` is `core::str::from_utf8`, and running it
/// over each short filter was the bulk of decoding a SUBSCRIBE (and again of iterating it). So
/// the whole payload is checked once: when it is valid UTF-8 (it is whenever no length byte is
/// 0x80 or above, i.e. every filter is shorter than 128 bytes, and the filters are valid), each
/// string is cut out of it with `str::get`, which only checks that both ends are character
/// boundaries; a slice of valid UTF-8 between two boundaries is valid UTF-8, and a string whose
/// ends are not boundaries is not. Otherwise each string is checked on its own, as `Reader`
/// does, so the result (and the error) is the same either way.
///
/// A decoder that only needs to know that the strings are UTF-8, not to hold them as `&str`, uses
/// [`TextReader::checking`] and [`TextReader::utf8_bytes`]: an all-ASCII payload (the usual
/// case) is then valid UTF-8 after a word-at-a-time `is_ascii`, cheaper than `from_utf8`.
#[derive(Debug, Clone)]
pub(crate) struct TextReader<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
    ascii: bool,
    pos: usize,
}

impl<'a> TextReader<'a> {
    /// For reading the strings as `&str`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            text: core::str::from_utf8(bytes).ok(),
            ascii: false,
            pos: 0,
        }
    }

    /// For checking the strings with `utf8_bytes`.
    pub(crate) fn checking(bytes: &'a [u8]) -> Self {
        let ascii = is_ascii(bytes);
        Self {
            bytes,
            text: if ascii {
                None
            } else {
                core::str::from_utf8(bytes).ok()
            },
            ascii,
            pos: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Skips to the end.
    pub(crate) fn finish(&mut self) {
        self.pos = self.bytes.len();
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = *self.bytes.get(self.pos).ok_or(DecodeError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    /// Like `utf8`, but gives the bytes of the string, which lets an ASCII payload skip
    /// `from_utf8`.
    pub(crate) fn utf8_bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        if !self.ascii {
            return self.utf8().map(str::as_bytes);
        }
        let (start, end) = self.field()?;
        let s = self.bytes.get(start..end).ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    /// Where the next length-prefixed field's content starts and ends; checks only that it is
    /// inside the payload.
    fn field(&self) -> Result<(usize, usize), DecodeError> {
        let len = match self
            .bytes
            .get(self.pos..)
            .and_then(|b| b.first_chunk::<2>())
        {
            Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
            None => return Err(DecodeError::Truncated),
        };
        let start = self.pos + 2;
        let end = start + len;
        if end > self.bytes.len() {
            return Err(DecodeError::Truncated);
        }
        Ok((start, end))
    }

    /// A two-byte length, then that many bytes of UTF-8 (not checked for U+0000: see
    /// `Reader::utf8`).
    pub(crate) fn utf8(&mut self) -> Result<&'a str, DecodeError> {
        let (start, end) = self.field()?;
        let s = match self.text {
            Some(text) => text.get(start..end).ok_or(DecodeError::Utf8)?,
            None => self
                .bytes
                .get(start..end)
                .ok_or(DecodeError::Truncated)
                .and_then(|b| core::str::from_utf8(b).map_err(|_| DecodeError::Utf8))?,
        };
        self.pos = end;
        Ok(s)
    }
}

/// True when every byte is below 0x80. Eight bytes at a time: `<[u8]>::is_ascii` goes byte by
/// byte on slices this short, which made it cost more than half of `from_utf8`.
fn is_ascii(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    let words = (&mut chunks).fold(0u64, |acc, c| {
        acc | u64::from_ne_bytes(c.try_into().unwrap_or([0x80; 8]))
    });
    let tail = chunks.remainder().iter().fold(0u8, |acc, &b| acc | b);
    (words & 0x8080_8080_8080_8080) == 0 && tail < 0x80
}

/// A cursor over the caller's output buffer.
///
/// It keeps the part of the buffer not yet written, so that each write is one length comparison
/// and a copy: `emit` hands it a buffer of exactly the packet's size, and the writes after that
/// are on the hot path of every encode.
/// The write cursor. Writes never fail on the spot: the first error (no room, a string or
/// binary too long, a length past the varint range) is recorded and reported once, by
/// [`Writer::finish`], so a packet body is a straight run of writes without an error branch
/// after each (size first: the branches were ~1 KB across the encoders on Cortex-M). After an
/// error the remaining writes still run but write nothing that does not fit.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    rest: &'a mut [u8],
    len: usize,
    error: Option<EncodeError>,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self {
            len: buf.len(),
            rest: buf,
            error: None,
        }
    }

    pub(crate) fn position(&self) -> usize {
        self.len - self.rest.len()
    }

    /// The first error any write met, else `body`'s (the encoder's own checks, which ran after
    /// those writes).
    pub(crate) fn finish(&self, body: Result<(), EncodeError>) -> Result<(), EncodeError> {
        match self.error {
            Some(e) => Err(e),
            None => body,
        }
    }

    #[cold]
    fn fail(&mut self, e: EncodeError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    pub(crate) fn bytes(&mut self, src: &[u8]) {
        let rest = core::mem::take(&mut self.rest);
        let position = self.len - rest.len();
        match rest.split_at_mut_checked(src.len()) {
            Some((dst, rest)) => {
                dst.copy_from_slice(src);
                self.rest = rest;
            }
            // `rest` stays empty: nothing more fits.
            None => self.fail(EncodeError::BufferTooSmall {
                needed: position.saturating_add(src.len()),
            }),
        }
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes(&[v])
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes())
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes())
    }

    pub(crate) fn varint(&mut self, v: usize) {
        if v < 128 {
            return self.u8(v as u8);
        }
        match u32::try_from(v).ok().filter(|v| *v <= varint::MAX) {
            Some(v) => {
                let (bytes, n) = varint::encode(v);
                self.bytes(bytes.get(..n).unwrap_or(&bytes))
            }
            None => self.fail(EncodeError::PacketTooLarge),
        }
    }

    pub(crate) fn binary(&mut self, v: &[u8]) {
        match u16::try_from(v.len()) {
            Ok(n) => {
                self.u16(n);
                self.bytes(v)
            }
            Err(_) => self.fail(EncodeError::BinaryTooLong),
        }
    }

    pub(crate) fn string(&mut self, s: &str) {
        match check_string(s) {
            Ok(()) => self.checked_string(s),
            Err(e) => self.fail(e),
        }
    }

    pub(crate) fn checked_string(&mut self, s: &str) {
        match u16::try_from(s.len()) {
            Ok(n) => {
                self.u16(n);
                self.bytes(s.as_bytes())
            }
            Err(_) => self.fail(EncodeError::StringTooLong),
        }
    }
}

pub(crate) fn check_string(s: &str) -> Result<(), EncodeError> {
    Ok(string::check(s)?)
}

/// Wire size of a string or binary field: two length bytes plus the content.
pub(crate) const fn field_len(content: usize) -> usize {
    content.saturating_add(2)
}

#[cfg(test)]
mod tests {
    // Reduced feature sets (scripts/test) compile only some of the tests below.
    #![cfg_attr(
        not(all(feature = "v5", feature = "qos2", feature = "broker")),
        allow(unused_imports, dead_code)
    )]
    use super::*;

    #[test]
    fn strings_reject_bad_utf8_surrogates_and_nul() {
        // An encoded surrogate (U+D800) is not well-formed UTF-8 (§1.5.4).
        assert_eq!(
            Reader::new(&[0, 3, 0xed, 0xa0, 0x80]).string(),
            Err(DecodeError::Utf8)
        );
        assert_eq!(Reader::new(&[0, 1, 0xff]).string(), Err(DecodeError::Utf8));
        assert_eq!(
            Reader::new(&[0, 2, b'a', 0]).string(),
            Err(DecodeError::NullCharacter)
        );
        assert_eq!(
            Reader::new(&[0, 3, b'a']).string(),
            Err(DecodeError::Truncated)
        );
        // §1.5.4 example: "A𪛔" is 41 F0 AA 9B 94.
        assert_eq!(
            Reader::new(&[0, 5, 0x41, 0xf0, 0xaa, 0x9b, 0x94]).string(),
            Ok("A\u{2A6D4}")
        );
        // U+FEFF (BOM) must not be stripped (§1.5.4).
        assert_eq!(
            Reader::new(&[0, 3, 0xef, 0xbb, 0xbf]).string(),
            Ok("\u{feff}")
        );
    }

    #[test]
    fn ascii_check_sees_a_high_byte_anywhere() {
        for len in 0..40 {
            let mut buf = vec![b'a'; len];
            assert!(is_ascii(&buf));
            for at in 0..len {
                buf[at] = 0x80;
                assert!(!is_ascii(&buf), "{len} {at}");
                buf[at] = 0x7f;
            }
        }
    }

    #[test]
    fn text_reader_gives_the_same_strings_and_errors_on_either_path() {
        // ASCII, valid non-ASCII, invalid UTF-8, a field cut in the middle of a character.
        let cases: [&[u8]; 4] = [
            &[0, 2, b'a', b'b', 0, 1, b'c'],
            &[0, 2, 0xc3, 0xa9, 0, 1, b'c'],
            &[0, 1, 0xff, 0, 1, b'c'],
            &[0, 1, 0xc3, 0, 1, 0xa9],
        ];
        for bytes in cases {
            let (mut a, mut b) = (TextReader::new(bytes), TextReader::checking(bytes));
            let mut per_field = Reader::new(bytes);
            while !per_field.is_empty() {
                let want = per_field.utf8();
                assert_eq!(a.utf8(), want, "{bytes:02x?}");
                assert_eq!(b.utf8_bytes(), want.map(str::as_bytes), "{bytes:02x?}");
                if want.is_err() {
                    break;
                }
            }
        }
    }

    #[test]
    fn writer_refuses_to_overrun_the_buffer() {
        let mut buf = [0u8; 3];
        let mut w = Writer::new(&mut buf);
        w.u16(7);
        assert_eq!(w.finish(Ok(())), Ok(()));
        w.u16(7);
        assert_eq!(
            w.finish(Ok(())),
            Err(EncodeError::BufferTooSmall { needed: 4 })
        );
    }

    #[test]
    fn writer_refuses_long_strings_and_nul() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        w.string("a\0");
        assert_eq!(w.finish(Ok(())), Err(EncodeError::NullCharacter));
        let long = "x".repeat(65_536);
        let mut big = vec![0u8; 70_000];
        let mut w = Writer::new(&mut big);
        w.string(&long);
        assert_eq!(w.finish(Ok(())), Err(EncodeError::StringTooLong));
        let mut w = Writer::new(&mut big);
        w.binary(long.as_bytes());
        // The first error is the one reported.
        w.string("a\0");
        assert_eq!(w.finish(Ok(())), Err(EncodeError::BinaryTooLong));
    }
}
