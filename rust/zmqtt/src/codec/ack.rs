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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub(crate) fn parse(
        ctx: Context,
        body: &'a [u8],
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
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
        w.u16(self.packet_id.get())?;
        if version == ProtocolVersion::V5 {
            if !self.properties.is_empty() {
                w.u8(self.reason.0)?;
                self.properties.emit(w, ctx)?;
            } else if self.reason != ReasonCode::SUCCESS {
                w.u8(self.reason.0)?;
            }
        }
        Ok(())
    }
}
