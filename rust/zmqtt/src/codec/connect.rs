//! CONNECT: MQTT 3.1.1 §3.1, MQTT 5.0 §3.1.
//!
//! Variable header: protocol name "MQTT", protocol level (4 or 5), connect flags, keep alive,
//! then (5.0) properties. Payload, in this order and each only if its flag says so: client
//! identifier, (5.0) will properties, will topic, will payload, user name, password.
// Some imports serve only the server-direction half (`broker` feature).
#![cfg_attr(not(feature = "broker"), allow(unused_imports))]

use super::cursor::{field_len, Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::string::MqttStr;
use super::topic::{topic_error, validate_topic_name, TopicError, TopicName};
use super::{ProtocolVersion, QoS};

/// The protocol name of §3.1.2.1; MQTT 3.1's "MQIsdp" is not supported.
const PROTOCOL_NAME: &[u8] = b"MQTT";

mod flag {
    #[cfg(feature = "broker")]
    pub const RESERVED: u8 = 0x01;
    pub const CLEAN_START: u8 = 0x02;
    pub const WILL: u8 = 0x04;
    pub const WILL_QOS_SHIFT: u8 = 3;
    pub const WILL_RETAIN: u8 = 0x20;
    pub const PASSWORD: u8 = 0x40;
    pub const USERNAME: u8 = 0x80;
}

/// The Will Message of a CONNECT (§3.1.2.5, §3.1.3.2 to §3.1.3.4).
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Will<'a> {
    /// Topic the will is published to (a topic name: no wildcards; not empty).
    pub topic: TopicName<'a>,
    /// Application message of the will, at most 65,535 bytes.
    pub payload: &'a [u8],
    /// QoS of the will.
    pub qos: QoS,
    /// Whether the will is retained.
    pub retain: bool,
    /// Will properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

/// A CONNECT packet. Its `Debug` output shows the password's length only, so that
/// logging a packet never logs the secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Client identifier; may be empty (the server then assigns one, or refuses).
    pub client_id: MqttStr<'a>,
    /// Keep alive in seconds; 0 turns keep alive off.
    pub keep_alive: u16,
    /// Clean Session (3.1.1) / Clean Start (5.0).
    pub clean_start: bool,
    /// User name.
    pub username: Option<MqttStr<'a>>,
    /// Password (binary data). MQTT 3.1.1 needs a user name with it.
    pub password: Option<&'a [u8]>,
    /// The Will Message.
    pub will: Option<Will<'a>>,
    /// CONNECT properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

#[cfg(any(test, feature = "log-debug"))]
impl core::fmt::Debug for Repr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        /// Stands in for the password in `Debug` output.
        struct Redacted(usize);
        impl core::fmt::Debug for Redacted {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "<{} bytes>", self.0)
            }
        }
        f.debug_struct("Repr")
            .field("client_id", &self.client_id)
            .field("keep_alive", &self.keep_alive)
            .field("clean_start", &self.clean_start)
            .field("username", &self.username)
            .field("password", &self.password.map(|p| Redacted(p.len())))
            .field("will", &self.will)
            .field("properties", &self.properties)
            .finish()
    }
}

impl<'a> Repr<'a> {
    #[cfg(feature = "broker")]
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        let version = version.in_build();
        let mut r = Reader::new(body);
        if r.binary()? != PROTOCOL_NAME {
            return Err(DecodeError::ProtocolName);
        }
        if r.u8()? != version.level() {
            return Err(DecodeError::UnsupportedProtocolVersion);
        }
        let flags = r.u8()?;
        let has_will = flags & flag::WILL != 0;
        let will_qos = (flags >> flag::WILL_QOS_SHIFT) & 0x03;
        let will_retain = flags & flag::WILL_RETAIN != 0;
        let has_password = flags & flag::PASSWORD != 0;
        let has_username = flags & flag::USERNAME != 0;
        // §3.1.2.3: the reserved bit is 0. §3.1.2.6/§3.1.2.7: no Will QoS or Retain without a Will.
        if flags & flag::RESERVED != 0 || (!has_will && (will_qos != 0 || will_retain)) {
            return Err(DecodeError::ConnectFlags);
        }
        // §3.1.2.9 (3.1.1 only; 5.0 allows a password alone, e.g. for token authentication).
        if version == ProtocolVersion::V3_1_1 && has_password && !has_username {
            return Err(DecodeError::ConnectFlags);
        }
        let will_qos = QoS::try_from(will_qos)?;
        let keep_alive = r.u16()?;
        let properties = match version {
            ProtocolVersion::V5 => Properties::parse(&mut r, Context::Connect)?,
            ProtocolVersion::V3_1_1 => Properties::EMPTY,
        };
        let client_id = MqttStr::new_validated(r.string()?);
        let will = if has_will {
            let properties = match version {
                ProtocolVersion::V5 => Properties::parse(&mut r, Context::Will)?,
                ProtocolVersion::V3_1_1 => Properties::EMPTY,
            };
            let topic = r.utf8()?;
            validate_topic_name(topic).map_err(topic_error)?;
            let payload = r.binary()?;
            Some(Will {
                topic: TopicName::new_validated(topic),
                payload,
                qos: will_qos,
                retain: will_retain,
                properties,
            })
        } else {
            None
        };
        let username = if has_username {
            Some(MqttStr::new_validated(r.string()?))
        } else {
            None
        };
        let password = if has_password {
            Some(r.binary()?)
        } else {
            None
        };
        r.finish()?;
        Ok(Self {
            client_id,
            keep_alive,
            clean_start: flags & flag::CLEAN_START != 0,
            username,
            password,
            will,
            properties,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let version = version.in_build();
        let v5 = version == ProtocolVersion::V5;
        // Protocol name (2 + 4), level, flags, keep alive.
        let mut n = field_len(PROTOCOL_NAME.len()) + 4;
        if v5 {
            n = n.saturating_add(self.properties.wire_len());
        }
        n = n.saturating_add(field_len(self.client_id.len()));
        if let Some(will) = &self.will {
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
        n
    }

    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        let version = version.in_build();
        let v5 = version == ProtocolVersion::V5;
        if !v5 {
            let will_props = self.will.is_some_and(|will| !will.properties.is_empty());
            if !self.properties.is_empty() || will_props {
                return Err(EncodeError::NotInV3_1_1(V5Only::Properties));
            }
            if self.password.is_some() && self.username.is_none() {
                return Err(EncodeError::NotInV3_1_1(V5Only::PasswordWithoutUsername));
            }
        }
        let mut flags = 0;
        if self.clean_start {
            flags |= flag::CLEAN_START;
        }
        if let Some(will) = &self.will {
            // Only `TopicName::EMPTY` can be an invalid will topic; the rest was checked when
            // the `TopicName` was built.
            if will.topic.is_empty() {
                return Err(EncodeError::Topic(TopicError::Empty));
            }
            flags |= flag::WILL | (will.qos as u8) << flag::WILL_QOS_SHIFT;
            if will.retain {
                flags |= flag::WILL_RETAIN;
            }
        }
        if self.username.is_some() {
            flags |= flag::USERNAME;
        }
        if self.password.is_some() {
            flags |= flag::PASSWORD;
        }
        w.binary(PROTOCOL_NAME);
        w.u8(version.level());
        w.u8(flags);
        w.u16(self.keep_alive);
        if v5 {
            self.properties.emit(w, Context::Connect)?;
        }
        w.checked_string(self.client_id.as_str());
        if let Some(will) = &self.will {
            if v5 {
                will.properties.emit(w, Context::Will)?;
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
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    // Reduced feature sets (scripts/test) compile only some of the tests below.
    #![cfg_attr(
        not(all(feature = "v5", feature = "qos2", feature = "broker")),
        allow(unused_imports, dead_code)
    )]
    use super::super::testutil::*;
    use super::super::{
        DecodeError, EncodeError, MqttStr, Packet, Properties, Property, QoS, TopicName, V5Only,
    };
    use super::{Repr, Will};

    /// MQTT 3.1.1 §3.1: client id "abc", Clean Session, keep alive 60, nothing else.
    pub const CONNECT_V3_MINIMAL: &[u8] = &[
        0x10, 0x0f, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x03, b'a',
        b'b', b'c',
    ];

    /// MQTT 3.1.1 §3.1.2.3 flags 0xEE (user name, password, will retain, will QoS 1, will,
    /// clean session), keep alive 10, then §3.1.3 payload: "cid", will topic "w/t", will
    /// payload "bye", user "user", password "pw".
    pub const CONNECT_V3_FULL: &[u8] = &[
        0x10, 0x23, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0xee, 0x00, 0x0a, 0x00, 0x03, b'c',
        b'i', b'd', 0x00, 0x03, b'w', b'/', b't', 0x00, 0x03, b'b', b'y', b'e', 0x00, 0x04, b'u',
        b's', b'e', b'r', 0x00, 0x02, b'p', b'w',
    ];

    /// MQTT 5.0 §3.1: the same as `CONNECT_V3_FULL` at level 5, with CONNECT properties
    /// (§3.1.2.11: Session Expiry 120, Receive Maximum 20, User Property k=v) and will
    /// properties (§3.1.3.2: Will Delay 5, Content Type "t").
    pub const CONNECT_V5_FULL: &[u8] = &[
        0x10, 0x3d, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0xee, 0x00, 0x0a, 0x0f, 0x11, 0x00,
        0x00, 0x00, 0x78, 0x21, 0x00, 0x14, 0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', 0x00, 0x03,
        b'c', b'i', b'd', 0x09, 0x18, 0x00, 0x00, 0x00, 0x05, 0x03, 0x00, 0x01, b't', 0x00, 0x03,
        b'w', b'/', b't', 0x00, 0x03, b'b', b'y', b'e', 0x00, 0x04, b'u', b's', b'e', b'r', 0x00,
        0x02, b'p', b'w',
    ];

    /// MQTT 5.0 §3.1: empty client id, Clean Start, keep alive 0, empty property section.
    pub const CONNECT_V5_MINIMAL: &[u8] = &[
        0x10, 0x0d, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// MQTT 5.0 §3.1.2.9: a password without a user name (flags 0x40), allowed only in 5.0.
    pub const CONNECT_V5_PASSWORD_ONLY: &[u8] = &[
        0x10, 0x11, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x02, b'p', b'w',
    ];

    fn minimal(client_id: &str) -> Repr<'_> {
        Repr {
            client_id: MqttStr::new(client_id).unwrap(),
            keep_alive: 60,
            clean_start: true,
            username: None,
            password: None,
            will: None,
            properties: Properties::EMPTY,
        }
    }

    const WILL_V3: Will<'static> = Will {
        topic: TopicName::new_validated("w/t"),
        payload: b"bye",
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: Properties::EMPTY,
    };

    fn full(
        properties: Properties<'static>,
        will_properties: Properties<'static>,
    ) -> Repr<'static> {
        Repr {
            client_id: MqttStr::new_validated("cid"),
            keep_alive: 10,
            clean_start: true,
            username: Some(MqttStr::new_validated("user")),
            password: Some(b"pw"),
            will: Some(Will {
                properties: will_properties,
                ..WILL_V3
            }),
            properties,
        }
    }

    const PROPS: &[Property<'static>] = &[
        Property::SessionExpiryInterval(120),
        Property::ReceiveMaximum(20),
        Property::UserProperty("k", "v"),
    ];
    const WILL_PROPS: &[Property<'static>] =
        &[Property::WillDelayInterval(5), Property::ContentType("t")];

    #[cfg(feature = "broker")]
    #[test]
    fn connect_v3_minimal_matches_the_spec_bytes() {
        check_vector(CONNECT_V3_MINIMAL, V3, Packet::Connect(minimal("abc")));
    }

    #[cfg(feature = "broker")]
    #[test]
    fn connect_v3_with_will_and_credentials_matches_the_spec_bytes() {
        check_vector(
            CONNECT_V3_FULL,
            V3,
            Packet::Connect(full(Properties::EMPTY, Properties::EMPTY)),
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn connect_v5_with_properties_and_will_properties_roundtrips() {
        let repr = full(Properties::List(PROPS), Properties::List(WILL_PROPS));
        check_vector(CONNECT_V5_FULL, V5, Packet::Connect(repr));
        let Packet::Connect(c) = decode_one(CONNECT_V5_FULL, V5) else {
            panic!()
        };
        assert_eq!(c.properties.session_expiry_interval(), Some(120));
        assert_eq!(c.properties.receive_maximum(), Some(20));
        assert_eq!(
            c.properties.user_properties().collect::<Vec<_>>(),
            [("k", "v")]
        );
        assert_eq!(c.will.unwrap().properties.will_delay_interval(), Some(5));
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn connect_v5_minimal_has_an_empty_property_section() {
        let repr = Repr {
            client_id: MqttStr::EMPTY,
            keep_alive: 0,
            ..minimal("")
        };
        check_vector(CONNECT_V5_MINIMAL, V5, Packet::Connect(repr));
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn connect_v5_allows_a_password_without_user_name_but_v3_does_not() {
        let repr = Repr {
            clean_start: false,
            keep_alive: 0,
            password: Some(b"pw"),
            ..minimal("")
        };
        check_vector(CONNECT_V5_PASSWORD_ONLY, V5, Packet::Connect(repr));
        let mut v3 = CONNECT_V5_PASSWORD_ONLY.to_vec();
        v3[8] = 4;
        v3.remove(12); // no property section in 3.1.1
        v3[1] -= 1;
        assert_eq!(decode_err(&v3, V3), DecodeError::ConnectFlags);
        assert_eq!(
            encode_err(Packet::Connect(repr), V3),
            EncodeError::NotInV3_1_1(V5Only::PasswordWithoutUsername)
        );
    }

    #[cfg(feature = "broker")]
    #[test]
    fn connect_with_wrong_protocol_name_or_level_is_refused() {
        // MQTT 3.1's "MQIsdp" (level 3) is not supported.
        let mqisdp = [
            0x10, 0x11, 0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', 0x03, 0x02, 0x00, 0x3c,
            0x00, 0x03, b'a', b'b', b'c',
        ];
        assert_eq!(decode_err(&mqisdp, V3), DecodeError::ProtocolName);
        assert_eq!(
            decode_err(CONNECT_V3_MINIMAL, V5),
            DecodeError::UnsupportedProtocolVersion
        );
        assert_eq!(
            decode_err(CONNECT_V5_MINIMAL, V3),
            DecodeError::UnsupportedProtocolVersion
        );
        let mut level3 = CONNECT_V3_MINIMAL.to_vec();
        level3[8] = 3;
        assert_eq!(
            decode_err(&level3, V3),
            DecodeError::UnsupportedProtocolVersion
        );
        assert_eq!(
            DecodeError::UnsupportedProtocolVersion.reason_code().0,
            0x84
        );
    }

    #[cfg(feature = "broker")]
    #[test]
    fn connect_flags_reserved_bit_and_orphan_will_bits_are_refused() {
        for flags in [0x03, 0x0a, 0x22, 0x12] {
            // 0x03: reserved bit; 0x0a: will QoS 1 without will; 0x22: will retain without will;
            // 0x12: will QoS 2 without will.
            let mut b = CONNECT_V3_MINIMAL.to_vec();
            b[9] = flags;
            assert_eq!(
                decode_err(&b, V3),
                DecodeError::ConnectFlags,
                "flags {flags:02x}"
            );
        }
        let mut qos3 = CONNECT_V3_FULL.to_vec();
        qos3[9] = 0xfe; // will QoS 3
        assert_eq!(decode_err(&qos3, V3), DecodeError::QoS);
    }

    #[cfg(feature = "broker")]
    #[test]
    fn connect_with_wildcard_will_topic_is_refused_both_ways() {
        let mut b = CONNECT_V3_FULL.to_vec();
        b[20] = b'+';
        assert_eq!(
            decode_err(&b, V3),
            DecodeError::Topic(super::super::TopicError::WildcardInName)
        );
        let mut repr = full(Properties::EMPTY, Properties::EMPTY);
        // A will topic with a wildcard cannot be encoded: it cannot become a `TopicName`; the
        // empty `TopicName` (for PUBLISH with a Topic Alias) is refused in a will.
        assert_eq!(
            TopicName::new("w/#"),
            Err(super::super::TopicError::WildcardInName)
        );
        repr.will = Some(Will {
            topic: TopicName::EMPTY,
            ..WILL_V3
        });
        assert_eq!(
            encode_err(Packet::Connect(repr), V3),
            EncodeError::Topic(super::super::TopicError::Empty)
        );
    }

    #[cfg(feature = "broker")]
    #[test]
    fn connect_with_bytes_after_the_password_is_refused() {
        let mut b = CONNECT_V3_FULL.to_vec();
        b.push(0);
        b[1] += 1;
        assert_eq!(decode_err(&b, V3), DecodeError::TrailingBytes);
        let mut short = CONNECT_V3_FULL.to_vec();
        short.pop();
        short[1] -= 1;
        assert_eq!(decode_err(&short, V3), DecodeError::Truncated);
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn connect_properties_follow_the_per_packet_rules() {
        // Topic Alias (0x23) is a PUBLISH property.
        let mut b = CONNECT_V5_MINIMAL.to_vec();
        b[12] = 3;
        b.splice(13..13, [0x23, 0x00, 0x01]);
        b[1] += 3;
        assert_eq!(decode_err(&b, V5), DecodeError::PropertyNotAllowed(0x23));
        // Will Delay Interval is a will property, not a CONNECT property.
        let props = [Property::WillDelayInterval(1)];
        let repr = Repr {
            properties: Properties::List(&props),
            ..minimal("a")
        };
        assert_eq!(
            encode_err(Packet::Connect(repr), V5),
            EncodeError::PropertyNotAllowed(0x18)
        );
        // Session Expiry Interval is not a will property.
        let mut repr = full(
            Properties::EMPTY,
            Properties::List(&[Property::SessionExpiryInterval(1)]),
        );
        assert_eq!(
            encode_err(Packet::Connect(repr), V5),
            EncodeError::PropertyNotAllowed(0x11)
        );
        // 3.1.1 cannot carry will properties.
        repr.will = Some(Will {
            properties: Properties::List(WILL_PROPS),
            ..WILL_V3
        });
        assert_eq!(
            encode_err(Packet::Connect(repr), V3),
            EncodeError::NotInV3_1_1(V5Only::Properties)
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn connect_authentication_data_needs_a_method() {
        let props = [Property::AuthenticationData(b"x")];
        let repr = Repr {
            properties: Properties::List(&props),
            ..minimal("a")
        };
        assert_eq!(
            encode_err(Packet::Connect(repr), V5),
            EncodeError::AuthDataWithoutMethod
        );
        let ok = [
            Property::AuthenticationData(b"x"),
            Property::AuthenticationMethod("SCRAM"),
        ];
        let repr = Repr {
            properties: Properties::List(&ok),
            ..minimal("a")
        };
        let bytes = encode(&Packet::Connect(repr), V5);
        assert_eq!(decode_one(&bytes, V5), Packet::Connect(repr));
        // The same bytes without the method (drop 0x15 "SCRAM" = 8 bytes at the end of the section).
        let mut bad = bytes.clone();
        let at = bad.iter().position(|&b| b == 0x15).unwrap();
        bad.drain(at..at + 8);
        bad[1] -= 8;
        bad[12] -= 8;
        assert_eq!(decode_err(&bad, V5), DecodeError::AuthDataWithoutMethod);
    }

    #[test]
    fn debug_output_hides_the_password() {
        let repr = Repr {
            username: Some(MqttStr::new("user").unwrap()),
            password: Some(b"hunter2"),
            ..minimal("c")
        };
        let mut out = heapless::String::<512>::new();
        core::fmt::write(&mut out, format_args!("{repr:?}")).unwrap();
        assert!(
            !out.contains("hunter2") && !out.contains("104, 117"),
            "{out}"
        );
        assert!(out.contains("<7 bytes>") && out.contains("user"), "{out}");
    }
}
