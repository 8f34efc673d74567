//! A TCP or TLS connection to the broker over Zephyr sockets, optionally carrying MQTT in
//! WebSocket frames (the driver's [`Link`]), and the client thread's wait for "socket readable, woken by another thread, or deadline" (its
//! [`zmqtt::driver::Waker`]).
use core::ffi::c_int;
#[cfg(CONFIG_ZMQTT_WEBSOCKET)]
use core::fmt::Write as _;
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use zmqtt::driver::{self, Link, Wake};
use zmqtt::{BrokerUrl, Duration};

use crate::error::Error;
use crate::sys::{self, Errno};

/// Longest host name (DNS allows 253 characters) plus the NUL the C side needs.
const HOST_LEN: usize = 254;

/// Longest WebSocket path (the whole URL's length bounds it) plus the NUL.
#[cfg(CONFIG_ZMQTT_WEBSOCKET)]
const PATH_LEN: usize = crate::client::URL_LEN + 1;

/// An open, non-blocking stream socket; closed when dropped.
#[derive(Debug)]
pub struct Socket {
    /// The descriptor to send and receive on: the TCP/TLS socket, or the WebSocket on it.
    fd: c_int,
    /// The TCP/TLS socket under a WebSocket (closing the WebSocket leaves it open), else -1.
    #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
    inner: c_int,
}

/// How to secure a connection: plain TCP, or TLS with these security tags.
#[derive(Debug, Clone, Copy)]
pub enum Security<'a> {
    /// Plain TCP (`tcp://`, `mqtt://`).
    Plain,
    /// TLS (`ssl://`, `mqtts://`) with the credentials under `sec_tags`; `verify` says
    /// whether the broker's certificate and host name must check out.
    Tls {
        /// Security tags whose credentials the handshake may use.
        sec_tags: &'a [c_int],
        /// Require a valid broker certificate for the host name (the default).
        verify: bool,
        /// Application protocols to offer (ALPN), NULL-terminated; `None`: no ALPN extension.
        /// Zephyr copies the list but keeps the names' pointers, which must stay valid.
        alpn: Option<&'a [*const core::ffi::c_char]>,
    },
}

impl Socket {
    /// Resolves the URL's host and connects, with TLS when `security` says so, and upgrades
    /// the connection to a WebSocket for `ws://` and `wss://`.
    pub fn connect(url: &BrokerUrl<'_>, security: Security<'_>) -> Result<Socket, Error> {
        let mut host = heapless::Vec::<u8, HOST_LEN>::new();
        host.extend_from_slice(url.host.as_bytes())
            .map_err(|_| Error::HostTooLong)?;
        host.push(0).map_err(|_| Error::HostTooLong)?;
        let mut options = match security {
            Security::Plain => sys::LinkOptions {
                sec_tags: &[],
                verify: -1,
                alpn: None,
                websocket: None,
            },
            // TLS_PEER_VERIFY_NONE = 0, TLS_PEER_VERIFY_REQUIRED = 2.
            Security::Tls {
                sec_tags,
                verify,
                alpn,
            } => sys::LinkOptions {
                sec_tags,
                verify: if verify { 2 } else { 0 },
                alpn,
                websocket: None,
            },
        };
        #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
        let (path, host_header);
        #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
        if url.scheme.is_websocket() {
            (path, host_header) = websocket_request(url)?;
            options.websocket = Some((&path[..], host_header.as_bytes()));
        }
        #[cfg(not(CONFIG_ZMQTT_WEBSOCKET))]
        let _ = &mut options;
        match sys::sock_connect(&host, url.port, &options) {
            #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
            Ok((fd, inner)) => Ok(Socket { fd, inner }),
            // No WebSocket in this build, so nothing under the socket.
            #[cfg(not(CONFIG_ZMQTT_WEBSOCKET))]
            Ok((fd, _)) => Ok(Socket { fd }),
            Err(Errno::DNS) => Err(Error::Dns),
            Err(Errno::NO_TLS) => Err(Error::TlsNotSupported),
            Err(Errno::TLS) => Err(Error::TlsHandshake),
            #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
            Err(Errno::WEBSOCKET) => Err(Error::WebSocketUpgrade),
            Err(e) => Err(Error::Socket(e)),
        }
    }

    /// The file descriptor, for [`Waker`]'s wait.
    pub fn fd(&self) -> c_int {
        self.fd
    }
}

/// The WebSocket request's path and `Host` header (`host[:port]`, the port when it is not the
/// scheme's default, as RFC 6455 §4.1 asks), NUL-terminated for the shim.
#[cfg(CONFIG_ZMQTT_WEBSOCKET)]
fn websocket_request(url: &BrokerUrl<'_>) -> Result<(PathBuf, HostHeader), Error> {
    // Both fit: the path is part of a URL of at most URL_LEN bytes, the host at most HOST_LEN.
    let mut path = PathBuf::new();
    path.extend_from_slice(url.path.as_bytes())
        .map_err(|_| Error::HostTooLong)?;
    path.push(0).map_err(|_| Error::HostTooLong)?;
    let mut host = HostHeader::new();
    let ipv6 = url.host.contains(':');
    let written = if url.port == url.scheme.default_port() {
        write!(
            host,
            "{}{}{}\0",
            if ipv6 { "[" } else { "" },
            url.host,
            if ipv6 { "]" } else { "" }
        )
    } else {
        write!(
            host,
            "{}{}{}:{}\0",
            if ipv6 { "[" } else { "" },
            url.host,
            if ipv6 { "]" } else { "" },
            url.port
        )
    };
    written.map_err(|_| Error::HostTooLong)?;
    Ok((path, host))
}

/// A WebSocket request path with its NUL.
#[cfg(CONFIG_ZMQTT_WEBSOCKET)]
type PathBuf = heapless::Vec<u8, PATH_LEN>;
/// A `Host` header value (`[v6]:port` at most) with its NUL.
#[cfg(CONFIG_ZMQTT_WEBSOCKET)]
type HostHeader = heapless::String<{ HOST_LEN + 9 }>;

impl Link for Socket {
    type Error = Error;

    /// Writes all of `buf` (in binary frames on a WebSocket).
    fn send(&mut self, buf: &[u8]) -> Result<(), Error> {
        #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
        if self.inner >= 0 {
            return sys::ws_send(self.fd, buf).map_err(link_error);
        }
        sys::sock_send(self.fd, buf).map_err(link_error)
    }

    /// Reads what has arrived: `Ok(None)` if nothing (for TLS: no whole record yet),
    /// `Ok(Some(0))` at end of stream (on a WebSocket: also the broker's close frame).
    fn recv(&mut self, buf: &mut [u8]) -> Result<Option<usize>, Error> {
        #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
        let read = if self.inner >= 0 {
            sys::ws_recv(self.fd, buf)
        } else {
            sys::sock_recv(self.fd, buf)
        };
        #[cfg(not(CONFIG_ZMQTT_WEBSOCKET))]
        let read = sys::sock_recv(self.fd, buf);
        match read {
            Ok(n) => Ok(Some(n)),
            Err(Errno::AGAIN) => Ok(None),
            Err(e) => Err(link_error(e)),
        }
    }
}

/// A failed send or receive, logged with its errno here: the driver's line about it has no
/// number (its `Display` detail is for the `log` crate only).
fn link_error(e: Errno) -> Error {
    crate::log::warn!("socket error, errno %d", e.0);
    Error::Socket(e)
}

impl Drop for Socket {
    /// Closes the WebSocket (Zephyr sends the close frame) and then the socket under it.
    fn drop(&mut self) {
        sys::sock_close(self.fd);
        #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
        if self.inner >= 0 {
            sys::sock_close(self.inner);
        }
    }
}

/// How long one wait lasts at most where the wake-up cannot be polled together with the
/// socket (offloaded sockets): the latency of a command from another thread there.
const SLICE_MS: i32 = 10;

/// Wakes the client thread out of its wait from any thread.
///
/// With Zephyr's own sockets an eventfd is polled together with the socket, so the
/// thread sleeps until something happens. native_sim's offloaded sockets (host sockets)
/// cannot be polled together with Zephyr descriptors; there the thread waits in slices
/// of [`SLICE_MS`] and checks a flag in between.
pub struct Waker {
    efd: AtomicI32,
    flag: AtomicBool,
}

impl Waker {
    /// A waker with no eventfd yet (see [`Waker::init`]).
    pub const fn new() -> Waker {
        Waker {
            efd: AtomicI32::new(-1),
            flag: AtomicBool::new(false),
        }
    }

    /// Creates the eventfd where the platform supports one. Called once, by the client
    /// thread, before it first waits.
    pub fn init(&self) {
        if self.efd.load(Ordering::Acquire) >= 0 {
            return;
        }
        match sys::wake_new() {
            Ok(efd) => self.efd.store(efd, Ordering::Release),
            Err(Errno::NOTSUP) => {}
            Err(e) => crate::log::warn!(
                "no eventfd (errno %d): commands wait up to %u ms",
                e.0,
                SLICE_MS
            ),
        }
    }
}

impl driver::Waker<Socket> for Waker {
    /// Makes the client thread's current or next wait return.
    fn wake(&self) {
        self.flag.store(true, Ordering::Release);
        let efd = self.efd.load(Ordering::Acquire);
        if efd >= 0 {
            sys::wake_signal(efd);
        }
    }

    /// Waits until `socket` is readable, [`wake`](Self::wake) is called, or `timeout`
    /// passes (`None`: no timeout; zero: look once).
    fn wait(&self, socket: Option<&Socket>, timeout: Option<Duration>) -> Result<Wake, Error> {
        let fd = socket.map_or(-1, Socket::fd);
        let efd = self.efd.load(Ordering::Acquire);
        let timeout_ms = timeout.map(Duration::total_millis);
        let clamp = |ms: u64| ms.min(i32::MAX as u64) as i32;
        let bits = if efd >= 0 {
            if self.flag.swap(false, Ordering::AcqRel) {
                return Ok(Wake::Woken);
            }
            sys::sock_wait(fd, efd, timeout_ms.map_or(-1, clamp)).map_err(Error::Socket)?
        } else {
            let start = sys::uptime_ms();
            loop {
                if self.flag.swap(false, Ordering::AcqRel) {
                    return Ok(Wake::Woken);
                }
                let left = timeout_ms.map(|t| t.saturating_sub(sys::uptime_ms() - start));
                let slice = left.map_or(SLICE_MS, |l| clamp(l).min(SLICE_MS));
                // Polled at least once, even with no time left: a zero timeout means "look".
                let bits = sys::sock_wait(fd, -1, slice).map_err(Error::Socket)?;
                if bits != 0 || left.is_some_and(|l| l <= slice as u64) {
                    break bits;
                }
            }
        };
        // A wake-up that came meanwhile is answered by the turn that follows anyway.
        let woken = self.flag.swap(false, Ordering::AcqRel);
        if bits & (sys::READABLE | sys::HANGUP) != 0 {
            Ok(Wake::Readable)
        } else if woken {
            Ok(Wake::Woken)
        } else {
            Ok(Wake::Timeout)
        }
    }
}
