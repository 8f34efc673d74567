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
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for c in s.chars() {
            let c = if c == '\0' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            };
            let mut utf8 = [0; 4];
            let bytes = c.encode_utf8(&mut utf8).as_bytes();
            let end = self.len + bytes.len();
            if end > LINE_LEN {
                return Err(core::fmt::Error);
            }
            self.buf[self.len..end].copy_from_slice(bytes);
            self.len = end;
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
