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

/// The most ALPN names Zephyr's TLS sockets take (`CONFIG_NET_SOCKETS_TLS_MAX_APP_PROTOCOLS`).
#[cfg(CONFIG_ZMQTT_TLS_ALPN)]
pub const MAX_ALPN: usize = config::TLS_MAX_ALPN;

/// The application protocols `set_alpn` asked for; Zephyr keeps pointers to the names.
#[cfg(CONFIG_ZMQTT_TLS_ALPN)]
static ALPN: zephyr::sync::Mutex<&'static [&'static core::ffi::CStr]> =
    zephyr::sync::Mutex::new(&[]);

/// The ALPN names as the TLS socket option wants them: pointers, then NULL (just the NULL
/// when there are none).
#[cfg(CONFIG_ZMQTT_TLS_ALPN)]
pub fn alpn_list() -> heapless::Vec<*const core::ffi::c_char, { MAX_ALPN + 1 }> {
    let names = *ALPN.lock().unwrap_or_else(|never| match never {});
    let mut list = heapless::Vec::new();
    // `set_alpn` checked the count: the pushes cannot fail.
    for name in names.iter().take(MAX_ALPN) {
        let _ = list.push(name.as_ptr());
    }
    let _ = list.push(core::ptr::null());
    list
}

#[cfg(CONFIG_ZMQTT_TLS_ALPN)]
impl crate::client::MqttClient {
    /// The application protocols (ALPN, RFC 7301) to offer in TLS handshakes from the next
    /// connection on, most preferred first; an empty list offers none. AWS IoT Core takes MQTT
    /// on port 443 only with `x-amzn-mqtt-ca`:
    /// `client.set_alpn(&[c"x-amzn-mqtt-ca"])`. The names are `'static` because Zephyr's TLS
    /// socket keeps pointers to them.
    ///
    /// Errors: -8 more than `CONFIG_NET_SOCKETS_TLS_MAX_APP_PROTOCOLS` names, or a name that is
    /// empty or longer than 255 bytes (RFC 7301 §3.1).
    pub fn set_alpn(
        &self,
        protocols: &'static [&'static core::ffi::CStr],
    ) -> Result<(), zmqtt::MqttError> {
        let bad = |name: &&core::ffi::CStr| name.is_empty() || name.count_bytes() > 255;
        if protocols.len() > MAX_ALPN || protocols.iter().any(bad) {
            return Err(zmqtt::MqttError::BadStructure);
        }
        *ALPN.lock().unwrap_or_else(|never| match never {}) = protocols;
        Ok(())
    }
}
