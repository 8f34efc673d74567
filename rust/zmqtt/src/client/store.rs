//! A fixed byte pool of variable-length records, kept in insertion order.
//!
//! Why not `[Message; N]`: a slot array must size every slot for the largest message, so a client
//! that may send one 1 KiB message but usually sends 20-byte readings would waste almost all of
//! it. Here each record takes `HEADER` (8) bytes plus its data, so the same pool holds either a few
//! large or many small messages. Removing a record moves the records behind it down
//! (`copy_within`): pools are a few KiB, so this costs less than any allocator and leaves no
//! fragmentation, and insertion order, which MQTT needs for resending, is kept for free.
//!
//! A record is `[len: u16 LE][meta: 6 bytes][data]`, `len` counting the whole record. What the meta
//! bytes mean is up to the user of the store (`queue.rs`, `topics.rs`). Records are addressed by
//! their byte offset, which stays valid until a record before it is removed or resized.

/// Size of a record header: the length and six bytes of metadata.
pub(crate) const HEADER: usize = 8;
/// The largest record: its length must fit the `u16` length field.
pub(crate) const MAX_RECORD: usize = u16::MAX as usize;

/// Six bytes of per-record metadata, interpreted by the store's user.
pub(crate) type Meta = [u8; 6];

/// A byte pool of `B` bytes holding records in insertion order.
#[derive(Debug, Clone)]
pub(crate) struct RecordStore<const B: usize> {
    buf: [u8; B],
    used: usize,
}

impl<const B: usize> Default for RecordStore<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const B: usize> RecordStore<B> {
    /// An empty store; `const` so a client can be built in a static.
    pub(crate) const fn new() -> Self {
        RecordStore {
            buf: [0; B],
            used: 0,
        }
    }

    /// Bytes a record with `data_len` bytes of data takes.
    pub(crate) const fn record_len(data_len: usize) -> usize {
        HEADER + data_len
    }

    /// Appends a record whose data is the concatenation of `parts`. Returns its offset, or `None`
    /// when it does not fit (the store is unchanged then).
    pub(crate) fn push(&mut self, meta: Meta, parts: &[&[u8]]) -> Option<usize> {
        let data_len: usize = parts.iter().map(|p| p.len()).sum();
        let at = self.reserve(meta, data_len)?;
        let mut w = at + HEADER;
        for p in parts {
            self.buf[w..w + p.len()].copy_from_slice(p);
            w += p.len();
        }
        Some(at)
    }

    /// Appends a record of `data_len` bytes for the caller to fill through
    /// [`data_mut`](Self::data_mut) (zeros until then). `None` when it does not fit.
    pub(crate) fn reserve(&mut self, meta: Meta, data_len: usize) -> Option<usize> {
        let len = Self::record_len(data_len);
        if len > MAX_RECORD || len > B - self.used {
            return None;
        }
        let at = self.used;
        self.buf[at..at + 2].copy_from_slice(&(len as u16).to_le_bytes());
        self.buf[at + 2..at + HEADER].copy_from_slice(&meta);
        self.buf[at + HEADER..at + len].fill(0);
        self.used += len;
        Some(at)
    }

    /// The data of the record at `at`, to write.
    pub(crate) fn data_mut(&mut self, at: usize) -> &mut [u8] {
        let len = self.len_at(at);
        &mut self.buf[at + HEADER..at + len]
    }

    fn len_at(&self, at: usize) -> usize {
        usize::from(u16::from_le_bytes([self.buf[at], self.buf[at + 1]]))
    }

    /// The first record's offset.
    pub(crate) fn first(&self) -> Option<usize> {
        (self.used > 0).then_some(0)
    }

    /// The offset of the record after the one at `at`.
    pub(crate) fn next(&self, at: usize) -> Option<usize> {
        let n = at + self.len_at(at);
        (n < self.used).then_some(n)
    }

    /// Offsets of all records, front to back. Collect-free: callers that remove while walking use
    /// `first`/`next` instead.
    pub(crate) fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        core::iter::successors(self.first(), move |&at| self.next(at))
    }

    /// The metadata of the record at `at`.
    pub(crate) fn meta(&self, at: usize) -> Meta {
        let mut m = [0; 6];
        m.copy_from_slice(&self.buf[at + 2..at + HEADER]);
        m
    }

    /// Overwrites the metadata of the record at `at`.
    pub(crate) fn set_meta(&mut self, at: usize, meta: Meta) {
        self.buf[at + 2..at + HEADER].copy_from_slice(&meta);
    }

    /// The data of the record at `at`.
    pub(crate) fn data(&self, at: usize) -> &[u8] {
        &self.buf[at + HEADER..at + self.len_at(at)]
    }

    /// Removes the record at `at`; records behind it move down.
    pub(crate) fn remove(&mut self, at: usize) {
        let len = self.len_at(at);
        self.buf.copy_within(at + len..self.used, at);
        self.used -= len;
    }

    /// Cuts the data of the record at `at` down to `data_len` bytes (no-op when it is shorter).
    pub(crate) fn truncate(&mut self, at: usize, data_len: usize) {
        let len = self.len_at(at);
        let new_len = Self::record_len(data_len);
        if new_len >= len {
            return;
        }
        self.buf.copy_within(at + len..self.used, at + new_len);
        self.used -= len - new_len;
        self.buf[at..at + 2].copy_from_slice(&(new_len as u16).to_le_bytes());
    }

    /// Removes every record for which `keep` is false.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(Meta, &[u8]) -> bool) {
        let mut cur = self.first();
        while let Some(at) = cur {
            if keep(self.meta(at), self.data(at)) {
                cur = self.next(at);
            } else {
                self.remove(at);
                cur = (at < self.used).then_some(at);
            }
        }
    }

    /// Bytes in use.
    pub(crate) fn used(&self) -> usize {
        self.used
    }

    /// Bytes still free.
    pub(crate) fn free(&self) -> usize {
        B - self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn contents<const B: usize>(s: &RecordStore<B>) -> Vec<(u8, Vec<u8>)> {
        s.offsets()
            .map(|at| (s.meta(at)[0], s.data(at).to_vec()))
            .collect()
    }

    #[test]
    fn records_keep_insertion_order_and_data() {
        let mut s = RecordStore::<64>::default();
        s.push([1, 0, 0, 0, 0, 0], &[b"ab", b"cd"]).unwrap();
        s.push([2, 0, 0, 0, 0, 0], &[b""]).unwrap();
        s.push([3, 0, 0, 0, 0, 0], &[b"xyz"]).unwrap();
        assert_eq!(
            contents(&s),
            [(1, b"abcd".to_vec()), (2, Vec::new()), (3, b"xyz".to_vec())]
        );
        assert_eq!(s.used(), 3 * HEADER + 7);
    }

    #[test]
    fn a_record_that_does_not_fit_leaves_the_store_unchanged() {
        let mut s = RecordStore::<24>::default();
        s.push([1; 6], &[b"0123"]).unwrap();
        assert_eq!(s.push([2; 6], &[b"0123456789"]), None);
        assert_eq!(contents(&s).len(), 1);
        assert_eq!(s.free(), 24 - 12);
        assert!(s.push([2; 6], &[b"0123"]).is_some());
        assert_eq!(s.free(), 0);
    }

    #[test]
    fn removing_from_the_middle_compacts_the_pool() {
        let mut s = RecordStore::<64>::default();
        for i in 1..=3u8 {
            s.push([i, 0, 0, 0, 0, 0], &[&[i; 3]]).unwrap();
        }
        let second = s.next(0).unwrap();
        s.remove(second);
        assert_eq!(contents(&s), [(1, std::vec![1; 3]), (3, std::vec![3; 3])]);
        assert_eq!(s.used(), 2 * (HEADER + 3));
    }

    #[test]
    fn truncate_shrinks_a_record_in_place() {
        let mut s = RecordStore::<64>::default();
        s.push([1; 6], &[b"hello"]).unwrap();
        s.push([2; 6], &[b"world"]).unwrap();
        s.truncate(0, 0);
        assert_eq!(contents(&s), [(1, Vec::new()), (2, b"world".to_vec())]);
        s.truncate(0, 3); // growing is not truncating
        assert_eq!(s.data(0), b"");
    }

    #[test]
    fn retain_removes_matching_records_anywhere() {
        let mut s = RecordStore::<128>::default();
        for i in 0..6u8 {
            s.push([i, 0, 0, 0, 0, 0], &[&[i]]).unwrap();
        }
        s.retain(|m, _| m[0] % 2 == 1);
        assert_eq!(
            contents(&s).iter().map(|c| c.0).collect::<Vec<_>>(),
            [1, 3, 5]
        );
        s.retain(|_, _| false);
        assert_eq!(s.first(), None);
        assert_eq!(s.used(), 0);
    }

    #[test]
    fn oversized_records_are_refused() {
        let mut s = RecordStore::<70_000>::default();
        let big = std::vec![0u8; MAX_RECORD];
        assert_eq!(s.push([0; 6], &[&big]), None);
    }
}
