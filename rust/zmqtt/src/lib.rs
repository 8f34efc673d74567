//! zmqtt: an MQTT 3.1.1 and 5.0 client for small devices.
//!
//! The crate knows nothing of sockets, clocks or threads: [`codec`] turns bytes into typed
//! packets and back, and the client engine turns packets, time and user commands into bytes
//! to send and events to report.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;

/// The crate's version, as Cargo knows it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod client;
pub mod driver;
pub mod error;
mod log;
pub mod time;
pub mod url;

pub use error::{error_description, MqttError};
pub use time::{Duration, Instant};
pub use url::{BrokerUrl, Scheme, UrlError};
