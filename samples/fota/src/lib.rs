//! Firmware update over MQTT: connects, starts the update service under the client id
//! (`<client id>/fw/...`), hands it the messages and the time, and otherwise does nothing.
//! `backend.py` plays the other side.
#![no_std]

use zephyr::kconfig::{
    CONFIG_APP_BROKER_HOST, CONFIG_APP_BROKER_PORT, CONFIG_APP_CLIENT_ID, CONFIG_APP_VERSION,
};
use zephyr::printkln;
use zephyr::time::{sleep, Duration};
use zmqtt_zephyr::{error_description, fota, ConnectOptions, MqttClient};

fn on_connect(rc: i32) {
    printkln!("on_connect: rc={rc}");
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

fn on_message(topic: &str, payload: &[u8]) {
    if fota::handle_message(topic, payload) {
        return;
    }
    printkln!("on_message: topic={topic} ({} bytes)", payload.len());
}

fn on_disconnect(rc: i32) {
    printkln!("on_disconnect: rc={rc}");
    fota::handle_disconnected();
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
    client.on_message(on_message);
    client.on_disconnect(on_disconnect);
    let options = ConnectOptions {
        keep_alive: Some(30),
        ..ConnectOptions::new()
    };
    if let Err(e) = client.connect(on_connect, &options) {
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
