//! The codec's error types: one for decoding untrusted bytes, one for encoding a `Repr`.
//!
//! Each variant names the rule that was broken, so a log line or a test can say exactly why a
//! packet was refused; [`DecodeError::reason_code`] gives the MQTT 5.0 reason code to put into the
//! DISCONNECT (or CONNACK) that answers it.

use core::fmt;

use super::reason::ReasonCode;
use super::string::StringError;
use super::topic::TopicError;

/// Why a packet could not be decoded. Caused by the peer: the connection should be closed
/// (with a DISCONNECT carrying [`DecodeError::reason_code`] in MQTT 5.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The packet type is reserved: 0, or 15 (AUTH) in MQTT 3.1.1 (§2.1.2).
    PacketType,
    /// The fixed header's flag bits are not the ones this packet type requires (§2.1.3), or a
    /// QoS 0 PUBLISH has DUP set (§3.3.1.1).
    Flags,
    /// The remaining length is longer than four bytes or not minimally encoded (§1.5.5, §2.1.4).
    RemainingLength,
    /// The packet is larger than the configured maximum packet size (MQTT 5.0 §3.1.2.11.4).
    PacketTooLarge,
    /// A field runs past the end of the packet given by the remaining length.
    Truncated,
    /// Bytes are left over after the last field of the packet.
    TrailingBytes,
    /// A Variable Byte Integer inside the packet is longer than four bytes or not minimal (§1.5.5).
    VarInt,
    /// A string is not well-formed UTF-8, or encodes a surrogate (§1.5.4).
    Utf8,
    /// A string contains U+0000 (§1.5.4).
    NullCharacter,
    /// The CONNECT protocol name is not "MQTT" (§3.1.2.1).
    ProtocolName,
    /// The CONNECT protocol level is not the one being decoded (4 for 3.1.1, 5 for 5.0) (§3.1.2.2).
    UnsupportedProtocolVersion,
    /// CONNECT flags: the reserved bit is set, Will QoS/Retain without the Will flag, or (3.1.1) a
    /// password without a user name (§3.1.2.3 to §3.1.2.9).
    ConnectFlags,
    /// A QoS field holds 3 (§4.3).
    QoS,
    /// A packet identifier is 0 (§2.2.1).
    PacketIdZero,
    /// A topic name or topic filter breaks a rule of §4.7.
    Topic(TopicError),
    /// MQTT 5.0 PUBLISH with an empty topic name and no Topic Alias (§3.3.2.1).
    EmptyTopicWithoutAlias,
    /// SUBSCRIBE, SUBACK, UNSUBSCRIBE or (5.0) UNSUBACK without a single entry in its payload (§3.8.3).
    EmptyPayload,
    /// Subscription options: reserved bits set, or Retain Handling 3 (§3.8.3.1).
    SubscriptionOptions,
    /// No Local set on a shared subscription (MQTT 5.0 §3.8.3.1).
    SharedSubscriptionNoLocal,
    /// CONNACK acknowledge flags: a reserved bit set, or Session Present with a failure code (§3.2.2.1).
    ConnackFlags,
    /// A reason code or return code that this packet type cannot carry (§2.4).
    ReasonCode(u8),
    /// A property identifier that MQTT 5.0 does not define (§2.2.2.2).
    UnknownProperty(u32),
    /// A property that this packet (or the Will) may not carry (§2.2.2.2).
    PropertyNotAllowed(u8),
    /// A property given twice where the spec allows it once (§3.x.2.x "more than once").
    DuplicateProperty(u8),
    /// A property holds a value the spec forbids (0 for Receive Maximum, 2 for Maximum QoS, ...).
    PropertyValue(u8),
    /// Authentication Data without an Authentication Method (MQTT 5.0 §3.1.2.11.10).
    AuthDataWithoutMethod,
}

impl DecodeError {
    /// The MQTT 5.0 reason code for answering this error: 0x81 Malformed Packet, 0x82 Protocol
    /// Error, 0x84 Unsupported Protocol Version or 0x95 Packet too large.
    pub fn reason_code(self) -> ReasonCode {
        match self {
            Self::PacketTooLarge => ReasonCode::PACKET_TOO_LARGE,
            Self::UnsupportedProtocolVersion => ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
            // The spec calls these "a Protocol Error" rather than "a Malformed Packet".
            Self::DuplicateProperty(_)
            | Self::PropertyValue(_)
            | Self::EmptyTopicWithoutAlias
            | Self::SharedSubscriptionNoLocal
            | Self::AuthDataWithoutMethod
            | Self::ProtocolName
            | Self::PacketIdZero
            | Self::ConnackFlags => ReasonCode::PROTOCOL_ERROR,
            _ => ReasonCode::MALFORMED_PACKET,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PacketType => f.write_str("reserved packet type"),
            Self::Flags => f.write_str("wrong fixed header flags"),
            Self::RemainingLength => f.write_str("malformed remaining length"),
            Self::PacketTooLarge => f.write_str("packet exceeds the maximum packet size"),
            Self::Truncated => f.write_str("field runs past the end of the packet"),
            Self::TrailingBytes => f.write_str("bytes left after the last field"),
            Self::VarInt => f.write_str("malformed variable byte integer"),
            Self::Utf8 => f.write_str("string is not valid UTF-8"),
            Self::NullCharacter => f.write_str("string contains U+0000"),
            Self::ProtocolName => f.write_str("protocol name is not MQTT"),
            Self::UnsupportedProtocolVersion => f.write_str("unsupported protocol level"),
            Self::ConnectFlags => f.write_str("invalid CONNECT flags"),
            Self::QoS => f.write_str("QoS 3"),
            Self::PacketIdZero => f.write_str("packet identifier 0"),
            Self::Topic(e) => write!(f, "invalid topic: {e}"),
            Self::EmptyTopicWithoutAlias => f.write_str("empty topic name without topic alias"),
            Self::EmptyPayload => f.write_str("packet has no topic filters or reason codes"),
            Self::SubscriptionOptions => f.write_str("invalid subscription options"),
            Self::SharedSubscriptionNoLocal => f.write_str("no local on a shared subscription"),
            Self::ConnackFlags => f.write_str("invalid CONNACK acknowledge flags"),
            Self::ReasonCode(c) => write!(f, "reason code 0x{c:02x} not allowed here"),
            Self::UnknownProperty(id) => write!(f, "unknown property 0x{id:02x}"),
            Self::PropertyNotAllowed(id) => write!(f, "property 0x{id:02x} not allowed here"),
            Self::DuplicateProperty(id) => write!(f, "property 0x{id:02x} given twice"),
            Self::PropertyValue(id) => write!(f, "property 0x{id:02x} has a forbidden value"),
            Self::AuthDataWithoutMethod => f.write_str("authentication data without method"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// A part of a packet that exists only in MQTT 5.0 and cannot be sent with MQTT 3.1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum V5Only {
    /// Properties (non-empty).
    Properties,
    /// A reason code other than success, or a SUBACK/CONNACK code outside 3.1.1's set.
    ReasonCode,
    /// The AUTH packet.
    Auth,
    /// An empty topic name (used with a Topic Alias).
    EmptyTopic,
    /// Subscription options other than the QoS (No Local, Retain As Published, Retain Handling).
    SubscriptionOptions,
    /// A password without a user name.
    PasswordWithoutUsername,
}

/// What it names, for [`EncodeError`]'s `Display` (`Debug` would pull in the tuple and struct
/// formatting machinery in every build that logs errors).
impl fmt::Display for V5Only {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Properties => "properties",
            Self::ReasonCode => "this reason code",
            Self::Auth => "AUTH",
            Self::EmptyTopic => "an empty topic name",
            Self::SubscriptionOptions => "subscription options other than QoS",
            Self::PasswordWithoutUsername => "a password without a user name",
        })
    }
}

/// Why a packet could not be encoded. Caused by the caller: the buffer or the `Repr` is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The buffer is shorter than the packet; `needed` is the whole packet's size.
    BufferTooSmall {
        /// The size of the encoded packet in bytes.
        needed: usize,
    },
    /// The remaining length would exceed 268,435,455 bytes (§2.1.4).
    PacketTooLarge,
    /// A string is longer than 65,535 bytes (§1.5.4).
    StringTooLong,
    /// Binary data (password, will payload, correlation or authentication data) is longer than 65,535 bytes.
    BinaryTooLong,
    /// A string contains U+0000 (§1.5.4).
    NullCharacter,
    /// A topic name or filter breaks a rule of §4.7.
    Topic(TopicError),
    /// An empty topic name in MQTT 5.0 needs a Topic Alias property (§3.3.2.1).
    EmptyTopicWithoutAlias,
    /// A QoS 1 or 2 PUBLISH needs a packet identifier.
    MissingPacketId,
    /// A QoS 0 PUBLISH must not have a packet identifier (§2.2.1).
    UnexpectedPacketId,
    /// A QoS 0 PUBLISH must not have DUP set (§3.3.1.1).
    DupWithQoS0,
    /// SUBSCRIBE, SUBACK, UNSUBSCRIBE or (5.0) UNSUBACK needs at least one entry.
    EmptyPayload,
    /// No Local on a shared subscription (MQTT 5.0 §3.8.3.1).
    SharedSubscriptionNoLocal,
    /// CONNACK with Session Present and a failure code (§3.2.2.1.1).
    ConnackFlags,
    /// A reason code or return code that this packet type cannot carry in this version.
    ReasonCode(u8),
    /// A property that this packet (or the Will) may not carry.
    PropertyNotAllowed(u8),
    /// A property given twice where the spec allows it once.
    DuplicateProperty(u8),
    /// A property value the spec forbids.
    PropertyValue(u8),
    /// Authentication Data without an Authentication Method.
    AuthDataWithoutMethod,
    /// An `Encoded` view (properties, subscriptions, filters) holds bytes that do not decode.
    InvalidEncoded,
    /// The packet uses something MQTT 3.1.1 cannot express.
    NotInV3_1_1(V5Only),
    /// This build has no encoder for the packet or version: MQTT 5.0 without the `v5`
    /// feature, QoS 2 steps without `qos2`, server-to-client packets without `broker`.
    NotInThisBuild,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BufferTooSmall { needed } => write!(f, "buffer too small, {needed} bytes needed"),
            Self::PacketTooLarge => f.write_str("packet longer than 268435455 bytes"),
            Self::StringTooLong => f.write_str("string longer than 65535 bytes"),
            Self::BinaryTooLong => f.write_str("binary data longer than 65535 bytes"),
            Self::NullCharacter => f.write_str("string contains U+0000"),
            Self::Topic(e) => write!(f, "invalid topic: {e}"),
            Self::EmptyTopicWithoutAlias => f.write_str("empty topic name without topic alias"),
            Self::MissingPacketId => f.write_str("QoS 1/2 publish without packet identifier"),
            Self::UnexpectedPacketId => f.write_str("QoS 0 publish with packet identifier"),
            Self::DupWithQoS0 => f.write_str("QoS 0 publish with DUP"),
            Self::EmptyPayload => f.write_str("packet needs at least one entry"),
            Self::SharedSubscriptionNoLocal => f.write_str("no local on a shared subscription"),
            Self::ConnackFlags => f.write_str("session present with a failure code"),
            Self::ReasonCode(c) => write!(f, "reason code 0x{c:02x} not allowed here"),
            Self::PropertyNotAllowed(id) => write!(f, "property 0x{id:02x} not allowed here"),
            Self::DuplicateProperty(id) => write!(f, "property 0x{id:02x} given twice"),
            Self::PropertyValue(id) => write!(f, "property 0x{id:02x} has a forbidden value"),
            Self::AuthDataWithoutMethod => f.write_str("authentication data without method"),
            Self::InvalidEncoded => f.write_str("encoded view does not decode"),
            Self::NotInV3_1_1(what) => write!(f, "{what} cannot be sent with MQTT 3.1.1"),
            Self::NotInThisBuild => f.write_str("not compiled into this build"),
        }
    }
}

impl core::error::Error for EncodeError {}

impl From<StringError> for EncodeError {
    fn from(e: StringError) -> Self {
        match e {
            StringError::TooLong => Self::StringTooLong,
            StringError::NullCharacter => Self::NullCharacter,
        }
    }
}
