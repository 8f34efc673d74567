//! Firmware update over MQTT: connects, starts the update service under the client id
//! (`<client id>/fw/...`), hands it the messages and the time, and otherwise does nothing.
//! `backend.py` plays the other side.
#![no_std]

use zephyr::kconfig::{
    CONFIG_APP_BROKER_HOST, CONFIG_APP_BROKER_PORT, CONFIG_APP_CLIENT_ID, CONFIG_APP_VERSION,
};
use zephyr::printkln;
use zephyr::time::{sleep, Duration};
use zmqtt_zephyr::{
    error_description, fota, Callbacks, ConnectFlags, ConnectOptions, Message, MqttClient,
};

/// The sample's callbacks: the update service does the work.
struct Sample;

impl Callbacks for Sample {
    fn on_connect(&self, _client: &MqttClient, rc: i32, _flags: ConnectFlags) {
        printkln!("on_connect: rc={rc}");
        if rc < 0 {
            // The connection was lost or an attempt failed: outstanding requests are void.
            fota::handle_disconnected();
            return;
        }
        if rc != 0 {
            return;
        }
        if let Err(e) = fota::start(CONFIG_APP_CLIENT_ID) {
            printkln!(
                "fota::start failed: {} ({})",
                e.code(),
                error_description(e.code())
            );
        }
    }

    fn on_message(&self, _client: &MqttClient, message: &Message<'_>) {
        if fota::handle_message(message.topic, message.payload) {
            return;
        }
        printkln!(
            "on_message: topic={} ({} bytes)",
            message.topic,
            message.payload.len()
        );
    }
}

#[no_mangle]
extern "C" fn rust_main() {
    zmqtt_zephyr::log_init();
    printkln!(
        "zmqtt {} fota sample, firmware {CONFIG_APP_VERSION}, client id {CONFIG_APP_CLIENT_ID}",
        zmqtt_zephyr::VERSION
    );
    let mut url = heapless::String::<80>::new();
    let _ = core::fmt::write(
        &mut url,
        format_args!("mqtt://{CONFIG_APP_BROKER_HOST}:{CONFIG_APP_BROKER_PORT}"),
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
    if let Err(e) = client.connect(&Sample, &options) {
        printkln!(
            "connect failed: {} ({})",
            e.code(),
            error_description(e.code())
        );
        return;
    }
    // The client runs on its own thread; this one drives the update's timers.
    loop {
        let wait = fota::poll(500);
        sleep(Duration::millis_at_least(wait.clamp(10, 500)));
    }
}
