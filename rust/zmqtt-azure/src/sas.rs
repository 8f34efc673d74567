//! Shared access signature (SAS) tokens for IoT Hub and DPS.
//!
//! ```text
//! SharedAccessSignature sr={URL-encoded resource URI}
//!     &sig={URL-encoded base64(HMAC-SHA256(base64-decoded key, "{URL-encoded resource URI}\n{expiry}"))}
//!     &se={expiry}[&skn={key name}]
//! ```
//!
//! (one line, no spaces after `SharedAccessSignature `). The resource URI is
//! `{hub host}/devices/{device}` (`…/modules/{module}` for a module), or
//! `{id scope}/registrations/{registration id}` for DPS, which also wants `skn=registration`. The
//! expiry is in seconds since the Unix epoch: the caller reads the wall clock (SNTP on a device),
//! this module never does. The token is written into the caller's [`fmt::Write`] (a
//! `heapless::String` for example); nothing is allocated, and the signed text is fed to the HMAC
//! piece by piece.

use core::fmt::{self, Write as _};

use crate::sas_crypto::{CryptoError, SasCrypto};
use crate::url_encode::{UrlEncoded, UrlEncodingWriter};

/// The longest decoded key accepted, in bytes. IoT Hub keys are 32 bytes (44 base64 characters);
/// DPS group enrollment keys are 64 bytes.
pub const MAX_KEY_LEN: usize = 128;

/// What a SAS token grants access to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SasResource<'a> {
    /// A device identity: `{hub host}/devices/{device}`.
    Device {
        /// The hub's host name.
        hub_host: &'a str,
        /// The device id.
        device_id: &'a str,
    },
    /// A module identity: `{hub host}/devices/{device}/modules/{module}`.
    Module {
        /// The hub's host name.
        hub_host: &'a str,
        /// The device id.
        device_id: &'a str,
        /// The module id.
        module_id: &'a str,
    },
    /// A DPS registration: `{id scope}/registrations/{registration id}`.
    Registration {
        /// The DPS id scope.
        id_scope: &'a str,
        /// The registration id.
        registration_id: &'a str,
    },
}

impl SasResource<'_> {
    /// The `skn` (key name) field the token needs, if any: `registration` for DPS.
    pub fn key_name(&self) -> Option<&'static str> {
        match self {
            SasResource::Registration { .. } => Some("registration"),
            _ => None,
        }
    }
}

/// The resource URI, not encoded.
impl fmt::Display for SasResource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SasResource::Device {
                hub_host,
                device_id,
            } => write!(f, "{hub_host}/devices/{device_id}"),
            SasResource::Module {
                hub_host,
                device_id,
                module_id,
            } => write!(f, "{hub_host}/devices/{device_id}/modules/{module_id}"),
            SasResource::Registration {
                id_scope,
                registration_id,
            } => write!(f, "{id_scope}/registrations/{registration_id}"),
        }
    }
}

/// Why no token was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SasError {
    /// The key is not valid base64 (configuration error).
    BadKey,
    /// The key decodes to more than [`MAX_KEY_LEN`] bytes (configuration error).
    KeyTooLong,
    /// The output did not take the whole token; what was written is incomplete.
    BufferTooSmall,
    /// The crypto backend failed.
    Crypto(CryptoError),
}

impl fmt::Display for SasError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SasError::BadKey => f.write_str("key is not valid base64"),
            SasError::KeyTooLong => f.write_str("key is too long"),
            SasError::BufferTooSmall => f.write_str("buffer too small for the token"),
            SasError::Crypto(error) => write!(f, "crypto: {error}"),
        }
    }
}

impl core::error::Error for SasError {}

/// Feeds what is written into a running HMAC.
struct HmacWriter<C: SasCrypto>(C::Hmac);

impl<C: SasCrypto> fmt::Write for HmacWriter<C> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        C::hmac_update(&mut self.0, s.as_bytes());
        Ok(())
    }
}

/// Decodes a base64 key into `buf`, with the key errors of this module.
fn decode_key<'b, C: SasCrypto>(key_base64: &str, buf: &'b mut [u8]) -> Result<&'b [u8], SasError> {
    match C::base64_decode(key_base64.trim().as_bytes(), buf) {
        Ok(len) => Ok(&buf[..len]),
        Err(CryptoError::BadBase64) => Err(SasError::BadKey),
        Err(CryptoError::BufferTooSmall) => Err(SasError::KeyTooLong),
        Err(error) => Err(SasError::Crypto(error)),
    }
}

/// base64(HMAC-SHA256(key, message pieces written by `message`)), into `out` (44 bytes).
fn sign<C: SasCrypto>(
    key: &[u8],
    message: impl FnOnce(&mut HmacWriter<C>) -> fmt::Result,
    out: &mut [u8; 44],
) -> Result<(), SasError> {
    let mut hmac = HmacWriter::<C>(C::hmac_start(key).map_err(SasError::Crypto)?);
    // HmacWriter never fails, so neither can this.
    message(&mut hmac).map_err(|_| SasError::Crypto(CryptoError::Backend))?;
    let tag = C::hmac_finish(hmac.0).map_err(SasError::Crypto)?;
    match C::base64_encode(&tag, out) {
        Ok(44) => Ok(()),
        Ok(_) => Err(SasError::Crypto(CryptoError::Backend)),
        Err(error) => Err(SasError::Crypto(error)),
    }
}

/// Writes the SAS token for `resource`, signed with `key_base64` (the device's or the enrollment's
/// primary or secondary key, as the portal shows it), valid until `expiry_unix_secs`.
///
/// On [`SasError::BufferTooSmall`] `out` holds a partial token: do not send it.
pub fn write_sas_token<C: SasCrypto, W: fmt::Write>(
    out: &mut W,
    resource: &SasResource<'_>,
    key_base64: &str,
    expiry_unix_secs: u64,
) -> Result<(), SasError> {
    let mut key_buf = [0u8; MAX_KEY_LEN];
    let key = decode_key::<C>(key_base64, &mut key_buf)?;
    let mut signature = [0u8; 44];
    sign::<C>(
        key,
        |hmac| {
            write!(UrlEncodingWriter(&mut *hmac), "{resource}")?;
            write!(hmac, "\n{expiry_unix_secs}")
        },
        &mut signature,
    )?;
    // base64 output is ASCII, so this cannot fail.
    let signature =
        core::str::from_utf8(&signature).map_err(|_| SasError::Crypto(CryptoError::Backend))?;

    let mut write_all = || -> fmt::Result {
        out.write_str("SharedAccessSignature sr=")?;
        write!(UrlEncodingWriter(&mut *out), "{resource}")?;
        write!(out, "&sig={}&se={expiry_unix_secs}", UrlEncoded(signature))?;
        if let Some(name) = resource.key_name() {
            write!(out, "&skn={}", UrlEncoded(name))?;
        }
        Ok(())
    };
    write_all().map_err(|_| SasError::BufferTooSmall)
}

/// Derives a device's key from a DPS group enrollment key, as Azure does for symmetric-key group
/// enrollments: base64(HMAC-SHA256(base64-decoded group key, registration id)). Returns the
/// 44-character key, which borrows `out`.
pub fn derive_device_key<'o, C: SasCrypto>(
    group_key_base64: &str,
    registration_id: &str,
    out: &'o mut [u8; 44],
) -> Result<&'o str, SasError> {
    let mut key_buf = [0u8; MAX_KEY_LEN];
    let key = decode_key::<C>(group_key_base64, &mut key_buf)?;
    sign::<C>(key, |hmac| hmac.write_str(registration_id), out)?;
    core::str::from_utf8(out).map_err(|_| SasError::Crypto(CryptoError::Backend))
}
