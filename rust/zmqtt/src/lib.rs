//! zmqtt: an MQTT 3.1.1 and 5.0 client for small devices.
//!
//! The crate knows nothing of sockets, clocks or threads: [`codec`] turns bytes into typed
//! packets and back, and the client engine turns packets, time and user commands into bytes
//! to send and events to report.
//!
//! # Cargo features
//!
//! All on by default (the host: tests, fuzzers, fake brokers). Firmware turns off what it does
//! not use, and the code goes with it; zmqtt-zephyr sets them from Kconfig.
//!
//! - `v5`: MQTT 5.0. Without it [`codec::ProtocolVersion::V5`] is refused (decode, emit,
//!   [`client::Config::validate`]) and every 5.0 branch is compiled out.
//! - `qos2`: the QoS 2 exchange both ways. Without it QoS 2 publishes and subscriptions are
//!   refused (`QosNotBuilt`), PUBREC/PUBREL/PUBCOMP are unknown packet types and a QoS 2
//!   PUBLISH from the broker is a protocol error.
//! - `broker`: the server-direction codec (decoding CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ;
//!   encoding CONNACK, SUBACK, UNSUBACK, PINGRESP), for tests and fuzzing.
//! - `log`: the engine's error, warning and info lines, through the `log` crate. `log-c`: the
//!   same lines, unformatted, to the platform's C function `zmqtt_log_printf` (firmware: no
//!   `core::fmt`; see the `log` module). `log-debug`: debug lines, a trace of every packet
//!   (passwords as their length only) and `Debug` for packets and events, through `log`.
#![cfg_attr(not(test), no_std)]
// The one exception, with `log-c`: the call to the platform's C log function (`log::emit`).
#![cfg_attr(not(feature = "log-c"), forbid(unsafe_code))]
#![cfg_attr(feature = "log-c", deny(unsafe_code))]
#![warn(missing_docs)]

pub mod codec;

/// The crate's version, as Cargo knows it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod client;
pub mod driver;
pub mod error;
mod log;
#[doc(hidden)]
pub use log::printf_args as log_printf_args;
pub mod time;
pub mod url;

pub use error::{error_description, MqttError};
pub use time::{Duration, Instant};
pub use url::{BrokerUrl, Scheme, UrlError};
