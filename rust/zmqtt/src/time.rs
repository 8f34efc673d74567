//! Time as plain integers: [`Instant`] and [`Duration`] in milliseconds.
//!
//! The core never reads a clock (smoltcp's `time.rs` does the same): the caller passes `now` into
//! every call, so the engine runs the same under a fake clock in tests, on the host and on Zephyr
//! (`k_uptime_get`). Milliseconds in a `u64` last for 584 million years, so nothing here wraps.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A point on a monotonic clock, in milliseconds since an arbitrary origin (usually boot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    millis: u64,
}

impl Instant {
    /// The clock's origin.
    pub const ZERO: Instant = Instant { millis: 0 };

    /// An instant `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Instant {
        Instant { millis }
    }

    /// An instant `secs` seconds after the origin.
    pub const fn from_secs(secs: u64) -> Instant {
        Instant {
            millis: secs.saturating_mul(1000),
        }
    }

    /// Milliseconds since the origin.
    pub const fn total_millis(self) -> u64 {
        self.millis
    }

    /// The time from `earlier` to `self`, or zero when `earlier` is later (a clock must not go
    /// backwards, but a saturating answer keeps a confused caller from panicking the engine).
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration {
            millis: self.millis.saturating_sub(earlier.millis),
        }
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.millis / 1000, self.millis % 1000)
    }
}

/// A span of time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    millis: u64,
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { millis: 0 };

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Duration {
        Duration { millis }
    }

    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Duration {
        Duration {
            millis: secs.saturating_mul(1000),
        }
    }

    /// The duration in milliseconds.
    pub const fn total_millis(self) -> u64 {
        self.millis
    }

    /// The duration in whole seconds, rounded down.
    pub const fn secs(self) -> u64 {
        self.millis / 1000
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.millis / 1000, self.millis % 1000)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturates at the end of time instead of overflowing.
    fn add(self, rhs: Duration) -> Instant {
        Instant {
            millis: self.millis.saturating_add(rhs.millis),
        }
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero, see [`Instant::saturating_duration_since`].
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration {
            millis: self.millis.saturating_add(rhs.millis),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_arithmetic_saturates_instead_of_panicking() {
        let t = Instant::from_millis(1500);
        assert_eq!(t + Duration::from_secs(2), Instant::from_millis(3500));
        assert_eq!(
            Instant::from_millis(u64::MAX) + Duration::from_millis(1),
            Instant::from_millis(u64::MAX)
        );
        assert_eq!(
            Instant::from_millis(10) - Instant::from_millis(20),
            Duration::ZERO
        );
        assert_eq!(
            Instant::from_millis(20) - Instant::from_millis(10),
            Duration::from_millis(10)
        );
    }

    #[test]
    fn display_shows_seconds_with_milliseconds() {
        use std::string::ToString;
        assert_eq!(Instant::from_millis(61_005).to_string(), "61.005s");
        assert_eq!(Duration::from_millis(250).to_string(), "0.250s");
    }
}
