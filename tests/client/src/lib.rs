//! Test firmware for tests/client/pytest: a client whose behaviour the host observes.
//!
//! - connects with a will (`<id>/status` = "offline", QoS 1) and a short keep-alive;
//! - on every accepted connection subscribes to `<id>/in/#` at QoS 2;
//! - echoes `<id>/in/echo/<q>` to `<id>/out/<q>` at QoS `<q>`;
//! - publishes a counter to `<id>/tick` at QoS 1 every `APP_TICK_MS`, connected or not
//!   (offline, the messages wait in the queue);
//! - subscribes to the filter sent to `<id>/in/sub` at QoS 1 and prints the outcome;
//! - publishes what is sent to `<id>/in/retain` to `<id>/out/retained`, retained, at QoS 1;
//! - unsubscribes from the filter sent to `<id>/in/unsub`; reconnects on `<id>/in/reconnect`;
//! - prints the stack use of the main and client threads on `<id>/in/stack`;
//! - with `APP_MQTT5`: connects with MQTT 5.0, prints each message's properties, and
//!   publishes what is sent to `<id>/in/props` to `<id>/out/props` with every publish property;
//! - prints each callback as one line the tests match (`on_connect rc=.. session=..` for every
//!   outcome, and for each message a second line with its QoS, retain and dup flags), and at
//!   each connection what the kernel reports of the client thread (and TLS credentials): see
//!   src/probe.c.
//!
//! The callbacks are the methods of `App`, which counts the connections it saw: state of the
//! application's own, reached through `self`, and the client comes as an argument (no static
//! holding the client). The client id, will topic and credentials are built at run time and
//! dropped after `new`/`connect`, which copy them.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};

use zephyr::kconfig::{
    CONFIG_APP_BROKER_HOST, CONFIG_APP_BROKER_PORT, CONFIG_APP_CLIENT_ID, CONFIG_APP_KEEPALIVE_SEC,
    CONFIG_APP_PASSWORD, CONFIG_APP_TICK_MS, CONFIG_APP_USERNAME, CONFIG_ZMQTT_MAX_PASSWORD_LEN,
};
use zephyr::printkln;
use zephyr::time::{sleep, Duration};
use zmqtt_zephyr::{
    error_description, Callbacks, ConnectFlags, ConnectOptions, CredentialsSink, Message,
    MqttClient, Protocol, PublishOptions,
};

extern "C" {
    /// Prints the client thread's priority and stack size as the kernel has them.
    fn app_probe_client_thread();
    /// Prints the size and the never-used bytes of the main and client threads' stacks.
    fn app_probe_stacks();
    /// Prints which credentials the credential store holds under `tag`.
    #[cfg(CONFIG_ZMQTT_TLS)]
    fn app_probe_sec_tag(tag: core::ffi::c_int);
}

fn topic(suffix: &str) -> heapless::String<96> {
    let mut t = heapless::String::new();
    let _ = t.push_str(CONFIG_APP_CLIENT_ID);
    let _ = t.push_str(suffix);
    t
}

fn report(what: &str, result: Result<u16, zmqtt_zephyr::MqttError>) {
    match result {
        Ok(mid) => printkln!("zmqtt-test: {what} mid={mid}"),
        Err(e) => printkln!(
            "zmqtt-test: {what} error={} ({})",
            e.code(),
            error_description(e.code())
        ),
    }
}

/// The application: its callbacks and its state.
struct App {
    /// Connections the broker accepted so far.
    accepted: AtomicU32,
    /// Calls of the credentials provider so far.
    credential_calls: AtomicU32,
}

static APP: App = App {
    accepted: AtomicU32::new(0),
    credential_calls: AtomicU32::new(0),
};

impl Callbacks for App {
    fn on_connect(&self, client: &MqttClient, rc: i32, flags: ConnectFlags) {
        let text = match rc {
            0 => "accepted",
            1.. => "refused by the broker",
            _ => error_description(rc),
        };
        printkln!(
            "zmqtt-test: on_connect rc={rc} session={} ({text})",
            u8::from(flags.session_present)
        );
        if rc != 0 {
            return;
        }
        let n = self.accepted.fetch_add(1, Ordering::Relaxed) + 1;
        printkln!("zmqtt-test: connections accepted={n}");
        // SAFETY: C functions without arguments (or a plain integer) that only read and print.
        unsafe {
            app_probe_client_thread();
            #[cfg(CONFIG_ZMQTT_TLS)]
            app_probe_sec_tag(zephyr::kconfig::CONFIG_ZMQTT_TLS_SEC_TAG_BASE as core::ffi::c_int);
        }
        report(
            "subscribe",
            client.subscribe(&[(topic("/in/#").as_str(), 2)]),
        );
    }

    fn on_subscribe(&self, _client: &MqttClient, mid: u16, granted: &[u8]) {
        printkln!("zmqtt-test: on_subscribe mid={mid} granted={granted:?}");
    }

    fn on_unsubscribe(&self, _client: &MqttClient, mid: u16) {
        printkln!("zmqtt-test: on_unsubscribe mid={mid}");
    }

    fn on_message(&self, client: &MqttClient, message: &Message<'_>) {
        let (topic_name, payload) = (message.topic, message.payload);
        let text = core::str::from_utf8(payload).unwrap_or("<binary>");
        if payload.len() <= 64 {
            printkln!("zmqtt-test: on_message topic={topic_name} payload={text}");
        } else {
            // Long lines get split on the console: the tests match the length instead.
            printkln!(
                "zmqtt-test: on_message topic={topic_name} payload=<{} bytes>",
                payload.len()
            );
        }
        printkln!(
            "zmqtt-test: message qos={} retain={} dup={}",
            message.qos as u8,
            u8::from(message.retain),
            u8::from(message.dup)
        );
        #[cfg(CONFIG_APP_MQTT5)]
        print_properties(message);
        if topic_name == topic("/in/props").as_str() {
            // Every 5.0 property a message may carry, for test_mqtt5.py's mosquitto_sub.
            let options = PublishOptions {
                qos: 1,
                message_expiry: Some(3600),
                content_type: Some("text/plain"),
                payload_utf8: true,
                response_topic: Some("zmqtt-test/replies"),
                correlation_data: Some(b"req-7"),
                user_properties: &[("site", "lab"), ("unit", "\u{b0}C")],
                ..PublishOptions::default()
            };
            let out = topic("/out/props");
            report("props", client.publish_with(&out, payload, &options));
            return;
        }
        if topic_name == topic("/in/sub").as_str() {
            report("subscribe", client.subscribe(&[(text, 1)]));
            return;
        }
        if topic_name == topic("/in/stack").as_str() {
            // SAFETY: a C function without arguments that only reads and prints.
            unsafe { app_probe_stacks() };
            return;
        }
        if topic_name == topic("/in/reconnect").as_str() {
            if let Err(e) = client.reconnect() {
                printkln!("zmqtt-test: reconnect error={}", e.code());
            }
            return;
        }
        if topic_name == topic("/in/retain").as_str() {
            let options = PublishOptions {
                qos: 1,
                retain: true,
                ..PublishOptions::default()
            };
            let retained = topic("/out/retained");
            report("retain", client.publish_with(&retained, payload, &options));
            return;
        }
        if topic_name == topic("/in/unsub").as_str() {
            report("unsubscribe", client.unsubscribe(&[text]));
            return;
        }
        let echo_prefix = topic("/in/echo/");
        if let Some(q) = topic_name.strip_prefix(echo_prefix.as_str()) {
            let qos = q.parse::<u8>().unwrap_or(0);
            let mut out = topic("/out/");
            let _ = out.push_str(q);
            report("echo", client.publish(out.as_str(), payload, qos));
        }
    }

    fn on_publish(&self, _client: &MqttClient, mid: u16) {
        printkln!("zmqtt-test: on_publish mid={mid}");
    }

    fn on_publish_failed(&self, _client: &MqttClient, mid: u16, code: i32) {
        printkln!("zmqtt-test: on_publish_failed mid={mid} code={code}");
    }

    fn credentials(&self, _client: &MqttClient, sink: &mut CredentialsSink) {
        if !cfg!(CONFIG_APP_CREDENTIALS_PROVIDER) {
            return;
        }
        let n = self.credential_calls.fetch_add(1, Ordering::Relaxed) + 1;
        printkln!("zmqtt-test: credentials call={n}");
        if n >= 3 {
            // Tokens the client must refuse (-8 too long, -23 a control character in the user
            // name) while keeping those of the call before.
            const TOO_LONG: [u8; CONFIG_ZMQTT_MAX_PASSWORD_LEN as usize + 1] =
                [b'x'; CONFIG_ZMQTT_MAX_PASSWORD_LEN as usize + 1];
            let refused = [
                (CONFIG_APP_USERNAME, &TOO_LONG[..]),
                ("bad\u{7}user", CONFIG_APP_PASSWORD.as_bytes()),
            ];
            for (user, password) in refused {
                if let Err(e) = sink.set(user, password) {
                    printkln!("zmqtt-test: credentials error={}", e.code());
                }
            }
            return;
        }
        let password = if n == 1 {
            "stale-token"
        } else {
            CONFIG_APP_PASSWORD
        };
        if let Err(e) = sink.set(CONFIG_APP_USERNAME, password.as_bytes()) {
            printkln!("zmqtt-test: credentials error={}", e.code());
        }
    }
}

/// One line per MQTT 5.0 property of `message`, in a fixed order, for test_mqtt5.py.
#[cfg(CONFIG_APP_MQTT5)]
fn print_properties(message: &Message<'_>) {
    let p = &message.properties;
    if let Some(v) = p.payload_format_indicator() {
        printkln!("zmqtt-test: property payload_format={v}");
    }
    if let Some(v) = p.message_expiry_interval() {
        printkln!("zmqtt-test: property expiry={v}");
    }
    if let Some(v) = p.content_type() {
        printkln!("zmqtt-test: property content_type={v}");
    }
    if let Some(v) = p.response_topic() {
        printkln!("zmqtt-test: property response_topic={v}");
    }
    if let Some(v) = p.correlation_data() {
        printkln!(
            "zmqtt-test: property correlation={}",
            core::str::from_utf8(v).unwrap_or("<binary>")
        );
    }
    for id in p.subscription_identifiers() {
        printkln!("zmqtt-test: property subscription_id={id}");
    }
    for (k, v) in p.user_properties() {
        printkln!("zmqtt-test: property user {k}={v}");
    }
    printkln!("zmqtt-test: properties end");
}

#[no_mangle]
extern "C" fn rust_main() {
    zmqtt_zephyr::log_init();
    let scheme = match (cfg!(CONFIG_APP_TLS), cfg!(CONFIG_APP_WEBSOCKET)) {
        (false, false) => "mqtt",
        (true, false) => "mqtts",
        (false, true) => "ws",
        (true, true) => "wss",
    };
    let mut url = heapless::String::<80>::new();
    let _ = core::fmt::write(
        &mut url,
        format_args!("{scheme}://{CONFIG_APP_BROKER_HOST}:{CONFIG_APP_BROKER_PORT}"),
    );
    printkln!("zmqtt-test: broker {url} client id {CONFIG_APP_CLIENT_ID}");
    // Built at run time and dropped after the calls, which copy them.
    let client_id = topic("");
    let will_topic = topic("/status");
    let client = match MqttClient::new(&url, &client_id) {
        Ok(c) => c,
        Err(e) => {
            printkln!("zmqtt-test: new error={}", e.code());
            return;
        }
    };
    drop(client_id);
    // What pytest/test_tls_extras.py expects to see offered (AWS IoT's name for MQTT on 443).
    #[cfg(CONFIG_ZMQTT_TLS_ALPN)]
    if let Err(e) = client.set_alpn(&[c"x-amzn-mqtt-ca", c"mqtt"]) {
        printkln!("zmqtt-test: set_alpn error={}", e.code());
    }

    let options = ConnectOptions {
        username: (!CONFIG_APP_USERNAME.is_empty()).then_some(CONFIG_APP_USERNAME),
        password: (!CONFIG_APP_PASSWORD.is_empty()).then_some(CONFIG_APP_PASSWORD.as_bytes()),
        keep_alive: u16::try_from(CONFIG_APP_KEEPALIVE_SEC).ok(),
        will_topic: Some(will_topic.as_str()),
        will_qos: 1,
        will_message: b"offline",
        protocol: if cfg!(CONFIG_APP_MQTT5) {
            Protocol::V5
        } else {
            Protocol::V3_1_1
        },
        ..ConnectOptions::new()
    };
    // PEM files as written, without a terminating NUL: `pem!` adds it.
    #[cfg(CONFIG_APP_TLS)]
    let options = ConnectOptions {
        trust_store: Some(zmqtt_zephyr::pem!(include_str!(concat!(
            env!("BUILD_DIR"),
            "/certs/ca.pem"
        )))),
        key_store: Some(zmqtt_zephyr::pem!(include_str!(concat!(
            env!("BUILD_DIR"),
            "/certs/client.pem"
        )))),
        private_key: Some(zmqtt_zephyr::pem!(include_str!(concat!(
            env!("BUILD_DIR"),
            "/certs/client.key"
        )))),
        ..options
    };
    if let Err(e) = client.connect(&APP, &options) {
        printkln!("zmqtt-test: connect error={}", e.code());
    }
    drop(will_topic);

    let mut n: u32 = 0;
    loop {
        sleep(Duration::millis_at_least(CONFIG_APP_TICK_MS as u64));
        n += 1;
        let mut payload = heapless::String::<16>::new();
        let _ = core::fmt::write(&mut payload, format_args!("{n}"));
        match client.publish(topic("/tick").as_str(), payload.as_bytes(), 1) {
            Ok(mid) => printkln!("zmqtt-test: tick {n} mid={mid}"),
            Err(e) => printkln!("zmqtt-test: tick {n} error={}", e.code()),
        }
    }
}
