//! Shows, without a broker, the effect of each CONFIG_ZMQTT_* option the client applies
//! at run time; testcase.yaml runs it with several configurations and matches each
//! line against what that configuration must produce.
#![no_std]

use zephyr::printkln;
use zmqtt_zephyr::{config, Callbacks, ConnectOptions, MqttClient, MqttError, Protocol};

/// No callbacks: nothing connects here.
struct Quiet;

impl Callbacks for Quiet {}

/// One line per call: the mid or the error number.
fn outcome(result: Result<u16, MqttError>) -> heapless::String<24> {
    let mut s = heapless::String::new();
    let _ = match result {
        Ok(_) => core::fmt::write(&mut s, format_args!("ok")),
        Err(e) => core::fmt::write(&mut s, format_args!("error={}", e.code())),
    };
    s
}

// Statics, not locals: the test runs on Zephyr's default 1 KiB main stack.
static LONG: [u8; 300] = [b'a'; 300];
static BIG: [u8; 1200] = [0; 1200];

#[no_mangle]
extern "C" fn rust_main() {
    printkln!("zmqtt version {}", zmqtt_zephyr::VERSION);
    printkln!(
        "zmqtt keepalive {} max_inflight {}",
        config::KEEPALIVE_SEC,
        config::MAX_INFLIGHT
    );
    // CONFIG_ZMQTT_TLS is off in every variant: a TLS URL is -13 (SSL not supported).
    printkln!(
        "zmqtt tls {} mqtts url {}",
        config::TLS,
        outcome(MqttClient::new("mqtts://127.0.0.1:9", "kconfig-test").map(|_| 0))
    );
    // CONFIG_ZMQTT_MAX_CLIENT_ID_LEN: the id is copied into the client; one byte more is -8.
    let long_id = core::str::from_utf8(&LONG[..(config::MAX_CLIENT_ID_LEN + 1).min(LONG.len())])
        .unwrap_or("");
    printkln!(
        "zmqtt client id {} bytes {}",
        long_id.len(),
        outcome(MqttClient::new("mqtt://127.0.0.1:9", long_id).map(|_| 0))
    );
    // Never connected: every publish below waits offline, which is what the queue,
    // in-flight and store limits govern. Nothing listens on port 9.
    let client = match MqttClient::new("mqtt://127.0.0.1:9", "kconfig-test") {
        Ok(c) => c,
        Err(e) => {
            printkln!("zmqtt new error={}", e.code());
            return;
        }
    };
    printkln!(
        "zmqtt qos2 {}",
        outcome(client.publish("kconfig/qos", b"x", 2))
    );

    let long_topic = core::str::from_utf8(&LONG[..config::MAX_TOPIC_LEN + 1]).unwrap_or("");
    printkln!(
        "zmqtt topic {} bytes {}",
        long_topic.len(),
        outcome(client.publish(long_topic, b"x", 0))
    );
    printkln!(
        "zmqtt payload {} bytes {}",
        config::TX_BUFFER_SIZE,
        outcome(client.publish(
            "kconfig/big",
            &BIG[..config::TX_BUFFER_SIZE.min(BIG.len())],
            0
        ))
    );

    // Topics a broker treats as malformed (a control character) or that break a rule of
    // topic names (a wildcard) are refused, each with its own number.
    printkln!(
        "zmqtt control character topic {}",
        outcome(client.publish("kconfig/\u{1}", b"x", 0))
    );
    printkln!(
        "zmqtt wildcard topic {}",
        outcome(client.publish("kconfig/#", b"x", 0))
    );

    // 15-byte topic and 16-byte payload: 39 bytes of the message store each.
    let mut accepted = 0;
    let last = loop {
        match client.publish("kconfig/offline", b"0123456789abcdef", 1) {
            Ok(_) if accepted < 1000 => accepted += 1,
            other => break other,
        }
    };
    printkln!("zmqtt offline accepted={accepted} {}", outcome(last));

    // CONFIG_ZMQTT_MAX_SUBSCRIPTIONS bounds the filters remembered for re-subscribing.
    let filters = [("kconfig/a", 0), ("kconfig/b", 0), ("kconfig/c", 0)];
    let n = config::MAX_SUBSCRIPTIONS.min(filters.len()) + 1;
    printkln!(
        "zmqtt subscribe {} filters {}",
        n.min(filters.len()),
        outcome(client.subscribe(&filters[..n.min(filters.len())]))
    );
    // CONFIG_ZMQTT_PROTOCOL_*: asking for the version the build leaves out is -16.
    let options = ConnectOptions {
        protocol: if config::MQTT5 {
            Protocol::V3_1_1
        } else {
            Protocol::V5
        },
        ..ConnectOptions::new()
    };
    let other = client.connect(&Quiet, &options);
    printkln!(
        "zmqtt mqtt5 {} connect with the other version {}",
        config::MQTT5,
        outcome(other.map(|_| 0))
    );
    printkln!("zmqtt pending {}", client.pending());
    printkln!("zmqtt max_incoming_qos2 {}", config::MAX_INCOMING_QOS2);

    // CONFIG_ZMQTT_MAX_PASSWORD_LEN and _MAX_WILL_PAYLOAD_LEN bound what connect() copies:
    // one byte more is -8 (password) and -24 (will message), and nothing connects.
    let long_password = &BIG[..(config::MAX_PASSWORD_LEN + 1).min(BIG.len())];
    let options = ConnectOptions {
        username: Some("user"),
        password: Some(long_password),
        ..ConnectOptions::new()
    };
    printkln!(
        "zmqtt password {} bytes {}",
        long_password.len(),
        outcome(client.connect(&Quiet, &options).map(|_| 0))
    );
    let long_will = &BIG[..(config::MAX_WILL_PAYLOAD_LEN + 1).min(BIG.len())];
    let options = ConnectOptions {
        will_topic: Some("kconfig/will"),
        will_message: long_will,
        ..ConnectOptions::new()
    };
    printkln!(
        "zmqtt will message {} bytes {}",
        long_will.len(),
        outcome(client.connect(&Quiet, &options).map(|_| 0))
    );
    printkln!("zmqtt connected {}", client.is_connected());

    // zmqtt's logger (variant zmqtt.kconfig.log, Zephyr's deferred logging): a line over the
    // 160-byte limit arrives cut there, and a short line logged after it from the same place
    // carries nothing of it. Deferred logging copies a line by strlen(), so a line handed over
    // without its NUL came out with whatever followed it in memory (issue #16, item 5).
    zmqtt_zephyr::log_init();
    // A static: the test runs on Zephyr's default main stack.
    static LINE: [u8; 300] = [b'L'; 300];
    for text in [
        core::str::from_utf8(&LINE).unwrap_or(""),
        "log check: short",
    ] {
        log::info!("{text}");
    }

    // zmqtt's own lines are a static format and numbers that Zephyr's log thread formats
    // (the shim's zmqtt_log_printf): a connect to a port nothing listens on is logged with
    // its error and errno. Last: the client then keeps trying, and logging, in the background
    // (never dropped: dropping it would disconnect it at once).
    let _ = client.connect(&Quiet, &ConnectOptions::new());
    core::mem::forget(client);
}
