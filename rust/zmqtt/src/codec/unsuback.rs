//! UNSUBACK: MQTT 3.1.1 §3.11, MQTT 5.0 §3.11.
//!
//! 3.1.1: only the packet identifier. 5.0: packet identifier, properties, and one reason code
//! per topic filter of the UNSUBSCRIBE.
// Some imports serve only the server-direction half (`broker` feature).
#![cfg_attr(not(feature = "broker"), allow(unused_imports))]

use super::cursor::{Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::reason;
use super::{read_packet_id, PacketId, ProtocolVersion};

/// An UNSUBACK packet.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// The packet identifier of the UNSUBSCRIBE being acknowledged.
    pub packet_id: PacketId,
    /// 5.0: one reason code per topic filter. 3.1.1 has none on the wire: decoding gives an
    /// empty slice, and encoding accepts only an empty slice or all-success codes.
    pub reason_codes: &'a [u8],
    /// UNSUBACK properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

impl<'a> Repr<'a> {
    #[inline(always)]
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        let version = version.in_build();
        let mut r = Reader::new(body);
        let packet_id = read_packet_id(&mut r)?;
        match version {
            ProtocolVersion::V3_1_1 => {
                r.finish()?;
                Ok(Self {
                    packet_id,
                    reason_codes: &[],
                    properties: Properties::EMPTY,
                })
            }
            ProtocolVersion::V5 => {
                let properties = Properties::parse(&mut r, Context::Unsuback)?;
                let reason_codes = r.rest();
                if reason_codes.is_empty() {
                    return Err(DecodeError::EmptyPayload);
                }
                if let Some(&bad) = reason_codes
                    .iter()
                    .find(|c| !reason::UNSUBACK_V5.contains(c))
                {
                    return Err(DecodeError::ReasonCode(bad));
                }
                Ok(Self {
                    packet_id,
                    reason_codes,
                    properties,
                })
            }
        }
    }

    #[cfg(feature = "broker")]
    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let version = version.in_build();
        match version {
            ProtocolVersion::V3_1_1 => 2,
            ProtocolVersion::V5 => self
                .properties
                .wire_len()
                .saturating_add(self.reason_codes.len())
                .saturating_add(2),
        }
    }

    #[cfg(feature = "broker")]
    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        let version = version.in_build();
        match version {
            ProtocolVersion::V3_1_1 => {
                if !self.properties.is_empty() {
                    return Err(EncodeError::NotInV3_1_1(V5Only::Properties));
                }
                if self.reason_codes.iter().any(|&c| c != 0) {
                    return Err(EncodeError::NotInV3_1_1(V5Only::ReasonCode));
                }
                w.u16(self.packet_id.get());
                Ok(())
            }
            ProtocolVersion::V5 => {
                if self.reason_codes.is_empty() {
                    return Err(EncodeError::EmptyPayload);
                }
                if let Some(&bad) = self
                    .reason_codes
                    .iter()
                    .find(|c| !reason::UNSUBACK_V5.contains(c))
                {
                    return Err(EncodeError::ReasonCode(bad));
                }
                w.u16(self.packet_id.get());
                self.properties.emit(w, Context::Unsuback)?;
                w.bytes(self.reason_codes);
                Ok(())
            }
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
    use super::super::{DecodeError, EncodeError, Packet, Properties, Property, V5Only};
    use super::Repr;

    /// MQTT 3.1.1 §3.11: packet id 11, nothing else.
    pub const UNSUBACK_V3: &[u8] = &[0xb0, 0x02, 0x00, 0x0b];
    /// MQTT 5.0 §3.11.3: packet id 11, no properties, 0x00 Success, 0x11 No subscription existed.
    pub const UNSUBACK_V5: &[u8] = &[0xb0, 0x05, 0x00, 0x0b, 0x00, 0x00, 0x11];
    /// MQTT 5.0 §3.11.2.1: with Reason String "r", code 0x87.
    pub const UNSUBACK_V5_PROPERTIES: &[u8] =
        &[0xb0, 0x08, 0x00, 0x0b, 0x04, 0x1f, 0x00, 0x01, b'r', 0x87];

    fn unsuback<'a>(codes: &'a [u8], properties: Properties<'a>) -> Packet<'a> {
        Packet::Unsuback(Repr {
            packet_id: pid(11),
            reason_codes: codes,
            properties,
        })
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn unsuback_vectors_roundtrip_in_both_versions() {
        check_vector(UNSUBACK_V3, V3, unsuback(&[], Properties::EMPTY));
        check_vector(UNSUBACK_V5, V5, unsuback(&[0, 0x11], Properties::EMPTY));
        check_vector(
            UNSUBACK_V5_PROPERTIES,
            V5,
            unsuback(&[0x87], Properties::List(&[Property::ReasonString("r")])),
        );
        // A 3.1.1 UNSUBACK built from all-success codes encodes as the bare packet id.
        assert_eq!(
            encode(&unsuback(&[0, 0], Properties::EMPTY), V3),
            UNSUBACK_V3
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn unsuback_refuses_missing_or_foreign_codes() {
        assert_eq!(
            decode_err(&[0xb0, 0x03, 0x00, 0x0b, 0x00], V5),
            DecodeError::EmptyPayload
        );
        assert_eq!(
            decode_err(&[0xb0, 0x04, 0x00, 0x0b, 0x00, 0x01], V5),
            DecodeError::ReasonCode(1)
        );
        assert_eq!(
            decode_err(&[0xb0, 0x03, 0x00, 0x0b, 0x00], V3),
            DecodeError::TrailingBytes
        );
        assert_eq!(
            encode_err(unsuback(&[], Properties::EMPTY), V5),
            EncodeError::EmptyPayload
        );
        assert_eq!(
            encode_err(unsuback(&[0x02], Properties::EMPTY), V5),
            EncodeError::ReasonCode(2)
        );
        assert_eq!(
            encode_err(unsuback(&[0x11], Properties::EMPTY), V3),
            EncodeError::NotInV3_1_1(V5Only::ReasonCode)
        );
        let props = [Property::ReasonString("r")];
        assert_eq!(
            encode_err(unsuback(&[], Properties::List(&props)), V3),
            EncodeError::NotInV3_1_1(V5Only::Properties)
        );
    }
}
