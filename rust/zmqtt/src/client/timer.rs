//! The engine's timers: one fixed slot per kind instead of a timer heap (as quinn-proto's
//! `connection/timer.rs`). [`TimerTable::next`] is what `Client::poll_timeout` reports.

use crate::time::Instant;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Send PINGREQ: nothing was sent for `keep_alive` (MQTT 3.1.1 §3.1.2.10).
    Keepalive = 0,
    /// The PINGRESP (or, while connecting, the CONNACK) is overdue: the link is dead.
    Response = 1,
    /// The back-off before the next connection attempt is over.
    Reconnect = 2,
    /// A tick of the QoS 1/2 retry clock (`Config::retry_interval`, MQTT 3.1.1 only).
    #[cfg(feature = "retry")]
    Retry = 3,
}

/// How many timers there are.
const COUNT: usize = if cfg!(feature = "retry") { 4 } else { 3 };

impl Timer {
    const VALUES: [Timer; COUNT] = [
        Timer::Keepalive,
        Timer::Response,
        Timer::Reconnect,
        #[cfg(feature = "retry")]
        Timer::Retry,
    ];
}

/// One optional deadline per [`Timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; COUNT],
}

impl TimerTable {
    /// No deadline set.
    pub(crate) const fn new() -> Self {
        TimerTable {
            data: [None; COUNT],
        }
    }

    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer as usize] = Some(at);
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.data[timer as usize]
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.data[timer as usize] = None;
    }

    pub(crate) fn stop_all(&mut self) {
        self.data = [None; COUNT];
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }

    /// Whether `timer` is set and due at `now`; clears it when so.
    pub(crate) fn take_expired(&mut self, timer: Timer, now: Instant) -> bool {
        match self.data[timer as usize] {
            Some(at) if at <= now => {
                self.data[timer as usize] = None;
                true
            }
            _ => false,
        }
    }

    #[allow(dead_code)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Timer, Instant)> + '_ {
        Timer::VALUES
            .iter()
            .filter_map(|&t| self.get(t).map(|at| (t, at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_the_earliest_set_deadline() {
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Reconnect, Instant::from_millis(300));
        t.set(Timer::Keepalive, Instant::from_millis(100));
        assert_eq!(t.next(), Some(Instant::from_millis(100)));
        t.stop(Timer::Keepalive);
        assert_eq!(t.next(), Some(Instant::from_millis(300)));
    }

    #[test]
    fn take_expired_fires_once_and_only_when_due() {
        let mut t = TimerTable::default();
        t.set(Timer::Response, Instant::from_millis(50));
        assert!(!t.take_expired(Timer::Response, Instant::from_millis(49)));
        assert!(t.take_expired(Timer::Response, Instant::from_millis(50)));
        assert!(!t.take_expired(Timer::Response, Instant::from_millis(51)));
    }
}
