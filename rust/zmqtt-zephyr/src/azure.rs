//! Azure IoT Hub on the client (`CONFIG_ZMQTT_AZURE`): the `zmqtt-azure` crate wired to
//! [`MqttClient`].
//!
//! ```ignore
//! use zmqtt_zephyr::azure::{self, AzureHandlers, AzureHub, Device};
//!
//! struct App;
//! impl AzureHandlers for App {
//!     fn on_desired(&self, hub: &AzureHub, version: u64, patch: &[u8]) {
//!         let _ = hub.report(b"{\"led\":true}");
//!     }
//! }
//! static APP: App = App;
//!
//! azure::set_unix_time(unix_secs_from_sntp);
//! let device = Device { hub_host: "myhub.azure-devices.net", device_id: "dock-1",
//!                       module_id: None, key: "base64 primary key" };
//! let hub = AzureHub::start("mqtts://myhub.azure-devices.net:8883", &device, &APP,
//!                           &ConnectOptions { trust_store: Some(ca), ..ConnectOptions::new() })?;
//! hub.send_telemetry(&[("alert", Some("1"))], b"{\"t\":21.5}")?;
//! ```
//!
//! What the layer does on its own:
//! * **Credentials.** Client id `{device}[/{module}]`, user name
//!   `{hub}/{device}[/{module}]/?api-version=2021-04-12`, and as password a SAS token signed
//!   with the device key, made afresh by the client's credentials provider before every
//!   connection attempt, valid for `CONFIG_ZMQTT_AZURE_TOKEN_LIFETIME_SEC`.
//! * **Renewal.** At `CONFIG_ZMQTT_AZURE_RENEW_PERMILLE` of the token's lifetime a timer
//!   thread calls [`MqttClient::reconnect`]: the hub would close the connection at expiry.
//! * **Profile.** MQTT 3.1.1, keep-alive clamped to 1..=1177 s, everything published at QoS 1
//!   or 0 and never retained. After the first accepted connect it subscribes to twin answers,
//!   desired patches, methods and cloud-to-device messages (the client restores them on every
//!   reconnect the hub gives no session for); after *every* accepted connect it GETs the twin,
//!   since desired patches made while offline are never sent.
//! * **Requests.** Twin GET and PATCH carry a `$rid`; their answers (or, after
//!   `CONFIG_ZMQTT_AZURE_REQUEST_TIMEOUT_MS` or a lost connection, status 0) reach
//!   [`AzureHandlers::on_twin`] and [`AzureHandlers::on_reported`].
//!
//! **The clock.** A SAS token's expiry is Unix time, and Zephyr has no wall clock unless
//! something sets one (SNTP, an RTC): the layer does not guess. The application calls
//! [`set_unix_time`] once it knows the time (again whenever it learns better); the layer adds
//! the uptime since. Without it [`AzureHub::start`] fails with -1.
//!
//! Locking: the layer's state has its own mutex, taken before the client's and never held
//! while an application handler runs, so handlers may call any [`AzureHub`] method.
use core::fmt::Write as _;

use zephyr::sync::{Mutex, MutexGuard};
use zephyr::sys::sync::Semaphore;
use zephyr::time::{Duration as ZDuration, Forever};
use zmqtt::client::Message;
use zmqtt::{Duration, Instant, MqttError};
use zmqtt_azure::identity::DeviceIdentity;
use zmqtt_azure::method_dispatch::UNKNOWN_METHOD_PAYLOAD;
use zmqtt_azure::profile::AzureProfile;
use zmqtt_azure::{
    dispatch_method, write_sas_token, Expired, Incoming, MethodHandler, MethodRequest,
    PendingRequests, PropertiesToSend, RenewalPolicy, RequestKind, RustCrypto, TelemetryTopic,
    TokenRenewal, TwinGetTopic, TwinReportTopic,
};

use crate::client::{self, Callbacks, ConnectFlags, ConnectOptions, CredentialsSink, MqttClient};
use crate::{config, sys};

pub use zmqtt_azure::{MethodResult, Property, PropertyBag};

/// Publishes as the Azure profile wants: at `qos` (0 or 1), never retained (IoT Hub refuses
/// retain), no 5.0 properties (IoT Hub speaks 3.1.1 here).
fn publish(topic: &str, payload: &[u8], qos: u8) -> Result<client::Mid, MqttError> {
    let options = client::PublishOptions {
        qos,
        ..client::PublishOptions::default()
    };
    client::publish(topic, payload, &options)
}

/// Longest hub host name (bytes): a DNS name.
pub const MAX_HUB_HOST_LEN: usize = 253;
/// Longest device id and module id (bytes): IoT Hub's own limit.
pub const MAX_ID_LEN: usize = 128;
/// Longest device key, in base64 characters (a 128-byte key).
pub const MAX_KEY_LEN: usize = zmqtt_azure::sas::MAX_KEY_LEN.div_ceil(3) * 4;

/// Who the device is to its hub, given to [`AzureHub::start`] (copied into the layer).
#[derive(Debug, Clone, Copy)]
pub struct Device<'a> {
    /// The hub's host name, e.g. `myhub.azure-devices.net` (as the user name and token name it,
    /// whatever URL the client connects to).
    pub hub_host: &'a str,
    /// The device id.
    pub device_id: &'a str,
    /// The module id, for a module identity.
    pub module_id: Option<&'a str>,
    /// The device's (or module's) primary or secondary key, base64 as the portal shows it.
    pub key: &'a str,
}

/// The application's side of the Azure device: every method has an empty default (an unknown
/// method is answered 404). They run one at a time, on the client thread, except that a twin
/// request's timeout is reported from the layer's timer thread.
pub trait AzureHandlers: Sync {
    /// Every outcome of every connection attempt, as [`Callbacks::on_connect`] reports it (0:
    /// accepted; the layer has then subscribed and asked for the twin).
    fn on_connect(&self, hub: &AzureHub, rc: i32) {
        let _ = (hub, rc);
    }

    /// The answer to a twin GET: status 200 and the whole twin JSON (`{"desired":…,
    /// "reported":…}`), another status and an empty body, or 0 when no answer came (timeout or
    /// lost connection; the next connect asks again).
    fn on_twin(&self, hub: &AzureHub, status: u16, twin: &[u8]) {
        let _ = (hub, status, twin);
    }

    /// A desired-properties patch (JSON) that brought the desired properties to `version`.
    fn on_desired(&self, hub: &AzureHub, version: u64, patch: &[u8]) {
        let _ = (hub, version, patch);
    }

    /// The answer to the [`AzureHub::report`] that returned `rid`: 204 and the reported
    /// properties' new version, another status, or 0 when no answer came.
    fn on_reported(&self, hub: &AzureHub, rid: u32, status: u16, version: Option<u64>) {
        let _ = (hub, rid, status, version);
    }

    /// A direct method call: write the JSON reply into `reply` and return its status and
    /// length. The default answers 404 `{"error":"unknown method"}`.
    fn on_method(
        &self,
        hub: &AzureHub,
        name: &str,
        payload: &[u8],
        reply: &mut [u8],
    ) -> MethodResult {
        let _ = (hub, name, payload);
        match reply.get_mut(..UNKNOWN_METHOD_PAYLOAD.len()) {
            Some(room) => {
                room.copy_from_slice(UNKNOWN_METHOD_PAYLOAD);
                MethodResult {
                    status: 404,
                    payload_len: UNKNOWN_METHOD_PAYLOAD.len(),
                }
            }
            None => MethodResult {
                status: 404,
                payload_len: 0,
            },
        }
    }

    /// A cloud-to-device message with its properties (system ones such as `$.mid` and the
    /// sender's; still URL-encoded, see [`Property::decode_value`]).
    fn on_c2d(&self, hub: &AzureHub, properties: PropertyBag<'_>, payload: &[u8]) {
        let _ = (hub, properties, payload);
    }

    /// A message on none of the Azure topics (or one whose topic did not parse).
    fn on_other_message(&self, hub: &AzureHub, message: &Message<'_>) {
        let _ = (hub, message);
    }
}

struct NoHandlers;

impl AzureHandlers for NoHandlers {}

/// The identity's texts, owned by the layer: the credentials provider reads them on every
/// connect.
struct Identity {
    hub_host: heapless::String<MAX_HUB_HOST_LEN>,
    device_id: heapless::String<MAX_ID_LEN>,
    module_id: Option<heapless::String<MAX_ID_LEN>>,
    key: heapless::String<MAX_KEY_LEN>,
}

impl Identity {
    fn device(&self) -> DeviceIdentity<'_> {
        DeviceIdentity {
            hub_host: &self.hub_host,
            device_id: &self.device_id,
            module_id: self.module_id.as_deref(),
        }
    }
}

/// The layer's state but the identity. Not zeros (the table's empty slots, the handlers'
/// pointer), so it sits in `.data` with its initial image in flash: keep it small.
struct State {
    handlers: &'static dyn AzureHandlers,
    pending: PendingRequests<{ config::AZURE_MAX_PENDING }>,
    /// Set by [`AzureHub::start`].
    renewal: Option<TokenRenewal>,
    /// Unix time at boot, in ms: set by [`set_unix_time`].
    unix_at_boot_ms: Option<u64>,
    /// The four subscriptions were made (the client restores them after that).
    subscribed: bool,
}

/// The identity's texts, apart from [`STATE`]: all zeros until `start`, so in `.bss` (in
/// `STATE` they would put 600 bytes of zeros into flash). Locked after `STATE` when both are.
static IDENTITY: Mutex<Identity> = Mutex::new(Identity {
    hub_host: heapless::String::new(),
    device_id: heapless::String::new(),
    module_id: None,
    key: heapless::String::new(),
});

static STATE: Mutex<State> = Mutex::new(State {
    handlers: &NoHandlers,
    pending: PendingRequests::new(),
    renewal: None,
    unix_at_boot_ms: None,
    subscribed: false,
});

/// The method reply buffer, in static RAM rather than on the client thread's stack.
static REPLY: Mutex<[u8; config::AZURE_METHOD_REPLY_SIZE]> =
    Mutex::new([0; config::AZURE_METHOD_REPLY_SIZE]);

/// Given whenever a deadline changes, so the timer thread computes its wait again.
static TIMER_WAKE: Semaphore = Semaphore::new(0, 1);

static HUB: AzureHub = AzureHub { _private: () };

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|never| match never {})
}

fn identity() -> MutexGuard<'static, Identity> {
    IDENTITY.lock().unwrap_or_else(|never| match never {})
}

fn now() -> Instant {
    Instant::from_millis(sys::uptime_ms())
}

/// Sets the wall clock: `unix_secs` is the Unix time now (from SNTP, an RTC, the
/// application's backend …). The layer keeps it as an offset from the uptime, so call it once
/// and again only when the time is learnt better. Needed before [`AzureHub::start`]: SAS
/// tokens expire at a Unix time, which the hub checks.
pub fn set_unix_time(unix_secs: u64) {
    let boot = unix_secs
        .saturating_mul(1000)
        .saturating_sub(sys::uptime_ms());
    state().unix_at_boot_ms = Some(boot);
}

/// The Unix time now, in seconds, if [`set_unix_time`] was called.
pub fn unix_time() -> Option<u64> {
    state()
        .unix_at_boot_ms
        .map(|boot| (boot + sys::uptime_ms()) / 1000)
}

/// The Azure IoT Hub device: one per build, running for the life of the firmware.
pub struct AzureHub {
    _private: (),
}

impl AzureHub {
    /// Creates the client for `broker_url` (`mqtts://{hub host}:8883` for a real hub) as
    /// `device`, and connects with `options` (trust store, keep-alive, session): the layer
    /// replaces its credentials, protocol (3.1.1) and keep-alive (clamped to 1..=1177 s).
    ///
    /// Errors: -1 no [`set_unix_time`] yet, or a hub already started; -8 an identity or key
    /// longer than [`MAX_HUB_HOST_LEN`], [`MAX_ID_LEN`] or [`MAX_KEY_LEN`]; -6 an empty one;
    /// those of [`MqttClient::new`] and [`MqttClient::connect`].
    pub fn start(
        broker_url: &str,
        device: &Device<'_>,
        handlers: &'static dyn AzureHandlers,
        options: &ConnectOptions<'_>,
    ) -> Result<&'static AzureHub, MqttError> {
        if device.hub_host.is_empty() || device.device_id.is_empty() || device.key.is_empty() {
            return Err(MqttError::NullParameter);
        }
        let mut client_id = heapless::String::<{ MAX_ID_LEN * 2 + 1 }>::new();
        {
            let mut guard = state();
            let s = &mut *guard;
            if s.unix_at_boot_ms.is_none() || s.renewal.is_some() {
                return Err(MqttError::Failure);
            }
            let too_long = |_| MqttError::BadStructure;
            let mut id = identity();
            id.hub_host.clear();
            id.hub_host.push_str(device.hub_host).map_err(too_long)?;
            id.device_id.clear();
            id.device_id.push_str(device.device_id).map_err(too_long)?;
            id.module_id = match device.module_id {
                Some(m) => Some(heapless::String::try_from(m).map_err(too_long)?),
                None => None,
            };
            id.key.clear();
            id.key.push_str(device.key.trim()).map_err(too_long)?;
            write!(client_id, "{}", id.device().client_id())
                .map_err(|_| MqttError::BadStructure)?;
            let policy = RenewalPolicy::from_permille(config::AZURE_RENEW_PERMILLE)
                .map_err(|_| MqttError::BadStructure)?;
            s.renewal = Some(
                TokenRenewal::new(
                    policy,
                    Duration::from_secs(config::AZURE_TOKEN_LIFETIME_SEC),
                )
                .map_err(|_| MqttError::BadStructure)?,
            );
            s.handlers = handlers;
            s.subscribed = false;
        }
        let client = MqttClient::new(broker_url, &client_id).inspect_err(|_| {
            state().renewal = None;
        })?;
        let keep_alive =
            AzureProfile::clamp_keep_alive(options.keep_alive.unwrap_or(config::KEEPALIVE_SEC));
        let options = ConnectOptions {
            keep_alive: Some(keep_alive),
            username: None,
            password: None,
            protocol: client::Protocol::V3_1_1,
            will_retain: false,
            will_qos: options.will_qos.min(1),
            ..*options
        };
        start_timer_thread();
        client.connect(&AzureCallbacks, &options).inspect_err(|_| {
            state().renewal = None;
        })?;
        // The device runs for the life of the firmware: its client is never dropped (which
        // would disconnect it); callbacks and this handle reach it as `client::handle()`.
        core::mem::forget(client);
        Ok(&HUB)
    }

    /// The MQTT client underneath, for what this layer does not cover (`is_connected`,
    /// `pending`, subscriptions of one's own …).
    pub fn client(&self) -> &'static MqttClient {
        client::handle()
    }

    /// Sends telemetry: `payload` to `devices/{device}[/modules/{module}]/messages/events/`
    /// with the `properties` (name, optional value; URL-encoded here) at QoS 1, never
    /// retained; returns its mid. While offline it waits in the client's queue. The layer does
    /// not report deliveries ([`MqttClient::pending`] counts what is left). Errors as for
    /// [`MqttClient::publish`], and -20 when the topic with its properties is longer than
    /// `CONFIG_ZMQTT_MAX_TOPIC_LEN`.
    pub fn send_telemetry(
        &self,
        properties: &[(&str, Option<&str>)],
        payload: &[u8],
    ) -> Result<u16, MqttError> {
        let mut topic = heapless::String::<{ config::MAX_TOPIC_LEN }>::new();
        {
            let id = identity();
            let device = id.device();
            write!(
                topic,
                "{}",
                TelemetryTopic {
                    device_id: device.device_id,
                    module_id: device.module_id,
                    properties: PropertiesToSend(properties),
                }
            )
            .map_err(|_| MqttError::TopicTooLong)?;
        }
        publish(&topic, payload, 1)
    }

    /// Reports properties: publishes the JSON patch `reported` to the twin and returns the
    /// `$rid` that [`AzureHandlers::on_reported`] will name. Errors: -12 already
    /// `CONFIG_ZMQTT_AZURE_MAX_PENDING` requests waiting, -3 not connected (the hub answers on
    /// the connection a request came in on, so none is queued), those of
    /// [`MqttClient::publish`].
    pub fn report(&self, reported: &[u8]) -> Result<u32, MqttError> {
        request(RequestKind::TwinPatch, reported)
    }

    /// Asks for the whole twin (the layer does after every connect); the answer reaches
    /// [`AzureHandlers::on_twin`]. Errors as for [`report`](Self::report).
    pub fn get_twin(&self) -> Result<u32, MqttError> {
        request(RequestKind::TwinGet, b"")
    }
}

/// Publishes a twin request of `kind` with a fresh `$rid`, at QoS 0: its answer is the
/// acknowledgement, and a QoS 1 copy resent on a new connection would be answered there,
/// after its `$rid` was given up.
fn request(kind: RequestKind, payload: &[u8]) -> Result<u32, MqttError> {
    if !client::handle().is_connected() {
        return Err(MqttError::Disconnected);
    }
    let mut s = state();
    let timeout = Duration::from_millis(config::AZURE_REQUEST_TIMEOUT_MS);
    let rid = s
        .pending
        .start(kind, now(), timeout)
        .map_err(|_| MqttError::MaxBufferedMessages)?;
    let mut topic = heapless::String::<64>::new();
    let written = match kind {
        RequestKind::TwinGet => write!(topic, "{}", TwinGetTopic { rid }),
        _ => write!(topic, "{}", TwinReportTopic { rid }),
    };
    let sent = written
        .map_err(|_| MqttError::TopicTooLong)
        .and_then(|()| publish(&topic, payload, 0));
    if let Err(e) = sent {
        // Give the `$rid` up again: nothing will answer it.
        let mut text = heapless::String::<10>::new();
        let _ = write!(text, "{rid}");
        let _ = s.pending.complete(&text, 0);
        return Err(e);
    }
    drop(s);
    TIMER_WAKE.give();
    Ok(rid)
}

/// Reports a request that got no answer to its handler, with status 0.
fn report_expired(handlers: &dyn AzureHandlers, expired: Expired) {
    log::warn!("azure: request $rid={} got no answer", expired.rid);
    match expired.kind {
        RequestKind::TwinGet => handlers.on_twin(&HUB, 0, b""),
        _ => handlers.on_reported(&HUB, expired.rid, 0, None),
    }
}

/// The client's callbacks: the layer's work, then the application's handlers.
struct AzureCallbacks;

impl Callbacks for AzureCallbacks {
    fn credentials(&self, _client: &MqttClient, sink: &mut CredentialsSink) {
        let mut user_name = heapless::String::<{ config::MAX_USERNAME_LEN }>::new();
        let mut password = heapless::String::<{ config::MAX_PASSWORD_LEN }>::new();
        {
            let mut guard = state();
            let s = &mut *guard;
            let (Some(boot), Some(renewal)) = (s.unix_at_boot_ms, s.renewal.as_mut()) else {
                return;
            };
            let uptime = sys::uptime_ms();
            let expiry = renewal.expiry_unix_secs((boot + uptime) / 1000);
            let id = identity();
            let device = id.device();
            if write!(user_name, "{}", device.user_name()).is_err() {
                log::error!("azure: user name longer than CONFIG_ZMQTT_MAX_USERNAME_LEN");
                return;
            }
            if let Err(e) = write_sas_token::<RustCrypto, _>(
                &mut password,
                &device.sas_resource(),
                &id.key,
                expiry,
            ) {
                // BufferTooSmall: CONFIG_ZMQTT_MAX_PASSWORD_LEN is too small for the token.
                log::error!("azure: no SAS token: {e}");
                return;
            }
            renewal.token_issued(Instant::from_millis(uptime));
        }
        if let Err(e) = sink.set(&user_name, password.as_bytes()) {
            log::error!("azure: credentials refused by the client: {}", e.code());
        }
        TIMER_WAKE.give();
    }

    fn on_connect(&self, client: &MqttClient, rc: i32, _flags: ConnectFlags) {
        let handlers = state().handlers;
        // Answers to requests sent on an earlier connection never come (a renewal's
        // reconnect is not reported as a loss, so this is also the place for those).
        loop {
            let expired = state().pending.cancel_all();
            match expired {
                Some(expired) => report_expired(handlers, expired),
                None => break,
            }
        }
        if rc == 0 {
            let first = !core::mem::replace(&mut state().subscribed, true);
            if first {
                subscribe_all(client);
            }
            if let Err(e) = HUB.get_twin() {
                log::error!("azure: twin GET failed: {}", e.code());
            }
        }
        handlers.on_connect(&HUB, rc);
    }

    fn on_message(&self, _client: &MqttClient, message: &Message<'_>) {
        let handlers = state().handlers;
        match Incoming::parse(message.topic) {
            Ok(Incoming::TwinResponse(answer)) => {
                let done = state().pending.complete(answer.rid, answer.status);
                match done {
                    Ok(done) if done.kind == RequestKind::TwinGet => {
                        handlers.on_twin(&HUB, answer.status, message.payload)
                    }
                    Ok(done) => handlers.on_reported(&HUB, done.rid, answer.status, answer.version),
                    Err(_) => log::warn!("azure: twin answer for unknown $rid {}", answer.rid),
                }
            }
            Ok(Incoming::DesiredPatch(patch)) => {
                handlers.on_desired(&HUB, patch.version, message.payload)
            }
            Ok(Incoming::MethodRequest(_)) => answer_method(handlers, message),
            Ok(Incoming::CloudToDevice(c2d)) => {
                handlers.on_c2d(&HUB, c2d.properties, message.payload)
            }
            _ => handlers.on_other_message(&HUB, message),
        }
    }
}

/// Subscribes to twin answers, desired patches, methods and cloud-to-device messages, at QoS
/// 1 (the hub grants no more).
fn subscribe_all(client: &MqttClient) {
    let mut filters = heapless::Vec::<heapless::String<{ MAX_ID_LEN + 40 }>, 4>::new();
    {
        let id = identity();
        let profile = AzureProfile::new(id.device(), 0);
        for subscription in profile.subscriptions() {
            let mut filter = heapless::String::new();
            let _ = write!(filter, "{subscription}");
            let _ = filters.push(filter);
        }
    }
    let mut topics = heapless::Vec::<(&str, u8), 4>::new();
    for filter in &filters {
        let _ = topics.push((filter.as_str(), 1));
    }
    if let Err(e) = client.subscribe(&topics) {
        log::error!("azure: subscribe failed: {}", e.code());
    }
}

/// Runs the method's handler and publishes its reply (QoS 0: the caller is waiting for it).
fn answer_method(handlers: &'static dyn AzureHandlers, message: &Message<'_>) {
    let mut reply = REPLY.lock().unwrap_or_else(|never| match never {});
    let Ok(request) = MethodRequest::parse(message.topic) else {
        return;
    };
    // One handler, named as the request: the application's `on_method` sees every name.
    let mut call =
        |payload: &[u8], out: &mut [u8]| handlers.on_method(&HUB, request.name, payload, out);
    let handler: MethodHandler<'_> = &mut call;
    let answer = match dispatch_method(
        message.topic,
        message.payload,
        &mut reply[..],
        &mut [(request.name, handler)],
    ) {
        Ok(answer) => answer,
        Err(_) => return,
    };
    let mut topic = heapless::String::<{ config::MAX_TOPIC_LEN }>::new();
    if write!(topic, "{}", answer.topic).is_err() {
        log::error!("azure: method reply topic too long");
        return;
    }
    if let Err(e) = publish(&topic, &reply[..answer.payload_len], 0) {
        log::error!("azure: method reply not sent: {}", e.code());
    }
}

fn start_timer_thread() {
    static STARTED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
    if !STARTED.swap(true, core::sync::atomic::Ordering::AcqRel) {
        let ready = timer_thread();
        ready.set_priority(config::THREAD_PRIORITY);
        let _ = ready.start();
    }
}

/// Waits for the token renewal time and the twin request deadlines, whichever is first.
#[zephyr::thread(stack_size = config::AZURE_THREAD_STACK_SIZE)]
fn timer_thread() {
    loop {
        let now = now();
        let (renew, expired, deadline, handlers) = {
            let mut s = state();
            let renew = s.renewal.as_mut().is_some_and(|r| r.handle_timeout(now));
            let expired = s.pending.handle_timeout(now);
            let deadline = [
                s.renewal.as_ref().and_then(TokenRenewal::poll_timeout),
                s.pending.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            (renew, expired, deadline, s.handlers)
        };
        if renew {
            log::info!("azure: renewing the SAS token");
            if let Err(e) = client::reconnect() {
                log::error!("azure: reconnect failed: {}", e.code());
            }
        }
        if let Some(expired) = expired {
            report_expired(handlers, expired);
            continue;
        }
        if renew {
            continue;
        }
        let _ = match deadline {
            Some(at) => {
                let ms = at.saturating_duration_since(now).total_millis();
                TIMER_WAKE.take(ZDuration::millis_at_least(ms.max(1)))
            }
            None => TIMER_WAKE.take(Forever),
        };
    }
}
