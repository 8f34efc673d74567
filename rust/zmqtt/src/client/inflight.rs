//! The incoming side of QoS 2 and the acknowledgements owed to the broker.
//!
//! Exactly once on receipt follows MQTT 3.1.1 §4.3.3 "Method B": the first PUBLISH with a new
//! packet id is delivered and its id remembered; copies (DUP) with a remembered id are
//! acknowledged again but not delivered; PUBREL forgets the id and is answered with PUBCOMP. The
//! table has the in-flight capacity `N`, which is also the Receive Maximum this client announces
//! in MQTT 5.0, so a broker that keeps to it can never overflow it.
//!
//! (The outgoing in-flight messages live in the message pool, see `queue.rs`: each record carries
//! its stage, so no separate table is needed and the window is simply a count.)

use crate::codec::ReasonCode;

use super::PacketId;

/// Packet ids of incoming QoS 2 messages delivered but not yet released (PUBREL), in room for
/// `2 × N` ids.
///
/// Why twice the Receive Maximum: brokers do not all count a QoS 2 message against it until
/// PUBCOMP, as MQTT 5.0 §4.9 asks. mosquitto 2.0 frees the slot at PUBREC and queues its PUBRELs
/// behind newer PUBLISHes, so the ids awaiting PUBREL reach its `max_inflight_messages` (20 by
/// default) whatever the client announced. When even `2 × N` ids are not enough (mosquitto sends
/// its whole backlog at once after a restart), the client must not forget an id — the broker would
/// send that message again after the next reconnect and it would be delivered twice — and must
/// not deliver without remembering. So it leaves the new message unacknowledged, and once the held
/// ids are released it reconnects (normal DISCONNECT), and the broker sends the skipped messages
/// again. Exactly-once holds; size `INFLIGHT` so that `2 × INFLIGHT` ≥ the broker's in-flight limit
/// or these reconnects become frequent.
///
/// Released ids are remembered a while longer (the last `2 × N`): mosquitto 2.0 was seen, after a
/// reconnect racing its session takeover, to resend with DUP a PUBLISH whose PUBREL it had already
/// sent. A DUP copy of a recently released id is acknowledged, not delivered. A broker that starts
/// a new message with such an id sends it with DUP 0 first, which clears the id from this list;
/// only if that first attempt were lost in a cut *and* the broker reused one of its last `2 × N`
/// ids (brokers count ids up, so it would have to wrap 65535) could a message be taken for a copy.
#[derive(Debug, Clone)]
pub(crate) struct IncomingQos2<const N: usize> {
    /// Two halves of one FIFO of `2 × N` slots (const generics cannot say `2 * N`).
    halves: [[u16; N]; 2],
    len: usize,
    /// The last `2 × N` ids released by PUBREL, oldest overwritten first (0 = empty slot).
    released: [[u16; N]; 2],
    next_released: usize,
}

impl<const N: usize> Default for IncomingQos2<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> IncomingQos2<N> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        IncomingQos2 {
            halves: [[0; N]; 2],
            len: 0,
            released: [[0; N]; 2],
            next_released: 0,
        }
    }

    fn get(&self, i: usize) -> u16 {
        self.halves[i / N][i % N]
    }

    fn set(&mut self, i: usize, v: u16) {
        self.halves[i / N][i % N] = v;
    }

    fn position(&self, id: PacketId) -> Option<usize> {
        (0..self.len).find(|&i| self.get(i) == id.get())
    }

    fn remove_at(&mut self, pos: usize) {
        for i in pos..self.len - 1 {
            let next = self.get(i + 1);
            self.set(i, next);
        }
        self.len -= 1;
    }

    pub(crate) fn contains(&self, id: PacketId) -> bool {
        self.position(id).is_some()
    }

    /// Remembers `id`; `false` when the table is full.
    pub(crate) fn insert(&mut self, id: PacketId) -> bool {
        if self.len == 2 * N {
            return false;
        }
        self.set(self.len, id.get());
        self.len += 1;
        true
    }

    /// Forgets `id` (PUBREL arrived) and remembers it as recently released; `false` when it was
    /// not held.
    pub(crate) fn remove(&mut self, id: PacketId) -> bool {
        match self.position(id) {
            Some(pos) => {
                self.remove_at(pos);
                let slot = self.next_released;
                if let (Some(half), Some(i)) = (slot.checked_div(N), slot.checked_rem(N)) {
                    self.released[half][i] = id.get();
                    self.next_released = (slot + 1) % (2 * N);
                }
                true
            }
            None => false,
        }
    }

    /// Whether `id` was among the last `2 × N` ids released.
    pub(crate) fn was_released(&self, id: PacketId) -> bool {
        self.released.iter().flatten().any(|&r| r == id.get())
    }

    /// Drops `id` from the recently released ids (the broker started a new message with it).
    pub(crate) fn forget_released(&mut self, id: PacketId) {
        for r in self.released.iter_mut().flatten() {
            if *r == id.get() {
                *r = 0;
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.released = [[0; N]; 2];
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Which acknowledgement to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckKind {
    Puback,
    Pubrec,
    Pubrel,
    Pubcomp,
}

/// An acknowledgement owed to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ack {
    pub(crate) kind: AckKind,
    pub(crate) id: PacketId,
    pub(crate) reason: ReasonCode,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    #[test]
    fn ids_are_kept_until_released() {
        let mut t = IncomingQos2::<2>::default();
        assert!(t.insert(id(7)));
        assert!(t.insert(id(9)));
        assert!(t.contains(id(7)));
        assert!(t.remove(id(7)));
        assert!(!t.remove(id(7)));
        assert!(!t.contains(id(7)));
        assert!(t.contains(id(9)));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn released_ids_are_remembered_for_a_while() {
        let mut t = IncomingQos2::<1>::default();
        for n in 1..=3 {
            t.insert(id(n));
            t.remove(id(n));
        }
        // Room for 2 × N = 2 released ids: the oldest is gone.
        assert!(!t.was_released(id(1)));
        assert!(t.was_released(id(2)) && t.was_released(id(3)));
        t.forget_released(id(3));
        assert!(!t.was_released(id(3)));
        t.clear();
        assert!(!t.was_released(id(2)));
    }

    #[test]
    fn the_table_holds_twice_n_ids_in_order() {
        let mut t = IncomingQos2::<2>::default();
        for n in 1..=4 {
            assert!(t.insert(id(n)));
        }
        assert!(!t.insert(id(5)));
        t.remove(id(2));
        assert!(t.insert(id(5)));
        assert!([1, 3, 4, 5].iter().all(|&n| t.contains(id(n))));
        assert_eq!(t.len(), 4);
        let mut z = IncomingQos2::<0>::default();
        assert!(!z.insert(id(1)));
    }
}
