//! The packets a client sends, written straight into the transmit buffer (client role, size
//! first): CONNECT (§3.1), PUBLISH (§3.3), PUBACK/PUBREC/PUBREL/PUBCOMP (§3.4 to §3.7),
//! SUBSCRIBE (§3.8), UNSUBSCRIBE (§3.10), PINGREQ (§3.12) and DISCONNECT (§3.14) of MQTT 3.1.1
//! and 5.0.
//!
//! No [`Packet`](super::Packet) value is built: each writer takes the engine's own fields (a
//! queued record's topic, property section and payload; a request's stored filters), works out
//! the remaining length with a few additions, and writes the fixed header and the body through
//! the cursor, which records the first overflow once. A write that does not fit gives
//! [`EncodeError::BufferTooSmall`], which the engine reads as "later, with room", never as "too
//! large". The generic encoder stays for tests, fuzzers and fake brokers: they decode what these
//! writers wrote, with the codec's decoder and with other implementations.
//!
//! What the engine checked when it accepted a value is not checked again here (topics and
//! filters are `TopicName`/`TopicFilter`s, a message's property section passed
//! `outgoing_properties` before it was stored, 3.1.1 subscriptions carry only a QoS); the rules
//! the engine does not check beforehand still are: string and binary lengths, the remaining
//! length's range, reason codes per packet, No Local on a shared subscription, and CONNECT's
//! will properties.

use super::cursor::{field_len, Writer};
use super::error::{EncodeError, V5Only};
#[cfg(feature = "v5")]
use super::properties::{property_id, Context, Properties};
use super::reason::{self, ReasonCode};
use super::string::MqttStr;
use super::topic::{is_shared_subscription, TopicError, TopicName};
use super::{packet_type, varint, PacketId, QoS};

/// Writes the fixed header (first byte `first`, remaining length `body`), then `emit_body`, into
/// the front of `tx`; returns the bytes written. Inlined so that each packet's body is a straight
/// run of writes with one error check at the end.
#[inline(always)]
fn frame(
    tx: &mut [u8],
    first: u8,
    body: usize,
    emit_body: impl FnOnce(&mut Writer<'_>) -> Result<(), EncodeError>,
) -> Result<usize, EncodeError> {
    let mut w = Writer::new(tx);
    w.u8(first);
    w.varint(body);
    let rules = emit_body(&mut w);
    w.finish(rules)?;
    debug_assert_eq!(
        w.position(),
        1 + varint::len(body) + body,
        "length and body disagree"
    );
    Ok(w.position())
}

/// Copies the first `n` bytes of `bytes`, a whole packet of at most five bytes, into the front
/// of `tx`. The fixed-size packets (acks, PINGREQ, DISCONNECT) are built in registers and copied
/// once: through the cursor each took ~300 bytes of Cortex-M code.
fn short(tx: &mut [u8], bytes: [u8; 5], n: usize) -> Result<usize, EncodeError> {
    match (tx.get_mut(..n), bytes.get(..n)) {
        (Some(out), Some(packet)) => {
            out.copy_from_slice(packet);
            Ok(n)
        }
        _ => Err(EncodeError::BufferTooSmall { needed: n }),
    }
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP (`kind` is the packet type) for `id`. 5.0 writes the reason
/// code only when it is not 0x00 Success (§3.4.2.1: the short form), and never properties.
pub(crate) fn ack(
    tx: &mut [u8],
    v5: bool,
    kind: u8,
    id: PacketId,
    reason: ReasonCode,
) -> Result<usize, EncodeError> {
    let with_reason = reason != ReasonCode::SUCCESS;
    if with_reason {
        let allowed = match kind {
            packet_type::PUBACK | packet_type::PUBREC => reason::PUBACK_V5,
            _ => reason::PUBREL_V5,
        };
        if !v5 || !allowed.contains(&reason.0) {
            return Err(EncodeError::ReasonCode(reason.0));
        }
    }
    let flags = if kind == packet_type::PUBREL { 2 } else { 0 };
    let body = 2 + u8::from(with_reason);
    let [hi, lo] = id.get().to_be_bytes();
    short(
        tx,
        [kind << 4 | flags, body, hi, lo, reason.0],
        2 + usize::from(body),
    )
}

/// PINGREQ: a fixed header alone.
pub(crate) fn pingreq(tx: &mut [u8]) -> Result<usize, EncodeError> {
    short(tx, [packet_type::PINGREQ << 4, 0, 0, 0, 0], 2)
}

/// DISCONNECT. 5.0 writes `reason` unless it is 0x00 Normal disconnection (§3.14.2.1); 3.1.1
/// has no reason to carry, so it is left out there.
pub(crate) fn disconnect(
    tx: &mut [u8],
    v5: bool,
    reason: ReasonCode,
) -> Result<usize, EncodeError> {
    let with_reason = v5 && reason != ReasonCode::NORMAL_DISCONNECTION;
    if with_reason && !reason::DISCONNECT_V5.contains(&reason.0) {
        return Err(EncodeError::ReasonCode(reason.0));
    }
    let body = u8::from(with_reason);
    short(
        tx,
        [packet_type::DISCONNECT << 4, body, reason.0, 0, 0],
        2 + usize::from(body),
    )
}

/// A PUBLISH to write.
#[derive(Clone, Copy)]
pub(crate) struct Publish<'a> {
    pub(crate) dup: bool,
    pub(crate) qos: QoS,
    pub(crate) retain: bool,
    /// Checked when the message was accepted; empty only when `properties` hold a Topic Alias.
    pub(crate) topic: &'a str,
    /// Sent for QoS 1 and 2 only.
    pub(crate) id: PacketId,
    /// 5.0: the property section's content (without its length), checked when the message was
    /// accepted or made by the engine (a Topic Alias). Ignored by 3.1.1.
    pub(crate) properties: &'a [u8],
    pub(crate) payload: &'a [u8],
}

/// The wire size of a 5.0 property section whose content is `content` bytes (its length, a
/// Variable Byte Integer, then the content); 0 for 3.1.1, which has none.
pub(crate) const fn section_len(v5: bool, content: usize) -> usize {
    if v5 {
        varint::len(content) + content
    } else {
        0
    }
}

/// The remaining length of a PUBLISH: topic, packet id (QoS 1 and 2), the property section
/// (`section` bytes, see [`section_len`]) and the payload.
pub(crate) fn publish_body_len(topic: usize, qos: QoS, section: usize, payload: usize) -> usize {
    let id = if qos == QoS::AtMostOnce { 0 } else { 2 };
    field_len(topic)
        .saturating_add(id + section)
        .saturating_add(payload)
}

/// The whole size of a packet with remaining length `body` (fixed header included), the number
/// compared with the Maximum Packet Size (MQTT 5.0 §3.1.2.11.4).
pub(crate) const fn packet_len(body: usize) -> usize {
    body.saturating_add(1 + varint::len(body))
}

impl Publish<'_> {
    /// The remaining length of this PUBLISH.
    pub(crate) fn body_len(&self, v5: bool) -> usize {
        publish_body_len(
            self.topic.len(),
            self.qos,
            section_len(v5, self.properties.len()),
            self.payload.len(),
        )
    }

    /// Writes it into the front of `tx`; `body` is its [`body_len`](Self::body_len), which the
    /// caller has worked out already (to compare the size with the limits).
    pub(crate) fn write(&self, tx: &mut [u8], v5: bool, body: usize) -> Result<usize, EncodeError> {
        let flags = u8::from(self.dup) << 3 | (self.qos as u8) << 1 | u8::from(self.retain);
        frame(tx, packet_type::PUBLISH << 4 | flags, body, |w| {
            w.checked_string(self.topic);
            if self.qos != QoS::AtMostOnce {
                w.u16(self.id.get());
            }
            if v5 {
                w.varint(self.properties.len());
                w.bytes(self.properties);
            }
            w.bytes(self.payload);
            Ok(())
        })
    }
}

/// The content of a PUBLISH property section holding only Topic Alias `alias` (MQTT 5.0
/// §3.3.2.3.4).
#[cfg(feature = "v5")]
pub(crate) fn topic_alias_property(alias: u16) -> [u8; 3] {
    let [hi, lo] = alias.to_be_bytes();
    [property_id::TOPIC_ALIAS, hi, lo]
}

/// The remaining length of a SUBSCRIBE (`subscribe`) or UNSUBSCRIBE carrying `filters` (filter
/// and options byte; UNSUBSCRIBE has no options byte) and, in 5.0, an empty property section.
pub(crate) fn request_body_len<'f>(
    v5: bool,
    subscribe: bool,
    filters: impl Iterator<Item = (&'f str, u8)>,
) -> usize {
    filters.fold(2 + usize::from(v5), |n, (f, _)| {
        n.saturating_add(field_len(f.len()) + usize::from(subscribe))
    })
}

/// SUBSCRIBE (`subscribe`) or UNSUBSCRIBE `id` with the filters `filters()` gives (checked
/// `TopicFilter`s, each with the §3.8.3.1 options byte; 3.1.1 requests hold only a QoS there).
/// They are walked twice: once for the length, once to write.
pub(crate) fn request<'f, I>(
    tx: &mut [u8],
    v5: bool,
    subscribe: bool,
    id: PacketId,
    filters: impl Fn() -> I,
) -> Result<usize, EncodeError>
where
    I: Iterator<Item = (&'f str, u8)>,
{
    let (first, body) = if subscribe {
        (
            packet_type::SUBSCRIBE << 4 | 2,
            request_body_len(v5, true, filters()),
        )
    } else {
        (
            packet_type::UNSUBSCRIBE << 4 | 2,
            request_body_len(v5, false, filters()),
        )
    };
    frame(tx, first, body, |w| {
        let mut rule = Ok(());
        w.u16(id.get());
        if v5 {
            w.u8(0);
        }
        for (filter, options) in filters() {
            w.checked_string(filter);
            if subscribe {
                // MQTT 5.0 §3.8.3.1: No Local on a shared subscription is a Protocol Error.
                if options & 0x04 != 0 && is_shared_subscription(filter) {
                    rule = Err(EncodeError::SharedSubscriptionNoLocal);
                }
                w.u8(options);
            }
        }
        rule
    })
}

/// A CONNECT to write.
#[derive(Clone, Copy)]
pub(crate) struct Connect<'a> {
    pub(crate) client_id: MqttStr<'a>,
    pub(crate) keep_alive: u16,
    pub(crate) clean_start: bool,
    pub(crate) username: Option<MqttStr<'a>>,
    pub(crate) password: Option<&'a [u8]>,
    pub(crate) will: Option<Will<'a>>,
    /// 5.0: the CONNECT properties, as (identifier, value) pairs of four-byte or two-byte
    /// integers; a value equal to the spec's default is left out (see [`connect_property`]).
    #[cfg(feature = "v5")]
    pub(crate) properties: [(u8, u32); 4],
}

/// The Will Message of a CONNECT.
#[derive(Clone, Copy)]
pub(crate) struct Will<'a> {
    pub(crate) topic: TopicName<'a>,
    pub(crate) payload: &'a [u8],
    pub(crate) qos: QoS,
    pub(crate) retain: bool,
    /// 5.0 will properties, from the application: checked here against the Will's rules.
    #[cfg(feature = "v5")]
    pub(crate) properties: Properties<'a>,
}

/// The wire size of a CONNECT property (`0` for "left out"): the four integer properties the
/// client sends are Session Expiry Interval and Maximum Packet Size (four bytes), and Receive
/// Maximum and Topic Alias Maximum (two bytes). Table-driven: one `(id, value)` pair each.
#[cfg(feature = "v5")]
fn connect_property_len((pid, value): (u8, u32)) -> usize {
    match (pid, value) {
        (0, _) => 0,
        (property_id::SESSION_EXPIRY_INTERVAL | property_id::MAXIMUM_PACKET_SIZE, _) => 5,
        _ => 3,
    }
}

/// `(pid, value)` to send, or `(0, 0)` when `value` is the spec's default for `pid` (Session
/// Expiry 0, Receive Maximum 65,535, Topic Alias Maximum 0; Maximum Packet Size has no default
/// value the client would send).
#[cfg(feature = "v5")]
pub(crate) fn connect_property(pid: u8, value: u32) -> (u8, u32) {
    let default = match pid {
        property_id::RECEIVE_MAXIMUM => value == u32::from(u16::MAX),
        property_id::SESSION_EXPIRY_INTERVAL | property_id::TOPIC_ALIAS_MAXIMUM => value == 0,
        _ => false,
    };
    if default {
        (0, 0)
    } else {
        (pid, value)
    }
}

impl Connect<'_> {
    /// The length of the 5.0 property section's content (without its length prefix).
    #[cfg(feature = "v5")]
    fn properties_len(&self) -> usize {
        self.properties
            .iter()
            .map(|&p| connect_property_len(p))
            .sum()
    }

    fn body_len(&self, v5: bool) -> usize {
        // Protocol name (2 + 4), level, flags, keep alive.
        let mut n = 10 + field_len(self.client_id.len());
        #[cfg(feature = "v5")]
        if v5 {
            n += section_len(true, self.properties_len());
        }
        if let Some(will) = &self.will {
            #[cfg(feature = "v5")]
            if v5 {
                n = n.saturating_add(will.properties.wire_len());
            }
            n = n
                .saturating_add(field_len(will.topic.len()))
                .saturating_add(field_len(will.payload.len()));
        }
        if let Some(u) = self.username {
            n = n.saturating_add(field_len(u.len()));
        }
        if let Some(p) = self.password {
            n = n.saturating_add(field_len(p.len()));
        }
        let _ = v5;
        n
    }

    /// Writes it into the front of `tx`. 3.1.1 (level 4) or 5.0 (level 5) by `v5`.
    pub(crate) fn write(&self, tx: &mut [u8], v5: bool) -> Result<usize, EncodeError> {
        // Level 5 only where its property sections are built in.
        let v5 = v5 && cfg!(feature = "v5");
        // `Config::validate` has checked these; a CONNECT is rare, so they are checked again
        // rather than trusting that it ran on this very config.
        if !v5 && self.password.is_some() && self.username.is_none() {
            return Err(EncodeError::NotInV3_1_1(V5Only::PasswordWithoutUsername));
        }
        let mut flags = u8::from(self.clean_start) << 1;
        if let Some(will) = &self.will {
            if will.topic.is_empty() {
                return Err(EncodeError::Topic(TopicError::Empty));
            }
            #[cfg(feature = "v5")]
            if !v5 && !will.properties.is_empty() {
                return Err(EncodeError::NotInV3_1_1(V5Only::Properties));
            }
            flags |= 0x04 | (will.qos as u8) << 3 | u8::from(will.retain) << 5;
        }
        if self.password.is_some() {
            flags |= 0x40;
        }
        if self.username.is_some() {
            flags |= 0x80;
        }
        frame(tx, packet_type::CONNECT << 4, self.body_len(v5), |w| {
            #[cfg_attr(not(feature = "v5"), allow(unused_mut))]
            let mut rule = Ok(());
            w.binary(b"MQTT");
            w.u8(if v5 { 5 } else { 4 });
            w.u8(flags);
            w.u16(self.keep_alive);
            #[cfg(feature = "v5")]
            if v5 {
                w.varint(self.properties_len());
                for p in self.properties {
                    // MQTT 5.0 §3.1.2.11.3 and §3.1.2.11.4: Receive Maximum and Maximum Packet
                    // Size of 0 are Protocol Errors (a config made with `new_unchecked` can
                    // hold them).
                    let nonzero = matches!(
                        p.0,
                        property_id::RECEIVE_MAXIMUM | property_id::MAXIMUM_PACKET_SIZE
                    );
                    if nonzero && p.1 == 0 {
                        rule = Err(EncodeError::PropertyValue(p.0));
                    }
                    match connect_property_len(p) {
                        0 => {}
                        5 => {
                            w.u8(p.0);
                            w.u32(p.1);
                        }
                        _ => {
                            w.u8(p.0);
                            w.u16(p.1 as u16);
                        }
                    }
                }
            }
            w.checked_string(self.client_id.as_str());
            if let Some(will) = &self.will {
                #[cfg(feature = "v5")]
                if v5 {
                    rule = will.properties.emit(w, Context::Will);
                }
                w.checked_string(will.topic.as_str());
                w.binary(will.payload);
            }
            if let Some(u) = self.username {
                w.checked_string(u.as_str());
            }
            if let Some(p) = self.password {
                w.binary(p);
            }
            rule
        })
    }
}

/// The `tx Connect(..)` line of debug builds, as the generic `Packet`'s `Debug` shows it (the
/// password as its length only). CONNECT is traced here rather than read back from the buffer
/// like the other packets: without `broker` the codec has no CONNECT decoder.
#[cfg(feature = "log-debug")]
pub(crate) fn trace_connect(c: &Connect<'_>, v5: bool) {
    use super::Property;
    #[cfg(feature = "v5")]
    let list: heapless::Vec<Property<'_>, 4> = c
        .properties
        .iter()
        .filter(|p| v5 && p.0 != 0)
        .map(|&(pid, v)| match pid {
            property_id::SESSION_EXPIRY_INTERVAL => Property::SessionExpiryInterval(v),
            property_id::RECEIVE_MAXIMUM => Property::ReceiveMaximum(v as u16),
            property_id::MAXIMUM_PACKET_SIZE => Property::MaximumPacketSize(v),
            _ => Property::TopicAliasMaximum(v as u16),
        })
        .collect();
    #[cfg(not(feature = "v5"))]
    let list: [Property<'_>; 0] = [];
    let _ = v5;
    let repr = super::ConnectRepr {
        client_id: c.client_id,
        keep_alive: c.keep_alive,
        clean_start: c.clean_start,
        username: c.username,
        password: c.password,
        will: c.will.map(|w| super::Will {
            topic: w.topic,
            payload: w.payload,
            qos: w.qos,
            retain: w.retain,
            #[cfg(feature = "v5")]
            properties: if v5 {
                w.properties
            } else {
                super::Properties::EMPTY
            },
            #[cfg(not(feature = "v5"))]
            properties: super::Properties::EMPTY,
        }),
        properties: if list.is_empty() {
            super::Properties::EMPTY
        } else {
            super::Properties::List(&list)
        },
    };
    crate::log::trace!("tx {:?}", super::Packet::Connect(repr));
}

#[cfg(test)]
mod tests {
    // Reduced feature sets (scripts/test) compile only some of the tests below.
    #![cfg_attr(
        not(all(feature = "v5", feature = "qos2", feature = "broker")),
        allow(unused_imports, dead_code)
    )]
    use super::super::testutil::pid;
    use super::super::{
        ack, connect, disconnect, publish, subscribe, unsubscribe, ProtocolVersion,
    };
    use super::*;

    /// Runs `write` into a buffer of exactly `want.len()` bytes and checks the bytes, then into
    /// every shorter buffer, which must be "no room" (the engine's "later"), never success.
    fn check(want: &[u8], write: impl Fn(&mut [u8]) -> Result<usize, EncodeError>) {
        let mut buf = vec![0u8; want.len() + 8];
        let n = write(&mut buf).expect("writes");
        assert_eq!(&buf[..n], want);
        for short in 0..want.len() {
            let mut buf = vec![0u8; short];
            assert!(
                matches!(write(&mut buf), Err(EncodeError::BufferTooSmall { .. })),
                "{short} of {} bytes",
                want.len()
            );
        }
    }

    /// Writes `m` with the length its caller would work out.
    fn put(m: Publish<'_>, tx: &mut [u8], v5: bool) -> Result<usize, EncodeError> {
        m.write(tx, v5, m.body_len(v5))
    }

    fn msg<'a>(qos: QoS, topic: &'a str, properties: &'a [u8], payload: &'a [u8]) -> Publish<'a> {
        Publish {
            dup: false,
            qos,
            retain: false,
            topic,
            id: pid(1),
            properties,
            payload,
        }
    }

    #[test]
    fn acks_ping_and_disconnect_match_the_spec_bytes() {
        use packet_type::*;
        let ok = ReasonCode::SUCCESS;
        check(ack::tests::PUBACK_V3, |b| ack(b, false, PUBACK, pid(1), ok));
        check(ack::tests::PUBREC_V3, |b| ack(b, false, PUBREC, pid(2), ok));
        check(ack::tests::PUBREL_V3, |b| ack(b, false, PUBREL, pid(3), ok));
        check(ack::tests::PUBCOMP_V3, |b| {
            ack(b, false, PUBCOMP, pid(4), ok)
        });
        // 5.0 success is the short form (§3.4.2.1): the same bytes as 3.1.1.
        check(ack::tests::PUBACK_V3, |b| ack(b, true, PUBACK, pid(1), ok));
        check(ack::tests::PUBACK_V5_REASON, |b| {
            ack(b, true, PUBACK, pid(1), ReasonCode(0x10))
        });
        check(ack::tests::PUBREL_V5_NOT_FOUND, |b| {
            ack(b, true, PUBREL, pid(3), ReasonCode(0x92))
        });
        // §3.12.1: PINGREQ is 0xC0 0x00.
        check(&[0xc0, 0x00], pingreq);
        let normal = ReasonCode::NORMAL_DISCONNECTION;
        check(disconnect::tests::DISCONNECT_V3, |b| {
            disconnect(b, false, normal)
        });
        check(disconnect::tests::DISCONNECT_V3, |b| {
            disconnect(b, true, normal)
        });
        check(disconnect::tests::DISCONNECT_V5_REASON, |b| {
            disconnect(b, true, ReasonCode(0x8e))
        });
        // 3.1.1 has no reason code: the reason of a 5.0-style close is left out there.
        check(disconnect::tests::DISCONNECT_V3, |b| {
            disconnect(b, false, ReasonCode(0x8e))
        });
    }

    #[test]
    fn reason_codes_of_other_packets_are_refused() {
        use packet_type::*;
        let mut buf = [0u8; 8];
        // 0x92 is PUBREL/PUBCOMP's, 0x10 PUBACK/PUBREC's (MQTT 5.0 §3.4.2.1, §3.6.2.1).
        assert_eq!(
            ack(&mut buf, true, PUBACK, pid(1), ReasonCode(0x92)),
            Err(EncodeError::ReasonCode(0x92))
        );
        assert_eq!(
            ack(&mut buf, true, PUBCOMP, pid(1), ReasonCode(0x10)),
            Err(EncodeError::ReasonCode(0x10))
        );
        // 3.1.1 acks carry no reason code at all.
        assert_eq!(
            ack(&mut buf, false, PUBREL, pid(1), ReasonCode(0x92)),
            Err(EncodeError::ReasonCode(0x92))
        );
        // 0x01 is not a DISCONNECT reason code (§3.14.2.1).
        assert_eq!(
            disconnect(&mut buf, true, ReasonCode(0x01)),
            Err(EncodeError::ReasonCode(0x01))
        );
    }

    #[test]
    fn publish_matches_the_spec_bytes() {
        check(publish::tests::PUBLISH_V3_QOS0, |b| {
            put(msg(QoS::AtMostOnce, "a/b", &[], b"hello"), b, false)
        });
        let dup = Publish {
            dup: true,
            retain: true,
            id: pid(10),
            ..msg(QoS::AtLeastOnce, "a/b", &[], b"hi")
        };
        check(publish::tests::PUBLISH_V3_QOS1_DUP_RETAIN, |b| {
            put(dup, b, false)
        });
        let qos2 = Publish {
            id: pid(65535),
            ..msg(QoS::ExactlyOnce, "t", &[], b"")
        };
        check(publish::tests::PUBLISH_V3_QOS2_EMPTY, |b| {
            put(qos2, b, false)
        });
        check(publish::tests::PUBLISH_V5_QOS0, |b| {
            put(msg(QoS::AtMostOnce, "t", &[], b"x"), b, true)
        });
        // A stored section goes out as it is: the fixture's, between id and payload.
        let fixture = publish::tests::PUBLISH_V5_PROPERTIES;
        let section = &fixture[10..10 + usize::from(fixture[9])];
        check(fixture, |b| {
            put(msg(QoS::AtLeastOnce, "a/b", section, b"hi"), b, true)
        });
        // 3.1.1 has no property section: a stored one is not sent.
        check(publish::tests::PUBLISH_V3_QOS0, |b| {
            put(msg(QoS::AtMostOnce, "a/b", section, b"hello"), b, false)
        });
    }

    #[cfg(feature = "v5")]
    #[test]
    fn publish_with_a_topic_alias_matches_the_spec_bytes() {
        let alias = topic_alias_property(1);
        check(publish::tests::PUBLISH_V5_ALIAS_ONLY, |b| {
            put(msg(QoS::AtMostOnce, "", &alias, b"x"), b, true)
        });
    }

    #[test]
    fn publish_length_matches_what_is_written_across_varint_sizes() {
        // Remaining lengths of 1 to 4 bytes (§2.2.3: 127, 16,383 and 2,097,151 are the edges).
        for payload_len in [0, 120, 121, 122, 16_370, 16_380, 2_097_140, 2_097_150] {
            let payload = vec![7u8; payload_len];
            for v5 in [false, cfg!(feature = "v5")] {
                let m = msg(QoS::AtLeastOnce, "a/b", &[], &payload);
                let mut buf = vec![0u8; payload_len + 16];
                let n = m.write(&mut buf, v5, m.body_len(v5)).unwrap();
                assert_eq!(n, packet_len(m.body_len(v5)), "{payload_len} {v5}");
                let version = if v5 {
                    ProtocolVersion::V5
                } else {
                    ProtocolVersion::V3_1_1
                };
                let packet = super::super::testutil::decode_one(&buf[..n], version);
                let super::super::Packet::Publish(p) = packet else {
                    panic!("not a PUBLISH")
                };
                assert_eq!((p.topic.as_str(), p.payload.len()), ("a/b", payload_len));
            }
        }
    }

    #[test]
    fn subscribe_and_unsubscribe_match_the_spec_bytes() {
        let subs = [("a/b", 1u8), ("c/d", 2)];
        check(subscribe::tests::SUBSCRIBE_V3, |b| {
            request(b, false, true, pid(10), || subs.iter().copied())
        });
        let filters = [("a/b", 0u8), ("#", 0)];
        check(unsubscribe::tests::UNSUBSCRIBE_V3, |b| {
            request(b, false, false, pid(11), || filters.iter().copied())
        });
        check(unsubscribe::tests::UNSUBSCRIBE_V5, |b| {
            request(b, true, false, pid(11), || filters.iter().copied())
        });
        // MQTT 5.0 §3.8.3.1: options 0x2D (QoS 1, No Local, Retain As Published, Retain
        // Handling 2) go on the wire as they are.
        let mut buf = [0u8; 16];
        let n = request(&mut buf, true, true, pid(10), || {
            [("a/+", 0x2d)].into_iter()
        })
        .unwrap();
        assert_eq!(
            &buf[..n],
            &[0x82, 0x09, 0x00, 0x0a, 0x00, 0x00, 0x03, b'a', b'/', b'+', 0x2d]
        );
    }

    #[test]
    fn no_local_on_a_shared_subscription_is_refused() {
        let mut buf = [0u8; 64];
        let entries = [("a/b", 1u8), ("$share/g/x", 0x04)];
        assert_eq!(
            request(&mut buf, true, true, pid(1), || entries.iter().copied()),
            Err(EncodeError::SharedSubscriptionNoLocal)
        );
        // Without No Local it is fine, and so is No Local on a plain filter.
        let entries = [("$share/g/x", 0x01u8), ("a/b", 0x04)];
        assert!(request(&mut buf, true, true, pid(1), || entries.iter().copied()).is_ok());
    }

    fn connect_with<'a>(client_id: &'a str) -> Connect<'a> {
        Connect {
            client_id: MqttStr::new(client_id).unwrap(),
            keep_alive: 60,
            clean_start: true,
            username: None,
            password: None,
            will: None,
            #[cfg(feature = "v5")]
            properties: [(0, 0); 4],
        }
    }

    #[test]
    fn connect_matches_the_spec_bytes() {
        let minimal = connect_with("abc");
        check(connect::tests::CONNECT_V3_MINIMAL, |b| {
            minimal.write(b, false)
        });
        let full = Connect {
            keep_alive: 10,
            username: Some(MqttStr::new("user").unwrap()),
            password: Some(b"pw"),
            will: Some(Will {
                topic: TopicName::new("w/t").unwrap(),
                payload: b"bye",
                qos: QoS::AtLeastOnce,
                retain: true,
                #[cfg(feature = "v5")]
                properties: Properties::EMPTY,
            }),
            ..connect_with("cid")
        };
        check(connect::tests::CONNECT_V3_FULL, |b| full.write(b, false));
        if cfg!(feature = "v5") {
            let v5 = Connect {
                keep_alive: 0,
                ..connect_with("")
            };
            check(connect::tests::CONNECT_V5_MINIMAL, |b| v5.write(b, true));
        }
    }

    /// The four integer properties, read back by mqttbytes (an independent implementation).
    #[cfg(feature = "v5")]
    #[test]
    fn connect_properties_leave_out_defaults_and_decode_elsewhere() {
        use property_id::*;
        let c = Connect {
            properties: [
                connect_property(SESSION_EXPIRY_INTERVAL, 120),
                connect_property(RECEIVE_MAXIMUM, 20),
                connect_property(MAXIMUM_PACKET_SIZE, 4096),
                connect_property(TOPIC_ALIAS_MAXIMUM, 0),
            ],
            ..connect_with("cid")
        };
        let mut buf = [0u8; 64];
        let n = c.write(&mut buf, true).unwrap();
        let mut bytes = bytes::BytesMut::from(&buf[..n]);
        let Ok(mqttbytes::v5::Packet::Connect(got)) = mqttbytes::v5::read(&mut bytes, 1024) else {
            panic!("mqttbytes refused {:02x?}", &buf[..n]);
        };
        let p = got.properties.expect("properties");
        assert_eq!(got.client_id, "cid");
        assert_eq!(p.session_expiry_interval, Some(120));
        assert_eq!(p.receive_maximum, Some(20));
        assert_eq!(p.max_packet_size, Some(4096));
        // Topic Alias Maximum 0 is the default (§3.1.2.11.5): left out.
        assert_eq!(p.topic_alias_max, None);
        // Defaults all round: an empty section, as in the spec's minimal CONNECT.
        assert_eq!(connect_property(SESSION_EXPIRY_INTERVAL, 0), (0, 0));
        assert_eq!(connect_property(RECEIVE_MAXIMUM, 65_535), (0, 0));
        // §3.1.2.11.4: a Maximum Packet Size of 0 is a Protocol Error.
        let zero = Connect {
            properties: [
                (0, 0),
                (0, 0),
                connect_property(MAXIMUM_PACKET_SIZE, 0),
                (0, 0),
            ],
            ..connect_with("cid")
        };
        assert_eq!(
            zero.write(&mut buf, true),
            Err(EncodeError::PropertyValue(MAXIMUM_PACKET_SIZE))
        );
    }

    #[test]
    fn connect_refuses_what_its_version_or_the_will_cannot_carry() {
        let mut buf = [0u8; 128];
        let password_only = Connect {
            password: Some(b"pw"),
            ..connect_with("cid")
        };
        assert_eq!(
            password_only.write(&mut buf, false),
            Err(EncodeError::NotInV3_1_1(V5Only::PasswordWithoutUsername))
        );
        let will = Will {
            topic: TopicName::EMPTY,
            payload: b"",
            qos: QoS::AtMostOnce,
            retain: false,
            #[cfg(feature = "v5")]
            properties: Properties::EMPTY,
        };
        let empty_will_topic = Connect {
            will: Some(will),
            ..connect_with("cid")
        };
        assert_eq!(
            empty_will_topic.write(&mut buf, false),
            Err(EncodeError::Topic(TopicError::Empty))
        );
        let long = vec![0u8; 65_536];
        let long_password = Connect {
            username: Some(MqttStr::new("u").unwrap()),
            password: Some(&long),
            ..connect_with("cid")
        };
        let mut big = vec![0u8; 70_000];
        assert_eq!(
            long_password.write(&mut big, false),
            Err(EncodeError::BinaryTooLong)
        );
    }

    #[cfg(feature = "v5")]
    #[test]
    fn will_properties_follow_the_will_rules() {
        use super::super::Property;
        let mut buf = [0u8; 128];
        let with = |properties| Connect {
            will: Some(Will {
                topic: TopicName::new("w").unwrap(),
                payload: b"",
                qos: QoS::AtMostOnce,
                retain: false,
                properties,
            }),
            ..connect_with("cid")
        };
        // Topic Alias is a PUBLISH property, not a Will one (MQTT 5.0 §3.1.3.2).
        let alias = [Property::TopicAlias(1)];
        assert_eq!(
            with(Properties::List(&alias)).write(&mut buf, true),
            Err(EncodeError::PropertyNotAllowed(0x23))
        );
        let delay = [Property::WillDelayInterval(5)];
        assert_eq!(
            with(Properties::List(&delay)).write(&mut buf, false),
            Err(EncodeError::NotInV3_1_1(V5Only::Properties))
        );
        let n = with(Properties::List(&delay))
            .write(&mut buf, true)
            .unwrap();
        // §3.1.3.2: will properties sit before the will topic: 5 bytes, 0x18 00 00 00 05.
        assert_eq!(
            &buf[n - 11..n],
            &[0x05, 0x18, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, b'w', 0x00, 0x00]
        );
    }
}
