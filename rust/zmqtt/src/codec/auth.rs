//! AUTH (MQTT 5.0 only): §3.15.
//!
//! Reason code and properties, with the same short forms as DISCONNECT: both left out for
//! 0x00 Success without properties, the property length left out without properties.
// Without `v5` the packet type stays (in `Packet`) but its codec goes.
#![cfg_attr(not(feature = "v5"), allow(unused_imports))]

use super::cursor::Writer;
use super::disconnect::{
    emit_reason_and_properties, parse_reason_and_properties, reason_and_properties_len,
};
use super::error::{DecodeError, EncodeError};
use super::properties::{Context, Properties};
use super::reason::{self, ReasonCode};
use super::ProtocolVersion;

/// An AUTH packet (enhanced authentication, MQTT 5.0 §4.12).
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Repr<'a> {
    /// 0x00 Success, 0x18 Continue authentication or 0x19 Re-authenticate.
    pub reason: ReasonCode,
    /// AUTH properties (Authentication Method and Data, Reason String, User Properties).
    pub properties: Properties<'a>,
}

#[cfg(feature = "v5")]
impl<'a> Repr<'a> {
    #[inline(always)]
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self, DecodeError> {
        let (reason, properties) =
            parse_reason_and_properties(body, ProtocolVersion::V5, Context::Auth, reason::AUTH_V5)?;
        Ok(Self { reason, properties })
    }

    pub(crate) fn body_len(&self) -> usize {
        reason_and_properties_len(self.reason, &self.properties, ProtocolVersion::V5)
    }

    pub(crate) fn emit_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        emit_reason_and_properties(
            self.reason,
            &self.properties,
            Context::Auth,
            reason::AUTH_V5,
            w,
        )
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
    use super::{ReasonCode, Repr};

    /// MQTT 5.0 §3.15.2: the short form of Success.
    pub const AUTH_V5_SUCCESS: &[u8] = &[0xf0, 0x00];
    /// MQTT 5.0 §3.15.2: 0x18 Continue authentication, Authentication Method "abc" and Data FF.
    pub const AUTH_V5_CONTINUE: &[u8] = &[
        0xf0, 0x0c, 0x18, 0x0a, 0x15, 0x00, 0x03, b'a', b'b', b'c', 0x16, 0x00, 0x01, 0xff,
    ];

    #[cfg(feature = "v5")]
    #[test]
    fn auth_vectors_roundtrip() {
        check_vector(AUTH_V5_SUCCESS, V5, Packet::Auth(Repr::default()));
        let props = [
            Property::AuthenticationMethod("abc"),
            Property::AuthenticationData(&[0xff]),
        ];
        let repr = Repr {
            reason: ReasonCode::CONTINUE_AUTHENTICATION,
            properties: Properties::List(&props),
        };
        check_vector(AUTH_V5_CONTINUE, V5, Packet::Auth(repr));
    }

    #[cfg(feature = "v5")]
    #[test]
    fn auth_exists_only_in_v5() {
        assert_eq!(decode_err(AUTH_V5_SUCCESS, V3), DecodeError::PacketType);
        assert_eq!(
            encode_err(Packet::Auth(Repr::default()), V3),
            EncodeError::NotInV3_1_1(V5Only::Auth)
        );
    }

    #[cfg(feature = "v5")]
    #[test]
    fn auth_refuses_foreign_codes_and_properties() {
        assert_eq!(
            decode_err(&[0xf0, 0x01, 0x87], V5),
            DecodeError::ReasonCode(0x87)
        );
        let b = [0xf0, 0x04, 0x18, 0x02, 0x16, 0x00];
        assert_eq!(decode_err(&b, V5), DecodeError::Truncated);
        let b = [0xf0, 0x06, 0x18, 0x04, 0x16, 0x00, 0x01, 0xff];
        assert_eq!(decode_err(&b, V5), DecodeError::AuthDataWithoutMethod);
        let props = [Property::SessionExpiryInterval(1)];
        let repr = Repr {
            reason: ReasonCode::RE_AUTHENTICATE,
            properties: Properties::List(&props),
        };
        assert_eq!(
            encode_err(Packet::Auth(repr), V5),
            EncodeError::PropertyNotAllowed(0x11)
        );
    }
}
