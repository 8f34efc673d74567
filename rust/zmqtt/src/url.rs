//! The DL-7450 broker URL: `tcp|mqtt|ssl|mqtts://host[:port]` and `ws|wss://host[:port][/path]`.
//!
//! DL-7450's `mqtt` module takes the broker as one string. `tcp://` and `mqtt://` mean plain TCP
//! (default port 1883), `ssl://` and `mqtts://` mean TLS (default port 8883), as in Paho. With the
//! `websocket` feature, `ws://` (default port 80) and `wss://` (WebSocket over TLS, default port
//! 443) carry MQTT in WebSocket frames, at the URL's path or `/mqtt` when it names none (the path
//! mosquitto, EMQX and HiveMQ serve). Without that feature WebSocket schemes, like anything else,
//! are refused with [`MqttError::BadProtocol`] (-14), the number DL-7450 documents for a bad URL
//! scheme. IPv6 literals are written in brackets, `tcp://[::1]:1883`, as in RFC 3986; the brackets
//! are not part of [`BrokerUrl::host`].
//!
//! Parsing borrows from the input and allocates nothing; name resolution and TLS are the glue's job.

use core::fmt;

use crate::error::MqttError;

/// The transport a URL asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `tcp://`: plain TCP.
    Tcp,
    /// `mqtt://`: plain TCP (same as `tcp://`).
    Mqtt,
    /// `ssl://`: TLS over TCP.
    Ssl,
    /// `mqtts://`: TLS over TCP (same as `ssl://`).
    Mqtts,
    /// `ws://`: MQTT over WebSocket over TCP.
    #[cfg(feature = "websocket")]
    Ws,
    /// `wss://`: MQTT over WebSocket over TLS.
    #[cfg(feature = "websocket")]
    Wss,
}

/// The WebSocket path used when a `ws://` or `wss://` URL names none.
#[cfg(feature = "websocket")]
pub const DEFAULT_WEBSOCKET_PATH: &str = "/mqtt";

impl Scheme {
    /// Whether the scheme asks for TLS.
    pub const fn is_tls(self) -> bool {
        match self {
            Scheme::Ssl | Scheme::Mqtts => true,
            #[cfg(feature = "websocket")]
            Scheme::Wss => true,
            _ => false,
        }
    }

    /// Whether the scheme carries MQTT in WebSocket frames (`ws://`, `wss://`).
    pub const fn is_websocket(self) -> bool {
        match self {
            #[cfg(feature = "websocket")]
            Scheme::Ws | Scheme::Wss => true,
            _ => false,
        }
    }

    /// The port used when the URL names none: 1883 for plain TCP, 8883 for TLS (IANA), 80 for
    /// `ws://` and 443 for `wss://` (HTTP's, as WebSocket uses, RFC 6455 §3).
    pub const fn default_port(self) -> u16 {
        match self {
            #[cfg(feature = "websocket")]
            Scheme::Ws => 80,
            #[cfg(feature = "websocket")]
            Scheme::Wss => 443,
            _ if self.is_tls() => 8883,
            _ => 1883,
        }
    }

    fn parse(s: &str) -> Result<Scheme, UrlError> {
        // Schemes are case-insensitive (RFC 3986 §3.1).
        let table = [
            ("tcp", Scheme::Tcp),
            ("mqtt", Scheme::Mqtt),
            ("ssl", Scheme::Ssl),
            ("mqtts", Scheme::Mqtts),
            #[cfg(feature = "websocket")]
            ("ws", Scheme::Ws),
            #[cfg(feature = "websocket")]
            ("wss", Scheme::Wss),
        ];
        table
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|(_, scheme)| *scheme)
            .ok_or(UrlError::UnsupportedScheme)
    }
}

/// A parsed broker URL, borrowing its host from the input string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BrokerUrl<'a> {
    /// The transport.
    pub scheme: Scheme,
    /// Host name or IP literal, without the brackets of an IPv6 literal.
    pub host: &'a str,
    /// TCP port: the one in the URL or the scheme's default.
    pub port: u16,
    /// WebSocket path (and query) for `ws://` and `wss://`: the URL's, starting with `/`, or
    /// [`DEFAULT_WEBSOCKET_PATH`]. Empty for the other schemes, which take no path.
    #[cfg(feature = "websocket")]
    pub path: &'a str,
}

/// Why a broker URL was refused. Every variant maps to [`MqttError::BadProtocol`] (-14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UrlError {
    /// The string has no `scheme://` part. The caller must write the URL in full.
    MissingScheme,
    /// The scheme is not `tcp`, `mqtt`, `ssl` or `mqtts` (WebSockets, `http`, typos …).
    UnsupportedScheme,
    /// Nothing between `://` and the port or the end.
    MissingHost,
    /// The host has characters no host name or IP literal can have (space, `@`, unbalanced brackets …).
    InvalidHost,
    /// The port is empty, not a decimal number, 0, or above 65535.
    InvalidPort,
    /// Something follows the authority (a path, query or user info) where the scheme takes none,
    /// or a WebSocket path has a space, control character, non-ASCII byte or fragment (`#`).
    UnexpectedPath,
}

impl UrlError {
    /// The DL-7450 error number (always [`MqttError::BadProtocol`]).
    pub const fn mqtt_error(self) -> MqttError {
        MqttError::BadProtocol
    }
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::MissingScheme => "broker URL has no scheme (expected tcp://, mqtt://, ...)",
            UrlError::UnsupportedScheme if cfg!(feature = "websocket") => {
                "unsupported broker URL scheme (expected tcp, mqtt, ssl, mqtts, ws or wss)"
            }
            UrlError::UnsupportedScheme => {
                "unsupported broker URL scheme (expected tcp, mqtt, ssl or mqtts)"
            }
            UrlError::MissingHost => "broker URL has no host",
            UrlError::InvalidHost => "broker URL host is invalid",
            UrlError::InvalidPort => "broker URL port is not a number from 1 to 65535",
            UrlError::UnexpectedPath => "broker URL has a path, query or user info",
        })
    }
}

impl core::error::Error for UrlError {}

impl From<UrlError> for MqttError {
    fn from(e: UrlError) -> MqttError {
        e.mqtt_error()
    }
}

impl<'a> BrokerUrl<'a> {
    /// Parses `scheme://host[:port]`, with an optional single trailing `/`, and for WebSocket
    /// schemes `scheme://host[:port][/path]`.
    pub fn parse(url: &'a str) -> Result<BrokerUrl<'a>, UrlError> {
        let at = url
            .as_bytes()
            .windows(3)
            .position(|w| w == b"://")
            .ok_or(UrlError::MissingScheme)?;
        let (scheme, rest) = split_around(url, at, 3);
        let scheme = Scheme::parse(scheme)?;
        #[cfg(feature = "websocket")]
        let (rest, path) = if scheme.is_websocket() {
            websocket_path(rest)?
        } else {
            (rest, "")
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority
            .bytes()
            .any(|b| matches!(b, b'/' | b'?' | b'#' | b'@'))
        {
            return Err(UrlError::UnexpectedPath);
        }
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let close = bracketed
                .bytes()
                .position(|b| b == b']')
                .ok_or(UrlError::InvalidHost)?;
            let (host, after) = split_around(bracketed, close, 1);
            if host.is_empty() {
                return Err(UrlError::MissingHost);
            }
            if !host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
                || !host.bytes().any(|b| b == b':')
            {
                return Err(UrlError::InvalidHost);
            }
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or(UrlError::InvalidHost)?),
            };
            (host, port)
        } else {
            let (host, port) = match authority.bytes().rposition(|b| b == b':') {
                Some(colon) => {
                    let (host, port) = split_around(authority, colon, 1);
                    (host, Some(port))
                }
                None => (authority, None),
            };
            if host.is_empty() {
                return Err(UrlError::MissingHost);
            }
            // An unbracketed IPv6 literal ("::1:1883") is ambiguous, so a colon left in the host is an error.
            if !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
            {
                return Err(UrlError::InvalidHost);
            }
            (host, port)
        };
        let port = match port {
            None => scheme.default_port(),
            Some(p) => parse_port(p)?,
        };
        Ok(BrokerUrl {
            scheme,
            host,
            port,
            #[cfg(feature = "websocket")]
            path,
        })
    }

    /// Whether the URL asks for TLS.
    pub const fn is_tls(&self) -> bool {
        self.scheme.is_tls()
    }
}

/// Splits `authority[/path]` of a WebSocket URL: the path is sent in the HTTP request line as it
/// is, so it must be visible ASCII (RFC 3986 characters, percent-encoded as needed) without a
/// fragment, which is never sent.
#[cfg(feature = "websocket")]
fn websocket_path(rest: &str) -> Result<(&str, &str), UrlError> {
    let Some(at) = rest.bytes().position(|b| b == b'/' || b == b'?') else {
        return Ok((rest, DEFAULT_WEBSOCKET_PATH));
    };
    let (authority, path) = split_around(rest, at, 0);
    if !path.starts_with('/') || !path.bytes().all(|b| b.is_ascii_graphic() && b != b'#') {
        return Err(UrlError::UnexpectedPath);
    }
    Ok((authority, path))
}

/// `s` before byte `at` and after the `skip` bytes there. Splitting is byte-wise because every
/// delimiter of the URL syntax is ASCII (so always at a character boundary): `str`'s pattern
/// searchers (`split_once("://")`, `find([..])`) cost about 1.5 KB of flash on the DL-7450.
fn split_around(s: &str, at: usize, skip: usize) -> (&str, &str) {
    (
        s.get(..at).unwrap_or_default(),
        s.get(at + skip..).unwrap_or_default(),
    )
}

fn parse_port(s: &str) -> Result<u16, UrlError> {
    // u16::from_str would accept a leading '+'; a URL port is digits only (RFC 3986 §3.2.3).
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::InvalidPort);
    }
    let value = s
        .bytes()
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    match u16::try_from(value) {
        Ok(0) | Err(_) => Err(UrlError::InvalidPort),
        Ok(port) => Ok(port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> (Scheme, &str, u16) {
        let u = BrokerUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        (u.scheme, u.host, u.port)
    }

    #[test]
    fn plain_schemes_default_to_port_1883() {
        assert_eq!(
            ok("tcp://broker.local"),
            (Scheme::Tcp, "broker.local", 1883)
        );
        assert_eq!(ok("mqtt://10.0.2.2"), (Scheme::Mqtt, "10.0.2.2", 1883));
    }

    #[test]
    fn tls_schemes_default_to_port_8883() {
        assert_eq!(
            ok("ssl://broker.local"),
            (Scheme::Ssl, "broker.local", 8883)
        );
        assert_eq!(
            ok("mqtts://broker.local"),
            (Scheme::Mqtts, "broker.local", 8883)
        );
        assert!(BrokerUrl::parse("mqtts://h").unwrap().is_tls());
        assert!(!BrokerUrl::parse("tcp://h").unwrap().is_tls());
    }

    #[test]
    fn explicit_port_overrides_the_default() {
        assert_eq!(
            ok("tcp://localhost:11883"),
            (Scheme::Tcp, "localhost", 11883)
        );
        assert_eq!(ok("ssl://h:65535"), (Scheme::Ssl, "h", 65535));
        assert_eq!(ok("tcp://h:1/"), (Scheme::Tcp, "h", 1));
    }

    #[test]
    fn scheme_is_case_insensitive() {
        assert_eq!(ok("MQTTS://h"), (Scheme::Mqtts, "h", 8883));
    }

    #[test]
    fn ipv6_literals_are_bracketed() {
        assert_eq!(ok("tcp://[::1]:1883"), (Scheme::Tcp, "::1", 1883));
        assert_eq!(
            ok("mqtts://[fe80::1:2]"),
            (Scheme::Mqtts, "fe80::1:2", 8883)
        );
        assert_eq!(BrokerUrl::parse("tcp://[::1"), Err(UrlError::InvalidHost));
        assert_eq!(
            BrokerUrl::parse("tcp://[::1]1883"),
            Err(UrlError::InvalidHost)
        );
        assert_eq!(
            BrokerUrl::parse("tcp://[]:1883"),
            Err(UrlError::MissingHost)
        );
        assert_eq!(
            BrokerUrl::parse("tcp://[zz]:1883"),
            Err(UrlError::InvalidHost)
        );
        assert_eq!(
            BrokerUrl::parse("tcp://::1:1883"),
            Err(UrlError::InvalidHost)
        );
    }

    #[cfg(not(feature = "websocket"))]
    #[test]
    fn websocket_schemes_without_the_feature_are_error_minus_14() {
        for url in ["ws://h:80", "wss://h"] {
            let err = BrokerUrl::parse(url).unwrap_err();
            assert_eq!(err, UrlError::UnsupportedScheme, "{url}");
            assert_eq!(MqttError::from(err).code(), -14);
        }
    }

    #[cfg(feature = "websocket")]
    fn ws(url: &str) -> (Scheme, &str, u16, &str) {
        let u = BrokerUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        (u.scheme, u.host, u.port, u.path)
    }

    #[cfg(feature = "websocket")]
    #[test]
    fn websocket_schemes_default_to_ports_80_and_443_and_path_mqtt() {
        assert_eq!(ws("ws://broker"), (Scheme::Ws, "broker", 80, "/mqtt"));
        assert_eq!(ws("WSS://broker"), (Scheme::Wss, "broker", 443, "/mqtt"));
        assert!(BrokerUrl::parse("wss://h").unwrap().is_tls());
        assert!(!BrokerUrl::parse("ws://h").unwrap().is_tls());
        assert!(BrokerUrl::parse("ws://h").unwrap().scheme.is_websocket());
        assert!(!BrokerUrl::parse("mqtts://h").unwrap().scheme.is_websocket());
        assert_eq!(BrokerUrl::parse("tcp://h").unwrap().path, "");
    }

    #[cfg(feature = "websocket")]
    #[test]
    fn websocket_path_and_port_come_from_the_url() {
        assert_eq!(ws("ws://h:8080/"), (Scheme::Ws, "h", 8080, "/"));
        assert_eq!(ws("wss://h:8443/ws"), (Scheme::Wss, "h", 8443, "/ws"));
        assert_eq!(
            ws("ws://[::1]:9001/a/b?x=1&y=%20"),
            (Scheme::Ws, "::1", 9001, "/a/b?x=1&y=%20")
        );
    }

    #[cfg(feature = "websocket")]
    #[test]
    fn bad_websocket_paths_and_authorities_are_refused() {
        for url in [
            "ws://h?x=1",
            "ws://h/a b",
            "ws://h/a#frag",
            "ws://h/\u{e9}",
            "ws://h/\x01",
        ] {
            assert_eq!(
                BrokerUrl::parse(url),
                Err(UrlError::UnexpectedPath),
                "{url}"
            );
        }
        assert_eq!(BrokerUrl::parse("ws:///mqtt"), Err(UrlError::MissingHost));
        assert_eq!(
            BrokerUrl::parse("ws://u@h/mqtt"),
            Err(UrlError::UnexpectedPath)
        );
        assert_eq!(
            BrokerUrl::parse("ws://h:0/mqtt"),
            Err(UrlError::InvalidPort)
        );
        // A path is still refused where the scheme takes none.
        assert_eq!(
            BrokerUrl::parse("mqtts://h/mqtt"),
            Err(UrlError::UnexpectedPath)
        );
    }

    #[test]
    fn unknown_schemes_are_error_minus_14() {
        for url in ["http://h", "tcpx://h", "://h"] {
            let err = BrokerUrl::parse(url).unwrap_err();
            assert_eq!(err, UrlError::UnsupportedScheme, "{url}");
            assert_eq!(MqttError::from(err).code(), -14);
        }
        assert_eq!(
            BrokerUrl::parse("broker.local:1883"),
            Err(UrlError::MissingScheme)
        );
    }

    #[test]
    fn bad_ports_are_typed_errors() {
        for url in [
            "tcp://h:",
            "tcp://h:0",
            "tcp://h:65536",
            "tcp://h:99999999",
            "tcp://h:+1",
            "tcp://h:1x",
            "tcp://[::1]:",
        ] {
            assert_eq!(BrokerUrl::parse(url), Err(UrlError::InvalidPort), "{url}");
        }
    }

    #[test]
    fn missing_hosts_paths_and_user_info_are_refused() {
        assert_eq!(BrokerUrl::parse("tcp://"), Err(UrlError::MissingHost));
        assert_eq!(BrokerUrl::parse("tcp://:1883"), Err(UrlError::MissingHost));
        assert_eq!(
            BrokerUrl::parse("tcp://h/path"),
            Err(UrlError::UnexpectedPath)
        );
        assert_eq!(
            BrokerUrl::parse("tcp://u:p@h"),
            Err(UrlError::UnexpectedPath)
        );
        assert_eq!(BrokerUrl::parse("tcp://h h"), Err(UrlError::InvalidHost));
    }
}
