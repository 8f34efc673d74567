//! Topic strings the client must remember: subscriptions (to restore them when the broker lost
//! the session), unsubscriptions not yet acknowledged, MQTT 5.0 topic aliases in both directions
//! and the client identifier a broker assigned.
//!
//! They share one byte pool ([`RecordStore`]) because their sizes vary together with the
//! application (a device with long topics has long filters and long aliased topics). Outgoing
//! aliases are only an optimisation, so they give way when something else needs the room.

use super::store::{Meta, RecordStore, HEADER};
use super::PacketId;
use crate::log;

const SUB: u8 = 1;
const UNSUB: u8 = 2;
const IN_ALIAS: u8 = 3;
const OUT_ALIAS: u8 = 4;
const CLIENT_ID: u8 = 5;

/// The SUBSCRIBE or UNSUBSCRIBE must be (re)sent.
const FLAG_PENDING: u8 = 1;
/// The application asked for it, so its SUBACK/UNSUBACK becomes an event.
const FLAG_REPORT: u8 = 2;
/// An UNSUBSCRIBE made moot by the loss of the session; to be reported without an UNSUBACK.
const FLAG_MOOT: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rec {
    /// Packet id of the SUBSCRIBE/UNSUBSCRIBE awaiting its ack; 0 once acknowledged.
    id: u16,
    kind: u8,
    /// SUB: the subscription options byte (MQTT 5.0 §3.8.3.1); else 0.
    opts: u8,
    /// SUB/UNSUB: FLAG_*; aliases: the alias number.
    x: u16,
}

impl Rec {
    fn encode(self) -> Meta {
        let id = self.id.to_le_bytes();
        let x = self.x.to_le_bytes();
        [id[0], id[1], self.kind, self.opts, x[0], x[1]]
    }
    fn decode(m: Meta) -> Rec {
        Rec {
            id: u16::from_le_bytes([m[0], m[1]]),
            kind: m[2],
            opts: m[3],
            x: u16::from_le_bytes([m[4], m[5]]),
        }
    }
}

/// A subscription (or unsubscription) waiting to go on the wire, as found by [`Topics::next_pending`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PendingRequest {
    pub(crate) id: PacketId,
    /// true: SUBSCRIBE; false: UNSUBSCRIBE.
    pub(crate) subscribe: bool,
}

/// What a SUBACK or UNSUBACK finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Acked {
    /// The application asked for it, so it gets an event.
    pub(crate) report: bool,
    /// How many filters the request had.
    pub(crate) filters: usize,
}

/// The topic pool of `B` bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Topics<const B: usize> {
    store: RecordStore<B>,
}

impl<const B: usize> Topics<B> {
    /// An empty pool.
    pub(crate) const fn new() -> Self {
        Topics {
            store: RecordStore::new(),
        }
    }

    fn recs(&self) -> impl Iterator<Item = (usize, Rec)> + '_ {
        self.store
            .offsets()
            .map(|at| (at, Rec::decode(self.store.meta(at))))
    }

    fn text(&self, at: usize) -> &str {
        // Only `push_text` writes records, always from a `&str`.
        core::str::from_utf8(self.store.data(at)).unwrap_or("")
    }

    /// Appends a record, evicting outgoing aliases when that makes room.
    fn push_text(&mut self, rec: Rec, text: &str) -> bool {
        while self.store.free() < HEADER + text.len() {
            let Some((at, _)) = self.recs().find(|(_, r)| r.kind == OUT_ALIAS) else {
                return false;
            };
            self.store.remove(at);
        }
        self.store.push(rec.encode(), &[text.as_bytes()]).is_some()
    }

    /// Whether `n` more filters totalling `bytes` bytes of text would fit (after evicting
    /// outgoing aliases).
    pub(crate) fn has_room(&self, n: usize, bytes: usize) -> bool {
        let evictable: usize = self
            .recs()
            .filter(|(_, r)| r.kind == OUT_ALIAS)
            .map(|(at, _)| HEADER + self.store.data(at).len())
            .sum();
        n * HEADER + bytes <= self.store.free() + evictable
    }

    /// Whether a pending SUBSCRIBE or UNSUBSCRIBE uses packet id `id`.
    pub(crate) fn uses_id(&self, id: PacketId) -> bool {
        self.recs().any(|(_, r)| r.id == id.get())
    }

    // ----- subscriptions -----

    /// Records a subscription requested with packet id `id`, replacing an earlier one with the
    /// same filter (MQTT 3.1.1 §3.8.4) that was already acknowledged. The caller checked the room with [`Topics::has_room`].
    pub(crate) fn add_subscription(
        &mut self,
        id: PacketId,
        filter: &str,
        options: u8,
        report: bool,
    ) -> bool {
        // Only acknowledged ones are replaced: a pending one still owes its SUBACK event.
        self.store.retain(|m, data| {
            !(m[2] == SUB && m[0] == 0 && m[1] == 0 && data == filter.as_bytes())
        });
        let flags = FLAG_PENDING | if report { FLAG_REPORT } else { 0 };
        self.push_text(
            Rec {
                id: id.get(),
                kind: SUB,
                opts: options,
                x: u16::from(flags),
            },
            filter,
        )
    }

    /// Records an unsubscription requested with packet id `id` and forgets the subscription, so a
    /// later session restore does not bring it back.
    pub(crate) fn add_unsubscription(&mut self, id: PacketId, filter: &str, report: bool) -> bool {
        self.store
            .retain(|m, data| !(m[2] == SUB && data == filter.as_bytes()));
        let flags = FLAG_PENDING | if report { FLAG_REPORT } else { 0 };
        self.push_text(
            Rec {
                id: id.get(),
                kind: UNSUB,
                opts: 0,
                x: u16::from(flags),
            },
            filter,
        )
    }

    /// The first request that must go on the wire.
    pub(crate) fn next_pending(&self) -> Option<PendingRequest> {
        self.recs()
            .find(|(_, r)| (r.kind == SUB || r.kind == UNSUB) && r.x & u16::from(FLAG_PENDING) != 0)
            .and_then(|(_, r)| {
                Some(PendingRequest {
                    id: PacketId::new(r.id)?,
                    subscribe: r.kind == SUB,
                })
            })
    }

    /// Filters (with their options byte) of the request with packet id `id`, in order.
    pub(crate) fn request_filters(
        &self,
        id: PacketId,
        subscribe: bool,
    ) -> impl Iterator<Item = (&str, u8)> + '_ {
        let kind = if subscribe { SUB } else { UNSUB };
        self.recs()
            .filter(move |(_, r)| r.kind == kind && r.id == id.get())
            .map(|(at, r)| (self.text(at), r.opts))
    }

    /// The request with packet id `id` went on the wire.
    pub(crate) fn mark_sent(&mut self, id: PacketId) {
        let mut cur = self.store.first();
        while let Some(at) = cur {
            let mut r = Rec::decode(self.store.meta(at));
            if (r.kind == SUB || r.kind == UNSUB) && r.id == id.get() {
                r.x &= !u16::from(FLAG_PENDING);
                self.store.set_meta(at, r.encode());
            }
            cur = self.store.next(at);
        }
    }

    /// A SUBACK for `id` arrived with one return code per filter: refused filters (0x80 and above)
    /// are forgotten, granted ones kept for restoring. `None` when no SUBSCRIBE has that id.
    pub(crate) fn suback(&mut self, id: PacketId, codes: &[u8]) -> Option<Acked> {
        let mut acked = Acked {
            report: false,
            filters: 0,
        };
        let mut cur = self.store.first();
        while let Some(at) = cur {
            let mut r = Rec::decode(self.store.meta(at));
            if r.kind == SUB && r.id == id.get() {
                acked.report |= r.x & u16::from(FLAG_REPORT) != 0;
                let refused = codes.get(acked.filters).map_or(true, |&c| c >= 0x80);
                acked.filters += 1;
                if refused {
                    self.store.remove(at);
                    cur = (at < self.store.used()).then_some(at);
                    continue;
                }
                r.id = 0;
                r.x = 0;
                self.store.set_meta(at, r.encode());
            }
            cur = self.store.next(at);
        }
        (acked.filters > 0).then_some(acked)
    }

    /// An UNSUBACK for `id` arrived. `None` when no UNSUBSCRIBE has that id.
    pub(crate) fn unsuback(&mut self, id: PacketId) -> Option<Acked> {
        let mut acked = Acked {
            report: false,
            filters: 0,
        };
        self.store.retain(|m, _| {
            let r = Rec::decode(m);
            let hit = r.kind == UNSUB && r.id == id.get();
            if hit {
                acked.report |= r.x & u16::from(FLAG_REPORT) != 0;
                acked.filters += 1;
            }
            !hit
        });
        (acked.filters > 0).then_some(acked)
    }

    /// Number of stored subscriptions (acknowledged or not).
    pub(crate) fn subscription_count(&self) -> usize {
        self.recs().filter(|(_, r)| r.kind == SUB).count()
    }

    /// After a reconnect: requests that were not acknowledged are sent again. When the broker has
    /// no session (`session_present == false`), every subscription is sent again too, each with a
    /// fresh packet id from `alloc`, and pending unsubscriptions are moot: they are marked so that
    /// [`Topics::take_moot`] reports them one by one.
    pub(crate) fn on_reconnect(
        &mut self,
        session_present: bool,
        mut alloc: impl FnMut(&Self) -> Option<PacketId>,
    ) {
        let mut cur = self.store.first();
        while let Some(at) = cur {
            let mut r = Rec::decode(self.store.meta(at));
            if r.kind == UNSUB && !session_present {
                r.x = (r.x & u16::from(FLAG_REPORT)) | u16::from(FLAG_MOOT);
            } else if r.kind == SUB && r.id == 0 && !session_present {
                // A restore nobody asked for: no event when its SUBACK comes.
                match alloc(self) {
                    Some(id) => {
                        r.id = id.get();
                        r.x = u16::from(FLAG_PENDING);
                    }
                    None => log::error!("no packet id left to restore a subscription"),
                }
            } else if (r.kind == SUB || r.kind == UNSUB)
                && r.id != 0
                && r.x & u16::from(FLAG_MOOT) == 0
            {
                r.x |= u16::from(FLAG_PENDING);
            }
            self.store.set_meta(at, r.encode());
            cur = self.store.next(at);
        }
    }

    /// Removes one moot unsubscription request (all its filters) and returns its id and whether
    /// the application asked for it.
    pub(crate) fn take_moot(&mut self) -> Option<(PacketId, bool)> {
        let (_, r) = self
            .recs()
            .find(|(_, r)| r.kind == UNSUB && r.x & u16::from(FLAG_MOOT) != 0)?;
        let id = PacketId::new(r.id)?;
        self.unsuback(id).map(|a| (id, a.report))
    }

    // ----- topic aliases (MQTT 5.0 §3.3.2.3.4) -----

    /// Forgets every alias: they live for one network connection only.
    pub(crate) fn clear_aliases(&mut self) {
        self.store
            .retain(|m, _| m[2] != IN_ALIAS && m[2] != OUT_ALIAS);
    }

    /// The topic the broker mapped to incoming alias `alias`.
    pub(crate) fn incoming_alias(&self, alias: u16) -> Option<&str> {
        self.recs()
            .find(|(_, r)| r.kind == IN_ALIAS && r.x == alias)
            .map(|(at, _)| self.text(at))
    }

    /// Maps incoming alias `alias` to `topic`, replacing an earlier mapping. `false` when the pool is full.
    pub(crate) fn set_incoming_alias(&mut self, alias: u16, topic: &str) -> bool {
        self.store
            .retain(|m, _| !(m[2] == IN_ALIAS && u16::from_le_bytes([m[4], m[5]]) == alias));
        self.push_text(
            Rec {
                id: 0,
                kind: IN_ALIAS,
                opts: 0,
                x: alias,
            },
            topic,
        )
    }

    /// The alias this client gave `topic` on this connection.
    pub(crate) fn outgoing_alias(&self, topic: &str) -> Option<u16> {
        self.recs()
            .find(|(at, r)| r.kind == OUT_ALIAS && self.store.data(*at) == topic.as_bytes())
            .map(|(_, r)| r.x)
    }

    /// The alias `topic` would get next (at most `max`), without recording it: the mapping only
    /// exists once the PUBLISH carrying it was written ([`Topics::commit_outgoing_alias`]).
    /// `None` when all are taken or there is no room.
    pub(crate) fn peek_outgoing_alias(&self, topic: &str, max: u16) -> Option<u16> {
        let next = self
            .recs()
            .filter(|(_, r)| r.kind == OUT_ALIAS)
            .map(|(_, r)| r.x)
            .max()
            .unwrap_or(0)
            .checked_add(1)?;
        (next <= max && self.store.free() >= HEADER + topic.len()).then_some(next)
    }

    /// Records that `alias` now stands for `topic` on this connection.
    pub(crate) fn commit_outgoing_alias(&mut self, topic: &str, alias: u16) {
        let _ = self.store.push(
            Rec {
                id: 0,
                kind: OUT_ALIAS,
                opts: 0,
                x: alias,
            }
            .encode(),
            &[topic.as_bytes()],
        );
    }

    // ----- assigned client identifier (MQTT 5.0 §3.2.2.3.7) -----

    /// The client identifier the broker assigned, to be used on every later connect.
    pub(crate) fn assigned_client_id(&self) -> Option<&str> {
        self.recs()
            .find(|(_, r)| r.kind == CLIENT_ID)
            .map(|(at, _)| self.text(at))
    }

    /// Stores the identifier the broker assigned. `false` when there is no room.
    pub(crate) fn set_assigned_client_id(&mut self, id: &str) -> bool {
        self.store.retain(|m, _| m[2] != CLIENT_ID);
        self.push_text(
            Rec {
                id: 0,
                kind: CLIENT_ID,
                opts: 0,
                x: 0,
            },
            id,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn id(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    #[test]
    fn subscriptions_are_sent_once_and_kept_after_suback() {
        let mut t = Topics::<256>::default();
        assert!(t.add_subscription(id(1), "a/#", 1, true));
        assert!(t.add_subscription(id(1), "b/+", 2, true));
        assert_eq!(
            t.next_pending(),
            Some(PendingRequest {
                id: id(1),
                subscribe: true
            })
        );
        assert_eq!(
            t.request_filters(id(1), true).collect::<Vec<_>>(),
            [("a/#", 1), ("b/+", 2)]
        );
        t.mark_sent(id(1));
        assert_eq!(t.next_pending(), None);
        assert_eq!(
            t.suback(id(1), &[1, 0x80]),
            Some(Acked {
                report: true,
                filters: 2
            })
        );
        // The refused filter is forgotten; the granted one stays for restoring.
        assert_eq!(t.subscription_count(), 1);
        assert!(!t.uses_id(id(1)));
        assert_eq!(t.suback(id(1), &[0]), None);
    }

    #[test]
    fn subscribing_again_to_an_acknowledged_filter_replaces_it() {
        let mut t = Topics::<256>::default();
        t.add_subscription(id(1), "a", 0, true);
        t.mark_sent(id(1));
        t.suback(id(1), &[0]);
        t.add_subscription(id(2), "a", 2, true);
        assert_eq!(t.subscription_count(), 1);
        assert_eq!(
            t.request_filters(id(2), true).collect::<Vec<_>>(),
            [("a", 2)]
        );
        // A pending one is kept: its SUBACK still owes the application an event.
        t.add_subscription(id(3), "a", 1, true);
        assert_eq!(t.subscription_count(), 2);
    }

    #[test]
    fn session_loss_restores_subscriptions_with_fresh_ids_and_settles_unsubscriptions() {
        let mut t = Topics::<256>::default();
        t.add_subscription(id(1), "a", 1, true);
        t.mark_sent(id(1));
        t.suback(id(1), &[1]);
        t.add_subscription(id(2), "b", 1, true);
        t.mark_sent(id(2));
        t.add_unsubscription(id(3), "c", true);
        t.mark_sent(id(3));
        let mut next = 10;
        t.on_reconnect(false, |_| {
            next += 1;
            PacketId::new(next)
        });
        assert_eq!(t.take_moot(), Some((id(3), true)));
        assert_eq!(t.take_moot(), None);
        assert_eq!(
            t.next_pending(),
            Some(PendingRequest {
                id: id(11),
                subscribe: true
            })
        );
        t.mark_sent(id(11));
        assert_eq!(
            t.next_pending(),
            Some(PendingRequest {
                id: id(2),
                subscribe: true
            })
        );
        // The restore of "a" is internal: no event.
        assert_eq!(
            t.suback(id(11), &[1]),
            Some(Acked {
                report: false,
                filters: 1
            })
        );
    }

    #[test]
    fn session_kept_resends_only_unacknowledged_requests() {
        let mut t = Topics::<256>::default();
        t.add_subscription(id(1), "a", 1, true);
        t.mark_sent(id(1));
        t.suback(id(1), &[1]);
        t.add_unsubscription(id(2), "b", true);
        t.mark_sent(id(2));
        t.on_reconnect(true, |_| None);
        assert_eq!(t.take_moot(), None);
        assert_eq!(
            t.next_pending(),
            Some(PendingRequest {
                id: id(2),
                subscribe: false
            })
        );
        assert_eq!(
            t.unsuback(id(2)),
            Some(Acked {
                report: true,
                filters: 1
            })
        );
        assert_eq!(t.next_pending(), None);
    }

    #[test]
    fn unsubscribing_forgets_the_subscription() {
        let mut t = Topics::<256>::default();
        t.add_subscription(id(1), "a", 1, true);
        t.add_unsubscription(id(2), "a", true);
        assert_eq!(t.subscription_count(), 0);
    }

    #[test]
    fn aliases_map_both_ways_and_clear_on_reconnect() {
        let mut t = Topics::<256>::default();
        assert!(t.set_incoming_alias(1, "sensors/1"));
        assert!(t.set_incoming_alias(1, "sensors/2"));
        assert_eq!(t.incoming_alias(1), Some("sensors/2"));
        assert_eq!(t.peek_outgoing_alias("x", 2), Some(1));
        assert_eq!(t.peek_outgoing_alias("x", 2), Some(1));
        t.commit_outgoing_alias("x", 1);
        assert_eq!(t.peek_outgoing_alias("y", 2), Some(2));
        t.commit_outgoing_alias("y", 2);
        assert_eq!(t.peek_outgoing_alias("z", 2), None);
        assert_eq!(t.outgoing_alias("y"), Some(2));
        t.clear_aliases();
        assert_eq!(t.incoming_alias(1), None);
        assert_eq!(t.outgoing_alias("y"), None);
    }

    #[test]
    fn outgoing_aliases_give_way_to_subscriptions() {
        let mut t = Topics::<40>::default();
        t.commit_outgoing_alias("0123456789", 1);
        assert!(t.has_room(1, 20));
        assert!(t.add_subscription(id(1), "abcdefghijklmnopqrst", 0, true));
        assert_eq!(t.outgoing_alias("0123456789"), None);
        assert!(!t.has_room(1, 20));
    }

    #[test]
    fn assigned_client_id_is_kept() {
        let mut t = Topics::<64>::default();
        assert_eq!(t.assigned_client_id(), None);
        assert!(t.set_assigned_client_id("auto-1234"));
        assert!(t.set_assigned_client_id("auto-5678"));
        assert_eq!(t.assigned_client_id(), Some("auto-5678"));
    }
}
