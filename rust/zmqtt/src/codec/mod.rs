//! MQTT 3.1.1 and 5.0 control packets: zero-copy decoding, encoding into the caller's buffer.
//!
//! [`decode`] frames and parses one packet from the front of a byte buffer and returns a
//! [`Packet`] whose strings, payloads and property sections are views into that buffer.
//! [`Packet::emit`] writes a packet into a `&mut [u8]` and [`Packet::buffer_len`] says how many
//! bytes that takes. Each packet type has one file with a `Repr` (re-exported here as
//! `ConnectRepr`, `PublishRepr`, ...).
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
//!   `Repr` that breaks a rule (a wildcard in a topic name, a property the packet may not carry,
//!   a 5.0-only field in a 3.1.1 packet, ...) gives the matching [`EncodeError`], possibly after
//!   part of the buffer has been written.
//!
//! Why `emit` validates rather than the `Repr` constructors: the `Repr`s are plain structs with
//! public fields, so that callers can build them with struct literals and borrow what they
//! already have; there is no constructor that could check them. Validation costs one pass over
//! the strings that are written anyway.
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
mod suback;
mod subscribe;
mod topic;
mod unsuback;
mod unsubscribe;
mod varint;

pub use ack::Repr as AckRepr;
pub use auth::Repr as AuthRepr;
pub use connack::Repr as ConnackRepr;
pub use connect::{Repr as ConnectRepr, Will};
pub use disconnect::Repr as DisconnectRepr;
pub use error::{DecodeError, EncodeError, V5Only};
pub use properties::{property_id, Iter as PropertyIter, Properties, Property};
pub use publish::Repr as PublishRepr;
pub use reason::ReasonCode;
pub use suback::Repr as SubackRepr;
pub use subscribe::{
    Repr as SubscribeRepr, RetainHandling, Subscription, SubscriptionIter, SubscriptionOptions,
    Subscriptions,
};
pub use topic::{
    is_shared_subscription, topic_matches, validate_topic_filter, validate_topic_name, TopicError,
};
pub use unsuback::Repr as UnsubackRepr;
pub use unsubscribe::{Repr as UnsubscribeRepr, TopicFilterIter, TopicFilters};
pub use varint::MAX as MAX_REMAINING_LENGTH;

use cursor::{Reader, Writer};
use properties::Context;

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
mod packet_type {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    let Some((&first, rest)) = buf.split_first() else {
        return Ok(Decoded::Incomplete { needed: 2 });
    };
    check_first_byte(first, version)?;
    let (remaining, len_len) = match varint::parse(rest) {
        Ok(v) => v,
        Err(varint::Error::Incomplete) => return Ok(Decoded::Incomplete { needed: 1 }),
        Err(varint::Error::Malformed) => return Err(DecodeError::RemainingLength),
    };
    // Cannot overflow: at most 1 + 4 + 268,435,455.
    let total = 1 + len_len + remaining as usize;
    if total as u64 > u64::from(max_packet_size) {
        return Err(DecodeError::PacketTooLarge);
    }
    let Some(body) = buf.get(1 + len_len..total) else {
        return Ok(Decoded::Incomplete {
            needed: total - buf.len(),
        });
    };
    let packet = parse_body(first, body, version)?;
    Ok(Decoded::Packet { packet, len: total })
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
    Ok(match first >> 4 {
        CONNECT => Packet::Connect(ConnectRepr::parse(body, version)?),
        CONNACK => Packet::Connack(ConnackRepr::parse(body, version)?),
        PUBLISH => Packet::Publish(PublishRepr::parse(first & 0x0f, body, version)?),
        PUBACK => Packet::Puback(AckRepr::parse(Context::Puback, body, version)?),
        PUBREC => Packet::Pubrec(AckRepr::parse(Context::Pubrec, body, version)?),
        PUBREL => Packet::Pubrel(AckRepr::parse(Context::Pubrel, body, version)?),
        PUBCOMP => Packet::Pubcomp(AckRepr::parse(Context::Pubcomp, body, version)?),
        SUBSCRIBE => Packet::Subscribe(SubscribeRepr::parse(body, version)?),
        SUBACK => Packet::Suback(SubackRepr::parse(body, version)?),
        UNSUBSCRIBE => Packet::Unsubscribe(UnsubscribeRepr::parse(body, version)?),
        UNSUBACK => Packet::Unsuback(UnsubackRepr::parse(body, version)?),
        PINGREQ => empty(body).map(|()| Packet::Pingreq)?,
        PINGRESP => empty(body).map(|()| Packet::Pingresp)?,
        DISCONNECT => Packet::Disconnect(DisconnectRepr::parse(body, version)?),
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
    /// The first byte of the fixed header: type and flags.
    fn first_byte(&self) -> u8 {
        use packet_type::*;
        let (ty, flags) = match self {
            Self::Connect(_) => (CONNECT, 0),
            Self::Connack(_) => (CONNACK, 0),
            Self::Publish(p) => (PUBLISH, p.flags()),
            Self::Puback(_) => (PUBACK, 0),
            Self::Pubrec(_) => (PUBREC, 0),
            Self::Pubrel(_) => (PUBREL, 2),
            Self::Pubcomp(_) => (PUBCOMP, 0),
            Self::Subscribe(_) => (SUBSCRIBE, 2),
            Self::Suback(_) => (SUBACK, 0),
            Self::Unsubscribe(_) => (UNSUBSCRIBE, 2),
            Self::Unsuback(_) => (UNSUBACK, 0),
            Self::Pingreq => (PINGREQ, 0),
            Self::Pingresp => (PINGRESP, 0),
            Self::Disconnect(_) => (DISCONNECT, 0),
            Self::Auth(_) => (AUTH, 0),
        };
        ty << 4 | flags
    }

    /// The remaining length: the size of everything after the fixed header.
    fn body_len(&self, version: ProtocolVersion) -> usize {
        match self {
            Self::Connect(p) => p.body_len(version),
            Self::Connack(p) => p.body_len(version),
            Self::Publish(p) => p.body_len(version),
            Self::Puback(p) | Self::Pubrec(p) | Self::Pubrel(p) | Self::Pubcomp(p) => {
                p.body_len(version)
            }
            Self::Subscribe(p) => p.body_len(version),
            Self::Suback(p) => p.body_len(version),
            Self::Unsubscribe(p) => p.body_len(version),
            Self::Unsuback(p) => p.body_len(version),
            Self::Pingreq | Self::Pingresp => 0,
            Self::Disconnect(p) => p.body_len(version),
            Self::Auth(p) => p.body_len(),
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
    pub fn emit(&self, version: ProtocolVersion, buf: &mut [u8]) -> Result<usize, EncodeError> {
        if matches!(self, Self::Auth(_)) && version == ProtocolVersion::V3_1_1 {
            return Err(EncodeError::NotInV3_1_1(V5Only::Auth));
        }
        let body = self.body_len(version);
        if body > varint::MAX as usize {
            return Err(EncodeError::PacketTooLarge);
        }
        let total = 1 + varint::len(body) + body;
        let out = buf
            .get_mut(..total)
            .ok_or(EncodeError::BufferTooSmall { needed: total })?;
        let mut w = Writer::new(out);
        w.u8(self.first_byte())?;
        w.varint(body)?;
        match self {
            Self::Connect(p) => p.emit_body(version, &mut w)?,
            Self::Connack(p) => p.emit_body(version, &mut w)?,
            Self::Publish(p) => p.emit_body(version, &mut w)?,
            Self::Puback(p) => p.emit_body(Context::Puback, version, &mut w)?,
            Self::Pubrec(p) => p.emit_body(Context::Pubrec, version, &mut w)?,
            Self::Pubrel(p) => p.emit_body(Context::Pubrel, version, &mut w)?,
            Self::Pubcomp(p) => p.emit_body(Context::Pubcomp, version, &mut w)?,
            Self::Subscribe(p) => p.emit_body(version, &mut w)?,
            Self::Suback(p) => p.emit_body(version, &mut w)?,
            Self::Unsubscribe(p) => p.emit_body(version, &mut w)?,
            Self::Unsuback(p) => p.emit_body(version, &mut w)?,
            Self::Pingreq | Self::Pingresp => {}
            Self::Disconnect(p) => p.emit_body(version, &mut w)?,
            Self::Auth(p) => p.emit_body(&mut w)?,
        }
        debug_assert_eq!(
            w.position(),
            total,
            "body_len and emit_body disagree for {self:?}"
        );
        Ok(w.position())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V3: ProtocolVersion = ProtocolVersion::V3_1_1;
    const V5: ProtocolVersion = ProtocolVersion::V5;

    fn pid(n: u16) -> PacketId {
        PacketId::new(n).unwrap()
    }

    /// Decodes `bytes` as exactly one packet, re-encodes it and checks the bytes come back.
    fn roundtrip(bytes: &[u8], version: ProtocolVersion) -> Packet<'_> {
        let Ok(Decoded::Packet { packet, len }) = decode(bytes, version, u32::MAX) else {
            panic!("{:?}", decode(bytes, version, u32::MAX));
        };
        assert_eq!(len, bytes.len());
        let mut out = [0u8; 256];
        assert_eq!(packet.buffer_len(version), bytes.len());
        let n = packet.emit(version, &mut out).unwrap();
        assert_eq!(&out[..n], bytes);
        packet
    }

    #[test]
    fn pingreq_and_pingresp_roundtrip_in_both_versions() {
        for v in [V3, V5] {
            assert_eq!(roundtrip(&[0xc0, 0x00], v), Packet::Pingreq);
            assert_eq!(roundtrip(&[0xd0, 0x00], v), Packet::Pingresp);
        }
    }

    #[test]
    fn every_truncated_prefix_is_incomplete() {
        let bytes = [0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'];
        for cut in 0..bytes.len() {
            assert!(
                matches!(
                    decode(&bytes[..cut], V3, u32::MAX),
                    Ok(Decoded::Incomplete { .. })
                ),
                "{cut}"
            );
        }
        let p = roundtrip(&bytes, V3);
        let Packet::Publish(p) = p else { panic!() };
        assert_eq!((p.topic, p.payload), ("a/b", &b"hi"[..]));
        let _ = pid(1);
    }
}
