//! PUBLISH: MQTT 3.1.1 §3.3, MQTT 5.0 §3.3.
//!
//! Fixed header flags: DUP (bit 3), QoS (bits 2-1), RETAIN (bit 0). Variable header: topic name,
//! packet identifier (QoS 1 and 2 only), (5.0) properties. The payload is the rest of the packet
//! and is handed out as a view, never copied.

use super::cursor::{field_len, Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::topic::{validate_topic_name, TopicError};
use super::{read_packet_id, PacketId, ProtocolVersion, QoS};

/// A PUBLISH packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Re-delivery of an earlier attempt (QoS 1 and 2 only).
    pub dup: bool,
    /// Delivery guarantee.
    pub qos: QoS,
    /// Whether the server should retain the message.
    pub retain: bool,
    /// Topic name; may be empty in 5.0 when the properties carry a Topic Alias.
    pub topic: &'a str,
    /// Packet identifier: `Some` for QoS 1 and 2, `None` for QoS 0.
    pub packet_id: Option<PacketId>,
    /// PUBLISH properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
    /// Application message.
    pub payload: &'a [u8],
}

impl<'a> Repr<'a> {
    /// `flags` are the fixed header's low four bits, already checked by the framing.
    pub(crate) fn parse(
        flags: u8,
        body: &'a [u8],
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
        let qos = QoS::try_from((flags >> 1) & 0x03)?;
        let mut r = Reader::new(body);
        let topic = r.string()?;
        let packet_id = match qos {
            QoS::AtMostOnce => None,
            _ => Some(read_packet_id(&mut r)?),
        };
        let properties = match version {
            ProtocolVersion::V5 => Properties::parse(&mut r, Context::Publish)?,
            ProtocolVersion::V3_1_1 => Properties::EMPTY,
        };
        if topic.is_empty() {
            match version {
                ProtocolVersion::V5 if properties.topic_alias().is_some() => {}
                ProtocolVersion::V5 => return Err(DecodeError::EmptyTopicWithoutAlias),
                ProtocolVersion::V3_1_1 => return Err(DecodeError::Topic(TopicError::Empty)),
            }
        } else {
            validate_topic_name(topic).map_err(DecodeError::Topic)?;
        }
        Ok(Self {
            dup: flags & 0x08 != 0,
            qos,
            retain: flags & 0x01 != 0,
            topic,
            packet_id,
            properties,
            payload: r.rest(),
        })
    }

    pub(crate) fn flags(&self) -> u8 {
        (u8::from(self.dup) << 3) | ((self.qos as u8) << 1) | u8::from(self.retain)
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let mut n = field_len(self.topic.len());
        if self.qos != QoS::AtMostOnce {
            n += 2;
        }
        if version == ProtocolVersion::V5 {
            n = n.saturating_add(self.properties.wire_len());
        }
        n.saturating_add(self.payload.len())
    }

    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        match (self.qos, self.packet_id) {
            (QoS::AtMostOnce, Some(_)) => return Err(EncodeError::UnexpectedPacketId),
            (QoS::AtMostOnce, None) if self.dup => return Err(EncodeError::DupWithQoS0),
            (QoS::AtLeastOnce | QoS::ExactlyOnce, None) => {
                return Err(EncodeError::MissingPacketId)
            }
            _ => {}
        }
        if self.topic.is_empty() {
            match version {
                ProtocolVersion::V5 if self.properties.topic_alias().is_some() => {}
                ProtocolVersion::V5 => return Err(EncodeError::EmptyTopicWithoutAlias),
                ProtocolVersion::V3_1_1 => {
                    return Err(EncodeError::NotInV3_1_1(V5Only::EmptyTopic))
                }
            }
        } else {
            validate_topic_name(self.topic).map_err(EncodeError::Topic)?;
        }
        if version == ProtocolVersion::V3_1_1 && !self.properties.is_empty() {
            return Err(EncodeError::NotInV3_1_1(V5Only::Properties));
        }
        w.string(self.topic)?;
        if let Some(id) = self.packet_id {
            w.u16(id.get())?;
        }
        if version == ProtocolVersion::V5 {
            self.properties.emit(w, Context::Publish)?;
        }
        w.bytes(self.payload)
    }
}
