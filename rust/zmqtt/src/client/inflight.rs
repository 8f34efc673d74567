//! The incoming side of QoS 2 and the acknowledgements owed to the broker.
//!
//! Exactly once on receipt follows MQTT 3.1.1 §4.3.3 "Method B": the first PUBLISH with a new
//! packet id is delivered and its id remembered; copies (DUP) with a remembered id are
//! acknowledged again but not delivered; PUBREL forgets the id and is answered with PUBCOMP. The
//! table has its own capacity `N` (`CONFIG_ZMQTT_MAX_INCOMING_QOS2` on Zephyr), which is also the
//! Receive Maximum this client announces in MQTT 5.0, so a 5.0 broker that keeps to it can never
//! overflow it.
//!
//! (The outgoing in-flight messages live in the message pool, see `queue.rs`: each record carries
//! its stage, so no separate table is needed and the window is simply a count.)
// Without `qos2` the engine never acknowledges or tracks QoS 2: what remains here is unused.
#![cfg_attr(not(feature = "qos2"), allow(dead_code))]

use crate::codec::ReasonCode;

use super::PacketId;

/// Packet ids of incoming QoS 2 messages delivered but not yet released (PUBREL), in room for
/// `N` ids (2 bytes each, plus 2 for the recently released list).
///
/// Why `N` is its own size, not the outgoing window: brokers do not all count a QoS 2 message
/// against a window until PUBCOMP, as MQTT 5.0 §4.9 asks, and 3.1.1 brokers are not told any
/// window. mosquitto 2.0 frees the slot at PUBREC and queues its PUBRELs behind newer PUBLISHes,
/// so the ids awaiting PUBREL reach its `max_inflight_messages` (20 by default; EMQX: 32) whatever
/// the client announced. When the table is full anyway, the client must not forget an id — the
/// broker would send that message again after the next reconnect and it would be delivered twice
/// — and must not deliver without remembering. So it leaves the new message unacknowledged, and
/// once the held ids are released it reconnects (normal DISCONNECT), and the broker sends the
/// skipped messages again (see `Client::resync`). mosquitto 2.0 sends a 3.1.1 client its whole
/// backlog before the first PUBREL (85 ids at once in `tests/qos2_burst.rs`), so no fixed size
/// avoids that after a long outage; a larger `N` means fewer reconnects to catch up.
///
/// Released ids are remembered a while longer (the last `N`): mosquitto 2.0 was seen, after a
/// reconnect racing its session takeover, to resend with DUP a PUBLISH whose PUBREL it had already
/// sent. A DUP copy of a recently released id is acknowledged, not delivered. A broker that starts
/// a new message with such an id sends it with DUP 0 first, which clears the id from this list;
/// only if that first attempt were lost in a cut *and* the broker reused one of its last `N` ids
/// (brokers count ids up, so it would have to wrap 65535) could a message be taken for a copy.
#[derive(Debug, Clone)]
pub(crate) struct IncomingQos2<const N: usize> {
    held: [u16; N],
    len: usize,

    /// The last `N` ids released by PUBREL, oldest overwritten first (0 = empty slot).
    released: [u16; N],
    next_released: usize,
}

impl<const N: usize> IncomingQos2<N> {
    /// An empty table (`const`, so a client can be built in a static).
    pub(crate) const fn new() -> Self {
        IncomingQos2 {
            held: [0; N],
            len: 0,
            released: [0; N],
            next_released: 0,
        }
    }

    fn position(&self, id: PacketId) -> Option<usize> {
        self.held[..self.len].iter().position(|&h| h == id.get())
    }

    pub(crate) fn contains(&self, id: PacketId) -> bool {
        self.position(id).is_some()
    }

    /// Remembers `id`; `false` when the table is full.
    pub(crate) fn insert(&mut self, id: PacketId) -> bool {
        match self.held.get_mut(self.len) {
            Some(slot) => {
                *slot = id.get();
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Forgets `id` (PUBREL arrived) and remembers it as recently released; `false` when it was
    /// not held.
    pub(crate) fn remove(&mut self, id: PacketId) -> bool {
        let Some(pos) = self.position(id) else {
            return false;
        };
        self.held.copy_within(pos + 1..self.len, pos);
        self.len -= 1;
        self.remember_released(id.get());
        true
    }

    fn remember_released(&mut self, id: u16) {
        if let Some(slot) = self.released.get_mut(self.next_released) {
            *slot = id;
            self.next_released = (self.next_released + 1) % N;
        }
    }

    /// Whether `id` was among the last `N` ids released.
    pub(crate) fn was_released(&self, id: PacketId) -> bool {
        self.released.contains(&id.get())
    }

    /// Makes `id` (already among the recently released ids) the most recent one, so that it is
    /// the last to be forgotten.
    pub(crate) fn refresh_released(&mut self, id: PacketId) {
        self.forget_released(id);
        self.remember_released(id.get());
    }

    /// Drops `id` from the recently released ids (the broker started a new message with it).
    pub(crate) fn forget_released(&mut self, id: PacketId) {
        for r in self.released.iter_mut() {
            if *r == id.get() {
                *r = 0;
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.released = [0; N];
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

impl AckKind {
    /// The packet's MQTT type number, for log lines.
    pub(crate) const fn packet_type(self) -> u8 {
        match self {
            AckKind::Puback => 4,
            AckKind::Pubrec => 5,
            AckKind::Pubrel => 6,
            AckKind::Pubcomp => 7,
        }
    }
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
        let mut t = IncomingQos2::<2>::new();
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
        let mut t = IncomingQos2::<2>::new();
        for n in 1..=3 {
            t.insert(id(n));
            t.remove(id(n));
        }
        // Room for N = 2 released ids: the oldest is gone.
        assert!(!t.was_released(id(1)));
        assert!(t.was_released(id(2)) && t.was_released(id(3)));
        t.forget_released(id(3));
        assert!(!t.was_released(id(3)));
        t.clear();
        assert!(!t.was_released(id(2)));
    }

    #[test]
    fn the_table_holds_n_ids_in_order() {
        let mut t = IncomingQos2::<4>::new();
        for n in 1..=4 {
            assert!(t.insert(id(n)));
        }
        assert!(!t.insert(id(5)));
        t.remove(id(2));
        assert!(t.insert(id(5)));
        assert!([1, 3, 4, 5].iter().all(|&n| t.contains(id(n))));
        assert_eq!(t.len(), 4);
        let mut z = IncomingQos2::<0>::new();
        assert!(!z.insert(id(1)));
        assert!(!z.remove(id(1)));
    }
}
