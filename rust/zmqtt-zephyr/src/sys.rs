//! The C shim's functions (shim/zmqtt_sock.c): the only `extern "C"` in the crate.
//!
//! Each returns a non-negative value or a negative errno; [`check`] turns that into a
//! `Result` right at the call, so no raw integer travels further up.
use core::ffi::{c_char, c_int};

/// [`sock_wait`] bit: the socket has bytes (or reached end of stream).
pub const READABLE: c_int = 1;
// Bit 2 (2) reports the wake-up descriptor; a wait that returns without READABLE or
// HANGUP is handled the same whether it was woken or timed out.
/// [`sock_wait`] bit: the socket hung up or failed.
pub const HANGUP: c_int = 4;

mod ffi {
    use core::ffi::{c_char, c_int, c_void};

    extern "C" {
        pub fn zmqtt_sock_connect(
            host: *const c_char,
            port: u16,
            sec_tags: *const c_int,
            n_tags: usize,
            verify: c_int,
            // Only in builds with WebSocket or ALPN, as in the shim.
            #[cfg(any(CONFIG_ZMQTT_WEBSOCKET, CONFIG_ZMQTT_TLS_ALPN))] alpn: *const *const c_char,
            #[cfg(any(CONFIG_ZMQTT_WEBSOCKET, CONFIG_ZMQTT_TLS_ALPN))] ws_path: *const c_char,
            #[cfg(any(CONFIG_ZMQTT_WEBSOCKET, CONFIG_ZMQTT_TLS_ALPN))] ws_host: *const c_char,
            #[cfg(any(CONFIG_ZMQTT_WEBSOCKET, CONFIG_ZMQTT_TLS_ALPN))] inner: *mut c_int,
        ) -> c_int;
        pub fn zmqtt_sock_send(fd: c_int, buf: *const u8, len: usize) -> c_int;
        pub fn zmqtt_sock_recv(fd: c_int, buf: *mut u8, len: usize) -> c_int;
        pub fn zmqtt_sock_close(fd: c_int) -> c_int;
        #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
        pub fn zmqtt_ws_send(ws: c_int, buf: *const u8, len: usize) -> c_int;
        #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
        pub fn zmqtt_ws_recv(ws: c_int, buf: *mut u8, len: usize) -> c_int;
        pub fn zmqtt_sock_wait(fd: c_int, efd: c_int, timeout_ms: i32) -> c_int;
        pub fn zmqtt_wake_new() -> c_int;
        pub fn zmqtt_wake_signal(efd: c_int) -> c_int;
        pub fn zmqtt_uptime_ms() -> i64;
        pub fn zmqtt_thread_name_self();
        pub fn zmqtt_log(level: c_int, msg: *const c_char);
        #[cfg(feature = "log")]
        pub fn zmqtt_log_printf(level: c_int, format: *const c_char, a: c_int, b: c_int);
        #[allow(dead_code)]
        pub fn zmqtt_tls_credential_add(
            tag: c_int,
            kind: c_int,
            cred: *const c_void,
            len: usize,
        ) -> c_int;
        #[allow(dead_code)]
        pub fn zmqtt_tls_credential_delete(tag: c_int, kind: c_int) -> c_int;
    }

    // shim/zmqtt_fota.c, built with CONFIG_ZMQTT_FOTA.
    #[cfg(CONFIG_ZMQTT_FOTA)]
    extern "C" {
        pub fn zmqtt_fota_capacity() -> c_int;
        pub fn zmqtt_fota_begin(resume_at: u32) -> c_int;
        pub fn zmqtt_fota_write(data: *const u8, len: usize) -> c_int;
        pub fn zmqtt_fota_flush() -> c_int;
        pub fn zmqtt_fota_bytes_written() -> c_int;
        pub fn zmqtt_fota_check(size: u32, sha256: *const u8) -> c_int;
        pub fn zmqtt_fota_request_upgrade() -> c_int;
        pub fn zmqtt_fota_is_confirmed() -> c_int;
        pub fn zmqtt_fota_confirm() -> c_int;
        pub fn zmqtt_fota_save(record: *const u8, len: usize) -> c_int;
        pub fn zmqtt_fota_load(buf: *mut u8, cap: usize) -> c_int;
        pub fn zmqtt_fota_reboot();
    }
}

/// An error from the shim: an errno of the C library the build uses (their numbers
/// differ between Zephyr's libraries and the host's, so they are only logged), or one
/// of the fixed values the shim uses for the conditions the Rust side acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// Nothing to read yet (`ZMQTT_ERR_AGAIN`).
    pub const AGAIN: Errno = Errno(1000);
    /// The host name did not resolve (`ZMQTT_ERR_DNS`).
    pub const DNS: Errno = Errno(1001);
    /// No eventfd where sockets are offloaded (`ZMQTT_ERR_NOTSUP`).
    pub const NOTSUP: Errno = Errno(1002);
    /// TLS asked for in a build without it (`ZMQTT_ERR_NO_TLS`).
    pub const NO_TLS: Errno = Errno(1003);
    /// The TLS handshake failed (`ZMQTT_ERR_TLS`).
    pub const TLS: Errno = Errno(1004);
    /// The broker refused the WebSocket upgrade or answered it wrongly (`ZMQTT_ERR_WS`).
    #[cfg(CONFIG_ZMQTT_WEBSOCKET)]
    pub const WEBSOCKET: Errno = Errno(1005);
}

fn check(rc: c_int) -> Result<c_int, Errno> {
    if rc < 0 {
        Err(Errno(-rc))
    } else {
        Ok(rc)
    }
}

/// What [`sock_connect`] puts on top of the TCP connection.
pub struct LinkOptions<'a> {
    /// Security tags for TLS.
    pub sec_tags: &'a [c_int],
    /// `TLS_PEER_VERIFY`'s value; < 0 means plain TCP.
    pub verify: c_int,
    /// ALPN names to offer, NULL-terminated (Zephyr copies the list, not the names).
    pub alpn: Option<&'a [*const c_char]>,
    /// The WebSocket path and Host header, NUL-terminated; `None`: no WebSocket.
    pub websocket: Option<(&'a [u8], &'a [u8])>,
}

/// Resolves `host` (NUL-terminated) and connects as `options` say; returns the descriptor to
/// send and receive on, and the TCP/TLS socket under a WebSocket (else -1), to close after it.
pub fn sock_connect(
    host: &[u8],
    port: u16,
    options: &LinkOptions<'_>,
) -> Result<(c_int, c_int), Errno> {
    debug_assert_eq!(host.last(), Some(&0));
    // Without WebSocket and ALPN the shim takes neither, nor returns a socket underneath.
    #[cfg(not(any(CONFIG_ZMQTT_WEBSOCKET, CONFIG_ZMQTT_TLS_ALPN)))]
    {
        // SAFETY: `host` is NUL-terminated and `sec_tags` is a valid slice; the shim reads
        // both only during the call.
        let fd = check(unsafe {
            ffi::zmqtt_sock_connect(
                host.as_ptr() as *const c_char,
                port,
                options.sec_tags.as_ptr(),
                options.sec_tags.len(),
                options.verify,
            )
        })?;
        let _ = (options.alpn, options.websocket);
        Ok((fd, -1))
    }
    #[cfg(any(CONFIG_ZMQTT_WEBSOCKET, CONFIG_ZMQTT_TLS_ALPN))]
    sock_connect_extras(host, port, options)
}

#[cfg(any(CONFIG_ZMQTT_WEBSOCKET, CONFIG_ZMQTT_TLS_ALPN))]
fn sock_connect_extras(
    host: &[u8],
    port: u16,
    options: &LinkOptions<'_>,
) -> Result<(c_int, c_int), Errno> {
    debug_assert!(options
        .alpn
        .is_none_or(|a| a.last() == Some(&core::ptr::null())));
    let (ws_path, ws_host) =
        options
            .websocket
            .map_or((core::ptr::null(), core::ptr::null()), |(p, h)| {
                debug_assert!(p.last() == Some(&0) && h.last() == Some(&0));
                (p.as_ptr() as *const c_char, h.as_ptr() as *const c_char)
            });
    let mut inner: c_int = -1;
    // SAFETY: `host`, the path and the Host header are NUL-terminated, `sec_tags` is a valid
    // slice and the ALPN list NULL-terminated; the shim reads them during the call only, except
    // the ALPN names, which are 'static because Zephyr keeps their pointers.
    let fd = check(unsafe {
        ffi::zmqtt_sock_connect(
            host.as_ptr() as *const c_char,
            port,
            options.sec_tags.as_ptr(),
            options.sec_tags.len(),
            options.verify,
            options.alpn.map_or(core::ptr::null(), |a| a.as_ptr()),
            ws_path,
            ws_host,
            &mut inner,
        )
    })?;
    Ok((fd, inner))
}

/// Writes all of `buf` as binary WebSocket frames.
#[cfg(CONFIG_ZMQTT_WEBSOCKET)]
pub fn ws_send(ws: c_int, buf: &[u8]) -> Result<(), Errno> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes during the call.
    check(unsafe { ffi::zmqtt_ws_send(ws, buf.as_ptr(), buf.len()) }).map(|_| ())
}

/// Reads the payload of the WebSocket frames that arrived, as [`sock_recv`] does bytes.
#[cfg(CONFIG_ZMQTT_WEBSOCKET)]
pub fn ws_recv(ws: c_int, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes during the call.
    check(unsafe { ffi::zmqtt_ws_recv(ws, buf.as_mut_ptr(), buf.len()) }).map(|n| n as usize)
}

/// Writes all of `buf`.
pub fn sock_send(fd: c_int, buf: &[u8]) -> Result<(), Errno> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes during the call.
    check(unsafe { ffi::zmqtt_sock_send(fd, buf.as_ptr(), buf.len()) }).map(|_| ())
}

/// Reads what is there without waiting: `Ok(0)` at end of stream, `Err(AGAIN)` when empty.
pub fn sock_recv(fd: c_int, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes during the call.
    check(unsafe { ffi::zmqtt_sock_recv(fd, buf.as_mut_ptr(), buf.len()) }).map(|n| n as usize)
}

/// Closes a socket.
pub fn sock_close(fd: c_int) {
    // SAFETY: plain integer argument.
    let _ = unsafe { ffi::zmqtt_sock_close(fd) };
}

/// Waits for `fd` (or -1), `efd` (or -1) or `timeout_ms` (-1: forever); returns the bits.
pub fn sock_wait(fd: c_int, efd: c_int, timeout_ms: i32) -> Result<c_int, Errno> {
    // SAFETY: plain integer arguments.
    check(unsafe { ffi::zmqtt_sock_wait(fd, efd, timeout_ms) })
}

/// A new wake-up eventfd, or `NOTSUP` where sockets are offloaded.
pub fn wake_new() -> Result<c_int, Errno> {
    // SAFETY: no arguments.
    check(unsafe { ffi::zmqtt_wake_new() })
}

/// Signals a wake-up eventfd.
pub fn wake_signal(efd: c_int) {
    // SAFETY: plain integer argument.
    let _ = unsafe { ffi::zmqtt_wake_signal(efd) };
}

/// Milliseconds since boot.
pub fn uptime_ms() -> u64 {
    // SAFETY: no arguments.
    let ms = unsafe { ffi::zmqtt_uptime_ms() };
    ms.max(0) as u64
}

/// Names the calling thread "zmqtt" (a no-op without `CONFIG_THREAD_NAME`).
pub fn thread_name_self() {
    // SAFETY: no arguments; the shim passes a static string to k_thread_name_set.
    unsafe { ffi::zmqtt_thread_name_self() }
}

/// Hands a formatted line to Zephyr logging (module `zmqtt`).
pub fn log(level: c_int, msg: &core::ffi::CStr) {
    // SAFETY: `msg` is NUL-terminated and outlives the call; the shim formats it with `%s`
    // (deferred logging copies it by its length before returning).
    unsafe { ffi::zmqtt_log(level, msg.as_ptr()) }
}

/// Hands a static printf `format` (NUL-terminated, at most `%d`, `%u` and `%x` for `a` and
/// `b`) to Zephyr logging (module `zmqtt`), which formats it in its own thread.
#[cfg(feature = "log")]
pub fn log_printf(level: c_int, format: &'static str, a: c_int, b: c_int) {
    debug_assert!(format.ends_with('\0'));
    // SAFETY: `format` is static and NUL-terminated, and its conversions (checked by
    // `zmqtt::log_printf_args` when compiling) take at most the two ints passed.
    unsafe { ffi::zmqtt_log_printf(level, format.as_ptr().cast(), a, b) }
}

/// Credential kinds, as the shim numbers them.
#[cfg(CONFIG_ZMQTT_TLS)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A CA certificate (trust store).
    Ca = 0,
    /// The client's own certificate (key store).
    Certificate = 1,
    /// The client's private key.
    PrivateKey = 2,
}

/// Registers a credential; Zephyr keeps the pointer, hence `'static`.
#[cfg(CONFIG_ZMQTT_TLS)]
pub fn tls_credential_add(
    tag: c_int,
    kind: CredentialKind,
    cred: &'static [u8],
) -> Result<(), Errno> {
    // SAFETY: `cred` lives for the whole program, as Zephyr keeps the pointer.
    check(unsafe {
        ffi::zmqtt_tls_credential_add(tag, kind as c_int, cred.as_ptr().cast(), cred.len())
    })
    .map(|_| ())
}

/// Removes a credential registered with [`tls_credential_add`].
#[cfg(CONFIG_ZMQTT_TLS)]
pub fn tls_credential_delete(tag: c_int, kind: CredentialKind) {
    // SAFETY: plain integer arguments.
    let _ = unsafe { ffi::zmqtt_tls_credential_delete(tag, kind as c_int) };
}

/// The firmware-update shim (shim/zmqtt_fota.c): MCUboot's secondary slot, its flags, and
/// the download's progress record in settings.
#[cfg(CONFIG_ZMQTT_FOTA)]
pub mod fota {
    use super::{check, ffi, Errno};

    /// The secondary slot's size in bytes.
    pub fn capacity() -> u32 {
        // SAFETY: no arguments.
        check(unsafe { ffi::zmqtt_fota_capacity() }).map_or(0, |n| n as u32)
    }

    /// Erases the slot from `resume_at`'s page on and starts writing there; returns
    /// that page's offset.
    pub fn begin(resume_at: u32) -> Result<u32, Errno> {
        // SAFETY: plain integer argument.
        check(unsafe { ffi::zmqtt_fota_begin(resume_at) }).map(|n| n as u32)
    }

    /// Appends `data` (buffered by flash_img).
    pub fn write(data: &[u8]) -> Result<(), Errno> {
        // SAFETY: `data` is valid for reads of `data.len()` bytes during the call.
        check(unsafe { ffi::zmqtt_fota_write(data.as_ptr(), data.len()) }).map(|_| ())
    }

    /// Writes out flash_img's buffer.
    pub fn flush() -> Result<(), Errno> {
        // SAFETY: no arguments.
        check(unsafe { ffi::zmqtt_fota_flush() }).map(|_| ())
    }

    /// Bytes that reached flash.
    pub fn bytes_written() -> u32 {
        // SAFETY: no arguments.
        check(unsafe { ffi::zmqtt_fota_bytes_written() }).map_or(0, |n| n as u32)
    }

    /// Re-hashes the slot's first `size` bytes: `Ok(true)` when they match.
    pub fn check_sha256(size: u32, sha256: &[u8; 32]) -> Result<bool, Errno> {
        // SAFETY: `sha256` is 32 readable bytes, what flash_img_check reads.
        check(unsafe { ffi::zmqtt_fota_check(size, sha256.as_ptr()) }).map(|n| n == 1)
    }

    /// `boot_request_upgrade(BOOT_UPGRADE_TEST)`.
    pub fn request_upgrade() -> Result<(), Errno> {
        // SAFETY: no arguments.
        check(unsafe { ffi::zmqtt_fota_request_upgrade() }).map(|_| ())
    }

    /// `boot_is_img_confirmed()`.
    pub fn is_confirmed() -> bool {
        // SAFETY: no arguments.
        let rc = unsafe { ffi::zmqtt_fota_is_confirmed() };
        rc == 1
    }

    /// `boot_write_img_confirmed()`.
    pub fn confirm() -> Result<(), Errno> {
        // SAFETY: no arguments.
        check(unsafe { ffi::zmqtt_fota_confirm() }).map(|_| ())
    }

    /// Keeps `record` in settings; an empty record deletes it.
    pub fn save(record: &[u8]) -> Result<(), Errno> {
        // SAFETY: `record` is valid for reads of `record.len()` bytes during the call.
        check(unsafe { ffi::zmqtt_fota_save(record.as_ptr(), record.len()) }).map(|_| ())
    }

    /// Reads the kept record into `buf`; its length (0: none).
    pub fn load(buf: &mut [u8]) -> Result<usize, Errno> {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes during the call.
        check(unsafe { ffi::zmqtt_fota_load(buf.as_mut_ptr(), buf.len()) }).map(|n| n as usize)
    }

    /// `sys_reboot(SYS_REBOOT_COLD)`: does not return on hardware; native_sim exits.
    pub fn reboot() {
        // SAFETY: no arguments.
        unsafe { ffi::zmqtt_fota_reboot() }
    }
}
