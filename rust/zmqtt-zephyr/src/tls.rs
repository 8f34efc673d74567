//! TLS credentials: the `trust_store`, `key_store` and `private_key` connect options,
//! registered with Zephyr's credential store under this client's security tag and
//! removed again when the client is dropped.
use core::ffi::c_int;

use crate::config;
use crate::error::Error;
use crate::sys::{self, CredentialKind};

/// The credentials one client registered.
#[derive(Debug)]
pub struct Credentials {
    tag: c_int,
    kinds: heapless::Vec<CredentialKind, 3>,
}

/// PEM text must end with NUL for mbedTLS's parser; DER (binary, starting with a
/// SEQUENCE tag 0x30) needs nothing.
fn check_format(cred: &[u8]) -> Result<(), Error> {
    let is_pem = cred.first() != Some(&0x30);
    if is_pem && cred.last() != Some(&0) {
        return Err(Error::PemNotTerminated);
    }
    Ok(())
}

impl Credentials {
    /// Registers the given credentials under security tag `TLS_SEC_TAG_BASE + slot`.
    /// On error nothing stays registered.
    pub fn register(
        slot: usize,
        trust_store: Option<&'static [u8]>,
        key_store: Option<&'static [u8]>,
        private_key: Option<&'static [u8]>,
    ) -> Result<Credentials, Error> {
        let mut creds = Credentials {
            tag: config::TLS_SEC_TAG_BASE + slot as c_int,
            kinds: heapless::Vec::new(),
        };
        for (kind, cred) in [
            (CredentialKind::Ca, trust_store),
            (CredentialKind::Certificate, key_store),
            (CredentialKind::PrivateKey, private_key),
        ] {
            let Some(cred) = cred else { continue };
            check_format(cred)?;
            // A stale entry from a client that was not dropped cleanly would make add fail.
            sys::tls_credential_delete(creds.tag, kind);
            sys::tls_credential_add(creds.tag, kind, cred).map_err(Error::Credential)?;
            // Three kinds at most: the Vec cannot overflow.
            let _ = creds.kinds.push(kind);
        }
        Ok(creds)
    }

    /// The security tag to give the TLS socket.
    pub fn tag(&self) -> c_int {
        self.tag
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        for kind in &self.kinds {
            sys::tls_credential_delete(self.tag, *kind);
        }
    }
}
