//! SUBSCRIBE: MQTT 3.1.1 §3.8, MQTT 5.0 §3.8.
//!
//! Packet identifier, (5.0) properties, then one or more (topic filter, options byte) pairs. In
//! 3.1.1 the options byte is the requested QoS with the upper six bits reserved; in 5.0 it also
//! holds No Local (bit 2), Retain As Published (bit 3) and Retain Handling (bits 5-4), with bits
//! 7-6 reserved.

use super::cursor::{field_len, Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::topic::{is_shared_subscription, validate_topic_filter};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription<'a> {
    /// Topic filter (wildcards allowed).
    pub filter: &'a str,
    /// Subscription options.
    pub options: SubscriptionOptions,
}

/// The subscriptions of a SUBSCRIBE: validated payload bytes from decode, or a list to encode.
/// Equality compares the entries, not the representation.
#[derive(Debug, Clone, Copy)]
pub enum Subscriptions<'a> {
    /// The payload of a decoded SUBSCRIBE, already validated.
    Encoded(&'a [u8]),
    /// Subscriptions to encode.
    List(&'a [Subscription<'a>]),
}

impl<'a> Subscriptions<'a> {
    /// The subscriptions in order.
    pub fn iter(&self) -> SubscriptionIter<'a> {
        SubscriptionIter(match *self {
            Self::Encoded(b) => Inner::Encoded(Reader::new(b)),
            Self::List(l) => Inner::List(l.iter()),
        })
    }

    fn wire_len(&self) -> usize {
        match self {
            Self::Encoded(b) => b.len(),
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
#[derive(Debug, Clone)]
pub struct SubscriptionIter<'a>(Inner<'a>);

#[derive(Debug, Clone)]
enum Inner<'a> {
    Encoded(Reader<'a>),
    List(core::slice::Iter<'a, Subscription<'a>>),
}

fn parse_entry<'a>(
    r: &mut Reader<'a>,
    version: ProtocolVersion,
) -> Result<Subscription<'a>, DecodeError> {
    let filter = r.string()?;
    validate_topic_filter(filter).map_err(DecodeError::Topic)?;
    let options = SubscriptionOptions::parse(r.u8()?, version)?;
    // §3.8.3.1 [MQTT-3.8.3-4].
    if options.no_local && is_shared_subscription(filter) {
        return Err(DecodeError::SharedSubscriptionNoLocal);
    }
    Ok(Subscription { filter, options })
}

impl<'a> Iterator for SubscriptionIter<'a> {
    type Item = Subscription<'a>;

    fn next(&mut self) -> Option<Subscription<'a>> {
        match &mut self.0 {
            Inner::Encoded(r) if r.is_empty() => None,
            // Validated bytes decode the same way in both versions (3.1.1 only adds reserved bits).
            Inner::Encoded(r) => parse_entry(r, ProtocolVersion::V5)
                .map_err(|_| r.rest())
                .ok(),
            Inner::List(it) => it.next().copied(),
        }
    }
}

/// Checks a SUBSCRIBE payload: at least one entry, each valid for `version`.
fn validate_payload(bytes: &[u8], version: ProtocolVersion) -> Result<(), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::EmptyPayload);
    }
    let mut r = Reader::new(bytes);
    while !r.is_empty() {
        parse_entry(&mut r, version)?;
    }
    Ok(())
}

/// A SUBSCRIBE packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Packet identifier, echoed by the SUBACK.
    pub packet_id: PacketId,
    /// One or more subscriptions.
    pub subscriptions: Subscriptions<'a>,
    /// SUBSCRIBE properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

impl<'a> Repr<'a> {
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
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
            subscriptions: Subscriptions::Encoded(payload),
            properties,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
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
        w.u16(self.packet_id.get())?;
        match version {
            ProtocolVersion::V5 => self.properties.emit(w, Context::Subscribe)?,
            ProtocolVersion::V3_1_1 if self.properties.is_empty() => {}
            ProtocolVersion::V3_1_1 => return Err(EncodeError::NotInV3_1_1(V5Only::Properties)),
        }
        match self.subscriptions {
            Subscriptions::Encoded(b) => {
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
                w.bytes(b)
            }
            Subscriptions::List([]) => Err(EncodeError::EmptyPayload),
            Subscriptions::List(l) => {
                for s in l {
                    validate_topic_filter(s.filter).map_err(EncodeError::Topic)?;
                    if s.options.no_local && is_shared_subscription(s.filter) {
                        return Err(EncodeError::SharedSubscriptionNoLocal);
                    }
                    if version == ProtocolVersion::V3_1_1
                        && s.options != SubscriptionOptions::qos(s.options.qos)
                    {
                        return Err(EncodeError::NotInV3_1_1(V5Only::SubscriptionOptions));
                    }
                    w.string(s.filter)?;
                    w.u8(s.options.to_byte())?;
                }
                Ok(())
            }
        }
    }
}
