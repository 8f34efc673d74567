//! A [`Harness`] in the style of quinn-proto's `Pair`: the client, a scripted [`FakeBroker`]
//! built on the codec, and a fake clock. `step` moves bytes both ways and collects events;
//! `advance` moves time; `drive` steps until nothing moves; `drive_bounded` reports livelock.
#![cfg_attr(
    not(all(feature = "v5", feature = "qos2")),
    allow(unused_imports, dead_code)
)]

use std::string::{String, ToString};
use std::vec::Vec;

use crate::client::{Client, Config, Event, Message, PacketId, Publish, State};
use crate::codec::{
    self, AckRepr, ConnackRepr, Decoded, DisconnectRepr, Packet, Properties, Property,
    ProtocolVersion, PublishRepr, QoS, ReasonCode, SubackRepr, UnsubackRepr,
};
use crate::time::{Duration, Instant};

/// The client type the scenarios use: small capacities so limits are easy to reach.
pub type TestClient = Client<'static, 4, 4, 1024, 256, 8>;

/// An owned summary of a packet the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Connect {
        client_id: String,
        clean_start: bool,
        keep_alive: u16,
        username: Option<String>,
        password: Option<Vec<u8>>,
        will: Option<(String, Vec<u8>, QoS, bool)>,
        /// (session expiry, receive maximum, maximum packet size, topic alias maximum) for 5.0.
        props: (Option<u32>, Option<u16>, Option<u32>, Option<u16>),
    },
    Publish {
        id: Option<u16>,
        topic: String,
        payload: Vec<u8>,
        qos: QoS,
        dup: bool,
        retain: bool,
        alias: Option<u16>,
    },
    Puback(u16, u8),
    Pubrec(u16, u8),
    Pubrel(u16, u8),
    Pubcomp(u16, u8),
    Subscribe {
        id: u16,
        filters: Vec<(String, QoS)>,
    },
    Unsubscribe {
        id: u16,
        filters: Vec<String>,
    },
    Pingreq,
    Disconnect(u8),
    Other(String),
}

impl Sent {
    fn from_packet(p: &Packet<'_>) -> Sent {
        match p {
            Packet::Connect(c) => Sent::Connect {
                client_id: c.client_id.to_string(),
                clean_start: c.clean_start,
                keep_alive: c.keep_alive,
                username: c.username.map(|u| u.to_string()),
                password: c.password.map(|p| p.to_vec()),
                will: c
                    .will
                    .map(|w| (w.topic.to_string(), w.payload.to_vec(), w.qos, w.retain)),
                props: (
                    c.properties.session_expiry_interval(),
                    c.properties.receive_maximum(),
                    c.properties.maximum_packet_size(),
                    c.properties.topic_alias_maximum(),
                ),
            },
            Packet::Publish(p) => Sent::Publish {
                id: p.packet_id.map(|i| i.get()),
                topic: p.topic.to_string(),
                payload: p.payload.to_vec(),
                qos: p.qos,
                dup: p.dup,
                retain: p.retain,
                alias: p.properties.topic_alias(),
            },
            Packet::Puback(a) => Sent::Puback(a.packet_id.get(), a.reason.0),
            Packet::Pubrec(a) => Sent::Pubrec(a.packet_id.get(), a.reason.0),
            Packet::Pubrel(a) => Sent::Pubrel(a.packet_id.get(), a.reason.0),
            Packet::Pubcomp(a) => Sent::Pubcomp(a.packet_id.get(), a.reason.0),
            Packet::Subscribe(s) => Sent::Subscribe {
                id: s.packet_id.get(),
                filters: s
                    .subscriptions
                    .iter()
                    .map(|s| (s.filter.to_string(), s.options.qos))
                    .collect(),
            },
            Packet::Unsubscribe(u) => Sent::Unsubscribe {
                id: u.packet_id.get(),
                filters: u.filters.iter().map(|f| f.to_string()).collect(),
            },
            Packet::Pingreq => Sent::Pingreq,
            Packet::Disconnect(d) => Sent::Disconnect(d.reason.0),
            other => Sent::Other(std::format!("{other:?}")),
        }
    }
}

/// An owned copy of a delivered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    pub retain: bool,
}

impl From<&Message<'_>> for Got {
    fn from(m: &Message<'_>) -> Got {
        Got {
            topic: m.topic.to_string(),
            payload: m.payload.to_vec(),
            qos: m.qos,
            retain: m.retain,
        }
    }
}

/// What the fake broker answers on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Auto {
    /// Answer CONNECT with this CONNACK (code, session present); `None`: stay silent.
    pub connack: Option<(u8, bool)>,
    /// Acknowledge PUBLISH (PUBACK/PUBREC), PUBREL (PUBCOMP), SUBSCRIBE, UNSUBSCRIBE, PINGREQ.
    pub ack: bool,
}

/// A broker made of the codec and a script.
pub struct FakeBroker {
    pub version: ProtocolVersion,
    /// Bytes from the client not yet decoded.
    inbox: Vec<u8>,
    /// Every packet the client sent, in order.
    pub sent: Vec<Sent>,
    /// The bytes of every packet the client sent, in order.
    pub raw: Vec<Vec<u8>>,
    /// Bytes queued to the client.
    pub outbox: Vec<u8>,
    pub auto: Auto,
    /// CONNACK properties for 5.0 auto-CONNACK.
    pub connack_props: Vec<OwnedProp>,
}

/// CONNACK properties the fake broker can send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedProp {
    ReceiveMaximum(u16),
    MaximumPacketSize(u32),
    TopicAliasMaximum(u16),
    MaximumQos(QoS),
    ServerKeepAlive(u16),
    AssignedClientId(String),
    ReasonString(String),
    UserProperty(String, String),
}

impl OwnedProp {
    fn as_property(&self) -> Property<'_> {
        match self {
            OwnedProp::ReceiveMaximum(v) => Property::ReceiveMaximum(*v),
            OwnedProp::MaximumPacketSize(v) => Property::MaximumPacketSize(*v),
            OwnedProp::TopicAliasMaximum(v) => Property::TopicAliasMaximum(*v),
            OwnedProp::MaximumQos(q) => Property::MaximumQoS(*q),
            OwnedProp::ServerKeepAlive(v) => Property::ServerKeepAlive(*v),
            OwnedProp::AssignedClientId(s) => Property::AssignedClientIdentifier(s),
            OwnedProp::ReasonString(s) => Property::ReasonString(s),
            OwnedProp::UserProperty(k, v) => Property::UserProperty(k, v),
        }
    }
}

impl FakeBroker {
    fn new(version: ProtocolVersion) -> Self {
        FakeBroker {
            version,
            inbox: Vec::new(),
            sent: Vec::new(),
            raw: Vec::new(),
            outbox: Vec::new(),
            auto: Auto {
                connack: Some((0, false)),
                ack: true,
            },
            connack_props: Vec::new(),
        }
    }

    /// Queues a packet to the client.
    pub fn send(&mut self, p: Packet<'_>) {
        let mut buf = std::vec![0u8; p.buffer_len(self.version)];
        p.emit(self.version, &mut buf)
            .expect("fake broker packet encodes");
        self.outbox.extend_from_slice(&buf);
    }

    /// Queues raw bytes to the client (malformed packets).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.outbox.extend_from_slice(bytes);
    }

    pub fn connack(&mut self, code: u8, session_present: bool) {
        let list: Vec<Property<'_>> = self.connack_props.iter().map(|p| p.as_property()).collect();
        let props = if self.version == ProtocolVersion::V5 {
            Properties::List(&list)
        } else {
            Properties::EMPTY
        };
        let mut buf = Vec::new();
        let p = Packet::Connack(ConnackRepr {
            session_present,
            code,
            properties: props,
        });
        buf.resize(p.buffer_len(self.version), 0);
        p.emit(self.version, &mut buf).expect("connack encodes");
        self.outbox.extend_from_slice(&buf);
    }

    pub fn publish(&mut self, topic: &str, payload: &[u8], qos: QoS, id: Option<u16>, dup: bool) {
        self.send(Packet::Publish(PublishRepr {
            dup,
            qos,
            retain: false,
            topic: topic_name(topic),
            packet_id: id.and_then(crate::client::PacketId::new),
            properties: Properties::EMPTY,
            payload,
        }));
    }

    pub fn ack(&mut self, kind: fn(AckRepr<'static>) -> Packet<'static>, id: u16) {
        self.send(kind(AckRepr::new(
            crate::client::PacketId::new(id).unwrap(),
        )));
    }

    fn receive(&mut self, bytes: &[u8]) {
        self.inbox.extend_from_slice(bytes);
        loop {
            let decoded = codec::decode(&self.inbox, self.version, u32::MAX)
                .expect("client sent a valid packet");
            let Decoded::Packet { packet, len } = decoded else {
                break;
            };
            let sent = Sent::from_packet(&packet);
            self.sent.push(sent.clone());
            self.raw.push(self.inbox[..len].to_vec());
            self.inbox.drain(..len);
            self.respond(&sent);
        }
    }

    fn respond(&mut self, sent: &Sent) {
        let id = |n: &u16| crate::client::PacketId::new(*n).unwrap();
        match sent {
            Sent::Connect { .. } => {
                if let Some((code, sp)) = self.auto.connack {
                    self.connack(code, sp);
                }
            }
            _ if !self.auto.ack => {}
            Sent::Publish {
                id: Some(n),
                qos: QoS::AtLeastOnce,
                ..
            } => self.send(Packet::Puback(AckRepr::new(id(n)))),
            Sent::Publish {
                id: Some(n),
                qos: QoS::ExactlyOnce,
                ..
            } => self.send(Packet::Pubrec(AckRepr::new(id(n)))),
            Sent::Pubrel(n, _) => self.send(Packet::Pubcomp(AckRepr::new(id(n)))),
            Sent::Subscribe { id: n, filters } => {
                let codes: Vec<u8> = filters.iter().map(|f| f.1 as u8).collect();
                self.send(Packet::Suback(SubackRepr {
                    packet_id: id(n),
                    reason_codes: &codes,
                    properties: Properties::EMPTY,
                }))
            }
            Sent::Unsubscribe { id: n, filters } => {
                let codes: Vec<u8> = match self.version {
                    ProtocolVersion::V5 => std::vec![0; filters.len()],
                    ProtocolVersion::V3_1_1 => Vec::new(),
                };
                self.send(Packet::Unsuback(UnsubackRepr {
                    packet_id: id(n),
                    reason_codes: &codes,
                    properties: Properties::EMPTY,
                }))
            }
            Sent::Pingreq => self.send(Packet::Pingresp),
            _ => {}
        }
    }

    /// Takes the packets the client sent since the last call.
    pub fn take_sent(&mut self) -> Vec<Sent> {
        core::mem::take(&mut self.sent)
    }

    pub fn disconnect(&mut self, reason: ReasonCode) {
        self.send(Packet::Disconnect(DisconnectRepr {
            reason,
            properties: Properties::EMPTY,
        }));
    }
}

/// Client + fake broker + fake clock.
pub struct Harness {
    pub client: TestClient,
    pub broker: FakeBroker,
    pub now: Instant,
    pub events: Vec<Event>,
    pub messages: Vec<Got>,
    /// Properties of packets consumed (reason strings, user properties), as (reason string, user props).
    pub reason_strings: Vec<String>,
    pub user_properties: Vec<(String, String)>,
    /// Whether the "network" lets a link open when the client asks for one.
    pub network_up: bool,
    pub link_open: bool,
    /// Feed broker bytes one at a time (every scenario runs both ways).
    pub byte_by_byte: bool,
    /// How many links were opened.
    pub links_opened: usize,
}

impl Harness {
    pub fn new(config: Config<'static>) -> Harness {
        let version = config.protocol;
        Harness {
            client: Client::new(config).expect("valid config"),
            broker: FakeBroker::new(version),
            now: Instant::from_secs(1000),
            events: Vec::new(),
            messages: Vec::new(),
            reason_strings: Vec::new(),
            user_properties: Vec::new(),
            network_up: true,
            link_open: false,
            byte_by_byte: true,
            links_opened: 0,
        }
    }

    /// A harness with a client that is connected (CONNACK accepted) and whose first packets were taken.
    pub fn connected(config: Config<'static>) -> Harness {
        let mut h = Harness::new(config);
        h.client.connect(h.now);
        h.drive();
        assert!(
            h.client.is_connected(),
            "harness failed to connect: {:?}",
            h.events
        );
        h.broker.take_sent();
        h.events.clear();
        h
    }

    /// One round: timers, link, client output to the broker, broker output to the client, events.
    /// Returns whether anything moved.
    pub fn step(&mut self) -> bool {
        let mut moved = false;
        self.client.handle_timeout(self.now);
        if self.client.state() == State::Opening && !self.link_open {
            moved = true;
            if self.network_up {
                self.link_open = true;
                self.links_opened += 1;
                self.broker.inbox.clear();
                self.broker.outbox.clear();
                self.client.handle_link_up(self.now);
            } else {
                self.client.handle_closed(self.now);
            }
        }
        let mut tx = [0u8; 2048];
        while let Some(n) = self.client.poll_transmit(self.now, &mut tx) {
            moved = true;
            if self.link_open {
                self.broker.receive(&tx[..n]);
            }
        }
        self.collect_events();
        if !self.client.state().wants_link() && self.link_open {
            self.link_open = false;
            moved = true;
        }
        if self.link_open && !self.broker.outbox.is_empty() {
            moved = true;
            let bytes = core::mem::take(&mut self.broker.outbox);
            self.feed(&bytes);
        }
        moved
    }

    /// Hands `bytes` to the client, whole or one byte at a time.
    fn feed(&mut self, bytes: &[u8]) {
        let mut rx: Vec<u8> = Vec::new();
        let chunk = if self.byte_by_byte {
            1
        } else {
            bytes.len().max(1)
        };
        for piece in bytes.chunks(chunk) {
            rx.extend_from_slice(piece);
            loop {
                if !self.link_open {
                    return;
                }
                let input = self.client.handle_input(self.now, &rx);
                let consumed = input.consumed;
                if let Some(m) = &input.message {
                    self.messages.push(Got::from(m));
                }
                if let Some(r) = input.reason_string() {
                    self.reason_strings.push(r.to_string());
                }
                for (k, v) in input.properties.user_properties() {
                    self.user_properties.push((k.to_string(), v.to_string()));
                }
                if consumed == 0 {
                    break;
                }
                rx.drain(..consumed);
                // The documented call order: drain output after every input.
                let mut tx = [0u8; 2048];
                while let Some(n) = self.client.poll_transmit(self.now, &mut tx) {
                    if self.link_open {
                        self.broker.receive(&tx[..n]);
                    }
                }
                self.collect_events();
                if !self.client.state().wants_link() {
                    self.link_open = false;
                    return;
                }
            }
        }
    }

    fn collect_events(&mut self) {
        while let Some(e) = self.client.poll_event() {
            self.events.push(e);
        }
    }

    /// Steps until nothing moves (without advancing time).
    pub fn drive(&mut self) {
        assert!(!self.drive_bounded(1000), "client and broker never settled");
    }

    /// Steps at most `max` times; true if they were still moving (livelock).
    pub fn drive_bounded(&mut self, max: usize) -> bool {
        for _ in 0..max {
            if !self.step() {
                return false;
            }
        }
        true
    }

    /// Moves the clock forward by `d` and drives.
    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        self.drive();
    }

    /// Moves the clock to the client's next deadline and drives; returns the time waited.
    pub fn advance_to_timeout(&mut self) -> Duration {
        let at = self.client.poll_timeout().expect("client has a deadline");
        let waited = at - self.now;
        if at > self.now {
            self.now = at;
        }
        self.drive();
        waited
    }

    /// The transport dies under the client (no FIN seen by the broker).
    pub fn cut_link(&mut self) {
        self.link_open = false;
        self.client.handle_closed(self.now);
        self.drive();
    }

    /// Cuts the link and lets the client reconnect after its back-off, to a broker that
    /// answers CONNACK with `session_present`.
    /// `client.publish` at the harness's clock, for a message the test expects accepted.
    pub fn publish(&mut self, topic: &'static str, payload: &'static [u8], qos: QoS) -> PacketId {
        self.client
            .publish(self.now, &Publish::new(topic, payload, qos))
            .unwrap()
    }

    pub fn reconnect(&mut self, session_present: bool) {
        self.cut_link();
        self.broker.auto.connack = Some((0, session_present));
        self.advance_to_timeout();
    }
}

/// A topic name for a test PUBLISH: "" is the empty name of a PUBLISH with a Topic Alias.
pub fn topic_name(topic: &str) -> crate::codec::TopicName<'_> {
    if topic.is_empty() {
        crate::codec::TopicName::EMPTY
    } else {
        crate::codec::TopicName::new(topic).unwrap()
    }
}
