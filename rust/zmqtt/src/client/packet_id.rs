//! Packet identifier allocation (MQTT 3.1.1 §2.3.1, MQTT 5.0 §2.2.1).
//!
//! Identifiers go up by one and wrap from 65535 to 1, skipping every identifier still in use
//! (in flight, queued, or waiting for a SUBACK/UNSUBACK). A fresh identifier for each message also
//! serves as DL-7450's message id `mid`, so QoS 0 messages draw from the same counter even though
//! theirs never goes on the wire.

use core::num::NonZeroU16;

/// A packet identifier, also the `mid` reported to the application.
pub type PacketId = NonZeroU16;

/// Hands out packet identifiers in order, skipping those in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PacketIdAllocator {
    next: u16,
}

impl Default for PacketIdAllocator {
    fn default() -> Self {
        Self::new()
    }
}

impl PacketIdAllocator {
    /// Starts at 1.
    pub(crate) const fn new() -> Self {
        PacketIdAllocator { next: 1 }
    }

    /// The next identifier for which `in_use` is false, or `None` when all 65535 are in use
    /// (DL-7450 error -10). Looks at each identifier at most once.
    pub(crate) fn allocate(
        &mut self,
        mut in_use: impl FnMut(PacketId) -> bool,
    ) -> Option<PacketId> {
        for _ in 0..u16::MAX {
            let id = NonZeroU16::new(self.next).unwrap_or(NonZeroU16::MIN);
            self.next = if id.get() == u16::MAX {
                1
            } else {
                id.get() + 1
            };
            if !in_use(id) {
                return Some(id);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    #[test]
    fn ids_count_up_from_one() {
        let mut a = PacketIdAllocator::default();
        assert_eq!(a.allocate(|_| false), Some(id(1)));
        assert_eq!(a.allocate(|_| false), Some(id(2)));
    }

    #[test]
    fn ids_wrap_from_65535_to_1_skipping_zero() {
        let mut a = PacketIdAllocator { next: u16::MAX };
        assert_eq!(a.allocate(|_| false), Some(id(u16::MAX)));
        assert_eq!(a.allocate(|_| false), Some(id(1)));
    }

    #[test]
    fn ids_in_use_are_skipped() {
        let mut a = PacketIdAllocator { next: 65534 };
        let used = [id(65534), id(65535), id(1)];
        assert_eq!(a.allocate(|i| used.contains(&i)), Some(id(2)));
    }

    #[test]
    fn no_free_id_gives_none_after_one_lap() {
        let mut a = PacketIdAllocator::default();
        let mut asked = 0u32;
        assert_eq!(
            a.allocate(|_| {
                asked += 1;
                true
            }),
            None
        );
        assert_eq!(asked, 65535);
    }
}
