//! When to reconnect with a fresh SAS token.
//!
//! IoT Hub closes the connection when the token in the CONNECT password expires; the device must
//! connect again with a new one before that. [`RenewalPolicy`] says how far into a token's
//! lifetime to renew (a fraction in per-mille, 800 = 0.8 by default: integer arithmetic, no float
//! code on the target). [`TokenRenewal`] tracks the current token in the sans-IO style:
//! [`TokenRenewal::token_issued`] on each CONNECT with a new token, [`TokenRenewal::poll_timeout`]
//! for the deadline, [`TokenRenewal::handle_timeout`] to learn it is time.
//!
//! Two clocks on purpose: the token's expiry (`se`) is wall-clock Unix seconds, because that is
//! what the hub checks ([`TokenRenewal::expiry_unix_secs`]); the renewal deadline runs on the
//! monotonic [`Instant`] clock, so an SNTP step cannot make it fire early in a loop or never.

use core::fmt;

use zmqtt::{Duration, Instant};

/// Why a renewal policy or schedule was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalError {
    /// The fraction is not 1..=1000 per-mille (0 would reconnect without pause).
    BadFraction,
    /// The token lifetime is shorter than one second (the `se` field has one-second resolution).
    LifetimeTooShort,
}

impl fmt::Display for RenewalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RenewalError::BadFraction => "renewal fraction must be 1..=1000 per-mille",
            RenewalError::LifetimeTooShort => "token lifetime must be at least one second",
        })
    }
}

impl core::error::Error for RenewalError {}

/// How far into its lifetime a token is renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalPolicy {
    permille: u16,
}

impl Default for RenewalPolicy {
    fn default() -> Self {
        RenewalPolicy {
            permille: Self::DEFAULT_PERMILLE,
        }
    }
}

impl RenewalPolicy {
    /// 0.8 of the lifetime: leaves a fifth of it for a reconnect that needs retries.
    pub const DEFAULT_PERMILLE: u16 = 800;

    /// Renew at `permille`/1000 of the lifetime; 1..=1000.
    pub const fn from_permille(permille: u16) -> Result<Self, RenewalError> {
        if permille == 0 || permille > 1000 {
            Err(RenewalError::BadFraction)
        } else {
            Ok(RenewalPolicy { permille })
        }
    }

    /// The fraction, in per-mille.
    pub const fn permille(&self) -> u16 {
        self.permille
    }

    /// When a token issued at `issued` and valid for `lifetime` should be replaced.
    pub fn renew_at(&self, issued: Instant, lifetime: Duration) -> Instant {
        let millis = lifetime.total_millis();
        let permille = u64::from(self.permille);
        // Split so that no lifetime overflows the product.
        let share = millis / 1000 * permille + millis % 1000 * permille / 1000;
        issued + Duration::from_millis(share)
    }
}

/// The renewal schedule of the current token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRenewal {
    policy: RenewalPolicy,
    lifetime: Duration,
    renew_at: Option<Instant>,
}

impl TokenRenewal {
    /// Tokens valid for `lifetime`, renewed as `policy` says. Nothing is scheduled until the first
    /// [`TokenRenewal::token_issued`].
    pub fn new(policy: RenewalPolicy, lifetime: Duration) -> Result<Self, RenewalError> {
        if lifetime.secs() == 0 {
            return Err(RenewalError::LifetimeTooShort);
        }
        Ok(TokenRenewal {
            policy,
            lifetime,
            renew_at: None,
        })
    }

    /// The `se` value for a token made now: `now_unix_secs` plus the lifetime in whole seconds.
    pub fn expiry_unix_secs(&self, now_unix_secs: u64) -> u64 {
        now_unix_secs.saturating_add(self.lifetime.secs())
    }

    /// A token made at `now` was just used to connect: schedule its renewal.
    pub fn token_issued(&mut self, now: Instant) {
        self.renew_at = Some(self.policy.renew_at(now, self.lifetime));
    }

    /// The connection is closed on purpose: nothing to renew until the next token.
    pub fn stop(&mut self) {
        self.renew_at = None;
    }

    /// When the current token should be replaced.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.renew_at
    }

    /// True once per token when `now` has reached its renewal time: disconnect and connect again
    /// with a fresh token (then call [`TokenRenewal::token_issued`]). Early calls return false.
    pub fn handle_timeout(&mut self, now: Instant) -> bool {
        match self.renew_at {
            Some(at) if now >= at => {
                self.renew_at = None;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renew_at_is_the_fraction_of_the_lifetime() {
        let policy = RenewalPolicy::default();
        let issued = Instant::from_secs(1000);
        // 0.8 × 3600 s = 2880 s.
        assert_eq!(
            policy.renew_at(issued, Duration::from_secs(3600)),
            Instant::from_secs(3880)
        );
        // 0.8 × 1.5 s = 1.2 s.
        assert_eq!(
            policy.renew_at(Instant::ZERO, Duration::from_millis(1500)),
            Instant::from_millis(1200)
        );
        let half = RenewalPolicy::from_permille(500).unwrap();
        assert_eq!(
            half.renew_at(Instant::ZERO, Duration::from_secs(60)),
            Instant::from_secs(30)
        );
        let whole = RenewalPolicy::from_permille(1000).unwrap();
        assert_eq!(
            whole.renew_at(Instant::ZERO, Duration::from_secs(60)),
            Instant::from_secs(60)
        );
        // Huge lifetimes do not overflow: the whole of the longest lifetime is the end of time.
        assert_eq!(
            whole.renew_at(Instant::ZERO, Duration::from_millis(u64::MAX)),
            Instant::from_millis(u64::MAX)
        );
        let late = policy.renew_at(Instant::ZERO, Duration::from_millis(u64::MAX));
        assert!(
            late > Instant::from_millis(u64::MAX / 10 * 7)
                && late < Instant::from_millis(u64::MAX / 10 * 9)
        );
    }

    #[test]
    fn fractions_outside_1_to_1000_permille_are_refused() {
        assert_eq!(
            RenewalPolicy::from_permille(0),
            Err(RenewalError::BadFraction)
        );
        assert_eq!(
            RenewalPolicy::from_permille(1001),
            Err(RenewalError::BadFraction)
        );
        assert_eq!(
            TokenRenewal::new(RenewalPolicy::default(), Duration::from_millis(999)),
            Err(RenewalError::LifetimeTooShort)
        );
    }

    #[test]
    fn a_fake_clock_sees_one_renewal_per_token_across_several_lifetimes() {
        let lifetime = Duration::from_secs(60);
        let mut renewal = TokenRenewal::new(RenewalPolicy::default(), lifetime).unwrap();
        assert_eq!(renewal.poll_timeout(), None);
        assert!(!renewal.handle_timeout(Instant::from_secs(1_000_000)));

        // Connect at t = 5 s; each renewal reconnects 2 s later (a slow link).
        let mut now = Instant::from_secs(5);
        renewal.token_issued(now);
        let mut renewed_at = std::vec::Vec::new();
        while renewed_at.len() < 3 {
            let deadline = renewal.poll_timeout().unwrap();
            // A wake-up one millisecond early does nothing.
            assert!(!renewal.handle_timeout(Instant::from_millis(deadline.total_millis() - 1)));
            now = deadline;
            assert!(renewal.handle_timeout(now));
            assert!(!renewal.handle_timeout(now), "fires once per token");
            renewed_at.push(now.total_millis() / 1000);
            now += Duration::from_secs(2);
            renewal.token_issued(now);
        }
        // 5 + 48 = 53; 55 + 48 = 103; 105 + 48 = 153.
        assert_eq!(renewed_at, [53, 103, 153]);
        renewal.stop();
        assert_eq!(renewal.poll_timeout(), None);
    }

    #[test]
    fn expiry_is_wall_clock_plus_lifetime() {
        let renewal =
            TokenRenewal::new(RenewalPolicy::default(), Duration::from_millis(3_600_500)).unwrap();
        assert_eq!(renewal.expiry_unix_secs(1_700_000_000), 1_700_003_600);
        assert_eq!(renewal.expiry_unix_secs(u64::MAX), u64::MAX);
    }
}
