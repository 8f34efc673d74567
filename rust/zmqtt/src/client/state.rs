//! The connection's life cycle, as seen by the application and the driver.

/// Where the client is. The driver opens a link when [`State::wants_link`] turns true and closes
/// it when it turns false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not connected and not trying: before `connect`, after `disconnect`, or after a refusal that
    /// retrying cannot fix (bad credentials, not authorised).
    Idle,
    /// Not connected; the next attempt starts when `poll_timeout` is reached.
    Waiting,
    /// The driver must open a link and call `handle_link_up` (or `handle_closed` when that fails).
    Opening,
    /// CONNECT is sent or about to be; waiting for CONNACK.
    Connecting,
    /// CONNACK accepted the connection.
    Connected,
    /// A DISCONNECT is about to be written; the link closes right after.
    Closing,
}

impl State {
    /// Whether a link to the broker should be open.
    pub const fn wants_link(self) -> bool {
        matches!(
            self,
            State::Opening | State::Connecting | State::Connected | State::Closing
        )
    }
}
