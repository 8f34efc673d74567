//! What every footprint scenario shares: the transport and the clock as opaque `extern "C"`
//! functions, the scenario's strings, a panic handler and a minimal `block_on`.
//!
//! The externs are defined in assembly below (each returns at once), so the image links; as
//! assembly they are opaque to LTO, so no client code that depends on their results can be
//! optimised away. The image is never run: it exists to be measured.
#![no_std]

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

/// Client identifier of the scenario.
pub const CLIENT_ID: &str = "dl7450-0001";
/// User name of the scenario.
pub const USERNAME: &str = "device";
/// Password of the scenario.
pub const PASSWORD: &[u8] = b"secret-password";
/// Will topic of the scenario.
pub const WILL_TOPIC: &str = "devices/dl7450-0001/status";
/// Will payload of the scenario.
pub const WILL_PAYLOAD: &[u8] = b"offline";
/// Topic filter the scenario subscribes to (at QoS 2).
pub const FILTER: &str = "devices/dl7450-0001/cmd/#";
/// Topic the scenario publishes to (once at each QoS).
pub const TOPIC: &str = "devices/dl7450-0001/telemetry";
/// Payload of the scenario's publishes.
pub const PAYLOAD: &[u8] = b"{\"t\":21.5,\"h\":4}";
/// Keep alive of the scenario, in seconds.
pub const KEEP_ALIVE_SECS: u16 = 60;
/// Receive and transmit buffer size given to every client, in bytes.
pub const BUF_LEN: usize = 1024;

mod sys {
    extern "C" {
        pub fn bench_connect() -> i32;
        pub fn bench_read(fd: i32, buf: *mut u8, len: usize) -> isize;
        pub fn bench_write(fd: i32, buf: *const u8, len: usize) -> isize;
        pub fn bench_close(fd: i32);
        pub fn bench_wait(fd: i32, deadline_ms: u64) -> i32;
        pub fn bench_now_ms() -> u64;
        pub fn bench_message(topic: *const u8, topic_len: usize, payload: *const u8, len: usize);
    }

    // One `bx lr` behind every name: enough to link, invisible to the optimiser.
    core::arch::global_asm!(
        ".section .text.bench_stubs,\"ax\",%progbits",
        ".syntax unified",
        ".thumb",
        ".global bench_connect, bench_read, bench_write, bench_close",
        ".global bench_wait, bench_now_ms, bench_message",
        ".thumb_func",
        "bench_connect:",
        ".thumb_func",
        "bench_read:",
        ".thumb_func",
        "bench_write:",
        ".thumb_func",
        "bench_close:",
        ".thumb_func",
        "bench_wait:",
        ".thumb_func",
        "bench_now_ms:",
        ".thumb_func",
        "bench_message:",
        "bx lr",
    );
}

/// A connection to the broker (a handle the transport gave out).
#[derive(Debug)]
pub struct Conn(i32);

/// The transport failed or the broker closed the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportError;

/// What [`Conn::wait`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// Bytes (or end of stream) to read.
    Readable,
    /// The deadline passed.
    Timeout,
}

impl Conn {
    /// Opens a connection to the broker.
    pub fn open() -> Result<Conn, TransportError> {
        // SAFETY: no arguments; the transport owns the handle it returns.
        let fd = unsafe { sys::bench_connect() };
        if fd < 0 {
            Err(TransportError)
        } else {
            Ok(Conn(fd))
        }
    }

    /// Reads what has arrived (blocking until something has); `Ok(0)` at end of stream.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        // SAFETY: `buf` is valid for `buf.len()` bytes of writes.
        let n = unsafe { sys::bench_read(self.0, buf.as_mut_ptr(), buf.len()) };
        usize::try_from(n).map_err(|_| TransportError)
    }

    /// Writes some of `buf`; returns how much.
    pub fn write(&mut self, buf: &[u8]) -> Result<usize, TransportError> {
        // SAFETY: `buf` is valid for `buf.len()` bytes of reads.
        let n = unsafe { sys::bench_write(self.0, buf.as_ptr(), buf.len()) };
        usize::try_from(n).map_err(|_| TransportError)
    }

    /// Blocks until the connection is readable or `deadline_ms` (`None`: no deadline).
    pub fn wait(&mut self, deadline_ms: Option<u64>) -> Result<Ready, TransportError> {
        wait(self.0, deadline_ms)
    }

    /// The handle, for [`wait`] while a client owns the connection.
    pub fn handle(&self) -> i32 {
        self.0
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // SAFETY: the handle came from bench_connect and is closed once.
        unsafe { sys::bench_close(self.0) }
    }
}

/// Blocks until connection `handle` is readable or `deadline_ms` (`None`: no deadline).
pub fn wait(handle: i32, deadline_ms: Option<u64>) -> Result<Ready, TransportError> {
    // SAFETY: plain values.
    match unsafe { sys::bench_wait(handle, deadline_ms.unwrap_or(u64::MAX)) } {
        0 => Ok(Ready::Timeout),
        r if r > 0 => Ok(Ready::Readable),
        _ => Err(TransportError),
    }
}

/// Milliseconds since boot.
pub fn now_ms() -> u64 {
    // SAFETY: no arguments.
    unsafe { sys::bench_now_ms() }
}

/// Blocks until `deadline_ms` without a connection (reconnect back-off).
pub fn sleep_until(deadline_ms: Option<u64>) {
    // SAFETY: -1 is no connection; the transport just sleeps.
    unsafe {
        sys::bench_wait(-1, deadline_ms.unwrap_or(u64::MAX));
    }
}

/// The application: takes one received message.
pub fn deliver(topic: &str, payload: &[u8]) {
    // SAFETY: both slices are valid for their lengths during the call.
    unsafe { sys::bench_message(topic.as_ptr(), topic.len(), payload.as_ptr(), payload.len()) }
}

/// Runs a future to completion, sleeping in the transport while it is pending. The async
/// clients' I/O completes at once (it blocks inside the transport), so this never spins long.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        sleep_until(None);
    }
}

/// Every scenario ends in its receive loop; a panic ends there too. No message formatting:
/// the same for every client, and the cheapest.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        sleep_until(None);
    }
}
