//! CONNACK: MQTT 3.1.1 §3.2, MQTT 5.0 §3.2.
//!
//! Acknowledge flags (bit 0 Session Present, the rest reserved), then the 3.1.1 return code or
//! the 5.0 reason code, then (5.0) properties.

use super::cursor::{Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::reason;
use super::ProtocolVersion;

/// A CONNACK packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Whether the server resumed a session (always false with a failure code).
    pub session_present: bool,
    /// 3.1.1 return code (0 accepted, 1 to 5 refused) or 5.0 reason code (see [`super::ReasonCode`]).
    pub code: u8,
    /// CONNACK properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

fn code_is_valid(code: u8, version: ProtocolVersion) -> bool {
    match version {
        ProtocolVersion::V3_1_1 => code <= reason::CONNACK_V3_MAX,
        ProtocolVersion::V5 => reason::CONNACK_V5.contains(&code),
    }
}

impl<'a> Repr<'a> {
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
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

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        match version {
            ProtocolVersion::V3_1_1 => 2,
            ProtocolVersion::V5 => self.properties.wire_len().saturating_add(2),
        }
    }

    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        if !code_is_valid(self.code, version) {
            return Err(match version {
                ProtocolVersion::V3_1_1 => EncodeError::NotInV3_1_1(V5Only::ReasonCode),
                ProtocolVersion::V5 => EncodeError::ReasonCode(self.code),
            });
        }
        if self.session_present && self.code != 0 {
            return Err(EncodeError::ConnackFlags);
        }
        w.u8(u8::from(self.session_present))?;
        w.u8(self.code)?;
        match version {
            ProtocolVersion::V5 => self.properties.emit(w, Context::Connack),
            ProtocolVersion::V3_1_1 if self.properties.is_empty() => Ok(()),
            ProtocolVersion::V3_1_1 => Err(EncodeError::NotInV3_1_1(V5Only::Properties)),
        }
    }
}
