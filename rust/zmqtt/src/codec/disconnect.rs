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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Repr<'a> {
    /// 5.0 reason code; must be [`ReasonCode::NORMAL_DISCONNECTION`] for 3.1.1.
    pub reason: ReasonCode,
    /// DISCONNECT properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

impl<'a> Repr<'a> {
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        let (reason, properties) =
            parse_reason_and_properties(body, version, Context::Disconnect, reason::DISCONNECT_V5)?;
        Ok(Self { reason, properties })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        reason_and_properties_len(self.reason, &self.properties, version)
    }

    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
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
        w.u8(reason.0)?;
        properties.emit(w, ctx)?;
    } else if reason != ReasonCode::SUCCESS {
        w.u8(reason.0)?;
    }
    Ok(())
}
