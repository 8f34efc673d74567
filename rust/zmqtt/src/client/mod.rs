//! The sans-IO MQTT client engine: sessions, QoS 0/1/2 both ways, keepalive, reconnect and the
//! offline queue, for MQTT 3.1.1 and 5.0 (MQTT 3.1.1 §3, §4; MQTT 5.0 §3, §4).
//!
//! [`Client`] owns no socket, clock or thread. Bytes from the broker go in through
//! [`Client::handle_input`], time through [`Client::handle_timeout`], and bytes to send come out of
//! [`Client::poll_transmit`]. The one I/O loop, [`crate::driver`], runs it behind a lock over a
//! link, for the Zephyr client thread and the host tests alike.

mod backoff;
mod config;
mod error;
mod event;
mod forbidden_chars;
mod inflight;
#[cfg(feature = "v5")]
mod outgoing_properties;
mod packet_id;
mod queue;
mod state;
mod store;
mod timer;
mod topics;

#[cfg(test)]
mod tests;

use heapless::Deque;

#[cfg(feature = "v5")]
use crate::codec::property_id as id;
use crate::codec::{
    self, packet_type, send, AckRepr, ConnackRepr, DisconnectRepr, Framed, MqttStr, Properties,
    Property, ProtocolVersion, PublishRepr, QoS, ReasonCode, SubackRepr, Subscription,
    SubscriptionOptions, TopicFilter, TopicName, UnsubackRepr,
};
use crate::log;
use crate::time::{Duration, Instant};

pub use config::{check_username, Config};
pub use error::{ConfigError, ProtocolError, PublishError, SubscribeError};
pub use event::{DisconnectReason, Event, Input, Message};
pub use packet_id::PacketId;
pub use queue::{Failure, STRIKES_TO_FAIL};
pub use state::State;

use backoff::Backoff;
use forbidden_chars::has_forbidden_char;
use inflight::{Ack, AckKind, IncomingQos2};
use packet_id::PacketIdAllocator;
use queue::{MessageQueue, Stage};
use timer::{Timer, TimerTable};
use topics::Topics;

/// The most topic filters one `subscribe` or `unsubscribe` call may carry.
pub const MAX_FILTERS: usize = 8;

/// Events waiting for `poll_event`. Each `handle_*` call or command adds at most two (CONNACK
/// refused: `Connected` then `Disconnected`); completions of messages and moot unsubscriptions are
/// not queued here but read from the pools when polled, so a burst of them needs no room.
const EVENT_CAPACITY: usize = 6;
/// Acknowledgements waiting for `poll_transmit`; one `handle_input` call adds at most one.
const ACK_CAPACITY: usize = 4;
/// Ticks of the retry clock per `Config::retry_interval` (see `Client::retry_tick`): a
/// packet goes again at most a quarter of the interval late, without a time per message.
#[cfg(feature = "retry")]
const RETRY_TICKS: u8 = 4;

/// RAM budget: the client's own state, without its two byte pools, stays within 1 KiB for a
/// typical configuration (8 in flight, 8 queued), on every target this crate is built for.
const _: () = assert!(
    core::mem::size_of::<Client<'static, 8, 8, 2048, 256>>() - 2048 - 256 <= 1024,
    "client state above 1 KiB"
);

/// A message to publish.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Publish<'a> {
    /// Topic name (no wildcards).
    pub topic: &'a str,
    /// Application payload.
    pub payload: &'a [u8],
    /// Delivery guarantee.
    pub qos: QoS,
    /// Ask the broker to retain the message.
    pub retain: bool,
    /// MQTT 5.0 properties (§3.3.2.3): Payload Format Indicator, Message Expiry Interval,
    /// Content Type, Response Topic, Correlation Data, User Properties. `publish` checks them
    /// and keeps them, encoded, with the message until it is delivered, so resends carry them.
    /// Only in a build with 5.0 (the `v5` feature).
    #[cfg(feature = "v5")]
    pub properties: Properties<'a>,
}

impl<'a> Publish<'a> {
    /// A message with `qos`, not retained, without properties.
    pub const fn new(topic: &'a str, payload: &'a [u8], qos: QoS) -> Self {
        Publish {
            topic,
            payload,
            qos,
            retain: false,
            #[cfg(feature = "v5")]
            properties: Properties::EMPTY,
        }
    }
}

/// What the broker allowed in its CONNACK (MQTT 5.0 §3.2.2.3); 3.1.1 brokers get the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerLimits {
    /// How many QoS 1/2 messages may be unacknowledged at once (Receive Maximum).
    pub receive_maximum: u16,
    /// The largest packet the broker accepts.
    pub maximum_packet_size: u32,
    /// The highest outgoing topic alias the broker accepts (0: none).
    pub topic_alias_maximum: u16,
    /// The highest QoS the broker supports.
    pub maximum_qos: QoS,
    /// Whether the broker supports retained messages.
    pub retain_available: bool,
}

impl BrokerLimits {
    const DEFAULT: BrokerLimits = BrokerLimits {
        receive_maximum: u16::MAX,
        maximum_packet_size: u32::MAX,
        topic_alias_maximum: 0,
        maximum_qos: QoS::ExactlyOnce,
        retain_available: true,
    };
}

/// The MQTT client state machine.
///
/// # Capacities
///
/// - `INFLIGHT`: outgoing QoS 1/2 messages unacknowledged at once; the broker's Receive Maximum
///   may lower it.
/// - `QUEUE`: messages that may wait beyond the in-flight ones (while disconnected, or while the
///   window is full). With 0 the build has no queue and a full window refuses publishes (-4).
/// - `MSG_BYTES`: the pool holding every accepted message until it is delivered (8 bytes plus
///   topic plus payload each).
/// - `TOPIC_BYTES`: the pool for subscriptions (restored after a session loss), MQTT 5.0 topic
///   aliases and a server-assigned client id (8 bytes plus the text each).
/// - `INCOMING_QOS2`: incoming QoS 2 messages delivered and awaiting PUBREL (4 bytes each),
///   announced to a 5.0 broker as this client's Receive Maximum. Size it at least as large as the
///   broker's in-flight window (mosquitto: 20, EMQX: 32), which 3.1.1 brokers apply whatever the
///   client can hold; beyond it the client must reconnect to get the excess again (see
///   [`ProtocolError::ReceiveMaximumExceeded`]).
///
/// # Method groups
///
/// - Getters (`&self`): [`state`](Self::state), [`is_connected`](Self::is_connected),
///   [`session_present`](Self::session_present), [`inflight_len`](Self::inflight_len),
///   [`queued_len`](Self::queued_len), [`broker_limits`](Self::broker_limits), [`config`](Self::config).
/// - Commands: [`connect`](Self::connect), [`publish`](Self::publish),
///   [`subscribe`](Self::subscribe), [`unsubscribe`](Self::unsubscribe),
///   [`disconnect`](Self::disconnect).
/// - Input: [`handle_link_up`](Self::handle_link_up), [`handle_input`](Self::handle_input),
///   [`handle_timeout`](Self::handle_timeout), [`handle_closed`](Self::handle_closed).
/// - Output: [`poll_transmit`](Self::poll_transmit), [`poll_event`](Self::poll_event),
///   [`poll_timeout`](Self::poll_timeout).
///
/// # Call order
///
/// After [`Client::new`] and [`connect`](Self::connect), and after **every** input or command:
///
/// 1. if [`state`](Self::state)`().wants_link()` changed, open the link and call
///    [`handle_link_up`](Self::handle_link_up) (or [`handle_closed`](Self::handle_closed) when
///    opening failed), or close it;
/// 2. call [`poll_transmit`](Self::poll_transmit) until it returns `None`, writing each chunk to
///    the link;
/// 3. call [`poll_event`](Self::poll_event) until it returns `None`;
/// 4. read [`poll_timeout`](Self::poll_timeout) and call [`handle_timeout`](Self::handle_timeout)
///    when it is reached (early or repeated calls are harmless).
///
/// Feed received bytes to [`handle_input`](Self::handle_input) and drop `consumed` bytes from the
/// front of the receive buffer, until it consumes nothing. `now` must never go backwards.
///
/// # Delivery
///
/// A message `publish` accepted is delivered or reported failed, never dropped silently: its
/// bytes stay in the pool, across lost connections, until a `Published` or `PublishFailed` event
/// for its id was polled.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
pub struct Client<
    'c,
    const INFLIGHT: usize = 8,
    const QUEUE: usize = 8,
    const MSG_BYTES: usize = 2048,
    const TOPIC_BYTES: usize = 256,
    const INCOMING_QOS2: usize = 32,
> {
    config: Config<'c>,
    state: State,
    /// Link-level reason to report once `Closing` has written its DISCONNECT.
    closing: Option<ReasonCode>,
    /// Where `Closing` goes next: `Some(at)` = reconnect at, `None` = Idle.
    after_close: Option<Instant>,
    timers: TimerTable,
    backoff: Backoff,
    ids: PacketIdAllocator,
    queue: MessageQueue<MSG_BYTES>,
    topics: Topics<TOPIC_BYTES>,
    incoming: IncomingQos2<INCOMING_QOS2>,
    acks: Deque<Ack, ACK_CAPACITY>,
    events: Deque<Event, EVENT_CAPACITY>,
    broker: BrokerLimits,
    session_present: bool,
    /// Keep alive in seconds in force: the configured one or the broker's Server Keep Alive.
    keep_alive: u16,
    send_connect: bool,
    send_ping: bool,
    /// A QoS 2 message was left unacknowledged for want of room (see `IncomingQos2`).
    qos2_skipped: bool,
    /// Delays of the reconnects that fetch skipped QoS 2 messages again (see `resync`).
    resync_backoff: Backoff,
    /// A message was delivered on the current connection.
    delivered_on_link: bool,
    last_tx: Instant,
    last_rx: Instant,
}

impl<
        'c,
        const INFLIGHT: usize,
        const QUEUE: usize,
        const MSG_BYTES: usize,
        const TOPIC_BYTES: usize,
        const INCOMING_QOS2: usize,
    > Client<'c, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2>
{
    /// A client that will connect with `config`; it stays `Idle` until [`connect`](Self::connect).
    pub fn new(config: Config<'c>) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self::new_unchecked(config))
    }

    /// [`new`](Self::new) without checking `config` (call [`Config::validate`] first): `const`,
    /// so the client and its pools can be built where they live — a static in `.bss`, or in
    /// place over an old client — rather than on the caller's stack and then moved.
    pub const fn new_unchecked(config: Config<'c>) -> Self {
        Client {
            config,
            state: State::Idle,
            closing: None,
            after_close: None,
            timers: TimerTable::new(),
            backoff: Backoff::new(),
            ids: PacketIdAllocator::new(),
            queue: MessageQueue::new(),
            topics: Topics::new(),
            incoming: IncomingQos2::new(),
            acks: Deque::new(),
            events: Deque::new(),
            broker: BrokerLimits::DEFAULT,
            session_present: false,
            keep_alive: config.keep_alive,
            send_connect: false,
            send_ping: false,
            qos2_skipped: false,
            resync_backoff: Backoff::new(),
            delivered_on_link: false,
            last_tx: Instant::ZERO,
            last_rx: Instant::ZERO,
        }
    }

    // ----- getters -----

    /// Where the client is in its life cycle.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether CONNACK accepted the current connection.
    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// Whether the broker kept the session (the last CONNACK's Session Present flag).
    pub fn session_present(&self) -> bool {
        self.session_present
    }

    /// Outgoing QoS 1/2 messages sent and not yet acknowledged.
    pub fn inflight_len(&self) -> usize {
        self.queue.count(|m| m.is_in_flight())
    }

    /// Accepted messages not yet sent (waiting for a connection or a free in-flight slot).
    pub fn queued_len(&self) -> usize {
        self.queue.count(|m| m.stage == Stage::Queued)
    }

    /// Incoming QoS 2 messages delivered and awaiting PUBREL.
    pub fn incoming_len(&self) -> usize {
        self.incoming.len()
    }

    /// Subscriptions remembered for restoring (acknowledged or not).
    pub fn subscription_len(&self) -> usize {
        self.topics.subscription_count()
    }

    /// Bytes of the message pool in use.
    pub fn message_bytes_used(&self) -> usize {
        self.queue.used()
    }

    /// The limits of the current (or last) broker.
    pub fn broker_limits(&self) -> &BrokerLimits {
        &self.broker
    }

    /// The configuration.
    pub fn config(&self) -> &Config<'c> {
        &self.config
    }

    /// The client identifier sent in CONNECT: the configured one, or the one a 5.0 broker assigned.
    pub fn client_id(&self) -> &str {
        match self.config.client_id {
            "" => self.topics.assigned_client_id().unwrap_or(""),
            id => id,
        }
    }

    fn version(&self) -> ProtocolVersion {
        // A constant 3.1.1 without the `v5` feature, so every 5.0 branch below is compiled out.
        self.config.protocol.in_build()
    }

    // ----- commands -----

    /// Replaces the configuration while the client is [`State::Idle`] (before
    /// [`connect`](Self::connect) or after [`disconnect`](Self::disconnect)), keeping the
    /// session: queued and in-flight messages, incoming QoS 2 ids and subscriptions. The
    /// Zephyr glue uses it so that messages published before `connect` are not lost when
    /// `connect` brings the rest of the options.
    pub fn set_config(&mut self, config: Config<'c>) -> Result<(), ConfigError> {
        if self.state != State::Idle {
            return Err(ConfigError::NotIdle);
        }
        config.validate()?;
        self.keep_alive = config.keep_alive;
        self.config = config;
        Ok(())
    }

    /// Replaces the user name and password in any state; the next CONNECT carries them. The
    /// Zephyr glue's credentials provider refreshes an expiring token (a SAS token, a JWT)
    /// this way before each (re)connect, while the client is `Opening` or `Waiting`.
    pub fn set_credentials(
        &mut self,
        username: Option<&'c str>,
        password: Option<&'c [u8]>,
    ) -> Result<(), ConfigError> {
        let config = self.config.credentials(username, password);
        config.validate()?;
        self.config = config;
        Ok(())
    }

    /// Reconnects at once (with the credentials in force now, see
    /// [`set_credentials`](Self::set_credentials)): a live connection or an attempt under way
    /// is ended (a live one cleanly, with DISCONNECT, so the will stays unpublished) and a new
    /// one opened without back-off; a client waiting for its next attempt, or stopped (after
    /// a refusal, or `disconnect`), starts one now. With `auto_reconnect` off too: this is
    /// the application asking, and only later losses leave the client idle.
    pub fn reconnect(&mut self, now: Instant) {
        match self.state {
            State::Connected | State::Connecting | State::Opening => {
                self.backoff.reset();
                let goodbye =
                    (self.state == State::Connected).then_some(ReasonCode::NORMAL_DISCONNECTION);
                self.lose_with(now, DisconnectReason::Reconnect, goodbye, true);
            }
            State::Idle | State::Waiting => self.connect(now),
            State::Closing => {}
        }
    }

    /// Starts connecting (and, with `auto_reconnect`, keeps reconnecting): the state becomes
    /// `Opening`, asking the driver for a link. Does nothing while already connecting or connected.
    pub fn connect(&mut self, now: Instant) {
        let _ = now;
        if matches!(self.state, State::Idle | State::Waiting) {
            self.timers.stop(Timer::Reconnect);
            self.backoff.reset();
            self.state = State::Opening;
        }
    }

    /// Ends the connection with a DISCONNECT (the broker then discards the will) and stops
    /// reconnecting. Queued and in-flight messages stay for the next `connect`.
    pub fn disconnect(&mut self, now: Instant) {
        match self.state {
            State::Idle => {}
            State::Connected => self.lose(
                now,
                DisconnectReason::Local,
                Some(ReasonCode::NORMAL_DISCONNECTION),
            ),
            State::Closing => self.after_close = None,
            _ => self.lose(now, DisconnectReason::Local, None),
        }
    }

    /// Accepts a message for delivery and returns its id (DL-7450's `mid`; the packet id for QoS
    /// 1 and 2). The message goes out with the next `poll_transmit` if connected and the
    /// in-flight window has room; otherwise it waits in order. Its `Published` or `PublishFailed`
    /// event comes later.
    pub fn publish(&mut self, now: Instant, msg: &Publish<'_>) -> Result<PacketId, PublishError> {
        let _ = now;
        #[cfg(not(feature = "qos2"))]
        if msg.qos == QoS::ExactlyOnce {
            return Err(PublishError::QosNotBuilt);
        }
        TopicName::new(msg.topic).map_err(PublishError::InvalidTopic)?;
        if has_forbidden_char(msg.topic) {
            return Err(PublishError::ForbiddenCharacter);
        }
        #[cfg(feature = "v5")]
        let properties = msg.properties;
        #[cfg(not(feature = "v5"))]
        let properties = Properties::EMPTY;
        #[cfg(feature = "v5")]
        if !properties.is_empty() {
            if self.version() != ProtocolVersion::V5 {
                return Err(PublishError::OptionForV5Only);
            }
            outgoing_properties::check(&properties, msg.payload)?;
        }
        // The size without a topic alias: `write_messages` sends without one when the alias
        // would push the packet over a limit.
        let v5 = self.version() == ProtocolVersion::V5;
        let section = if v5 { properties.wire_len() } else { 0 };
        let len = send::packet_len(send::publish_body_len(
            msg.topic.len(),
            msg.qos,
            section,
            msg.payload.len(),
        ));
        if len > self.config.max_outgoing_packet as usize {
            return Err(PublishError::PacketTooLarge);
        }
        if self.is_connected() {
            if len > self.broker.maximum_packet_size as usize {
                return Err(PublishError::PacketTooLarge);
            }
            if msg.qos > self.broker.maximum_qos {
                return Err(PublishError::QosNotSupported);
            }
        }
        let full = if QUEUE == 0 {
            PublishError::InflightFull
        } else {
            PublishError::QueueFull
        };
        if self.queue.count(|m| m.is_live()) >= INFLIGHT + QUEUE
            || !self
                .queue
                .has_room_for(MessageQueue::<MSG_BYTES>::footprint(
                    msg.topic,
                    &properties,
                    msg.payload,
                ))
        {
            return Err(full);
        }
        let id = self.allocate_id().ok_or(PublishError::NoPacketId)?;
        if !self
            .queue
            .push(id, msg.qos, msg.retain, msg.topic, &properties, msg.payload)
        {
            return Err(full);
        }
        log::trace!("publish mid {id} qos {:?} on {}", msg.qos, msg.topic);
        Ok(id)
    }

    /// Subscribes to up to [`MAX_FILTERS`] topic filters in one SUBSCRIBE and returns its packet
    /// id; the `Subscribed` event carries the granted QoS per filter. The filters are remembered
    /// and subscribed again whenever a broker comes back without the session.
    pub fn subscribe(
        &mut self,
        now: Instant,
        subscriptions: &[Subscription<'_>],
    ) -> Result<PacketId, SubscribeError> {
        let _ = now;
        if subscriptions.is_empty() {
            return Err(SubscribeError::NoFilters);
        }
        if subscriptions.len() > MAX_FILTERS {
            return Err(SubscribeError::TooManyFilters);
        }
        // The filters are `TopicFilter`s, checked when they were built.
        for s in subscriptions {
            #[cfg(not(feature = "qos2"))]
            if s.options.qos == QoS::ExactlyOnce {
                return Err(SubscribeError::QosNotBuilt);
            }
            if has_forbidden_char(s.filter.as_str()) {
                return Err(SubscribeError::ForbiddenCharacter);
            }
            if self.version() == ProtocolVersion::V3_1_1
                && s.options != SubscriptionOptions::qos(s.options.qos)
            {
                return Err(SubscribeError::OptionForV5Only);
            }
        }
        if !self.is_connected() {
            return Err(SubscribeError::NotConnected);
        }
        let v5 = self.version() == ProtocolVersion::V5;
        let entries = subscriptions.iter().map(|s| (s.filter.as_str(), 0));
        let len = send::packet_len(send::request_body_len(v5, true, entries));
        if len > self.outgoing_limit() {
            return Err(SubscribeError::PacketTooLarge);
        }
        let text: usize = subscriptions.iter().map(|s| s.filter.len()).sum();
        if !self.topics.has_room(subscriptions.len(), text) {
            return Err(SubscribeError::StoreFull);
        }
        let id = self.allocate_id().ok_or(SubscribeError::NoPacketId)?;
        for s in subscriptions {
            if !self
                .topics
                .add_subscription(id, s.filter.as_str(), options_byte(s.options), true)
            {
                // has_room said yes, so this is unreachable; undo rather than send half a request.
                self.topics.suback(id, &[]);
                return Err(SubscribeError::StoreFull);
            }
        }
        Ok(id)
    }

    /// Unsubscribes from up to [`MAX_FILTERS`] topic filters in one UNSUBSCRIBE and returns its
    /// packet id; the `Unsubscribed` event follows. The filters are forgotten at once, so they are
    /// not restored after a session loss.
    pub fn unsubscribe(
        &mut self,
        now: Instant,
        filters: &[&str],
    ) -> Result<PacketId, SubscribeError> {
        let _ = now;
        if filters.is_empty() {
            return Err(SubscribeError::NoFilters);
        }
        if filters.len() > MAX_FILTERS {
            return Err(SubscribeError::TooManyFilters);
        }
        let mut checked: heapless::Vec<TopicFilter<'_>, MAX_FILTERS> = heapless::Vec::new();
        for f in filters {
            let f = TopicFilter::new(f).map_err(SubscribeError::InvalidFilter)?;
            if has_forbidden_char(f.as_str()) {
                return Err(SubscribeError::ForbiddenCharacter);
            }
            // `filters.len() <= MAX_FILTERS` was checked above, so this never drops one.
            let _ = checked.push(f);
        }
        if !self.is_connected() {
            return Err(SubscribeError::NotConnected);
        }
        let v5 = self.version() == ProtocolVersion::V5;
        let entries = checked.iter().map(|f| (f.as_str(), 0));
        if send::packet_len(send::request_body_len(v5, false, entries)) > self.outgoing_limit() {
            return Err(SubscribeError::PacketTooLarge);
        }
        let text: usize = filters.iter().map(|f| f.len()).sum();
        if !self.topics.has_room(filters.len(), text) {
            return Err(SubscribeError::StoreFull);
        }
        let id = self.allocate_id().ok_or(SubscribeError::NoPacketId)?;
        for f in filters {
            if !self.topics.add_unsubscription(id, f, true) {
                self.topics.unsuback(id);
                return Err(SubscribeError::StoreFull);
            }
        }
        Ok(id)
    }

    fn outgoing_limit(&self) -> usize {
        (self.config.max_outgoing_packet as usize).min(self.broker.maximum_packet_size as usize)
    }

    fn allocate_id(&mut self) -> Option<PacketId> {
        let (queue, topics) = (&self.queue, &self.topics);
        self.ids
            .allocate(|id| queue.uses_id(id) || topics.uses_id(id))
    }

    // ----- input -----

    /// The driver opened a link (TCP, TLS …) to the broker: CONNECT goes out next.
    pub fn handle_link_up(&mut self, now: Instant) {
        if self.state != State::Opening {
            return;
        }
        self.state = State::Connecting;
        self.send_connect = true;
        self.acks.clear();
        // Only 5.0 connections make aliases: a build without `v5` has none to clear.
        if cfg!(feature = "v5") {
            self.topics.clear_aliases();
        }
        self.last_rx = now;
        self.last_tx = now;
        self.timers
            .set(Timer::Response, now + self.config.connect_timeout);
    }

    /// The link closed, failed, or could not be opened. Idempotent.
    pub fn handle_closed(&mut self, now: Instant) {
        match self.state {
            State::Opening | State::Connecting | State::Connected => {
                self.lose(now, DisconnectReason::TransportClosed, None)
            }
            State::Closing => self.finish_close(now),
            State::Idle | State::Waiting => {}
        }
    }

    /// Deadlines: the reconnect back-off, keepalive (PINGREQ), and overdue CONNACK or PINGRESP.
    /// Calls before a deadline, or repeated calls, do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timers.take_expired(Timer::Reconnect, now) && self.state == State::Waiting {
            log::debug!("reconnecting");
            self.state = State::Opening;
        }
        if self.timers.take_expired(Timer::Response, now) {
            match self.state {
                State::Connecting => self.lose(now, DisconnectReason::ConnectTimeout, None),
                State::Connected => self.lose(now, DisconnectReason::KeepaliveTimeout, None),
                _ => {}
            }
        }
        // `qos2_skipped` is set only by the QoS 2 code: without `qos2` the resync is compiled out.
        if cfg!(feature = "qos2")
            && self.state == State::Connected
            && self.qos2_skipped
            && self.timers.get(Timer::Keepalive).is_some_and(|t| t <= now)
        {
            // The broker never released the ids it holds us to: reconnect anyway.
            self.resync(now);
        }
        #[cfg(feature = "retry")]
        if self.timers.take_expired(Timer::Retry, now) && self.state == State::Connected {
            self.retry_tick(now);
        }
        if self.timers.take_expired(Timer::Keepalive, now) && self.state == State::Connected {
            log::debug!("keepalive: PINGREQ");
            self.send_ping = true;
            self.timers
                .set(Timer::Response, now + self.config.ping_timeout);
        }
    }

    /// Takes at most one packet from the front of `rx`. See [`Input`] for what comes back: drop
    /// `consumed` bytes, hand `message` to the application, and call again while it consumes.
    ///
    /// Never fails: a broker that breaks the protocol gets a DISCONNECT (5.0) and the link is
    /// dropped, reported as [`Event::Disconnected`] with [`DisconnectReason::Protocol`].
    pub fn handle_input<'a>(&'a mut self, now: Instant, rx: &'a [u8]) -> Input<'a> {
        if !matches!(self.state, State::Connecting | State::Connected) {
            // Bytes of a connection that is over, or before one began: nothing to do with them.
            return Input {
                consumed: rx.len(),
                ..Input::NOTHING
            };
        }
        if self.acks.is_full() || self.events.capacity() - self.events.len() < 2 {
            // The caller skipped `poll_transmit`/`poll_event`; take nothing until it drains them.
            return Input::NOTHING;
        }
        // Framing only: the body is parsed below by the parser of its one packet type, so the
        // receive path builds no `Packet` (and links no parser for packets a client never gets).
        let (first, body, len) =
            match codec::split_packet(rx, self.version(), self.config.max_incoming_packet) {
                Ok(Framed::Incomplete { .. }) => return Input::NOTHING,
                Ok(Framed::Whole { first, body, len }) => (first, body, len),
                Err(e) => {
                    self.protocol_error(now, ProtocolError::Decode(e));
                    return Input {
                        consumed: rx.len(),
                        ..Input::NOTHING
                    };
                }
            };
        // The trace decodes the packet a second time, generically: only debug builds have it.
        #[cfg(feature = "log-debug")]
        if ::log::log_enabled!(::log::Level::Trace) {
            if let Ok(codec::Decoded::Packet { packet, .. }) =
                codec::decode(&rx[..len], self.version(), u32::MAX)
            {
                log::trace!("rx {packet:?}");
            }
        }
        self.last_rx = now;
        // Only 5.0 packets carry properties (the decoder gives 3.1.1 ones none): saying so lets
        // a build without `v5` drop what callers do with them (the driver's `on_properties`).
        let only_v5 = |p: Properties<'a>| {
            if cfg!(feature = "v5") {
                p
            } else {
                Properties::EMPTY
            }
        };
        match self.handle_packet(now, first, body) {
            Ok(Delivery::None(properties)) => {
                let properties = only_v5(properties);
                self.schedule_keepalive();
                Input {
                    consumed: len,
                    message: None,
                    properties,
                }
            }
            Ok(Delivery::Message(publish, alias)) => {
                self.schedule_keepalive();
                let this: &'a Self = self;
                let topic = match alias {
                    // Aliases are 5.0 only: without `v5` the topic pool lookup is compiled out.
                    Some(a) if cfg!(feature = "v5") && publish.topic.is_empty() => {
                        this.topics.incoming_alias(a).unwrap_or("")
                    }
                    _ => publish.topic.as_str(),
                };
                let message = Message {
                    topic,
                    payload: publish.payload,
                    qos: publish.qos,
                    retain: publish.retain,
                    dup: publish.dup,
                    packet_id: publish.packet_id,
                    properties: only_v5(publish.properties),
                };
                Input {
                    consumed: len,
                    message: Some(message),
                    properties: only_v5(publish.properties),
                }
            }
            Err(e) => {
                self.protocol_error(now, e);
                Input {
                    consumed: rx.len(),
                    ..Input::NOTHING
                }
            }
        }
    }

    /// Parses and handles one packet whose fixed header `codec::split_packet` has checked, with
    /// the parser of its type. Before CONNACK anything else is refused unparsed (§3.2: the
    /// server's first packet must be CONNACK): one check here instead of one per arm.
    fn handle_packet<'p>(
        &mut self,
        now: Instant,
        first: u8,
        body: &'p [u8],
    ) -> Result<Delivery<'p>, ProtocolError> {
        use codec::packet_type as ty;
        use codec::Context;
        let version = self.version().in_build();
        let v5 = version == ProtocolVersion::V5;
        if first >> 4 != ty::CONNACK {
            self.expect_connected()?;
        }
        match first >> 4 {
            ty::CONNACK => {
                let c = ConnackRepr::parse(body, version)?;
                if self.state != State::Connecting {
                    return Err(ProtocolError::UnexpectedPacket);
                }
                self.handle_connack(now, c.session_present, c.code, c.properties)
            }
            ty::PUBLISH => {
                let p = PublishRepr::parse(first & 0x0f, body, version)?;
                self.handle_publish(p)
            }
            // PUBACK and the QoS 2 steps share one layout: one parser call for the four (a
            // build without `qos2` does not know the last three packet types).
            ty::PUBACK..=ty::PUBCOMP if cfg!(feature = "qos2") || first >> 4 == ty::PUBACK => {
                let kind = first >> 4;
                let ctx = match kind {
                    ty::PUBACK => Context::Puback,
                    ty::PUBREC => Context::Pubrec,
                    ty::PUBREL => Context::Pubrel,
                    _ => Context::Pubcomp,
                };
                let a = AckRepr::parse(ctx, body, version)?;
                self.handle_ack(kind, a, v5)?;
                Ok(Delivery::None(a.properties))
            }
            ty::SUBACK => {
                let s = SubackRepr::parse(body, version)?;
                match self.topics.suback(s.packet_id, s.reason_codes) {
                    Some(acked) if acked.filters != s.reason_codes.len() => {
                        return Err(ProtocolError::SubackMismatch)
                    }
                    Some(acked) if acked.report => {
                        let granted = s.reason_codes.iter().map(|&c| ReasonCode(c)).collect();
                        self.push_event(Event::Subscribed {
                            packet_id: s.packet_id,
                            granted,
                        });
                    }
                    Some(_) if s.reason_codes.iter().any(|&c| c >= 0x80) => {
                        log::error!("broker refused to restore a subscription");
                    }
                    Some(_) => {}
                    None => log::debug!("SUBACK for unknown id {}", s.packet_id),
                }
                Ok(Delivery::None(s.properties))
            }
            ty::UNSUBACK => {
                let u = UnsubackRepr::parse(body, version)?;
                match self.topics.unsuback(u.packet_id) {
                    Some(acked) if acked.report => self.push_event(Event::Unsubscribed {
                        packet_id: u.packet_id,
                    }),
                    Some(_) => {}
                    None => log::debug!("UNSUBACK for unknown id {}", u.packet_id),
                }
                Ok(Delivery::None(u.properties))
            }
            ty::PINGRESP => {
                if !body.is_empty() {
                    return Err(ProtocolError::Decode(codec::DecodeError::TrailingBytes));
                }
                Ok(Delivery::None(Properties::EMPTY))
            }
            ty::DISCONNECT => {
                let d = DisconnectRepr::parse(body, version)?;
                if !v5 {
                    // A 3.1.1 broker closes the connection; it never sends DISCONNECT.
                    return Err(ProtocolError::UnexpectedPacket);
                }
                self.lose(now, DisconnectReason::Peer(d.reason), None);
                Ok(Delivery::None(d.properties))
            }
            // A client never answers AUTH (it sends no Authentication Method); it is still
            // parsed, so that a malformed one is reported as malformed.
            #[cfg(feature = "v5")]
            ty::AUTH => {
                codec::AuthRepr::parse(body)?;
                Err(ProtocolError::UnexpectedPacket)
            }
            // Packets only a server receives: their fixed header is valid, but a broker must
            // not send them. No parser for them is linked into the client.
            ty::CONNECT | ty::SUBSCRIBE | ty::UNSUBSCRIBE | ty::PINGREQ => {
                Err(ProtocolError::UnexpectedPacket)
            }
            _ => Err(ProtocolError::Decode(codec::DecodeError::PacketType)),
        }
    }

    /// PUBACK, PUBREC, PUBREL or PUBCOMP (`kind`, the packet type), parsed.
    fn handle_ack(&mut self, kind: u8, a: AckRepr<'_>, v5: bool) -> Result<(), ProtocolError> {
        use codec::packet_type as ty;
        match kind {
            ty::PUBACK => match self.queue.find(a.packet_id) {
                Some((at, m)) if m.stage == Stage::AwaitAck && m.qos == QoS::AtLeastOnce => {
                    let stage = if v5 && a.reason.is_error() {
                        Stage::Failed(Failure::Rejected(a.reason))
                    } else {
                        Stage::Done
                    };
                    self.queue.set_stage(at, stage, false);
                }
                Some((_, m)) if m.is_in_flight() => return Err(ProtocolError::WrongAck),
                _ => log::debug!("PUBACK for unknown id {}", a.packet_id),
            },
            #[cfg(feature = "qos2")]
            ty::PUBREC => match self.queue.find(a.packet_id) {
                Some((at, m)) if m.stage == Stage::AwaitAck && m.qos == QoS::ExactlyOnce => {
                    if v5 && a.reason.is_error() {
                        // MQTT 5.0 §4.3.3: a failed PUBREC ends the exchange; no PUBREL.
                        self.queue
                            .set_stage(at, Stage::Failed(Failure::Rejected(a.reason)), false);
                    } else {
                        self.queue.set_stage(at, Stage::AwaitComp, true);
                    }
                }
                Some((at, m)) if m.stage == Stage::AwaitComp => {
                    self.queue.set_stage(at, Stage::AwaitComp, true)
                }
                Some((_, m)) if m.is_in_flight() => return Err(ProtocolError::WrongAck),
                _ => {
                    let reason = if v5 {
                        ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
                    } else {
                        ReasonCode::SUCCESS
                    };
                    self.push_ack(AckKind::Pubrel, a.packet_id, reason);
                }
            },
            #[cfg(feature = "qos2")]
            ty::PUBREL => {
                // A PUBREL for a released id closes a copy acknowledged above: no error.
                let known =
                    self.incoming.remove(a.packet_id) || self.incoming.was_released(a.packet_id);
                let reason = if known || !v5 {
                    ReasonCode::SUCCESS
                } else {
                    ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
                };
                self.push_ack(AckKind::Pubcomp, a.packet_id, reason);
            }
            #[cfg(feature = "qos2")]
            _ => match self.queue.find(a.packet_id) {
                Some((at, m)) if m.stage == Stage::AwaitComp => {
                    self.queue.set_stage(at, Stage::Done, false)
                }
                Some((_, m)) if m.is_in_flight() => return Err(ProtocolError::WrongAck),
                _ => log::debug!("PUBCOMP for unknown id {}", a.packet_id),
            },
            #[cfg(not(feature = "qos2"))]
            _ => {}
        }
        Ok(())
    }

    /// Checks that a packet other than CONNACK comes on an accepted connection; on one, any
    /// packet shows the link is alive, so an outstanding PINGRESP is no longer needed.
    fn expect_connected(&mut self) -> Result<(), ProtocolError> {
        if self.state == State::Connecting {
            return Err(ProtocolError::UnexpectedPacket);
        }
        if !self.send_ping {
            self.timers.stop(Timer::Response);
        }
        Ok(())
    }

    fn handle_connack<'p>(
        &mut self,
        now: Instant,
        session_present: bool,
        code: u8,
        props: Properties<'p>,
    ) -> Result<Delivery<'p>, ProtocolError> {
        self.timers.stop(Timer::Response);
        let v5 = self.version() == ProtocolVersion::V5;
        if code != 0 {
            if session_present {
                return Err(ProtocolError::BadConnack);
            }
            self.push_event(Event::Connected {
                code,
                session_present: false,
            });
            // 3.1.1 §3.2.2.3: 4 bad user name or password, 5 not authorised; 5.0: 0x86, 0x87.
            // Retrying cannot fix those, and would hammer the broker with bad credentials.
            let permanent = if v5 {
                code == 0x86 || code == 0x87
            } else {
                code == 4 || code == 5
            };
            self.lose_with(now, DisconnectReason::Refused(code), None, !permanent);
            return Ok(Delivery::None(Properties::EMPTY));
        }
        self.backoff.reset();
        self.session_present = session_present;
        self.broker = BrokerLimits::DEFAULT;
        self.keep_alive = self.config.keep_alive;
        if v5 {
            // One pass over the section (validated by the parser: no duplicates, values in
            // range) instead of one search per property; absent ones keep the defaults above.
            let (b, keep_alive, topics) =
                (&mut self.broker, &mut self.keep_alive, &mut self.topics);
            props.for_each_received(|p| {
                match p {
                    Property::ReceiveMaximum(n) => b.receive_maximum = n,
                    Property::MaximumPacketSize(n) => b.maximum_packet_size = n,
                    Property::TopicAliasMaximum(n) => b.topic_alias_maximum = n,
                    Property::MaximumQoS(q) => b.maximum_qos = q,
                    Property::RetainAvailable(r) => b.retain_available = r,
                    Property::ServerKeepAlive(ka) => *keep_alive = ka,
                    // Kept in the topic pool; the guard stores it, the arm reports no room.
                    Property::AssignedClientIdentifier(id)
                        if !topics.set_assigned_client_id(id) =>
                    {
                        log::error!(
                            "no room to keep the assigned client id; the session cannot be resumed"
                        );
                    }
                    _ => {}
                }
            });
        }
        log::info!("connected, session present %d", session_present);
        self.state = State::Connected;
        self.delivered_on_link = false;
        self.push_event(Event::Connected {
            code: 0,
            session_present,
        });
        self.resume_session(session_present);
        self.schedule_keepalive();
        Ok(Delivery::None(props))
    }

    /// Brings the outgoing state in line with the broker's session (MQTT 3.1.1 §4.4).
    fn resume_session(&mut self, session_present: bool) {
        if !session_present {
            // The broker forgot the QoS 2 ids it sent us, so it will not send PUBREL for them.
            self.incoming.clear();
        }
        let mut cur = self.queue.first();
        while let Some(at) = cur {
            let mut m = self.queue.meta(at);
            match m.stage {
                Stage::AwaitAck if session_present => m.pending = true,
                // New to a broker without the session: send as a first attempt (no DUP).
                Stage::AwaitAck => {
                    m.stage = Stage::Queued;
                    m.sent = false;
                    m.pending = false;
                }
                Stage::AwaitComp if session_present => m.pending = true,
                // PUBREC showed the broker had it. A broker that delivers on PUBLISH may have
                // delivered it, one that delivers on PUBREL (mosquitto) has lost it: no way to
                // tell. Sending it again could deliver it twice, which exactly-once forbids, so
                // the application is told (`SessionLost`) and decides.
                Stage::AwaitComp => {
                    self.queue
                        .set_stage(at, Stage::Failed(Failure::SessionLost), false);
                    cur = self.queue.next(at);
                    continue;
                }
                _ => {}
            }
            self.queue.set_meta(at, m);
            cur = self.queue.next(at);
        }
        let (queue, ids) = (&self.queue, &mut self.ids);
        self.topics.on_reconnect(session_present, |topics| {
            ids.allocate(|id| queue.uses_id(id) || topics.uses_id(id))
        });
    }

    #[inline(always)]
    fn handle_publish<'p>(&mut self, p: PublishRepr<'p>) -> Result<Delivery<'p>, ProtocolError> {
        // 3.1.1 PUBLISHes carry no properties (the decoder gives them none); saying so compiles
        // the alias code and the whole property parser out of builds without `v5`.
        let alias = if cfg!(feature = "v5") {
            p.properties.topic_alias()
        } else {
            None
        };
        if let Some(a) = alias {
            if a == 0 || a > self.config.topic_alias_maximum {
                return Err(ProtocolError::TopicAliasInvalid);
            }
            if p.topic.is_empty() {
                if self.topics.incoming_alias(a).is_none() {
                    return Err(ProtocolError::TopicAliasUnknown);
                }
            } else if !self.topics.set_incoming_alias(a, p.topic.as_str()) {
                return Err(ProtocolError::TopicAliasNoRoom);
            }
        }
        match (p.qos, p.packet_id) {
            (QoS::AtMostOnce, _) => {}
            (QoS::AtLeastOnce, Some(id)) => self.push_ack(AckKind::Puback, id, ReasonCode::SUCCESS),
            #[cfg(not(feature = "qos2"))]
            (QoS::ExactlyOnce, _) => return Err(ProtocolError::QosNotGranted),
            #[cfg(feature = "qos2")]
            (QoS::ExactlyOnce, Some(id)) => {
                if self.incoming.contains(id) {
                    // A copy of a message already delivered: acknowledge again, deliver not again.
                    // DUP is not consulted: while the session lasts the broker cannot reuse an id
                    // before our PUBCOMP, and mosquitto resends messages restored from its
                    // persistence file with DUP 0.
                    log::debug!("duplicate QoS 2 id {id} not delivered again");
                    self.push_ack(AckKind::Pubrec, id, ReasonCode::SUCCESS);
                    return Ok(Delivery::None(p.properties));
                }
                if self.incoming.was_released(id) {
                    if p.dup {
                        // A copy of a message already delivered and released (see
                        // `IncomingQos2`): acknowledge so that the broker moves on to its PUBREL,
                        // deliver not again. It takes no room in the table (a full table once
                        // left such a copy unanswered until its id aged out of the released
                        // list, and the next copy was delivered a second time), and its id
                        // becomes the most recently released: the broker may send it again.
                        log::debug!("copy of released QoS 2 id {id} not delivered again");
                        self.incoming.refresh_released(id);
                        self.push_ack(AckKind::Pubrec, id, ReasonCode::SUCCESS);
                        return Ok(Delivery::None(p.properties));
                    }
                    self.incoming.forget_released(id);
                }
                if self.qos2_skipped || !self.incoming.insert(id) {
                    // No room to remember the id, so no way to deliver exactly once: leave the
                    // message unacknowledged. The broker sends it again after a reconnect, which
                    // `poll_transmit` starts once the held ids are released (see `IncomingQos2`).
                    // Every later QoS 2 message waits too, or it would overtake this one.
                    log::warn!(
                        "QoS 2 id %u skipped: %u unreleased ids held",
                        id.get(),
                        self.incoming.len()
                    );
                    self.qos2_skipped = true;
                    return Ok(Delivery::None(p.properties));
                }
                self.push_ack(AckKind::Pubrec, id, ReasonCode::SUCCESS);
            }
            // The codec gives QoS 1/2 a packet id; a missing one would be a codec bug, not the broker's.
            _ => return Err(ProtocolError::UnexpectedPacket),
        }
        self.delivered_on_link = true;
        Ok(Delivery::Message(p, alias))
    }

    // ----- output -----

    /// Writes the next packets to send into `tx` and returns how many bytes, or `None` when there
    /// is nothing to send. `tx` should hold at least `max_outgoing_packet` bytes; call again until
    /// `None`.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, tx: &mut [u8]) -> Option<usize> {
        let mut w = Writer {
            v5: self.version() == ProtocolVersion::V5,
            tx,
            len: 0,
        };
        let state = self.state;
        match state {
            State::Connecting if self.send_connect && self.write_connect(&mut w) => {
                self.send_connect = false
            }
            State::Connected => self.write_connected(&mut w),
            State::Closing => {
                let reason = self.closing.unwrap_or_default();
                if w.put(|tx, v5| send::disconnect(tx, v5, reason)) != Put::NoRoom {
                    self.finish_close(now);
                }
            }
            _ => {}
        }
        if cfg!(feature = "qos2")
            && self.state == State::Connected
            && self.qos2_skipped
            && self.incoming.len() == 0
            && self.acks.is_empty()
        {
            self.resync(now);
        }
        if w.len == 0 {
            return None;
        }
        self.last_tx = now;
        self.schedule_keepalive();
        #[cfg(feature = "retry")]
        self.arm_retry(now);
        Some(w.len)
    }

    /// The period of the retry clock when it may run: `retry_interval / RETRY_TICKS` on a
    /// live MQTT 3.1.1 connection with the interval set (see `Config::retry_interval` for why
    /// not under 5.0).
    #[cfg(feature = "retry")]
    fn retry_period(&self) -> Option<Duration> {
        let interval = self.config.retry_interval;
        let on = self.version() == ProtocolVersion::V3_1_1
            && interval != Duration::ZERO
            && self.state == State::Connected;
        let millis = interval.total_millis() / u64::from(RETRY_TICKS);
        on.then(|| Duration::from_millis(millis.max(1)))
    }

    /// Starts the retry clock when a PUBLISH or PUBREL awaits its acknowledgement and the
    /// clock is not running.
    #[cfg(feature = "retry")]
    fn arm_retry(&mut self, now: Instant) {
        if self.timers.get(Timer::Retry).is_some() {
            return;
        }
        if let Some(period) = self.retry_period() {
            if self
                .queue
                .offsets()
                .any(|at| self.queue.meta(at).is_in_flight())
            {
                self.timers.set(Timer::Retry, now + period);
            }
        }
    }

    /// One tick of the retry clock. Every PUBLISH or PUBREL awaiting its acknowledgement
    /// ages by one tick, and one older than `RETRY_TICKS` ticks goes again (`pending`; the
    /// write resets its age). More than `RETRY_TICKS`, not as many: the first tick may come
    /// right after the write, so only then has a whole interval certainly passed.
    #[cfg(feature = "retry")]
    fn retry_tick(&mut self, now: Instant) {
        let mut cur = self.queue.first();
        while let Some(at) = cur {
            let mut m = self.queue.meta(at);
            if m.is_in_flight() && !m.pending {
                m.age += 1;
                if m.age > RETRY_TICKS {
                    log::debug!("no acknowledgement of {} in time: sending it again", m.id);
                    m.pending = true;
                }
                self.queue.set_meta(at, m);
            }
            cur = self.queue.next(at);
        }
        self.arm_retry(now);
    }

    fn write_connect(&mut self, w: &mut Writer<'_>) -> bool {
        let c = &self.config;
        // `Config::validate` has checked these; `new` checks again (a CONNECT is rare) rather
        // than trust that `validate` was called on this very config.
        let (Ok(client_id), Ok(username)) = (
            MqttStr::new(self.client_id()),
            c.username.map(MqttStr::new).transpose(),
        ) else {
            log::error!("client id or user name is not a valid MQTT string");
            return false;
        };
        // QoS 1 messages are acknowledged at once and hold nothing; QoS 2 ones hold a table slot
        // until PUBREL, so the table's size is what the broker may have unacknowledged.
        #[cfg(feature = "v5")]
        let receive_maximum = u16::try_from(INCOMING_QOS2).unwrap_or(u16::MAX).max(1);
        // Only properties that differ from the spec's defaults go on the wire.
        #[cfg(feature = "v5")]
        let properties = [
            (id::SESSION_EXPIRY_INTERVAL, c.effective_session_expiry()),
            (id::RECEIVE_MAXIMUM, u32::from(receive_maximum)),
            (id::MAXIMUM_PACKET_SIZE, c.max_incoming_packet),
            (id::TOPIC_ALIAS_MAXIMUM, u32::from(c.topic_alias_maximum)),
        ]
        .map(|(pid, value)| send::connect_property(pid, value));
        let connect = send::Connect {
            client_id,
            keep_alive: c.keep_alive,
            clean_start: c.clean_session,
            username,
            password: c.password,
            will: c.will.map(|will| send::Will {
                topic: will.topic,
                payload: will.payload,
                qos: will.qos,
                retain: will.retain,
                #[cfg(feature = "v5")]
                properties: will.properties,
            }),
            #[cfg(feature = "v5")]
            properties,
        };
        match w.put(|tx, v5| connect.write(tx, v5)) {
            Put::Done => {
                #[cfg(feature = "log-debug")]
                send::trace_connect(&connect, w.v5);
                true
            }
            Put::NoRoom => false,
            Put::Invalid => {
                // The config was validated, so this is a CONNECT larger than the buffer given.
                log::error!("CONNECT does not fit the transmit buffer");
                false
            }
        }
    }

    fn write_connected(&mut self, w: &mut Writer<'_>) {
        while let Some(ack) = self.acks.front().copied() {
            let kind = match ack.kind {
                AckKind::Puback => packet_type::PUBACK,
                AckKind::Pubrec => packet_type::PUBREC,
                AckKind::Pubrel => packet_type::PUBREL,
                AckKind::Pubcomp => packet_type::PUBCOMP,
            };
            if w.put(|tx, v5| send::ack(tx, v5, kind, ack.id, ack.reason)) == Put::NoRoom {
                return;
            }
            self.acks.pop_front();
        }
        if self.send_ping {
            if w.put(|tx, _| send::pingreq(tx)) == Put::NoRoom {
                return;
            }
            self.send_ping = false;
        }
        while let Some(req) = self.topics.next_pending() {
            // Stored by `subscribe`/`unsubscribe`, which took them as checked filters.
            let filters = || self.topics.request_filters(req.id, req.subscribe);
            let put = w.put(|tx, v5| send::request(tx, v5, req.subscribe, req.id, filters));
            // No room is "later": the driver also calls with what is left of its buffer after
            // earlier packets of the turn, so an empty writer does not mean an empty buffer.
            if put == Put::NoRoom {
                return;
            }
            if put != Put::Done {
                log::error!(
                    "request %u does not fit the transmit buffer; dropped",
                    req.id.get()
                );
            }
            self.topics.mark_sent(req.id);
        }
        self.write_messages(w);
    }

    fn write_messages(&mut self, w: &mut Writer<'_>) {
        let window = INFLIGHT.min(usize::from(self.broker.receive_maximum));
        let mut in_flight = self.queue.count(|m| m.is_in_flight());
        let v5 = self.version() == ProtocolVersion::V5;
        // A message the broker may have dropped the link over goes alone, so that the next close
        // (if any) is certainly its doing; the rest wait until it is acknowledged or given up.
        let suspect = self.queue.offsets().find(|&at| {
            let m = self.queue.meta(at);
            m.strikes > 0 && matches!(m.stage, Stage::Queued | Stage::AwaitAck)
        });
        // PUBRELs of older messages may go before it, nothing after it: a link cut in bytes
        // written after the suspect would count against it too.
        let mut past_suspect = false;
        let mut cur = self.queue.first();
        while let Some(at) = cur {
            let mut m = self.queue.meta(at);
            let fresh = m.stage == Stage::Queued;
            let held_back =
                suspect.is_some_and(|s| s != at) && (past_suspect || m.stage != Stage::AwaitComp);
            past_suspect |= suspect == Some(at);
            let wants = match m.stage {
                _ if held_back => false,
                Stage::Queued => m.qos == QoS::AtMostOnce || in_flight < window,
                Stage::AwaitAck | Stage::AwaitComp => m.pending,
                _ => false,
            };
            if !wants {
                cur = self.queue.next(at);
                continue;
            }
            #[cfg(feature = "qos2")]
            if m.stage == Stage::AwaitComp {
                let pubrel = |tx: &mut [u8], v5| {
                    send::ack(tx, v5, packet_type::PUBREL, m.id, ReasonCode::SUCCESS)
                };
                if w.put(pubrel) == Put::NoRoom {
                    return;
                }
                m.pending = false;
                #[cfg(feature = "retry")]
                {
                    m.age = 0;
                }
                self.queue.set_meta(at, m);
                cur = self.queue.next(at);
                continue;
            }
            if fresh && m.qos > self.broker.maximum_qos {
                self.queue
                    .set_stage(at, Stage::Failed(Failure::QosNotSupported), false);
                cur = self.queue.next(at);
                continue;
            }
            let (topic, stored, payload) = self.queue.parts(at);
            // The record keeps the section as it goes on the wire (`queue`), so it is copied
            // as it is: `publish` checked it (`outgoing_properties`) before it was stored.
            let stored = match stored {
                Properties::Encoded(bytes) => bytes,
                Properties::List(_) => &[],
            };
            // MQTT 5.0 §3.3.2.3.4: the first PUBLISH on a topic maps an alias, later ones send
            // only the alias. The mapping is recorded only once the packet was written. A
            // message with properties of its own goes without: they are one encoded section
            // in the store, which an alias could join only through a copy of them.
            let mut new_alias = None;
            let mut wire_topic = topic;
            let mut alias = None;
            if v5
                && stored.is_empty()
                && self.config.outgoing_topic_aliases
                && self.broker.topic_alias_maximum > 0
            {
                alias = self.topics.outgoing_alias(topic);
                if alias.is_some() {
                    wire_topic = "";
                } else {
                    new_alias = self
                        .topics
                        .peek_outgoing_alias(topic, self.broker.topic_alias_maximum);
                    alias = new_alias;
                }
            }
            #[cfg(feature = "v5")]
            let alias_property = send::topic_alias_property(alias.unwrap_or(1));
            let mut publish = send::Publish {
                dup: m.sent,
                qos: m.qos,
                retain: m.retain,
                // Checked by `publish` before it was queued ("" when an alias stands for it).
                topic: wire_topic,
                id: m.id,
                properties: match alias {
                    #[cfg(feature = "v5")]
                    Some(_) => &alias_property,
                    // Stored only by a 5.0 connection; a 3.1.1 one after it sends none.
                    _ => stored,
                },
                payload,
            };
            let limit = self.outgoing_limit();
            let mut body = publish.body_len(w.v5);
            if new_alias.is_some() && send::packet_len(body) > limit {
                // `publish` checked the size without an alias; the alias property (3 bytes)
                // must not be what pushes the message over a limit, so it goes without one.
                new_alias = None;
                publish.topic = topic;
                publish.properties = stored;
                body = publish.body_len(w.v5);
            }
            let len = send::packet_len(body);
            let fits = len <= limit;
            let put = if fits {
                w.put(|tx, v5| publish.write(tx, v5, body))
            } else {
                Put::Invalid
            };
            match put {
                // Later, in a buffer with room: the caller may have given only what is left of
                // its buffer (see `write_connected`). Too large for any buffer is `!fits`.
                Put::NoRoom => return,
                Put::Done => {
                    if let Some(a) = new_alias {
                        self.topics.commit_outgoing_alias(topic, a);
                    }
                    match m.qos {
                        QoS::AtMostOnce => self.queue.set_stage(at, Stage::Done, false),
                        _ => {
                            if fresh {
                                in_flight += 1;
                            }
                            m.stage = Stage::AwaitAck;
                            m.pending = false;
                            m.sent = true;
                            #[cfg(feature = "retry")]
                            {
                                m.age = 0;
                            }
                            self.queue.set_meta(at, m);
                        }
                    }
                }
                // Larger than the broker accepts, or than the whole transmit buffer
                // (`max_outgoing_packet`): it can never go out, so report it instead of blocking
                // the queue behind it.
                Put::Invalid => {
                    log::error!(
                        "message %u (%u bytes) cannot be sent: too large",
                        m.id.get(),
                        len
                    );
                    if m.is_in_flight() {
                        in_flight -= 1;
                    }
                    self.queue
                        .set_stage(at, Stage::Failed(Failure::TooLarge), false);
                }
            }
            cur = self.queue.next(at);
        }
    }

    /// The next event, or `None`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(e) = self.events.pop_front() {
            return Some(e);
        }
        if let Some((id, report)) = self.topics.take_moot() {
            if report {
                return Some(Event::Unsubscribed { packet_id: id });
            }
        }
        let at = self
            .queue
            .offsets()
            .find(|&at| matches!(self.queue.meta(at).stage, Stage::Done | Stage::Failed(_)))?;
        let m = self.queue.meta(at);
        self.queue.remove(at);
        Some(match m.stage {
            Stage::Failed(reason) => Event::PublishFailed {
                packet_id: m.id,
                reason,
            },
            _ => Event::Published { packet_id: m.id },
        })
    }

    /// The earliest deadline at which [`handle_timeout`](Self::handle_timeout) must be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    // ----- internals -----

    fn push_ack(&mut self, kind: AckKind, id: PacketId, reason: ReasonCode) {
        // `handle_input` checked for room before decoding, and adds at most one ack per packet.
        if self.acks.push_back(Ack { kind, id, reason }).is_err() {
            // MQTT packet types: PUBACK 4, PUBREC 5, PUBREL 6, PUBCOMP 7.
            log::error!(
                "ack queue full; packet type %d id %u dropped",
                kind.packet_type(),
                id.get()
            );
        }
    }

    fn push_event(&mut self, e: Event) {
        if self.events.push_back(e).is_err() {
            // Only reachable when the caller never polls events, against the documented call order.
            log::error!("event queue full; an event was dropped");
        }
    }

    fn schedule_keepalive(&mut self) {
        // While a PINGREQ is outstanding the Response timer runs instead (in `Connected` it is
        // only ever the PINGRESP deadline); the keepalive restarts with the next packet received.
        if self.state == State::Connected
            && self.keep_alive > 0
            && self.timers.get(Timer::Response).is_none()
        {
            let since = self.last_tx.min(self.last_rx);
            self.timers.set(
                Timer::Keepalive,
                since + Duration::from_secs(u64::from(self.keep_alive)),
            );
        }
    }

    /// Ends the connection cleanly (DISCONNECT 0, so the will stays unpublished) and reconnects,
    /// so that the broker sends the QoS 2 messages that were skipped again.
    ///
    /// A resync after a connection that delivered messages reconnects at once: the client is
    /// catching up with a backlog larger than its table, a table's worth per connection. (Waiting
    /// the 1 s of a lost link there let the backlog grow faster than it drained: a reconnect a
    /// second, for ever, before issue #16.) A connection that delivered nothing before the next
    /// resync waits `reconnect_min`, doubling up to `reconnect_max`, so no broker can make the
    /// client reconnect in a loop that goes nowhere.
    fn resync(&mut self, now: Instant) {
        if self.delivered_on_link {
            self.resync_backoff.reset();
        }
        log::info!("reconnecting to receive skipped QoS 2 messages");
        self.lose_with(
            now,
            DisconnectReason::Protocol(ProtocolError::ReceiveMaximumExceeded),
            Some(ReasonCode::NORMAL_DISCONNECTION),
            true,
        );
    }

    /// The broker closed a live connection: the oldest message it had not acknowledged, if it
    /// was sent on this connection, is the likeliest cause (brokers handle packets in order, so
    /// everything before it was taken). After [`STRIKES_TO_FAIL`] such closes in a row it is
    /// given up ([`Failure::BrokerDroppedLink`]); until then, `write_messages` sends it alone.
    fn strike_oldest_unacknowledged(&mut self) {
        let oldest = self.queue.offsets().find(|&at| {
            let m = self.queue.meta(at);
            m.stage == Stage::AwaitAck || m.stage == Stage::Queued && m.strikes > 0
        });
        let Some(at) = oldest else {
            return;
        };
        let mut m = self.queue.meta(at);
        // `pending` is cleared when the PUBLISH is written and set again by the next CONNACK.
        if m.stage != Stage::AwaitAck || m.pending {
            return;
        }
        m.strikes += 1;
        if m.strikes >= STRIKES_TO_FAIL {
            log::error!(
                "broker closed the link %u times after message %u: giving up on it",
                m.strikes,
                m.id.get()
            );
            self.queue
                .set_stage(at, Stage::Failed(Failure::BrokerDroppedLink), false);
        } else {
            self.queue.set_meta(at, m);
        }
    }

    fn protocol_error(&mut self, now: Instant, e: ProtocolError) {
        if e == ProtocolError::Decode(codec::DecodeError::PacketTooLarge) {
            // Not the broker's fault under 3.1.1, which cannot tell it our limit.
            log::error!(
                "incoming packet larger than the receive limit of %u bytes; dropping the link",
                self.config.max_incoming_packet
            );
        } else {
            log::error!(
                "broker broke the protocol, reason 0x%02x",
                e.reason_code().0
            );
            log::debug!("protocol error: {e}");
        }
        let disconnect = (self.version() == ProtocolVersion::V5 && self.state == State::Connected)
            .then(|| e.reason_code());
        self.lose(now, DisconnectReason::Protocol(e), disconnect);
    }

    fn lose(&mut self, now: Instant, reason: DisconnectReason, disconnect: Option<ReasonCode>) {
        let retry = !matches!(reason, DisconnectReason::Local);
        self.lose_with(now, reason, disconnect, retry);
    }

    /// Ends the connection: reports it, forgets per-connection state, and either schedules the
    /// next attempt or goes idle. With `disconnect` a DISCONNECT is written first (`Closing`).
    fn lose_with(
        &mut self,
        now: Instant,
        reason: DisconnectReason,
        disconnect: Option<ReasonCode>,
        retry: bool,
    ) {
        let was_connected = self.state == State::Connected;
        if was_connected
            && matches!(
                reason,
                DisconnectReason::TransportClosed | DisconnectReason::Peer(_)
            )
        {
            self.strike_oldest_unacknowledged();
        }
        let (min, max) = (self.config.reconnect_min, self.config.reconnect_max);
        // `reconnect()` promises a new connection: it is the application's request, not an
        // automatic reconnect, so `auto_reconnect` off does not leave the client idle.
        let requested = matches!(reason, DisconnectReason::Reconnect);
        let reconnect_in =
            (retry && (self.config.auto_reconnect || requested)).then(|| match reason {
                DisconnectReason::Reconnect => Duration::ZERO,
                DisconnectReason::Protocol(ProtocolError::ReceiveMaximumExceeded)
                    if self.delivered_on_link =>
                {
                    Duration::ZERO
                }
                DisconnectReason::Protocol(ProtocolError::ReceiveMaximumExceeded) => {
                    self.resync_backoff.next_delay(min, max)
                }
                _ => self.backoff.next_delay(min, max),
            });
        reason.log();
        self.push_event(Event::Disconnected {
            reason,
            reconnect_in,
        });
        self.acks.clear();
        self.send_connect = false;
        self.send_ping = false;
        self.qos2_skipped = false;
        self.timers.stop_all();
        // Only 5.0 connections make aliases: a build without `v5` has none to clear.
        if cfg!(feature = "v5") {
            self.topics.clear_aliases();
        }
        self.after_close = reconnect_in.map(|d| now + d);
        match disconnect {
            Some(rc) if was_connected => {
                self.closing = Some(rc);
                self.state = State::Closing;
            }
            _ => self.finish_close(now),
        }
    }

    fn finish_close(&mut self, _now: Instant) {
        self.closing = None;
        match self.after_close.take() {
            Some(at) => {
                self.timers.set(Timer::Reconnect, at);
                self.state = State::Waiting;
            }
            None => self.state = State::Idle,
        }
    }
}

/// What a packet gave the application.
enum Delivery<'p> {
    /// Nothing to deliver; the packet's properties.
    None(Properties<'p>),
    /// A message, and its topic alias (whose topic is in the topic pool when the PUBLISH had none).
    Message(PublishRepr<'p>, Option<u16>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Put {
    Done,
    NoRoom,
    Invalid,
}

/// Appends whole packets to the caller's transmit buffer.
struct Writer<'t> {
    /// The connection speaks MQTT 5.0 (a constant `false` in a build without `v5`).
    v5: bool,
    tx: &'t mut [u8],
    len: usize,
}

impl Writer<'_> {
    /// Appends the packet `write` (one of `codec::send`'s writers) puts into the rest of the
    /// buffer. Inlined, so each call site holds only the writer of the packet it sends.
    #[inline(always)]
    fn put(
        &mut self,
        write: impl FnOnce(&mut [u8], bool) -> Result<usize, codec::EncodeError>,
    ) -> Put {
        let written = match self.tx.get_mut(self.len..) {
            Some(rest) => write(rest, self.v5),
            None => Err(codec::EncodeError::BufferTooSmall { needed: self.len }),
        };
        self.record(written)
    }

    fn record(&mut self, written: Result<usize, codec::EncodeError>) -> Put {
        match written {
            Ok(n) => {
                #[cfg(feature = "log-debug")]
                self.trace(n);
                self.len += n;
                Put::Done
            }
            Err(codec::EncodeError::BufferTooSmall { .. }) => Put::NoRoom,
            Err(e) => {
                let _ = e;
                log::error!("cannot encode a packet");
                log::debug!("not encoded: {e}");
                Put::Invalid
            }
        }
    }

    /// The per-packet trace of debug builds: the packet just written, read back with the
    /// codec's decoder (no `Packet` is built to send it). SUBSCRIBE and UNSUBSCRIBE decode only
    /// with `broker`; without it their type and size are shown.
    #[cfg(feature = "log-debug")]
    fn trace(&self, n: usize) {
        let bytes = self.tx.get(self.len..self.len + n).unwrap_or_default();
        if bytes.first().map(|b| b >> 4) == Some(packet_type::CONNECT) {
            // Traced by `write_connect` (see `send::trace_connect`).
            return;
        }
        let version = if self.v5 {
            ProtocolVersion::V5
        } else {
            ProtocolVersion::V3_1_1
        };
        match codec::decode(bytes, version, u32::MAX) {
            Ok(codec::Decoded::Packet { packet, .. }) => log::trace!("tx {packet:?}"),
            _ => log::trace!(
                "tx type {} ({n} bytes)",
                bytes.first().map_or(0, |b| b >> 4)
            ),
        }
    }
}

/// The subscription options byte of MQTT 5.0 §3.8.3.1 (3.1.1 uses its QoS bits only).
fn options_byte(o: SubscriptionOptions) -> u8 {
    o.qos as u8
        | u8::from(o.no_local) << 2
        | u8::from(o.retain_as_published) << 3
        | (o.retain_handling as u8) << 4
}
