//! Errors of the Zephyr side: socket and TLS calls, name resolution, configuration.
use core::fmt;

use zmqtt::MqttError;

use crate::sys::Errno;

/// Why a Zephyr-side operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A socket call failed with this errno (connection refused, reset, timed out …).
    Socket(Errno),
    /// The broker's host name could not be resolved.
    Dns,
    /// The host name is longer than DNS allows.
    HostTooLong,
    /// TLS was asked for but this build has no TLS (`CONFIG_ZMQTT_TLS`).
    TlsNotSupported,
    /// The TLS handshake failed: the broker's certificate does not chain to the trust
    /// store, is not valid now, or is not for the host name; or no common cipher suite.
    TlsHandshake,
    /// A TLS credential could not be registered (errno), e.g. no free credential slot.
    Credential(Errno),
    /// A PEM credential lacks its terminating NUL byte, which mbedTLS needs.
    PemNotTerminated,
    /// The broker did not accept the WebSocket upgrade (no WebSocket at that port and path,
    /// or a wrong `Sec-WebSocket-Accept`).
    #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
    WebSocketUpgrade,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Socket(e) => write!(f, "socket error (errno {})", e.0),
            Error::Dns => f.write_str("cannot resolve the broker's host name"),
            Error::HostTooLong => f.write_str("host name longer than 253 characters"),
            Error::TlsNotSupported => {
                f.write_str("TLS is not enabled in this build (CONFIG_ZMQTT_TLS)")
            }
            Error::TlsHandshake => f.write_str(
                "TLS handshake failed: broker certificate not trusted, expired, \
                 or not for this host name (or no common cipher)",
            ),
            Error::Credential(e) => write!(f, "cannot register TLS credential (errno {})", e.0),
            Error::PemNotTerminated => f.write_str(
                "PEM credential must end with a NUL byte (concat!(include_str!(..), \"\\0\"))",
            ),
            #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
            Error::WebSocketUpgrade => {
                f.write_str("WebSocket upgrade refused: no MQTT WebSocket at this port and path")
            }
        }
    }
}

impl core::error::Error for Error {}

impl Error {
    /// Logs why a connection to the broker could not be opened, with `code` (the `MqttError`
    /// that `on_connect` reports): the same words as `Display`, one static line per kind, so
    /// firmware needs no formatting code for them.
    pub(crate) fn log_open_failure(&self, code: i32) {
        match self {
            Error::Socket(e) => {
                crate::log::warn!(
                    "cannot connect to the broker: error %d, errno %d",
                    code,
                    e.0
                )
            }
            Error::Dns => crate::log::warn!(
                "cannot connect to the broker: error %d: cannot resolve the broker's host name",
                code
            ),
            Error::HostTooLong => crate::log::warn!(
                "cannot connect to the broker: error %d: host name longer than 253 characters",
                code
            ),
            Error::TlsNotSupported => crate::log::warn!(
                "cannot connect to the broker: error %d: TLS is not enabled in this build \
                 (CONFIG_ZMQTT_TLS)",
                code
            ),
            Error::TlsHandshake => crate::log::warn!(
                "cannot connect to the broker: error %d: TLS handshake failed: broker \
                 certificate not trusted, expired, or not for this host name (or no common \
                 cipher)",
                code
            ),
            Error::Credential(e) => crate::log::warn!(
                "cannot connect to the broker: error %d: cannot register TLS credential \
                 (errno %d)",
                code,
                e.0
            ),
            Error::PemNotTerminated => crate::log::warn!(
                "cannot connect to the broker: error %d: PEM credential must end with a NUL byte",
                code
            ),
            #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
            Error::WebSocketUpgrade => crate::log::warn!(
                "cannot connect to the broker: error %d: WebSocket upgrade refused: no MQTT \
                 WebSocket at this port and path",
                code
            ),
        }
    }
}

impl From<Error> for MqttError {
    fn from(e: Error) -> MqttError {
        match e {
            Error::TlsNotSupported => MqttError::SslNotSupported,
            Error::PemNotTerminated | Error::HostTooLong => MqttError::BadStructure,
            Error::Socket(_) | Error::Dns | Error::Credential(_) | Error::TlsHandshake => {
                MqttError::Failure
            }
            #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
            Error::WebSocketUpgrade => MqttError::Failure,
        }
    }
}
