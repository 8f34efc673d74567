//! What the engine reports: [`Event`]s (owned, polled with `poll_event`) and incoming
//! [`Message`]s (borrowed, returned by `handle_input` inside [`Input`]).

use core::fmt;

use crate::codec::{Properties, QoS, ReasonCode};
use crate::log;
use crate::time::Duration;

use super::error::ProtocolError;
use super::queue::Failure;
use super::{PacketId, MAX_FILTERS};

/// Something the application should hear about. Events are small owned values; the strings of
/// the packet that caused one (reason string, user properties) are in [`Input::properties`].
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A CONNACK arrived (DL-7450 `on_connect(rc)`). `code` 0 means accepted; anything else is
    /// the refusal, and a [`Event::Disconnected`] with [`DisconnectReason::Refused`] follows.
    Connected {
        /// MQTT 3.1.1 return code (0–5) or MQTT 5.0 reason code.
        code: u8,
        /// The broker kept the session of an earlier connection.
        session_present: bool,
    },
    /// A SUBACK arrived (DL-7450 `on_subscribe(mid, granted)`).
    Subscribed {
        /// The id `subscribe` returned.
        packet_id: PacketId,
        /// Per filter, in request order: the granted QoS (0–2) or a failure code (0x80 and above).
        granted: heapless::Vec<ReasonCode, MAX_FILTERS>,
    },
    /// An UNSUBACK arrived, or the broker's loss of the session made the request moot.
    Unsubscribed {
        /// The id `unsubscribe` returned.
        packet_id: PacketId,
    },
    /// A message was delivered (DL-7450 `on_publish(mid)`): QoS 0 written to the link, QoS 1
    /// acknowledged, QoS 2 completed.
    Published {
        /// The id `publish` returned.
        packet_id: PacketId,
    },
    /// A message `publish` had accepted will never be delivered.
    PublishFailed {
        /// The id `publish` returned.
        packet_id: PacketId,
        /// Why.
        reason: Failure,
    },
    /// The connection is gone. Queued and in-flight messages stay and go out after the next
    /// connect.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
        /// When the client will try again by itself, or `None` when it will not (after
        /// `disconnect`, a refusal for bad credentials or authorisation, or with auto-reconnect off).
        reconnect_in: Option<Duration>,
    },
}

/// Why a connection ended. Each variant says who caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The application called `disconnect`.
    Local,
    /// The broker refused the CONNECT with this return/reason code.
    Refused(u8),
    /// The broker sent DISCONNECT with this reason code (MQTT 5.0).
    Peer(ReasonCode),
    /// The broker broke the protocol; the client sent DISCONNECT (5.0) and dropped the link.
    Protocol(ProtocolError),
    /// No PINGRESP within `ping_timeout`: the link is dead.
    KeepaliveTimeout,
    /// No CONNACK within `connect_timeout`.
    ConnectTimeout,
    /// The link closed or failed (`handle_closed`), or could not be opened.
    TransportClosed,
    /// The application asked for a new connection at once (`reconnect`).
    Reconnect,
}

impl DisconnectReason {
    /// Logs the end of a connection: one line per kind, the code as a number (no `Display`).
    pub(crate) fn log(&self) {
        match *self {
            DisconnectReason::Local => log::info!("disconnected by the application"),
            DisconnectReason::Refused(c) => log::info!("connection refused, code 0x%02x", c),
            DisconnectReason::Peer(rc) => {
                log::info!("disconnected by the broker, reason 0x%02x", rc.0)
            }
            DisconnectReason::Protocol(e) => {
                log::info!(
                    "disconnected: protocol error, reason 0x%02x",
                    e.reason_code().0
                )
            }
            DisconnectReason::KeepaliveTimeout => {
                log::info!("disconnected: no PINGRESP: keepalive timeout")
            }
            DisconnectReason::ConnectTimeout => {
                log::info!("disconnected: no CONNACK: connect timeout")
            }
            DisconnectReason::TransportClosed => log::info!("disconnected: transport closed"),
            DisconnectReason::Reconnect => {
                log::info!("disconnected: reconnecting at the application's request")
            }
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::Local => f.write_str("disconnected by the application"),
            DisconnectReason::Refused(c) => write!(f, "connection refused, code {c}"),
            DisconnectReason::Peer(rc) => write!(f, "disconnected by the broker, {rc}"),
            DisconnectReason::Protocol(e) => write!(f, "protocol error: {e}"),
            DisconnectReason::KeepaliveTimeout => f.write_str("no PINGRESP: keepalive timeout"),
            DisconnectReason::ConnectTimeout => f.write_str("no CONNACK: connect timeout"),
            DisconnectReason::TransportClosed => f.write_str("transport closed"),
            DisconnectReason::Reconnect => f.write_str("reconnecting at the application's request"),
        }
    }
}

/// A message from the broker, borrowing its topic, payload and properties from the receive
/// buffer (or, for a topic sent as an MQTT 5.0 alias, from the client).
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// Topic name (an alias already resolved).
    pub topic: &'a str,
    /// Application payload.
    pub payload: &'a [u8],
    /// QoS the broker sent it with.
    pub qos: QoS,
    /// The broker sent it from its retained store.
    pub retain: bool,
    /// The broker may have sent it before (DUP flag, QoS 1 and 2 only).
    pub dup: bool,
    /// Packet id (QoS 1 and 2).
    pub packet_id: Option<PacketId>,
    /// MQTT 5.0 properties (user properties, content type, response topic …); empty for 3.1.1.
    pub properties: Properties<'a>,
}

/// What one `handle_input` call did.
#[cfg_attr(any(test, feature = "log-debug"), derive(Debug))]
#[derive(Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Input<'a> {
    /// Bytes to drop from the front of the receive buffer. 0: the buffer holds no whole packet
    /// yet (read more), or the client needs its output drained first (`poll_transmit`,
    /// `poll_event`) before it can take another packet.
    pub consumed: usize,
    /// A message to hand to the application, delivered exactly once for QoS 2.
    pub message: Option<Message<'a>>,
    /// The MQTT 5.0 properties of the packet consumed (CONNACK, PUBACK, SUBACK, DISCONNECT …):
    /// reason string and user properties for the application to log or use. Empty for 3.1.1.
    pub properties: Properties<'a>,
}

impl Input<'_> {
    pub(crate) const NOTHING: Input<'static> = Input {
        consumed: 0,
        message: None,
        properties: Properties::EMPTY,
    };

    /// The MQTT 5.0 Reason String of the packet consumed, if it had one.
    pub fn reason_string(&self) -> Option<&str> {
        self.properties.reason_string()
    }
}
