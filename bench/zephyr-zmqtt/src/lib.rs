//! Publish throughput of zmqtt's DL-7450 API (`zmqtt_zephyr::MqttClient`) on native_sim, the
//! zmqtt side of scripts/bench's comparison with bench/zephyr-c-mqtt (Zephyr's MQTT library):
//! one connection, then for each QoS (0, 1, 2) and payload (64 B, 1 KiB)
//! `CONFIG_BENCH_MESSAGES` publishes with at most `CONFIG_BENCH_WINDOW` not yet delivered.
//!
//! The application thread publishes; the client thread sends, receives and calls
//! `on_publish` for each delivered message, which wakes the application thread when the
//! window was full. scripts/bench times each run from its "bench: start" line to its
//! "bench: done" line (native_sim's own clock does not advance while code runs).
#![no_std]

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use zephyr::kconfig::{CONFIG_BENCH_BROKER_PORT, CONFIG_BENCH_MESSAGES, CONFIG_BENCH_WINDOW};
use zephyr::printkln;
use zephyr::sys::sync::Semaphore;
use zephyr::time::Duration;
use zmqtt_zephyr::{Callbacks, ConnectFlags, ConnectOptions, Mid, MqttClient};

const MESSAGES: usize = CONFIG_BENCH_MESSAGES as usize;
const WINDOW: usize = CONFIG_BENCH_WINDOW as usize;
const TOPIC: &str = "bench/zmqtt";

static CONNECTED: AtomicBool = AtomicBool::new(false);
static DELIVERED: AtomicUsize = AtomicUsize::new(0);
static FAILED: AtomicUsize = AtomicUsize::new(0);
/// Given by every callback, so the application thread wakes when anything changed.
static PROGRESS: Semaphore = Semaphore::new(0, u32::MAX);

/// The bench's callbacks: every one wakes the application thread.
struct Bench;

impl Callbacks for Bench {
    /// Every outcome: 0 connected, anything else (a refusal, a lost link) not.
    fn on_connect(&self, _client: &MqttClient, rc: i32, _flags: ConnectFlags) {
        CONNECTED.store(rc == 0, Ordering::Release);
        PROGRESS.give();
    }

    fn on_publish(&self, _client: &MqttClient, _mid: Mid) {
        DELIVERED.fetch_add(1, Ordering::AcqRel);
        PROGRESS.give();
    }

    fn on_publish_failed(&self, _client: &MqttClient, _mid: Mid, _code: i32) {
        FAILED.fetch_add(1, Ordering::AcqRel);
        PROGRESS.give();
    }
}

static BENCH: Bench = Bench;

fn finished() -> usize {
    DELIVERED.load(Ordering::Acquire) + FAILED.load(Ordering::Acquire)
}

/// One run; `Err` after a lost connection, a refused publish or 10 s without progress.
fn run(client: &MqttClient, qos: u8, payload: &[u8]) -> Result<(), ()> {
    DELIVERED.store(0, Ordering::Release);
    FAILED.store(0, Ordering::Release);
    PROGRESS.reset();
    printkln!("bench: start qos={qos} size={}", payload.len());
    let mut sent = 0;
    while finished() < MESSAGES {
        while sent < MESSAGES && client.pending() < WINDOW {
            if let Err(e) = client.publish(TOPIC, payload, qos) {
                printkln!("bench: publish failed: {}", e.code());
                return Err(());
            }
            sent += 1;
        }
        if finished() == MESSAGES {
            break;
        }
        if PROGRESS.take(Duration::secs(10)).is_err() || !CONNECTED.load(Ordering::Acquire) {
            printkln!("bench: stalled after {} of {MESSAGES}", finished());
            return Err(());
        }
    }
    printkln!(
        "bench: done qos={qos} size={} count={} failed={}",
        payload.len(),
        DELIVERED.load(Ordering::Acquire),
        FAILED.load(Ordering::Acquire)
    );
    Ok(())
}

#[no_mangle]
extern "C" fn rust_main() {
    static PAYLOAD: [u8; 1024] = [b'x'; 1024];
    let mut url = heapless::String::<48>::new();
    let _ = core::fmt::write(
        &mut url,
        format_args!("mqtt://127.0.0.1:{CONFIG_BENCH_BROKER_PORT}"),
    );
    let client = match MqttClient::new(&url, "zmqtt-bench") {
        Ok(c) => c,
        Err(e) => {
            printkln!("bench: MqttClient::new failed: {}", e.code());
            return;
        }
    };
    let options = ConnectOptions {
        clean_session: true,
        ..ConnectOptions::new()
    };
    if let Err(e) = client.connect(&BENCH, &options) {
        printkln!("bench: connect failed: {}", e.code());
        return;
    }
    while !CONNECTED.load(Ordering::Acquire) {
        if PROGRESS.take(Duration::secs(10)).is_err() {
            printkln!("bench: connect failed: no CONNACK");
            return;
        }
    }
    for qos in 0..=2 {
        for size in [64, 1024] {
            if run(&client, qos, &PAYLOAD[..size]).is_err() {
                printkln!("bench: failed");
                return;
            }
        }
    }
    let _ = client.disconnect();
    printkln!("bench: finished");
}
