//! SUBACK: MQTT 3.1.1 §3.9, MQTT 5.0 §3.9.
//!
//! Packet identifier, (5.0) properties, then one return/reason code per requested subscription:
//! the granted QoS (0 to 2) or a failure (0x80, and in 5.0 the more specific codes of §3.9.3).
// Some imports serve only the server-direction half (`broker` feature).
#![cfg_attr(not(feature = "broker"), allow(unused_imports))]

use super::cursor::{Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::reason;
use super::{read_packet_id, PacketId, ProtocolVersion};

/// A SUBACK packet.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// The packet identifier of the SUBSCRIBE being acknowledged.
    pub packet_id: PacketId,
    /// One code per subscription, in order: granted QoS or a failure code (see [`super::ReasonCode`]).
    pub reason_codes: &'a [u8],
    /// SUBACK properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

fn codes(version: ProtocolVersion) -> &'static [u8] {
    let version = version.in_build();
    match version {
        ProtocolVersion::V3_1_1 => reason::SUBACK_V3,
        ProtocolVersion::V5 => reason::SUBACK_V5,
    }
}

impl<'a> Repr<'a> {
    #[inline(always)]
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        let version = version.in_build();
        let mut r = Reader::new(body);
        let packet_id = read_packet_id(&mut r)?;
        let properties = match version {
            ProtocolVersion::V5 => Properties::parse(&mut r, Context::Suback)?,
            ProtocolVersion::V3_1_1 => Properties::EMPTY,
        };
        let reason_codes = r.rest();
        if reason_codes.is_empty() {
            return Err(DecodeError::EmptyPayload);
        }
        if let Some(&bad) = reason_codes.iter().find(|c| !codes(version).contains(c)) {
            return Err(DecodeError::ReasonCode(bad));
        }
        Ok(Self {
            packet_id,
            reason_codes,
            properties,
        })
    }

    #[cfg(feature = "broker")]
    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let version = version.in_build();
        let props = match version {
            ProtocolVersion::V5 => self.properties.wire_len(),
            ProtocolVersion::V3_1_1 => 0,
        };
        self.reason_codes
            .len()
            .saturating_add(props)
            .saturating_add(2)
    }

    #[cfg(feature = "broker")]
    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        let version = version.in_build();
        if self.reason_codes.is_empty() {
            return Err(EncodeError::EmptyPayload);
        }
        if let Some(&bad) = self
            .reason_codes
            .iter()
            .find(|c| !codes(version).contains(c))
        {
            return Err(match version {
                ProtocolVersion::V3_1_1 if reason::SUBACK_V5.contains(&bad) => {
                    EncodeError::NotInV3_1_1(V5Only::ReasonCode)
                }
                _ => EncodeError::ReasonCode(bad),
            });
        }
        w.u16(self.packet_id.get());
        match version {
            ProtocolVersion::V5 => self.properties.emit(w, Context::Suback)?,
            ProtocolVersion::V3_1_1 if self.properties.is_empty() => {}
            ProtocolVersion::V3_1_1 => return Err(EncodeError::NotInV3_1_1(V5Only::Properties)),
        }
        w.bytes(self.reason_codes);
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
    use super::super::{DecodeError, EncodeError, Packet, Properties, Property, V5Only};
    use super::Repr;

    /// MQTT 3.1.1 §3.9.3: packet id 10, granted QoS 1, granted QoS 2, failure 0x80.
    pub const SUBACK_V3: &[u8] = &[0x90, 0x05, 0x00, 0x0a, 0x01, 0x02, 0x80];
    /// MQTT 5.0 §3.9.3: packet id 10, no properties, 0x00, 0x87 Not authorized, 0xA2 Wildcard
    /// Subscriptions not supported.
    pub const SUBACK_V5: &[u8] = &[0x90, 0x06, 0x00, 0x0a, 0x00, 0x00, 0x87, 0xa2];
    /// MQTT 5.0 §3.9.2.1: with Reason String "r".
    pub const SUBACK_V5_PROPERTIES: &[u8] =
        &[0x90, 0x08, 0x00, 0x0a, 0x04, 0x1f, 0x00, 0x01, b'r', 0x01];

    fn suback<'a>(codes: &'a [u8], properties: Properties<'a>) -> Packet<'a> {
        Packet::Suback(Repr {
            packet_id: pid(10),
            reason_codes: codes,
            properties,
        })
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn suback_vectors_roundtrip_in_both_versions() {
        check_vector(SUBACK_V3, V3, suback(&[1, 2, 0x80], Properties::EMPTY));
        check_vector(SUBACK_V5, V5, suback(&[0, 0x87, 0xa2], Properties::EMPTY));
        check_vector(
            SUBACK_V5_PROPERTIES,
            V5,
            suback(&[1], Properties::List(&[Property::ReasonString("r")])),
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn suback_refuses_codes_outside_the_versions_set() {
        assert_eq!(
            decode_err(&[0x90, 0x03, 0x00, 0x0a, 0x87], V3),
            DecodeError::ReasonCode(0x87)
        );
        assert_eq!(
            decode_err(&[0x90, 0x04, 0x00, 0x0a, 0x00, 0x03], V5),
            DecodeError::ReasonCode(3)
        );
        assert_eq!(
            encode_err(suback(&[0x87], Properties::EMPTY), V3),
            EncodeError::NotInV3_1_1(V5Only::ReasonCode)
        );
        assert_eq!(
            encode_err(suback(&[0x11], Properties::EMPTY), V5),
            EncodeError::ReasonCode(0x11)
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn suback_needs_at_least_one_code() {
        assert_eq!(
            decode_err(&[0x90, 0x02, 0x00, 0x0a], V3),
            DecodeError::EmptyPayload
        );
        assert_eq!(
            decode_err(&[0x90, 0x03, 0x00, 0x0a, 0x00], V5),
            DecodeError::EmptyPayload
        );
        assert_eq!(
            encode_err(suback(&[], Properties::EMPTY), V5),
            EncodeError::EmptyPayload
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn suback_properties_follow_the_rules() {
        let props = [Property::TopicAlias(1)];
        assert_eq!(
            encode_err(suback(&[0], Properties::List(&props)), V5),
            EncodeError::PropertyNotAllowed(0x23)
        );
        let props = [Property::ReasonString("r")];
        assert_eq!(
            encode_err(suback(&[0], Properties::List(&props)), V3),
            EncodeError::NotInV3_1_1(V5Only::Properties)
        );
    }
}
