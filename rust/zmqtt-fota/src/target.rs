//! What the state machine needs from the device: the secondary slot, the bootloader, and
//! a place to keep the download's progress across reboots.

use core::fmt;

use crate::offer::Version;

/// A failure the target reports: an errno-like code, only logged and turned into a
/// [`FailReason`](crate::FailReason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetError(pub i32);

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "target error {}", self.0)
    }
}

impl core::error::Error for TargetError {}

/// A download's state as kept in flash: enough to resume it after a reboot, and to
/// recognise the image once it is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Bytes `0..next` are in the slot (`next == size`: complete, upgrade requested).
    pub next: u32,
    /// Image size in bytes.
    pub size: u32,
    /// The offered SHA-256.
    pub sha256: [u8; 32],
    /// Bytes per chunk request.
    pub chunk: u32,
    /// The offered version.
    pub version: Version,
}

impl Progress {
    /// All bytes are in: the image was verified and the upgrade requested.
    pub fn is_complete(&self) -> bool {
        self.next >= self.size
    }
}

/// The device side: the secondary image slot, the bootloader's flags, and persistent
/// storage for [`Progress`]. On Zephyr: `flash_img_*`, `boot_*` and settings.
///
/// Writes arrive in order: after [`begin`](FlashTarget::begin) returned `at`, the first
/// write is at `at` and each next one continues where the previous ended.
pub trait FlashTarget {
    /// The slot's size in bytes: the largest image it takes.
    fn capacity(&self) -> u32;
    /// Prepares the slot for writes from `resume_at` (0 for a new download) and returns
    /// the offset the writes must actually start at, `<= resume_at` (a flash that erases
    /// by page steps back to the page start).
    fn begin(&mut self, resume_at: u32) -> Result<u32, TargetError>;
    /// Writes `data` at `offset` (possibly buffered until [`flush`](FlashTarget::flush)).
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), TargetError>;
    /// Writes out anything buffered.
    fn flush(&mut self) -> Result<(), TargetError>;
    /// Hashes the first `size` bytes of the slot; `Ok(true)` when they match `sha256`.
    fn check_sha256(&mut self, size: u32, sha256: &[u8; 32]) -> Result<bool, TargetError>;
    /// Asks the bootloader to test the slot's image at the next boot.
    fn request_upgrade(&mut self) -> Result<(), TargetError>;
    /// Keeps `progress` (or forgets it, with `None`). Its `next` may be ahead of what has
    /// reached flash: the target keeps what it can vouch for, and
    /// [`begin`](FlashTarget::begin) tells where to continue after a reboot.
    fn save_progress(&mut self, progress: Option<&Progress>) -> Result<(), TargetError>;
    /// The progress kept by [`save_progress`](FlashTarget::save_progress), if any.
    fn load_progress(&mut self) -> Option<Progress>;
    /// Whether the running image is confirmed (MCUboot will not revert it).
    fn is_confirmed(&mut self) -> bool;
    /// Confirms the running image.
    fn confirm(&mut self) -> Result<(), TargetError>;
}
