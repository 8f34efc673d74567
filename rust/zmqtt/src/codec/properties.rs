//! MQTT 5.0 properties (§2.2.2): one type for both directions, without allocation.
//!
//! Decoding validates the property section once (known identifier, allowed in this packet, not
//! repeated where the spec says "more than once is a Protocol Error", value in range) and then
//! keeps it as [`Properties::Encoded`], a view into the input. Encoding takes either that view or
//! a caller's slice, [`Properties::List`], and validates it against the same rules before writing.
//! Reading goes through [`Properties::iter`] or the typed getters, which return the first
//! occurrence.

use super::cursor::{check_string, field_len, Reader, Writer};
use super::error::{DecodeError, EncodeError};
use super::topic::validate_topic_name;
use super::{varint, QoS};

/// The property identifiers of MQTT 5.0 §2.2.2.2, table 2-4.
pub mod property_id {
    /// 0x01 Payload Format Indicator (byte; PUBLISH, Will).
    pub const PAYLOAD_FORMAT_INDICATOR: u8 = 0x01;
    /// 0x02 Message Expiry Interval (four-byte integer; PUBLISH, Will).
    pub const MESSAGE_EXPIRY_INTERVAL: u8 = 0x02;
    /// 0x03 Content Type (string; PUBLISH, Will).
    pub const CONTENT_TYPE: u8 = 0x03;
    /// 0x08 Response Topic (string; PUBLISH, Will).
    pub const RESPONSE_TOPIC: u8 = 0x08;
    /// 0x09 Correlation Data (binary; PUBLISH, Will).
    pub const CORRELATION_DATA: u8 = 0x09;
    /// 0x0B Subscription Identifier (variable byte integer; PUBLISH, SUBSCRIBE).
    pub const SUBSCRIPTION_IDENTIFIER: u8 = 0x0B;
    /// 0x11 Session Expiry Interval (four-byte integer; CONNECT, CONNACK, DISCONNECT).
    pub const SESSION_EXPIRY_INTERVAL: u8 = 0x11;
    /// 0x12 Assigned Client Identifier (string; CONNACK).
    pub const ASSIGNED_CLIENT_IDENTIFIER: u8 = 0x12;
    /// 0x13 Server Keep Alive (two-byte integer; CONNACK).
    pub const SERVER_KEEP_ALIVE: u8 = 0x13;
    /// 0x15 Authentication Method (string; CONNECT, CONNACK, AUTH).
    pub const AUTHENTICATION_METHOD: u8 = 0x15;
    /// 0x16 Authentication Data (binary; CONNECT, CONNACK, AUTH).
    pub const AUTHENTICATION_DATA: u8 = 0x16;
    /// 0x17 Request Problem Information (byte; CONNECT).
    pub const REQUEST_PROBLEM_INFORMATION: u8 = 0x17;
    /// 0x18 Will Delay Interval (four-byte integer; Will).
    pub const WILL_DELAY_INTERVAL: u8 = 0x18;
    /// 0x19 Request Response Information (byte; CONNECT).
    pub const REQUEST_RESPONSE_INFORMATION: u8 = 0x19;
    /// 0x1A Response Information (string; CONNACK).
    pub const RESPONSE_INFORMATION: u8 = 0x1A;
    /// 0x1C Server Reference (string; CONNACK, DISCONNECT).
    pub const SERVER_REFERENCE: u8 = 0x1C;
    /// 0x1F Reason String (string; CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH).
    pub const REASON_STRING: u8 = 0x1F;
    /// 0x21 Receive Maximum (two-byte integer; CONNECT, CONNACK).
    pub const RECEIVE_MAXIMUM: u8 = 0x21;
    /// 0x22 Topic Alias Maximum (two-byte integer; CONNECT, CONNACK).
    pub const TOPIC_ALIAS_MAXIMUM: u8 = 0x22;
    /// 0x23 Topic Alias (two-byte integer; PUBLISH).
    pub const TOPIC_ALIAS: u8 = 0x23;
    /// 0x24 Maximum QoS (byte; CONNACK).
    pub const MAXIMUM_QOS: u8 = 0x24;
    /// 0x25 Retain Available (byte; CONNACK).
    pub const RETAIN_AVAILABLE: u8 = 0x25;
    /// 0x26 User Property (string pair; every packet with properties, and the Will).
    pub const USER_PROPERTY: u8 = 0x26;
    /// 0x27 Maximum Packet Size (four-byte integer; CONNECT, CONNACK).
    pub const MAXIMUM_PACKET_SIZE: u8 = 0x27;
    /// 0x28 Wildcard Subscription Available (byte; CONNACK).
    pub const WILDCARD_SUBSCRIPTION_AVAILABLE: u8 = 0x28;
    /// 0x29 Subscription Identifier Available (byte; CONNACK).
    pub const SUBSCRIPTION_IDENTIFIER_AVAILABLE: u8 = 0x29;
    /// 0x2A Shared Subscription Available (byte; CONNACK).
    pub const SHARED_SUBSCRIPTION_AVAILABLE: u8 = 0x2A;
}

use property_id as id;

/// One MQTT 5.0 property (§2.2.2.2): one variant per property identifier.
///
/// The byte-valued properties that may only be 0 or 1 are `bool`; Maximum QoS is a [`QoS`]
/// (only 0 and 1 are allowed on the wire).
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Property<'a> {
    /// 0x01: 0 = unspecified bytes, 1 = UTF-8 payload.
    PayloadFormatIndicator(u8),
    /// 0x02: lifetime of the message in seconds.
    MessageExpiryInterval(u32),
    /// 0x03: MIME type of the payload.
    ContentType(&'a str),
    /// 0x08: topic name for a response message.
    ResponseTopic(&'a str),
    /// 0x09: correlation data of a request/response.
    CorrelationData(&'a [u8]),
    /// 0x0B: subscription identifier, 1 to 268,435,455.
    SubscriptionIdentifier(u32),
    /// 0x11: session expiry interval in seconds.
    SessionExpiryInterval(u32),
    /// 0x12: the client identifier the server assigned.
    AssignedClientIdentifier(&'a str),
    /// 0x13: the keep alive the server wants, in seconds.
    ServerKeepAlive(u16),
    /// 0x15: name of the authentication method.
    AuthenticationMethod(&'a str),
    /// 0x16: authentication data.
    AuthenticationData(&'a [u8]),
    /// 0x17: whether the server may send Reason String / User Properties on failures.
    RequestProblemInformation(bool),
    /// 0x18: delay before the Will is published, in seconds.
    WillDelayInterval(u32),
    /// 0x19: whether the client asks for Response Information in CONNACK.
    RequestResponseInformation(bool),
    /// 0x1A: basis for response topics.
    ResponseInformation(&'a str),
    /// 0x1C: another server to use.
    ServerReference(&'a str),
    /// 0x1F: human-readable diagnostic text.
    ReasonString(&'a str),
    /// 0x21: how many QoS 1/2 publications the sender accepts at once (not 0).
    ReceiveMaximum(u16),
    /// 0x22: highest topic alias the sender accepts.
    TopicAliasMaximum(u16),
    /// 0x23: topic alias (not 0).
    TopicAlias(u16),
    /// 0x24: highest QoS the server supports (0 or 1; absent means 2).
    MaximumQoS(QoS),
    /// 0x25: whether the server supports retained messages.
    RetainAvailable(bool),
    /// 0x26: a name/value pair; may repeat.
    UserProperty(&'a str, &'a str),
    /// 0x27: largest packet the sender accepts, in bytes (not 0).
    MaximumPacketSize(u32),
    /// 0x28: whether the server supports wildcard subscriptions.
    WildcardSubscriptionAvailable(bool),
    /// 0x29: whether the server supports subscription identifiers.
    SubscriptionIdentifierAvailable(bool),
    /// 0x2A: whether the server supports shared subscriptions.
    SharedSubscriptionAvailable(bool),
}

impl Property<'_> {
    /// The property identifier (see [`property_id`]).
    pub fn id(&self) -> u8 {
        match self {
            Self::PayloadFormatIndicator(_) => id::PAYLOAD_FORMAT_INDICATOR,
            Self::MessageExpiryInterval(_) => id::MESSAGE_EXPIRY_INTERVAL,
            Self::ContentType(_) => id::CONTENT_TYPE,
            Self::ResponseTopic(_) => id::RESPONSE_TOPIC,
            Self::CorrelationData(_) => id::CORRELATION_DATA,
            Self::SubscriptionIdentifier(_) => id::SUBSCRIPTION_IDENTIFIER,
            Self::SessionExpiryInterval(_) => id::SESSION_EXPIRY_INTERVAL,
            Self::AssignedClientIdentifier(_) => id::ASSIGNED_CLIENT_IDENTIFIER,
            Self::ServerKeepAlive(_) => id::SERVER_KEEP_ALIVE,
            Self::AuthenticationMethod(_) => id::AUTHENTICATION_METHOD,
            Self::AuthenticationData(_) => id::AUTHENTICATION_DATA,
            Self::RequestProblemInformation(_) => id::REQUEST_PROBLEM_INFORMATION,
            Self::WillDelayInterval(_) => id::WILL_DELAY_INTERVAL,
            Self::RequestResponseInformation(_) => id::REQUEST_RESPONSE_INFORMATION,
            Self::ResponseInformation(_) => id::RESPONSE_INFORMATION,
            Self::ServerReference(_) => id::SERVER_REFERENCE,
            Self::ReasonString(_) => id::REASON_STRING,
            Self::ReceiveMaximum(_) => id::RECEIVE_MAXIMUM,
            Self::TopicAliasMaximum(_) => id::TOPIC_ALIAS_MAXIMUM,
            Self::TopicAlias(_) => id::TOPIC_ALIAS,
            Self::MaximumQoS(_) => id::MAXIMUM_QOS,
            Self::RetainAvailable(_) => id::RETAIN_AVAILABLE,
            Self::UserProperty(..) => id::USER_PROPERTY,
            Self::MaximumPacketSize(_) => id::MAXIMUM_PACKET_SIZE,
            Self::WildcardSubscriptionAvailable(_) => id::WILDCARD_SUBSCRIPTION_AVAILABLE,
            Self::SubscriptionIdentifierAvailable(_) => id::SUBSCRIPTION_IDENTIFIER_AVAILABLE,
            Self::SharedSubscriptionAvailable(_) => id::SHARED_SUBSCRIPTION_AVAILABLE,
        }
    }

    /// False for the values the spec forbids (a Protocol Error on receipt).
    fn value_is_valid(&self) -> bool {
        match *self {
            Self::PayloadFormatIndicator(v) => v <= 1,
            Self::SubscriptionIdentifier(v) => v != 0 && v <= varint::MAX,
            Self::ReceiveMaximum(v) | Self::TopicAlias(v) => v != 0,
            Self::MaximumPacketSize(v) => v != 0,
            Self::MaximumQoS(q) => q != QoS::ExactlyOnce,
            // §3.3.2.3.5: the Response Topic is a topic name, so it may not hold wildcards.
            Self::ResponseTopic(t) => validate_topic_name(t).is_ok(),
            _ => true,
        }
    }

    /// Wire size: identifier byte (every identifier is below 128) plus the value.
    fn wire_len(&self) -> usize {
        1 + match *self {
            Self::PayloadFormatIndicator(_)
            | Self::RequestProblemInformation(_)
            | Self::RequestResponseInformation(_)
            | Self::MaximumQoS(_)
            | Self::RetainAvailable(_)
            | Self::WildcardSubscriptionAvailable(_)
            | Self::SubscriptionIdentifierAvailable(_)
            | Self::SharedSubscriptionAvailable(_) => 1,
            Self::ServerKeepAlive(_)
            | Self::ReceiveMaximum(_)
            | Self::TopicAliasMaximum(_)
            | Self::TopicAlias(_) => 2,
            Self::MessageExpiryInterval(_)
            | Self::SessionExpiryInterval(_)
            | Self::WillDelayInterval(_)
            | Self::MaximumPacketSize(_) => 4,
            Self::SubscriptionIdentifier(v) => varint::len(v as usize),
            Self::ContentType(s)
            | Self::ResponseTopic(s)
            | Self::AssignedClientIdentifier(s)
            | Self::AuthenticationMethod(s)
            | Self::ResponseInformation(s)
            | Self::ServerReference(s)
            | Self::ReasonString(s) => field_len(s.len()),
            Self::CorrelationData(b) | Self::AuthenticationData(b) => field_len(b.len()),
            Self::UserProperty(k, v) => field_len(k.len()).saturating_add(field_len(v.len())),
        }
    }

    fn emit(&self, w: &mut Writer<'_>) {
        w.u8(self.id());
        match *self {
            Self::PayloadFormatIndicator(v) => w.u8(v),
            Self::RequestProblemInformation(b)
            | Self::RequestResponseInformation(b)
            | Self::RetainAvailable(b)
            | Self::WildcardSubscriptionAvailable(b)
            | Self::SubscriptionIdentifierAvailable(b)
            | Self::SharedSubscriptionAvailable(b) => w.u8(u8::from(b)),
            Self::MaximumQoS(q) => w.u8(q as u8),
            Self::ServerKeepAlive(v)
            | Self::ReceiveMaximum(v)
            | Self::TopicAliasMaximum(v)
            | Self::TopicAlias(v) => w.u16(v),
            Self::MessageExpiryInterval(v)
            | Self::SessionExpiryInterval(v)
            | Self::WillDelayInterval(v)
            | Self::MaximumPacketSize(v) => w.u32(v),
            Self::SubscriptionIdentifier(v) => w.varint(v as usize),
            Self::ContentType(s)
            | Self::ResponseTopic(s)
            | Self::AssignedClientIdentifier(s)
            | Self::AuthenticationMethod(s)
            | Self::ResponseInformation(s)
            | Self::ServerReference(s)
            | Self::ReasonString(s) => w.string(s),
            Self::CorrelationData(b) | Self::AuthenticationData(b) => w.binary(b),
            Self::UserProperty(k, v) => {
                w.string(k);
                w.string(v)
            }
        }
    }
}

/// How a property's value is encoded (MQTT 5.0 §2.2.2.2, table 2-4).
#[derive(Clone, Copy)]
enum Kind {
    Byte,
    /// A byte that must be 0 or 1.
    Flag,
    Two,
    Four,
    Varint,
    Str,
    Bin,
    Pair,
}

/// The value encoding of property `pid`, `None` for an unknown identifier.
fn kind(pid: u8) -> Option<Kind> {
    use Kind::*;
    Some(match pid {
        id::PAYLOAD_FORMAT_INDICATOR | id::MAXIMUM_QOS => Byte,
        id::REQUEST_PROBLEM_INFORMATION
        | id::REQUEST_RESPONSE_INFORMATION
        | id::RETAIN_AVAILABLE
        | id::WILDCARD_SUBSCRIPTION_AVAILABLE
        | id::SUBSCRIPTION_IDENTIFIER_AVAILABLE
        | id::SHARED_SUBSCRIPTION_AVAILABLE => Flag,
        id::SERVER_KEEP_ALIVE | id::RECEIVE_MAXIMUM | id::TOPIC_ALIAS_MAXIMUM | id::TOPIC_ALIAS => {
            Two
        }
        id::MESSAGE_EXPIRY_INTERVAL
        | id::SESSION_EXPIRY_INTERVAL
        | id::WILL_DELAY_INTERVAL
        | id::MAXIMUM_PACKET_SIZE => Four,
        id::SUBSCRIPTION_IDENTIFIER => Varint,
        id::CONTENT_TYPE
        | id::RESPONSE_TOPIC
        | id::ASSIGNED_CLIENT_IDENTIFIER
        | id::AUTHENTICATION_METHOD
        | id::RESPONSE_INFORMATION
        | id::SERVER_REFERENCE
        | id::REASON_STRING => Str,
        id::CORRELATION_DATA | id::AUTHENTICATION_DATA => Bin,
        id::USER_PROPERTY => Pair,
        _ => return None,
    })
}

/// Reads one property from the front of `r`. Checks the identifier and the value's type and
/// range, not whether the packet may carry it.
///
/// Table-driven (size first): the value is read by its encoding (one read per kind, not one per
/// property), then the identifier picks the variant.
fn parse_one<'a>(r: &mut Reader<'a>) -> Result<Property<'a>, DecodeError> {
    let raw_id = r.varint()?;
    let unknown = DecodeError::UnknownProperty(raw_id);
    let pid = u8::try_from(raw_id).map_err(|_| unknown)?;
    let mut int = 0;
    let (mut text, mut value, mut bin): (&str, &str, &[u8]) = ("", "", &[]);
    match kind(pid).ok_or(unknown)? {
        Kind::Byte => int = u32::from(r.u8()?),
        Kind::Flag => {
            int = u32::from(r.u8()?);
            if int > 1 {
                return Err(DecodeError::PropertyValue(pid));
            }
        }
        Kind::Two => int = u32::from(r.u16()?),
        Kind::Four => int = r.u32()?,
        Kind::Varint => int = r.varint()?,
        Kind::Str => text = r.string()?,
        Kind::Bin => bin = r.binary()?,
        Kind::Pair => {
            text = r.string()?;
            value = r.string()?;
        }
    }
    // What `kind` vouched for: the narrowing casts below cannot lose bits.
    let (byte, two, flag) = (int as u8, int as u16, int != 0);
    let p = match pid {
        id::PAYLOAD_FORMAT_INDICATOR => Property::PayloadFormatIndicator(byte),
        id::MESSAGE_EXPIRY_INTERVAL => Property::MessageExpiryInterval(int),
        id::CONTENT_TYPE => Property::ContentType(text),
        id::RESPONSE_TOPIC => Property::ResponseTopic(text),
        id::CORRELATION_DATA => Property::CorrelationData(bin),
        id::SUBSCRIPTION_IDENTIFIER => Property::SubscriptionIdentifier(int),
        id::SESSION_EXPIRY_INTERVAL => Property::SessionExpiryInterval(int),
        id::ASSIGNED_CLIENT_IDENTIFIER => Property::AssignedClientIdentifier(text),
        id::SERVER_KEEP_ALIVE => Property::ServerKeepAlive(two),
        id::AUTHENTICATION_METHOD => Property::AuthenticationMethod(text),
        id::AUTHENTICATION_DATA => Property::AuthenticationData(bin),
        id::REQUEST_PROBLEM_INFORMATION => Property::RequestProblemInformation(flag),
        id::WILL_DELAY_INTERVAL => Property::WillDelayInterval(int),
        id::REQUEST_RESPONSE_INFORMATION => Property::RequestResponseInformation(flag),
        id::RESPONSE_INFORMATION => Property::ResponseInformation(text),
        id::SERVER_REFERENCE => Property::ServerReference(text),
        id::REASON_STRING => Property::ReasonString(text),
        id::RECEIVE_MAXIMUM => Property::ReceiveMaximum(two),
        id::TOPIC_ALIAS_MAXIMUM => Property::TopicAliasMaximum(two),
        id::TOPIC_ALIAS => Property::TopicAlias(two),
        id::MAXIMUM_QOS => Property::MaximumQoS(match byte {
            0 => QoS::AtMostOnce,
            1 => QoS::AtLeastOnce,
            _ => return Err(DecodeError::PropertyValue(pid)),
        }),
        id::RETAIN_AVAILABLE => Property::RetainAvailable(flag),
        id::USER_PROPERTY => Property::UserProperty(text, value),
        id::MAXIMUM_PACKET_SIZE => Property::MaximumPacketSize(int),
        id::WILDCARD_SUBSCRIPTION_AVAILABLE => Property::WildcardSubscriptionAvailable(flag),
        id::SUBSCRIPTION_IDENTIFIER_AVAILABLE => Property::SubscriptionIdentifierAvailable(flag),
        id::SHARED_SUBSCRIPTION_AVAILABLE => Property::SharedSubscriptionAvailable(flag),
        _ => return Err(unknown),
    };
    if !p.value_is_valid() {
        return Err(DecodeError::PropertyValue(pid));
    }
    Ok(p)
}

/// Which property section is being read or written: the set of allowed properties differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    Connect,
    Will,
    Connack,
    Publish,
    Puback,
    Pubrec,
    Pubrel,
    Pubcomp,
    Subscribe,
    Suback,
    Unsubscribe,
    Unsuback,
    Disconnect,
    Auth,
}

pub(crate) const fn bit(c: Context) -> u16 {
    1 << c as u16
}

/// The packets (and Will) that may carry property `pid`, from MQTT 5.0 §2.2.2.2, table 2-4.
pub(crate) const fn allowed_in(pid: u8) -> u16 {
    use Context::*;
    match pid {
        id::PAYLOAD_FORMAT_INDICATOR
        | id::MESSAGE_EXPIRY_INTERVAL
        | id::CONTENT_TYPE
        | id::RESPONSE_TOPIC
        | id::CORRELATION_DATA => bit(Publish) | bit(Will),
        id::SUBSCRIPTION_IDENTIFIER => bit(Publish) | bit(Subscribe),
        id::SESSION_EXPIRY_INTERVAL => bit(Connect) | bit(Connack) | bit(Disconnect),
        id::ASSIGNED_CLIENT_IDENTIFIER
        | id::SERVER_KEEP_ALIVE
        | id::RESPONSE_INFORMATION
        | id::MAXIMUM_QOS
        | id::RETAIN_AVAILABLE
        | id::WILDCARD_SUBSCRIPTION_AVAILABLE
        | id::SUBSCRIPTION_IDENTIFIER_AVAILABLE
        | id::SHARED_SUBSCRIPTION_AVAILABLE => bit(Connack),
        id::AUTHENTICATION_METHOD | id::AUTHENTICATION_DATA => {
            bit(Connect) | bit(Connack) | bit(Auth)
        }
        id::REQUEST_PROBLEM_INFORMATION | id::REQUEST_RESPONSE_INFORMATION => bit(Connect),
        id::WILL_DELAY_INTERVAL => bit(Will),
        id::SERVER_REFERENCE => bit(Connack) | bit(Disconnect),
        id::REASON_STRING => {
            bit(Connack)
                | bit(Puback)
                | bit(Pubrec)
                | bit(Pubrel)
                | bit(Pubcomp)
                | bit(Suback)
                | bit(Unsuback)
                | bit(Disconnect)
                | bit(Auth)
        }
        id::RECEIVE_MAXIMUM | id::TOPIC_ALIAS_MAXIMUM | id::MAXIMUM_PACKET_SIZE => {
            bit(Connect) | bit(Connack)
        }
        id::TOPIC_ALIAS => bit(Publish),
        id::USER_PROPERTY => u16::MAX,
        _ => 0,
    }
}

/// User Property may always repeat (§2.2.2.2); Subscription Identifier may repeat in a PUBLISH
/// that matched several subscriptions (§3.3.2.3.8) but not in SUBSCRIBE (§3.8.2.1.2). Every other
/// property is a Protocol Error when given more than once.
pub(crate) fn may_repeat(pid: u8, ctx: Context) -> bool {
    pid == id::USER_PROPERTY || (pid == id::SUBSCRIPTION_IDENTIFIER && ctx == Context::Publish)
}

/// Why a property set breaks the per-packet rules; converted into the decode or encode error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Violation {
    NotAllowed(u8),
    Duplicate(u8),
    Value(u8),
    AuthDataWithoutMethod,
}

impl From<Violation> for DecodeError {
    fn from(v: Violation) -> Self {
        match v {
            Violation::NotAllowed(i) => Self::PropertyNotAllowed(i),
            Violation::Duplicate(i) => Self::DuplicateProperty(i),
            Violation::Value(i) => Self::PropertyValue(i),
            Violation::AuthDataWithoutMethod => Self::AuthDataWithoutMethod,
        }
    }
}

impl From<Violation> for EncodeError {
    fn from(v: Violation) -> Self {
        match v {
            Violation::NotAllowed(i) => Self::PropertyNotAllowed(i),
            Violation::Duplicate(i) => Self::DuplicateProperty(i),
            Violation::Value(i) => Self::PropertyValue(i),
            Violation::AuthDataWithoutMethod => Self::AuthDataWithoutMethod,
        }
    }
}

/// The rules that look at a whole property set: remembers the identifiers seen so far (all are
/// below 64, so one `u64` does, with no allocation).
struct Rules {
    ctx: Context,
    seen: u64,
}

impl Rules {
    fn new(ctx: Context) -> Self {
        Self { ctx, seen: 0 }
    }

    fn admit(&mut self, p: &Property<'_>) -> Result<(), Violation> {
        let pid = p.id();
        if allowed_in(pid) & bit(self.ctx) == 0 {
            return Err(Violation::NotAllowed(pid));
        }
        let mask = 1u64 << pid;
        if self.seen & mask != 0 && !may_repeat(pid, self.ctx) {
            return Err(Violation::Duplicate(pid));
        }
        if !p.value_is_valid() {
            return Err(Violation::Value(pid));
        }
        self.seen |= mask;
        Ok(())
    }

    fn finish(&self) -> Result<(), Violation> {
        let has = |pid: u8| self.seen & (1u64 << pid) != 0;
        if has(id::AUTHENTICATION_DATA) && !has(id::AUTHENTICATION_METHOD) {
            return Err(Violation::AuthDataWithoutMethod);
        }
        Ok(())
    }
}

/// A property section: validated bytes from the wire, or a list to encode.
///
/// Equality compares the properties, not the representation, so a decoded `Encoded` equals the
/// `List` it was encoded from.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy)]
pub enum Properties<'a> {
    /// The property bytes of a decoded packet (without the length prefix), already validated.
    Encoded(&'a [u8]),
    /// Properties to encode, in this order.
    List(&'a [Property<'a>]),
}

impl Default for Properties<'_> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl PartialEq for Properties<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Properties<'_> {}

macro_rules! getter {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $id:ident, $ty:ty) => {
        $(#[$doc])*
        pub fn $name(&self) -> Option<$ty> {
            match self.find(id::$id) {
                Some(Property::$variant(v)) => Some(v),
                _ => None,
            }
        }
    };
}

impl<'a> Properties<'a> {
    /// No properties.
    pub const EMPTY: Self = Self::Encoded(&[]);

    /// True when there are no properties.
    #[inline]
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Encoded(b) => b.is_empty(),
            Self::List(l) => l.is_empty(),
        }
    }

    /// The properties in wire order. For an `Encoded` view that does not decode (only possible
    /// if built by hand), iteration stops at the first bad property.
    pub fn iter(&self) -> Iter<'a> {
        Iter(match *self {
            Self::Encoded(b) => IterInner::Encoded(Reader::new(b)),
            Self::List(l) => IterInner::List(l.iter()),
        })
    }

    /// Calls `f` with each property of a section this codec decoded, in wire order: the
    /// engine's one pass over a received section. A `List` (built by a caller, never received)
    /// gives nothing, so the pass carries no code for it.
    pub(crate) fn for_each_received(&self, mut f: impl FnMut(Property<'a>)) {
        if let Self::Encoded(b) = *self {
            let mut r = Reader::new(b);
            // Validated when parsed; a bad property ends the pass as it ends `iter`.
            while !r.is_empty() {
                let Ok(p) = parse_one(&mut r) else { break };
                f(p);
            }
        }
    }

    /// The first property with identifier `pid`: one loop for all the getters below, instead
    /// of one per getter.
    fn find(&self, pid: u8) -> Option<Property<'a>> {
        self.iter().find(|p| p.id() == pid)
    }

    /// The User Properties as (name, value) pairs, in order.
    pub fn user_properties(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.iter().filter_map(|p| match p {
            Property::UserProperty(k, v) => Some((k, v)),
            _ => None,
        })
    }

    /// The Subscription Identifiers (a PUBLISH may carry several).
    pub fn subscription_identifiers(&self) -> impl Iterator<Item = u32> + 'a {
        self.iter().filter_map(|p| match p {
            Property::SubscriptionIdentifier(v) => Some(v),
            _ => None,
        })
    }

    getter!(/// 0x01 Payload Format Indicator.
        payload_format_indicator, PayloadFormatIndicator, PAYLOAD_FORMAT_INDICATOR, u8);
    getter!(/// 0x02 Message Expiry Interval, seconds.
        message_expiry_interval, MessageExpiryInterval, MESSAGE_EXPIRY_INTERVAL, u32);
    getter!(/// 0x03 Content Type.
        content_type, ContentType, CONTENT_TYPE, &'a str);
    getter!(/// 0x08 Response Topic.
        response_topic, ResponseTopic, RESPONSE_TOPIC, &'a str);
    getter!(/// 0x09 Correlation Data.
        correlation_data, CorrelationData, CORRELATION_DATA, &'a [u8]);
    getter!(/// 0x0B Subscription Identifier (the first one).
        subscription_identifier, SubscriptionIdentifier, SUBSCRIPTION_IDENTIFIER, u32);
    getter!(/// 0x11 Session Expiry Interval, seconds.
        session_expiry_interval, SessionExpiryInterval, SESSION_EXPIRY_INTERVAL, u32);
    getter!(/// 0x12 Assigned Client Identifier.
        assigned_client_identifier, AssignedClientIdentifier, ASSIGNED_CLIENT_IDENTIFIER, &'a str);
    getter!(/// 0x13 Server Keep Alive, seconds.
        server_keep_alive, ServerKeepAlive, SERVER_KEEP_ALIVE, u16);
    getter!(/// 0x15 Authentication Method.
        authentication_method, AuthenticationMethod, AUTHENTICATION_METHOD, &'a str);
    getter!(/// 0x16 Authentication Data.
        authentication_data, AuthenticationData, AUTHENTICATION_DATA, &'a [u8]);
    getter!(/// 0x17 Request Problem Information.
        request_problem_information, RequestProblemInformation, REQUEST_PROBLEM_INFORMATION, bool);
    getter!(/// 0x18 Will Delay Interval, seconds.
        will_delay_interval, WillDelayInterval, WILL_DELAY_INTERVAL, u32);
    getter!(/// 0x19 Request Response Information.
        request_response_information, RequestResponseInformation, REQUEST_RESPONSE_INFORMATION, bool);
    getter!(/// 0x1A Response Information.
        response_information, ResponseInformation, RESPONSE_INFORMATION, &'a str);
    getter!(/// 0x1C Server Reference.
        server_reference, ServerReference, SERVER_REFERENCE, &'a str);
    getter!(/// 0x1F Reason String.
        reason_string, ReasonString, REASON_STRING, &'a str);
    getter!(/// 0x21 Receive Maximum.
        receive_maximum, ReceiveMaximum, RECEIVE_MAXIMUM, u16);
    getter!(/// 0x22 Topic Alias Maximum.
        topic_alias_maximum, TopicAliasMaximum, TOPIC_ALIAS_MAXIMUM, u16);
    getter!(/// 0x23 Topic Alias.
        topic_alias, TopicAlias, TOPIC_ALIAS, u16);
    getter!(/// 0x24 Maximum QoS (absent means QoS 2 is supported).
        maximum_qos, MaximumQoS, MAXIMUM_QOS, QoS);
    getter!(/// 0x25 Retain Available (absent means available).
        retain_available, RetainAvailable, RETAIN_AVAILABLE, bool);
    getter!(/// 0x27 Maximum Packet Size, bytes.
        maximum_packet_size, MaximumPacketSize, MAXIMUM_PACKET_SIZE, u32);
    getter!(/// 0x28 Wildcard Subscription Available (absent means available).
        wildcard_subscription_available, WildcardSubscriptionAvailable, WILDCARD_SUBSCRIPTION_AVAILABLE, bool);
    getter!(/// 0x29 Subscription Identifier Available (absent means available).
        subscription_identifier_available, SubscriptionIdentifierAvailable, SUBSCRIPTION_IDENTIFIER_AVAILABLE, bool);
    getter!(/// 0x2A Shared Subscription Available (absent means available).
        shared_subscription_available, SharedSubscriptionAvailable, SHARED_SUBSCRIPTION_AVAILABLE, bool);

    /// Reads a property section (length, then properties) and validates it for `ctx`.
    pub(crate) fn parse(r: &mut Reader<'a>, ctx: Context) -> Result<Self, DecodeError> {
        let len = r.varint()?;
        let bytes = r.take(len as usize)?;
        validate(bytes, ctx)?;
        Ok(Self::Encoded(bytes))
    }

    /// Size of the properties without the length prefix.
    fn content_len(&self) -> usize {
        match self {
            Self::Encoded(b) => b.len(),
            Self::List(l) => l.iter().fold(0usize, |n, p| n.saturating_add(p.wire_len())),
        }
    }

    /// Size of the property section on the wire: length prefix plus properties.
    #[inline]
    pub(crate) fn wire_len(&self) -> usize {
        // As in `emit`: the common empty section without a call (inlining the whole
        // computation at every caller cost 1.5 KB of Cortex-M3 flash).
        if self.is_empty() {
            1
        } else {
            self.section_len()
        }
    }

    fn section_len(&self) -> usize {
        let n = self.content_len();
        varint::len(n).saturating_add(n)
    }

    /// Validates the section for `ctx` and writes it (length prefix, then properties).
    #[inline]
    pub(crate) fn emit(&self, w: &mut Writer<'_>, ctx: Context) -> Result<(), EncodeError> {
        if self.is_empty() {
            // Most packets carry none, and an empty section breaks no rule: one byte, written
            // inline, instead of a call into the validation below.
            w.u8(0);
            return Ok(());
        }
        self.emit_section(w, ctx)
    }

    fn emit_section(&self, w: &mut Writer<'_>, ctx: Context) -> Result<(), EncodeError> {
        w.varint(self.content_len());
        match *self {
            Self::Encoded(b) => {
                validate(b, ctx).map_err(|e| match e {
                    DecodeError::PropertyNotAllowed(i) => EncodeError::PropertyNotAllowed(i),
                    DecodeError::DuplicateProperty(i) => EncodeError::DuplicateProperty(i),
                    DecodeError::PropertyValue(i) => EncodeError::PropertyValue(i),
                    DecodeError::AuthDataWithoutMethod => EncodeError::AuthDataWithoutMethod,
                    _ => EncodeError::InvalidEncoded,
                })?;
                w.bytes(b);
                Ok(())
            }
            Self::List(l) => {
                let mut rules = Rules::new(ctx);
                for p in l {
                    rules.admit(p)?;
                    check_strings(p)?;
                    p.emit(w);
                }
                Ok(rules.finish()?)
            }
        }
    }
}

/// String-typed values must meet the MQTT string rules; `Writer` checks them too, but checking
/// here first gives the error before anything of the property is written.
fn check_strings(p: &Property<'_>) -> Result<(), EncodeError> {
    match *p {
        Property::ContentType(s)
        | Property::ResponseTopic(s)
        | Property::AssignedClientIdentifier(s)
        | Property::AuthenticationMethod(s)
        | Property::ResponseInformation(s)
        | Property::ServerReference(s)
        | Property::ReasonString(s) => check_string(s),
        Property::UserProperty(k, v) => check_string(k).and_then(|()| check_string(v)),
        _ => Ok(()),
    }
}

/// Writes `props` into `out` as the property section of a PUBLISH (length prefix, then the
/// properties), checked against the PUBLISH rules; returns the bytes written. The engine keeps
/// a message's section this way in its store, so a resend needs no list (see `queue.rs`).
#[cfg(feature = "v5")]
pub(crate) fn emit_publish_section(
    props: &Properties<'_>,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    let mut w = Writer::new(out);
    props.emit(&mut w, Context::Publish)?;
    Ok(w.position())
}

/// Splits a property section written by [`emit_publish_section`] off the front of `bytes`:
/// the properties (without the length prefix) and what follows; `None` if it is cut short.
#[cfg(feature = "v5")]
pub(crate) fn split_section(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, n) = varint::parse(bytes).ok()?;
    let rest = bytes.get(n..)?;
    let len = usize::try_from(len).ok()?;
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Validates property bytes (without the length prefix) for `ctx`.
pub(crate) fn validate(bytes: &[u8], ctx: Context) -> Result<(), DecodeError> {
    let mut r = Reader::new(bytes);
    let mut rules = Rules::new(ctx);
    // Each iteration consumes at least one byte, so this loop is bounded by the input length.
    while !r.is_empty() {
        let p = parse_one(&mut r)?;
        rules.admit(&p)?;
    }
    Ok(rules.finish()?)
}

/// Iterator over [`Properties`].
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone)]
pub struct Iter<'a>(IterInner<'a>);

#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone)]
enum IterInner<'a> {
    Encoded(Reader<'a>),
    List(core::slice::Iter<'a, Property<'a>>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Property<'a>;

    fn next(&mut self) -> Option<Property<'a>> {
        match &mut self.0 {
            IterInner::Encoded(r) => {
                if r.is_empty() {
                    return None;
                }
                match parse_one(r) {
                    Ok(p) => Some(p),
                    Err(_) => {
                        r.rest();
                        None
                    }
                }
            }
            IterInner::List(it) => it.next().copied(),
        }
    }
}
