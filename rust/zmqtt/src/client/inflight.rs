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

/// Packet ids of incoming QoS 2 messages delivered but not yet released (PUBREL).
#[derive(Debug, Clone, Default)]
pub(crate) struct IncomingQos2<const N: usize> {
    ids: heapless::Vec<PacketId, N>,
}

impl<const N: usize> IncomingQos2<N> {
    pub(crate) fn contains(&self, id: PacketId) -> bool {
        self.ids.contains(&id)
    }

    /// Remembers `id`; `false` when the table is full.
    pub(crate) fn insert(&mut self, id: PacketId) -> bool {
        self.ids.push(id).is_ok()
    }

    /// Forgets `id`; `false` when it was not there.
    pub(crate) fn remove(&mut self, id: PacketId) -> bool {
        match self.ids.iter().position(|&i| i == id) {
            Some(pos) => {
                self.ids.swap_remove(pos);
                true
            }
            None => false,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.ids.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
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
    fn ids_are_kept_until_released_and_bounded() {
        let mut t = IncomingQos2::<2>::default();
        assert!(t.insert(id(7)));
        assert!(t.insert(id(9)));
        assert!(!t.insert(id(11)));
        assert!(t.contains(id(7)));
        assert!(t.remove(id(7)));
        assert!(!t.remove(id(7)));
        assert!(!t.contains(id(7)));
        assert_eq!(t.len(), 1);
    }
}
