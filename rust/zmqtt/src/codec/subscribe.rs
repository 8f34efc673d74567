//! SUBSCRIBE: MQTT 3.1.1 §3.8, MQTT 5.0 §3.8.
//!
//! Packet identifier, (5.0) properties, then one or more (topic filter, options byte) pairs. In
//! 3.1.1 the options byte is the requested QoS with the upper six bits reserved; in 5.0 it also
//! holds No Local (bit 2), Retain As Published (bit 3) and Retain Handling (bits 5-4), with bits
//! 7-6 reserved.
// Some imports serve only the server-direction half (`broker` feature).
#![cfg_attr(not(feature = "broker"), allow(unused_imports))]

use super::cursor::{field_len, Reader, TextReader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::topic::{topic_error, validate_filter_bytes, TopicFilter, SHARE_PREFIX};
use super::{read_packet_id, PacketId, ProtocolVersion, QoS};

/// When the server sends retained messages for a new subscription (MQTT 5.0 §3.8.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetainHandling {
    /// 0: send retained messages at the time of the subscribe.
    #[default]
    SendAtSubscribe = 0,
    /// 1: send them only if the subscription did not exist yet.
    SendAtSubscribeIfNew = 1,
    /// 2: do not send retained messages.
    DoNotSend = 2,
}

/// The options byte of one subscription (§3.8.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubscriptionOptions {
    /// Maximum QoS the server may use for this subscription.
    pub qos: QoS,
    /// 5.0: do not send my own publications back to me (not allowed on shared subscriptions).
    pub no_local: bool,
    /// 5.0: keep the RETAIN flag as published instead of clearing it.
    pub retain_as_published: bool,
    /// 5.0: when to send retained messages.
    pub retain_handling: RetainHandling,
}

impl SubscriptionOptions {
    /// Options with only a QoS, the form 3.1.1 can express.
    pub const fn qos(qos: QoS) -> Self {
        Self {
            qos,
            no_local: false,
            retain_as_published: false,
            retain_handling: RetainHandling::SendAtSubscribe,
        }
    }

    fn to_byte(self) -> u8 {
        (self.qos as u8)
            | (u8::from(self.no_local) << 2)
            | (u8::from(self.retain_as_published) << 3)
            | ((self.retain_handling as u8) << 4)
    }

    fn parse(b: u8, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let version = version.in_build();
        let reserved = match version {
            ProtocolVersion::V3_1_1 => 0xfc,
            ProtocolVersion::V5 => 0xc0,
        };
        if b & reserved != 0 {
            return Err(DecodeError::SubscriptionOptions);
        }
        let retain_handling = match (b >> 4) & 0x03 {
            0 => RetainHandling::SendAtSubscribe,
            1 => RetainHandling::SendAtSubscribeIfNew,
            2 => RetainHandling::DoNotSend,
            _ => return Err(DecodeError::SubscriptionOptions),
        };
        Ok(Self {
            qos: QoS::try_from(b & 0x03)?,
            no_local: b & 0x04 != 0,
            retain_as_published: b & 0x08 != 0,
            retain_handling,
        })
    }
}

/// One entry of a SUBSCRIBE.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Subscription<'a> {
    /// Topic filter (wildcards allowed), checked when it was built.
    pub filter: TopicFilter<'a>,
    /// Subscription options.
    pub options: SubscriptionOptions,
}

/// The payload of a decoded SUBSCRIBE, as `decode` checked it.
///
/// Only the codec makes these: iterating one hands out [`TopicFilter`]s without checking each
/// filter again, which is only right for bytes that were checked. (`emit` still checks them
/// against the version it writes: a 5.0 SUBSCRIBE's options may not fit 3.1.1.)
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EncodedSubscriptions<'a>(&'a [u8]);

impl<'a> EncodedSubscriptions<'a> {
    /// The payload as on the wire.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

/// The subscriptions of a SUBSCRIBE: the checked payload of a decoded packet, or a list to
/// encode. Equality compares the entries, not the representation.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy)]
pub enum Subscriptions<'a> {
    /// The payload of a decoded SUBSCRIBE.
    Encoded(EncodedSubscriptions<'a>),
    /// Subscriptions to encode.
    List(&'a [Subscription<'a>]),
}

impl<'a> Subscriptions<'a> {
    /// The subscriptions in order.
    pub fn iter(&self) -> SubscriptionIter<'a> {
        SubscriptionIter(match *self {
            Self::Encoded(b) => Inner::Encoded(TextReader::new(b.0)),
            Self::List(l) => Inner::List(l.iter()),
        })
    }

    fn wire_len(&self) -> usize {
        match self {
            Self::Encoded(b) => b.0.len(),
            Self::List(l) => l.iter().fold(0usize, |n, s| {
                n.saturating_add(field_len(s.filter.len()) + 1)
            }),
        }
    }
}

impl PartialEq for Subscriptions<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Subscriptions<'_> {}

/// Iterator over [`Subscriptions`].
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone)]
pub struct SubscriptionIter<'a>(Inner<'a>);

#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone)]
enum Inner<'a> {
    Encoded(TextReader<'a>),
    List(core::slice::Iter<'a, Subscription<'a>>),
}

/// Splits off one entry without checking the filter; the options byte is read as in 5.0 (3.1.1
/// only adds reserved bits, which validation has already found clear).
fn read_entry<'a>(r: &mut TextReader<'a>) -> Result<Subscription<'a>, DecodeError> {
    let filter = TopicFilter::new_validated(r.utf8()?);
    let options = SubscriptionOptions::parse(r.u8()?, ProtocolVersion::V5)?;
    Ok(Subscription { filter, options })
}

/// Checks one entry (the filter is checked on its bytes: see `TextReader::checking`).
fn check_entry(r: &mut TextReader<'_>, version: ProtocolVersion) -> Result<(), DecodeError> {
    let version = version.in_build();
    let filter = r.utf8_bytes()?;
    validate_filter_bytes(filter).map_err(topic_error)?;
    let options = SubscriptionOptions::parse(r.u8()?, version)?;
    // §3.8.3.1 [MQTT-3.8.3-4].
    if options.no_local && filter.starts_with(SHARE_PREFIX.as_bytes()) {
        return Err(DecodeError::SharedSubscriptionNoLocal);
    }
    Ok(())
}

impl<'a> Iterator for SubscriptionIter<'a> {
    type Item = Subscription<'a>;

    fn next(&mut self) -> Option<Subscription<'a>> {
        match &mut self.0 {
            Inner::Encoded(r) if r.is_empty() => None,
            // The bytes were validated when decoded (only `decode` makes an
            // `EncodedSubscriptions`), so iterating only splits them up again.
            Inner::Encoded(r) => read_entry(r).map_err(|_| r.finish()).ok(),
            Inner::List(it) => it.next().copied(),
        }
    }
}

/// Checks a SUBSCRIBE payload: at least one entry, each valid for `version`.
fn validate_payload(bytes: &[u8], version: ProtocolVersion) -> Result<(), DecodeError> {
    let version = version.in_build();
    if bytes.is_empty() {
        return Err(DecodeError::EmptyPayload);
    }
    let mut r = TextReader::checking(bytes);
    while !r.is_empty() {
        check_entry(&mut r, version)?;
    }
    Ok(())
}

/// A SUBSCRIBE packet.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Packet identifier, echoed by the SUBACK.
    pub packet_id: PacketId,
    /// One or more subscriptions.
    pub subscriptions: Subscriptions<'a>,
    /// SUBSCRIBE properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

impl<'a> Repr<'a> {
    #[cfg(feature = "broker")]
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        let version = version.in_build();
        let mut r = Reader::new(body);
        let packet_id = read_packet_id(&mut r)?;
        let properties = match version {
            ProtocolVersion::V5 => Properties::parse(&mut r, Context::Subscribe)?,
            ProtocolVersion::V3_1_1 => Properties::EMPTY,
        };
        let payload = r.rest();
        validate_payload(payload, version)?;
        Ok(Self {
            packet_id,
            subscriptions: Subscriptions::Encoded(EncodedSubscriptions(payload)),
            properties,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let version = version.in_build();
        let props = match version {
            ProtocolVersion::V5 => self.properties.wire_len(),
            ProtocolVersion::V3_1_1 => 0,
        };
        self.subscriptions
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
            ProtocolVersion::V5 => self.properties.emit(w, Context::Subscribe)?,
            ProtocolVersion::V3_1_1 if self.properties.is_empty() => {}
            ProtocolVersion::V3_1_1 => return Err(EncodeError::NotInV3_1_1(V5Only::Properties)),
        }
        match self.subscriptions {
            Subscriptions::Encoded(EncodedSubscriptions(b)) => {
                validate_payload(b, version).map_err(|e| match e {
                    DecodeError::EmptyPayload => EncodeError::EmptyPayload,
                    DecodeError::Topic(t) => EncodeError::Topic(t),
                    DecodeError::SharedSubscriptionNoLocal => {
                        EncodeError::SharedSubscriptionNoLocal
                    }
                    DecodeError::SubscriptionOptions if version == ProtocolVersion::V3_1_1 => {
                        EncodeError::NotInV3_1_1(V5Only::SubscriptionOptions)
                    }
                    _ => EncodeError::InvalidEncoded,
                })?;
                w.bytes(b);
                Ok(())
            }
            Subscriptions::List([]) => Err(EncodeError::EmptyPayload),
            Subscriptions::List(l) => {
                // The filters were checked when their `TopicFilter`s were built; what is left
                // are the rules that tie a filter to its options or the version.
                for s in l {
                    if s.options.no_local && s.filter.is_shared() {
                        return Err(EncodeError::SharedSubscriptionNoLocal);
                    }
                    if version == ProtocolVersion::V3_1_1
                        && s.options != SubscriptionOptions::qos(s.options.qos)
                    {
                        return Err(EncodeError::NotInV3_1_1(V5Only::SubscriptionOptions));
                    }
                    w.checked_string(s.filter.as_str());
                    w.u8(s.options.to_byte());
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
        DecodeError, EncodeError, Packet, Properties, Property, QoS, TopicError, V5Only,
    };
    use super::{
        EncodedSubscriptions, Repr, RetainHandling, Subscription, SubscriptionOptions,
        Subscriptions, TopicFilter,
    };

    /// MQTT 3.1.1 §3.8: packet id 10, "a/b" at QoS 1 and "c/d" at QoS 2.
    pub const SUBSCRIBE_V3: &[u8] = &[
        0x82, 0x0e, 0x00, 0x0a, 0x00, 0x03, b'a', b'/', b'b', 0x01, 0x00, 0x03, b'c', b'/', b'd',
        0x02,
    ];
    /// MQTT 5.0 §3.8: packet id 10, Subscription Identifier 1, "a/+" with options 0x2D (QoS 1,
    /// No Local, Retain As Published, Retain Handling 2), "$share/g/x" with options 0.
    pub const SUBSCRIBE_V5: &[u8] = &[
        0x82, 0x18, 0x00, 0x0a, 0x02, 0x0b, 0x01, 0x00, 0x03, b'a', b'/', b'+', 0x2d, 0x00, 0x0a,
        b'$', b's', b'h', b'a', b'r', b'e', b'/', b'g', b'/', b'x', 0x00,
    ];

    const SUBS_V3: &[Subscription<'static>] = &[
        Subscription {
            filter: TopicFilter::new_validated("a/b"),
            options: SubscriptionOptions::qos(QoS::AtLeastOnce),
        },
        Subscription {
            filter: TopicFilter::new_validated("c/d"),
            options: SubscriptionOptions::qos(QoS::ExactlyOnce),
        },
    ];
    const SUBS_V5: &[Subscription<'static>] = &[
        Subscription {
            filter: TopicFilter::new_validated("a/+"),
            options: SubscriptionOptions {
                qos: QoS::AtLeastOnce,
                no_local: true,
                retain_as_published: true,
                retain_handling: RetainHandling::DoNotSend,
            },
        },
        Subscription {
            filter: TopicFilter::new_validated("$share/g/x"),
            options: SubscriptionOptions::qos(QoS::AtMostOnce),
        },
    ];

    fn subscribe<'a>(subs: &'a [Subscription<'a>], properties: Properties<'a>) -> Packet<'a> {
        Packet::Subscribe(Repr {
            packet_id: pid(10),
            subscriptions: Subscriptions::List(subs),
            properties,
        })
    }

    fn with_options(options: u8, filter: &[u8], version: super::ProtocolVersion) -> Vec<u8> {
        let mut b = vec![0x82, 0, 0x00, 0x01];
        if version == V5 {
            b.push(0);
        }
        b.extend_from_slice(&[0, filter.len() as u8]);
        b.extend_from_slice(filter);
        b.push(options);
        b[1] = (b.len() - 2) as u8;
        b
    }

    #[cfg(feature = "broker")]
    #[test]
    fn subscribe_v3_matches_the_spec_bytes() {
        check_vector(SUBSCRIBE_V3, V3, subscribe(SUBS_V3, Properties::EMPTY));
        let Packet::Subscribe(s) = decode_one(SUBSCRIBE_V3, V3) else {
            panic!()
        };
        assert_eq!(s.subscriptions.iter().collect::<Vec<_>>(), SUBS_V3);
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn subscribe_v5_with_options_and_subscription_identifier_roundtrips() {
        let props = [Property::SubscriptionIdentifier(1)];
        check_vector(
            SUBSCRIBE_V5,
            V5,
            subscribe(SUBS_V5, Properties::List(&props)),
        );
        let Packet::Subscribe(s) = decode_one(SUBSCRIBE_V5, V5) else {
            panic!()
        };
        assert_eq!(s.subscriptions.iter().collect::<Vec<_>>(), SUBS_V5);
        assert_eq!(s.properties.subscription_identifier(), Some(1));
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn subscribe_needs_at_least_one_filter() {
        assert_eq!(
            decode_err(&[0x82, 0x02, 0x00, 0x01], V3),
            DecodeError::EmptyPayload
        );
        assert_eq!(
            decode_err(&[0x82, 0x03, 0x00, 0x01, 0x00], V5),
            DecodeError::EmptyPayload
        );
        assert_eq!(
            encode_err(subscribe(&[], Properties::EMPTY), V3),
            EncodeError::EmptyPayload
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn subscribe_options_reserved_bits_and_values_are_checked() {
        // 3.1.1: only the QoS bits exist (§3.8.3.1).
        assert_eq!(
            decode_err(&with_options(0x04, b"a", V3), V3),
            DecodeError::SubscriptionOptions
        );
        assert_eq!(
            decode_err(&with_options(0x03, b"a", V3), V3),
            DecodeError::QoS
        );
        // 5.0: bits 7-6 reserved, Retain Handling 3 reserved, QoS 3.
        assert_eq!(
            decode_err(&with_options(0x40, b"a", V5), V5),
            DecodeError::SubscriptionOptions
        );
        assert_eq!(
            decode_err(&with_options(0x30, b"a", V5), V5),
            DecodeError::SubscriptionOptions
        );
        assert_eq!(
            decode_err(&with_options(0x03, b"a", V5), V5),
            DecodeError::QoS
        );
        assert_eq!(
            encode_err(subscribe(&SUBS_V5[..1], Properties::EMPTY), V3),
            EncodeError::NotInV3_1_1(V5Only::SubscriptionOptions)
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn subscribe_refuses_no_local_on_shared_subscriptions() {
        assert_eq!(
            decode_err(&with_options(0x04, b"$share/g/x", V5), V5),
            DecodeError::SharedSubscriptionNoLocal
        );
        let subs = [Subscription {
            filter: TopicFilter::new_validated("$share/g/x"),
            options: SubscriptionOptions {
                no_local: true,
                ..SubscriptionOptions::default()
            },
        }];
        assert_eq!(
            encode_err(subscribe(&subs, Properties::EMPTY), V5),
            EncodeError::SharedSubscriptionNoLocal
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn subscribe_refuses_invalid_filters() {
        assert_eq!(
            decode_err(&with_options(0, b"a#", V3), V3),
            DecodeError::Topic(TopicError::MultiLevelWildcard)
        );
        assert_eq!(
            decode_err(&with_options(0, b"", V3), V3),
            DecodeError::Topic(TopicError::Empty)
        );
        assert_eq!(
            decode_err(&with_options(0, b"$share/+/x", V5), V5),
            DecodeError::Topic(TopicError::SharedSubscription)
        );
        // An invalid filter cannot be encoded: it cannot become a `TopicFilter`.
        assert_eq!(
            TopicFilter::new("a/b+"),
            Err(TopicError::SingleLevelWildcard)
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn subscribe_refuses_bad_flags_ids_and_properties() {
        let mut flags = SUBSCRIBE_V3.to_vec();
        flags[0] = 0x80;
        assert_eq!(decode_err(&flags, V3), DecodeError::Flags);
        assert_eq!(
            decode_err(&[0x82, 0x06, 0x00, 0x00, 0x00, 0x01, b'a', 0x00], V3),
            DecodeError::PacketIdZero
        );
        // §3.8.2.1.2: the Subscription Identifier may appear once, and not as 0.
        let mut twice = SUBSCRIBE_V5.to_vec();
        twice.splice(5..5, [0x0b, 0x02]);
        twice[4] = 4;
        twice[1] += 2;
        assert_eq!(decode_err(&twice, V5), DecodeError::DuplicateProperty(0x0b));
        let mut zero = SUBSCRIBE_V5.to_vec();
        zero[6] = 0;
        assert_eq!(decode_err(&zero, V5), DecodeError::PropertyValue(0x0b));
        let props = [
            Property::SubscriptionIdentifier(1),
            Property::SubscriptionIdentifier(2),
        ];
        assert_eq!(
            encode_err(subscribe(SUBS_V3, Properties::List(&props)), V5),
            EncodeError::DuplicateProperty(0x0b)
        );
        let props = [Property::ReasonString("no")];
        assert_eq!(
            encode_err(subscribe(SUBS_V3, Properties::List(&props)), V5),
            EncodeError::PropertyNotAllowed(0x1f)
        );
    }

    #[cfg(all(feature = "v5", feature = "broker"))]
    #[test]
    fn subscribe_encoded_views_are_validated_before_copying() {
        // Only `decode` makes views outside this module; a 5.0 one may still not fit 3.1.1.
        let Packet::Subscribe(v5) = decode_one(SUBSCRIBE_V5, V5) else {
            panic!()
        };
        let v5 = Repr {
            properties: Properties::EMPTY,
            ..v5
        };
        assert_eq!(
            encode_err(Packet::Subscribe(v5), V3),
            EncodeError::NotInV3_1_1(V5Only::SubscriptionOptions)
        );
        let bad = Repr {
            packet_id: pid(1),
            subscriptions: Subscriptions::Encoded(EncodedSubscriptions(&[0x00, 0x01, b'#', 0x07])),
            properties: Properties::EMPTY,
        };
        assert_eq!(
            encode_err(Packet::Subscribe(bad), V3),
            EncodeError::NotInV3_1_1(V5Only::SubscriptionOptions)
        );
        let bad = Repr {
            subscriptions: Subscriptions::Encoded(EncodedSubscriptions(&[0x00, 0x05, b'#'])),
            ..bad
        };
        assert_eq!(
            encode_err(Packet::Subscribe(bad), V5),
            EncodeError::InvalidEncoded
        );
    }
}
