//! The DL-7450 SDK's MQTT sample, ported to zmqtt on Zephyr (samples/publisher), and the
//! same over mqtts (samples/tls, which builds this file with `CONFIG_APP_TLS`).
//!
//! Connects; from `on_connect` subscribes to `<client id>/interesting/topic/#` at QoS 2;
//! when the subscription is acknowledged publishes "Hello, World! at <uptime>" at QoS 1
//! to `<client id>/interesting/topic/news`; 4 s after each received message publishes
//! again.
#![no_std]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use zephyr::kconfig::{CONFIG_APP_BROKER_HOST, CONFIG_APP_BROKER_PORT, CONFIG_APP_CLIENT_ID};
use zephyr::printkln;
use zephyr::sync::Mutex;
use zephyr::time::{sleep, Duration};
use zmqtt_zephyr::{config, error_description, ConnectOptions, MqttClient};

/// Whether a publish is scheduled, and at which uptime (ms, wrapping: Cortex-M3 has no
/// 64-bit atomics).
static SCHEDULED: AtomicBool = AtomicBool::new(false);
static PUBLISH_AT: AtomicU32 = AtomicU32::new(0);

/// The client, reachable from the callbacks.
static CLIENT: Mutex<Option<MqttClient>> = Mutex::new(None);

/// How long after a received message the sample publishes again.
const REPUBLISH_DELAY_MS: u32 = 4000;

fn uptime_ms() -> u32 {
    zmqtt_zephyr::uptime_ms() as u32
}

fn with_client(f: impl FnOnce(&MqttClient)) {
    if let Some(client) = CLIENT
        .lock()
        .unwrap_or_else(|never| match never {})
        .as_ref()
    {
        f(client);
    }
}

/// Builds "<client id>/interesting/topic/<leaf>".
fn topic(leaf: &str) -> heapless::String<128> {
    let mut t = heapless::String::new();
    let _ = t.push_str(CONFIG_APP_CLIENT_ID);
    let _ = t.push_str("/interesting/topic/");
    let _ = t.push_str(leaf);
    t
}

fn on_connect(rc: i32) {
    printkln!("on_connect: rc={rc}");
    if rc != 0 {
        return;
    }
    // QoS 2 as in the DL-7450 sample; a build limited to a lower QoS subscribes at its maximum.
    let qos = config::MAX_QOS.min(2);
    with_client(|c| match c.subscribe(&[(topic("#").as_str(), qos)]) {
        Ok(mid) => printkln!("subscribe: mid={mid} qos={qos}"),
        Err(e) => printkln!(
            "subscribe failed: {} ({})",
            e.code(),
            error_description(e.code())
        ),
    });
}

fn on_subscribe(mid: u16, granted: &[u8]) {
    printkln!("on_subscribe: mid={mid} granted={granted:?}");
    publish_hello();
}

fn on_message(topic: &str, payload: &[u8]) {
    let text = core::str::from_utf8(payload).unwrap_or("<binary>");
    printkln!("on_message: topic={topic} payload={text}");
    PUBLISH_AT.store(
        uptime_ms().wrapping_add(REPUBLISH_DELAY_MS),
        Ordering::Release,
    );
    SCHEDULED.store(true, Ordering::Release);
}

fn on_publish(mid: u16) {
    printkln!("on_publish: mid={mid}");
}

fn publish_hello() {
    let mut msg = heapless::String::<64>::new();
    let _ = core::fmt::write(&mut msg, format_args!("Hello, World! at {}", uptime_ms()));
    with_client(
        |c| match c.publish(topic("news").as_str(), msg.as_bytes(), 1) {
            Ok(mid) => printkln!("publish: mid={mid} payload={msg}"),
            Err(e) => printkln!(
                "publish failed: {} ({})",
                e.code(),
                error_description(e.code())
            ),
        },
    );
}

#[no_mangle]
extern "C" fn rust_main() {
    zmqtt_zephyr::log_init();
    printkln!(
        "zmqtt {} publisher sample, client id {CONFIG_APP_CLIENT_ID}",
        zmqtt_zephyr::VERSION
    );
    // samples/tls builds this same program with CONFIG_APP_TLS.
    let scheme = if cfg!(CONFIG_APP_TLS) {
        "mqtts"
    } else {
        "mqtt"
    };
    let mut url = heapless::String::<80>::new();
    let _ = core::fmt::write(
        &mut url,
        format_args!("{scheme}://{CONFIG_APP_BROKER_HOST}:{CONFIG_APP_BROKER_PORT}"),
    );
    let client = match MqttClient::new(&url, CONFIG_APP_CLIENT_ID) {
        Ok(c) => c,
        Err(e) => {
            printkln!(
                "MqttClient::new({url}) failed: {} ({})",
                e.code(),
                error_description(e.code())
            );
            return;
        }
    };
    client.on_message(on_message);
    client.on_subscribe(on_subscribe);
    client.on_publish(on_publish);
    let options = ConnectOptions {
        keep_alive: Some(30),
        ..ConnectOptions::new()
    };
    // The CA the broker's certificate must chain to, made or copied by samples/tls's CMake.
    #[cfg(CONFIG_APP_TLS)]
    let options = ConnectOptions {
        trust_store: Some(include_bytes!(concat!(
            env!("BUILD_DIR"),
            "/certs/ca.pem.nul"
        ))),
        ..options
    };
    // Mutual TLS: the firmware's own certificate and key (overlay-mutual.conf).
    #[cfg(CONFIG_APP_MUTUAL_TLS)]
    let options = ConnectOptions {
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
    *CLIENT.lock().unwrap_or_else(|never| match never {}) = Some(client);
    printkln!("connecting to {url}");
    with_client(|c| {
        if let Err(e) = c.connect(on_connect, &options) {
            printkln!(
                "connect failed: {} ({})",
                e.code(),
                error_description(e.code())
            );
        }
    });
    loop {
        sleep(Duration::millis_at_least(100));
        let due = uptime_ms().wrapping_sub(PUBLISH_AT.load(Ordering::Acquire)) as i32 >= 0;
        if due && SCHEDULED.swap(false, Ordering::AcqRel) {
            publish_hello();
        }
    }
}
