//! UNSUBSCRIBE: MQTT 3.1.1 §3.10, MQTT 5.0 §3.10.
//!
//! Packet identifier, (5.0) properties, then one or more topic filters.
// Some imports serve only the server-direction half (`broker` feature).
#![cfg_attr(not(feature = "broker"), allow(unused_imports))]

use super::cursor::{field_len, Reader, TextReader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::topic::{topic_error, validate_filter_bytes, TopicFilter};
use super::{read_packet_id, PacketId, ProtocolVersion};

/// The payload of a decoded UNSUBSCRIBE, as `decode` checked it.
///
/// Only the codec makes these: iterating one hands out [`TopicFilter`]s without checking each
/// filter again, which is only right for bytes that were checked.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EncodedTopicFilters<'a>(&'a [u8]);

impl<'a> EncodedTopicFilters<'a> {
    /// The payload as on the wire.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

/// The topic filters of an UNSUBSCRIBE: the checked payload of a decoded packet, or a list to
/// encode. Equality compares the filters, not the representation.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy)]
pub enum TopicFilters<'a> {
    /// The payload of a decoded UNSUBSCRIBE.
    Encoded(EncodedTopicFilters<'a>),
    /// Filters to encode.
    List(&'a [TopicFilter<'a>]),
}

impl<'a> TopicFilters<'a> {
    /// The filters in order.
    pub fn iter(&self) -> TopicFilterIter<'a> {
        TopicFilterIter(match *self {
            Self::Encoded(b) => Inner::Encoded(TextReader::new(b.0)),
            Self::List(l) => Inner::List(l.iter()),
        })
    }

    fn wire_len(&self) -> usize {
        match self {
            Self::Encoded(b) => b.0.len(),
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
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone)]
pub struct TopicFilterIter<'a>(Inner<'a>);

#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone)]
enum Inner<'a> {
    Encoded(TextReader<'a>),
    List(core::slice::Iter<'a, TopicFilter<'a>>),
}

/// Checks one filter, on its bytes (see `TextReader::checking`).
fn check_entry(r: &mut TextReader<'_>) -> Result<(), DecodeError> {
    validate_filter_bytes(r.utf8_bytes()?).map_err(topic_error)
}

impl<'a> Iterator for TopicFilterIter<'a> {
    type Item = TopicFilter<'a>;

    fn next(&mut self) -> Option<TopicFilter<'a>> {
        match &mut self.0 {
            Inner::Encoded(r) if r.is_empty() => None,
            // Validated when decoded: iterating only splits the filters up again.
            Inner::Encoded(r) => r
                .utf8()
                .map(TopicFilter::new_validated)
                .map_err(|_| r.finish())
                .ok(),
            Inner::List(it) => it.next().copied(),
        }
    }
}

fn validate_payload(bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::EmptyPayload);
    }
    let mut r = TextReader::checking(bytes);
    while !r.is_empty() {
        check_entry(&mut r)?;
    }
    Ok(())
}

/// An UNSUBSCRIBE packet.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Packet identifier, echoed by the UNSUBACK.
    pub packet_id: PacketId,
    /// One or more topic filters.
    pub filters: TopicFilters<'a>,
    /// UNSUBSCRIBE properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

impl<'a> Repr<'a> {
    #[cfg(feature = "broker")]
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        let version = version.in_build();
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
            filters: TopicFilters::Encoded(EncodedTopicFilters(payload)),
            properties,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let version = version.in_build();
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
        let version = version.in_build();
        w.u16(self.packet_id.get());
        match version {
            ProtocolVersion::V5 => self.properties.emit(w, Context::Unsubscribe)?,
            ProtocolVersion::V3_1_1 if self.properties.is_empty() => {}
            ProtocolVersion::V3_1_1 => return Err(EncodeError::NotInV3_1_1(V5Only::Properties)),
        }
        match self.filters {
            TopicFilters::Encoded(EncodedTopicFilters(b)) => {
                validate_payload(b).map_err(|e| match e {
                    DecodeError::EmptyPayload => EncodeError::EmptyPayload,
                    DecodeError::Topic(t) => EncodeError::Topic(t),
                    _ => EncodeError::InvalidEncoded,
                })?;
                w.bytes(b);
                Ok(())
            }
            TopicFilters::List([]) => Err(EncodeError::EmptyPayload),
            TopicFilters::List(l) => {
                // Checked when the `TopicFilter`s were built.
                for f in l {
                    w.checked_string(f.as_str());
                }
                Ok(())
            }
        }
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
    use super::super::{
        DecodeError, EncodeError, Packet, Properties, Property, TopicError, TopicFilter, V5Only,
    };
    use super::{Repr, TopicFilters};

    /// MQTT 3.1.1 §3.10: packet id 11, filters "a/b" and "#".
    pub const UNSUBSCRIBE_V3: &[u8] = &[
        0xa2, 0x0a, 0x00, 0x0b, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x01, b'#',
    ];
    /// MQTT 5.0 §3.10: the same with an empty property section.
    pub const UNSUBSCRIBE_V5: &[u8] = &[
        0xa2, 0x0b, 0x00, 0x0b, 0x00, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x01, b'#',
    ];
    /// MQTT 5.0 §3.10.2.1.2: with a User Property a=b.
    pub const UNSUBSCRIBE_V5_PROPERTIES: &[u8] = &[
        0xa2, 0x0d, 0x00, 0x0b, 0x07, 0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'b', 0x00, 0x01, b'+',
    ];

    fn unsubscribe<'a>(filters: &[&'static str], properties: Properties<'a>) -> Packet<'a> {
        let filters = filters
            .iter()
            .map(|f| TopicFilter::new(f).unwrap())
            .collect::<Vec<_>>();
        Packet::Unsubscribe(Repr {
            packet_id: pid(11),
            filters: TopicFilters::List(filters.leak()),
            properties,
        })
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn unsubscribe_vectors_roundtrip_in_both_versions() {
        check_vector(
            UNSUBSCRIBE_V3,
            V3,
            unsubscribe(&["a/b", "#"], Properties::EMPTY),
        );
        check_vector(
            UNSUBSCRIBE_V5,
            V5,
            unsubscribe(&["a/b", "#"], Properties::EMPTY),
        );
        let props = [Property::UserProperty("a", "b")];
        check_vector(
            UNSUBSCRIBE_V5_PROPERTIES,
            V5,
            unsubscribe(&["+"], Properties::List(&props)),
        );
        let Packet::Unsubscribe(u) = decode_one(UNSUBSCRIBE_V3, V3) else {
            panic!()
        };
        assert_eq!(u.filters.iter().collect::<Vec<_>>(), ["a/b", "#"]);
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn unsubscribe_refuses_empty_payload_bad_filters_and_flags() {
        assert_eq!(
            decode_err(&[0xa2, 0x02, 0x00, 0x0b], V3),
            DecodeError::EmptyPayload
        );
        assert_eq!(
            encode_err(unsubscribe(&[], Properties::EMPTY), V3),
            EncodeError::EmptyPayload
        );
        let bad = [0xa2, 0x06, 0x00, 0x0b, 0x00, 0x01, b'#', 0x00];
        assert_eq!(decode_err(&bad, V3), DecodeError::Truncated);
        let bad = [0xa2, 0x06, 0x00, 0x0b, 0x00, 0x02, b'#', b'a'];
        assert_eq!(
            decode_err(&bad, V3),
            DecodeError::Topic(TopicError::MultiLevelWildcard)
        );
        // An invalid filter cannot be encoded: it cannot become a `TopicFilter`.
        assert_eq!(TopicFilter::new("a+"), Err(TopicError::SingleLevelWildcard));
        let mut flags = UNSUBSCRIBE_V3.to_vec();
        flags[0] = 0xa0;
        assert_eq!(decode_err(&flags, V3), DecodeError::Flags);
        let props = [Property::ReasonString("x")];
        assert_eq!(
            encode_err(unsubscribe(&["a"], Properties::List(&props)), V5),
            EncodeError::PropertyNotAllowed(0x1f)
        );
        let props = [Property::UserProperty("a", "b")];
        assert_eq!(
            encode_err(unsubscribe(&["a"], Properties::List(&props)), V3),
            EncodeError::NotInV3_1_1(V5Only::Properties)
        );
    }
}
