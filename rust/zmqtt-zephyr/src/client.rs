//! [`MqttClient`]: the DL-7450 SDK's `mqtt` API on Zephyr.
//!
//! The engine (`zmqtt::client::Client`) sits in a static behind a Zephyr mutex. API calls
//! from any thread take the mutex, run the engine command (which only copies the message
//! into the engine's store and allocates its id, so `publish` returns its mid at once),
//! release it and wake the client thread. The client thread owns the socket and the
//! buffers, and runs the one I/O loop: timers, opening the link, sending, callbacks,
//! waiting, receiving.
//!
//! Why not `zmqtt::driver::Driver`: the driver owns its client and blocks inside a step,
//! so other threads could only reach the engine through a command queue and `publish`
//! could not return its mid at once, as the DL-7450 API promises. Callbacks run on the
//! client thread with the mutex released, so they may call the API themselves.
use core::ops::Range;

use zephyr::sync::{Mutex, MutexGuard};
use zephyr::sys::sync::Semaphore;
use zephyr::time::Duration as ZDuration;
use zmqtt::client::{
    Client, Config, ConfigError, DisconnectReason, Event, Publish, State, SubscribeError,
};
use zmqtt::codec::{
    Properties, ProtocolVersion, QoS, Subscription, SubscriptionOptions, TopicError, TopicFilter,
    TopicName, Will,
};
use zmqtt::{BrokerUrl, Instant, MqttError};

use crate::config;
use crate::socket::{Security, Socket, Wake, Waker};
use crate::sys;

/// A message id, as the callbacks and `publish`/`subscribe` report it.
pub type Mid = u16;

type Engine = Client<
    'static,
    { config::MAX_INFLIGHT },
    { config::OFFLINE_QUEUE_LEN },
    { config::MESSAGE_STORE_SIZE },
    { config::TOPIC_STORE_SIZE },
    { config::MAX_INCOMING_QOS2 },
>;

/// Longest broker URL, in bytes: a 253-character host name plus scheme and port.
const URL_LEN: usize = 272;

/// The most topic filters one `subscribe` or `unsubscribe` call may carry.
pub const MAX_FILTERS: usize = zmqtt::client::MAX_FILTERS;

/// The MQTT protocol version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// MQTT 3.1.1 (the DL-7450 default).
    V3_1_1,
    /// MQTT 5.0 (needs `CONFIG_ZMQTT_PROTOCOL_5` or `CONFIG_ZMQTT_PROTOCOL_BOTH`).
    V5,
}

/// Options of [`MqttClient::connect`], as in the DL-7450 SDK.
///
/// Strings and credentials are `'static`: the client keeps them for reconnects, and
/// Zephyr's TLS credential store keeps pointers to the credentials.
#[derive(Debug, Clone, Copy)]
pub struct ConnectOptions {
    /// Keep-alive in seconds (0: off); `None`: `CONFIG_ZMQTT_KEEPALIVE_SEC`.
    pub keep_alive: Option<u16>,
    /// User name.
    pub username: Option<&'static str>,
    /// Password; a password without a user name is error -6.
    pub password: Option<&'static str>,
    /// Topic of the last will; `None`: no will.
    pub will_topic: Option<&'static str>,
    /// QoS of the last will.
    pub will_qos: u8,
    /// Payload of the last will.
    pub will_message: &'static [u8],
    /// Whether the broker retains the last will.
    pub will_retain: bool,
    /// Start a new session (`true`) or resume the broker's (the DL-7450 default).
    pub clean_session: bool,
    /// Protocol version.
    pub protocol: Protocol,
    /// CA certificates the broker's certificate must chain to (PEM with a NUL at the end, or DER).
    pub trust_store: Option<&'static [u8]>,
    /// The client's own certificate, for mutual TLS.
    pub key_store: Option<&'static [u8]>,
    /// The client's private key, for mutual TLS.
    pub private_key: Option<&'static [u8]>,
    /// Check the broker's certificate and host name (default: true). Turning this off
    /// makes TLS open to impersonation; it exists for test brokers only.
    pub verify_peer: bool,
}

impl ConnectOptions {
    /// The defaults: keep-alive from Kconfig, no credentials, no will, persistent
    /// session, MQTT 3.1.1 (5.0 in a 5.0-only build), peer verification on.
    pub const fn new() -> ConnectOptions {
        ConnectOptions {
            keep_alive: None,
            username: None,
            password: None,
            will_topic: None,
            will_qos: 0,
            will_message: b"",
            will_retain: false,
            clean_session: false,
            protocol: if config::MQTT3 {
                Protocol::V3_1_1
            } else {
                Protocol::V5
            },
            trust_store: None,
            key_store: None,
            private_key: None,
            verify_peer: true,
        }
    }
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions::new()
    }
}

/// The application's callbacks; each runs on the client thread, which it blocks while
/// it runs, and may call [`MqttClient`] methods.
#[derive(Clone, Copy)]
struct Callbacks {
    on_connect: Option<fn(i32)>,
    on_message: Option<fn(&str, &[u8])>,
    on_subscribe: Option<fn(Mid, &[u8])>,
    on_publish: Option<fn(Mid)>,
    on_publish_failed: Option<fn(Mid, i32)>,
    on_disconnect: Option<fn(i32)>,
}

/// Where `SHARED` keeps the engine. Not an `Option<Engine>`: its `None` is a niche value
/// that is not all zeros, which put the whole of `SHARED` in `.data`, its initial image
/// stored in flash (3 KB). The empty state of this enum is tag 0, so `SHARED` is `.bss`.
#[repr(C, u8)]
enum EngineSlot {
    Empty,
    Present(Engine),
}

impl EngineSlot {
    fn as_ref(&self) -> Option<&Engine> {
        match self {
            EngineSlot::Present(e) => Some(e),
            EngineSlot::Empty => None,
        }
    }

    fn as_mut(&mut self) -> Option<&mut Engine> {
        match self {
            EngineSlot::Present(e) => Some(e),
            EngineSlot::Empty => None,
        }
    }
}

struct Shared {
    engine: EngineSlot,
    /// The broker URL, checked by `new`; parsed again where it is used.
    url: heapless::String<URL_LEN>,
    callbacks: Callbacks,
    /// Set by `Drop for MqttClient`: the thread ends once the engine is idle.
    stop: bool,
    /// Whether a `MqttClient` exists (one per build: the engine is a static).
    claimed: bool,
    #[cfg(CONFIG_ZMQTT_TLS)]
    credentials: Option<crate::tls::Credentials>,
}

static SHARED: Mutex<Shared> = Mutex::new(Shared {
    engine: EngineSlot::Empty,
    url: heapless::String::new(),
    callbacks: Callbacks {
        on_connect: None,
        on_message: None,
        on_subscribe: None,
        on_publish: None,
        on_publish_failed: None,
        on_disconnect: None,
    },
    stop: false,
    claimed: false,
    #[cfg(CONFIG_ZMQTT_TLS)]
    credentials: None,
});

static WAKER: Waker = Waker::new();

/// The client thread's buffers: locked by that thread alone, for its whole life.
struct Buffers {
    rx: [u8; config::RX_BUFFER_SIZE],
    tx: [u8; config::TX_BUFFER_SIZE],
}

static BUFFERS: Mutex<Buffers> = Mutex::new(Buffers {
    rx: [0; config::RX_BUFFER_SIZE],
    tx: [0; config::TX_BUFFER_SIZE],
});

/// Whether the client thread was started. It is never stopped: without a client it
/// sleeps until the next `connect`, so a dropped and re-created client reuses it.
static THREAD_STARTED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Given by the client thread whenever it has nothing to do (no engine, or stopping
/// with the link closed): `Drop for MqttClient` waits for it.
static THREAD_IDLE: Semaphore = Semaphore::new(0, 1);

/// How long `Drop for MqttClient` waits for the DISCONNECT to go out.
const DROP_TIMEOUT: ZDuration = ZDuration::millis_at_least(5000);

fn now() -> Instant {
    Instant::from_millis(sys::uptime_ms())
}

fn lock<T>(mutex: &'static Mutex<T>) -> MutexGuard<'static, T> {
    // Zephyr's mutex cannot be poisoned: its error type is uninhabited.
    mutex.lock().unwrap_or_else(|never| match never {})
}

fn shared() -> MutexGuard<'static, Shared> {
    lock(&SHARED)
}

/// Runs `f` on the engine, if there is one, under the mutex.
fn with_engine<R>(f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
    shared().engine.as_mut().map(f)
}

fn qos(value: u8) -> Result<QoS, MqttError> {
    if value > config::MAX_QOS {
        return Err(MqttError::BadQos);
    }
    QoS::try_from(value).map_err(|_| MqttError::BadQos)
}

/// An MQTT client, shaped like the DL-7450 SDK's `mqtt` module.
///
/// One client exists at a time (its engine, buffers and thread are statics sized by
/// Kconfig). Every method returns at once; the work happens on the client thread.
///
/// ```ignore
/// let client = MqttClient::new("mqtt://10.0.2.2:1883", "dock-1")?;
/// client.on_message(|topic, payload| printkln!("{topic}: {payload:?}"));
/// client.connect(|rc| printkln!("connected: {rc}"), &ConnectOptions::new())?;
/// let mid = client.publish("dock-1/news", b"hello", 1)?;
/// ```
pub struct MqttClient {
    _private: (),
}

impl MqttClient {
    /// A client for the broker at `broker_url` (`tcp|mqtt|ssl|mqtts://host[:port]`,
    /// default ports 1883 and 8883) with the given client id.
    ///
    /// Errors: -14 for another scheme or a malformed URL, -13 for a TLS URL in a build
    /// without `CONFIG_ZMQTT_TLS`, -6 for an empty client id, -1 while another client exists.
    pub fn new(broker_url: &str, client_id: &'static str) -> Result<MqttClient, MqttError> {
        let url = BrokerUrl::parse(broker_url)?;
        let mut url_copy = heapless::String::<URL_LEN>::new();
        url_copy
            .push_str(broker_url)
            .map_err(|_| MqttError::BadProtocol)?;
        if url.is_tls() && !config::TLS {
            return Err(MqttError::SslNotSupported);
        }
        let mut shared = shared();
        if shared.claimed {
            return Err(MqttError::Failure);
        }
        let engine_config = Config::new(client_id)
            .keep_alive(config::KEEPALIVE_SEC)
            .max_packet(config::RX_BUFFER_SIZE as u32, config::TX_BUFFER_SIZE as u32);
        engine_config.validate()?;
        shared.claimed = true;
        shared.stop = false;
        shared.url = url_copy;
        // The engine with the id alone; connect() rebuilds it with all the options.
        shared.engine = EngineSlot::Present(Engine::new(engine_config)?);
        Ok(MqttClient { _private: () })
    }

    /// Called with each incoming message's topic and payload.
    pub fn on_message(&self, callback: fn(&str, &[u8])) {
        shared().callbacks.on_message = Some(callback);
    }

    /// Called when a SUBACK arrives: the subscribe's mid and the granted QoS per filter
    /// (0x80 or a 5.0 reason code ≥ 0x80 for a refused filter).
    pub fn on_subscribe(&self, callback: fn(Mid, &[u8])) {
        shared().callbacks.on_subscribe = Some(callback);
    }

    /// Called when a message was delivered: QoS 0 written, QoS 1 acknowledged, QoS 2 completed.
    pub fn on_publish(&self, callback: fn(Mid)) {
        shared().callbacks.on_publish = Some(callback);
    }

    /// Called when an accepted message will never be delivered, with why: the broker's
    /// MQTT 5.0 reason code (0x80 and above) when it refused the message, else a negative
    /// [`MqttError`] number: -24 larger than the broker's maximum packet size, -9 above its
    /// maximum QoS, -25 the broker closed the connection each time it was sent (5 in a row),
    /// -26 a QoS 2 message the broker had received (PUBREC) when it lost the session, so its
    /// delivery cannot be confirmed and it is not sent again.
    pub fn on_publish_failed(&self, callback: fn(Mid, i32)) {
        shared().callbacks.on_publish_failed = Some(callback);
    }

    /// Called when the connection is lost, with -3; the client reconnects by itself
    /// (after 1, 2, 4, 8, 16, 32 s, then every `CONFIG_ZMQTT_RECONNECT_MAX_DELAY_SEC`).
    pub fn on_disconnect(&self, callback: fn(i32)) {
        shared().callbacks.on_disconnect = Some(callback);
    }

    /// Connects in the background; `on_connect(rc)` reports the broker's answer (0
    /// accepted, else the CONNACK return code or 5.0 reason code). Lost connections are
    /// re-established by themselves, except after "bad user name or password" or "not
    /// authorised".
    ///
    /// Errors: -6 password without user name, -17 empty will topic, -9 bad will QoS, -23 a
    /// control character or Unicode non-character in the client id, user name or will topic,
    /// -15/-16 an option or version this build does not speak, -1 TLS credentials that
    /// could not be registered, -8 a PEM credential without its terminating NUL, -11
    /// still connected (call `disconnect` first). Messages published before `connect`
    /// stay queued and go out once connected.
    pub fn connect(&self, on_connect: fn(i32), options: &ConnectOptions) -> Result<(), MqttError> {
        let protocol = match options.protocol {
            Protocol::V3_1_1 if config::MQTT3 => ProtocolVersion::V3_1_1,
            Protocol::V5 if config::MQTT5 => ProtocolVersion::V5,
            _ => return Err(MqttError::WrongMqttVersion),
        };
        let mut guard = shared();
        // Field by field: the engine and the credentials are borrowed side by side below.
        let shared = &mut *guard;
        let engine = shared.engine.as_mut().ok_or(MqttError::Failure)?;
        let mut engine_config = *engine.config();
        engine_config = engine_config
            .protocol(protocol)
            .keep_alive(options.keep_alive.unwrap_or(config::KEEPALIVE_SEC))
            .clean_session(options.clean_session)
            .credentials(options.username, options.password.map(str::as_bytes))
            .reconnect_delays(
                zmqtt::Duration::from_secs(1),
                zmqtt::Duration::from_secs(config::RECONNECT_MAX_DELAY_SEC as u64),
            );
        engine_config.connect_timeout =
            zmqtt::Duration::from_millis(config::CONNECT_TIMEOUT_MS as u64);
        if let Some(topic) = options.will_topic {
            // The same codes as when the engine checked the topic: -17 empty, else per rule.
            let topic = TopicName::new(topic).map_err(|e| match e {
                TopicError::Empty => ConfigError::EmptyWillTopic,
                e => ConfigError::InvalidWillTopic(e),
            })?;
            engine_config = engine_config.will(Will {
                topic,
                payload: options.will_message,
                qos: qos(options.will_qos)?,
                retain: options.will_retain,
                properties: Properties::EMPTY,
            });
        }
        // Keeps what was published before connect(): the engine only takes the options.
        engine.set_config(engine_config)?;
        let tls = BrokerUrl::parse(&shared.url).is_ok_and(|u| u.is_tls());
        #[cfg(CONFIG_ZMQTT_TLS)]
        if tls {
            shared.credentials = None;
            shared.credentials = Some(crate::tls::Credentials::register(
                0,
                options.trust_store,
                options.key_store,
                options.private_key,
            )?);
        }
        #[cfg(not(CONFIG_ZMQTT_TLS))]
        let _ = tls;
        engine.connect(now());
        shared.callbacks.on_connect = Some(on_connect);
        VERIFY_PEER.store(options.verify_peer, core::sync::atomic::Ordering::Relaxed);
        drop(guard);
        start_thread();
        WAKER.wake();
        Ok(())
    }

    /// Publishes `msg` to `topic` at `qos` and returns its mid; `on_publish(mid)` follows
    /// once it is delivered. While offline the message waits in the queue.
    ///
    /// Errors (see [`MqttError`] for the texts):
    /// - -9 QoS above `CONFIG_ZMQTT_MAX_QOS`;
    /// - -6 an empty topic, -7 a topic containing U+0000, -20 a topic longer than
    ///   `CONFIG_ZMQTT_MAX_TOPIC_LEN`, -21 a wildcard (`+`, `#`) in the topic, -23 a control
    ///   character or Unicode non-character in it (brokers drop the link over those);
    /// - -24 a message larger than `CONFIG_ZMQTT_TX_BUFFER_SIZE` (or, once connected, than
    ///   the broker's maximum packet size);
    /// - -12 queue or store full, -4 in-flight table full in a build without a queue,
    ///   -10 no free message id.
    pub fn publish(&self, topic: &str, msg: &[u8], qos_value: u8) -> Result<Mid, MqttError> {
        publish(topic, msg, qos_value)
    }

    /// Subscribes to `(filter, qos)` pairs and returns the mid `on_subscribe` will report.
    ///
    /// Errors (see [`MqttError`] for the texts):
    /// - -9 a QoS above `CONFIG_ZMQTT_MAX_QOS`;
    /// - -6 an empty filter (or no filters), -7 a filter containing U+0000, -20 a filter
    ///   longer than `CONFIG_ZMQTT_MAX_TOPIC_LEN`, -22 a misplaced wildcard (`a/#/b`, `a+`),
    ///   -23 a control character or Unicode non-character;
    /// - -8 more than [`MAX_FILTERS`] filters, -12 `CONFIG_ZMQTT_MAX_SUBSCRIPTIONS` reached,
    ///   -24 a request larger than the transmit buffer, -3 not connected.
    pub fn subscribe(&self, topics: &[(&str, u8)]) -> Result<Mid, MqttError> {
        subscribe(topics)
    }

    /// Unsubscribes from `filters`; returns the mid of the UNSUBSCRIBE. Errors as for
    /// [`subscribe`](Self::subscribe).
    pub fn unsubscribe(&self, filters: &[&str]) -> Result<Mid, MqttError> {
        unsubscribe(filters)
    }

    /// Sends DISCONNECT (the broker drops the will) and stops reconnecting; messages
    /// still queued stay queued for a later `connect`.
    pub fn disconnect(&self) -> Result<(), MqttError> {
        with_engine(|e| e.disconnect(now())).ok_or(MqttError::Failure)?;
        WAKER.wake();
        Ok(())
    }

    /// Whether the broker accepted the connection and it is still up.
    pub fn is_connected(&self) -> bool {
        with_engine(|e| e.is_connected()).unwrap_or(false)
    }

    /// Messages accepted but not yet delivered (queued or in flight).
    pub fn pending(&self) -> usize {
        with_engine(|e| e.inflight_len() + e.queued_len()).unwrap_or(0)
    }
}

impl Drop for MqttClient {
    /// Disconnects cleanly, waits for the client thread to end, and removes the TLS
    /// credentials.
    fn drop(&mut self) {
        THREAD_IDLE.reset();
        {
            let mut shared = shared();
            if let Some(e) = shared.engine.as_mut() {
                e.disconnect(now());
            }
            shared.stop = true;
        }
        WAKER.wake();
        if THREAD_STARTED.load(core::sync::atomic::Ordering::Acquire)
            && THREAD_IDLE.take(DROP_TIMEOUT).is_err()
        {
            log::warn!("client thread did not finish disconnecting in time");
        }
        let mut shared = shared();
        shared.engine = EngineSlot::Empty;
        shared.url.clear();
        shared.claimed = false;
        #[cfg(CONFIG_ZMQTT_TLS)]
        {
            shared.credentials = None;
        }
    }
}

pub(crate) fn publish(topic: &str, msg: &[u8], qos_value: u8) -> Result<Mid, MqttError> {
    let qos = qos(qos_value)?;
    if topic.len() > config::MAX_TOPIC_LEN {
        return Err(MqttError::TopicTooLong);
    }
    let mid = with_engine(|e| e.publish(now(), &Publish::new(topic, msg, qos)))
        .ok_or(MqttError::Failure)??;
    WAKER.wake();
    Ok(mid.get())
}

pub(crate) fn subscribe(topics: &[(&str, u8)]) -> Result<Mid, MqttError> {
    if topics.is_empty() {
        return Err(MqttError::NullParameter);
    }
    let mut subs = heapless::Vec::<Subscription<'_>, MAX_FILTERS>::new();
    for (filter, q) in topics {
        if filter.len() > config::MAX_TOPIC_LEN {
            return Err(MqttError::TopicTooLong);
        }
        let options = SubscriptionOptions::qos(qos(*q)?);
        let filter = TopicFilter::new(filter).map_err(SubscribeError::InvalidFilter)?;
        subs.push(Subscription { filter, options })
            .map_err(|_| MqttError::BadStructure)?;
    }
    let mid = with_engine(|e| {
        if e.subscription_len() + subs.len() > config::MAX_SUBSCRIPTIONS {
            return Err(MqttError::MaxBufferedMessages);
        }
        e.subscribe(now(), &subs).map_err(MqttError::from)
    })
    .ok_or(MqttError::Failure)??;
    WAKER.wake();
    Ok(mid.get())
}

pub(crate) fn unsubscribe(filters: &[&str]) -> Result<Mid, MqttError> {
    if filters.is_empty() {
        return Err(MqttError::NullParameter);
    }
    let mid = with_engine(|e| e.unsubscribe(now(), filters)).ok_or(MqttError::Failure)??;
    WAKER.wake();
    Ok(mid.get())
}

/// One line for `mqtt status`: the state, the broker and what is pending.
#[cfg_attr(not(CONFIG_SHELL), allow(dead_code))]
pub(crate) fn status_line() -> heapless::String<160> {
    let mut line = heapless::String::new();
    let shared = shared();
    let _ = match shared.engine.as_ref() {
        None => core::fmt::write(&mut line, format_args!("no client")),
        Some(e) => core::fmt::write(
            &mut line,
            format_args!(
                "{} {} in-flight {} queued {} subscriptions {}",
                if e.is_connected() {
                    "connected to"
                } else {
                    "not connected to"
                },
                shared.url,
                e.inflight_len(),
                e.queued_len(),
                e.subscription_len()
            ),
        ),
    };
    line
}

static VERIFY_PEER: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(true);

fn start_thread() {
    if !THREAD_STARTED.swap(true, core::sync::atomic::Ordering::AcqRel) {
        let ready = client_thread();
        ready.set_priority(config::THREAD_PRIORITY);
        // Never joined: the thread outlives every client (see THREAD_STARTED).
        let _ = ready.start();
    }
}

#[zephyr::thread(stack_size = config::THREAD_STACK_SIZE)]
fn client_thread() {
    sys::thread_name_self();
    WAKER.init();
    let mut buffers = lock(&BUFFERS);
    let Buffers { rx, tx } = &mut *buffers;
    let mut io = Io {
        link: None,
        rx,
        rx_len: 0,
        tx,
    };
    loop {
        if !io.service() {
            THREAD_IDLE.give();
            // Nothing to do until the next connect() (or drop) wakes us.
            let _ = WAKER.wait(None, None);
            continue;
        }
        let deadline = with_engine(|e| e.poll_timeout()).flatten();
        let timeout = deadline.map(|d| d.saturating_duration_since(now()).total_millis());
        match WAKER.wait(io.link.as_ref(), timeout) {
            Ok(Wake::Readable) => io.receive(),
            Ok(Wake::Other) => {}
            Err(e) => {
                log::warn!("wait failed: {e}");
                io.drop_link();
            }
        }
    }
}

/// The client thread's side: the open link and the buffers.
struct Io<'b> {
    link: Option<Socket>,
    rx: &'b mut [u8],
    rx_len: usize,
    tx: &'b mut [u8],
}

impl Io<'_> {
    /// Timers, opening or closing the link, sending and callbacks. Returns false when
    /// the thread should end.
    fn service(&mut self) -> bool {
        let Some(state) = with_engine(|e| {
            e.handle_timeout(now());
            e.state()
        }) else {
            return false;
        };
        if state == State::Opening && self.link.is_none() {
            self.open();
        }
        self.pump();
        let shared = shared();
        let idle = shared
            .engine
            .as_ref()
            .is_none_or(|e| e.state() == State::Idle);
        !(shared.stop && idle && self.link.is_none())
    }

    fn open(&mut self) {
        let url_text = shared().url.clone();
        let Ok(url) = BrokerUrl::parse(&url_text) else {
            return;
        };
        let verify = VERIFY_PEER.load(core::sync::atomic::Ordering::Relaxed);
        #[cfg(CONFIG_ZMQTT_TLS)]
        let tags = [shared().credentials.as_ref().map_or(0, |c| c.tag())];
        #[cfg(not(CONFIG_ZMQTT_TLS))]
        let tags: [core::ffi::c_int; 0] = [];
        let security = if url.is_tls() {
            Security::Tls {
                sec_tags: &tags,
                verify,
            }
        } else {
            Security::Plain
        };
        log::info!("connecting to {}:{}", url.host, url.port);
        match Socket::connect(&url, security) {
            Ok(socket) => {
                self.link = Some(socket);
                self.rx_len = 0;
                with_engine(|e| e.handle_link_up(now()));
            }
            Err(e) => {
                log::warn!("cannot connect to {}:{}: {e}", url.host, url.port);
                with_engine(|e| e.handle_closed(now()));
            }
        }
    }

    /// Sends what the engine has, then runs the callbacks for its events (mutex
    /// released), then closes the link if the engine no longer wants one.
    fn pump(&mut self) {
        while let Some(Some(n)) = with_engine(|e| e.poll_transmit(now(), self.tx)) {
            if let Some(link) = self.link.as_mut() {
                if let Err(err) = link.send(&self.tx[..n]) {
                    log::warn!("send failed: {err}");
                    self.drop_link();
                }
            }
        }
        while let Some(Some(event)) = with_engine(|e| e.poll_event()) {
            dispatch(&event);
        }
        let wants_link = with_engine(|e| e.state().wants_link()).unwrap_or(false);
        if self.link.is_some() && !wants_link {
            self.link = None;
            self.rx_len = 0;
        }
    }

    fn drop_link(&mut self) {
        self.link = None;
        self.rx_len = 0;
        with_engine(|e| e.handle_closed(now()));
    }

    /// Reads what arrived and hands each whole packet to the engine.
    fn receive(&mut self) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if self.rx_len == self.rx.len() {
            log::error!("receive buffer full without a whole packet; dropping the link");
            self.drop_link();
            return;
        }
        match link.recv(&mut self.rx[self.rx_len..]) {
            Ok(None) => return,
            Ok(Some(0)) => {
                log::info!("broker closed the connection");
                self.drop_link();
                return;
            }
            Ok(Some(n)) => self.rx_len += n,
            Err(e) => {
                log::warn!("receive failed: {e}");
                self.drop_link();
                return;
            }
        }
        self.feed();
    }

    fn feed(&mut self) {
        while self.rx_len > 0 && self.link.is_some() {
            let mut topic_copy = heapless::String::<{ config::MAX_TOPIC_LEN }>::new();
            let rx = &self.rx[..self.rx_len];
            let Some((consumed, message)) = with_engine(|e| {
                let input = e.handle_input(now(), rx);
                let message = input.message.map(|m| {
                    // Topic and payload borrow the engine (an MQTT 5.0 topic alias resolves to
                    // its stored topic) or rx. Keep what lies in rx as a range and copy an
                    // aliased topic, so the callback runs with the mutex released.
                    let topic = match range_in(rx, m.topic.as_bytes()) {
                        Some(r) => TopicRef::Rx(r),
                        None => {
                            let _ = topic_copy.push_str(m.topic);
                            TopicRef::Copy
                        }
                    };
                    (topic, range_in(rx, m.payload).unwrap_or(0..0))
                });
                (input.consumed, message)
            }) else {
                return;
            };
            if consumed == 0 {
                return;
            }
            if let Some((topic, payload)) = message {
                let on_message = shared().callbacks.on_message;
                if let Some(callback) = on_message {
                    let topic = match topic {
                        TopicRef::Rx(r) => core::str::from_utf8(&self.rx[r]).unwrap_or(""),
                        TopicRef::Copy => topic_copy.as_str(),
                    };
                    callback(topic, &self.rx[payload]);
                }
            }
            self.rx.copy_within(consumed..self.rx_len, 0);
            self.rx_len -= consumed;
            self.pump();
        }
    }
}

enum TopicRef {
    Rx(Range<usize>),
    Copy,
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

fn dispatch(event: &Event) {
    let callbacks = shared().callbacks;
    match event {
        Event::Connected { code, .. } => {
            if let Some(cb) = callbacks.on_connect {
                cb(i32::from(*code));
            }
        }
        Event::Subscribed { packet_id, granted } => {
            if let Some(cb) = callbacks.on_subscribe {
                let mut codes = heapless::Vec::<u8, MAX_FILTERS>::new();
                for g in granted {
                    let _ = codes.push(g.0);
                }
                cb(packet_id.get(), &codes);
            }
        }
        Event::Published { packet_id } => {
            if let Some(cb) = callbacks.on_publish {
                cb(packet_id.get());
            }
        }
        Event::PublishFailed { packet_id, reason } => {
            log::error!(
                "message {} will not be delivered: {reason:?}",
                packet_id.get()
            );
            if let Some(cb) = callbacks.on_publish_failed {
                cb(packet_id.get(), reason.code());
            }
        }
        Event::Disconnected {
            reason,
            reconnect_in,
        } => {
            // The engine logged the reason already.
            if let Some(d) = reconnect_in {
                log::info!("reconnecting in {} s", d.secs());
            }
            if !matches!(reason, DisconnectReason::Local) {
                if let Some(cb) = callbacks.on_disconnect {
                    cb(MqttError::Disconnected.code());
                }
            }
        }
        Event::Unsubscribed { .. } => {}
        _ => {}
    }
}
