//! The DL-7450 `MqttError` numbers and their texts.
//!
//! DL-7450's `mqtt` module reports failures as small negative integers. Its documented codes
//! (0, -1 … -6, -9, -10, -14) are the ones of the Eclipse Paho asynchronous C client
//! (`MQTTASYNC_*`), so the gaps are filled from the same family: a user who looks a number up in
//! either place finds the same meaning. Every command error of the client converts into
//! [`MqttError`] (see `From` impls in `client::error`), and [`error_description`] gives the text
//! the Zephyr glue hands to C.

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
    /// -5: a string is not valid UTF-8 or holds characters MQTT forbids (U+0000, wildcards in a topic name …).
    BadUtf8String = -5,
    /// -6: a required value is missing (e.g. a password without a user name, an empty client id).
    NullParameter = -6,
    /// -7: a topic name was cut short (contains a NUL byte).
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
}

impl MqttError {
    /// Every error, in code order (used by tests and by C glue that wants to list them).
    pub const ALL: [MqttError; 17] = [
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
            MqttError::BadUtf8String => "Invalid UTF-8 string",
            MqttError::NullParameter => "Missing value (null parameter)",
            MqttError::TopicNameTruncated => "Topic name truncated: it contains a NUL character",
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

/// The text for an error number: `"Success"` for 0, the [`MqttError`] text for -1 … -17 and
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
        for (i, e) in MqttError::ALL.iter().enumerate() {
            let code = -(i as i32) - 1;
            assert_eq!(e.code(), code);
            assert_eq!(MqttError::from_code(code), Some(*e));
            assert_eq!(error_description(code), e.description());
        }
    }

    #[test]
    fn description_of_success_and_unknown_codes() {
        assert_eq!(error_description(0), "Success");
        assert_eq!(error_description(-18), "Unknown error");
        assert_eq!(error_description(7), "Unknown error");
        assert_eq!(error_description(i32::MIN), "Unknown error");
        assert_eq!(MqttError::from_code(0), None);
    }
}
