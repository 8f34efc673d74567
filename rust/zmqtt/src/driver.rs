//! The one I/O loop: runs a [`Client`] that other threads share through a [`Lock`], over a
//! [`Link`] opened by a [`Connector`], woken by a [`Waker`], delivering DL-7450-style callbacks
//! to a [`Handler`]. The Zephyr client thread (`zmqtt-zephyr`) and the host integration tests
//! run this same code; they differ only in the five small traits.
//!
//! The shape is quinn's `ConnectionDriver`: the engine sits behind one lock that API calls from
//! other threads take too (so `publish` runs the engine command and returns its mid at once),
//! then they [`wake`](Waker::wake) the loop. Each [`Driver::turn`] takes the lock **once** —
//! link news, timers, input, transmit, collecting events — and releases it for the socket I/O
//! and the callbacks, which may therefore call `publish`/`subscribe` themselves.
//!
//! ```text
//! loop {
//!     lock { link up/down, handle_timeout, handle_input…, poll_transmit, poll_event…,
//!            open/close?, poll_timeout }                    // Driver::turn, one lock
//!     send tx; on_message / on_properties / events; close or open the link
//!     wait for readable | woken | deadline; recv into rx   // Driver::wait, no lock
//! }
//! ```
//!
//! Received bytes wait in the receive buffer until the next turn feeds them to the engine. A
//! turn stops after the first packet whose callback borrows that buffer (a message, or MQTT 5.0
//! properties) and the next turn follows without waiting; a message whose topic was an MQTT 5.0
//! alias (stored in the engine) has its topic copied to the driver's topic buffer first, since
//! the callback runs with the lock released.

use core::cell::RefCell;
use core::fmt::Display;
use core::marker::PhantomData;
use core::ops::Range;

use crate::client::{Client, DisconnectReason, Event, Failure, Message, PacketId, State};
use crate::codec::{Properties, QoS, ReasonCode};
use crate::log;
use crate::time::{Duration, Instant};

/// Events one turn collects before it lets the callbacks run; more wait for the next turn.
const EVENTS_PER_TURN: usize = 8;

/// A monotonic clock in milliseconds.
pub trait Clock {
    /// The current time; never goes backwards.
    fn now(&self) -> Instant;
}

/// Mutual exclusion around the state the loop shares with API calls from other threads: a
/// Zephyr mutex on target, a `std::sync::Mutex` in host tests, a [`RefCell`] for one thread.
pub trait Lock<T> {
    /// Runs `f` with the state locked. `None`: there is no state (the Zephyr glue's client was
    /// dropped) or it cannot be had (a poisoned `std` mutex, a `RefCell` already borrowed).
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R>;
}

impl<T, L: Lock<T> + ?Sized> Lock<T> for &L {
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        (**self).with(f)
    }
}

/// One thread only: the driver and the application take turns on the same thread.
impl<T> Lock<T> for RefCell<T> {
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.try_borrow_mut().ok().map(|mut t| f(&mut t))
    }
}

/// An open, non-blocking byte stream to the broker (TCP or TLS).
pub trait Link {
    /// Why sending or receiving failed; logged, then the link is dropped and the engine told.
    type Error: Display;

    /// Writes all of `bytes`.
    fn send(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;

    /// Reads what has arrived without blocking: `Ok(None)` nothing yet (a partial TLS record),
    /// `Ok(Some(0))` end of stream.
    fn recv(&mut self, buf: &mut [u8]) -> Result<Option<usize>, Self::Error>;
}

/// Opens links to the broker; called again for every (re)connect attempt.
pub trait Connector {
    /// The link type.
    type Link: Link;
    /// Why opening failed (DNS, TCP refused, TLS handshake …); logged, then retried with back-off.
    type Error: Display;

    /// Opens a new link to the broker. Blocks for at most the connect timeout; the lock is not
    /// held meanwhile.
    fn connect(&mut self) -> Result<Self::Link, Self::Error>;
}

/// Why [`Waker::wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The link has bytes to read (or reached end of stream / failed: the next read says which).
    Readable,
    /// Another thread called [`Waker::wake`].
    Woken,
    /// The timeout passed.
    Timeout,
}

/// The loop's wake-up: API calls [`wake`](Self::wake) it after a command, and the loop
/// [`wait`](Self::wait)s on it together with the link.
pub trait Waker<L: Link> {
    /// Makes the loop's current or next [`wait`](Self::wait) return. Called from any thread.
    fn wake(&self);

    /// Blocks until `link` (if any) is readable, [`wake`](Self::wake) is called, or `timeout`
    /// passes (`None`: no timeout; zero: just look). An error means the link is dead.
    fn wait(&self, link: Option<&L>, timeout: Option<Duration>) -> Result<Wake, L::Error>;
}

impl<L: Link, W: Waker<L> + ?Sized> Waker<L> for &W {
    fn wake(&self) {
        (**self).wake()
    }

    fn wait(&self, link: Option<&L>, timeout: Option<Duration>) -> Result<Wake, L::Error> {
        (**self).wait(link, timeout)
    }
}

/// The application's callbacks, mirroring DL-7450's `mqtt` module. Every method has an empty
/// default. They run on the loop's thread with the lock released.
pub trait Handler {
    /// A CONNACK arrived: `rc` 0 accepted, else refused (`on_connect(rc)`).
    fn on_connect(&mut self, rc: u8, session_present: bool) {
        let _ = (rc, session_present);
    }
    /// A message arrived (`on_message(topic, payload)`; `msg.topic`, `msg.payload`).
    fn on_message(&mut self, msg: &Message<'_>) {
        let _ = msg;
    }
    /// A SUBACK arrived (`on_subscribe(mid, granted)`).
    fn on_subscribe(&mut self, mid: PacketId, granted: &[ReasonCode]) {
        let _ = (mid, granted);
    }
    /// An UNSUBACK arrived.
    fn on_unsubscribe(&mut self, mid: PacketId) {
        let _ = mid;
    }
    /// A message was delivered (`on_publish(mid)`): QoS 0 written, QoS 1 acked, QoS 2 completed.
    fn on_publish(&mut self, mid: PacketId) {
        let _ = mid;
    }
    /// A message `publish` accepted will never be delivered.
    fn on_publish_failed(&mut self, mid: PacketId, reason: Failure) {
        let _ = (mid, reason);
    }
    /// MQTT 5.0: the properties of a packet other than PUBLISH (CONNACK, PUBACK, SUBACK,
    /// DISCONNECT …), when it had any: reason string (`properties.reason_string()`) and user
    /// properties (`properties.user_properties()`). Called before the event the packet causes.
    fn on_properties(&mut self, properties: &Properties<'_>) {
        let _ = properties;
    }
    /// The connection ended; `reconnect_in` says when the next attempt starts, if any.
    fn on_disconnect(&mut self, reason: DisconnectReason, reconnect_in: Option<Duration>) {
        let _ = (reason, reconnect_in);
    }
}

/// What happened to the link since the engine last heard: told at the start of the next turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkNews {
    /// The connector opened a link (`handle_link_up`).
    Up,
    /// Opening failed, or the link died (`handle_closed`, once the bytes read before are fed).
    Down,
}

/// Where a message's topic is for its callback.
enum TopicAt {
    /// In the receive buffer.
    Rx(Range<usize>),
    /// Copied to the topic buffer (an MQTT 5.0 alias resolved by the engine), this long.
    Copied(usize),
}

/// A message taken under the lock, handed to `on_message` after it is released.
struct MessageAt {
    topic: TopicAt,
    payload: Range<usize>,
    properties: Range<usize>,
    qos: QoS,
    retain: bool,
    dup: bool,
    packet_id: Option<PacketId>,
}

/// A callback that borrows the receive buffer.
enum Pending {
    Message(MessageAt),
    /// MQTT 5.0 properties of a packet other than PUBLISH.
    Properties(Range<usize>),
}

/// What the locked half of a turn leaves for the unlocked half.
struct Plan {
    /// Bytes of `tx` to send.
    sent: usize,
    /// Bytes of `rx` the engine consumed; dropped after the callbacks.
    consumed: usize,
    pending: Option<Pending>,
    /// Events polled before the pending packet's are `events[..split]`.
    split: usize,
    events: heapless::Vec<Event, EVENTS_PER_TURN>,
    open: bool,
    close: bool,
    idle: bool,
    /// Work is left (events, input, maybe output): the next turn must not wait.
    more: bool,
    /// The engine has more events than `events` holds.
    events_left: bool,
    deadline: Option<Instant>,
}

/// The loop around a [`Client`] behind a [`Lock`]: owns the connector, the wake-up, the clock,
/// the open link and the buffers. A [`turn`](Self::turn), then a [`wait`](Self::wait), forever
/// ([`step`](Self::step) does both, waiting first).
///
/// `rx` must hold at least `max_incoming_packet` bytes and `tx` at least `max_outgoing_packet`
/// bytes of the client's config; `topic` holds the topic of a message sent with an MQTT 5.0
/// topic alias while its callback runs (a longer one is delivered with an empty topic).
pub struct Driver<
    'c,
    'b,
    L,
    C: Connector,
    W,
    K,
    const INFLIGHT: usize,
    const QUEUE: usize,
    const MSG_BYTES: usize,
    const TOPIC_BYTES: usize,
    const INCOMING_QOS2: usize = 32,
> {
    lock: L,
    io: Io<'b, C, W, K>,
    _client:
        PhantomData<fn(&mut Client<'c, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2>)>,
}

/// Everything of the driver but the lock, so a turn can hold the lock and use the rest.
struct Io<'b, C: Connector, W, K> {
    waker: W,
    clock: K,
    connector: C,
    link: Option<C::Link>,
    news: Option<LinkNews>,
    rx: &'b mut [u8],
    rx_len: usize,
    tx: &'b mut [u8],
    topic: &'b mut [u8],
    /// The last turn left work: the next wait only looks.
    more: bool,
    /// The engine's next deadline, as of the last turn.
    deadline: Option<Instant>,
}

impl<
        'c,
        'b,
        L: Lock<Client<'c, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2>>,
        C: Connector,
        W: Waker<C::Link>,
        K: Clock,
        const INFLIGHT: usize,
        const QUEUE: usize,
        const MSG_BYTES: usize,
        const TOPIC_BYTES: usize,
        const INCOMING_QOS2: usize,
    > Driver<'c, 'b, L, C, W, K, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2>
{
    /// A driver for the client behind `lock`. Nothing happens until the client's `connect` and
    /// the first [`turn`](Self::turn).
    pub fn new(
        lock: L,
        connector: C,
        waker: W,
        clock: K,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
        topic: &'b mut [u8],
    ) -> Self {
        Driver {
            lock,
            io: Io {
                waker,
                clock,
                connector,
                link: None,
                news: None,
                rx,
                rx_len: 0,
                tx,
                topic,
                // The first wait only looks.
                more: true,
                deadline: None,
            },
            _client: PhantomData,
        }
    }

    /// Runs a command or getter on the client under the lock, with the current time, then wakes
    /// the loop: what API calls do (from any thread that can reach the lock and the wake-up).
    /// `None` when the lock has no client (see [`Lock::with`]).
    pub fn with_client<R>(
        &self,
        f: impl FnOnce(
            &mut Client<'c, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2>,
            Instant,
        ) -> R,
    ) -> Option<R> {
        let now = self.io.clock.now();
        let r = self.lock.with(|c| f(c, now));
        self.io.waker.wake();
        r
    }

    /// The lock around the client.
    pub fn lock(&self) -> &L {
        &self.lock
    }

    /// The wake-up.
    pub fn waker(&self) -> &W {
        &self.io.waker
    }

    /// The current time of the driver's clock.
    pub fn now(&self) -> Instant {
        self.io.clock.now()
    }

    /// The open link, if any (for tests and diagnostics).
    pub fn link(&mut self) -> Option<&mut C::Link> {
        self.io.link.as_mut()
    }

    /// The connector (for settings and counters).
    pub fn connector(&mut self) -> &mut C {
        &mut self.io.connector
    }

    /// One turn of the loop, without blocking (except to open a link): under the lock, tell the
    /// engine what happened to the link, run its timers, feed it the received bytes, take what it
    /// has to send and its events; then, with the lock released, send, run the callbacks, and
    /// close or open the link. Returns true when the client is idle (`Idle`, no link, nothing
    /// left): the next [`wait`](Self::wait) then lasts until a wake-up.
    pub fn turn(&mut self, handler: &mut impl Handler) -> bool {
        let mut plan = Plan {
            sent: 0,
            consumed: 0,
            pending: None,
            split: 0,
            events: heapless::Vec::new(),
            open: false,
            close: false,
            idle: true,
            more: false,
            events_left: false,
            deadline: None,
        };
        let io = &mut self.io;
        if self
            .lock
            .with(|client| io.locked_turn(client, &mut plan))
            .is_none()
        {
            // No client (dropped): nothing may stay open.
            io.link = None;
            io.news = None;
            io.rx_len = 0;
            io.more = false;
            io.deadline = None;
            return true;
        }
        let events_left = plan.events_left;
        let mut idle = io.unlocked_turn(handler, plan);
        if events_left {
            // A burst of completions (a read full of PUBACKs) is delivered in this turn too, a
            // batch per lock: a message leaves the pool only once its event is polled.
            loop {
                let mut events = heapless::Vec::<Event, EVENTS_PER_TURN>::new();
                let drained = self.lock.with(|client| {
                    while !events.is_full() {
                        match client.poll_event() {
                            Some(e) => {
                                let _ = events.push(e);
                            }
                            None => return true,
                        }
                    }
                    false
                });
                for event in &events {
                    dispatch(handler, event);
                }
                if drained != Some(false) {
                    break;
                }
            }
            idle = false;
        }
        idle
    }

    /// Blocks until the deadline of the last turn, the link becoming readable, or a wake-up
    /// (only looks when the last turn left work), then reads what arrived. The bytes go to the
    /// engine in the next [`turn`](Self::turn).
    pub fn wait(&mut self) {
        self.io.wait();
    }

    /// A [`wait`](Self::wait), then a [`turn`](Self::turn): when it returns, the callbacks for
    /// what arrived have run, so a caller on the same thread can act on them before the next
    /// wait (the first wait only looks).
    pub fn step(&mut self, handler: &mut impl Handler) {
        self.wait();
        self.turn(handler);
    }

    /// Runs [`step`](Self::step)s until `done` returns true for the client, or it is idle with
    /// nothing left to do.
    pub fn run_until(
        &mut self,
        handler: &mut impl Handler,
        mut done: impl FnMut(
            &Client<'c, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2>,
        ) -> bool,
    ) {
        while !self.lock.with(|c| done(c)).unwrap_or(true) {
            if self.turn(handler) {
                return;
            }
            self.wait();
        }
    }
}

impl<C: Connector, W: Waker<C::Link>, K: Clock> Io<'_, C, W, K> {
    /// The locked half of a turn.
    fn locked_turn<
        const N: usize,
        const Q: usize,
        const B: usize,
        const T: usize,
        const I: usize,
    >(
        &mut self,
        client: &mut Client<'_, N, Q, B, T, I>,
        plan: &mut Plan,
    ) {
        let now = self.clock.now();
        if self.news == Some(LinkNews::Up) {
            self.news = None;
            client.handle_link_up(now);
        }
        client.handle_timeout(now);
        let fed = self.feed(client, now, plan);
        if self.news == Some(LinkNews::Down) && fed {
            // Every whole packet read before the link died has been handed over.
            self.news = None;
            self.rx_len = 0;
            plan.consumed = 0;
            client.handle_closed(now);
        }
        self.transmit(client, now, plan);
        self.collect(client, plan);
        let state = client.state();
        plan.open = state == State::Opening && self.link.is_none() && self.news.is_none();
        plan.close = self.link.is_some() && !state.wants_link();
        plan.idle = state == State::Idle;
        plan.more |= plan.sent > 0 || !fed || self.news.is_some();
        plan.deadline = client.poll_timeout();
    }

    /// Hands whole packets from `rx` to the engine until one needs a callback that borrows `rx`,
    /// draining the engine's output between packets. True when no whole packet is left.
    fn feed<const N: usize, const Q: usize, const B: usize, const T: usize, const I: usize>(
        &mut self,
        client: &mut Client<'_, N, Q, B, T, I>,
        now: Instant,
        plan: &mut Plan,
    ) -> bool {
        let mut drained = false;
        while plan.consumed < self.rx_len {
            if plan.pending.is_some() {
                return false;
            }
            let rx = &self.rx[..self.rx_len];
            let input = client.handle_input(now, &rx[plan.consumed..]);
            if input.consumed == 0 {
                // No whole packet yet, or the engine wants its output drained first: drain once
                // and retry, so a whole packet never waits for bytes that may not come.
                if drained {
                    return true;
                }
                drained = true;
                self.transmit(client, now, plan);
                if !self.collect(client, plan) {
                    return false;
                }
                continue;
            }
            drained = false;
            let pending = match &input.message {
                Some(m) => Some(Pending::Message(MessageAt {
                    topic: match range_in(rx, m.topic.as_bytes()) {
                        Some(r) => TopicAt::Rx(r),
                        None => TopicAt::Copied(copy_topic(self.topic, m.topic)),
                    },
                    payload: range_in(rx, m.payload).unwrap_or(0..0),
                    properties: properties_in(rx, &m.properties),
                    qos: m.qos,
                    retain: m.retain,
                    dup: m.dup,
                    packet_id: m.packet_id,
                })),
                None if !input.properties.is_empty() => {
                    Some(Pending::Properties(properties_in(rx, &input.properties)))
                }
                None => None,
            };
            plan.consumed += input.consumed;
            if pending.is_some() {
                // Events polled so far come before this packet's callback.
                plan.split = plan.events.len();
                plan.pending = pending;
            }
            self.transmit(client, now, plan);
            if !self.collect(client, plan) {
                return false;
            }
        }
        true
    }

    /// Appends what the engine has to send to `tx`.
    fn transmit<const N: usize, const Q: usize, const B: usize, const T: usize, const I: usize>(
        &mut self,
        client: &mut Client<'_, N, Q, B, T, I>,
        now: Instant,
        plan: &mut Plan,
    ) {
        if let Some(n) = client.poll_transmit(now, &mut self.tx[plan.sent..]) {
            plan.sent += n;
        }
    }

    /// Takes the engine's events; false (and `more`) when the turn has no room for all.
    fn collect<const N: usize, const Q: usize, const B: usize, const T: usize, const I: usize>(
        &mut self,
        client: &mut Client<'_, N, Q, B, T, I>,
        plan: &mut Plan,
    ) -> bool {
        while !plan.events.is_full() {
            match client.poll_event() {
                Some(e) => {
                    let _ = plan.events.push(e);
                }
                None => return true,
            }
        }
        plan.more = true;
        plan.events_left = true;
        false
    }

    /// The unlocked half of a turn: send, callbacks, close or open the link.
    fn unlocked_turn(&mut self, handler: &mut impl Handler, plan: Plan) -> bool {
        if plan.sent > 0 {
            if let Some(link) = self.link.as_mut() {
                if let Err(e) = link.send(&self.tx[..plan.sent]) {
                    log::warn!("link write failed"; e);
                    self.lose_link();
                }
            }
        }
        let (before, after) = plan.events.split_at(plan.split);
        for event in before {
            dispatch(handler, event);
        }
        match &plan.pending {
            Some(Pending::Message(m)) => {
                let topic = match &m.topic {
                    TopicAt::Rx(r) => &self.rx[r.clone()],
                    TopicAt::Copied(n) => &self.topic[..*n],
                };
                handler.on_message(&Message {
                    // The engine checked the topic's UTF-8 before handing it out.
                    topic: core::str::from_utf8(topic).unwrap_or(""),
                    payload: &self.rx[m.payload.clone()],
                    qos: m.qos,
                    retain: m.retain,
                    dup: m.dup,
                    packet_id: m.packet_id,
                    properties: Properties::Encoded(&self.rx[m.properties.clone()]),
                });
            }
            Some(Pending::Properties(r)) => {
                handler.on_properties(&Properties::Encoded(&self.rx[r.clone()]))
            }
            None => {}
        }
        for event in after {
            dispatch(handler, event);
        }
        let consumed = plan.consumed.min(self.rx_len);
        self.rx.copy_within(consumed..self.rx_len, 0);
        self.rx_len -= consumed;
        if plan.close {
            self.link = None;
            self.rx_len = 0;
        }
        let mut more = plan.more;
        if plan.open {
            match self.connector.connect() {
                Ok(link) => {
                    self.link = Some(link);
                    self.rx_len = 0;
                    self.news = Some(LinkNews::Up);
                }
                Err(e) => {
                    log::warn!("cannot open link to the broker"; e);
                    self.news = Some(LinkNews::Down);
                }
            }
        }
        more |= self.news.is_some();
        self.more = more;
        self.deadline = plan.deadline;
        plan.idle && self.link.is_none() && !more
    }

    fn wait(&mut self) {
        let timeout = if self.more {
            Some(Duration::ZERO)
        } else {
            let now = self.clock.now();
            self.deadline.map(|d| d.saturating_duration_since(now))
        };
        match self.waker.wait(self.link.as_ref(), timeout) {
            Ok(Wake::Readable) => self.receive(),
            Ok(Wake::Woken | Wake::Timeout) => {}
            Err(e) => {
                log::warn!("link failed while waiting"; e);
                self.lose_link();
            }
        }
    }

    /// Reads what arrived into `rx`.
    fn receive(&mut self) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if self.rx_len == self.rx.len() {
            if self.more {
                // The engine has not seen all of it yet.
                return;
            }
            log::error!("receive buffer full without a whole packet; dropping the link");
            self.lose_link();
            return;
        }
        match link.recv(&mut self.rx[self.rx_len..]) {
            Ok(None) => {}
            Ok(Some(0)) => {
                log::info!("broker closed the link");
                self.lose_link();
            }
            Ok(Some(n)) => self.rx_len += n,
            Err(e) => {
                log::warn!("link read failed"; e);
                self.lose_link();
            }
        }
    }

    /// Closes the link; the engine hears of it at the next turn, after the bytes already read.
    fn lose_link(&mut self) {
        self.link = None;
        self.news = Some(LinkNews::Down);
        self.more = true;
    }
}

/// Copies an aliased topic to `buf`; returns its length (0 when it does not fit).
fn copy_topic(buf: &mut [u8], topic: &str) -> usize {
    match buf.get_mut(..topic.len()) {
        Some(dst) => {
            dst.copy_from_slice(topic.as_bytes());
            topic.len()
        }
        None => {
            log::warn!("aliased topic longer than the topic buffer; delivered without it");
            0
        }
    }
}

/// Where `part` lies inside `whole`, if it does (an empty `part` lies anywhere).
fn range_in(whole: &[u8], part: &[u8]) -> Option<Range<usize>> {
    if part.is_empty() {
        return Some(0..0);
    }
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some(start..end)
}

/// Where decoded properties lie in `rx` (decoded properties always borrow the packet).
fn properties_in(rx: &[u8], properties: &Properties<'_>) -> Range<usize> {
    match properties {
        Properties::Encoded(bytes) => range_in(rx, bytes).unwrap_or(0..0),
        Properties::List(_) => 0..0,
    }
}

fn dispatch(handler: &mut impl Handler, event: &Event) {
    match event {
        Event::Connected {
            code,
            session_present,
        } => handler.on_connect(*code, *session_present),
        Event::Subscribed { packet_id, granted } => handler.on_subscribe(*packet_id, granted),
        Event::Unsubscribed { packet_id } => handler.on_unsubscribe(*packet_id),
        Event::Published { packet_id } => handler.on_publish(*packet_id),
        Event::PublishFailed { packet_id, reason } => {
            handler.on_publish_failed(*packet_id, *reason)
        }
        Event::Disconnected {
            reason,
            reconnect_in,
        } => handler.on_disconnect(*reason, *reconnect_in),
    }
}
