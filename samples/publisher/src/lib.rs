//! The DL-7450 SDK's MQTT sample, ported to zmqtt on Zephyr (samples/publisher), and the
//! same over mqtts (samples/tls, which builds this file with `CONFIG_APP_TLS`).
//!
//! Connects; from `on_connect` subscribes to `<client id>/interesting/topic/#` at QoS 2;
//! when the subscription is acknowledged publishes "Hello, World! at <uptime>" at QoS 1
//! to `<client id>/interesting/topic/news`; 4 s after each received message publishes
//! again.
//!
//! The callbacks are the methods of `Sample`, whose fields are the state they share with
//! the main loop; the client comes to each callback as an argument.
#![no_std]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use zephyr::kconfig::{CONFIG_APP_BROKER_HOST, CONFIG_APP_BROKER_PORT, CONFIG_APP_CLIENT_ID};
use zephyr::printkln;
use zephyr::time::{sleep, Duration};
use zmqtt_zephyr::{
    config, error_description, Callbacks, ConnectFlags, ConnectOptions, Message, MqttClient,
};

/// The sample: its callbacks, and the state they share with the main loop.
struct Sample {
    /// Whether a publish is scheduled, and at which uptime (ms, wrapping: Cortex-M3 has no
    /// 64-bit atomics).
    scheduled: AtomicBool,
    publish_at: AtomicU32,
}

static SAMPLE: Sample = Sample {
    scheduled: AtomicBool::new(false),
    publish_at: AtomicU32::new(0),
};

/// How long after a received message the sample publishes again.
const REPUBLISH_DELAY_MS: u32 = 4000;

fn uptime_ms() -> u32 {
    zmqtt_zephyr::uptime_ms() as u32
}

/// Builds "<client id>/interesting/topic/<leaf>".
fn topic(leaf: &str) -> heapless::String<128> {
    let mut t = heapless::String::new();
    let _ = t.push_str(CONFIG_APP_CLIENT_ID);
    let _ = t.push_str("/interesting/topic/");
    let _ = t.push_str(leaf);
    t
}

impl Callbacks for Sample {
    fn on_connect(&self, client: &MqttClient, rc: i32, flags: ConnectFlags) {
        printkln!(
            "on_connect: rc={rc} session_present={} ({})",
            flags.session_present,
            error_description(rc)
        );
        if rc != 0 {
            return;
        }
        // QoS 2 as in the DL-7450 sample; a build limited to a lower QoS subscribes at its
        // maximum.
        let qos = config::MAX_QOS.min(2);
        match client.subscribe(&[(topic("#").as_str(), qos)]) {
            Ok(mid) => printkln!("subscribe: mid={mid} qos={qos}"),
            Err(e) => printkln!(
                "subscribe failed: {} ({})",
                e.code(),
                error_description(e.code())
            ),
        }
    }

    fn on_subscribe(&self, client: &MqttClient, mid: u16, granted: &[u8]) {
        printkln!("on_subscribe: mid={mid} granted={granted:?}");
        publish_hello(client);
    }

    fn on_message(&self, _client: &MqttClient, message: &Message<'_>) {
        let text = core::str::from_utf8(message.payload).unwrap_or("<binary>");
        printkln!("on_message: topic={} payload={text}", message.topic);
        self.publish_at.store(
            uptime_ms().wrapping_add(REPUBLISH_DELAY_MS),
            Ordering::Release,
        );
        self.scheduled.store(true, Ordering::Release);
    }

    fn on_publish(&self, _client: &MqttClient, mid: u16) {
        printkln!("on_publish: mid={mid}");
    }
}

fn publish_hello(client: &MqttClient) {
    let mut msg = heapless::String::<64>::new();
    let _ = core::fmt::write(&mut msg, format_args!("Hello, World! at {}", uptime_ms()));
    match client.publish(topic("news").as_str(), msg.as_bytes(), 1) {
        Ok(mid) => printkln!("publish: mid={mid} payload={msg}"),
        Err(e) => printkln!(
            "publish failed: {} ({})",
            e.code(),
            error_description(e.code())
        ),
    }
}

#[no_mangle]
extern "C" fn rust_main() {
    // No zmqtt_zephyr::log_init(): zmqtt's own log lines need none (it is for an
    // application's `log` crate lines, and this one has none).
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
    printkln!("connecting to {url}");
    if let Err(e) = client.connect(&SAMPLE, &options) {
        printkln!(
            "connect failed: {} ({})",
            e.code(),
            error_description(e.code())
        );
    }
    loop {
        sleep(Duration::millis_at_least(100));
        let due = uptime_ms().wrapping_sub(SAMPLE.publish_at.load(Ordering::Acquire)) as i32 >= 0;
        if due && SAMPLE.scheduled.swap(false, Ordering::AcqRel) {
            publish_hello(&client);
        }
    }
}
