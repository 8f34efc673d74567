//! zmqtt on Zephyr: the MQTT client of the `zmqtt` crate on its own Zephyr thread over
//! Zephyr's BSD sockets and mbedTLS TLS sockets, configured by Kconfig
//! (`CONFIG_ZMQTT_*`), with the API of the DL-7450 SDK's `mqtt` module.
//!
//! ```ignore
//! use zmqtt_zephyr::{ConnectOptions, MqttClient};
//!
//! zmqtt_zephyr::log_init();
//! let client = MqttClient::new("mqtt://10.0.2.2:1883", "dock-1")?;
//! client.on_message(|topic, payload| zephyr::printkln!("{topic}: {payload:?}"));
//! client.connect(|rc| zephyr::printkln!("on_connect {rc}"), &ConnectOptions::new())?;
//! client.subscribe(&[("dock-1/#", 1)])?;
//! let mid = client.publish("dock-1/news", b"hello", 1)?;
//! ```
#![no_std]
#![warn(missing_docs)]

mod client;
pub mod config;
mod error;
#[cfg(CONFIG_ZMQTT_FOTA)]
pub mod fota;
mod log;
#[cfg(CONFIG_SHELL)]
mod shell;
mod socket;
mod sys;
#[cfg(CONFIG_ZMQTT_TLS)]
mod tls;

pub use client::{ConnectOptions, Mid, MqttClient, Protocol, MAX_FILTERS};
pub use error::Error;
pub use log::init as log_init;
pub use zmqtt::{error_description, MqttError};

/// Milliseconds since boot (`k_uptime_get`), the client's clock.
pub fn uptime_ms() -> u64 {
    sys::uptime_ms()
}

/// The version of the zmqtt core crate this build uses.
pub const VERSION: &str = zmqtt::VERSION;
