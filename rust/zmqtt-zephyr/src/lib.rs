//! zmqtt on Zephyr: the MQTT client of the `zmqtt` crate running on its own Zephyr
//! thread over Zephyr's BSD sockets and mbedTLS TLS sockets, configured by Kconfig
//! (`CONFIG_ZMQTT_*`).
#![no_std]
#![warn(missing_docs)]

pub mod config;

/// The version of the zmqtt core crate this build uses.
pub const VERSION: &str = zmqtt::VERSION;
