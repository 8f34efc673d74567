//! Test firmware for tests/client/pytest: a client whose behaviour the host observes.
//!
//! - connects with a will (`<id>/status` = "offline", QoS 1) and a short keep-alive;
//! - on every accepted connection subscribes to `<id>/in/#` at QoS 2;
//! - echoes `<id>/in/echo/<q>` to `<id>/out/<q>` at QoS `<q>`;
//! - publishes a counter to `<id>/tick` at QoS 1 every `APP_TICK_MS`, connected or not
//!   (offline, the messages wait in the queue);
//! - subscribes to the filter sent to `<id>/in/sub` at QoS 1 and prints the outcome;
//! - prints each callback as one line the tests match, and at each connection what the
//!   kernel reports of the client thread (and TLS credentials): see src/probe.c.
#![no_std]

use zephyr::kconfig::{
    CONFIG_APP_BROKER_HOST, CONFIG_APP_BROKER_PORT, CONFIG_APP_CLIENT_ID, CONFIG_APP_KEEPALIVE_SEC,
    CONFIG_APP_PASSWORD, CONFIG_APP_TICK_MS, CONFIG_APP_USERNAME,
};
use zephyr::printkln;
use zephyr::sync::Mutex;
use zephyr::time::{sleep, Duration};
use zmqtt_zephyr::{error_description, ConnectOptions, MqttClient};

extern "C" {
    /// Prints the client thread's priority and stack size as the kernel has them.
    fn app_probe_client_thread();
    /// Prints which credentials the credential store holds under `tag`.
    #[cfg(CONFIG_ZMQTT_TLS)]
    fn app_probe_sec_tag(tag: core::ffi::c_int);
}

static CLIENT: Mutex<Option<MqttClient>> = Mutex::new(None);

fn with_client(f: impl FnOnce(&MqttClient)) {
    if let Some(client) = CLIENT
        .lock()
        .unwrap_or_else(|never| match never {})
        .as_ref()
    {
        f(client);
    }
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

fn on_connect(rc: i32) {
    printkln!("zmqtt-test: on_connect rc={rc}");
    // SAFETY: C functions without arguments (or a plain integer) that only read and print.
    unsafe {
        app_probe_client_thread();
        #[cfg(CONFIG_ZMQTT_TLS)]
        app_probe_sec_tag(zephyr::kconfig::CONFIG_ZMQTT_TLS_SEC_TAG_BASE as core::ffi::c_int);
    }
    if rc == 0 {
        with_client(|c| report("subscribe", c.subscribe(&[(topic("/in/#").as_str(), 2)])));
    }
}

fn on_subscribe(mid: u16, granted: &[u8]) {
    printkln!("zmqtt-test: on_subscribe mid={mid} granted={granted:?}");
}

fn on_message(topic_name: &str, payload: &[u8]) {
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
    if topic_name == topic("/in/sub").as_str() {
        with_client(|c| report("subscribe", c.subscribe(&[(text, 1)])));
        return;
    }
    let echo_prefix = topic("/in/echo/");
    if let Some(q) = topic_name.strip_prefix(echo_prefix.as_str()) {
        let qos = q.parse::<u8>().unwrap_or(0);
        let mut out = topic("/out/");
        let _ = out.push_str(q);
        with_client(|c| report("echo", c.publish(out.as_str(), payload, qos)));
    }
}

fn on_publish(mid: u16) {
    printkln!("zmqtt-test: on_publish mid={mid}");
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
    let client = match MqttClient::new(&url, CONFIG_APP_CLIENT_ID) {
        Ok(c) => c,
        Err(e) => {
            printkln!("zmqtt-test: new error={}", e.code());
            return;
        }
    };
    // What pytest/test_tls_extras.py expects to see offered (AWS IoT's name for MQTT on 443).
    #[cfg(CONFIG_ZMQTT_TLS_ALPN)]
    if let Err(e) = client.set_alpn(&[c"x-amzn-mqtt-ca", c"mqtt"]) {
        printkln!("zmqtt-test: set_alpn error={}", e.code());
    }
    client.on_message(on_message);
    client.on_subscribe(on_subscribe);
    client.on_publish(on_publish);
    *CLIENT.lock().unwrap_or_else(|never| match never {}) = Some(client);

    let options = ConnectOptions {
        username: (!CONFIG_APP_USERNAME.is_empty()).then_some(CONFIG_APP_USERNAME),
        password: (!CONFIG_APP_PASSWORD.is_empty()).then_some(CONFIG_APP_PASSWORD),
        keep_alive: u16::try_from(CONFIG_APP_KEEPALIVE_SEC).ok(),
        will_topic: Some(will_topic()),
        will_qos: 1,
        will_message: b"offline",
        ..ConnectOptions::new()
    };
    #[cfg(CONFIG_APP_TLS)]
    let options = ConnectOptions {
        trust_store: Some(include_bytes!(concat!(
            env!("BUILD_DIR"),
            "/certs/ca.pem.nul"
        ))),
        key_store: Some(include_bytes!(concat!(
            env!("BUILD_DIR"),
            "/certs/client.pem.nul"
        ))),
        private_key: Some(include_bytes!(concat!(
            env!("BUILD_DIR"),
            "/certs/client.key.nul"
        ))),
        ..options
    };
    with_client(|c| {
        if let Err(e) = c.connect(on_connect, &options) {
            printkln!("zmqtt-test: connect error={}", e.code());
        }
    });

    let mut n: u32 = 0;
    loop {
        sleep(Duration::millis_at_least(CONFIG_APP_TICK_MS as u64));
        n += 1;
        let mut payload = heapless::String::<16>::new();
        let _ = core::fmt::write(&mut payload, format_args!("{n}"));
        with_client(|c| {
            let result = c.publish(topic("/tick").as_str(), payload.as_bytes(), 1);
            match result {
                Ok(mid) => printkln!("zmqtt-test: tick {n} mid={mid}"),
                Err(e) => printkln!("zmqtt-test: tick {n} error={}", e.code()),
            }
        });
    }
}

/// `<id>/status`, as the `'static` string the will needs.
fn will_topic() -> &'static str {
    const fn concat_len() -> usize {
        CONFIG_APP_CLIENT_ID.len() + "/status".len()
    }
    static TOPIC: [u8; concat_len()] = {
        let mut out = [0u8; concat_len()];
        let id = CONFIG_APP_CLIENT_ID.as_bytes();
        let suffix = b"/status";
        let mut i = 0;
        while i < id.len() {
            out[i] = id[i];
            i += 1;
        }
        let mut j = 0;
        while j < suffix.len() {
            out[i + j] = suffix[j];
            j += 1;
        }
        out
    };
    core::str::from_utf8(&TOPIC).unwrap_or("zmqtt-test/status")
}
