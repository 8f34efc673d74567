//! zmqtt on Zephyr: the MQTT client of the `zmqtt` crate on its own Zephyr thread over
//! Zephyr's BSD sockets and mbedTLS TLS sockets, configured by Kconfig
//! (`CONFIG_ZMQTT_*`), with the API of the DL-7450 SDK's `mqtt` module.
//!
//! ```ignore
//! use zmqtt_zephyr::{Callbacks, ConnectFlags, ConnectOptions, Message, MqttClient};
//!
//! struct App;
//!
//! impl Callbacks for App {
//!     fn on_connect(&self, client: &MqttClient, rc: i32, _flags: ConnectFlags) {
//!         if rc == 0 {
//!             let _ = client.subscribe(&[("dock-1/#", 1)]);
//!         }
//!     }
//!     fn on_message(&self, _client: &MqttClient, m: &Message<'_>) {
//!         zephyr::printkln!("{}: {:?}", m.topic, m.payload);
//!     }
//! }
//!
//! zmqtt_zephyr::log_init();
//! let client = MqttClient::new("mqtt://10.0.2.2:1883", "dock-1")?;
//! client.connect(&App, &ConnectOptions::new())?;
//! let mid = client.publish("dock-1/news", b"hello", 1)?;
//! ```
#![no_std]
#![warn(missing_docs)]

#[cfg(CONFIG_ZMQTT_AZURE)]
pub mod azure;
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

pub use client::{
    Callbacks, ConnectFlags, ConnectOptions, CredentialsSink, Mid, MqttClient, Protocol,
    PublishOptions, MAX_FILTERS, MAX_USER_PROPERTIES,
};
pub use error::Error;
pub use log::init as log_init;
pub use zmqtt::client::Message;
pub use zmqtt::codec::{Properties, QoS};
pub use zmqtt::{error_description, MqttError};

/// Milliseconds since boot (`k_uptime_get`), the client's clock.
pub fn uptime_ms() -> u64 {
    sys::uptime_ms()
}

/// The version of the zmqtt core crate this build uses.
pub const VERSION: &str = zmqtt::VERSION;

/// A PEM text (`include_str!` of a file, or any `&str` constant) as the NUL-terminated
/// `&'static [u8]` Zephyr's TLS credential store needs (mbedTLS parses PEM as a C string):
///
/// ```ignore
/// let options = ConnectOptions {
///     trust_store: Some(zmqtt_zephyr::pem!(include_str!("../certs/ca.pem"))),
///     ..ConnectOptions::new()
/// };
/// ```
///
/// The copy is made at compile time, into flash.
#[macro_export]
macro_rules! pem {
    ($text:expr) => {{
        const TEXT: &str = $text;
        static BYTES: [u8; TEXT.len() + 1] = {
            let mut out = [0u8; TEXT.len() + 1];
            let src = TEXT.as_bytes();
            let mut i = 0;
            while i < src.len() {
                out[i] = src[i];
                i += 1;
            }
            out
        };
        &BYTES as &'static [u8]
    }};
}
