//! The `mqtt` shell command (`status`, `pub`, `sub`, `unsub`, `fw status`) for the client that
//! exists, if any: the C side (shim/zmqtt_shell.c) registers the command with Zephyr's
//! shell and parses arguments; these functions do the work.
//!
//! Strings arrive as pointer and length from the shell's argument vector; each function
//! returns a mid (≥ 0) or a DL-7450 error number (< 0).
use core::ffi::{c_char, c_int};

use crate::client;

/// Turns a C argument (pointer and length) into `&str`, or error -5 for invalid UTF-8.
///
/// # Safety
/// `ptr` must point to `len` readable bytes that stay valid during the call.
unsafe fn arg<'a>(ptr: *const c_char, len: usize) -> Result<&'a str, c_int> {
    if ptr.is_null() {
        return Err(zmqtt::MqttError::NullParameter.code());
    }
    // SAFETY: the caller guarantees `len` readable bytes at `ptr`.
    let bytes = unsafe { core::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    core::str::from_utf8(bytes).map_err(|_| zmqtt::MqttError::BadUtf8String.code())
}

fn code(result: Result<u16, zmqtt::MqttError>) -> c_int {
    match result {
        Ok(mid) => c_int::from(mid),
        Err(e) => e.code(),
    }
}

/// Writes a one-line status into `buf` and returns its length.
#[no_mangle]
extern "C" fn zmqtt_shell_status(buf: *mut u8, len: usize) -> usize {
    if buf.is_null() {
        return 0;
    }
    // SAFETY: the C side passes a writable buffer of `len` bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(buf, len) };
    let line = client::status_line();
    let n = line.len().min(out.len());
    out[..n].copy_from_slice(&line.as_bytes()[..n]);
    n
}

/// Writes the firmware update's status line (`mqtt fw status`) into `buf`; its length.
#[cfg(CONFIG_ZMQTT_FOTA)]
#[no_mangle]
extern "C" fn zmqtt_shell_fw_status(buf: *mut u8, len: usize) -> usize {
    if buf.is_null() {
        return 0;
    }
    // SAFETY: the C side passes a writable buffer of `len` bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(buf, len) };
    let line = crate::fota::status_line();
    let n = line.len().min(out.len());
    out[..n].copy_from_slice(&line.as_bytes()[..n]);
    n
}

#[no_mangle]
extern "C" fn zmqtt_shell_publish(
    topic: *const c_char,
    topic_len: usize,
    msg: *const c_char,
    msg_len: usize,
    qos: c_int,
) -> c_int {
    // SAFETY: the shell's argv strings outlive the command handler that calls us.
    let (topic, msg) = match unsafe { (arg(topic, topic_len), arg(msg, msg_len)) } {
        (Ok(t), Ok(m)) => (t, m),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let Ok(qos) = u8::try_from(qos) else {
        return zmqtt::MqttError::BadQos.code();
    };
    let options = client::PublishOptions {
        qos,
        ..client::PublishOptions::default()
    };
    code(client::publish(topic, msg.as_bytes(), &options))
}

#[no_mangle]
extern "C" fn zmqtt_shell_subscribe(filter: *const c_char, len: usize, qos: c_int) -> c_int {
    // SAFETY: as in zmqtt_shell_publish.
    let filter = match unsafe { arg(filter, len) } {
        Ok(f) => f,
        Err(e) => return e,
    };
    let Ok(qos) = u8::try_from(qos) else {
        return zmqtt::MqttError::BadQos.code();
    };
    code(client::subscribe(&[(filter, qos)]))
}

#[no_mangle]
extern "C" fn zmqtt_shell_unsubscribe(filter: *const c_char, len: usize) -> c_int {
    // SAFETY: as in zmqtt_shell_publish.
    let filter = match unsafe { arg(filter, len) } {
        Ok(f) => f,
        Err(e) => return e,
    };
    code(client::unsubscribe(&[filter]))
}

/// The text of a DL-7450 error number, NUL-terminated for C.
#[no_mangle]
extern "C" fn zmqtt_shell_error(code: c_int, buf: *mut u8, len: usize) -> usize {
    if buf.is_null() || len == 0 {
        return 0;
    }
    // SAFETY: the C side passes a writable buffer of `len` bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(buf, len) };
    let text = zmqtt::error_description(code).as_bytes();
    let n = text.len().min(len - 1);
    out[..n].copy_from_slice(&text[..n]);
    out[n] = 0;
    n
}
