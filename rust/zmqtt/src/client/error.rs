//! Errors of the client: one enum per command (as smoltcp's sockets), plus [`ProtocolError`] for
//! a broker that broke the rules. Every command error converts into the DL-7450 number
//! ([`MqttError`]), which is what the Zephyr glue hands to C.

use core::fmt;

use crate::codec::{DecodeError, ReasonCode, TopicError};
use crate::error::MqttError;

fn topic_error_code(e: TopicError) -> MqttError {
    match e {
        TopicError::Empty => MqttError::NullParameter,
        TopicError::NullCharacter => MqttError::TopicNameTruncated,
        TopicError::TooLong => MqttError::TopicTooLong,
        TopicError::WildcardInName => MqttError::WildcardInTopicName,
        TopicError::MultiLevelWildcard
        | TopicError::SingleLevelWildcard
        | TopicError::SharedSubscription => MqttError::BadTopicFilter,
    }
}

/// Why a [`Config`](super::Config) was refused. Caused by the application: fix the option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A password without a user name (-6).
    PasswordWithoutUsername,
    /// An empty client id with a persistent MQTT 3.1.1 session, which brokers must refuse (-6).
    EmptyClientId,
    /// The client id or user name contains U+0000 (-5).
    NullCharacter,
    /// The client id, user name or will topic holds a control character or a Unicode
    /// non-character, which brokers may treat as malformed (-23).
    ForbiddenCharacter,
    /// The will topic is empty (-17).
    EmptyWillTopic,
    /// The will topic is not a valid topic name (wildcards, U+0000 …) (-5).
    InvalidWillTopic(TopicError),
    /// The will payload is longer than 65,535 bytes (-8).
    WillTooLarge,
    /// An MQTT 5.0 option (session expiry, will properties) on an MQTT 3.1.1 configuration (-15).
    OptionForV5Only,
    /// MQTT 5.0 asked of a build without it (the `v5` feature, `CONFIG_ZMQTT_MQTT5`) (-15).
    ProtocolNotBuilt,
    /// `max_incoming_packet` or `max_outgoing_packet` below 16 bytes (-8).
    BufferTooSmall,
    /// `reconnect_min` is zero or above `reconnect_max` (-8).
    ReconnectDelays,
    /// `set_config` while connected or connecting: `disconnect` first (-11).
    NotIdle,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::PasswordWithoutUsername => f.write_str("password without user name"),
            ConfigError::EmptyClientId => {
                f.write_str("empty client id needs a clean session (MQTT 3.1.1)")
            }
            ConfigError::NullCharacter => f.write_str("client id or user name contains U+0000"),
            ConfigError::ForbiddenCharacter => f.write_str(
                "client id, user name or will topic contains a control character or non-character",
            ),
            ConfigError::EmptyWillTopic => f.write_str("zero-length will topic"),
            ConfigError::InvalidWillTopic(e) => write!(f, "invalid will topic: {e}"),
            ConfigError::WillTooLarge => f.write_str("will payload longer than 65535 bytes"),
            ConfigError::OptionForV5Only => f.write_str("option needs MQTT 5.0"),
            ConfigError::ProtocolNotBuilt => f.write_str("MQTT 5.0 is not in this build"),
            ConfigError::BufferTooSmall => f.write_str("packet size limit below 16 bytes"),
            ConfigError::ReconnectDelays => f.write_str("reconnect delays: need 0 < min <= max"),
            ConfigError::NotIdle => f.write_str("configuration can change only while idle"),
        }
    }
}

impl core::error::Error for ConfigError {}

impl From<ConfigError> for MqttError {
    fn from(e: ConfigError) -> MqttError {
        match e {
            ConfigError::PasswordWithoutUsername | ConfigError::EmptyClientId => {
                MqttError::NullParameter
            }
            ConfigError::NullCharacter => MqttError::BadUtf8String,
            ConfigError::ForbiddenCharacter => MqttError::ForbiddenCharacter,
            ConfigError::EmptyWillTopic => MqttError::ZeroLengthWillTopic,
            ConfigError::InvalidWillTopic(e) => topic_error_code(e),
            ConfigError::OptionForV5Only | ConfigError::ProtocolNotBuilt => {
                MqttError::BadMqttOption
            }
            ConfigError::NotIdle => MqttError::OperationIncomplete,
            ConfigError::WillTooLarge
            | ConfigError::BufferTooSmall
            | ConfigError::ReconnectDelays => MqttError::BadStructure,
        }
    }
}

/// Why `publish` refused a message. The message was not accepted: no event will follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublishError {
    /// Caused by the application: the topic is not a valid topic name (-6 empty, -7 U+0000, -20
    /// too long, -21 a wildcard).
    InvalidTopic(TopicError),
    /// Caused by the application: the topic holds a control character or a Unicode
    /// non-character, which brokers may treat as malformed (-23).
    ForbiddenCharacter,
    /// Caused by the application: MQTT 5.0 properties on an MQTT 3.1.1 connection (-15).
    OptionForV5Only,
    /// Caused by the application or the broker: the PUBLISH would be larger than the transmit
    /// buffer or the broker's Maximum Packet Size (-24).
    PacketTooLarge,
    /// Caused by the broker's limits: it announced a lower Maximum QoS (-9).
    QosNotSupported,
    /// QoS 2 in a build without it (the `qos2` feature, `CONFIG_ZMQTT_MAX_QOS` below 2) (-9).
    QosNotBuilt,
    /// Wait for `Published` events: the in-flight table is full and the build has no queue (-4).
    InflightFull,
    /// Wait for `Published` events: the queue (or the message pool) is full (-12).
    QueueFull,
    /// Every packet identifier is in use (-10).
    NoPacketId,
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::InvalidTopic(e) => write!(f, "invalid topic: {e}"),
            PublishError::ForbiddenCharacter => {
                f.write_str("topic contains a control character or non-character")
            }
            PublishError::OptionForV5Only => f.write_str("publish properties need MQTT 5.0"),
            PublishError::PacketTooLarge => {
                f.write_str("message larger than the packet size limit")
            }
            PublishError::QosNotSupported => f.write_str("QoS above the broker's maximum"),
            PublishError::QosNotBuilt => f.write_str("QoS 2 is not in this build"),
            PublishError::InflightFull => f.write_str("in-flight table full"),
            PublishError::QueueFull => f.write_str("message queue full"),
            PublishError::NoPacketId => f.write_str("no free packet identifier"),
        }
    }
}

impl core::error::Error for PublishError {}

impl From<PublishError> for MqttError {
    fn from(e: PublishError) -> MqttError {
        match e {
            PublishError::InvalidTopic(t) => topic_error_code(t),
            PublishError::ForbiddenCharacter => MqttError::ForbiddenCharacter,
            PublishError::OptionForV5Only => MqttError::BadMqttOption,
            PublishError::PacketTooLarge => MqttError::MessageTooLarge,
            PublishError::QosNotSupported | PublishError::QosNotBuilt => MqttError::BadQos,
            PublishError::InflightFull => MqttError::MaxMessagesInflight,
            PublishError::QueueFull => MqttError::MaxBufferedMessages,
            PublishError::NoPacketId => MqttError::NoMoreMsgIds,
        }
    }
}

/// Why `subscribe` or `unsubscribe` refused a request. Nothing was sent: no event will follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscribeError {
    /// Caused by the application: a filter is not a valid topic filter (-6 empty, -7 U+0000, -20
    /// too long, -22 a misplaced wildcard).
    InvalidFilter(TopicError),
    /// Caused by the application: a filter holds a control character or a Unicode non-character,
    /// which brokers may treat as malformed (-23).
    ForbiddenCharacter,
    /// Caused by the application: the list of filters is empty (-6).
    NoFilters,
    /// Caused by the application: more filters than one request may carry
    /// ([`MAX_FILTERS`](super::MAX_FILTERS)) (-8).
    TooManyFilters,
    /// Caused by the application: MQTT 5.0 subscription options on a 3.1.1 connection (-15).
    OptionForV5Only,
    /// Caused by the application or the broker: the packet would be larger than the transmit
    /// buffer or the broker's Maximum Packet Size (-24).
    PacketTooLarge,
    /// Connect first: subscriptions need a connection (-3).
    NotConnected,
    /// The topic pool has no room to remember the filters for restoring them (-2).
    StoreFull,
    /// Every packet identifier is in use (-10).
    NoPacketId,
    /// QoS 2 in a build without it (the `qos2` feature, `CONFIG_ZMQTT_MAX_QOS` below 2) (-9).
    QosNotBuilt,
}

impl fmt::Display for SubscribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubscribeError::InvalidFilter(e) => write!(f, "invalid topic filter: {e}"),
            SubscribeError::ForbiddenCharacter => {
                f.write_str("topic filter contains a control character or non-character")
            }
            SubscribeError::NoFilters => f.write_str("no topic filters"),
            SubscribeError::TooManyFilters => f.write_str("too many topic filters in one request"),
            SubscribeError::OptionForV5Only => f.write_str("subscription options need MQTT 5.0"),
            SubscribeError::PacketTooLarge => {
                f.write_str("request larger than the packet size limit")
            }
            SubscribeError::NotConnected => f.write_str("not connected"),
            SubscribeError::StoreFull => f.write_str("topic pool full"),
            SubscribeError::NoPacketId => f.write_str("no free packet identifier"),
            SubscribeError::QosNotBuilt => f.write_str("QoS 2 is not in this build"),
        }
    }
}

impl core::error::Error for SubscribeError {}

impl From<SubscribeError> for MqttError {
    fn from(e: SubscribeError) -> MqttError {
        match e {
            SubscribeError::InvalidFilter(t) => topic_error_code(t),
            SubscribeError::ForbiddenCharacter => MqttError::ForbiddenCharacter,
            SubscribeError::NoFilters => MqttError::NullParameter,
            SubscribeError::TooManyFilters => MqttError::BadStructure,
            SubscribeError::OptionForV5Only => MqttError::BadMqttOption,
            SubscribeError::PacketTooLarge => MqttError::MessageTooLarge,
            SubscribeError::NotConnected => MqttError::Disconnected,
            SubscribeError::StoreFull => MqttError::Persistence,
            SubscribeError::NoPacketId => MqttError::NoMoreMsgIds,
            SubscribeError::QosNotBuilt => MqttError::BadQos,
        }
    }
}

/// How the broker broke the protocol. The client answers with DISCONNECT (5.0, carrying
/// [`ProtocolError::reason_code`]), drops the link and reconnects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Bytes that do not decode (malformed, oversized, reserved type …).
    Decode(DecodeError),
    /// A packet a broker must not send (CONNECT, SUBSCRIBE, PINGREQ …), anything before CONNACK,
    /// a second CONNACK, or a 3.1.1 DISCONNECT/AUTH.
    UnexpectedPacket,
    /// An acknowledgement that does not fit the message it names (PUBACK for a QoS 2 message,
    /// PUBCOMP before PUBREC, PUBREC for a QoS 1 message).
    WrongAck,
    /// A SUBACK with a different number of return codes than the SUBSCRIBE had filters.
    SubackMismatch,
    /// More unreleased QoS 2 messages than this client can track (the Receive Maximum it
    /// announced). The excess is left unacknowledged and the client reconnects, with a normal
    /// DISCONNECT, once the others are released, so the broker sends it again.
    ReceiveMaximumExceeded,
    /// A Topic Alias of 0 or above the maximum this client announced.
    TopicAliasInvalid,
    /// A PUBLISH with an empty topic and an alias the broker never mapped.
    TopicAliasUnknown,
    /// The topic pool has no room for the topic of a new incoming alias.
    TopicAliasNoRoom,
    /// A CONNACK that refuses with a code MQTT does not define, or claims a session with a
    /// failure code.
    BadConnack,
    /// A QoS 2 PUBLISH to a build without QoS 2 (the `qos2` feature): it never subscribes with
    /// QoS 2, so the broker sent more than it granted (§3.8.4).
    QosNotGranted,
}

impl ProtocolError {
    /// The MQTT 5.0 reason code for the DISCONNECT that answers the error.
    pub fn reason_code(self) -> ReasonCode {
        match self {
            ProtocolError::Decode(e) => e.reason_code(),
            ProtocolError::ReceiveMaximumExceeded => ReasonCode::RECEIVE_MAXIMUM_EXCEEDED,
            ProtocolError::TopicAliasInvalid | ProtocolError::TopicAliasUnknown => {
                ReasonCode::TOPIC_ALIAS_INVALID
            }
            ProtocolError::TopicAliasNoRoom => ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR,
            _ => ReasonCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Decode(e) => write!(f, "malformed packet: {e}"),
            ProtocolError::UnexpectedPacket => f.write_str("unexpected packet"),
            ProtocolError::WrongAck => f.write_str("acknowledgement does not match the message"),
            ProtocolError::SubackMismatch => f.write_str("SUBACK does not match the SUBSCRIBE"),
            ProtocolError::ReceiveMaximumExceeded => {
                f.write_str("too many unreleased QoS 2 messages")
            }
            ProtocolError::TopicAliasInvalid => f.write_str("topic alias out of range"),
            ProtocolError::TopicAliasUnknown => f.write_str("unknown topic alias"),
            ProtocolError::TopicAliasNoRoom => f.write_str("no room for topic alias"),
            ProtocolError::BadConnack => f.write_str("invalid CONNACK"),
            ProtocolError::QosNotGranted => f.write_str("QoS 2 message to a QoS 1 build"),
        }
    }
}

impl core::error::Error for ProtocolError {}

impl From<DecodeError> for ProtocolError {
    fn from(e: DecodeError) -> Self {
        ProtocolError::Decode(e)
    }
}
