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
//!
//! The application's callbacks are one [`Callbacks`] object (its state and its methods) given
//! to `connect`, called through `dyn` (one copy of the dispatch code whatever the application)
//! with the client passed in, so an application needs no static of its own for either. The
//! strings of the connect options are copied into `SHARED` (see [`Texts`]), so they may be
//! built at run time.
use zephyr::sync::{Mutex, MutexGuard};
use zephyr::sys::sync::Semaphore;
use zephyr::time::Duration as ZDuration;
use zmqtt::client::{
    Client, Config, ConfigError, DisconnectReason, Failure, Message, PacketId, Publish, State,
    SubscribeError,
};
#[cfg(feature = "v5")]
use zmqtt::codec::Property;
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
/// `connect` copies the user name, password and will into the client (at most
/// `CONFIG_ZMQTT_MAX_USERNAME_LEN`, `CONFIG_ZMQTT_MAX_PASSWORD_LEN`,
/// `CONFIG_ZMQTT_MAX_TOPIC_LEN` and `CONFIG_ZMQTT_MAX_WILL_PAYLOAD_LEN` bytes), so they may
/// be built at run time and dropped after the call. Only the TLS credentials are `'static`:
/// Zephyr's TLS credential store keeps pointers to them (see [`pem!`](crate::pem) for a PEM
/// file without its terminating NUL).
#[derive(Debug, Clone, Copy)]
pub struct ConnectOptions<'a> {
    /// Keep-alive in seconds (0: off); `None`: `CONFIG_ZMQTT_KEEPALIVE_SEC`, by default 0
    /// (off), as in the DL-7450 SDK when `keep_alive` is omitted.
    pub keep_alive: Option<u16>,
    /// User name.
    pub username: Option<&'a str>,
    /// Password (text or bytes); a password without a user name is error -6.
    pub password: Option<&'a [u8]>,
    /// Topic of the last will; `None`: no will.
    pub will_topic: Option<&'a str>,
    /// QoS of the last will.
    pub will_qos: u8,
    /// Payload of the last will.
    pub will_message: &'a [u8],
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
    /// Seconds after which a QoS 1/2 PUBLISH (with DUP) or PUBREL the broker has not
    /// acknowledged is sent again on the same connection (DL-7450's retry interval); 0 (the
    /// default): only after a reconnect. It goes at most a quarter of the interval late.
    /// MQTT 3.1.1 only: ignored under 5.0, which forbids resending except on reconnect (MQTT
    /// 5.0 §4.4). Needs `CONFIG_ZMQTT_QOS_RETRY` (else a non-zero value is error -15).
    pub retry_interval: u16,
}

impl<'a> ConnectOptions<'a> {
    /// The defaults: keep-alive from Kconfig (off unless set), no credentials, no will, persistent
    /// session, MQTT 3.1.1 (5.0 in a 5.0-only build), peer verification on.
    pub const fn new() -> ConnectOptions<'a> {
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
            retry_interval: 0,
        }
    }
}

impl Default for ConnectOptions<'_> {
    fn default() -> Self {
        ConnectOptions::new()
    }
}

/// The most user properties one [`PublishOptions`] may carry.
pub const MAX_USER_PROPERTIES: usize = 8;

/// Options of [`MqttClient::publish_with`]: QoS, retain and, on an MQTT 5.0 connection, the
/// message's properties (MQTT 5.0 §3.3.2.3). `..PublishOptions::default()` leaves out the rest.
///
/// The properties are copied into the client with the message (its store keeps them, encoded,
/// until the message is delivered, so a resend after a reconnect carries them). Given on an
/// MQTT 3.1.1 connection, or in a build without 5.0, they are error -15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublishOptions<'a> {
    /// QoS 0, 1 or 2.
    pub qos: u8,
    /// Ask the broker to retain the message (MQTT 3.1.1 §3.3.1.3).
    pub retain: bool,
    /// 5.0 Message Expiry Interval: seconds after which the broker drops the message if it
    /// could not deliver it yet.
    pub message_expiry: Option<u32>,
    /// 5.0 Content Type (a MIME type, say).
    pub content_type: Option<&'a str>,
    /// 5.0 Payload Format Indicator: the payload is UTF-8 text (checked: -5 when it is not).
    pub payload_utf8: bool,
    /// 5.0 Response Topic: where the receiver should send its answer (a topic name).
    pub response_topic: Option<&'a str>,
    /// 5.0 Correlation Data: matches an answer to its request.
    pub correlation_data: Option<&'a [u8]>,
    /// 5.0 User Properties, name and value, in order (at most [`MAX_USER_PROPERTIES`]).
    pub user_properties: &'a [(&'a str, &'a str)],
}

impl PublishOptions<'_> {
    /// Whether any MQTT 5.0 property is set (a build without 5.0 refuses them).
    #[cfg(not(feature = "v5"))]
    fn has_properties(&self) -> bool {
        self.message_expiry.is_some()
            || self.content_type.is_some()
            || self.payload_utf8
            || self.response_topic.is_some()
            || self.correlation_data.is_some()
            || !self.user_properties.is_empty()
    }
}

/// The properties of `options` for the engine, in `list`: at most five plus the user
/// properties.
///
/// Pushed one by one into the caller's list: built from an array of five `Option`s chained
/// with the user properties and returned by value, the list and its copies made
/// `publish`'s stack frame 1,268 bytes (dl7450, MQTT 5.0 build), on the main thread of an
/// application that publishes from there.
#[cfg(feature = "v5")]
fn property_list<'a>(
    options: &PublishOptions<'a>,
    list: &mut heapless::Vec<Property<'a>, { MAX_USER_PROPERTIES + 5 }>,
) -> Result<(), MqttError> {
    if options.user_properties.len() > MAX_USER_PROPERTIES {
        return Err(MqttError::BadStructure);
    }
    // Room for all: the count was checked above.
    if options.payload_utf8 {
        let _ = list.push(Property::PayloadFormatIndicator(1));
    }
    if let Some(v) = options.message_expiry {
        let _ = list.push(Property::MessageExpiryInterval(v));
    }
    if let Some(v) = options.content_type {
        let _ = list.push(Property::ContentType(v));
    }
    if let Some(v) = options.response_topic {
        let _ = list.push(Property::ResponseTopic(v));
    }
    if let Some(v) = options.correlation_data {
        let _ = list.push(Property::CorrelationData(v));
    }
    for &(k, v) in options.user_properties {
        let _ = list.push(Property::UserProperty(k, v));
    }
    Ok(())
}

/// The second argument of [`Callbacks::on_connect`] (DL-7450's `flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnectFlags {
    /// The broker resumed the session of an earlier connection (CONNACK "session present"):
    /// subscriptions made then are still in force. Only with `rc` 0.
    pub session_present: bool,
}

/// The application's callbacks and the state they need, given to [`MqttClient::connect`].
///
/// The application implements this on its own type (a struct of atomics and mutexes, say)
/// and passes a `&'static` to it; every method gets the client, so it can publish or
/// subscribe, and `self`, so it reaches the application's state: no `static` holding the
/// client is needed. Every method has an empty default.
///
/// The methods run on the client thread, one at a time, and block it while they run; they
/// may call any [`MqttClient`] method.
pub trait Callbacks: Sync {
    /// Called for every outcome of every connection attempt, and when a connection is lost
    /// (DL-7450 `on_connect(rc, flags)`):
    ///
    /// - `0`: the broker accepted the connection; `flags.session_present` says whether it
    ///   resumed the earlier session;
    /// - `1`–`5` (MQTT 3.1.1) or a 5.0 reason code (`0x80` and above): the broker refused it.
    ///   After 4/0x86 "bad user name or password" and 5/0x87 "not authorised" the client stops
    ///   (unless a [`credentials`](Self::credentials) refresh is retried, see there); after
    ///   the others it tries again;
    /// - a negative [`MqttError`] number: the attempt failed before any answer (-29 DNS,
    ///   -28 TCP, -30 TLS handshake, -31 no CONNACK in time), or an established connection was
    ///   lost (-27). The client tries again after 1, 2, 4 … s.
    ///
    /// zmqtt has no separate `on_disconnect`: a lost connection is this callback with -27, and
    /// `disconnect()` is the application's own doing.
    fn on_connect(&self, client: &MqttClient, rc: i32, flags: ConnectFlags) {
        let _ = (client, rc, flags);
    }

    /// A message arrived on a subscribed topic: topic, payload, QoS, retain and dup flags, and
    /// under MQTT 5.0 its properties (`message.properties.user_properties()`,
    /// `content_type()`, `response_topic()`, `correlation_data()` …).
    fn on_message(&self, client: &MqttClient, message: &Message<'_>) {
        let _ = (client, message);
    }

    /// A SUBACK arrived: the subscribe's mid and the granted QoS per filter (0x80 or a 5.0
    /// reason code ≥ 0x80 for a refused filter).
    fn on_subscribe(&self, client: &MqttClient, mid: Mid, granted: &[u8]) {
        let _ = (client, mid, granted);
    }

    /// An UNSUBACK arrived for the unsubscribe with this mid.
    fn on_unsubscribe(&self, client: &MqttClient, mid: Mid) {
        let _ = (client, mid);
    }

    /// A message was delivered: QoS 0 written, QoS 1 acknowledged, QoS 2 completed.
    fn on_publish(&self, client: &MqttClient, mid: Mid) {
        let _ = (client, mid);
    }

    /// An accepted message will never be delivered, with why: the broker's MQTT 5.0 reason
    /// code (0x80 and above) when it refused the message, else a negative [`MqttError`]
    /// number: -24 larger than the broker's maximum packet size, -9 above its maximum QoS,
    /// -25 the broker closed the connection each time it was sent (5 in a row), -26 a QoS 2
    /// message the broker had received (PUBREC) when it lost the session, so its delivery
    /// cannot be confirmed and it is not sent again.
    fn on_publish_failed(&self, client: &MqttClient, mid: Mid, code: i32) {
        let _ = (client, mid, code);
    }

    /// The credentials provider: called before every connection attempt (the first, each
    /// reconnect, and [`MqttClient::reconnect`]), so a password that expires (a cloud SAS
    /// token, a JWT) is fresh on each. It gives the user name and password with
    /// [`CredentialsSink::set`]; when it gives none, the attempt uses those of the connect
    /// options (or of the last call that gave some).
    ///
    /// When the broker refuses credentials the provider gave ("bad user name or password" or
    /// "not authorised": 4/5, 0x86/0x87), the client asks it again and tries once more at
    /// once, without reporting the first refusal; a second refusal in a row is reported to
    /// `on_connect` and is permanent, until [`MqttClient::reconnect`].
    fn credentials(&self, client: &MqttClient, sink: &mut CredentialsSink) {
        let _ = (client, sink);
    }
}

/// Where [`Callbacks::credentials`] puts the user name and password of the next attempt.
pub struct CredentialsSink {
    given: bool,
}

impl CredentialsSink {
    /// Copies `username` and `password` into the client for the next CONNECT (at most
    /// `CONFIG_ZMQTT_MAX_USERNAME_LEN` and `CONFIG_ZMQTT_MAX_PASSWORD_LEN` bytes).
    ///
    /// Errors: -8 longer than those, -5 U+0000 or -23 a control character or Unicode
    /// non-character in the user name; the attempt then goes ahead with the credentials it
    /// had.
    pub fn set(&mut self, username: &str, password: &[u8]) -> Result<(), MqttError> {
        // Every check before anything is touched: the old credentials stay on error.
        if username.len() > config::MAX_USERNAME_LEN || password.len() > config::MAX_PASSWORD_LEN {
            return Err(MqttError::BadStructure);
        }
        zmqtt::client::check_username(username)?;
        let mut guard = shared();
        let shared = &mut *guard;
        let engine = shared.engine.as_mut().ok_or(MqttError::Failure)?;
        // Nothing may borrow the texts while they are rewritten (see `Texts`).
        engine.set_credentials(None, None)?;
        let texts = &mut shared.texts;
        let user = copy_text(&mut texts.username, username);
        let pass = copy_bytes(&mut texts.password, password, MqttError::BadStructure);
        let (user, pass) = (user?, pass?);
        engine.set_credentials(Some(user), Some(pass))?;
        self.given = true;
        Ok(())
    }
}

/// The callbacks of an application that gives none.
struct NoCallbacks;

impl Callbacks for NoCallbacks {}

/// Where `SHARED` keeps the engine. Not an `Option<Engine>`: its `None` is a niche value
/// that is not all zeros, which put the whole of `SHARED` in `.data`, its initial image
/// stored in flash (3 KB). Nor the engine itself from `Engine::new_unchecked`, const as it
/// is: its configuration and limits are not zeros either. The empty state of this enum is
/// tag 0, so `SHARED` is `.bss`.
#[repr(C, u8)]
enum EngineSlot {
    Empty,
    Present(Engine),
    /// `MqttClient::new` left the configuration of the engine the client thread is to build
    /// (see [`install_pending`]).
    Pending(Config<'static>),
}

/// Builds the engine in `slot`. Not inlined, so its frame is on the stack only while it runs.
///
/// The const constructor compiles mostly to stores into the static, but not all: the
/// message store's zeroed array is cleared on the stack and copied (dl7450, samples/tls:
/// a 2,340-byte frame, 2,800 bytes of main stack used in all). So the client thread runs
/// it, on its own larger stack, before its loop's frame is there: see `client_thread`.
#[inline(never)]
fn install(slot: &mut EngineSlot, config: Config<'static>) {
    *slot = EngineSlot::Present(Engine::new_unchecked(config));
}

/// On the client thread: builds the engine `MqttClient::new` asked for, and tells `new`.
fn install_pending() {
    let mut shared = shared();
    if let EngineSlot::Pending(config) = shared.engine {
        install(&mut shared.engine, config);
        ENGINE_PENDING.store(false, core::sync::atomic::Ordering::Release);
        INSTALLED.give();
    }
}

impl EngineSlot {
    fn as_ref(&self) -> Option<&Engine> {
        match self {
            EngineSlot::Present(e) => Some(e),
            EngineSlot::Empty | EngineSlot::Pending(_) => None,
        }
    }

    fn as_mut(&mut self) -> Option<&mut Engine> {
        match self {
            EngineSlot::Present(e) => Some(e),
            EngineSlot::Empty | EngineSlot::Pending(_) => None,
        }
    }
}

/// The strings of the options, owned by the client: the engine's configuration borrows them.
///
/// They sit in `SHARED` (a static, so they never move) and the engine's `Config<'static>`
/// borrows them through [`as_static`]. The rule that makes this sound: a text is written
/// only with `SHARED` locked, and before the lock is released the engine's configuration is
/// pointed at the new contents (the old borrow is overwritten, never read again). The engine
/// reads them only with `SHARED` locked (it encodes CONNECT in `poll_transmit`).
struct Texts {
    client_id: heapless::String<{ config::MAX_CLIENT_ID_LEN }>,
    username: heapless::String<{ config::MAX_USERNAME_LEN }>,
    password: heapless::Vec<u8, { config::MAX_PASSWORD_LEN }>,
    will_topic: heapless::String<{ config::MAX_TOPIC_LEN }>,
    will_message: heapless::Vec<u8, { config::MAX_WILL_PAYLOAD_LEN }>,
}

/// `value` with the lifetime the engine's configuration needs; see [`Texts`] for why this
/// is sound.
fn as_static<T: ?Sized>(value: &T) -> &'static T {
    // SAFETY: `value` lies in `SHARED.texts`, a static that never moves; see `Texts`.
    unsafe { &*(value as *const T) }
}

/// Copies `text` into `slot` (replacing what it held); -8 when it is longer than the slot.
fn copy_text<const N: usize>(
    slot: &mut heapless::String<N>,
    text: &str,
) -> Result<&'static str, MqttError> {
    slot.clear();
    slot.push_str(text).map_err(|_| MqttError::BadStructure)?;
    Ok(as_static(slot.as_str()))
}

/// Copies `bytes` into `slot`; `too_long` when they do not fit.
fn copy_bytes<const N: usize>(
    slot: &mut heapless::Vec<u8, N>,
    bytes: &[u8],
    too_long: MqttError,
) -> Result<&'static [u8], MqttError> {
    slot.clear();
    slot.extend_from_slice(bytes).map_err(|_| too_long)?;
    Ok(as_static(slot.as_slice()))
}

/// What the API and the client thread share, behind the one mutex the loop takes once per
/// turn.
struct Shared {
    engine: EngineSlot,
    /// The strings the engine's configuration borrows.
    texts: Texts,
    /// The broker URL, checked by `new`; parsed again where it is used.
    url: heapless::String<URL_LEN>,
    /// Whether a `MqttClient` exists (one per build: the engine is a static).
    claimed: bool,
    #[cfg(CONFIG_ZMQTT_TLS)]
    credentials: Option<crate::tls::Credentials>,
}

static SHARED: Mutex<Shared> = Mutex::new(Shared {
    engine: EngineSlot::Empty,
    texts: Texts {
        client_id: heapless::String::new(),
        username: heapless::String::new(),
        password: heapless::Vec::new(),
        will_topic: heapless::String::new(),
        will_message: heapless::Vec::new(),
    },
    url: heapless::String::new(),
    claimed: false,
    #[cfg(CONFIG_ZMQTT_TLS)]
    credentials: None,
});

/// The application's callbacks, apart from the engine: the client thread reads them with
/// the engine's mutex released, as it runs them.
static CALLBACKS: Mutex<&'static dyn Callbacks> = Mutex::new(&NoCallbacks);

/// The client the callbacks get. `MqttClient` is a handle without fields: this one is never
/// dropped (a static), so it never disconnects the client.
static HANDLE: MqttClient = MqttClient { _private: () };

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

/// Given by the client thread when it has built the engine `MqttClient::new` waits for.
static INSTALLED: Semaphore = Semaphore::new(0, 1);

/// Whether `SHARED`'s engine is `Pending`: the client thread leaves its loop to build it.
static ENGINE_PENDING: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Whether `connect` was ever called (`reconnect` before it is an error).
static CONNECT_CALLED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Given by the client thread whenever it has nothing to do (no engine, or the engine idle
/// with the link closed and its callbacks run): `Drop for MqttClient` waits for it.
static THREAD_IDLE: Semaphore = Semaphore::new(0, 1);

/// How long `MqttClient::new` waits for the client thread to build the engine.
const INSTALL_TIMEOUT: ZDuration = ZDuration::millis_at_least(1000);

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

/// The application's callbacks, read at the moment one is due.
fn callbacks() -> &'static dyn Callbacks {
    *lock(&CALLBACKS)
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
/// struct App { received: AtomicU32 }
///
/// impl Callbacks for App {
///     fn on_connect(&self, client: &MqttClient, rc: i32, _flags: ConnectFlags) {
///         if rc == 0 {
///             let _ = client.subscribe(&[("dock-1/in/#", 1)]);
///         }
///     }
///     fn on_message(&self, _client: &MqttClient, message: &Message<'_>) {
///         self.received.fetch_add(1, Ordering::Relaxed);
///         printkln!("{}: {:?}", message.topic, message.payload);
///     }
/// }
///
/// static APP: App = App { received: AtomicU32::new(0) };
///
/// let client = MqttClient::new("mqtt://10.0.2.2:1883", "dock-1")?;
/// client.connect(&APP, &ConnectOptions::new())?;
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
    /// The client id is copied into the client (at most `CONFIG_ZMQTT_MAX_CLIENT_ID_LEN`
    /// bytes), so it may be built at run time.
    ///
    /// Errors: -14 for another scheme or a malformed URL, -13 for a TLS URL in a build
    /// without `CONFIG_ZMQTT_TLS`, -6 for an empty client id, -8 for a client id longer than
    /// `CONFIG_ZMQTT_MAX_CLIENT_ID_LEN`, -1 while another client exists.
    pub fn new(broker_url: &str, client_id: &str) -> Result<MqttClient, MqttError> {
        let url = BrokerUrl::parse(broker_url)?;
        if broker_url.len() > URL_LEN {
            return Err(MqttError::BadProtocol);
        }
        if url.is_tls() && !config::TLS {
            return Err(MqttError::SslNotSupported);
        }
        if client_id.len() > config::MAX_CLIENT_ID_LEN {
            return Err(MqttError::BadStructure);
        }
        let mut guard = shared();
        let shared = &mut *guard;
        if shared.claimed {
            return Err(MqttError::Failure);
        }
        // No engine exists (not claimed), so nothing borrows the texts being replaced.
        let client_id = copy_text(&mut shared.texts.client_id, client_id)?;
        let engine_config = Config::new(client_id)
            .keep_alive(config::KEEPALIVE_SEC)
            .max_packet(config::RX_BUFFER_SIZE as u32, config::TX_BUFFER_SIZE as u32);
        engine_config.validate()?;
        shared.claimed = true;
        // Straight into the static: `new` runs on the application's main thread, whose
        // stack is Zephyr's default 1 KiB.
        shared.url.clear();
        let _ = shared.url.push_str(broker_url);
        // The engine with the id alone (connect() brings the other options), built by the
        // client thread (see `install`): validated above, so the const constructor needs no
        // `Result` to move out of.
        shared.engine = EngineSlot::Pending(engine_config);
        ENGINE_PENDING.store(true, core::sync::atomic::Ordering::Release);
        drop(guard);
        INSTALLED.reset();
        if !start_thread() {
            wake();
        }
        // The thread builds it first thing when it wakes. Called on the client thread itself
        // (from a callback), `new` builds it here after the timeout.
        if INSTALLED.take(INSTALL_TIMEOUT).is_err() {
            install_pending();
        }
        Ok(MqttClient { _private: () })
    }

    /// Connects in the background, with `callbacks` for what follows (DL-7450's
    /// `connect(on_connect, options)`: `on_connect` is [`Callbacks::on_connect`]). The
    /// user name, password and will of `options` are copied into the client. Lost
    /// connections are re-established by themselves, except after "bad user name or
    /// password" or "not authorised".
    ///
    /// Errors: -6 password without user name, -17 empty will topic, -9 bad will QoS, -20 a
    /// will topic longer than `CONFIG_ZMQTT_MAX_TOPIC_LEN`, -8 a user name or password longer
    /// than its Kconfig bound, -24 a will message longer than
    /// `CONFIG_ZMQTT_MAX_WILL_PAYLOAD_LEN`, -23 a control character or Unicode non-character
    /// in the user name or will topic, -15/-16 an option or version this build does not
    /// speak, -1 TLS credentials that could not be registered, -8 a PEM credential without
    /// its terminating NUL, -15 a `retry_interval` in a build without
    /// `CONFIG_ZMQTT_QOS_RETRY`, -11 still connected (call `disconnect` first). Messages
    /// published before `connect` stay queued and go out once connected.
    pub fn connect(
        &self,
        callbacks: &'static dyn Callbacks,
        options: &ConnectOptions<'_>,
    ) -> Result<(), MqttError> {
        let protocol = match options.protocol {
            Protocol::V3_1_1 if config::MQTT3 => ProtocolVersion::V3_1_1,
            Protocol::V5 if config::MQTT5 => ProtocolVersion::V5,
            _ => return Err(MqttError::WrongMqttVersion),
        };
        let will_qos = qos(options.will_qos)?;
        let mut guard = shared();
        // Field by field: the engine, the texts and the credentials are borrowed side by side.
        let shared = &mut *guard;
        let engine = shared.engine.as_mut().ok_or(MqttError::Failure)?;
        // Only an idle engine may have its texts replaced (a connecting one reads them).
        if engine.state() != State::Idle {
            return Err(ConfigError::NotIdle.into());
        }
        // From here until the new configuration is in, the engine's must not borrow the texts
        // being replaced (see `Texts`): the old one without credentials and will is valid too.
        let mut engine_config = engine.config().credentials(None, None);
        engine_config.will = None;
        let _ = engine.set_config(engine_config);
        let texts = &mut shared.texts;
        let username = match options.username {
            Some(u) => Some(copy_text(&mut texts.username, u)?),
            None => None,
        };
        let password = match options.password {
            Some(p) => Some(copy_bytes(&mut texts.password, p, MqttError::BadStructure)?),
            None => None,
        };
        engine_config = engine_config
            .protocol(protocol)
            .keep_alive(options.keep_alive.unwrap_or(config::KEEPALIVE_SEC))
            .clean_session(options.clean_session)
            .retry_interval(zmqtt::Duration::from_secs(options.retry_interval.into()))
            .credentials(username, password)
            .reconnect_delays(
                zmqtt::Duration::from_secs(1),
                zmqtt::Duration::from_secs(config::RECONNECT_MAX_DELAY_SEC as u64),
            );
        engine_config.connect_timeout =
            zmqtt::Duration::from_millis(config::CONNECT_TIMEOUT_MS as u64);
        if let Some(topic) = options.will_topic {
            if topic.len() > config::MAX_TOPIC_LEN {
                return Err(MqttError::TopicTooLong);
            }
            let topic = copy_text(&mut texts.will_topic, topic)?;
            let payload = copy_bytes(
                &mut texts.will_message,
                options.will_message,
                MqttError::MessageTooLarge,
            )?;
            // The same codes as when the engine checked the topic: -17 empty, else per rule.
            let topic = TopicName::new(topic).map_err(|e| match e {
                TopicError::Empty => ConfigError::EmptyWillTopic,
                e => ConfigError::InvalidWillTopic(e),
            })?;
            engine_config = engine_config.will(Will {
                topic,
                payload,
                qos: will_qos,
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
        *lock(&CALLBACKS) = callbacks;
        VERIFY_PEER.store(options.verify_peer, core::sync::atomic::Ordering::Relaxed);
        drop(guard);
        CONNECT_CALLED.store(true, core::sync::atomic::Ordering::Release);
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
        let options = PublishOptions {
            qos: qos_value,
            ..PublishOptions::default()
        };
        publish(topic, msg, &options)
    }

    /// [`publish`](Self::publish) with the options of [`PublishOptions`]: QoS, the retain
    /// flag (the broker keeps the message and gives it to every later subscriber; an empty
    /// retained message deletes the one kept) and MQTT 5.0 properties.
    ///
    /// Errors as for `publish`, and for the properties: -15 on an MQTT 3.1.1 connection or in
    /// a build without 5.0, -8 more than [`MAX_USER_PROPERTIES`] user properties, -5 a string
    /// holding U+0000 or `payload_utf8` on a payload that is not UTF-8, -23 a control character
    /// or Unicode non-character in a string, -21 a wildcard (-6 empty) in the response topic,
    /// -24 a message that the properties make larger than the transmit buffer.
    pub fn publish_with(
        &self,
        topic: &str,
        msg: &[u8],
        options: &PublishOptions<'_>,
    ) -> Result<Mid, MqttError> {
        publish(topic, msg, options)
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

    /// Reconnects now, asking [`Callbacks::credentials`] for fresh credentials first: a live
    /// connection is closed cleanly (the will stays unpublished) and a new one opened at
    /// once; a client waiting for its next attempt, or stopped after a refusal, tries now.
    /// `on_connect` reports the new connection. For a token about to expire, say.
    ///
    /// Errors: -1 `connect` was never called.
    pub fn reconnect(&self) -> Result<(), MqttError> {
        reconnect()
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
            crate::log::warn!("client thread did not finish disconnecting in time");
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

/// [`MqttClient::reconnect`], for the layers above the client that hold no handle.
pub(crate) fn reconnect() -> Result<(), MqttError> {
    if !CONNECT_CALLED.load(core::sync::atomic::Ordering::Acquire) {
        return Err(MqttError::Failure);
    }
    with_engine(|e| e.reconnect(now())).ok_or(MqttError::Failure)?;
    wake();
    Ok(())
}

/// The client handle the callbacks get, for the layers above the client.
#[cfg(CONFIG_ZMQTT_AZURE)]
pub(crate) fn handle() -> &'static MqttClient {
    &HANDLE
}

pub(crate) fn publish(
    topic: &str,
    msg: &[u8],
    options: &PublishOptions<'_>,
) -> Result<Mid, MqttError> {
    let qos = qos(options.qos)?;
    if topic.len() > config::MAX_TOPIC_LEN {
        return Err(MqttError::TopicTooLong);
    }
    let message = Publish {
        retain: options.retain,
        ..Publish::new(topic, msg, qos)
    };
    #[cfg(feature = "v5")]
    let mut list = heapless::Vec::new();
    #[cfg(feature = "v5")]
    property_list(options, &mut list)?;
    #[cfg(feature = "v5")]
    let message = Publish {
        properties: Properties::List(&list),
        ..message
    };
    #[cfg(not(feature = "v5"))]
    if options.has_properties() {
        return Err(MqttError::BadMqttOption);
    }
    let mid = with_engine(|e| e.publish(now(), &message)).ok_or(MqttError::Failure)??;
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

/// Starts the client thread unless it runs already; whether it started it.
fn start_thread() -> bool {
    if THREAD_STARTED.swap(true, core::sync::atomic::Ordering::AcqRel) {
        return false;
    }
    let ready = client_thread();
    ready.set_priority(config::THREAD_PRIORITY);
    // Never joined: the thread outlives every client (see THREAD_STARTED).
    let _ = ready.start();
    true
}

#[zephyr::thread(stack_size = config::THREAD_STACK_SIZE)]
fn client_thread() {
    sys::thread_name_self();
    #[cfg(feature = "log-debug")]
    crate::log::init();
    WAKER.init();
    // The engine is built here, before `drive`'s frame (1,344 bytes on dl7450: the loop's
    // state) is on the stack: the two together took 3,944 bytes of it in samples/publisher.
    loop {
        install_pending();
        drive();
    }
}

/// Runs the I/O loop until `MqttClient::new` asks for a new engine (a client dropped and made
/// again; its link is closed by then).
#[inline(never)]
fn drive() {
    let mut buffers = lock(&BUFFERS);
    let Buffers { rx, tx, topic } = &mut *buffers;
    let mut callbacks = AppCallbacks {
        connected: false,
        login_retried: false,
        retrying: false,
    };
    let mut driver = Driver::new(EngineLock, BrokerConnector, &WAKER, Uptime, rx, tx, topic);
    while !ENGINE_PENDING.load(core::sync::atomic::Ordering::Acquire) {
        if driver.turn(&mut callbacks) {
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
        // Before the link opens, with no lock held: the provider may call the client.
        let mut sink = CredentialsSink { given: false };
        callbacks().credentials(&HANDLE, &mut sink);
        PROVIDED.store(sink.given, core::sync::atomic::Ordering::Relaxed);
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
        let link = Socket::connect(&url, security);
        let code = link.as_ref().err().map_or(0, |e| open_error_code(e).code());
        if let Err(e) = &link {
            e.log_open_failure(code);
        }
        LAST_OPEN_ERROR.store(code, core::sync::atomic::Ordering::Relaxed);
        link
    }
}

/// The application's callbacks, read from `CALLBACKS` as each one is due, and what
/// `on_connect` needs to tell a failed attempt from a lost connection.
struct AppCallbacks {
    /// The broker accepted the current connection (its loss is -27, not an attempt's failure).
    connected: bool,
    /// A refusal of provided credentials was retried; another refusal is final.
    login_retried: bool,
    /// The last CONNACK refused provided credentials and is being retried (not reported).
    retrying: bool,
}

/// CONNACK codes that refuse the credentials: 3.1.1 "bad user name or password" and "not
/// authorised", 5.0 0x86 and 0x87.
fn refuses_credentials(rc: u8) -> bool {
    matches!(rc, 4 | 5 | 0x86 | 0x87)
}

/// Whether the credentials of the current attempt came from the provider. Written and read
/// by the client thread only.
static PROVIDED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Why the connector's last attempt failed (an [`MqttError`] number), for `on_connect`; 0
/// when it opened a link. Written and read by the client thread only.
static LAST_OPEN_ERROR: core::sync::atomic::AtomicI32 = core::sync::atomic::AtomicI32::new(0);

/// The `on_connect` number for a failure to open the link.
fn open_error_code(e: &Error) -> MqttError {
    match e {
        Error::Dns | Error::HostTooLong => MqttError::DnsFailed,
        Error::TlsHandshake => MqttError::TlsHandshakeFailed,
        Error::Socket(_) => MqttError::ConnectFailed,
        // The server at the URL would not (or could not) switch to MQTT over WebSocket: a
        // connection that could not be made, like a refused TCP connect.
        #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
        Error::WebSocketUpgrade => MqttError::ConnectFailed,
        e => MqttError::from(*e),
    }
}

impl AppCallbacks {
    /// The negative `on_connect` number for a connection that ended with `reason`, or `None`
    /// when `on_connect` has nothing to report: a refusal (reported with its CONNACK code) or
    /// the application's own `disconnect`.
    fn lost_code(&mut self, reason: DisconnectReason) -> Option<MqttError> {
        let was_connected = core::mem::replace(&mut self.connected, false);
        let open_error = LAST_OPEN_ERROR.swap(0, core::sync::atomic::Ordering::Relaxed);
        Some(match reason {
            DisconnectReason::Local
            | DisconnectReason::Refused(_)
            | DisconnectReason::Reconnect => return None,
            _ if was_connected => MqttError::ConnectionLost,
            DisconnectReason::ConnectTimeout => MqttError::ConnectTimeout,
            _ => MqttError::from_code(open_error).unwrap_or(MqttError::ConnectFailed),
        })
    }
}

impl Handler for AppCallbacks {
    fn on_connect(&mut self, rc: u8, session_present: bool) {
        self.connected = rc == 0;
        if rc == 0 {
            self.login_retried = false;
        }
        self.retrying = refuses_credentials(rc)
            && !self.login_retried
            && PROVIDED.load(core::sync::atomic::Ordering::Relaxed);
        if self.retrying {
            crate::log::warn!(
                "broker refused the provided credentials (%d); asking again, once",
                rc
            );
            return;
        }
        callbacks().on_connect(&HANDLE, i32::from(rc), ConnectFlags { session_present });
    }

    fn on_message(&mut self, msg: &Message<'_>) {
        callbacks().on_message(&HANDLE, msg);
    }

    fn on_subscribe(&mut self, mid: PacketId, granted: &[ReasonCode]) {
        let mut codes = heapless::Vec::<u8, MAX_FILTERS>::new();
        for g in granted {
            let _ = codes.push(g.0);
        }
        callbacks().on_subscribe(&HANDLE, mid.get(), &codes);
    }

    fn on_unsubscribe(&mut self, mid: PacketId) {
        callbacks().on_unsubscribe(&HANDLE, mid.get());
    }

    fn on_publish(&mut self, mid: PacketId) {
        callbacks().on_publish(&HANDLE, mid.get());
    }

    fn on_publish_failed(&mut self, mid: PacketId, reason: Failure) {
        crate::log::error!(
            "message %u will not be delivered: error %d",
            mid.get(),
            reason.code()
        );
        callbacks().on_publish_failed(&HANDLE, mid.get(), reason.code());
    }

    fn on_disconnect(&mut self, reason: DisconnectReason, reconnect_in: Option<zmqtt::Duration>) {
        // The engine logged the reason already.
        if let Some(d) = reconnect_in {
            crate::log::info!("reconnecting in %u s", d.secs());
        }
        if core::mem::take(&mut self.retrying) {
            // The engine stopped (a permanent refusal): one more attempt, with the provider
            // asked again by the connector.
            self.login_retried = true;
            with_engine(|e| e.reconnect(now()));
            return;
        }
        if let Some(code) = self.lost_code(reason) {
            callbacks().on_connect(&HANDLE, code.code(), ConnectFlags::default());
        }
    }
}
