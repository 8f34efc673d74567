//! PUBACK, PUBREC, PUBREL and PUBCOMP: MQTT 3.1.1 §3.4 to §3.7, MQTT 5.0 §3.4 to §3.7.
//!
//! The four share one layout: packet identifier, then (5.0) reason code and properties. In 5.0
//! the reason code may be left out when it is 0x00 and there are no properties (remaining length
//! 2), and the property length may be left out when there are no properties (remaining length 3).
//! Encoding always picks the shortest form.

use super::cursor::{Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::reason::{self, ReasonCode};
use super::{read_packet_id, PacketId, ProtocolVersion};

/// A PUBACK, PUBREC, PUBREL or PUBCOMP packet (which one is given by the [`super::Packet`] variant).
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// The packet identifier being acknowledged.
    pub packet_id: PacketId,
    /// 5.0 reason code; must be [`ReasonCode::SUCCESS`] for 3.1.1.
    pub reason: ReasonCode,
    /// Properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

impl<'a> Repr<'a> {
    /// A success acknowledgement without properties.
    pub const fn new(packet_id: PacketId) -> Self {
        Self {
            packet_id,
            reason: ReasonCode::SUCCESS,
            properties: Properties::EMPTY,
        }
    }
}

fn allowed_codes(ctx: Context) -> &'static [u8] {
    match ctx {
        Context::Puback | Context::Pubrec => reason::PUBACK_V5,
        _ => reason::PUBREL_V5,
    }
}

impl<'a> Repr<'a> {
    #[inline(always)]
    pub(crate) fn parse(
        ctx: Context,
        body: &'a [u8],
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
        let version = version.in_build();
        let mut r = Reader::new(body);
        let packet_id = read_packet_id(&mut r)?;
        let mut repr = Self::new(packet_id);
        if version == ProtocolVersion::V5 && !r.is_empty() {
            let code = r.u8()?;
            if !allowed_codes(ctx).contains(&code) {
                return Err(DecodeError::ReasonCode(code));
            }
            repr.reason = ReasonCode(code);
            if !r.is_empty() {
                repr.properties = Properties::parse(&mut r, ctx)?;
            }
        }
        r.finish()?;
        Ok(repr)
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let version = version.in_build();
        match version {
            ProtocolVersion::V3_1_1 => 2,
            ProtocolVersion::V5 if !self.properties.is_empty() => {
                self.properties.wire_len().saturating_add(3)
            }
            ProtocolVersion::V5 if self.reason != ReasonCode::SUCCESS => 3,
            ProtocolVersion::V5 => 2,
        }
    }

    pub(crate) fn emit_body(
        &self,
        ctx: Context,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        let version = version.in_build();
        if version == ProtocolVersion::V3_1_1 {
            if self.reason != ReasonCode::SUCCESS {
                return Err(EncodeError::NotInV3_1_1(V5Only::ReasonCode));
            }
            if !self.properties.is_empty() {
                return Err(EncodeError::NotInV3_1_1(V5Only::Properties));
            }
        }
        if !allowed_codes(ctx).contains(&self.reason.0) {
            return Err(EncodeError::ReasonCode(self.reason.0));
        }
        w.u16(self.packet_id.get());
        if version == ProtocolVersion::V5 {
            if !self.properties.is_empty() {
                w.u8(self.reason.0);
                self.properties.emit(w, ctx)?;
            } else if self.reason != ReasonCode::SUCCESS {
                w.u8(self.reason.0);
            }
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
        DecodeError, EncodeError, Packet, Properties, Property, ReasonCode, V5Only,
    };
    use super::Repr;

    /// MQTT 3.1.1 §3.4 to §3.7: PUBACK 1, PUBREC 2, PUBREL 3 (flags 0010), PUBCOMP 4.
    pub const PUBACK_V3: &[u8] = &[0x40, 0x02, 0x00, 0x01];
    pub const PUBREC_V3: &[u8] = &[0x50, 0x02, 0x00, 0x02];
    pub const PUBREL_V3: &[u8] = &[0x62, 0x02, 0x00, 0x03];
    pub const PUBCOMP_V3: &[u8] = &[0x70, 0x02, 0x00, 0x04];
    /// MQTT 5.0 §3.4.2.1: reason code 0x10 No matching subscribers, no property length.
    pub const PUBACK_V5_REASON: &[u8] = &[0x40, 0x03, 0x00, 0x01, 0x10];
    /// MQTT 5.0 §3.5.2: PUBREC 0x87 Not authorized with Reason String "no".
    pub const PUBREC_V5_PROPERTIES: &[u8] = &[
        0x50, 0x09, 0x00, 0x01, 0x87, 0x05, 0x1f, 0x00, 0x02, b'n', b'o',
    ];
    /// MQTT 5.0 §3.6.2.1: PUBREL 0x92 Packet Identifier not found.
    pub const PUBREL_V5_NOT_FOUND: &[u8] = &[0x62, 0x03, 0x00, 0x03, 0x92];
    /// MQTT 5.0 §3.7.2: PUBCOMP success with a User Property a=b.
    pub const PUBCOMP_V5_PROPERTIES: &[u8] = &[
        0x70, 0x0b, 0x00, 0x04, 0x00, 0x07, 0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'b',
    ];

    const REASON: &[Property<'static>] = &[Property::ReasonString("no")];
    const USER: &[Property<'static>] = &[Property::UserProperty("a", "b")];

    fn ack(id: u16, reason: u8, properties: Properties<'static>) -> Repr<'static> {
        Repr {
            packet_id: pid(id),
            reason: ReasonCode(reason),
            properties,
        }
    }

    #[cfg(all(feature = "v5", feature = "qos2"))]
    #[test]
    fn acks_v3_vectors_roundtrip_in_both_versions() {
        // The two-byte form is also the 5.0 short form for success without properties.
        for v in [V3, V5] {
            check_vector(PUBACK_V3, v, Packet::Puback(Repr::new(pid(1))));
            check_vector(PUBREC_V3, v, Packet::Pubrec(Repr::new(pid(2))));
            check_vector(PUBREL_V3, v, Packet::Pubrel(Repr::new(pid(3))));
            check_vector(PUBCOMP_V3, v, Packet::Pubcomp(Repr::new(pid(4))));
        }
    }

    #[cfg(all(feature = "v5", feature = "qos2"))]
    #[test]
    fn acks_v5_with_reason_codes_and_properties_roundtrip() {
        check_vector(
            PUBACK_V5_REASON,
            V5,
            Packet::Puback(ack(1, 0x10, Properties::EMPTY)),
        );
        check_vector(
            PUBREC_V5_PROPERTIES,
            V5,
            Packet::Pubrec(ack(1, 0x87, Properties::List(REASON))),
        );
        check_vector(
            PUBREL_V5_NOT_FOUND,
            V5,
            Packet::Pubrel(ack(3, 0x92, Properties::EMPTY)),
        );
        check_vector(
            PUBCOMP_V5_PROPERTIES,
            V5,
            Packet::Pubcomp(ack(4, 0, Properties::List(USER))),
        );
    }

    #[cfg(feature = "v5")]
    #[test]
    fn acks_v5_long_forms_of_success_decode_and_reencode_short() {
        // §3.4.2.1: reason code and property length may be present even when not needed.
        for long in [
            &[0x40, 0x03, 0x00, 0x01, 0x00][..],
            &[0x40, 0x04, 0x00, 0x01, 0x00, 0x00],
        ] {
            let p = decode_one(long, V5);
            assert_eq!(p, Packet::Puback(Repr::new(pid(1))));
            assert_eq!(encode(&p, V5), PUBACK_V3);
        }
    }

    #[cfg(all(feature = "v5", feature = "qos2"))]
    #[test]
    fn acks_refuse_codes_of_other_packets() {
        // 0x92 belongs to PUBREL/PUBCOMP, 0x10 to PUBACK/PUBREC.
        assert_eq!(
            decode_err(&[0x40, 0x03, 0x00, 0x01, 0x92], V5),
            DecodeError::ReasonCode(0x92)
        );
        assert_eq!(
            decode_err(&[0x62, 0x03, 0x00, 0x01, 0x10], V5),
            DecodeError::ReasonCode(0x10)
        );
        assert_eq!(
            encode_err(Packet::Pubcomp(ack(1, 0x10, Properties::EMPTY)), V5),
            EncodeError::ReasonCode(0x10)
        );
        assert_eq!(
            encode_err(Packet::Puback(ack(1, 0x10, Properties::EMPTY)), V3),
            EncodeError::NotInV3_1_1(V5Only::ReasonCode)
        );
        assert_eq!(
            encode_err(Packet::Puback(ack(1, 0, Properties::List(USER))), V3),
            EncodeError::NotInV3_1_1(V5Only::Properties)
        );
    }

    #[cfg(feature = "v5")]
    #[test]
    fn acks_refuse_bad_ids_lengths_flags_and_properties() {
        assert_eq!(
            decode_err(&[0x40, 0x02, 0x00, 0x00], V3),
            DecodeError::PacketIdZero
        );
        assert_eq!(decode_err(&[0x40, 0x01, 0x00], V3), DecodeError::Truncated);
        assert_eq!(
            decode_err(&[0x40, 0x03, 0x00, 0x01, 0x00], V3),
            DecodeError::TrailingBytes
        );
        assert_eq!(
            decode_err(&[0x60, 0x02, 0x00, 0x01], V3),
            DecodeError::Flags
        );
        assert_eq!(
            decode_err(&[0x42, 0x02, 0x00, 0x01], V3),
            DecodeError::Flags
        );
        // Reason String twice; Topic Alias (a PUBLISH property) in a PUBACK.
        let dup = [
            0x40, 0x0c, 0x00, 0x01, 0x80, 0x08, 0x1f, 0x00, 0x01, b'a', 0x1f, 0x00, 0x01, b'b',
        ];
        assert_eq!(decode_err(&dup, V5), DecodeError::DuplicateProperty(0x1f));
        let alias = [0x40, 0x07, 0x00, 0x01, 0x80, 0x03, 0x23, 0x00, 0x01];
        assert_eq!(
            decode_err(&alias, V5),
            DecodeError::PropertyNotAllowed(0x23)
        );
        // Bytes after the property section.
        let trailing = [0x40, 0x05, 0x00, 0x01, 0x80, 0x00, 0x00];
        assert_eq!(decode_err(&trailing, V5), DecodeError::TrailingBytes);
    }
}
