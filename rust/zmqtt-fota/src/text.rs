//! A `core::fmt::Write` over a caller's byte buffer: how payloads are formatted without a heap.

use core::fmt;

/// Writes into `buf` from the start; fails (and stops) when `buf` is full.
pub(crate) struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceWriter<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Formats `args` into `buf`; `None` when it does not fit.
pub(crate) fn format(buf: &mut [u8], args: fmt::Arguments<'_>) -> Option<usize> {
    let mut w = SliceWriter::new(buf);
    fmt::write(&mut w, args).ok()?;
    Some(w.len())
}
