//! [`SasCrypto`] over the RustCrypto `hmac`/`sha2` crates and the `base64` crate (feature
//! `rustcrypto`, on by default).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::sas_crypto::{CryptoError, SasCrypto};

/// HMAC-SHA256 and base64 from small kept crates, for builds that do not link mbedTLS.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCrypto;

impl SasCrypto for RustCrypto {
    type Hmac = Hmac<Sha256>;

    fn hmac_start(key: &[u8]) -> Result<Self::Hmac, CryptoError> {
        // HMAC takes keys of any length, so this cannot fail; map the error all the same rather
        // than unwrap.
        <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| CryptoError::Backend)
    }

    fn hmac_update(hmac: &mut Self::Hmac, data: &[u8]) {
        hmac.update(data);
    }

    fn hmac_finish(hmac: Self::Hmac) -> Result<[u8; 32], CryptoError> {
        Ok(hmac.finalize().into_bytes().into())
    }

    fn base64_decode(input: &[u8], out: &mut [u8]) -> Result<usize, CryptoError> {
        STANDARD
            .decode_slice(input, out)
            .map_err(|error| match error {
                base64::DecodeSliceError::OutputSliceTooSmall => CryptoError::BufferTooSmall,
                base64::DecodeSliceError::DecodeError(_) => CryptoError::BadBase64,
            })
    }

    fn base64_encode(input: &[u8], out: &mut [u8]) -> Result<usize, CryptoError> {
        STANDARD
            .encode_slice(input, out)
            .map_err(|_| CryptoError::BufferTooSmall)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test cases 1–4, 6 and 7 of RFC 4231 §4 (HMAC-SHA-256 lines); case 5 truncates the output and
    /// tests nothing a full-length tag does not. Key and data in hex, as the RFC prints them.
    const RFC4231: [(&str, &str, &str); 6] = [
        (
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "4869205468657265", // "Hi There"
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            "4a656665", // "Jefe"
            "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        ),
        (
            "0102030405060708090a0b0c0d0e0f10111213141516171819",
            "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        ),
    ];

    fn unhex(text: &str) -> std::vec::Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn hmac_sha256_matches_rfc4231() {
        for (key, data, tag) in RFC4231 {
            let mut hmac = RustCrypto::hmac_start(&unhex(key)).unwrap();
            RustCrypto::hmac_update(&mut hmac, &unhex(data));
            assert_eq!(
                RustCrypto::hmac_finish(hmac).unwrap().as_slice(),
                unhex(tag)
            );
        }
    }

    #[test]
    fn hmac_fed_in_pieces_equals_hmac_fed_at_once() {
        let (key, data, tag) = RFC4231[1];
        let data = unhex(data);
        let mut hmac = RustCrypto::hmac_start(&unhex(key)).unwrap();
        for piece in data.chunks(5) {
            RustCrypto::hmac_update(&mut hmac, piece);
        }
        assert_eq!(
            RustCrypto::hmac_finish(hmac).unwrap().as_slice(),
            unhex(tag)
        );
    }

    #[test]
    fn base64_follows_rfc4648_vectors_and_reports_errors() {
        // RFC 4648 §10.
        let mut out = [0u8; 16];
        let n = RustCrypto::base64_encode(b"foobar", &mut out).unwrap();
        assert_eq!(&out[..n], b"Zm9vYmFy");
        let n = RustCrypto::base64_encode(b"fo", &mut out).unwrap();
        assert_eq!(&out[..n], b"Zm8=");
        let n = RustCrypto::base64_decode(b"Zm9vYg==", &mut out).unwrap();
        assert_eq!(&out[..n], b"foob");
        assert_eq!(
            RustCrypto::base64_decode(b"Zm9v!mFy", &mut out),
            Err(CryptoError::BadBase64)
        );
        assert_eq!(
            RustCrypto::base64_decode(b"Zm9vYmFy", &mut out[..2]),
            Err(CryptoError::BufferTooSmall)
        );
        assert_eq!(
            RustCrypto::base64_encode(b"foobar", &mut out[..3]),
            Err(CryptoError::BufferTooSmall)
        );
    }
}
