//! Reconnect back-off: 1, 2, 4, 8, 16, 32 s, then every 60 s; back to 1 s after a success.
//!
//! The delays are those DL-7450 documents for its automatic reconnect. Both ends are settable in
//! [`Config`](super::Config) so tests (and brokers on a LAN) can use shorter ones; the shape stays:
//! double from the minimum, cap at the maximum.

use crate::time::Duration;

/// Counts failed attempts and turns the count into the next delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Backoff {
    failures: u8,
}

impl Backoff {
    /// No failures yet.
    pub(crate) const fn new() -> Self {
        Backoff { failures: 0 }
    }

    /// The delay before the next attempt, counting one more failure.
    pub(crate) fn next_delay(&mut self, min: Duration, max: Duration) -> Duration {
        // 2^6 = 64 > 60: after six doublings the cap applies for any sane min/max ratio, and
        // stopping the count at 16 keeps the shift far from overflowing.
        let shift = u32::from(self.failures.min(16));
        self.failures = self.failures.saturating_add(1);
        let delay = min.total_millis().saturating_mul(1u64 << shift);
        Duration::from_millis(delay.min(max.total_millis()))
    }

    /// Forgets the failures (called when a CONNACK accepted the connection).
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    /// How many attempts failed in a row.
    #[cfg(test)]
    pub(crate) fn failures(&self) -> u8 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_one_second_then_stay_at_sixty() {
        let mut b = Backoff::default();
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(60));
        let secs: [u64; 9] = core::array::from_fn(|_| b.next_delay(min, max).secs());
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(b.failures(), 9);
    }

    #[test]
    fn reset_starts_again_at_the_minimum() {
        let mut b = Backoff::default();
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(60));
        for _ in 0..5 {
            b.next_delay(min, max);
        }
        b.reset();
        assert_eq!(b.next_delay(min, max), Duration::from_secs(1));
    }

    #[test]
    fn many_failures_never_overflow() {
        let mut b = Backoff::default();
        let (min, max) = (
            Duration::from_millis(u64::MAX / 2),
            Duration::from_millis(u64::MAX),
        );
        for _ in 0..300 {
            assert!(b.next_delay(min, max) <= max);
        }
    }
}
