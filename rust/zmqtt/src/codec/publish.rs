//! PUBLISH: MQTT 3.1.1 §3.3, MQTT 5.0 §3.3.
//!
//! Fixed header flags: DUP (bit 3), QoS (bits 2-1), RETAIN (bit 0). Variable header: topic name,
//! packet identifier (QoS 1 and 2 only), (5.0) properties. The payload is the rest of the packet
//! and is handed out as a view, never copied.

use super::cursor::{field_len, Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::topic::{topic_error, validate_topic_name, TopicError, TopicName};
use super::{read_packet_id, PacketId, ProtocolVersion, QoS};

/// A PUBLISH packet.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Re-delivery of an earlier attempt (QoS 1 and 2 only).
    pub dup: bool,
    /// Delivery guarantee.
    pub qos: QoS,
    /// Whether the server should retain the message.
    pub retain: bool,
    /// Topic name, checked when it was built; may be [`TopicName::EMPTY`] in 5.0 when the
    /// properties carry a Topic Alias.
    pub topic: TopicName<'a>,
    /// Packet identifier: `Some` for QoS 1 and 2, `None` for QoS 0.
    pub packet_id: Option<PacketId>,
    /// PUBLISH properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
    /// Application message.
    pub payload: &'a [u8],
}

impl<'a> Repr<'a> {
    /// `flags` are the fixed header's low four bits, already checked by the framing.
    #[inline(always)]
    pub(crate) fn parse(
        flags: u8,
        body: &'a [u8],
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
        let version = version.in_build();
        let qos = QoS::try_from((flags >> 1) & 0x03)?;
        let mut r = Reader::new(body);
        let topic = r.utf8()?;
        let packet_id = match qos {
            QoS::AtMostOnce => None,
            _ => Some(read_packet_id(&mut r)?),
        };
        let properties = match version {
            ProtocolVersion::V5 => Properties::parse(&mut r, Context::Publish)?,
            ProtocolVersion::V3_1_1 => Properties::EMPTY,
        };
        if topic.is_empty() {
            match version {
                ProtocolVersion::V5 if properties.topic_alias().is_some() => {}
                ProtocolVersion::V5 => return Err(DecodeError::EmptyTopicWithoutAlias),
                ProtocolVersion::V3_1_1 => return Err(DecodeError::Topic(TopicError::Empty)),
            }
        } else {
            validate_topic_name(topic).map_err(topic_error)?;
        }
        Ok(Self {
            dup: flags & 0x08 != 0,
            qos,
            retain: flags & 0x01 != 0,
            topic: TopicName::new_validated(topic),
            packet_id,
            properties,
            payload: r.rest(),
        })
    }

    pub(crate) fn flags(&self) -> u8 {
        (u8::from(self.dup) << 3) | ((self.qos as u8) << 1) | u8::from(self.retain)
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let version = version.in_build();
        let mut n = field_len(self.topic.len());
        if self.qos != QoS::AtMostOnce {
            n += 2;
        }
        if version == ProtocolVersion::V5 {
            n = n.saturating_add(self.properties.wire_len());
        }
        n.saturating_add(self.payload.len())
    }

    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        let version = version.in_build();
        match (self.qos, self.packet_id) {
            (QoS::AtMostOnce, Some(_)) => return Err(EncodeError::UnexpectedPacketId),
            (QoS::AtMostOnce, None) if self.dup => return Err(EncodeError::DupWithQoS0),
            (QoS::AtLeastOnce | QoS::ExactlyOnce, None) => {
                return Err(EncodeError::MissingPacketId)
            }
            _ => {}
        }
        if self.topic.is_empty() {
            match version {
                ProtocolVersion::V5 if self.properties.topic_alias().is_some() => {}
                ProtocolVersion::V5 => return Err(EncodeError::EmptyTopicWithoutAlias),
                ProtocolVersion::V3_1_1 => {
                    return Err(EncodeError::NotInV3_1_1(V5Only::EmptyTopic))
                }
            }
        }
        // The topic itself was checked when the `TopicName` was built.
        if version == ProtocolVersion::V3_1_1 && !self.properties.is_empty() {
            return Err(EncodeError::NotInV3_1_1(V5Only::Properties));
        }
        w.checked_string(self.topic.as_str());
        if let Some(id) = self.packet_id {
            w.u16(id.get());
        }
        if version == ProtocolVersion::V5 {
            self.properties.emit(w, Context::Publish)?;
        }
        w.bytes(self.payload);
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
        DecodeError, EncodeError, Packet, Properties, Property, QoS, TopicError, TopicName, V5Only,
    };
    use super::Repr;

    /// MQTT 3.1.1 §3.3: QoS 0, topic "a/b", payload "hello".
    pub const PUBLISH_V3_QOS0: &[u8] = &[
        0x30, 0x0a, 0x00, 0x03, b'a', b'/', b'b', b'h', b'e', b'l', b'l', b'o',
    ];
    /// MQTT 3.1.1 §3.3.1: DUP, QoS 1, RETAIN; packet identifier 10; payload "hi".
    pub const PUBLISH_V3_QOS1_DUP_RETAIN: &[u8] = &[
        0x3b, 0x09, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x0a, b'h', b'i',
    ];
    /// MQTT 3.1.1 §3.3: QoS 2, topic "t", packet identifier 65535, empty payload.
    pub const PUBLISH_V3_QOS2_EMPTY: &[u8] = &[0x34, 0x05, 0x00, 0x01, b't', 0xff, 0xff];
    /// MQTT 5.0 §3.3: QoS 0, topic "t", empty property section, payload "x".
    pub const PUBLISH_V5_QOS0: &[u8] = &[0x30, 0x05, 0x00, 0x01, b't', 0x00, b'x'];
    /// MQTT 5.0 §3.3.2.3: QoS 1, id 1, properties Payload Format 1, Message Expiry 60, Topic
    /// Alias 5, Response Topic "r", Correlation Data AA, Subscription Identifiers 200 and 2
    /// (§3.3.2.3.8: several are allowed), payload "hi".
    pub const PUBLISH_V5_PROPERTIES: &[u8] = &[
        0x32, 0x21, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x01, 0x17, 0x01, 0x01, 0x02, 0x00, 0x00,
        0x00, 0x3c, 0x23, 0x00, 0x05, 0x08, 0x00, 0x01, b'r', 0x09, 0x00, 0x01, 0xaa, 0x0b, 0xc8,
        0x01, 0x0b, 0x02, b'h', b'i',
    ];
    /// MQTT 5.0 §3.3.2.3.4: empty topic name with Topic Alias 1, payload "x".
    pub const PUBLISH_V5_ALIAS_ONLY: &[u8] =
        &[0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, b'x'];

    const PROPS: &[Property<'static>] = &[
        Property::PayloadFormatIndicator(1),
        Property::MessageExpiryInterval(60),
        Property::TopicAlias(5),
        Property::ResponseTopic("r"),
        Property::CorrelationData(&[0xaa]),
        Property::SubscriptionIdentifier(200),
        Property::SubscriptionIdentifier(2),
    ];

    fn qos0<'a>(topic: &'a str, payload: &'a [u8]) -> Repr<'a> {
        Repr {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: if topic.is_empty() {
                TopicName::EMPTY
            } else {
                TopicName::new(topic).unwrap()
            },
            packet_id: None,
            properties: Properties::EMPTY,
            payload,
        }
    }

    #[test]
    fn publish_v3_vectors_roundtrip() {
        check_vector(PUBLISH_V3_QOS0, V3, Packet::Publish(qos0("a/b", b"hello")));
        let r = Repr {
            dup: true,
            qos: QoS::AtLeastOnce,
            retain: true,
            packet_id: Some(pid(10)),
            ..qos0("a/b", b"hi")
        };
        check_vector(PUBLISH_V3_QOS1_DUP_RETAIN, V3, Packet::Publish(r));
        let r = Repr {
            qos: QoS::ExactlyOnce,
            packet_id: Some(pid(0xffff)),
            ..qos0("t", b"")
        };
        check_vector(PUBLISH_V3_QOS2_EMPTY, V3, Packet::Publish(r));
    }

    #[cfg(feature = "v5")]
    #[test]
    fn publish_v5_with_properties_roundtrips() {
        check_vector(PUBLISH_V5_QOS0, V5, Packet::Publish(qos0("t", b"x")));
        let r = Repr {
            qos: QoS::AtLeastOnce,
            packet_id: Some(pid(1)),
            properties: Properties::List(PROPS),
            ..qos0("a/b", b"hi")
        };
        check_vector(PUBLISH_V5_PROPERTIES, V5, Packet::Publish(r));
        let Packet::Publish(p) = decode_one(PUBLISH_V5_PROPERTIES, V5) else {
            panic!()
        };
        assert_eq!(
            p.properties.subscription_identifiers().collect::<Vec<_>>(),
            [200, 2]
        );
        assert_eq!(p.properties.topic_alias(), Some(5));
        assert_eq!(p.properties.correlation_data(), Some(&[0xaa][..]));
        assert_eq!(p.payload, b"hi");
    }

    #[cfg(feature = "v5")]
    #[test]
    fn publish_v5_empty_topic_needs_a_topic_alias() {
        let alias = [Property::TopicAlias(1)];
        check_vector(
            PUBLISH_V5_ALIAS_ONLY,
            V5,
            Packet::Publish(Repr {
                properties: Properties::List(&alias),
                ..qos0("", b"x")
            }),
        );
        assert_eq!(
            decode_err(&[0x30, 0x04, 0x00, 0x00, 0x00, b'x'], V5),
            DecodeError::EmptyTopicWithoutAlias
        );
        assert_eq!(
            decode_err(&[0x30, 0x03, 0x00, 0x00, b'x'], V3),
            DecodeError::Topic(TopicError::Empty)
        );
        assert_eq!(
            encode_err(Packet::Publish(qos0("", b"x")), V5),
            EncodeError::EmptyTopicWithoutAlias
        );
        assert_eq!(
            encode_err(Packet::Publish(qos0("", b"x")), V3),
            EncodeError::NotInV3_1_1(V5Only::EmptyTopic)
        );
    }

    #[test]
    fn publish_topic_names_may_not_hold_wildcards() {
        let b = [0x30, 0x05, 0x00, 0x03, b'a', b'/', b'+'];
        assert_eq!(
            decode_err(&b, V3),
            DecodeError::Topic(TopicError::WildcardInName)
        );
        // A topic with a wildcard cannot be encoded: it cannot become a `TopicName`.
        assert_eq!(TopicName::new("a/#"), Err(TopicError::WildcardInName));
    }

    #[test]
    fn publish_fixed_header_flags_are_checked() {
        // QoS 3 (§3.3.1.2) and DUP on QoS 0 (§3.3.1.1).
        assert_eq!(
            decode_err(&[0x36, 0x05, 0x00, 0x01, b't', 0x00, 0x01], V3),
            DecodeError::QoS
        );
        assert_eq!(
            decode_err(&[0x38, 0x03, 0x00, 0x01, b't'], V3),
            DecodeError::Flags
        );
        // Packet identifier 0 (§2.2.1).
        assert_eq!(
            decode_err(&[0x32, 0x05, 0x00, 0x01, b't', 0x00, 0x00], V3),
            DecodeError::PacketIdZero
        );
    }

    #[test]
    fn publish_packet_id_must_match_the_qos_when_encoding() {
        let r = Repr {
            packet_id: Some(pid(1)),
            ..qos0("t", b"")
        };
        assert_eq!(
            encode_err(Packet::Publish(r), V3),
            EncodeError::UnexpectedPacketId
        );
        let r = Repr {
            qos: QoS::ExactlyOnce,
            ..qos0("t", b"")
        };
        assert_eq!(
            encode_err(Packet::Publish(r), V3),
            EncodeError::MissingPacketId
        );
        let r = Repr {
            dup: true,
            ..qos0("t", b"")
        };
        assert_eq!(encode_err(Packet::Publish(r), V3), EncodeError::DupWithQoS0);
    }

    #[cfg(feature = "v5")]
    #[test]
    fn publish_property_rules_are_checked() {
        // Topic Alias 0 (§3.3.2.3.4), Subscription Identifier 0 (§3.3.2.3.8), Payload Format 2.
        for (prop, id) in [
            (&[0x23, 0x00, 0x00][..], 0x23),
            (&[0x0b, 0x00][..], 0x0b),
            (&[0x01, 0x02][..], 0x01),
        ] {
            let mut b = vec![0x30, 0, 0x00, 0x01, b't', prop.len() as u8];
            b.extend_from_slice(prop);
            b[1] = (b.len() - 2) as u8;
            assert_eq!(
                decode_err(&b, V5),
                DecodeError::PropertyValue(id),
                "{prop:02x?}"
            );
        }
        // Message Expiry twice; Session Expiry (a CONNECT property); unknown identifier 0x05.
        let dup = [
            0x30, 0x0e, 0x00, 0x01, b't', 0x0a, 0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 2,
        ];
        assert_eq!(decode_err(&dup, V5), DecodeError::DuplicateProperty(0x02));
        let not_allowed = [0x30, 0x09, 0x00, 0x01, b't', 0x05, 0x11, 0, 0, 0, 1];
        assert_eq!(
            decode_err(&not_allowed, V5),
            DecodeError::PropertyNotAllowed(0x11)
        );
        let unknown = [0x30, 0x06, 0x00, 0x01, b't', 0x02, 0x05, 0x00];
        assert_eq!(decode_err(&unknown, V5), DecodeError::UnknownProperty(0x05));
        // A property length longer than the packet.
        let long = [0x30, 0x05, 0x00, 0x01, b't', 0x09, 0x01];
        assert_eq!(decode_err(&long, V5), DecodeError::Truncated);
        // A non-minimal property length.
        let nonmin = [0x30, 0x06, 0x00, 0x01, b't', 0x80, 0x00, b'x'];
        assert_eq!(decode_err(&nonmin, V5), DecodeError::VarInt);
        let props = [Property::SubscriptionIdentifier(0x1000_0000)];
        let r = Repr {
            properties: Properties::List(&props),
            ..qos0("t", b"")
        };
        assert_eq!(
            encode_err(Packet::Publish(r), V5),
            EncodeError::PropertyValue(0x0b)
        );
        let r = Repr {
            properties: Properties::List(PROPS),
            ..qos0("t", b"")
        };
        assert_eq!(
            encode_err(Packet::Publish(r), V3),
            EncodeError::NotInV3_1_1(V5Only::Properties)
        );
    }

    #[cfg(feature = "v5")]
    #[test]
    fn publish_strings_must_be_valid_utf8_without_nul() {
        assert_eq!(
            decode_err(&[0x30, 0x04, 0x00, 0x02, b'a', 0xff], V3),
            DecodeError::Utf8
        );
        assert_eq!(
            decode_err(&[0x30, 0x04, 0x00, 0x02, b'a', 0x00], V3),
            DecodeError::NullCharacter
        );
        // U+D800 encoded as ED A0 80 is a surrogate, which UTF-8 does not allow.
        assert_eq!(
            decode_err(&[0x30, 0x05, 0x00, 0x03, 0xed, 0xa0, 0x80], V3),
            DecodeError::Utf8
        );
        // Content Type (a string property) with U+0000.
        let b = [0x30, 0x08, 0x00, 0x01, b't', 0x04, 0x03, 0x00, 0x01, 0x00];
        assert_eq!(decode_err(&b, V5), DecodeError::NullCharacter);
        let props = [Property::ContentType("a\0")];
        let r = Repr {
            properties: Properties::List(&props),
            ..qos0("t", b"")
        };
        assert_eq!(
            encode_err(Packet::Publish(r), V5),
            EncodeError::NullCharacter
        );
    }

    #[test]
    fn publish_payload_is_a_view_into_the_input() {
        let Packet::Publish(p) = decode_one(PUBLISH_V3_QOS0, V3) else {
            panic!()
        };
        let range = PUBLISH_V3_QOS0.as_ptr_range();
        assert!(range.contains(&p.payload.as_ptr()) && range.contains(&p.topic.as_ptr()));
    }
}
