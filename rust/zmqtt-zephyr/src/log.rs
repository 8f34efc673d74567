//! A `log` backend that writes to Zephyr logging under the `zmqtt` module.
//!
//! zephyr-lang-rust's own logger sends every Rust line through one C module, `rust`, at
//! a fixed level. Ours formats into a stack buffer (no heap) and hands the line to the
//! shim's `LOG_MODULE_REGISTER(zmqtt, CONFIG_ZMQTT_LOG_LEVEL)`, so users filter zmqtt
//! like any other Zephyr module. Lines longer than the buffer are cut.
use core::fmt::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::sys;

/// Longest line kept, in bytes.
const LINE_LEN: usize = 160;

struct ZephyrLog;

static LOGGER: ZephyrLog = ZephyrLog;

/// Installs the `zmqtt` logger as the `log` crate's logger, with the level of
/// `CONFIG_ZMQTT_LOG_LEVEL`. Does nothing if another logger was installed first.
pub fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(crate::config::LOG_LEVEL);
    }
}

impl Log for ZephyrLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut line = Line::default();
        // A full buffer ends the write early: the line is cut, which is what we want.
        let _ = write!(line, "{}", record.args());
        let level = match record.level() {
            Level::Error => 1,
            Level::Warn => 2,
            Level::Info => 3,
            Level::Debug | Level::Trace => 4,
        };
        sys::log(level, line.as_c_str());
    }

    fn flush(&self) {}
}

/// A log line in a stack buffer, always NUL-terminated for the shim's `%s`: at most
/// `LINE_LEN` bytes of text, cut at a character boundary, and never an interior NUL (which
/// would end the line early in C), shown as U+FFFD.
struct Line {
    buf: [u8; LINE_LEN + 1],
    len: usize,
}

impl Default for Line {
    fn default() -> Self {
        Line {
            buf: [0; LINE_LEN + 1],
            len: 0,
        }
    }
}

impl Line {
    fn as_c_str(&self) -> &core::ffi::CStr {
        // `write_str` keeps `buf[len]` (and every byte after) zero and no zero before it.
        core::ffi::CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }
}

impl Write for Line {
    /// Byte by byte, without decoding characters (size first): U+0000 becomes U+FFFD, and a
    /// character that does not fit is taken back whole, so the line is cut at a character
    /// boundary. `s` is whole characters, so it starts at one.
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let mut char_start = self.len;
        for &b in s.as_bytes() {
            if b & 0xc0 != 0x80 {
                char_start = self.len;
            }
            let bytes: &[u8] = if b == 0 {
                "\u{fffd}".as_bytes()
            } else {
                core::slice::from_ref(&b)
            };
            let end = self.len + bytes.len();
            match self.buf.get_mut(self.len..end) {
                Some(dst) if end <= LINE_LEN => {
                    dst.copy_from_slice(bytes);
                    self.len = end;
                }
                _ => {
                    // Everything from `len` on stays zero (see `as_c_str`).
                    if let Some(part) = self.buf.get_mut(char_start..self.len) {
                        part.fill(0);
                    }
                    self.len = char_start;
                    return Err(core::fmt::Error);
                }
            }
        }
        Ok(())
    }
}

/// `CONFIG_ZMQTT_LOG_LEVEL` (0 off … 4 debug) as a `log` level filter. Zephyr has no
/// trace level: its debug level also lets through the engine's `trace` records, one per
/// packet sent or received (with passwords shown as their length only).
#[cfg_attr(not(CONFIG_LOG), allow(dead_code))]
pub const fn level_filter(level: isize) -> LevelFilter {
    match level {
        0 => LevelFilter::Off,
        1 => LevelFilter::Error,
        2 => LevelFilter::Warn,
        3 => LevelFilter::Info,
        _ => LevelFilter::Trace,
    }
}
