//! [`MqttClient`]: the DL-7450 SDK's `mqtt` API on Zephyr.
//!
//! The engine (`zmqtt::client::Client`) sits in a static behind a Zephyr mutex. API calls
//! from any thread take the mutex, run the engine command (which only copies the message
//! into the engine's store and allocates its id, so `publish` returns its mid at once),
//! release it and wake the client thread. The client thread runs the one I/O loop,
//! `zmqtt::driver::Driver` — the same code the host integration tests run — over this
//! file's `EngineLock` (the mutex), the eventfd [`Waker`], Zephyr sockets and
//! `k_uptime_get`. Callbacks run on the client thread with the mutex released, so they may
//! call the API themselves.
//!
//! What stays here: the statics, the thread, the API and the sockets' settings.
use zephyr::sync::{Mutex, MutexGuard};
use zephyr::sys::sync::Semaphore;
use zephyr::time::Duration as ZDuration;
use zmqtt::client::{
    Client, Config, ConfigError, DisconnectReason, Failure, Message, PacketId, Publish,
    SubscribeError,
};
use zmqtt::codec::{
    Properties, ProtocolVersion, QoS, ReasonCode, Subscription, SubscriptionOptions, TopicError,
    TopicFilter, TopicName, Will,
};
use zmqtt::driver::{self, Clock, Connector, Driver, Handler, Lock};
use zmqtt::{BrokerUrl, Instant, MqttError};

use crate::config;
use crate::error::Error;
use crate::socket::{Security, Socket, Waker};
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
pub(crate) const URL_LEN: usize = 272;

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
/// stored in flash (3 KB). Nor the engine itself from `Engine::new_unchecked`, const as it
/// is: its configuration and limits are not zeros either. The empty state of this enum is
/// tag 0, so `SHARED` is `.bss`, and `MqttClient::new` builds the engine in place (the
/// const constructor inlines to stores into the static; no copy on the caller's stack).
#[repr(C, u8)]
enum EngineSlot {
    Empty,
    Present(Engine),
}

/// Builds the engine in `slot`. Not inlined: on its own, with `slot` the only place the
/// value goes, the const constructor compiles to stores into the static; inlined into an
/// application's `rust_main` (LTO), its pools were built on the stack and copied (5 KB of
/// main stack, measured in samples/publisher).
#[inline(never)]
fn install(slot: &mut EngineSlot, config: Config<'static>) {
    *slot = EngineSlot::Present(Engine::new_unchecked(config));
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

/// What the API and the client thread share, behind the one mutex the loop takes once per
/// turn.
struct Shared {
    engine: EngineSlot,
    /// The broker URL, checked by `new`; parsed again where it is used.
    url: heapless::String<URL_LEN>,
    /// Whether a `MqttClient` exists (one per build: the engine is a static).
    claimed: bool,
    #[cfg(CONFIG_ZMQTT_TLS)]
    credentials: Option<crate::tls::Credentials>,
}

static SHARED: Mutex<Shared> = Mutex::new(Shared {
    engine: EngineSlot::Empty,
    url: heapless::String::new(),
    claimed: false,
    #[cfg(CONFIG_ZMQTT_TLS)]
    credentials: None,
});

/// The callbacks, apart from the engine: the client thread reads them with the engine's
/// mutex released, as it runs them.
static CALLBACKS: Mutex<Callbacks> = Mutex::new(Callbacks {
    on_connect: None,
    on_message: None,
    on_subscribe: None,
    on_publish: None,
    on_publish_failed: None,
    on_disconnect: None,
});

static WAKER: Waker = Waker::new();

/// The client thread's buffers: locked by that thread alone, for its whole life.
struct Buffers {
    rx: [u8; config::RX_BUFFER_SIZE],
    tx: [u8; config::TX_BUFFER_SIZE],
    /// The topic of a message sent with an MQTT 5.0 topic alias, while `on_message` runs.
    topic: [u8; config::MAX_TOPIC_LEN],
}

static BUFFERS: Mutex<Buffers> = Mutex::new(Buffers {
    rx: [0; config::RX_BUFFER_SIZE],
    tx: [0; config::TX_BUFFER_SIZE],
    topic: [0; config::MAX_TOPIC_LEN],
});

/// Whether the client thread was started. It is never stopped: without a client it
/// sleeps until the next `connect`, so a dropped and re-created client reuses it.
static THREAD_STARTED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Given by the client thread whenever it has nothing to do (no engine, or the engine idle
/// with the link closed and its callbacks run): `Drop for MqttClient` waits for it.
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

fn callbacks() -> MutexGuard<'static, Callbacks> {
    lock(&CALLBACKS)
}

/// Wakes the client thread after a command.
fn wake() {
    driver::Waker::wake(&WAKER);
}

/// The engine in `SHARED`, as the driver's lock.
struct EngineLock;

impl Lock<Engine> for EngineLock {
    /// `None` while there is no client.
    fn with<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
        shared().engine.as_mut().map(f)
    }
}

/// Runs `f` on the engine, if there is one, under the mutex.
fn with_engine<R>(f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
    EngineLock.with(f)
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
    /// default ports 1883 and 8883; with `CONFIG_ZMQTT_WEBSOCKET` also
    /// `ws|wss://host[:port][/path]`, default ports 80 and 443, path `/mqtt`) with the given
    /// client id.
    ///
    /// Errors: -14 for another scheme or a malformed URL, -13 for a TLS URL in a build
    /// without `CONFIG_ZMQTT_TLS`, -6 for an empty client id, -1 while another client exists.
    pub fn new(broker_url: &str, client_id: &'static str) -> Result<MqttClient, MqttError> {
        let url = BrokerUrl::parse(broker_url)?;
        if broker_url.len() > URL_LEN {
            return Err(MqttError::BadProtocol);
        }
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
        // Straight into the static, like the engine: `new` runs on the application's main
        // thread, whose stack is Zephyr's default 1 KiB.
        shared.url.clear();
        let _ = shared.url.push_str(broker_url);
        // The engine with the id alone (connect() brings the other options), built in the
        // static: validated above, so the const constructor needs no `Result` to move out of.
        install(&mut shared.engine, engine_config);
        Ok(MqttClient { _private: () })
    }

    /// Called with each incoming message's topic and payload.
    pub fn on_message(&self, callback: fn(&str, &[u8])) {
        callbacks().on_message = Some(callback);
    }

    /// Called when a SUBACK arrives: the subscribe's mid and the granted QoS per filter
    /// (0x80 or a 5.0 reason code ≥ 0x80 for a refused filter).
    pub fn on_subscribe(&self, callback: fn(Mid, &[u8])) {
        callbacks().on_subscribe = Some(callback);
    }

    /// Called when a message was delivered: QoS 0 written, QoS 1 acknowledged, QoS 2 completed.
    pub fn on_publish(&self, callback: fn(Mid)) {
        callbacks().on_publish = Some(callback);
    }

    /// Called when an accepted message will never be delivered, with why: the broker's
    /// MQTT 5.0 reason code (0x80 and above) when it refused the message, else a negative
    /// [`MqttError`] number: -24 larger than the broker's maximum packet size, -9 above its
    /// maximum QoS, -25 the broker closed the connection each time it was sent (5 in a row),
    /// -26 a QoS 2 message the broker had received (PUBREC) when it lost the session, so its
    /// delivery cannot be confirmed and it is not sent again.
    pub fn on_publish_failed(&self, callback: fn(Mid, i32)) {
        callbacks().on_publish_failed = Some(callback);
    }

    /// Called when the connection is lost, with -3; the client reconnects by itself
    /// (after 1, 2, 4, 8, 16, 32 s, then every `CONFIG_ZMQTT_RECONNECT_MAX_DELAY_SEC`).
    pub fn on_disconnect(&self, callback: fn(i32)) {
        callbacks().on_disconnect = Some(callback);
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
        callbacks().on_connect = Some(on_connect);
        VERIFY_PEER.store(options.verify_peer, core::sync::atomic::Ordering::Relaxed);
        drop(guard);
        start_thread();
        wake();
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
        wake();
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
        with_engine(|e| e.disconnect(now()));
        wake();
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
    wake();
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
    wake();
    Ok(mid.get())
}

pub(crate) fn unsubscribe(filters: &[&str]) -> Result<Mid, MqttError> {
    if filters.is_empty() {
        return Err(MqttError::NullParameter);
    }
    let mid = with_engine(|e| e.unsubscribe(now(), filters)).ok_or(MqttError::Failure)??;
    wake();
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
    let Buffers { rx, tx, topic } = &mut *buffers;
    let mut driver = Driver::new(EngineLock, BrokerConnector, &WAKER, Uptime, rx, tx, topic);
    loop {
        if driver.turn(&mut AppCallbacks) {
            // Idle: a dropped client's DISCONNECT is out, its link closed, its callbacks run.
            THREAD_IDLE.give();
        }
        driver.wait();
    }
}

/// `k_uptime_get`, the loop's clock.
struct Uptime;

impl Clock for Uptime {
    fn now(&self) -> Instant {
        now()
    }
}

/// Opens the link to the broker of `SHARED`'s URL, with TLS for `ssl://` and `mqtts://`.
struct BrokerConnector;

impl Connector for BrokerConnector {
    type Link = Socket;
    type Error = Error;

    fn connect(&mut self) -> Result<Socket, Error> {
        let url_text = shared().url.clone();
        // Checked by `MqttClient::new`.
        let url = BrokerUrl::parse(&url_text).map_err(|_| Error::Dns)?;
        let verify = VERIFY_PEER.load(core::sync::atomic::Ordering::Relaxed);
        #[cfg(CONFIG_ZMQTT_TLS)]
        let tags = [shared().credentials.as_ref().map_or(0, |c| c.tag())];
        #[cfg(not(CONFIG_ZMQTT_TLS))]
        let tags: [core::ffi::c_int; 0] = [];
        #[cfg(CONFIG_ZMQTT_TLS_ALPN)]
        let alpn = crate::tls::alpn_list();
        let security = if url.is_tls() {
            Security::Tls {
                sec_tags: &tags,
                verify,
                #[cfg(CONFIG_ZMQTT_TLS_ALPN)]
                alpn: (alpn.len() > 1).then_some(&alpn[..]),
                #[cfg(not(CONFIG_ZMQTT_TLS_ALPN))]
                alpn: None,
            }
        } else {
            Security::Plain
        };
        log::info!("connecting to {}:{}", url.host, url.port);
        Socket::connect(&url, security)
    }
}

/// The application's callbacks, read from `CALLBACKS` as each one is due.
struct AppCallbacks;

impl Handler for AppCallbacks {
    fn on_connect(&mut self, rc: u8, _session_present: bool) {
        let callback = callbacks().on_connect;
        if let Some(cb) = callback {
            cb(i32::from(rc));
        }
    }

    fn on_message(&mut self, msg: &Message<'_>) {
        let callback = callbacks().on_message;
        if let Some(cb) = callback {
            cb(msg.topic, msg.payload);
        }
    }

    fn on_subscribe(&mut self, mid: PacketId, granted: &[ReasonCode]) {
        let callback = callbacks().on_subscribe;
        if let Some(cb) = callback {
            let mut codes = heapless::Vec::<u8, MAX_FILTERS>::new();
            for g in granted {
                let _ = codes.push(g.0);
            }
            cb(mid.get(), &codes);
        }
    }

    fn on_publish(&mut self, mid: PacketId) {
        let callback = callbacks().on_publish;
        if let Some(cb) = callback {
            cb(mid.get());
        }
    }

    fn on_publish_failed(&mut self, mid: PacketId, reason: Failure) {
        log::error!("message {} will not be delivered: {reason:?}", mid.get());
        let callback = callbacks().on_publish_failed;
        if let Some(cb) = callback {
            cb(mid.get(), reason.code());
        }
    }

    fn on_disconnect(&mut self, reason: DisconnectReason, reconnect_in: Option<zmqtt::Duration>) {
        // The engine logged the reason already.
        if let Some(d) = reconnect_in {
            log::info!("reconnecting in {} s", d.secs());
        }
        let callback = callbacks().on_disconnect;
        if let (Some(cb), false) = (callback, matches!(reason, DisconnectReason::Local)) {
            cb(MqttError::Disconnected.code());
        }
    }
}
