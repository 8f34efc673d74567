//! DISCONNECT: MQTT 3.1.1 §3.14, MQTT 5.0 §3.14.
//!
//! 3.1.1: no variable header. 5.0: reason code and properties, both left out when the reason is
//! 0x00 Normal disconnection without properties (remaining length 0), and the property length
//! left out when there are no properties (remaining length 1).

use super::cursor::{Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::reason::{self, ReasonCode};
use super::ProtocolVersion;

/// A DISCONNECT packet.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Repr<'a> {
    /// 5.0 reason code; must be [`ReasonCode::NORMAL_DISCONNECTION`] for 3.1.1.
    pub reason: ReasonCode,
    /// DISCONNECT properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

impl<'a> Repr<'a> {
    #[inline(always)]
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        let version = version.in_build();
        let (reason, properties) =
            parse_reason_and_properties(body, version, Context::Disconnect, reason::DISCONNECT_V5)?;
        Ok(Self { reason, properties })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let version = version.in_build();
        reason_and_properties_len(self.reason, &self.properties, version)
    }

    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        let version = version.in_build();
        if version == ProtocolVersion::V3_1_1 {
            if self.reason != ReasonCode::NORMAL_DISCONNECTION {
                return Err(EncodeError::NotInV3_1_1(V5Only::ReasonCode));
            }
            if !self.properties.is_empty() {
                return Err(EncodeError::NotInV3_1_1(V5Only::Properties));
            }
            return Ok(());
        }
        emit_reason_and_properties(
            self.reason,
            &self.properties,
            Context::Disconnect,
            reason::DISCONNECT_V5,
            w,
        )
    }
}

/// Shared by DISCONNECT and AUTH, which have the same optional reason-then-properties layout.
pub(crate) fn parse_reason_and_properties<'a>(
    body: &'a [u8],
    version: ProtocolVersion,
    ctx: Context,
    allowed: &[u8],
) -> Result<(ReasonCode, Properties<'a>), DecodeError> {
    let version = version.in_build();
    let mut r = Reader::new(body);
    let mut reason = ReasonCode::SUCCESS;
    let mut properties = Properties::EMPTY;
    if version == ProtocolVersion::V5 && !r.is_empty() {
        let code = r.u8()?;
        if !allowed.contains(&code) {
            return Err(DecodeError::ReasonCode(code));
        }
        reason = ReasonCode(code);
        if !r.is_empty() {
            properties = Properties::parse(&mut r, ctx)?;
        }
    }
    r.finish()?;
    Ok((reason, properties))
}

pub(crate) fn reason_and_properties_len(
    reason: ReasonCode,
    properties: &Properties<'_>,
    version: ProtocolVersion,
) -> usize {
    let version = version.in_build();
    match version {
        ProtocolVersion::V3_1_1 => 0,
        ProtocolVersion::V5 if !properties.is_empty() => properties.wire_len().saturating_add(1),
        ProtocolVersion::V5 if reason != ReasonCode::SUCCESS => 1,
        ProtocolVersion::V5 => 0,
    }
}

pub(crate) fn emit_reason_and_properties(
    reason: ReasonCode,
    properties: &Properties<'_>,
    ctx: Context,
    allowed: &[u8],
    w: &mut Writer<'_>,
) -> Result<(), EncodeError> {
    if !allowed.contains(&reason.0) {
        return Err(EncodeError::ReasonCode(reason.0));
    }
    if !properties.is_empty() {
        w.u8(reason.0);
        properties.emit(w, ctx)?;
    } else if reason != ReasonCode::SUCCESS {
        w.u8(reason.0);
    }
    Ok(())
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
    use super::{ReasonCode, Repr};

    /// MQTT 3.1.1 §3.14 (and the MQTT 5.0 short form for Normal disconnection).
    pub const DISCONNECT_V3: &[u8] = &[0xe0, 0x00];
    /// MQTT 5.0 §3.14.2.1: 0x8E Session taken over, no property length.
    pub const DISCONNECT_V5_REASON: &[u8] = &[0xe0, 0x01, 0x8e];
    /// MQTT 5.0 §3.14.2.2: 0x04 Disconnect with Will Message, Session Expiry Interval 0.
    pub const DISCONNECT_V5_PROPERTIES: &[u8] =
        &[0xe0, 0x07, 0x04, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00];

    fn disconnect<'a>(reason: u8, properties: Properties<'a>) -> Packet<'a> {
        Packet::Disconnect(Repr {
            reason: ReasonCode(reason),
            properties,
        })
    }

    #[cfg(feature = "v5")]
    #[test]
    fn disconnect_vectors_roundtrip_in_both_versions() {
        check_vector(DISCONNECT_V3, V3, disconnect(0, Properties::EMPTY));
        check_vector(DISCONNECT_V3, V5, disconnect(0, Properties::EMPTY));
        check_vector(
            DISCONNECT_V5_REASON,
            V5,
            disconnect(0x8e, Properties::EMPTY),
        );
        let props = [Property::SessionExpiryInterval(0)];
        check_vector(
            DISCONNECT_V5_PROPERTIES,
            V5,
            disconnect(0x04, Properties::List(&props)),
        );
        // Long form of Normal disconnection with an empty property section.
        assert_eq!(
            decode_one(&[0xe0, 0x02, 0x00, 0x00], V5),
            disconnect(0, Properties::EMPTY)
        );
    }

    #[cfg(feature = "v5")]
    #[test]
    fn disconnect_refuses_what_its_version_cannot_carry() {
        assert_eq!(
            decode_err(&[0xe0, 0x01, 0x00], V3),
            DecodeError::TrailingBytes
        );
        assert_eq!(
            decode_err(&[0xe0, 0x01, 0x05], V5),
            DecodeError::ReasonCode(5)
        );
        assert_eq!(decode_err(&[0xe1, 0x00], V5), DecodeError::Flags);
        // Assigned Client Identifier is a CONNACK property.
        let b = [0xe0, 0x06, 0x00, 0x04, 0x12, 0x00, 0x01, b'x'];
        assert_eq!(decode_err(&b, V5), DecodeError::PropertyNotAllowed(0x12));
        assert_eq!(
            encode_err(disconnect(0x8e, Properties::EMPTY), V3),
            EncodeError::NotInV3_1_1(V5Only::ReasonCode)
        );
        let props = [Property::ServerReference("s")];
        assert_eq!(
            encode_err(disconnect(0, Properties::List(&props)), V3),
            EncodeError::NotInV3_1_1(V5Only::Properties)
        );
        assert_eq!(
            encode_err(disconnect(0x18, Properties::EMPTY), V5),
            EncodeError::ReasonCode(0x18)
        );
    }
}
