//! Prints the zmqtt version and Kconfig values as Rust sees them; testcase.yaml
//! matches the lines against what Cargo.toml and prj.conf say.
#![no_std]

use zephyr::printkln;
use zmqtt_zephyr::config;

#[no_mangle]
extern "C" fn rust_main() {
    printkln!("zmqtt version {}", zmqtt_zephyr::VERSION);
    printkln!(
        "zmqtt keepalive {} max_inflight {}",
        config::KEEPALIVE_SEC,
        config::MAX_INFLIGHT
    );
}
