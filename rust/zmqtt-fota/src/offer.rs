//! The offer a backend publishes on `{prefix}/fw/offer`: one line of `key=value` pairs,
//! `version=1.2.0 size=196608 sha256=<64 hex digits> chunk=512`.

use core::fmt;

use crate::topic::parse_decimal;

/// The longest version string an offer may carry (bytes).
pub const VERSION_MAX: usize = 32;

/// An image version as the backend names it (reported back in `confirmed <version>`).
pub type Version = heapless::String<VERSION_MAX>;

/// A parsed offer: which image, how large, its hash, and how to fetch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The backend's name for the image; empty when the offer gives none.
    pub version: Version,
    /// Image size in bytes, > 0.
    pub size: u32,
    /// SHA-256 of the whole image.
    pub sha256: [u8; 32],
    /// Bytes per chunk request, > 0.
    pub chunk: u32,
}

/// Why an offer was refused. The backend sent it; the device reports it as
/// `failed bad_offer` (or `failed too_large`) and carries on with what it was doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OfferError {
    /// The payload is not UTF-8, or a word is not `key=value`.
    Syntax,
    /// A required key (`size`, `sha256` or `chunk`) is missing.
    Missing(&'static str),
    /// A key appears twice.
    Duplicate(&'static str),
    /// `size` or `chunk` is not a decimal number in `1 ..= u32::MAX`.
    BadNumber(&'static str),
    /// `sha256` is not 64 hex digits.
    BadHash,
    /// `version` is longer than [`VERSION_MAX`].
    VersionTooLong,
    /// `chunk` is larger than the device's receive limit.
    ChunkTooLarge {
        /// The offered chunk size.
        offered: u32,
        /// The device's limit.
        limit: u32,
    },
    /// `size` is larger than the slot the image would go into.
    ImageTooLarge {
        /// The offered image size.
        offered: u32,
        /// The slot's capacity.
        capacity: u32,
    },
}

impl fmt::Display for OfferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OfferError::Syntax => f.write_str("offer is not `key=value` words"),
            OfferError::Missing(k) => write!(f, "offer has no `{k}`"),
            OfferError::Duplicate(k) => write!(f, "offer has `{k}` twice"),
            OfferError::BadNumber(k) => {
                write!(f, "offer's `{k}` is not a number in 1..=4294967295")
            }
            OfferError::BadHash => f.write_str("offer's `sha256` is not 64 hex digits"),
            OfferError::VersionTooLong => {
                write!(f, "offer's `version` is over {VERSION_MAX} bytes")
            }
            OfferError::ChunkTooLarge { offered, limit } => {
                write!(
                    f,
                    "offered chunk of {offered} bytes is over the receive limit of {limit}"
                )
            }
            OfferError::ImageTooLarge { offered, capacity } => {
                write!(
                    f,
                    "offered image of {offered} bytes is over the slot's {capacity}"
                )
            }
        }
    }
}

impl core::error::Error for OfferError {}

fn set<T>(slot: &mut Option<T>, key: &'static str, value: T) -> Result<(), OfferError> {
    if slot.replace(value).is_some() {
        return Err(OfferError::Duplicate(key));
    }
    Ok(())
}

fn number(key: &'static str, value: &str) -> Result<u32, OfferError> {
    match parse_decimal(value) {
        Some(n) if n > 0 => Ok(n),
        _ => Err(OfferError::BadNumber(key)),
    }
}

impl Offer {
    /// Parses an offer payload. Limits that depend on the device (chunk size against the
    /// receive limit, image size against the slot) are checked by [`Offer::check`].
    pub fn parse(payload: &[u8]) -> Result<Offer, OfferError> {
        let text = core::str::from_utf8(payload).map_err(|_| OfferError::Syntax)?;
        let (mut version, mut size, mut sha256, mut chunk) = (None, None, None, None);
        for word in text.split_ascii_whitespace() {
            let (key, value) = word.split_once('=').ok_or(OfferError::Syntax)?;
            match key {
                "version" => {
                    let v = Version::try_from(value).map_err(|_| OfferError::VersionTooLong)?;
                    set(&mut version, "version", v)?;
                }
                "size" => set(&mut size, "size", number("size", value)?)?,
                "chunk" => set(&mut chunk, "chunk", number("chunk", value)?)?,
                "sha256" => {
                    let mut hash = [0u8; 32];
                    hex::decode_to_slice(value, &mut hash).map_err(|_| OfferError::BadHash)?;
                    set(&mut sha256, "sha256", hash)?;
                }
                // Unknown keys are left for later versions of the protocol.
                _ => {}
            }
        }
        Ok(Offer {
            version: version.unwrap_or_default(),
            size: size.ok_or(OfferError::Missing("size"))?,
            sha256: sha256.ok_or(OfferError::Missing("sha256"))?,
            chunk: chunk.ok_or(OfferError::Missing("chunk"))?,
        })
    }

    /// Checks the offer against the device: chunks of at most `chunk_limit` bytes, an image
    /// of at most `capacity` bytes.
    pub fn check(&self, chunk_limit: u32, capacity: u32) -> Result<(), OfferError> {
        if self.chunk > chunk_limit {
            return Err(OfferError::ChunkTooLarge {
                offered: self.chunk,
                limit: chunk_limit,
            });
        }
        if self.size > capacity {
            return Err(OfferError::ImageTooLarge {
                offered: self.size,
                capacity,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_a_full_offer_in_any_order_with_unknown_keys() {
        let text = format!("chunk=512 sha256={HASH} future=x version=1.2.0\nsize=196608\n");
        let offer = Offer::parse(text.as_bytes()).unwrap();
        assert_eq!(offer.version.as_str(), "1.2.0");
        assert_eq!(offer.size, 196_608);
        assert_eq!(offer.chunk, 512);
        assert_eq!(offer.sha256[0], 0xe3);
        assert_eq!(offer.sha256[31], 0x55);
    }

    #[test]
    fn refuses_malformed_offers_with_the_reason() {
        let ok = |s: &str| Offer::parse(s.as_bytes());
        assert_eq!(ok("size=1 chunk=1"), Err(OfferError::Missing("sha256")));
        assert_eq!(
            ok(&format!("sha256={HASH} chunk=1")),
            Err(OfferError::Missing("size"))
        );
        assert_eq!(
            ok(&format!("size=1 sha256={HASH}")),
            Err(OfferError::Missing("chunk"))
        );
        assert_eq!(
            ok(&format!("size=0 sha256={HASH} chunk=1")),
            Err(OfferError::BadNumber("size"))
        );
        assert_eq!(
            ok(&format!("size=+1 sha256={HASH} chunk=1")),
            Err(OfferError::BadNumber("size"))
        );
        assert_eq!(
            ok(&format!("size=4294967296 sha256={HASH} chunk=1")),
            Err(OfferError::BadNumber("size"))
        );
        assert_eq!(ok("size=1 sha256=e3b0 chunk=1"), Err(OfferError::BadHash));
        assert_eq!(
            ok(&format!("size=1 size=2 sha256={HASH} chunk=1")),
            Err(OfferError::Duplicate("size"))
        );
        assert_eq!(ok("size 1"), Err(OfferError::Syntax));
        assert_eq!(Offer::parse(&[0xff, 0xfe]), Err(OfferError::Syntax));
        let long = "v".repeat(VERSION_MAX + 1);
        assert_eq!(
            ok(&format!("version={long} size=1 sha256={HASH} chunk=1")),
            Err(OfferError::VersionTooLong)
        );
    }

    #[test]
    fn check_refuses_chunks_over_the_receive_limit_and_images_over_the_slot() {
        let offer = Offer::parse(format!("size=1000 sha256={HASH} chunk=600").as_bytes()).unwrap();
        assert_eq!(
            offer.check(512, 4096),
            Err(OfferError::ChunkTooLarge {
                offered: 600,
                limit: 512
            })
        );
        assert_eq!(
            offer.check(1024, 999),
            Err(OfferError::ImageTooLarge {
                offered: 1000,
                capacity: 999
            })
        );
        assert_eq!(offer.check(600, 1000), Ok(()));
    }
}
