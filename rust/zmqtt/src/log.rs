//! The engine's log macros: `log`'s, or nothing.
//!
//! With the `log` feature, `error!`, `warn!` and `info!` are the `log` crate's; with
//! `log-debug` also `debug!` and `trace!` (the per-packet trace). A macro whose feature is off
//! expands to nothing, so its format string and the `Display`/`Debug` code behind it are not
//! in the image at all, as smoltcp's `net_log!` does. Modules that log say `use crate::log;`
//! and then `log::warn!(..)` as usual.

#[cfg(feature = "log-debug")]
pub(crate) use ::log::{debug, trace};
#[cfg(feature = "log")]
pub(crate) use ::log::{error, info, warn};

/// A log line this build leaves out. Its arguments are type-checked (so a line cannot rot
/// while its feature is off) but never evaluated.
#[cfg(not(feature = "log"))]
macro_rules! off {
    ($($arg:tt)+) => {
        if false {
            let _ = ::core::format_args!($($arg)+);
        }
    };
}
#[cfg(not(feature = "log"))]
pub(crate) use off as error;
#[cfg(not(feature = "log"))]
pub(crate) use off as info;
#[cfg(not(feature = "log"))]
pub(crate) use off as warn;

/// A debug-level line this build leaves out. Dropped unchecked: they may format packets,
/// which have no `Debug` without `log-debug`.
#[cfg(not(feature = "log-debug"))]
macro_rules! off_unchecked {
    ($($arg:tt)+) => {
        ()
    };
}
#[cfg(not(feature = "log-debug"))]
pub(crate) use off_unchecked as debug;
#[cfg(not(feature = "log-debug"))]
pub(crate) use off_unchecked as trace;
