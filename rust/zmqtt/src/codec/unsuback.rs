//! UNSUBACK: MQTT 3.1.1 §3.11, MQTT 5.0 §3.11.
//!
//! 3.1.1: only the packet identifier. 5.0: packet identifier, properties, and one reason code
//! per topic filter of the UNSUBSCRIBE.

use super::cursor::{Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::reason;
use super::{read_packet_id, PacketId, ProtocolVersion};

/// An UNSUBACK packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
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

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        match version {
            ProtocolVersion::V3_1_1 => 2,
            ProtocolVersion::V5 => self
                .properties
                .wire_len()
                .saturating_add(self.reason_codes.len())
                .saturating_add(2),
        }
    }

    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        match version {
            ProtocolVersion::V3_1_1 => {
                if !self.properties.is_empty() {
                    return Err(EncodeError::NotInV3_1_1(V5Only::Properties));
                }
                if self.reason_codes.iter().any(|&c| c != 0) {
                    return Err(EncodeError::NotInV3_1_1(V5Only::ReasonCode));
                }
                w.u16(self.packet_id.get())
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
                w.u16(self.packet_id.get())?;
                self.properties.emit(w, Context::Unsuback)?;
                w.bytes(self.reason_codes)
            }
        }
    }
}
