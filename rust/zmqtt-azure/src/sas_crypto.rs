//! The two primitives a SAS token needs, HMAC-SHA256 and base64, behind one small trait.
//!
//! Why a trait: a firmware that links mbedTLS (or PSA Crypto) for TLS already has both, and a
//! second copy costs flash. The default `rustcrypto` feature provides [`crate::RustCrypto`] over the
//! RustCrypto `hmac` + `sha2` crates and the `base64` crate (all `no_std`, default features off).
//! The Zephyr glue can later turn that feature off and implement [`SasCrypto`] over
//! `mbedtls_md_hmac_starts`/`_update`/`_finish` and `mbedtls_base64_decode`/`_encode` (or
//! `psa_mac_sign_*`) through its C shim; that side is not written yet.

use core::fmt;

/// Why a crypto primitive failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// The input is not valid base64 (the key is wrong).
    BadBase64,
    /// The output does not fit the buffer given.
    BufferTooSmall,
    /// The backend failed (e.g. mbedTLS could not set up its context).
    Backend,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CryptoError::BadBase64 => "not valid base64",
            CryptoError::BufferTooSmall => "output buffer too small",
            CryptoError::Backend => "crypto backend failed",
        })
    }
}

impl core::error::Error for CryptoError {}

/// HMAC-SHA256 (fed in pieces, so the signed text needs no buffer) and standard base64 with
/// padding (RFC 4648 §4), as Azure keys and signatures use.
pub trait SasCrypto {
    /// A running HMAC-SHA256 computation.
    type Hmac;

    /// Starts an HMAC-SHA256 with `key` (any length; keys longer than 64 bytes are hashed, as
    /// RFC 2104 says).
    fn hmac_start(key: &[u8]) -> Result<Self::Hmac, CryptoError>;

    /// Feeds `data` into the running HMAC.
    fn hmac_update(hmac: &mut Self::Hmac, data: &[u8]);

    /// Finishes the HMAC and returns the 32-byte tag.
    fn hmac_finish(hmac: Self::Hmac) -> Result<[u8; 32], CryptoError>;

    /// Decodes standard padded base64 `input` into `out`; returns the decoded length.
    fn base64_decode(input: &[u8], out: &mut [u8]) -> Result<usize, CryptoError>;

    /// Encodes `input` as standard padded base64 into `out`; returns the encoded length.
    fn base64_encode(input: &[u8], out: &mut [u8]) -> Result<usize, CryptoError>;
}
