//! What the device reports on `{prefix}/fw/status`: `<state> [detail]`.

use core::fmt;

use crate::offer::Version;

/// Why an update failed, as the one word after `failed` in the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailReason {
    /// `bad_offer`: the backend's offer could not be parsed or its chunk size is over
    /// the receive limit.
    BadOffer,
    /// `too_large`: the offered image does not fit the slot.
    TooLarge,
    /// `timeout`: the backend answered none of several chunk requests.
    Timeout,
    /// `hash_mismatch`: the slot's SHA-256 differs from the offer's; no upgrade was
    /// requested.
    HashMismatch,
    /// `flash`: writing, flushing or hashing the slot, or keeping the progress, failed.
    Flash,
    /// `upgrade`: the bootloader's upgrade request could not be written.
    Upgrade,
    /// `confirm`: the running image could not be marked confirmed.
    Confirm,
}

impl FailReason {
    /// The reason's word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            FailReason::BadOffer => "bad_offer",
            FailReason::TooLarge => "too_large",
            FailReason::Timeout => "timeout",
            FailReason::HashMismatch => "hash_mismatch",
            FailReason::Flash => "flash",
            FailReason::Upgrade => "upgrade",
            FailReason::Confirm => "confirm",
        }
    }
}

/// One status report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `idle`: no download in progress.
    Idle,
    /// `downloading <next>/<size>`: bytes `0..next` of `size` are in the slot.
    Downloading {
        /// The next offset the device will ask for.
        next: u32,
        /// The image size.
        size: u32,
    },
    /// `verifying`: all bytes are in; the slot is being re-hashed.
    Verifying,
    /// `rebooting`: the upgrade is requested; the device reboots into the new image.
    Rebooting,
    /// `confirmed <version>`: the new image runs, has connected, and is now permanent.
    Confirmed(Version),
    /// `failed <reason>`.
    Failed(FailReason),
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Idle => f.write_str("idle"),
            Status::Downloading { next, size } => write!(f, "downloading {next}/{size}"),
            Status::Verifying => f.write_str("verifying"),
            Status::Rebooting => f.write_str("rebooting"),
            Status::Confirmed(v) if v.is_empty() => f.write_str("confirmed"),
            Status::Confirmed(v) => write!(f, "confirmed {v}"),
            Status::Failed(reason) => write!(f, "failed {}", reason.as_str()),
        }
    }
}
