//! zmqtt's log lines in Zephyr logging, under the shim's
//! `LOG_MODULE_REGISTER(zmqtt, CONFIG_ZMQTT_LOG_LEVEL)`, so users filter zmqtt like any other
//! Zephyr module.
//!
//! Two paths:
//! - zmqtt's own error, warning and info lines (the core's and the glue's `error!`, `warn!`,
//!   `info!` below) are a static printf format and two integers handed to the shim's
//!   `zmqtt_log_printf`: no `core::fmt`, no `log` crate, nothing formatted on the caller's
//!   thread; Zephyr's log thread formats them. They need no init, and are compiled in only
//!   with `CONFIG_ZMQTT_LOG_LEVEL` >= 1 (cargo feature `log`).
//! - A `log` crate backend ([`init`]): the application's `log` lines, and zmqtt's debug
//!   lines and packet trace (`CONFIG_ZMQTT_LOG_LEVEL_DBG`, which installs it by itself).
//!   zephyr-lang-rust's own logger sends every Rust line through one C module, `rust`, at a
//!   fixed level; ours formats into a stack buffer (no heap) and hands the line to the shim.
//!   Lines longer than the buffer are cut.
use core::fmt::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::sys;

/// Longest line kept, in bytes.
const LINE_LEN: usize = 160;

struct ZephyrLog;

static LOGGER: ZephyrLog = ZephyrLog;

/// Installs the `zmqtt` logger as the `log` crate's logger, with the level of
/// `CONFIG_ZMQTT_LOG_LEVEL`, for the application's `log` lines (zmqtt's error, warning and
/// info lines do not need it; at debug level the client installs it for its debug lines).
/// Does nothing if another logger was installed first.
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

/// One of the glue's log lines: a printf format literal (`%d`, `%u`, `%x` only, checked
/// when compiling) and up to two integers, to the shim (see the module's doc). Without the
/// `log` feature nothing is compiled in; the arguments are still type-checked.
macro_rules! line {
    ($level:literal, $format:literal $(, $arg:expr)* $(,)?) => {{
        const {
            assert!(
                zmqtt::log_printf_args($format) == <[&str]>::len(&[$(stringify!($arg)),*]),
                "the log format's conversions and arguments differ in number"
            )
        };
        #[cfg(feature = "log")]
        {
            let (a, b) = $crate::log::line!(@ab $($arg),*);
            $crate::sys::log_printf($level, concat!($format, "\0"), a, b);
        }
        #[cfg(not(feature = "log"))]
        if false {
            $(let _ = ($arg) as i32;)*
        }
    }};
    (@ab) => {
        (0, 0)
    };
    (@ab $a:expr) => {
        (($a) as i32, 0)
    };
    (@ab $a:expr, $b:expr) => {
        (($a) as i32, ($b) as i32)
    };
}

macro_rules! log_error {
    ($($t:tt)+) => { $crate::log::line!(1, $($t)+) };
}
macro_rules! log_warn {
    ($($t:tt)+) => { $crate::log::line!(2, $($t)+) };
}
macro_rules! log_info {
    ($($t:tt)+) => { $crate::log::line!(3, $($t)+) };
}
#[allow(unused_imports)]
pub(crate) use {line, log_error as error, log_info as info, log_warn as warn};
