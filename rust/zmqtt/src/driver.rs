//! A blocking driver: runs a [`Client`] over an [`embedded_io`] link, a [`Clock`] and a
//! [`Handler`] of DL-7450-style callbacks.
//!
//! The engine stays sans-IO; this is the one loop that does I/O, written once for every
//! platform. The Zephyr glue supplies a [`Connector`] (DNS, TCP, TLS on Zephyr sockets), a
//! [`Clock`] (`k_uptime_get`) and a way to wake the loop from other threads; host tests supply
//! the same over `std::net` through `embedded-io-adapters`.
//!
//! ```text
//! loop {
//!     apply commands from other threads to driver.client()   // publish, subscribe, …
//!     driver.step(&mut handler);   // timers, link open/close, send, callbacks, wait, receive
//! }
//! ```
//!
//! [`Driver::step`] blocks at most until the client's next deadline, the link becoming readable,
//! or a wake-up ([`Link::wait`] / [`Connector::idle`] return early), so a command posted from
//! another thread takes effect at the next step.

use core::fmt::Debug;

use embedded_io::{Read, Write};

use crate::client::{Client, DisconnectReason, Event, Failure, Message, PacketId, State};
use crate::codec::{Properties, ReasonCode};
use crate::log;
use crate::time::{Duration, Instant};

/// A monotonic clock in milliseconds.
pub trait Clock {
    /// The current time; never goes backwards.
    fn now(&self) -> Instant;
}

/// Why [`Link::wait`] or [`Connector::idle`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The link has bytes to read (or reached end of stream / failed: the next read says which).
    Readable,
    /// Another thread asked the loop to run (a command is waiting).
    Woken,
    /// The deadline passed.
    Timeout,
}

/// An open byte stream to the broker (TCP or TLS).
pub trait Link: embedded_io::Read + embedded_io::Write {
    /// Blocks until the link is readable, another thread wakes the loop, or `deadline` passes
    /// (`None`: no deadline). An error means the link is dead.
    fn wait(&mut self, deadline: Option<Instant>) -> Result<Wake, Self::Error>;
}

/// Opens links to the broker; called again for every (re)connect attempt.
pub trait Connector {
    /// The link type.
    type Link: Link;
    /// Why opening failed (DNS, TCP refused, TLS handshake …); logged, then retried with back-off.
    type Error: Debug;

    /// Opens a new link to the broker. Blocks for at most the connect timeout.
    fn connect(&mut self) -> Result<Self::Link, Self::Error>;

    /// Blocks while no link is open (back-off, idle) until `deadline` (`None`: none) or a wake-up.
    fn idle(&mut self, deadline: Option<Instant>) -> Wake;
}

/// The application's callbacks, mirroring DL-7450's `mqtt` module. Every method has an empty
/// default.
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

/// The blocking loop around a [`Client`]: owns the client, the connector, the clock, the open
/// link and the receive and transmit buffers.
///
/// `rx` must hold at least `max_incoming_packet` bytes and `tx` at least `max_outgoing_packet`
/// bytes of the client's config.
pub struct Driver<
    'c,
    'b,
    C: Connector,
    K: Clock,
    const INFLIGHT: usize,
    const QUEUE: usize,
    const MSG_BYTES: usize,
    const TOPIC_BYTES: usize,
    const INCOMING_QOS2: usize = 32,
> {
    client: Client<'c, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2>,
    connector: C,
    clock: K,
    link: Option<C::Link>,
    rx: &'b mut [u8],
    rx_len: usize,
    tx: &'b mut [u8],
}

impl<
        'c,
        'b,
        C: Connector,
        K: Clock,
        const INFLIGHT: usize,
        const QUEUE: usize,
        const MSG_BYTES: usize,
        const TOPIC_BYTES: usize,
        const INCOMING_QOS2: usize,
    > Driver<'c, 'b, C, K, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2>
{
    /// A driver for `client`. Nothing happens until `client().connect(now)` and [`step`](Self::step).
    pub fn new(
        client: Client<'c, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2>,
        connector: C,
        clock: K,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Self {
        debug_assert!(
            rx.len() >= client.config().max_incoming_packet as usize,
            "rx smaller than max_incoming_packet"
        );
        debug_assert!(
            tx.len() >= client.config().max_outgoing_packet as usize,
            "tx smaller than max_outgoing_packet"
        );
        Driver {
            client,
            connector,
            clock,
            link: None,
            rx,
            rx_len: 0,
            tx,
        }
    }

    /// The client, for commands (`publish`, `subscribe`, `connect`, `disconnect` …) and getters.
    /// Pass [`now`](Self::now) as the time.
    pub fn client(
        &mut self,
    ) -> &mut Client<'c, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2> {
        &mut self.client
    }

    /// The current time of the driver's clock.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The open link, if any (for tests and diagnostics).
    pub fn link(&mut self) -> Option<&mut C::Link> {
        self.link.as_mut()
    }

    /// The connector (for the glue to reach its wake-up handle or settings).
    pub fn connector(&mut self) -> &mut C {
        &mut self.connector
    }

    /// Gives the client back (dropping any open link).
    pub fn into_client(self) -> Client<'c, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2> {
        self.client
    }

    /// One turn of the loop: timers, opening or closing the link, sending, callbacks, then
    /// waiting (until the next deadline, input or a wake-up) and feeding what arrived.
    pub fn step(&mut self, handler: &mut impl Handler) {
        let now = self.clock.now();
        self.client.handle_timeout(now);
        if self.client.state() == State::Opening && self.link.is_none() {
            match self.connector.connect() {
                Ok(link) => {
                    self.link = Some(link);
                    self.rx_len = 0;
                    self.client.handle_link_up(self.clock.now());
                }
                Err(e) => {
                    log::warn!("cannot open link to the broker: {e:?}");
                    self.client.handle_closed(self.clock.now());
                }
            }
        }
        self.pump(handler);
        let deadline = self.client.poll_timeout();
        let Some(link) = self.link.as_mut() else {
            if self.client.state() != State::Opening {
                self.connector.idle(deadline);
            }
            return;
        };
        match link.wait(deadline) {
            Ok(Wake::Readable) => self.receive(handler),
            Ok(Wake::Woken | Wake::Timeout) => {}
            Err(e) => {
                log::warn!("link failed while waiting: {e:?}");
                self.drop_link();
            }
        }
    }

    /// Runs [`step`](Self::step) until `done` returns true for the client, or the client is idle
    /// with nothing left to do.
    pub fn run_until(
        &mut self,
        handler: &mut impl Handler,
        mut done: impl FnMut(
            &Client<'c, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES, INCOMING_QOS2>,
        ) -> bool,
    ) {
        while !done(&self.client) {
            if self.client.state() == State::Idle && self.link.is_none() {
                self.pump(handler);
                return;
            }
            self.step(handler);
        }
    }

    fn receive(&mut self, handler: &mut impl Handler) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if self.rx_len == self.rx.len() {
            log::error!("receive buffer full without a whole packet; dropping the link");
            self.drop_link();
            return;
        }
        match link.read(&mut self.rx[self.rx_len..]) {
            Ok(0) => {
                log::info!("broker closed the link");
                self.drop_link();
            }
            Ok(n) => {
                self.rx_len += n;
                self.feed(handler);
            }
            Err(e) => {
                log::warn!("link read failed: {e:?}");
                self.drop_link();
            }
        }
        self.pump(handler);
    }

    /// Hands every whole packet in `rx` to the client, draining its output after each.
    fn feed(&mut self, handler: &mut impl Handler) {
        let mut drained = false;
        loop {
            let now = self.clock.now();
            let input = self.client.handle_input(now, &self.rx[..self.rx_len]);
            let consumed = input.consumed;
            if consumed == 0 {
                // Either no whole packet yet, or the client wants its output drained first (it
                // never should here, since we drain after every packet); drain once and retry so
                // a whole packet never waits for more bytes that may not come.
                if drained || self.rx_len == 0 {
                    return;
                }
                drained = true;
                self.pump(handler);
                continue;
            }
            drained = false;
            match &input.message {
                Some(msg) => handler.on_message(msg),
                None if !input.properties.is_empty() => handler.on_properties(&input.properties),
                None => {}
            }
            self.rx.copy_within(consumed..self.rx_len, 0);
            self.rx_len -= consumed;
            self.pump(handler);
            if self.link.is_none() {
                return;
            }
        }
    }

    /// Sends everything the client has, delivers its events, and closes the link when the
    /// client no longer wants one.
    fn pump(&mut self, handler: &mut impl Handler) {
        loop {
            let now = self.clock.now();
            let Some(n) = self.client.poll_transmit(now, self.tx) else {
                break;
            };
            let Some(link) = self.link.as_mut() else {
                continue;
            };
            if let Err(e) = link.write_all(&self.tx[..n]).and_then(|_| link.flush()) {
                log::warn!("link write failed: {e:?}");
                self.drop_link();
            }
        }
        while let Some(event) = self.client.poll_event() {
            dispatch(handler, &event);
        }
        if self.link.is_some() && !self.client.state().wants_link() {
            self.link = None;
            self.rx_len = 0;
        }
    }

    fn drop_link(&mut self) {
        self.link = None;
        self.rx_len = 0;
        self.client.handle_closed(self.clock.now());
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
