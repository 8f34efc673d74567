//! UNSUBSCRIBE: MQTT 3.1.1 §3.10, MQTT 5.0 §3.10.
//!
//! Packet identifier, (5.0) properties, then one or more topic filters.

use super::cursor::{field_len, Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::topic::validate_topic_filter;
use super::{read_packet_id, PacketId, ProtocolVersion};

/// The topic filters of an UNSUBSCRIBE: validated payload bytes from decode, or a list to encode.
/// Equality compares the filters, not the representation.
#[derive(Debug, Clone, Copy)]
pub enum TopicFilters<'a> {
    /// The payload of a decoded UNSUBSCRIBE, already validated.
    Encoded(&'a [u8]),
    /// Filters to encode.
    List(&'a [&'a str]),
}

impl<'a> TopicFilters<'a> {
    /// The filters in order.
    pub fn iter(&self) -> TopicFilterIter<'a> {
        TopicFilterIter(match *self {
            Self::Encoded(b) => Inner::Encoded(Reader::new(b)),
            Self::List(l) => Inner::List(l.iter()),
        })
    }

    fn wire_len(&self) -> usize {
        match self {
            Self::Encoded(b) => b.len(),
            Self::List(l) => l
                .iter()
                .fold(0usize, |n, f| n.saturating_add(field_len(f.len()))),
        }
    }
}

impl PartialEq for TopicFilters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for TopicFilters<'_> {}

/// Iterator over [`TopicFilters`].
#[derive(Debug, Clone)]
pub struct TopicFilterIter<'a>(Inner<'a>);

#[derive(Debug, Clone)]
enum Inner<'a> {
    Encoded(Reader<'a>),
    List(core::slice::Iter<'a, &'a str>),
}

fn parse_entry<'a>(r: &mut Reader<'a>) -> Result<&'a str, DecodeError> {
    let filter = r.string()?;
    validate_topic_filter(filter).map_err(DecodeError::Topic)?;
    Ok(filter)
}

impl<'a> Iterator for TopicFilterIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match &mut self.0 {
            Inner::Encoded(r) if r.is_empty() => None,
            Inner::Encoded(r) => parse_entry(r).map_err(|_| r.rest()).ok(),
            Inner::List(it) => it.next().copied(),
        }
    }
}

fn validate_payload(bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::EmptyPayload);
    }
    let mut r = Reader::new(bytes);
    while !r.is_empty() {
        parse_entry(&mut r)?;
    }
    Ok(())
}

/// An UNSUBSCRIBE packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Packet identifier, echoed by the UNSUBACK.
    pub packet_id: PacketId,
    /// One or more topic filters.
    pub filters: TopicFilters<'a>,
    /// UNSUBSCRIBE properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

impl<'a> Repr<'a> {
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let packet_id = read_packet_id(&mut r)?;
        let properties = match version {
            ProtocolVersion::V5 => Properties::parse(&mut r, Context::Unsubscribe)?,
            ProtocolVersion::V3_1_1 => Properties::EMPTY,
        };
        let payload = r.rest();
        validate_payload(payload)?;
        Ok(Self {
            packet_id,
            filters: TopicFilters::Encoded(payload),
            properties,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let props = match version {
            ProtocolVersion::V5 => self.properties.wire_len(),
            ProtocolVersion::V3_1_1 => 0,
        };
        self.filters
            .wire_len()
            .saturating_add(props)
            .saturating_add(2)
    }

    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        w.u16(self.packet_id.get())?;
        match version {
            ProtocolVersion::V5 => self.properties.emit(w, Context::Unsubscribe)?,
            ProtocolVersion::V3_1_1 if self.properties.is_empty() => {}
            ProtocolVersion::V3_1_1 => return Err(EncodeError::NotInV3_1_1(V5Only::Properties)),
        }
        match self.filters {
            TopicFilters::Encoded(b) => {
                validate_payload(b).map_err(|e| match e {
                    DecodeError::EmptyPayload => EncodeError::EmptyPayload,
                    DecodeError::Topic(t) => EncodeError::Topic(t),
                    _ => EncodeError::InvalidEncoded,
                })?;
                w.bytes(b)
            }
            TopicFilters::List([]) => Err(EncodeError::EmptyPayload),
            TopicFilters::List(l) => {
                for f in l {
                    validate_topic_filter(f).map_err(EncodeError::Topic)?;
                    w.string(f)?;
                }
                Ok(())
            }
        }
    }
}
