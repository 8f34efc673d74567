//! What the state machine needs from the device: the secondary slot, the bootloader, and
//! a place to keep the download's progress across reboots.

use core::fmt;

use crate::offer::{Version, VERSION_MAX};

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

/// Bytes of [`Progress::to_bytes`]: next, size and chunk (little-endian `u32`s), the
/// hash, the version's length and the version padded with zeros.
pub const PROGRESS_LEN: usize = 4 + 4 + 4 + 32 + 1 + VERSION_MAX;

impl Progress {
    /// All bytes are in: the image was verified and the upgrade requested.
    pub fn is_complete(&self) -> bool {
        self.next >= self.size
    }

    /// A fixed-size record for a target's key-value store.
    pub fn to_bytes(&self) -> [u8; PROGRESS_LEN] {
        let mut out = [0u8; PROGRESS_LEN];
        out[0..4].copy_from_slice(&self.next.to_le_bytes());
        out[4..8].copy_from_slice(&self.size.to_le_bytes());
        out[8..12].copy_from_slice(&self.chunk.to_le_bytes());
        out[12..44].copy_from_slice(&self.sha256);
        // Version holds at most VERSION_MAX (32) bytes.
        out[44] = self.version.len() as u8;
        out[45..45 + self.version.len()].copy_from_slice(self.version.as_bytes());
        out
    }

    /// Reads a record written by [`to_bytes`](Progress::to_bytes); `None` when it is not
    /// one (wrong length, version not UTF-8 or too long, next past size, zero size or
    /// chunk): a corrupt record is treated as no record.
    pub fn from_bytes(bytes: &[u8]) -> Option<Progress> {
        let bytes: &[u8; PROGRESS_LEN] = bytes.try_into().ok()?;
        let word =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let (next, size, chunk) = (word(0), word(4), word(8));
        let version_len = usize::from(bytes[44]);
        let version = bytes.get(45..45 + version_len)?;
        let version = Version::try_from(core::str::from_utf8(version).ok()?).ok()?;
        if size == 0 || chunk == 0 || next > size {
            return None;
        }
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(&bytes[12..44]);
        Some(Progress {
            next,
            size,
            sha256,
            chunk,
            version,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_record_roundtrips_and_rejects_corruption() {
        let p = Progress {
            next: 0x0102_0304,
            size: 0x0a0b_0c0d,
            sha256: [7; 32],
            chunk: 512,
            version: Version::try_from("1.2.3").unwrap(),
        };
        let bytes = p.to_bytes();
        // Little-endian, as documented.
        assert_eq!(bytes[..4], [4, 3, 2, 1]);
        assert_eq!(bytes[44], 5);
        assert_eq!(&bytes[45..50], b"1.2.3");
        assert_eq!(Progress::from_bytes(&bytes), Some(p.clone()));
        assert_eq!(Progress::from_bytes(&bytes[..PROGRESS_LEN - 1]), None);
        let mut long = bytes;
        long[44] = 33;
        assert_eq!(Progress::from_bytes(&long), None);
        let mut past = bytes;
        past[3] = 0x7f;
        assert_eq!(Progress::from_bytes(&past), None);
        assert_eq!(Progress::from_bytes(&[0u8; PROGRESS_LEN]), None);
    }
}
