//! The DL-7450 `MqttError` numbers and their texts.
//!
//! DL-7450's `mqtt` module reports failures as small negative integers. Its documented codes
//! (0, -1 … -6, -9, -10, -14) are the ones of the Eclipse Paho asynchronous C client
//! (`MQTTASYNC_*`), so the gaps are filled from the same family: a user who looks a number up in
//! either place finds the same meaning. Every command error of the client converts into
//! [`MqttError`] (see `From` impls in `client::error`), and [`error_description`] gives the text
//! the Zephyr glue hands to C.
//!
//! Paho's family ends at -19 (-18 "command ignored" and -19 "max buffered" have no use here). The
//! refusals Paho has no number for get zmqtt's own, from -20 down, each naming the rule that was
//! broken; they stay stable once published.

use core::fmt;

/// A DL-7450 / Paho-family error number, as a typed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(i8)]
pub enum MqttError {
    /// -1: a failure with no more specific code.
    Failure = -1,
    /// -2: the message store could not keep a message (persistence error).
    Persistence = -2,
    /// -3: the client is not connected and the call needs a connection.
    Disconnected = -3,
    /// -4: the in-flight table is full and the build has no queue to wait in.
    MaxMessagesInflight = -4,
    /// -5: a string is not an MQTT string (MQTT 3.1.1 §1.5.3): not UTF-8, or a client id or user
    /// name holding U+0000.
    BadUtf8String = -5,
    /// -6: a required value is missing (e.g. a password without a user name, an empty client id).
    NullParameter = -6,
    /// -7: a topic contains U+0000 (a C string would be cut short there).
    TopicNameTruncated = -7,
    /// -8: a structure or option is invalid (e.g. a buffer too small for the packet it must hold).
    BadStructure = -8,
    /// -9: a QoS value other than 0, 1 or 2.
    BadQos = -9,
    /// -10: every packet identifier (1…65535) is in use.
    NoMoreMsgIds = -10,
    /// -11: the operation was still in progress when it was stopped.
    OperationIncomplete = -11,
    /// -12: the offline/overflow queue is full; no more messages can be queued.
    MaxBufferedMessages = -12,
    /// -13: TLS was asked for but this build has no TLS support.
    SslNotSupported = -13,
    /// -14: the broker URL has a scheme this client cannot use (e.g. `ws://`) or is malformed.
    BadProtocol = -14,
    /// -15: an option that belongs to another MQTT version than the one configured.
    BadMqttOption = -15,
    /// -16: a call that is not valid for the configured MQTT version.
    WrongMqttVersion = -16,
    /// -17: the will topic is empty.
    ZeroLengthWillTopic = -17,
    /// -20 (zmqtt): a topic is longer than `CONFIG_ZMQTT_MAX_TOPIC_LEN` (or 65,535 bytes).
    TopicTooLong = -20,
    /// -21 (zmqtt): a topic name holds `+` or `#`; wildcards are for subscriptions (§4.7.1).
    WildcardInTopicName = -21,
    /// -22 (zmqtt): a topic filter misplaces a wildcard (`#` not alone in the last level, `+` not
    /// a whole level) or is a malformed `$share/{name}/{filter}` (§4.7.1, MQTT 5.0 §4.8.2).
    BadTopicFilter = -22,
    /// -23 (zmqtt): a string holds a control character (U+0001–U+001F, U+007F–U+009F) or a
    /// Unicode non-character (U+FDD0–U+FDEF, U+xFFFE, U+xFFFF). MQTT 3.1.1 §1.5.3 lets a broker
    /// treat them as malformed, and mosquitto drops the connection, so the client refuses them.
    ForbiddenCharacter = -23,
    /// -24 (zmqtt): the message is larger than the transmit buffer (`CONFIG_ZMQTT_TX_BUFFER_SIZE`)
    /// or the broker's Maximum Packet Size.
    MessageTooLarge = -24,
    /// -25 (zmqtt, `on_publish_failed`): the broker closed the connection every time this message
    /// was sent (`STRIKES_TO_FAIL` = 5 times in a row), so the client gave up on it to let the
    /// others through.
    BrokerDroppedMessage = -25,
    /// -26 (zmqtt, `on_publish_failed`): a QoS 2 message the broker had acknowledged (PUBREC) when
    /// it lost the session: it was received, its delivery cannot be confirmed, and it is not sent
    /// again, which could deliver it twice.
    SessionLost = -26,
    /// -27 (zmqtt, `on_connect`): an established connection was lost (the link closed or
    /// failed, no PINGRESP in time, the broker sent DISCONNECT or broke the protocol). The
    /// client reconnects by itself.
    ConnectionLost = -27,
    /// -28 (zmqtt, `on_connect`): a connection attempt failed before the broker could answer:
    /// the TCP connection was refused or timed out, or the link closed before CONNACK.
    ConnectFailed = -28,
    /// -29 (zmqtt, `on_connect`): the broker's host name could not be resolved.
    DnsFailed = -29,
    /// -30 (zmqtt, `on_connect`): the TLS handshake failed (certificate not trusted, expired or
    /// not for the host name, or no common cipher suite).
    TlsHandshakeFailed = -30,
    /// -31 (zmqtt, `on_connect`): the broker sent no CONNACK within the connect timeout.
    ConnectTimeout = -31,
}

impl MqttError {
    /// Every error, in code order (used by tests and by C glue that wants to list them).
    pub const ALL: [MqttError; 29] = [
        MqttError::Failure,
        MqttError::Persistence,
        MqttError::Disconnected,
        MqttError::MaxMessagesInflight,
        MqttError::BadUtf8String,
        MqttError::NullParameter,
        MqttError::TopicNameTruncated,
        MqttError::BadStructure,
        MqttError::BadQos,
        MqttError::NoMoreMsgIds,
        MqttError::OperationIncomplete,
        MqttError::MaxBufferedMessages,
        MqttError::SslNotSupported,
        MqttError::BadProtocol,
        MqttError::BadMqttOption,
        MqttError::WrongMqttVersion,
        MqttError::ZeroLengthWillTopic,
        MqttError::TopicTooLong,
        MqttError::WildcardInTopicName,
        MqttError::BadTopicFilter,
        MqttError::ForbiddenCharacter,
        MqttError::MessageTooLarge,
        MqttError::BrokerDroppedMessage,
        MqttError::SessionLost,
        MqttError::ConnectionLost,
        MqttError::ConnectFailed,
        MqttError::DnsFailed,
        MqttError::TlsHandshakeFailed,
        MqttError::ConnectTimeout,
    ];

    /// The number DL-7450 uses for this error (always negative).
    pub const fn code(self) -> i32 {
        self as i8 as i32
    }

    /// The error with number `code`, or `None` for 0 (success) and numbers outside the family.
    pub fn from_code(code: i32) -> Option<MqttError> {
        MqttError::ALL.iter().copied().find(|e| e.code() == code)
    }

    /// The human-readable text for this error.
    pub const fn description(self) -> &'static str {
        match self {
            MqttError::Failure => "Failure",
            MqttError::Persistence => "Persistence error: the message store is full or unusable",
            MqttError::Disconnected => "Client is not connected",
            MqttError::MaxMessagesInflight => "Maximum number of in-flight messages reached",
            MqttError::BadUtf8String => "Invalid MQTT string: not UTF-8, or contains U+0000",
            MqttError::NullParameter => "Missing value (null parameter)",
            MqttError::TopicNameTruncated => "Topic truncated: it contains a NUL character",
            MqttError::BadStructure => "Bad structure",
            MqttError::BadQos => "Invalid QoS value",
            MqttError::NoMoreMsgIds => "No more message identifiers available",
            MqttError::OperationIncomplete => "Operation incomplete",
            MqttError::MaxBufferedMessages => "No more messages can be queued",
            MqttError::SslNotSupported => "TLS is not supported by this build",
            MqttError::BadProtocol => {
                "Invalid broker URL: use tcp://, mqtt://, ssl:// or mqtts://host[:port]"
            }
            MqttError::BadMqttOption => "Option not valid for this MQTT version",
            MqttError::WrongMqttVersion => "Call not valid for this MQTT version",
            MqttError::ZeroLengthWillTopic => "Zero-length will topic",
            MqttError::TopicTooLong => "Topic longer than the configured maximum",
            MqttError::WildcardInTopicName => {
                "Topic name contains a wildcard (+ or #); wildcards are for subscriptions"
            }
            MqttError::BadTopicFilter => {
                "Invalid topic filter: '#' must be alone in the last level, '+' a whole level"
            }
            MqttError::ForbiddenCharacter => {
                "String contains a control character or a Unicode non-character"
            }
            MqttError::MessageTooLarge => {
                "Message larger than the transmit buffer or the broker's maximum packet size"
            }
            MqttError::BrokerDroppedMessage => {
                "Broker closed the connection each time the message was sent; gave up on it"
            }
            MqttError::SessionLost => {
                "Broker lost its session after receiving the QoS 2 message; delivery unconfirmed"
            }
            MqttError::ConnectionLost => "Connection to the broker lost; reconnecting",
            MqttError::ConnectFailed => "Cannot connect to the broker (refused, unreachable)",
            MqttError::DnsFailed => "Cannot resolve the broker's host name",
            MqttError::TlsHandshakeFailed => {
                "TLS handshake failed: certificate not trusted, expired or for another host"
            }
            MqttError::ConnectTimeout => "No CONNACK from the broker in time",
        }
    }
}

impl fmt::Display for MqttError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description(), self.code())
    }
}

impl core::error::Error for MqttError {}

impl From<MqttError> for i32 {
    fn from(e: MqttError) -> i32 {
        e.code()
    }
}

/// The text for an error number: `"Success"` for 0, the [`MqttError`] text for its numbers and
/// `"Unknown error"` for anything else (never panics, so C can pass any integer).
pub fn error_description(code: i32) -> &'static str {
    if code == 0 {
        return "Success";
    }
    match MqttError::from_code(code) {
        Some(e) => e.description(),
        None => "Unknown error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_dl7450_and_paho_numbers() {
        assert_eq!(MqttError::Failure.code(), -1);
        assert_eq!(MqttError::Persistence.code(), -2);
        assert_eq!(MqttError::Disconnected.code(), -3);
        assert_eq!(MqttError::MaxMessagesInflight.code(), -4);
        assert_eq!(MqttError::BadUtf8String.code(), -5);
        assert_eq!(MqttError::NullParameter.code(), -6);
        assert_eq!(MqttError::BadQos.code(), -9);
        assert_eq!(MqttError::NoMoreMsgIds.code(), -10);
        assert_eq!(MqttError::MaxBufferedMessages.code(), -12);
        assert_eq!(MqttError::BadProtocol.code(), -14);
        assert_eq!(MqttError::ZeroLengthWillTopic.code(), -17);
    }

    #[test]
    fn every_code_from_minus_1_to_minus_17_round_trips() {
        for (i, e) in MqttError::ALL[..17].iter().enumerate() {
            let code = -(i as i32) - 1;
            assert_eq!(e.code(), code);
            assert_eq!(MqttError::from_code(code), Some(*e));
            assert_eq!(error_description(code), e.description());
        }
    }

    #[test]
    fn zmqtt_codes_leave_paho_s_18_and_19_free_and_are_distinct() {
        // Paho's MQTTAsync.h: -18 MQTTASYNC_COMMAND_IGNORED, -19 MQTTASYNC_MAX_BUFFERED.
        assert_eq!(MqttError::from_code(-18), None);
        assert_eq!(MqttError::from_code(-19), None);
        let own: Vec<i32> = MqttError::ALL[17..].iter().map(|e| e.code()).collect();
        assert_eq!(own, (-31..=-20).rev().collect::<Vec<_>>());
        for e in MqttError::ALL {
            assert_eq!(MqttError::from_code(e.code()), Some(e));
            let same_text = MqttError::ALL
                .iter()
                .filter(|o| o.description() == e.description());
            assert_eq!(same_text.count(), 1, "{e:?} shares its text");
        }
    }

    #[test]
    fn description_of_success_and_unknown_codes() {
        assert_eq!(error_description(0), "Success");
        assert_eq!(error_description(-18), "Unknown error");
        assert_eq!(error_description(-32), "Unknown error");
        assert_eq!(error_description(7), "Unknown error");
        assert_eq!(error_description(i32::MIN), "Unknown error");
        assert_eq!(MqttError::from_code(0), None);
    }
}
