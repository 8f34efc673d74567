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
        let mut line = heapless::String::<LINE_LEN>::new();
        // A full buffer ends the write early: the line is cut, which is what we want.
        let _ = write!(line, "{}", record.args());
        let level = match record.level() {
            Level::Error => 1,
            Level::Warn => 2,
            Level::Info => 3,
            Level::Debug | Level::Trace => 4,
        };
        sys::log(level, &line);
    }

    fn flush(&self) {}
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
