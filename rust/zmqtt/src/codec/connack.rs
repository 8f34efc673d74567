//! CONNACK: MQTT 3.1.1 §3.2, MQTT 5.0 §3.2.
//!
//! Acknowledge flags (bit 0 Session Present, the rest reserved), then the 3.1.1 return code or
//! the 5.0 reason code, then (5.0) properties.
// Some imports serve only the server-direction half (`broker` feature).
#![cfg_attr(not(feature = "broker"), allow(unused_imports))]

use super::cursor::{Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::reason;
use super::ProtocolVersion;

/// A CONNACK packet.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Whether the server resumed a session (always false with a failure code).
    pub session_present: bool,
    /// 3.1.1 return code (0 accepted, 1 to 5 refused) or 5.0 reason code (see [`super::ReasonCode`]).
    pub code: u8,
    /// CONNACK properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

fn code_is_valid(code: u8, version: ProtocolVersion) -> bool {
    let version = version.in_build();
    match version {
        ProtocolVersion::V3_1_1 => code <= reason::CONNACK_V3_MAX,
        ProtocolVersion::V5 => reason::CONNACK_V5.contains(&code),
    }
}

impl<'a> Repr<'a> {
    #[inline(always)]
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        let version = version.in_build();
        let mut r = Reader::new(body);
        let flags = r.u8()?;
        let code = r.u8()?;
        // §3.2.2.1: bits 7-1 are reserved; §3.2.2.1.1: Session Present is 0 with a failure code.
        if flags & 0xfe != 0 || (flags != 0 && code != 0) {
            return Err(DecodeError::ConnackFlags);
        }
        if !code_is_valid(code, version) {
            return Err(DecodeError::ReasonCode(code));
        }
        let properties = match version {
            ProtocolVersion::V5 => Properties::parse(&mut r, Context::Connack)?,
            ProtocolVersion::V3_1_1 => Properties::EMPTY,
        };
        r.finish()?;
        Ok(Self {
            session_present: flags != 0,
            code,
            properties,
        })
    }

    #[cfg(feature = "broker")]
    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let version = version.in_build();
        match version {
            ProtocolVersion::V3_1_1 => 2,
            ProtocolVersion::V5 => self.properties.wire_len().saturating_add(2),
        }
    }

    #[cfg(feature = "broker")]
    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        let version = version.in_build();
        if !code_is_valid(self.code, version) {
            return Err(match version {
                ProtocolVersion::V3_1_1 => EncodeError::NotInV3_1_1(V5Only::ReasonCode),
                ProtocolVersion::V5 => EncodeError::ReasonCode(self.code),
            });
        }
        if self.session_present && self.code != 0 {
            return Err(EncodeError::ConnackFlags);
        }
        w.u8(u8::from(self.session_present));
        w.u8(self.code);
        match version {
            ProtocolVersion::V5 => self.properties.emit(w, Context::Connack),
            ProtocolVersion::V3_1_1 if self.properties.is_empty() => Ok(()),
            ProtocolVersion::V3_1_1 => Err(EncodeError::NotInV3_1_1(V5Only::Properties)),
        }
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
    use super::super::{DecodeError, EncodeError, Packet, Properties, Property, QoS, V5Only};
    use super::Repr;

    /// MQTT 3.1.1 §3.2: session present, connection accepted.
    pub const CONNACK_V3_SESSION_PRESENT: &[u8] = &[0x20, 0x02, 0x01, 0x00];
    /// MQTT 3.1.1 §3.2.2.3: return code 5, not authorized.
    pub const CONNACK_V3_REFUSED: &[u8] = &[0x20, 0x02, 0x00, 0x05];
    /// MQTT 5.0 §3.2: success with an empty property section.
    pub const CONNACK_V5_MINIMAL: &[u8] = &[0x20, 0x03, 0x00, 0x00, 0x00];
    /// MQTT 5.0 §3.2.2.3: Topic Alias Maximum 10, Assigned Client Identifier "id", Maximum QoS 1,
    /// Retain Available 0.
    pub const CONNACK_V5_PROPERTIES: &[u8] = &[
        0x20, 0x0f, 0x00, 0x00, 0x0c, 0x22, 0x00, 0x0a, 0x12, 0x00, 0x02, b'i', b'd', 0x24, 0x01,
        0x25, 0x00,
    ];
    /// MQTT 5.0 §3.2.2.2: 0x87 Not authorized.
    pub const CONNACK_V5_NOT_AUTHORIZED: &[u8] = &[0x20, 0x03, 0x00, 0x87, 0x00];

    const PROPS: &[Property<'static>] = &[
        Property::TopicAliasMaximum(10),
        Property::AssignedClientIdentifier("id"),
        Property::MaximumQoS(QoS::AtLeastOnce),
        Property::RetainAvailable(false),
    ];

    fn connack(session_present: bool, code: u8, properties: Properties<'_>) -> Packet<'_> {
        Packet::Connack(Repr {
            session_present,
            code,
            properties,
        })
    }

    #[cfg(feature = "broker")]
    #[test]
    fn connack_v3_vectors_roundtrip() {
        check_vector(
            CONNACK_V3_SESSION_PRESENT,
            V3,
            connack(true, 0, Properties::EMPTY),
        );
        check_vector(CONNACK_V3_REFUSED, V3, connack(false, 5, Properties::EMPTY));
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn connack_v5_with_properties_roundtrips() {
        check_vector(CONNACK_V5_MINIMAL, V5, connack(false, 0, Properties::EMPTY));
        check_vector(
            CONNACK_V5_NOT_AUTHORIZED,
            V5,
            connack(false, 0x87, Properties::EMPTY),
        );
        check_vector(
            CONNACK_V5_PROPERTIES,
            V5,
            connack(false, 0, Properties::List(PROPS)),
        );
        let Packet::Connack(c) = decode_one(CONNACK_V5_PROPERTIES, V5) else {
            panic!()
        };
        assert_eq!(c.properties.topic_alias_maximum(), Some(10));
        assert_eq!(c.properties.assigned_client_identifier(), Some("id"));
        assert_eq!(c.properties.maximum_qos(), Some(QoS::AtLeastOnce));
        assert_eq!(c.properties.retain_available(), Some(false));
        assert_eq!(c.properties.receive_maximum(), None);
    }

    #[cfg(feature = "v5")]
    #[test]
    fn connack_v5_needs_its_property_section() {
        assert_eq!(
            decode_err(&[0x20, 0x02, 0x00, 0x00], V5),
            DecodeError::Truncated
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn connack_reserved_flags_and_session_present_with_failure_are_refused() {
        assert_eq!(
            decode_err(&[0x20, 0x02, 0x02, 0x00], V3),
            DecodeError::ConnackFlags
        );
        assert_eq!(
            decode_err(&[0x20, 0x02, 0x01, 0x05], V3),
            DecodeError::ConnackFlags
        );
        assert_eq!(
            decode_err(&[0x20, 0x03, 0x01, 0x87, 0x00], V5),
            DecodeError::ConnackFlags
        );
        assert_eq!(
            encode_err(connack(true, 0x87, Properties::EMPTY), V5),
            EncodeError::ConnackFlags
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn connack_codes_outside_the_versions_set_are_refused() {
        assert_eq!(
            decode_err(&[0x20, 0x02, 0x00, 0x06], V3),
            DecodeError::ReasonCode(6)
        );
        // 0x01 is a 3.1.1 return code but not a 5.0 CONNACK reason code; 0x8B is DISCONNECT-only.
        assert_eq!(
            decode_err(&[0x20, 0x03, 0x00, 0x01, 0x00], V5),
            DecodeError::ReasonCode(1)
        );
        assert_eq!(
            decode_err(&[0x20, 0x03, 0x00, 0x8b, 0x00], V5),
            DecodeError::ReasonCode(0x8b)
        );
        assert_eq!(
            encode_err(connack(false, 0x87, Properties::EMPTY), V3),
            EncodeError::NotInV3_1_1(V5Only::ReasonCode)
        );
        assert_eq!(
            encode_err(connack(false, 0x8b, Properties::EMPTY), V5),
            EncodeError::ReasonCode(0x8b)
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn connack_property_values_and_duplicates_are_checked() {
        // Maximum QoS 2 (§3.2.2.3.4), Receive Maximum 0 (§3.2.2.3.3), Retain Available 2 (§3.2.2.3.5).
        for (prop, id) in [
            (&[0x24, 0x02][..], 0x24),
            (&[0x21, 0x00, 0x00][..], 0x21),
            (&[0x25, 0x02][..], 0x25),
        ] {
            let mut b = vec![0x20, 0, 0x00, 0x00, prop.len() as u8];
            b.extend_from_slice(prop);
            b[1] = (b.len() - 2) as u8;
            assert_eq!(
                decode_err(&b, V5),
                DecodeError::PropertyValue(id),
                "{prop:02x?}"
            );
        }
        let dup = [
            0x20, 0x09, 0x00, 0x00, 0x06, 0x13, 0x00, 0x05, 0x13, 0x00, 0x06,
        ];
        assert_eq!(decode_err(&dup, V5), DecodeError::DuplicateProperty(0x13));
        let props = [Property::ServerKeepAlive(5), Property::ServerKeepAlive(6)];
        assert_eq!(
            encode_err(connack(false, 0, Properties::List(&props)), V5),
            EncodeError::DuplicateProperty(0x13)
        );
        let props = [Property::MaximumQoS(QoS::ExactlyOnce)];
        assert_eq!(
            encode_err(connack(false, 0, Properties::List(&props)), V5),
            EncodeError::PropertyValue(0x24)
        );
        assert_eq!(
            encode_err(connack(false, 0, Properties::List(PROPS)), V3),
            EncodeError::NotInV3_1_1(V5Only::Properties)
        );
    }
}
