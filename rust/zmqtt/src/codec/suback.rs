//! SUBACK: MQTT 3.1.1 §3.9, MQTT 5.0 §3.9.
//!
//! Packet identifier, (5.0) properties, then one return/reason code per requested subscription:
//! the granted QoS (0 to 2) or a failure (0x80, and in 5.0 the more specific codes of §3.9.3).

use super::cursor::{Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::reason;
use super::{read_packet_id, PacketId, ProtocolVersion};

/// A SUBACK packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// The packet identifier of the SUBSCRIBE being acknowledged.
    pub packet_id: PacketId,
    /// One code per subscription, in order: granted QoS or a failure code (see [`super::ReasonCode`]).
    pub reason_codes: &'a [u8],
    /// SUBACK properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

fn codes(version: ProtocolVersion) -> &'static [u8] {
    match version {
        ProtocolVersion::V3_1_1 => reason::SUBACK_V3,
        ProtocolVersion::V5 => reason::SUBACK_V5,
    }
}

impl<'a> Repr<'a> {
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
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

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let props = match version {
            ProtocolVersion::V5 => self.properties.wire_len(),
            ProtocolVersion::V3_1_1 => 0,
        };
        self.reason_codes
            .len()
            .saturating_add(props)
            .saturating_add(2)
    }

    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
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
        w.u16(self.packet_id.get())?;
        match version {
            ProtocolVersion::V5 => self.properties.emit(w, Context::Suback)?,
            ProtocolVersion::V3_1_1 if self.properties.is_empty() => {}
            ProtocolVersion::V3_1_1 => return Err(EncodeError::NotInV3_1_1(V5Only::Properties)),
        }
        w.bytes(self.reason_codes)
    }
}
