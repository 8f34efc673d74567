//! Outgoing messages: the offline queue and the in-flight messages, in one ordered byte pool.
//!
//! Every message `publish` accepted lives here as one record, from the call until its
//! `Published`/`PublishFailed` event was handed out: first `Queued` (never sent), then, for QoS 1
//! and 2, `AwaitAck` (PUBLISH sent, waiting for PUBACK/PUBREC) and, for QoS 2, `AwaitComp` (PUBREL
//! sent, waiting for PUBCOMP), and finally `Done` or `Failed` until the event is polled. Keeping
//! the finished ones until then is what lets many completions (say, after a reconnect) be reported
//! one by one without an event queue as large as the pool.
//!
//! A record's data is `topic ++ payload`, kept until the broker has the message (PUBACK, PUBREC;
//! then the record shrinks to its 8-byte header until its event is polled). Records stay in
//! publish order, so resending after a reconnect and draining the queue keep the order per QoS
//! that MQTT 3.1.1 §4.6 asks for.

use super::store::{Meta, RecordStore, HEADER};
use super::PacketId;
#[cfg(feature = "v5")]
use crate::codec;
use crate::codec::{Properties, QoS, ReasonCode};
use crate::error::MqttError;

/// Bytes the MQTT 5.0 property section of a message takes in its record: in a build with 5.0,
/// every record keeps one (one byte when empty), between topic and payload, as it goes on the
/// wire; without 5.0, none.
fn section_len(properties: &Properties<'_>) -> usize {
    if cfg!(feature = "v5") {
        properties.wire_len()
    } else {
        0
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Accepted, never sent: waits for a connection or an in-flight slot.
    Queued,
    /// PUBLISH sent (QoS 1 or 2), PUBACK or PUBREC awaited.
    AwaitAck,
    /// PUBREC received and PUBREL sent (QoS 2), PUBCOMP awaited.
    AwaitComp,
    /// Delivered (acked, completed, or QoS 0 written); the event is not yet polled.
    Done,
    /// Failed; the event is not yet polled.
    Failed(Failure),
}

/// Why a message the client had accepted could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The broker refused it: an MQTT 5.0 PUBACK or PUBREC with this reason code (0x80 or above).
    Rejected(ReasonCode),
    /// It is larger than the Maximum Packet Size the broker announced in CONNACK (MQTT 5.0 §3.2.2.3.6).
    TooLarge,
    /// It has a higher QoS than the Maximum QoS the broker announced in CONNACK (MQTT 5.0 §3.2.2.3.4).
    QosNotSupported,
    /// The broker closed the connection each of the [`STRIKES_TO_FAIL`] times in a row this
    /// message was the oldest one it had not acknowledged: a message it cannot take (too large
    /// for its limit, characters it treats as malformed …). Given up so the others get through.
    BrokerDroppedLink,
    /// A QoS 2 message the broker had acknowledged with PUBREC when it lost the session (CONNACK
    /// with Session Present 0). It was received; whether it was delivered cannot be known, and
    /// sending it again could deliver it twice, so it is not re-sent (MQTT 3.1.1 §4.3.3).
    SessionLost,
}

/// How many times in a row the broker may drop the link with a message as the oldest it has not
/// acknowledged before the client gives up on it ([`Failure::BrokerDroppedLink`]).
///
/// Why 5: a link that dies for other reasons can also take a message down with it. After the
/// first close the suspect is sent alone right after CONNACK, with nothing written after it until
/// it is acknowledged, so only a link that fails within one round trip of it counts again; in the
/// host fault-injection test (a cut every 20–1500 client bytes) that is about one close in 25,
/// and five in a row about one in ten million.
pub const STRIKES_TO_FAIL: u8 = 5;

/// Without `Debug`'s tuple formatting: the glue logs failures in every build with log lines.
impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failure::Rejected(rc) => write!(f, "refused by the broker, {rc}"),
            Failure::TooLarge => f.write_str(MqttError::MessageTooLarge.description()),
            Failure::QosNotSupported => f.write_str("QoS above the broker's Maximum QoS"),
            Failure::BrokerDroppedLink => {
                f.write_str(MqttError::BrokerDroppedMessage.description())
            }
            Failure::SessionLost => f.write_str(MqttError::SessionLost.description()),
        }
    }
}

impl core::error::Error for Failure {}

impl Failure {
    /// The number the DL-7450 `on_publish_failed` callback reports: the broker's MQTT 5.0 reason
    /// code (0x80 and above) for [`Failure::Rejected`], else a negative [`MqttError`] number.
    pub fn code(self) -> i32 {
        match self {
            Failure::Rejected(rc) => i32::from(rc.0),
            Failure::TooLarge => MqttError::MessageTooLarge.code(),
            Failure::QosNotSupported => MqttError::BadQos.code(),
            Failure::BrokerDroppedLink => MqttError::BrokerDroppedMessage.code(),
            Failure::SessionLost => MqttError::SessionLost.code(),
        }
    }

    fn encode(self) -> [u8; 2] {
        match self {
            Failure::Rejected(rc) => [0, rc.0],
            Failure::TooLarge => [1, 0],
            Failure::QosNotSupported => [2, 0],
            Failure::BrokerDroppedLink => [3, 0],
            Failure::SessionLost => [4, 0],
        }
    }

    fn decode(b: [u8; 2]) -> Failure {
        match b[0] {
            0 => Failure::Rejected(ReasonCode(b[1])),
            1 => Failure::TooLarge,
            2 => Failure::QosNotSupported,
            3 => Failure::BrokerDroppedLink,
            _ => Failure::SessionLost,
        }
    }
}

/// The decoded metadata of one message record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MsgMeta {
    /// The message id (`mid`), also the packet id on the wire for QoS 1 and 2.
    pub(crate) id: PacketId,
    pub(crate) stage: Stage,
    pub(crate) qos: QoS,
    pub(crate) retain: bool,
    /// AwaitAck: PUBLISH must be (re)sent; AwaitComp: PUBREL must be (re)sent.
    pub(crate) pending: bool,
    /// The PUBLISH went on the wire before, so a resend carries DUP (MQTT 3.1.1 §3.3.1.1).
    pub(crate) sent: bool,
    /// How many links in a row the broker closed while this was its oldest unacknowledged
    /// message (0 to [`STRIKES_TO_FAIL`], in three bits).
    pub(crate) strikes: u8,
    /// Length of the topic at the start of the data (the rest is the payload).
    pub(crate) topic_len: u16,
    /// Retry-clock ticks since the PUBLISH or PUBREL was last written (0 to 7, in the stage
    /// byte's high bits; see `Client::retry_tick`).
    #[cfg(feature = "retry")]
    pub(crate) age: u8,
}

impl MsgMeta {
    fn encode(&self) -> Meta {
        let (stage, extra) = match self.stage {
            Stage::Queued => (0, self.topic_len.to_le_bytes()),
            Stage::AwaitAck => (1, self.topic_len.to_le_bytes()),
            Stage::AwaitComp => (2, self.topic_len.to_le_bytes()),
            Stage::Done => (3, self.topic_len.to_le_bytes()),
            Stage::Failed(f) => (4, f.encode()),
        };
        let flags = self.qos as u8
            | u8::from(self.retain) << 2
            | u8::from(self.pending) << 3
            | u8::from(self.sent) << 4
            | (self.strikes.min(7)) << 5;
        #[cfg(feature = "retry")]
        let stage = stage | self.age.min(7) << 4;
        let id = self.id.get().to_le_bytes();
        [id[0], id[1], stage, flags, extra[0], extra[1]]
    }

    fn decode(m: Meta) -> MsgMeta {
        let extra = [m[4], m[5]];
        let stage = match m[2] & 0x0f {
            0 => Stage::Queued,
            1 => Stage::AwaitAck,
            2 => Stage::AwaitComp,
            3 => Stage::Done,
            _ => Stage::Failed(Failure::decode(extra)),
        };
        let topic_len = if matches!(stage, Stage::Failed(_)) {
            0
        } else {
            u16::from_le_bytes(extra)
        };
        MsgMeta {
            // Only `push` writes ids, always non-zero.
            id: PacketId::new(u16::from_le_bytes([m[0], m[1]])).unwrap_or(PacketId::MIN),
            stage,
            qos: QoS::try_from(m[3] & 3).unwrap_or(QoS::AtMostOnce),
            retain: m[3] & 4 != 0,
            pending: m[3] & 8 != 0,
            sent: m[3] & 16 != 0,
            strikes: m[3] >> 5,
            topic_len,
            #[cfg(feature = "retry")]
            age: (m[2] >> 4) & 7,
        }
    }

    /// Whether the message holds a slot of the in-flight window (MQTT 5.0 Receive Maximum).
    pub(crate) fn is_in_flight(&self) -> bool {
        matches!(self.stage, Stage::AwaitAck | Stage::AwaitComp)
    }

    /// Whether the message is still to be delivered (counts against the capacities).
    pub(crate) fn is_live(&self) -> bool {
        matches!(
            self.stage,
            Stage::Queued | Stage::AwaitAck | Stage::AwaitComp
        )
    }
}

/// The outgoing messages, in publish order, in a pool of `B` bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct MessageQueue<const B: usize> {
    store: RecordStore<B>,
}

impl<const B: usize> MessageQueue<B> {
    /// An empty queue.
    pub(crate) const fn new() -> Self {
        MessageQueue {
            store: RecordStore::new(),
        }
    }

    /// Bytes a message with this topic and payload takes in the pool.
    pub(crate) fn footprint(topic: &str, properties: &Properties<'_>, payload: &[u8]) -> usize {
        HEADER + topic.len() + section_len(properties) + payload.len()
    }

    /// Stores a new message in stage `Queued`. `false` when the pool has no room.
    pub(crate) fn push(
        &mut self,
        id: PacketId,
        qos: QoS,
        retain: bool,
        topic: &str,
        properties: &Properties<'_>,
        payload: &[u8],
    ) -> bool {
        let Ok(topic_len) = u16::try_from(topic.len()) else {
            return false;
        };
        let section = section_len(properties);
        let meta = MsgMeta {
            id,
            stage: Stage::Queued,
            qos,
            retain,
            pending: false,
            sent: false,
            strikes: 0,
            topic_len,
            #[cfg(feature = "retry")]
            age: 0,
        };
        let t = topic.len();
        let Some(at) = self
            .store
            .reserve(meta.encode(), t + section + payload.len())
        else {
            return false;
        };
        let data = self.store.data_mut(at);
        data[..t].copy_from_slice(topic.as_bytes());
        data[t + section..].copy_from_slice(payload);
        #[cfg(feature = "v5")]
        if codec::emit_publish_section(properties, &mut data[t..t + section]).is_err() {
            // `Client::publish` checked the properties: not reached.
            self.store.remove(at);
            return false;
        }
        true
    }

    /// Offsets of all records, front to back.
    pub(crate) fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        self.store.offsets()
    }

    pub(crate) fn first(&self) -> Option<usize> {
        self.store.first()
    }

    pub(crate) fn next(&self, at: usize) -> Option<usize> {
        self.store.next(at)
    }

    /// The metadata of the record at `at`.
    pub(crate) fn meta(&self, at: usize) -> MsgMeta {
        MsgMeta::decode(self.store.meta(at))
    }

    pub(crate) fn set_meta(&mut self, at: usize, meta: MsgMeta) {
        self.store.set_meta(at, meta.encode());
    }

    /// Topic, MQTT 5.0 properties and payload of the record at `at` (empty once the record
    /// was shrunk).
    pub(crate) fn parts(&self, at: usize) -> (&str, Properties<'_>, &[u8]) {
        let data = self.store.data(at);
        let topic_len = usize::from(self.meta(at).topic_len).min(data.len());
        let (topic, rest) = data.split_at(topic_len);
        // Only `push` writes topics, always from a `&str`.
        let topic = core::str::from_utf8(topic).unwrap_or("");
        #[cfg(feature = "v5")]
        if let Some((properties, payload)) = codec::split_section(rest) {
            return (topic, Properties::Encoded(properties), payload);
        }
        (topic, Properties::EMPTY, rest)
    }

    /// The live record with message id `id`.
    pub(crate) fn find(&self, id: PacketId) -> Option<(usize, MsgMeta)> {
        self.offsets()
            .map(|at| (at, self.meta(at)))
            .find(|(_, m)| m.id == id)
    }

    /// Moves the record at `at` to `stage`. `AwaitComp`, `Done` and `Failed` drop topic and
    /// payload, which are no longer needed: after PUBREC only the packet id travels (PUBREL), and
    /// a message the broker acknowledged is never sent again, even if the broker then loses the
    /// session (see `Failure::SessionLost`).
    pub(crate) fn set_stage(&mut self, at: usize, stage: Stage, pending: bool) {
        let mut meta = self.meta(at);
        meta.stage = stage;
        meta.pending = pending;
        #[cfg(feature = "retry")]
        {
            meta.age = 0;
        }
        if matches!(stage, Stage::AwaitComp | Stage::Done | Stage::Failed(_)) {
            meta.topic_len = 0;
            self.store.truncate(at, 0);
        }
        self.set_meta(at, meta);
    }

    pub(crate) fn remove(&mut self, at: usize) {
        self.store.remove(at);
    }

    /// Number of records matching `f`.
    pub(crate) fn count(&self, f: impl Fn(&MsgMeta) -> bool) -> usize {
        self.offsets().filter(|&at| f(&self.meta(at))).count()
    }

    /// Whether a record (of any stage) uses message id `id`.
    pub(crate) fn uses_id(&self, id: PacketId) -> bool {
        self.offsets().any(|at| self.meta(at).id == id)
    }

    /// Whether a message of this size would fit now.
    pub(crate) fn has_room_for(&self, bytes: usize) -> bool {
        bytes <= self.store.free()
    }

    /// Bytes in use.
    pub(crate) fn used(&self) -> usize {
        self.store.used()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    #[test]
    fn meta_round_trips_through_six_bytes() {
        for stage in [
            Stage::Queued,
            Stage::AwaitAck,
            Stage::AwaitComp,
            Stage::Done,
            Stage::Failed(Failure::Rejected(ReasonCode(0x87))),
            Stage::Failed(Failure::TooLarge),
            Stage::Failed(Failure::QosNotSupported),
            Stage::Failed(Failure::BrokerDroppedLink),
            Stage::Failed(Failure::SessionLost),
        ] {
            let topic_len = if matches!(stage, Stage::Failed(_)) {
                0
            } else {
                300
            };
            let m = MsgMeta {
                id: id(65535),
                stage,
                qos: QoS::ExactlyOnce,
                retain: true,
                pending: true,
                sent: false,
                strikes: STRIKES_TO_FAIL,
                topic_len,
                #[cfg(feature = "retry")]
                age: 5,
            };
            assert_eq!(MsgMeta::decode(m.encode()), m);
        }
    }

    /// The per-record section byte of a build with MQTT 5.0 (an empty property section).
    const SECTION: usize = if cfg!(feature = "v5") { 1 } else { 0 };

    fn push(q: &mut MessageQueue<128>, n: u16, qos: QoS, retain: bool, t: &str, p: &[u8]) -> bool {
        q.push(id(n), qos, retain, t, &Properties::EMPTY, p)
    }

    fn topic_payload<const B: usize>(q: &MessageQueue<B>, at: usize) -> (&str, &[u8]) {
        let (topic, properties, payload) = q.parts(at);
        assert!(properties.is_empty());
        (topic, payload)
    }

    #[test]
    fn messages_keep_topic_and_payload_until_the_broker_has_them() {
        let mut q = MessageQueue::<128>::default();
        assert!(push(&mut q, 1, QoS::ExactlyOnce, false, "a/b", b"hello"));
        assert!(push(&mut q, 2, QoS::AtLeastOnce, true, "c", b"x"));
        let (at, m) = q.find(id(1)).unwrap();
        assert_eq!(m.stage, Stage::Queued);
        assert_eq!(topic_payload(&q, at), ("a/b", &b"hello"[..]));
        q.set_stage(at, Stage::AwaitAck, false);
        assert_eq!(topic_payload(&q, at), ("a/b", &b"hello"[..]));
        let before = q.used();
        q.set_stage(at, Stage::AwaitComp, true);
        let (at, m) = q.find(id(1)).unwrap();
        assert_eq!(
            (m.stage, m.pending, m.qos),
            (Stage::AwaitComp, true, QoS::ExactlyOnce)
        );
        assert_eq!(q.used(), before - 8 - SECTION);
        assert_eq!(topic_payload(&q, at), ("", &b""[..]));
        q.set_stage(at, Stage::Done, false);
        assert_eq!(q.used(), before - 8 - SECTION);
        let (at2, m2) = q.find(id(2)).unwrap();
        assert!(m2.retain);
        assert_eq!(topic_payload(&q, at2), ("c", &b"x"[..]));
    }

    #[test]
    fn a_full_pool_refuses_messages() {
        let mut q = MessageQueue::<32>::default();
        let none = Properties::EMPTY;
        assert!(q.push(id(1), QoS::AtLeastOnce, false, "t", &none, &[0; 10]));
        assert!(!q.push(id(2), QoS::AtLeastOnce, false, "t", &none, &[0; 10]));
        let free = 32 - (HEADER + 1 + SECTION + 10);
        let fits = free - HEADER - 1 - SECTION;
        let footprint = |n| MessageQueue::<32>::footprint("t", &none, &vec![0; n]);
        assert!(q.has_room_for(footprint(fits)));
        assert!(!q.has_room_for(footprint(fits + 1)));
    }

    /// MQTT 5.0 §3.3.2.3: the stored section is what goes on the wire, so the properties come
    /// back whole for every resend.
    #[cfg(feature = "v5")]
    #[test]
    fn properties_are_kept_between_topic_and_payload() {
        use crate::codec::Property;
        let mut q = MessageQueue::<128>::default();
        let list = [
            Property::MessageExpiryInterval(60),
            Property::UserProperty("k", "v"),
        ];
        assert!(q.push(
            id(1),
            QoS::AtLeastOnce,
            false,
            "a",
            &Properties::List(&list),
            b"p"
        ));
        let at = q.find(id(1)).unwrap().0;
        let (topic, properties, payload) = q.parts(at);
        assert_eq!((topic, payload), ("a", &b"p"[..]));
        assert_eq!(properties, Properties::List(&list));
        // Section: length 12, then Message Expiry (02 and 4 bytes) and User Property (26 and
        // two strings of 2 + 1 bytes), MQTT 5.0 §2.2.2.
        assert_eq!(q.used(), HEADER + 1 + 1 + 12 + 1);
    }
}
