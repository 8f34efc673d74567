//! Connection options: everything DL-7450's `mqtt` module lets a user set, plus the engine's timing.

use crate::codec::{ProtocolVersion, Will};
use crate::time::Duration;

use super::error::ConfigError;
use super::forbidden_chars::has_forbidden_char;

/// How to connect and how to behave when the connection is lost.
///
/// Strings are borrowed: the Zephyr glue keeps them in its own static buffers. `Config::new`
/// gives the DL-7450 defaults; change fields with struct update syntax or the builder methods.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config<'a> {
    /// Client identifier (MQTT 3.1.1 §3.1.3.1). May be empty with MQTT 5.0 (the broker assigns
    /// one, which the client then keeps for its reconnects) or with a clean session in 3.1.1.
    pub client_id: &'a str,
    /// MQTT 3.1.1 or 5.0.
    pub protocol: ProtocolVersion,
    /// Keep alive in seconds; 0 turns keepalive off (MQTT 3.1.1 §3.1.2.10). Default 60.
    pub keep_alive: u16,
    /// Start without a session and drop it at the end (3.1.1 Clean Session / 5.0 Clean Start with
    /// Session Expiry 0). Default `false`: a persistent session, as on DL-7450, so QoS 1/2
    /// messages and subscriptions survive a lost connection.
    pub clean_session: bool,
    /// User name, if any.
    pub username: Option<&'a str>,
    /// Password, if any; needs a user name (DL-7450 refuses a password alone).
    pub password: Option<&'a [u8]>,
    /// The last will, published by the broker if this client vanishes.
    pub will: Option<Will<'a>>,
    /// MQTT 5.0 Session Expiry Interval in seconds. `None`: 0 for a clean session, `u32::MAX`
    /// (never expires) for a persistent one, which matches 3.1.1's persistent session.
    pub session_expiry_interval: Option<u32>,
    /// The largest packet this client accepts, in bytes: the size of the receive buffer. Announced
    /// to a 5.0 broker as Maximum Packet Size; a larger packet is a protocol error.
    pub max_incoming_packet: u32,
    /// The largest packet this client sends, in bytes: the size of the transmit buffer. Publishes
    /// that would not fit are refused at `publish`.
    pub max_outgoing_packet: u32,
    /// MQTT 5.0 Topic Alias Maximum announced to the broker (incoming aliases this client
    /// resolves); 0 refuses them. Their topics are kept in the topic pool.
    pub topic_alias_maximum: u16,
    /// Give outgoing topics MQTT 5.0 aliases automatically, up to the broker's maximum. Default on.
    pub outgoing_topic_aliases: bool,
    /// How long to wait for CONNACK after the link is up before giving up on it. Default 10 s.
    pub connect_timeout: Duration,
    /// How long to wait for PINGRESP before declaring the link dead. Default 10 s.
    pub ping_timeout: Duration,
    /// Reconnect automatically after a lost connection. Default on.
    pub auto_reconnect: bool,
    /// First reconnect delay; doubled after each failure. Default 1 s (DL-7450).
    pub reconnect_min: Duration,
    /// Longest reconnect delay. Default 60 s (DL-7450: 1, 2, 4, 8, 16, 32 s, then every 60 s).
    pub reconnect_max: Duration,
    /// Resend a QoS 1/2 PUBLISH (with DUP) or a PUBREL the broker has not acknowledged after
    /// this long, on the same connection (DL-7450: "will retry sending after a time defined in
    /// the connect options"). Zero (the default) turns it off: unacknowledged packets are then
    /// resent only after a reconnect, which MQTT 3.1.1 §4.4 requires anyway. A packet goes
    /// again between this interval and a quarter more after it was written (the clock ticks
    /// four times per interval, so no per-message time is stored), then again each interval.
    ///
    /// MQTT 3.1.1 only. Under 5.0 it is ignored: MQTT 5.0 §4.4 allows resending only on a
    /// reconnect ("Clients and Servers MUST NOT resend messages at any other time"), and a 5.0
    /// broker may treat such a copy as a protocol error. Needs the `retry` feature
    /// (`CONFIG_ZMQTT_QOS_RETRY`): without it a non-zero interval is
    /// [`ConfigError::RetryNotBuilt`].
    pub retry_interval: Duration,
}

impl<'a> Config<'a> {
    /// The DL-7450 defaults for `client_id`: MQTT 3.1.1, keep alive 60 s, persistent session.
    pub const fn new(client_id: &'a str) -> Self {
        Config {
            client_id,
            protocol: ProtocolVersion::V3_1_1,
            keep_alive: 60,
            clean_session: false,
            username: None,
            password: None,
            will: None,
            session_expiry_interval: None,
            max_incoming_packet: 1024,
            max_outgoing_packet: 1024,
            topic_alias_maximum: 8,
            outgoing_topic_aliases: true,
            connect_timeout: Duration::from_secs(10),
            ping_timeout: Duration::from_secs(10),
            auto_reconnect: true,
            reconnect_min: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(60),
            retry_interval: Duration::ZERO,
        }
    }

    /// Sets the QoS 1/2 retry interval (MQTT 3.1.1; see [`Config::retry_interval`]).
    pub const fn retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }

    /// Sets the protocol version.
    pub const fn protocol(mut self, protocol: ProtocolVersion) -> Self {
        self.protocol = protocol;
        self
    }

    /// Sets the keep alive in seconds.
    pub const fn keep_alive(mut self, secs: u16) -> Self {
        self.keep_alive = secs;
        self
    }

    /// Chooses a clean (`true`) or persistent (`false`) session.
    pub const fn clean_session(mut self, clean: bool) -> Self {
        self.clean_session = clean;
        self
    }

    /// Sets user name and password.
    pub const fn credentials(
        mut self,
        username: Option<&'a str>,
        password: Option<&'a [u8]>,
    ) -> Self {
        self.username = username;
        self.password = password;
        self
    }

    /// Sets the last will.
    pub const fn will(mut self, will: Will<'a>) -> Self {
        self.will = Some(will);
        self
    }

    /// Sets the MQTT 5.0 session expiry interval in seconds.
    pub const fn session_expiry_interval(mut self, secs: u32) -> Self {
        self.session_expiry_interval = Some(secs);
        self
    }

    /// Sets the largest incoming and outgoing packet (the receive and transmit buffer sizes).
    pub const fn max_packet(mut self, incoming: u32, outgoing: u32) -> Self {
        self.max_incoming_packet = incoming;
        self.max_outgoing_packet = outgoing;
        self
    }

    /// Sets the reconnect delays.
    pub const fn reconnect_delays(mut self, min: Duration, max: Duration) -> Self {
        self.reconnect_min = min;
        self.reconnect_max = max;
        self
    }

    /// The session expiry interval sent in a 5.0 CONNECT.
    #[cfg(any(test, feature = "v5"))]
    pub(crate) fn effective_session_expiry(&self) -> u32 {
        match self.session_expiry_interval {
            Some(s) => s,
            None if self.clean_session => 0,
            None => u32::MAX,
        }
    }

    /// Checks the rules DL-7450 and MQTT put on the options.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.password.is_some() && self.username.is_none() {
            return Err(ConfigError::PasswordWithoutUsername);
        }
        if !self.protocol.is_built() {
            return Err(ConfigError::ProtocolNotBuilt);
        }
        let v5 = self.protocol.in_build() == ProtocolVersion::V5;
        if self.client_id.is_empty() && !self.clean_session && !v5 {
            // MQTT 3.1.1 §3.1.3.1: a broker must refuse an empty id with Clean Session 0.
            return Err(ConfigError::EmptyClientId);
        }
        if self.client_id.contains('\0') {
            return Err(ConfigError::NullCharacter);
        }
        if let Some(username) = self.username {
            check_username(username)?;
        }
        let will_topic = self.will.as_ref().map(|w| w.topic.as_str());
        if [Some(self.client_id), will_topic]
            .into_iter()
            .flatten()
            .any(has_forbidden_char)
        {
            return Err(ConfigError::ForbiddenCharacter);
        }
        if let Some(will) = &self.will {
            // The rest of the topic rules were checked when the `TopicName` was built; only
            // `TopicName::EMPTY`, meant for PUBLISH with a Topic Alias, can still be wrong here.
            if will.topic.is_empty() {
                return Err(ConfigError::EmptyWillTopic);
            }
            if !v5 && !will.properties.is_empty() {
                return Err(ConfigError::OptionForV5Only);
            }
            if will.payload.len() > usize::from(u16::MAX) {
                return Err(ConfigError::WillTooLarge);
            }
        }
        if !v5 && self.session_expiry_interval.is_some() {
            return Err(ConfigError::OptionForV5Only);
        }
        if self.max_incoming_packet < 16 || self.max_outgoing_packet < 16 {
            // Smaller buffers cannot hold a CONNACK with properties or any useful PUBLISH.
            return Err(ConfigError::BufferTooSmall);
        }
        if self.reconnect_min == Duration::ZERO || self.reconnect_max < self.reconnect_min {
            return Err(ConfigError::ReconnectDelays);
        }
        if !cfg!(feature = "retry") && self.retry_interval != Duration::ZERO {
            return Err(ConfigError::RetryNotBuilt);
        }
        Ok(())
    }
}

/// The rules [`Config::validate`] puts on a user name: no U+0000
/// ([`ConfigError::NullCharacter`]), no control character or Unicode non-character
/// ([`ConfigError::ForbiddenCharacter`], see MQTT 3.1.1 §1.5.3). For a caller that must check
/// new credentials before it gives up the ones in force (the Zephyr glue's credentials
/// provider): the password has no rule, it is binary data.
pub fn check_username(username: &str) -> Result<(), ConfigError> {
    if username.contains('\0') {
        return Err(ConfigError::NullCharacter);
    }
    if has_forbidden_char(username) {
        return Err(ConfigError::ForbiddenCharacter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Properties, QoS, TopicError, TopicName};
    use crate::MqttError;

    fn will(topic: &str) -> Will<'_> {
        Will {
            topic: if topic.is_empty() {
                TopicName::EMPTY
            } else {
                TopicName::new(topic).unwrap()
            },
            payload: b"bye",
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: Properties::EMPTY,
        }
    }

    #[test]
    fn defaults_are_those_of_dl7450() {
        let c = Config::new("dev1");
        assert_eq!(c.keep_alive, 60);
        assert!(!c.clean_session);
        assert_eq!(c.protocol, ProtocolVersion::V3_1_1);
        assert_eq!(c.reconnect_min, Duration::from_secs(1));
        assert_eq!(c.reconnect_max, Duration::from_secs(60));
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.effective_session_expiry(), u32::MAX);
        assert_eq!(c.clean_session(true).effective_session_expiry(), 0);
    }

    #[test]
    fn password_without_username_is_error_minus_6() {
        let c = Config::new("dev1").credentials(None, Some(b"secret"));
        assert_eq!(c.validate(), Err(ConfigError::PasswordWithoutUsername));
        assert_eq!(
            MqttError::from(ConfigError::PasswordWithoutUsername).code(),
            -6
        );
        assert_eq!(
            Config::new("dev1")
                .credentials(Some("u"), Some(b"p"))
                .validate(),
            Ok(())
        );
        assert_eq!(
            Config::new("dev1").credentials(Some("u"), None).validate(),
            Ok(())
        );
    }

    #[test]
    fn zero_length_will_topic_is_error_minus_17() {
        let c = Config::new("dev1").will(will(""));
        assert_eq!(c.validate(), Err(ConfigError::EmptyWillTopic));
        assert_eq!(MqttError::from(ConfigError::EmptyWillTopic).code(), -17);
        // A will topic with a wildcard cannot even be built.
        assert_eq!(TopicName::new("a/#"), Err(TopicError::WildcardInName));
        assert_eq!(Config::new("d").will(will("dev/status")).validate(), Ok(()));
    }

    #[test]
    fn v5_options_on_a_3_1_1_config_are_error_minus_15() {
        let c = Config::new("dev1").session_expiry_interval(30);
        assert_eq!(c.validate(), Err(ConfigError::OptionForV5Only));
        assert_eq!(MqttError::from(ConfigError::OptionForV5Only).code(), -15);
        assert_eq!(
            c.protocol(ProtocolVersion::V5).validate(),
            v5_or_not_built()
        );
    }

    /// What a valid MQTT 5.0 configuration gives: accepted, or refused by a 3.1.1-only build.
    fn v5_or_not_built() -> Result<(), ConfigError> {
        if cfg!(feature = "v5") {
            Ok(())
        } else {
            Err(ConfigError::ProtocolNotBuilt)
        }
    }

    #[test]
    fn v5_in_a_build_without_it_is_error_minus_15() {
        let c = Config::new("dev1").protocol(ProtocolVersion::V5);
        assert_eq!(c.validate(), v5_or_not_built());
        assert_eq!(MqttError::from(ConfigError::ProtocolNotBuilt).code(), -15);
        assert_eq!(ProtocolVersion::V5.is_built(), cfg!(feature = "v5"));
        assert!(ProtocolVersion::V3_1_1.is_built());
    }

    #[test]
    fn control_and_noncharacters_in_id_user_or_will_topic_are_error_minus_23() {
        for c in [
            Config::new("dev\u{7}"),
            Config::new("dev").credentials(Some("user\u{85}"), Some(b"\x01 binary is fine")),
            Config::new("dev").will(will("dev/\u{fffe}")),
        ] {
            assert_eq!(c.validate(), Err(ConfigError::ForbiddenCharacter));
        }
        assert_eq!(MqttError::from(ConfigError::ForbiddenCharacter).code(), -23);
        let password_bytes = Config::new("dev").credentials(Some("u"), Some(b"\x01\x7f"));
        assert_eq!(password_bytes.validate(), Ok(()));
    }

    #[test]
    fn check_username_applies_the_rules_validate_applies_to_a_user_name() {
        for (user, expected) in [
            ("user", Ok(())),
            ("dock/\u{e9}", Ok(())),
            ("us\0er", Err(ConfigError::NullCharacter)),
            ("user\u{1b}", Err(ConfigError::ForbiddenCharacter)),
            ("user\u{fdd0}", Err(ConfigError::ForbiddenCharacter)),
        ] {
            assert_eq!(check_username(user), expected, "{user:?}");
            let config = Config::new("dev").credentials(Some(user), Some(b"pw"));
            assert_eq!(config.validate(), expected, "{user:?}");
        }
    }

    #[test]
    fn empty_client_id_needs_a_clean_session_or_v5() {
        assert_eq!(Config::new("").validate(), Err(ConfigError::EmptyClientId));
        assert_eq!(Config::new("").clean_session(true).validate(), Ok(()));
        assert_eq!(
            Config::new("").protocol(ProtocolVersion::V5).validate(),
            v5_or_not_built()
        );
    }
}
