//! The engine's log lines: a static printf-style text and at most two integers, never
//! `core::fmt`, or nothing at all.
//!
//! `error!`, `warn!` and `info!` take a string literal and up to two integer arguments:
//! `log::warn!("QoS 2 id %u skipped: %u unreleased ids held", id, held)`. The text is a
//! printf format limited to `%d`, `%u` and `%x` (with an optional `0` flag, width and `#`)
//! and `%%`, checked when compiling; arguments are passed as `i32` (`%u` and `%x` show their
//! bits unsigned). Numbers, not formatted enums: reason codes, error numbers, ids, sizes.
//! Where the lines go is the build's choice:
//!
//! - feature `log-c`: to `zmqtt_log_printf(level, format, a, b)`, a C function the platform
//!   provides. zmqtt-zephyr's shim hands the three values to Zephyr logging (module `zmqtt`),
//!   which formats them later in its own thread. A call site is a call with four arguments
//!   and the text, NUL-terminated, in `.rodata`: no formatting code in the image at all.
//! - feature `log` (the host): to the `log` crate, rendered by [`Printf`] (`target` `zmqtt`).
//!   A line may then add `; value` with a `Display` value (a link's error): it is appended to
//!   the `log` crate's line, and left out of `log-c`'s, which has no formatter.
//! - neither: the macros expand to nothing, so the texts are not in the image either (the
//!   arguments are still type-checked, so a line cannot rot while its feature is off).
//!
//! With `log-debug`, `debug!` and `trace!` are the `log` crate's (with `core::fmt`, for
//! per-packet traces and `Debug` output); without it they expand to nothing, unchecked (they
//! may format packets, which have no `Debug` then). Modules that log say `use crate::log;` and
//! then `log::warn!(..)`.

#[cfg(feature = "log-debug")]
pub(crate) use ::log::{debug, trace};

/// Log line severity: Zephyr's numbers (`LOG_LEVEL_ERR` … `LOG_LEVEL_INF`).
#[cfg(any(feature = "log", feature = "log-c"))]
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub(crate) enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
}

/// How many arguments the printf `format` takes; a compile-time error (in `const`) for a
/// conversion [`Printf`] and small printf implementations (Zephyr's `CBPRINTF_NANO`) may lack.
#[cfg_attr(not(any(feature = "log", feature = "log-c")), allow(dead_code))]
pub const fn printf_args(format: &str) -> usize {
    let b = format.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        if b[i] == 0 {
            panic!("a log format holds NUL");
        }
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if i < b.len() && b[i] == b'%' {
            i += 1;
            continue;
        }
        while i < b.len() && (b[i] == b'#' || b[i].is_ascii_digit()) {
            i += 1;
        }
        if i == b.len() || !(b[i] == b'd' || b[i] == b'u' || b[i] == b'x') {
            panic!("a log format may use only %d, %u and %x");
        }
        n += 1;
        i += 1;
    }
    n
}

#[cfg(feature = "log-c")]
#[allow(unsafe_code)]
extern "C" {
    /// Provided by the platform (zmqtt-zephyr's C shim): logs printf `format` (NUL-terminated,
    /// static) with the arguments it names among `a` and `b`; excess arguments are ignored, as
    /// C's printf ignores them.
    fn zmqtt_log_printf(
        level: core::ffi::c_int,
        format: *const core::ffi::c_char,
        a: core::ffi::c_int,
        b: core::ffi::c_int,
    );
}

/// Hands one line to the sink. `format` ends with the NUL the C side needs.
#[cfg(feature = "log-c")]
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn emit(level: Level, format: &'static str, a: i32, b: i32) {
    debug_assert!(format.ends_with('\0'));
    // SAFETY: `format` is a static, NUL-terminated printf format whose conversions (checked
    // by `printf_args` when compiling) take at most the two `int`s passed.
    unsafe { zmqtt_log_printf(level as i32, format.as_ptr().cast(), a, b) }
}

/// Hands one line to the sink. `format` ends with the NUL the C side needs.
#[cfg(all(feature = "log", not(feature = "log-c")))]
pub(crate) fn emit(level: Level, format: &'static str, a: i32, b: i32) {
    emit_with(level, format, a, b, None)
}

/// [`emit`] with a `Display` value after the text (the `log` crate only).
#[cfg(all(feature = "log", not(feature = "log-c")))]
pub(crate) fn emit_with(
    level: Level,
    format: &'static str,
    a: i32,
    b: i32,
    value: Option<&dyn core::fmt::Display>,
) {
    let level = match level {
        Level::Error => ::log::Level::Error,
        Level::Warn => ::log::Level::Warn,
        Level::Info => ::log::Level::Info,
    };
    let line = Printf {
        format: format.trim_end_matches('\0'),
        args: [a, b],
    };
    match value {
        Some(v) => ::log::log!(target: "zmqtt", level, "{line}: {v}"),
        None => ::log::log!(target: "zmqtt", level, "{line}"),
    }
}

/// A printf format with its arguments, rendered as C's printf would for the conversions
/// [`printf_args`] allows: `%d` signed, `%u` unsigned, `%x` lower-case hexadecimal (`#` adds
/// `0x` to a non-zero value), a width padded with spaces or, with a leading `0`, zeros.
#[cfg(any(test, all(feature = "log", not(feature = "log-c"))))]
pub(crate) struct Printf<'a> {
    pub(crate) format: &'a str,
    pub(crate) args: [i32; 2],
}

#[cfg(any(test, all(feature = "log", not(feature = "log-c"))))]
impl core::fmt::Display for Printf<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut args = self.args.iter();
        let mut rest = self.format;
        while let Some(at) = rest.find('%') {
            f.write_str(&rest[..at])?;
            let spec = &rest[at + 1..];
            if let Some(after) = spec.strip_prefix('%') {
                f.write_str("%")?;
                rest = after;
                continue;
            }
            let end = spec
                .find(|c: char| !(c == '#' || c.is_ascii_digit()))
                .unwrap_or(spec.len());
            let flags = &spec[..end];
            let alt = flags.starts_with('#');
            let digits = flags.trim_start_matches('#');
            let zero = digits.starts_with('0');
            let width: usize = digits.parse().unwrap_or(0);
            let arg = args.next().copied().unwrap_or(0);
            let text: heapless::String<16> = match spec[end..].chars().next() {
                Some('d') => number(format_args!("{arg}")),
                Some('u') => number(format_args!("{}", arg as u32)),
                Some('x') if alt && arg != 0 => number(format_args!("{:#x}", arg as u32)),
                Some('x') => number(format_args!("{:x}", arg as u32)),
                _ => return f.write_str(&rest[at..]),
            };
            // C pads after the sign and the `0x` with zeros, before them with spaces.
            let pad = width.saturating_sub(text.len());
            let (sign, digits) = text.split_at(if text.starts_with('-') {
                1
            } else if text.starts_with("0x") {
                2
            } else {
                0
            });
            if zero {
                f.write_str(sign)?;
                (0..pad).try_for_each(|_| f.write_str("0"))?;
            } else {
                (0..pad).try_for_each(|_| f.write_str(" "))?;
                f.write_str(sign)?;
            }
            f.write_str(digits)?;
            rest = &spec[end + 1..];
        }
        f.write_str(rest)
    }
}

#[cfg(any(test, all(feature = "log", not(feature = "log-c"))))]
fn number(args: core::fmt::Arguments<'_>) -> heapless::String<16> {
    let mut s = heapless::String::new();
    // At most 11 characters (`-2147483648`, `0xffffffff`).
    let _ = core::fmt::write(&mut s, args);
    s
}

/// One log line at `$level` (a [`Level`] variant): a printf format literal and up to two
/// integer arguments, optionally `; value` with a `Display` value for the `log` crate's line.
#[cfg(any(feature = "log", feature = "log-c"))]
macro_rules! line {
    ($level:ident, $format:literal $(, $arg:expr)* $(; $value:expr)? $(,)?) => {{
        const {
            assert!(
                $crate::log::printf_args($format) == <[&str]>::len(&[$(stringify!($arg)),*]),
                "the log format's conversions and arguments differ in number"
            )
        };
        $crate::log::line!(@emit $level, concat!($format, "\0"), [$($arg),*] $(; $value)?)
    }};
    (@emit $level:ident, $format:expr, [$($arg:expr),*]) => {{
        let (a, b) = $crate::log::line!(@ab $($arg),*);
        $crate::log::emit($crate::log::Level::$level, $format, a, b)
    }};
    (@emit $level:ident, $format:expr, [$($arg:expr),*]; $value:expr) => {{
        let (a, b) = $crate::log::line!(@ab $($arg),*);
        #[cfg(feature = "log-c")]
        {
            let _ = &$value;
            $crate::log::emit($crate::log::Level::$level, $format, a, b)
        }
        #[cfg(not(feature = "log-c"))]
        $crate::log::emit_with($crate::log::Level::$level, $format, a, b, Some(&$value))
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

#[cfg(any(feature = "log", feature = "log-c"))]
macro_rules! log_error {
    ($($t:tt)+) => { $crate::log::line!(Error, $($t)+) };
}
#[cfg(any(feature = "log", feature = "log-c"))]
macro_rules! log_warn {
    ($($t:tt)+) => { $crate::log::line!(Warn, $($t)+) };
}
#[cfg(any(feature = "log", feature = "log-c"))]
macro_rules! log_info {
    ($($t:tt)+) => { $crate::log::line!(Info, $($t)+) };
}
#[cfg(any(feature = "log", feature = "log-c"))]
pub(crate) use {line, log_error as error, log_info as info, log_warn as warn};

/// A log line this build leaves out. Its arguments are type-checked (so a line cannot rot
/// while its feature is off) but never evaluated.
#[cfg(not(any(feature = "log", feature = "log-c")))]
macro_rules! off {
    ($format:literal $(, $arg:expr)* $(; $value:expr)? $(,)?) => {
        if false {
            $(let _ = ($arg) as i32;)*
            $(let _ = &$value;)?
        }
    };
}
#[cfg(not(any(feature = "log", feature = "log-c")))]
pub(crate) use {off as error, off as info, off as warn};

/// A debug-level line this build leaves out. Dropped unchecked: they may format packets,
/// which have no `Debug` without `log-debug`.
#[cfg(not(feature = "log-debug"))]
macro_rules! off_unchecked {
    ($($arg:tt)+) => {
        ()
    };
}
#[cfg(not(feature = "log-debug"))]
pub(crate) use {off_unchecked as debug, off_unchecked as trace};

#[cfg(test)]
mod tests {
    use super::*;

    fn printf(format: &str, a: i32, b: i32) -> String {
        Printf {
            format,
            args: [a, b],
        }
        .to_string()
    }

    /// Expected texts are what C's printf gives for the same format and arguments (C11
    /// §7.21.6.1: `#` with `x` prefixes `0x` to non-zero values, `0` pads after the prefix).
    #[test]
    fn printf_renders_as_c_does() {
        assert_eq!(
            printf("connected, session present %d", 1, 0),
            "connected, session present 1"
        );
        assert_eq!(printf("reason 0x%02x", 0x8e, 0), "reason 0x8e");
        assert_eq!(printf("reason 0x%02x", 4, 0), "reason 0x04");
        assert_eq!(printf("%d and %u", -3, -1), "-3 and 4294967295");
        assert_eq!(printf("%x|%#x", 255, 255), "ff|0xff");
        assert_eq!(printf("%#x|%#06x", 0, 255), "0|0x00ff");
        assert_eq!(printf("[%4d][%04d]", -7, -7), "[  -7][-007]");
        assert_eq!(printf("100%% of %d", 5, 0), "100% of 5");
        assert_eq!(printf("no conversions", 1, 2), "no conversions");
    }

    #[test]
    fn formats_are_checked_when_compiling() {
        assert_eq!(printf_args("plain"), 0);
        assert_eq!(printf_args("%d of %u (%#06x) 100%%"), 3);
        // What `const` evaluation refuses, a test panics on.
        for bad in ["%s", "%ld", "%", "%-4d", "%p"] {
            assert!(
                std::panic::catch_unwind(|| printf_args(bad)).is_err(),
                "{bad}"
            );
        }
    }

    /// The C sink's contract, with this test as the platform: the format arrives
    /// NUL-terminated with its arguments as `int`s, at Zephyr's level numbers.
    #[cfg(feature = "log-c")]
    mod c_sink {
        use core::ffi::{c_char, c_int, CStr};
        use std::sync::Mutex;

        use crate::log::{error, info, warn};

        static LINES: Mutex<Vec<(c_int, String, c_int, c_int)>> = Mutex::new(Vec::new());

        #[allow(unsafe_code)]
        #[no_mangle]
        extern "C" fn zmqtt_log_printf(level: c_int, format: *const c_char, a: c_int, b: c_int) {
            // SAFETY: the sink's contract (see `emit`): a NUL-terminated static string.
            let format = unsafe { CStr::from_ptr(format) };
            let format = format.to_str().unwrap_or("(not UTF-8)").to_owned();
            LINES.lock().unwrap().push((level, format, a, b));
        }

        #[test]
        fn lines_reach_the_c_function_unformatted() {
            error!("c sink: plain");
            warn!("c sink: one %u", 7u16);
            info!("c sink: two %d 0x%02x", -1i8, 0x8eu8; "not for C");
            let lines: Vec<_> = LINES
                .lock()
                .unwrap()
                .iter()
                .filter(|l| l.1.starts_with("c sink:"))
                .cloned()
                .collect();
            assert_eq!(
                lines,
                [
                    (1, "c sink: plain".to_string(), 0, 0),
                    (2, "c sink: one %u".to_string(), 7, 0),
                    (3, "c sink: two %d 0x%02x".to_string(), -1, 0x8e),
                ]
            );
        }
    }

    #[cfg(any(feature = "log", feature = "log-c"))]
    #[test]
    fn the_macros_take_up_to_two_integers() {
        // Type-checks each shape; the host sink prints to no logger here.
        error!("plain");
        warn!("one %u", 1u16);
        info!("two %d %x", -1i8, 0x8eu8);
        info!("with a value %d", 3; "link reset");
    }
}
