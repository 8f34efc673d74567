//! AUTH (MQTT 5.0 only): §3.15.
//!
//! Reason code and properties, with the same short forms as DISCONNECT: both left out for
//! 0x00 Success without properties, the property length left out without properties.

use super::cursor::Writer;
use super::disconnect::{
    emit_reason_and_properties, parse_reason_and_properties, reason_and_properties_len,
};
use super::error::{DecodeError, EncodeError};
use super::properties::{Context, Properties};
use super::reason::{self, ReasonCode};
use super::ProtocolVersion;

/// An AUTH packet (enhanced authentication, MQTT 5.0 §4.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Repr<'a> {
    /// 0x00 Success, 0x18 Continue authentication or 0x19 Re-authenticate.
    pub reason: ReasonCode,
    /// AUTH properties (Authentication Method and Data, Reason String, User Properties).
    pub properties: Properties<'a>,
}

impl<'a> Repr<'a> {
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
