//! MQTT 3.1.1 and 5.0 control packets: zero-copy decoding, encoding into the caller's buffer.
//!
//! [`decode`] frames and parses one packet from the front of a byte buffer and returns a
//! [`Packet`] whose strings, payloads and property sections are views into that buffer.
//! [`Packet::emit`] writes a packet into a `&mut [u8]` and [`Packet::buffer_len`] says how many
//! bytes that takes. Each packet type has one file with a `Repr` (re-exported here as
//! `ConnectRepr`, `PublishRepr`, ...).
//!
//! The client does not call [`decode`]: it frames with `split_packet` and parses the body with
//! the parser of that one packet type (`Client::handle_packet`), so its receive path builds no
//! [`Packet`] and links no parser for packets only a server receives. The validation is the
//! same code either way (the per-packet `parse` functions).
//!
//! The client's transmit path builds no `Packet`: the crate-private `send` module has one
//! writer per packet a client sends (CONNECT, PUBLISH, the acks, SUBSCRIBE, UNSUBSCRIBE,
//! PINGREQ, DISCONNECT), fed from the engine's own fields, so firmware links only those.
//! `Packet::emit` is the generic encoder for tests, fuzzers and fake brokers.
//!
//! # The panic contract
//!
//! Nothing in this module panics, whatever the input:
//!
//! - [`decode`] accepts any byte slice. A prefix of a packet gives [`Decoded::Incomplete`]; bytes
//!   that break a rule of the spec give a [`DecodeError`] naming the rule. The work is linear in
//!   the length of the packet: there is no recursion, and every loop consumes input.
//! - [`Packet::emit`] accepts any `Repr` and any buffer. A buffer shorter than
//!   [`Packet::buffer_len`] gives [`EncodeError::BufferTooSmall`] before anything is written; a
//!   `Repr` that breaks a rule (a property the packet may not carry, a 5.0-only field in a 3.1.1
//!   packet, a packet identifier that does not match the QoS, ...) gives the matching
//!   [`EncodeError`], possibly after part of the buffer has been written.
//!
//! # Checked strings: validated once, when built
//!
//! The strings whose rules take a scan to check are typed: [`TopicName`] (PUBLISH and Will
//! topics), [`TopicFilter`] (SUBSCRIBE and UNSUBSCRIBE) and [`MqttStr`] (CONNECT client
//! identifier and user name). Each is built by a fallible `new` that applies the rules (length,
//! U+0000, wildcards, shared subscription syntax) and then dereferences to `str`; decoding
//! builds them from the bytes it has just validated. So a `Repr` cannot hold an invalid topic or
//! client identifier, and `emit` copies these strings without scanning them again: a topic
//! published a thousand times is checked once. The `Repr`s stay plain structs with public fields.
//! What `emit` still checks: the rules that tie fields together (QoS and packet identifier, an
//! empty topic name and its Topic Alias, No Local on a shared subscription, what 3.1.1 cannot
//! express), string and binary lengths, every write's bounds, non-empty property sections in
//! full (their rules depend on the packet, and `Properties::Encoded` can hold any bytes), and
//! decoded SUBSCRIBE/UNSUBSCRIBE payloads against the version being written. Those payload views
//! ([`EncodedSubscriptions`], [`EncodedTopicFilters`]) only `decode` makes, so that iterating
//! them can hand out `TopicFilter`s without a second check.
//!
//! Decoding validates everything the spec says a receiver must check: the fixed header flags,
//! minimal Variable Byte Integers, UTF-8 strings, topic names and filters, reason codes per
//! packet type, and per-packet property rules. Validated sections (properties, SUBSCRIBE and
//! UNSUBSCRIBE payloads) are kept as `Encoded` views and read with iterators.

mod ack;
mod auth;
mod connack;
mod connect;
mod cursor;
mod disconnect;
mod error;
mod properties;
mod publish;
mod reason;
pub(crate) mod send;
mod string;
mod suback;
mod subscribe;
mod topic;
mod unsuback;
mod unsubscribe;
mod varint;

// Generates every packet type of both versions, both directions.
#[cfg(all(test, feature = "v5", feature = "qos2", feature = "broker"))]
mod proptests;

pub use ack::Repr as AckRepr;
pub use auth::Repr as AuthRepr;
pub use connack::Repr as ConnackRepr;
pub use connect::{Repr as ConnectRepr, Will};
pub use disconnect::Repr as DisconnectRepr;
pub use error::{DecodeError, EncodeError, V5Only};
#[cfg(feature = "v5")]
pub(crate) use properties::{emit_publish_section, split_section};
pub use properties::{property_id, Iter as PropertyIter, Properties, Property};
pub use publish::Repr as PublishRepr;
pub use reason::ReasonCode;
pub use string::{MqttStr, StringError};
pub use suback::Repr as SubackRepr;
pub use subscribe::{
    EncodedSubscriptions, Repr as SubscribeRepr, RetainHandling, Subscription, SubscriptionIter,
    SubscriptionOptions, Subscriptions,
};
pub use topic::{
    is_shared_subscription, topic_matches, validate_topic_filter, validate_topic_name, TopicError,
    TopicFilter, TopicName,
};
pub use unsuback::Repr as UnsubackRepr;
pub use unsubscribe::{
    EncodedTopicFilters, Repr as UnsubscribeRepr, TopicFilterIter, TopicFilters,
};
pub use varint::MAX as MAX_REMAINING_LENGTH;

use cursor::{Reader, Writer};
pub(crate) use properties::Context;

/// The protocol version, carried as the protocol level in CONNECT (§3.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolVersion {
    /// MQTT 3.1.1, protocol level 4.
    V3_1_1,
    /// MQTT 5.0, protocol level 5.
    V5,
}

impl ProtocolVersion {
    /// The protocol level byte of CONNECT.
    pub const fn level(self) -> u8 {
        match self {
            Self::V3_1_1 => 4,
            Self::V5 => 5,
        }
    }

    /// Whether this build has the code for this version: 3.1.1 always, 5.0 with the `v5`
    /// feature. [`decode`], [`Packet::emit`] and the client refuse a version it has not.
    pub const fn is_built(self) -> bool {
        match self {
            Self::V3_1_1 => true,
            Self::V5 => cfg!(feature = "v5"),
        }
    }

    /// The version as the codec's internals see it: `self`, or 3.1.1 in a build without the
    /// `v5` feature. Every function that branches on the version starts with this, so that
    /// without `v5` the version is a constant and the compiler drops every 5.0 branch (and the
    /// property code only they reach). Sound because the entry points refuse 5.0 first.
    #[inline(always)]
    pub(crate) const fn in_build(self) -> Self {
        if cfg!(feature = "v5") {
            self
        } else {
            Self::V3_1_1
        }
    }
}

/// Quality of service (§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum QoS {
    /// 0: at most once, no acknowledgement.
    #[default]
    AtMostOnce = 0,
    /// 1: at least once, acknowledged by PUBACK.
    AtLeastOnce = 1,
    /// 2: exactly once, PUBREC/PUBREL/PUBCOMP.
    ExactlyOnce = 2,
}

impl TryFrom<u8> for QoS {
    type Error = DecodeError;

    fn try_from(v: u8) -> Result<Self, DecodeError> {
        match v {
            0 => Ok(Self::AtMostOnce),
            1 => Ok(Self::AtLeastOnce),
            2 => Ok(Self::ExactlyOnce),
            _ => Err(DecodeError::QoS),
        }
    }
}

/// A packet identifier; 0 is not a valid identifier (§2.2.1), so the type rules it out.
pub type PacketId = core::num::NonZeroU16;

pub(crate) fn read_packet_id(r: &mut Reader<'_>) -> Result<PacketId, DecodeError> {
    PacketId::new(r.u16()?).ok_or(DecodeError::PacketIdZero)
}

/// The fixed header's packet type numbers (§2.1.2).
pub(crate) mod packet_type {
    pub const CONNECT: u8 = 1;
    pub const CONNACK: u8 = 2;
    pub const PUBLISH: u8 = 3;
    pub const PUBACK: u8 = 4;
    pub const PUBREC: u8 = 5;
    pub const PUBREL: u8 = 6;
    pub const PUBCOMP: u8 = 7;
    pub const SUBSCRIBE: u8 = 8;
    pub const SUBACK: u8 = 9;
    pub const UNSUBSCRIBE: u8 = 10;
    pub const UNSUBACK: u8 = 11;
    pub const PINGREQ: u8 = 12;
    pub const PINGRESP: u8 = 13;
    pub const DISCONNECT: u8 = 14;
    pub const AUTH: u8 = 15;
}

/// One MQTT control packet, borrowing from the buffer it was decoded from (or from the caller).
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    /// CONNECT, client to server.
    Connect(ConnectRepr<'a>),
    /// CONNACK, server to client.
    Connack(ConnackRepr<'a>),
    /// PUBLISH, both directions.
    Publish(PublishRepr<'a>),
    /// PUBACK, both directions (QoS 1).
    Puback(AckRepr<'a>),
    /// PUBREC, both directions (QoS 2, step 1).
    Pubrec(AckRepr<'a>),
    /// PUBREL, both directions (QoS 2, step 2).
    Pubrel(AckRepr<'a>),
    /// PUBCOMP, both directions (QoS 2, step 3).
    Pubcomp(AckRepr<'a>),
    /// SUBSCRIBE, client to server.
    Subscribe(SubscribeRepr<'a>),
    /// SUBACK, server to client.
    Suback(SubackRepr<'a>),
    /// UNSUBSCRIBE, client to server.
    Unsubscribe(UnsubscribeRepr<'a>),
    /// UNSUBACK, server to client.
    Unsuback(UnsubackRepr<'a>),
    /// PINGREQ, client to server.
    Pingreq,
    /// PINGRESP, server to client.
    Pingresp,
    /// DISCONNECT, client to server (and server to client in 5.0).
    Disconnect(DisconnectRepr<'a>),
    /// AUTH, both directions, MQTT 5.0 only.
    Auth(AuthRepr<'a>),
}

/// The result of [`decode`]: a whole packet, or how many more bytes it needs at least.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A packet was decoded from the first `len` bytes of the buffer.
    Packet {
        /// The packet, borrowing from the buffer.
        packet: Packet<'a>,
        /// How many bytes it took (fixed header included); drop them before the next call.
        len: usize,
    },
    /// The buffer holds only the start of a packet; read at least `needed` more bytes and call
    /// again with the longer buffer.
    Incomplete {
        /// The least number of further bytes that can change the answer.
        needed: usize,
    },
}

/// Checks the first byte of the fixed header: a packet type this version knows and the flag
/// bits that type requires (§2.1.3). Done before the rest arrives, so garbage is refused early.
fn check_first_byte(first: u8, version: ProtocolVersion) -> Result<(), DecodeError> {
    use packet_type::*;
    let flags = first & 0x0f;
    let want = match first >> 4 {
        PUBLISH => {
            let qos = (flags >> 1) & 0x03;
            if qos == 3 {
                return Err(DecodeError::QoS);
            }
            // §3.3.1.1: DUP must be 0 for QoS 0.
            if qos == 0 && flags & 0x08 != 0 {
                return Err(DecodeError::Flags);
            }
            return Ok(());
        }
        PUBREL | SUBSCRIBE | UNSUBSCRIBE => 0x02,
        CONNECT | CONNACK | PUBACK | PUBREC | PUBCOMP | SUBACK | UNSUBACK | PINGREQ | PINGRESP
        | DISCONNECT => 0x00,
        AUTH if version == ProtocolVersion::V5 => 0x00,
        _ => return Err(DecodeError::PacketType),
    };
    if flags == want {
        Ok(())
    } else {
        Err(DecodeError::Flags)
    }
}

/// One packet framed by its fixed header, its body not parsed yet: what [`split_packet`] gives.
///
/// The client parses the body itself with the parser of the one packet type it expects
/// (`ConnackRepr::parse`, `PublishRepr::parse`, ...), so that no [`Packet`] is built on its
/// receive path; [`decode`] is [`split_packet`] followed by every parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framed<'a> {
    /// A whole packet is in the first `len` bytes of the buffer.
    Whole {
        /// The fixed header's first byte: type and flags, checked by [`check_first_byte`].
        first: u8,
        /// The body (variable header and payload), exactly the remaining length.
        body: &'a [u8],
        /// The packet's length, fixed header included.
        len: usize,
    },
    /// Only the start of a packet; at least `needed` more bytes can change the answer.
    Incomplete {
        /// As [`Decoded::Incomplete`].
        needed: usize,
    },
}

/// Frames one packet at the front of `buf`: checks the first byte (type and flags), the
/// Remaining Length and the size limit, and splits off the body. See [`decode`] for the rules.
#[inline]
pub(crate) fn split_packet(
    buf: &[u8],
    version: ProtocolVersion,
    max_packet_size: u32,
) -> Result<Framed<'_>, DecodeError> {
    if !version.is_built() {
        return Err(DecodeError::UnsupportedProtocolVersion);
    }
    let version = version.in_build();
    let Some((&first, rest)) = buf.split_first() else {
        return Ok(Framed::Incomplete { needed: 2 });
    };
    check_first_byte(first, version)?;
    let (remaining, len_len) = match varint::parse(rest) {
        Ok(v) => v,
        Err(varint::Error::Incomplete) => return Ok(Framed::Incomplete { needed: 1 }),
        Err(varint::Error::Malformed) => return Err(DecodeError::RemainingLength),
    };
    // Cannot overflow: at most 1 + 4 + 268,435,455.
    let total = 1 + len_len + remaining as usize;
    if total as u64 > u64::from(max_packet_size) {
        return Err(DecodeError::PacketTooLarge);
    }
    match buf.get(1 + len_len..total) {
        Some(body) => Ok(Framed::Whole {
            first,
            body,
            len: total,
        }),
        None => Ok(Framed::Incomplete {
            needed: total - buf.len(),
        }),
    }
}

/// Decodes one packet from the front of `buf`.
///
/// `version` is the protocol version of the connection; a CONNECT must carry the matching
/// protocol level (a server that accepts both can try the other version on
/// [`DecodeError::UnsupportedProtocolVersion`], or read the level with [`connect_version`]).
/// A packet whose total size (fixed header included) exceeds `max_packet_size` is refused with
/// [`DecodeError::PacketTooLarge`] as soon as the fixed header is complete, before the body
/// arrives.
pub fn decode(
    buf: &[u8],
    version: ProtocolVersion,
    max_packet_size: u32,
) -> Result<Decoded<'_>, DecodeError> {
    match split_packet(buf, version, max_packet_size)? {
        Framed::Whole { first, body, len } => {
            let packet = parse_body(first, body, version.in_build())?;
            Ok(Decoded::Packet { packet, len })
        }
        Framed::Incomplete { needed } => Ok(Decoded::Incomplete { needed }),
    }
}

/// Parses a packet body whose fixed header has been checked.
fn parse_body(first: u8, body: &[u8], version: ProtocolVersion) -> Result<Packet<'_>, DecodeError> {
    use packet_type::*;
    let empty = |body: &[u8]| {
        if body.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    };
    // Packets this build has no parser for (server-bound ones without `broker`, QoS 2 steps
    // without `qos2`, AUTH without `v5`) are an unknown packet type to it.
    Ok(match first >> 4 {
        #[cfg(feature = "broker")]
        CONNECT => Packet::Connect(ConnectRepr::parse(body, version)?),
        CONNACK => Packet::Connack(ConnackRepr::parse(body, version)?),
        PUBLISH => Packet::Publish(PublishRepr::parse(first & 0x0f, body, version)?),
        PUBACK => Packet::Puback(AckRepr::parse(Context::Puback, body, version)?),
        #[cfg(feature = "qos2")]
        PUBREC => Packet::Pubrec(AckRepr::parse(Context::Pubrec, body, version)?),
        #[cfg(feature = "qos2")]
        PUBREL => Packet::Pubrel(AckRepr::parse(Context::Pubrel, body, version)?),
        #[cfg(feature = "qos2")]
        PUBCOMP => Packet::Pubcomp(AckRepr::parse(Context::Pubcomp, body, version)?),
        #[cfg(feature = "broker")]
        SUBSCRIBE => Packet::Subscribe(SubscribeRepr::parse(body, version)?),
        SUBACK => Packet::Suback(SubackRepr::parse(body, version)?),
        #[cfg(feature = "broker")]
        UNSUBSCRIBE => Packet::Unsubscribe(UnsubscribeRepr::parse(body, version)?),
        UNSUBACK => Packet::Unsuback(UnsubackRepr::parse(body, version)?),
        #[cfg(feature = "broker")]
        PINGREQ => empty(body).map(|()| Packet::Pingreq)?,
        PINGRESP => empty(body).map(|()| Packet::Pingresp)?,
        DISCONNECT => Packet::Disconnect(DisconnectRepr::parse(body, version)?),
        #[cfg(feature = "v5")]
        AUTH => Packet::Auth(AuthRepr::parse(body)?),
        _ => return Err(DecodeError::PacketType),
    })
}

/// Reads the protocol version from a (possibly incomplete) CONNECT at the front of `buf`, for a
/// server that learns the version from the client's first packet. `Ok(None)` means more bytes
/// are needed.
pub fn connect_version(buf: &[u8]) -> Result<Option<ProtocolVersion>, DecodeError> {
    let Some((&first, rest)) = buf.split_first() else {
        return Ok(None);
    };
    if first != packet_type::CONNECT << 4 {
        return Err(if first >> 4 == packet_type::CONNECT {
            DecodeError::Flags
        } else {
            DecodeError::PacketType
        });
    }
    let len_len = match varint::parse(rest) {
        Ok((_, n)) => n,
        Err(varint::Error::Incomplete) => return Ok(None),
        Err(varint::Error::Malformed) => return Err(DecodeError::RemainingLength),
    };
    // Protocol name (00 04 "MQTT") then the level byte.
    let Some(head) = rest.get(len_len..len_len + 7) else {
        return Ok(None);
    };
    match head {
        [0, 4, b'M', b'Q', b'T', b'T', 4] => Ok(Some(ProtocolVersion::V3_1_1)),
        [0, 4, b'M', b'Q', b'T', b'T', 5] => Ok(Some(ProtocolVersion::V5)),
        [0, 4, b'M', b'Q', b'T', b'T', _] => Err(DecodeError::UnsupportedProtocolVersion),
        _ => Err(DecodeError::ProtocolName),
    }
}

impl Packet<'_> {
    /// The remaining length: the size of everything after the fixed header.
    fn body_len(&self, version: ProtocolVersion) -> usize {
        let version = version.in_build();
        match self {
            Self::Connect(p) => p.body_len(version),
            #[cfg(feature = "broker")]
            Self::Connack(p) => p.body_len(version),
            Self::Publish(p) => p.body_len(version),
            Self::Puback(p) => p.body_len(version),
            #[cfg(feature = "qos2")]
            Self::Pubrec(p) | Self::Pubrel(p) | Self::Pubcomp(p) => p.body_len(version),
            Self::Subscribe(p) => p.body_len(version),
            #[cfg(feature = "broker")]
            Self::Suback(p) => p.body_len(version),
            Self::Unsubscribe(p) => p.body_len(version),
            #[cfg(feature = "broker")]
            Self::Unsuback(p) => p.body_len(version),
            Self::Pingreq | Self::Pingresp => 0,
            Self::Disconnect(p) => p.body_len(version),
            #[cfg(feature = "v5")]
            Self::Auth(p) => p.body_len(),
            // What `emit` refuses in this build (see there).
            #[allow(unreachable_patterns)]
            _ => 0,
        }
    }

    /// The size of the whole encoded packet, fixed header included: the buffer size [`emit`]
    /// needs. (For a packet too large to encode the value is meaningless; `emit` reports it.)
    ///
    /// [`emit`]: Packet::emit
    pub fn buffer_len(&self, version: ProtocolVersion) -> usize {
        let body = self.body_len(version);
        body.saturating_add(1 + varint::len(body))
    }

    /// Encodes the packet into the front of `buf`; returns the number of bytes written, which is
    /// [`buffer_len`](Packet::buffer_len).
    ///
    /// The generic encoder, for tests, fuzzers and fake brokers; the client's transmit path
    /// writes its packets with `send`'s per-packet writers instead, without building a `Packet`.
    pub fn emit(&self, version: ProtocolVersion, buf: &mut [u8]) -> Result<usize, EncodeError> {
        use packet_type::*;
        if !version.is_built() {
            return Err(EncodeError::NotInThisBuild);
        }
        let v = version.in_build();
        // One dispatch per packet: the header byte, the length and the body come from the same
        // arm (three separate `match`es showed up as a fifth of the time of a small PUBLISH).
        match self {
            Self::Connect(p) => frame(buf, CONNECT << 4, p.body_len(v), |w| p.emit_body(v, w)),
            #[cfg(feature = "broker")]
            Self::Connack(p) => frame(buf, CONNACK << 4, p.body_len(v), |w| p.emit_body(v, w)),
            Self::Publish(p) => frame(buf, PUBLISH << 4 | p.flags(), p.body_len(v), |w| {
                p.emit_body(v, w)
            }),
            Self::Puback(p) => frame(buf, PUBACK << 4, p.body_len(v), |w| {
                p.emit_body(Context::Puback, v, w)
            }),
            #[cfg(feature = "qos2")]
            Self::Pubrec(p) => frame(buf, PUBREC << 4, p.body_len(v), |w| {
                p.emit_body(Context::Pubrec, v, w)
            }),
            #[cfg(feature = "qos2")]
            Self::Pubrel(p) => frame(buf, PUBREL << 4 | 2, p.body_len(v), |w| {
                p.emit_body(Context::Pubrel, v, w)
            }),
            #[cfg(feature = "qos2")]
            Self::Pubcomp(p) => frame(buf, PUBCOMP << 4, p.body_len(v), |w| {
                p.emit_body(Context::Pubcomp, v, w)
            }),
            Self::Subscribe(p) => frame(buf, SUBSCRIBE << 4 | 2, p.body_len(v), |w| {
                p.emit_body(v, w)
            }),
            #[cfg(feature = "broker")]
            Self::Suback(p) => frame(buf, SUBACK << 4, p.body_len(v), |w| p.emit_body(v, w)),
            Self::Unsubscribe(p) => frame(buf, UNSUBSCRIBE << 4 | 2, p.body_len(v), |w| {
                p.emit_body(v, w)
            }),
            #[cfg(feature = "broker")]
            Self::Unsuback(p) => frame(buf, UNSUBACK << 4, p.body_len(v), |w| p.emit_body(v, w)),
            Self::Pingreq => frame(buf, PINGREQ << 4, 0, |_| Ok(())),
            #[cfg(feature = "broker")]
            Self::Pingresp => frame(buf, PINGRESP << 4, 0, |_| Ok(())),
            Self::Disconnect(p) => {
                frame(buf, DISCONNECT << 4, p.body_len(v), |w| p.emit_body(v, w))
            }
            #[cfg(feature = "v5")]
            Self::Auth(_) if v == ProtocolVersion::V3_1_1 => {
                Err(EncodeError::NotInV3_1_1(V5Only::Auth))
            }
            #[cfg(feature = "v5")]
            Self::Auth(p) => frame(buf, AUTH << 4, p.body_len(), |w| p.emit_body(w)),
            // Server-to-client packets without `broker`, QoS 2 steps without `qos2`, AUTH
            // without `v5`: this build has no encoder for them.
            #[allow(unreachable_patterns)]
            _ => Err(EncodeError::NotInThisBuild),
        }
    }
}

/// Writes the fixed header (`first` byte, remaining length `body`) and then the body.
fn frame(
    buf: &mut [u8],
    first: u8,
    body: usize,
    emit_body: impl FnOnce(&mut Writer<'_>) -> Result<(), EncodeError>,
) -> Result<usize, EncodeError> {
    if body > varint::MAX as usize {
        return Err(EncodeError::PacketTooLarge);
    }
    let total = 1 + varint::len(body) + body;
    let out = buf
        .get_mut(..total)
        .ok_or(EncodeError::BufferTooSmall { needed: total })?;
    let mut w = Writer::new(out);
    w.u8(first);
    w.varint(body);
    let body = emit_body(&mut w);
    w.finish(body)?;
    debug_assert_eq!(w.position(), total, "body_len and emit_body disagree");
    Ok(total)
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Helpers shared by the per-packet tests.
    use super::*;

    pub const V3: ProtocolVersion = ProtocolVersion::V3_1_1;
    pub const V5: ProtocolVersion = ProtocolVersion::V5;

    pub fn pid(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    /// Decodes `bytes` as exactly one packet; also checks that every shorter prefix is
    /// `Incomplete` with a `needed` that never overshoots.
    pub fn decode_one(bytes: &[u8], version: ProtocolVersion) -> Packet<'_> {
        for cut in 0..bytes.len() {
            match decode(&bytes[..cut], version, u32::MAX) {
                Ok(Decoded::Incomplete { needed }) => {
                    assert!(
                        needed >= 1 && cut + needed <= bytes.len(),
                        "prefix {cut}: needed {needed}"
                    )
                }
                other => panic!("prefix {cut} of {bytes:02x?}: {other:?}"),
            }
        }
        match decode(bytes, version, u32::MAX) {
            Ok(Decoded::Packet { packet, len }) => {
                assert_eq!(len, bytes.len());
                packet
            }
            other => panic!("{bytes:02x?}: {other:?}"),
        }
    }

    /// Encodes `packet`, checking `buffer_len` and that a buffer one byte short is refused.
    pub fn encode(packet: &Packet<'_>, version: ProtocolVersion) -> Vec<u8> {
        let len = packet.buffer_len(version);
        let mut out = vec![0u8; len + 8];
        let n = packet
            .emit(version, &mut out)
            .unwrap_or_else(|e| panic!("{packet:?}: {e:?}"));
        assert_eq!(n, len, "buffer_len disagrees with emit");
        out.truncate(n);
        let mut short = vec![0u8; len - 1];
        assert_eq!(
            packet.emit(version, &mut short),
            Err(EncodeError::BufferTooSmall { needed: len })
        );
        out
    }

    /// The fixture decodes to `expected`, and `expected` encodes to the fixture.
    pub fn check_vector(bytes: &[u8], version: ProtocolVersion, expected: Packet<'_>) {
        assert_eq!(decode_one(bytes, version), expected);
        assert_eq!(encode(&expected, version), bytes);
    }

    pub fn decode_err(bytes: &[u8], version: ProtocolVersion) -> DecodeError {
        match decode(bytes, version, u32::MAX) {
            Err(e) => e,
            other => panic!("{bytes:02x?} should fail, got {other:?}"),
        }
    }

    pub fn encode_err(packet: Packet<'_>, version: ProtocolVersion) -> EncodeError {
        let mut out = vec![0u8; packet.buffer_len(version).min(1 << 20) + 8];
        match packet.emit(version, &mut out) {
            Err(e) => e,
            Ok(n) => panic!("{packet:?} should fail, encoded {:02x?}", &out[..n]),
        }
    }
}

/// Every byte fixture of the unit tests, with the version it is decoded with: the seed corpus
/// of the `decode_packet` fuzz target is written from this list (see `fuzz/README.md`).
#[cfg(test)]
pub(crate) const ALL_FIXTURES: &[(&str, ProtocolVersion, &[u8])] = {
    use ProtocolVersion::{V3_1_1 as V3, V5};
    &[
        ("connect_v3_minimal", V3, connect::tests::CONNECT_V3_MINIMAL),
        ("connect_v3_full", V3, connect::tests::CONNECT_V3_FULL),
        ("connect_v5_full", V5, connect::tests::CONNECT_V5_FULL),
        ("connect_v5_minimal", V5, connect::tests::CONNECT_V5_MINIMAL),
        (
            "connect_v5_password_only",
            V5,
            connect::tests::CONNECT_V5_PASSWORD_ONLY,
        ),
        (
            "connack_v3_session_present",
            V3,
            connack::tests::CONNACK_V3_SESSION_PRESENT,
        ),
        ("connack_v3_refused", V3, connack::tests::CONNACK_V3_REFUSED),
        ("connack_v5_minimal", V5, connack::tests::CONNACK_V5_MINIMAL),
        (
            "connack_v5_properties",
            V5,
            connack::tests::CONNACK_V5_PROPERTIES,
        ),
        (
            "connack_v5_not_authorized",
            V5,
            connack::tests::CONNACK_V5_NOT_AUTHORIZED,
        ),
        ("publish_v3_qos0", V3, publish::tests::PUBLISH_V3_QOS0),
        (
            "publish_v3_qos1_dup_retain",
            V3,
            publish::tests::PUBLISH_V3_QOS1_DUP_RETAIN,
        ),
        (
            "publish_v3_qos2_empty",
            V3,
            publish::tests::PUBLISH_V3_QOS2_EMPTY,
        ),
        ("publish_v5_qos0", V5, publish::tests::PUBLISH_V5_QOS0),
        (
            "publish_v5_properties",
            V5,
            publish::tests::PUBLISH_V5_PROPERTIES,
        ),
        (
            "publish_v5_alias_only",
            V5,
            publish::tests::PUBLISH_V5_ALIAS_ONLY,
        ),
        ("puback_v3", V3, ack::tests::PUBACK_V3),
        ("pubrec_v3", V3, ack::tests::PUBREC_V3),
        ("pubrel_v3", V3, ack::tests::PUBREL_V3),
        ("pubcomp_v3", V3, ack::tests::PUBCOMP_V3),
        ("puback_v5_reason", V5, ack::tests::PUBACK_V5_REASON),
        ("pubrec_v5_properties", V5, ack::tests::PUBREC_V5_PROPERTIES),
        ("pubrel_v5_not_found", V5, ack::tests::PUBREL_V5_NOT_FOUND),
        (
            "pubcomp_v5_properties",
            V5,
            ack::tests::PUBCOMP_V5_PROPERTIES,
        ),
        ("subscribe_v3", V3, subscribe::tests::SUBSCRIBE_V3),
        ("subscribe_v5", V5, subscribe::tests::SUBSCRIBE_V5),
        ("suback_v3", V3, suback::tests::SUBACK_V3),
        ("suback_v5", V5, suback::tests::SUBACK_V5),
        (
            "suback_v5_properties",
            V5,
            suback::tests::SUBACK_V5_PROPERTIES,
        ),
        ("unsubscribe_v3", V3, unsubscribe::tests::UNSUBSCRIBE_V3),
        ("unsubscribe_v5", V5, unsubscribe::tests::UNSUBSCRIBE_V5),
        (
            "unsubscribe_v5_properties",
            V5,
            unsubscribe::tests::UNSUBSCRIBE_V5_PROPERTIES,
        ),
        ("unsuback_v3", V3, unsuback::tests::UNSUBACK_V3),
        ("unsuback_v5", V5, unsuback::tests::UNSUBACK_V5),
        (
            "unsuback_v5_properties",
            V5,
            unsuback::tests::UNSUBACK_V5_PROPERTIES,
        ),
        ("pingreq", V3, &[0xc0, 0x00]),
        ("pingresp", V5, &[0xd0, 0x00]),
        ("disconnect_v3", V3, disconnect::tests::DISCONNECT_V3),
        (
            "disconnect_v5_reason",
            V5,
            disconnect::tests::DISCONNECT_V5_REASON,
        ),
        (
            "disconnect_v5_properties",
            V5,
            disconnect::tests::DISCONNECT_V5_PROPERTIES,
        ),
        ("auth_v5_success", V5, auth::tests::AUTH_V5_SUCCESS),
        ("auth_v5_continue", V5, auth::tests::AUTH_V5_CONTINUE),
    ]
};

#[cfg(test)]
mod tests {
    // Reduced feature sets (scripts/test) compile only some of the tests below.
    #![cfg_attr(
        not(all(feature = "v5", feature = "qos2", feature = "broker")),
        allow(unused_imports, dead_code)
    )]
    use super::testutil::*;
    use super::*;

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn pingreq_and_pingresp_roundtrip_in_both_versions() {
        for v in [V3, V5] {
            check_vector(&[0xc0, 0x00], v, Packet::Pingreq);
            check_vector(&[0xd0, 0x00], v, Packet::Pingresp);
            assert_eq!(
                decode_err(&[0xc0, 0x01, 0x00], v),
                DecodeError::TrailingBytes
            );
            assert_eq!(decode_err(&[0xd8, 0x00], v), DecodeError::Flags);
        }
    }

    #[cfg(all(feature = "v5", feature = "broker", feature = "qos2"))]
    #[test]
    fn every_fixture_decodes_reencodes_and_refuses_a_lower_size_limit() {
        for (name, v, bytes) in ALL_FIXTURES {
            let packet = decode_one(bytes, *v);
            assert_eq!(decode_one(&encode(&packet, *v), *v), packet, "{name}");
            let limit = bytes.len() as u32;
            assert!(
                matches!(decode(bytes, *v, limit), Ok(Decoded::Packet { .. })),
                "{name}"
            );
            assert_eq!(
                decode(bytes, *v, limit - 1),
                Err(DecodeError::PacketTooLarge),
                "{name}"
            );
        }
    }

    #[cfg(feature = "v5")]
    #[test]
    fn reserved_packet_types_are_refused_as_soon_as_the_first_byte_arrives() {
        for v in [V3, V5] {
            assert_eq!(decode_err(&[0x00], v), DecodeError::PacketType);
        }
        assert_eq!(decode_err(&[0xf0], V3), DecodeError::PacketType);
        assert_eq!(
            decode(&[0xf0], V5, u32::MAX),
            Ok(Decoded::Incomplete { needed: 1 })
        );
    }

    #[cfg(feature = "v5")]
    #[test]
    fn fixed_header_flags_are_checked_for_every_packet_type() {
        // §2.1.3, table 2.2: PUBREL, SUBSCRIBE, UNSUBSCRIBE use 0010, the others 0000.
        for ty in 1u8..=15 {
            if ty == 3 {
                continue; // PUBLISH flags carry DUP/QoS/RETAIN; see publish.rs.
            }
            let want = if matches!(ty, 6 | 8 | 10) { 2 } else { 0 };
            for flags in 0..16u8 {
                let first = ty << 4 | flags;
                let buf = [first];
                let r = decode(&buf, V5, u32::MAX);
                if flags == want {
                    assert_eq!(r, Ok(Decoded::Incomplete { needed: 1 }), "{first:02x}");
                } else {
                    assert_eq!(r, Err(DecodeError::Flags), "{first:02x}");
                }
            }
        }
    }

    #[test]
    fn remaining_length_over_four_bytes_or_not_minimal_is_refused() {
        assert_eq!(
            decode_err(&[0x30, 0xff, 0xff, 0xff, 0xff], V3),
            DecodeError::RemainingLength
        );
        assert_eq!(
            decode_err(&[0x30, 0x80, 0x80, 0x80, 0x80, 0x01], V3),
            DecodeError::RemainingLength
        );
        assert_eq!(
            decode_err(&[0xc0, 0x80, 0x00], V3),
            DecodeError::RemainingLength
        );
        assert_eq!(
            decode_err(&[0x30, 0x85, 0x80, 0x00], V3),
            DecodeError::RemainingLength
        );
    }

    #[test]
    fn incomplete_reports_the_bytes_still_missing() {
        assert_eq!(
            decode(&[], V3, u32::MAX),
            Ok(Decoded::Incomplete { needed: 2 })
        );
        assert_eq!(
            decode(&[0x30], V3, u32::MAX),
            Ok(Decoded::Incomplete { needed: 1 })
        );
        assert_eq!(
            decode(&[0x30, 0x80], V3, u32::MAX),
            Ok(Decoded::Incomplete { needed: 1 })
        );
        assert_eq!(
            decode(&[0x30, 0x80, 0x01], V3, u32::MAX),
            Ok(Decoded::Incomplete { needed: 128 })
        );
        assert_eq!(
            decode(&[0x30, 0x0a, 0x00], V3, u32::MAX),
            Ok(Decoded::Incomplete { needed: 9 })
        );
    }

    #[test]
    fn oversized_packets_are_refused_before_the_body_arrives() {
        // 1 + 3 + 2,097,151 bytes announced, limit 1 MiB: refused with four bytes in hand.
        assert_eq!(
            decode(&[0x30, 0xff, 0xff, 0x7f], V3, 1 << 20),
            Err(DecodeError::PacketTooLarge)
        );
        assert_eq!(
            DecodeError::PacketTooLarge.reason_code(),
            ReasonCode::PACKET_TOO_LARGE
        );
        // The largest possible packet is within u32::MAX and just incomplete.
        assert_eq!(
            decode(&[0x30, 0xff, 0xff, 0xff, 0x7f], V3, u32::MAX),
            Ok(Decoded::Incomplete {
                needed: 268_435_455
            })
        );
    }

    #[cfg(feature = "broker")]
    #[test]
    fn decode_takes_only_the_first_of_several_packets() {
        let mut two = ack::tests::PUBACK_V3.to_vec();
        two.extend_from_slice(&[0xc0, 0x00]);
        assert_eq!(
            decode(&two, V3, u32::MAX),
            Ok(Decoded::Packet {
                packet: Packet::Puback(AckRepr::new(pid(1))),
                len: 4
            })
        );
        assert_eq!(
            decode(&two[4..], V3, u32::MAX),
            Ok(Decoded::Packet {
                packet: Packet::Pingreq,
                len: 2
            })
        );
    }

    #[test]
    fn connect_version_reads_the_protocol_level() {
        assert_eq!(
            connect_version(connect::tests::CONNECT_V3_MINIMAL),
            Ok(Some(V3))
        );
        assert_eq!(
            connect_version(connect::tests::CONNECT_V5_MINIMAL),
            Ok(Some(V5))
        );
        assert_eq!(
            connect_version(&connect::tests::CONNECT_V5_MINIMAL[..8]),
            Ok(None)
        );
        assert_eq!(connect_version(&[0x20, 0x02]), Err(DecodeError::PacketType));
        assert_eq!(connect_version(&[0x11]), Err(DecodeError::Flags));
        let mut l3 = connect::tests::CONNECT_V3_MINIMAL.to_vec();
        l3[8] = 3;
        assert_eq!(
            connect_version(&l3),
            Err(DecodeError::UnsupportedProtocolVersion)
        );
        l3[4] = b'X';
        assert_eq!(connect_version(&l3), Err(DecodeError::ProtocolName));
    }

    #[test]
    fn decode_errors_map_to_malformed_or_protocol_error() {
        assert_eq!(
            DecodeError::Utf8.reason_code(),
            ReasonCode::MALFORMED_PACKET
        );
        assert_eq!(
            DecodeError::RemainingLength.reason_code(),
            ReasonCode::MALFORMED_PACKET
        );
        assert_eq!(
            DecodeError::DuplicateProperty(0x11).reason_code(),
            ReasonCode::PROTOCOL_ERROR
        );
        assert_eq!(
            DecodeError::PropertyValue(0x21).reason_code(),
            ReasonCode::PROTOCOL_ERROR
        );
    }

    #[test]
    fn oversized_fields_are_refused_when_encoding() {
        let long = "a".repeat(65_536);
        // Strings too long (or holding U+0000) cannot even be built; binary data is checked by
        // `emit`.
        assert_eq!(MqttStr::new(&long), Err(StringError::TooLong));
        assert_eq!(MqttStr::new("a\0"), Err(StringError::NullCharacter));
        assert_eq!(TopicName::new(&long), Err(TopicError::TooLong));
        assert_eq!(TopicFilter::new(&long), Err(TopicError::TooLong));
        let connect = Packet::Connect(ConnectRepr {
            client_id: MqttStr::new_validated("c"),
            keep_alive: 0,
            clean_start: true,
            username: Some(MqttStr::new_validated("u")),
            password: Some(long.as_bytes()),
            will: None,
            properties: Properties::EMPTY,
        });
        assert_eq!(encode_err(connect, V3), EncodeError::BinaryTooLong);
    }

    #[test]
    fn packets_over_the_remaining_length_limit_are_refused_when_encoding() {
        let payload = vec![0u8; MAX_REMAINING_LENGTH as usize - 3];
        let mut p = PublishRepr {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: TopicName::new_validated("t"),
            packet_id: None,
            properties: Properties::EMPTY,
            payload: &payload,
        };
        // Exactly the limit: remaining length 268,435,455 encodes (checked by length only).
        assert_eq!(
            Packet::Publish(p).buffer_len(V3),
            1 + 4 + MAX_REMAINING_LENGTH as usize
        );
        assert_eq!(
            Packet::Publish(p).emit(V3, &mut [0u8; 8]),
            Err(EncodeError::BufferTooSmall {
                needed: 268_435_460
            })
        );
        p.topic = TopicName::new_validated("tt");
        assert_eq!(
            Packet::Publish(p).emit(V3, &mut [0u8; 8]),
            Err(EncodeError::PacketTooLarge)
        );
    }

    #[test]
    fn errors_display_the_broken_rule() {
        assert_eq!(
            DecodeError::DuplicateProperty(0x11).to_string(),
            "property 0x11 given twice"
        );
        assert_eq!(
            EncodeError::BufferTooSmall { needed: 9 }.to_string(),
            "buffer too small, 9 bytes needed"
        );
        assert_eq!(ReasonCode::PROTOCOL_ERROR.to_string(), "reason code 0x82");
    }

    /// What a build leaves out is refused with a typed error, in both directions.
    #[test]
    fn packets_and_versions_left_out_of_the_build_are_refused_not_mangled() {
        // CONNECT (§3.1, 3.1.1 minimal) and SUBSCRIBE reach only a broker.
        let connect = decode(connect::tests::CONNECT_V3_MINIMAL, V3, u32::MAX);
        let subscribe = decode(subscribe::tests::SUBSCRIBE_V3, V3, u32::MAX);
        let connack = Packet::Connack(ConnackRepr {
            session_present: false,
            code: 0,
            properties: Properties::EMPTY,
        });
        let mut buf = [0u8; 16];
        if cfg!(feature = "broker") {
            assert!(matches!(connect, Ok(Decoded::Packet { .. })));
            assert!(matches!(subscribe, Ok(Decoded::Packet { .. })));
            assert_eq!(connack.emit(V3, &mut buf), Ok(4));
        } else {
            assert_eq!(connect, Err(DecodeError::PacketType));
            assert_eq!(subscribe, Err(DecodeError::PacketType));
            assert_eq!(connack.emit(V3, &mut buf), Err(EncodeError::NotInThisBuild));
        }
        // PUBREC (§3.5) belongs to the QoS 2 exchange.
        let pubrec = decode(ack::tests::PUBREC_V3, V3, u32::MAX);
        let emitted = Packet::Pubrec(AckRepr::new(pid(1))).emit(V3, &mut buf);
        if cfg!(feature = "qos2") {
            assert!(matches!(pubrec, Ok(Decoded::Packet { .. })));
            assert_eq!(emitted, Ok(4));
        } else {
            assert_eq!(pubrec, Err(DecodeError::PacketType));
            assert_eq!(emitted, Err(EncodeError::NotInThisBuild));
        }
        // MQTT 5.0 as a whole.
        let v5 = decode(&[0xd0, 0x00], V5, u32::MAX);
        let emitted = Packet::Pingreq.emit(V5, &mut buf);
        if cfg!(feature = "v5") {
            assert!(matches!(v5, Ok(Decoded::Packet { .. })));
            assert_eq!(emitted, Ok(2));
        } else {
            assert_eq!(v5, Err(DecodeError::UnsupportedProtocolVersion));
            assert_eq!(emitted, Err(EncodeError::NotInThisBuild));
        }
    }

    /// Writes the fixtures as fuzz seeds when `ZMQTT_FUZZ_SEEDS` names a directory. The fuzz
    /// input format is one byte selecting the version (bit 0: 0 = 3.1.1, 1 = 5.0), then bytes.
    #[test]
    fn fuzz_seeds_can_be_written_from_the_fixtures() {
        let Some(dir) = std::env::var_os("ZMQTT_FUZZ_SEEDS") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, v, bytes) in ALL_FIXTURES {
            let mut data = vec![u8::from(*v == V5)];
            data.extend_from_slice(bytes);
            std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
        }
    }
}
