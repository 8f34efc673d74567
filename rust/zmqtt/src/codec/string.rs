//! The UTF-8 Encoded String of MQTT 5.0 §1.5.4 (MQTT 3.1.1 §1.5.3) as a checked type.
//!
//! An MQTT string is well-formed UTF-8 (which `&str` already is), at most 65,535 bytes (its length
//! travels in two bytes), and holds no U+0000. [`MqttStr`] is a `&str` known to meet these rules:
//! it is checked once when it is built, so that [`Packet::emit`](super::Packet::emit) only copies
//! it. Decoding builds it from bytes it has just validated.

use core::fmt;

/// Why a `&str` is not an MQTT string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StringError {
    /// Longer than 65,535 bytes, the most a string field can hold (§1.5.4).
    TooLong,
    /// Contains U+0000 (§1.5.4).
    NullCharacter,
}

impl fmt::Display for StringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLong => "string is longer than 65535 bytes",
            Self::NullCharacter => "string contains U+0000",
        })
    }
}

impl core::error::Error for StringError {}

/// A `&str` that is a valid MQTT string: at most 65,535 bytes, no U+0000.
///
/// Built with [`MqttStr::new`] (or `TryFrom<&str>`), which checks the rules; it dereferences to
/// `str`. Used for the CONNECT client identifier and user name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MqttStr<'a>(&'a str);

impl<'a> MqttStr<'a> {
    /// The empty string.
    pub const EMPTY: Self = Self("");

    /// Checks `s` against the MQTT string rules.
    pub fn new(s: &'a str) -> Result<Self, StringError> {
        check(s)?;
        Ok(Self(s))
    }

    #[cfg_attr(not(feature = "broker"), allow(dead_code))]
    /// For strings the codec has validated itself (decoded fields, checked topics).
    pub(crate) const fn new_validated(s: &'a str) -> Self {
        Self(s)
    }
}

/// The rules a `&str` must still meet to be an MQTT string (UTF-8 is guaranteed by the type).
pub(crate) fn check(s: &str) -> Result<(), StringError> {
    if s.len() > usize::from(u16::MAX) {
        Err(StringError::TooLong)
    } else if s.as_bytes().contains(&0) {
        Err(StringError::NullCharacter)
    } else {
        Ok(())
    }
}

/// The read-only `&str` behaviour shared by the checked string types ([`MqttStr`], and
/// `TopicName`/`TopicFilter` in `topic.rs`): they dereference to `str`, compare with `&str`, and
/// print as the string. Construction stays with each type, which is where its rules are checked.
macro_rules! str_newtype {
    ($ty:ident, $err:ty) => {
        impl<'a> $ty<'a> {
            /// The string.
            pub const fn as_str(&self) -> &'a str {
                self.0
            }
        }

        impl core::ops::Deref for $ty<'_> {
            type Target = str;

            fn deref(&self) -> &str {
                self.0
            }
        }

        impl AsRef<str> for $ty<'_> {
            fn as_ref(&self) -> &str {
                self.0
            }
        }

        impl<'a> TryFrom<&'a str> for $ty<'a> {
            type Error = $err;

            fn try_from(s: &'a str) -> Result<Self, $err> {
                Self::new(s)
            }
        }

        impl PartialEq<str> for $ty<'_> {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $ty<'_> {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl core::fmt::Debug for $ty<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(self.0, f)
            }
        }

        impl core::fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.0)
            }
        }
    };
}

pub(crate) use str_newtype;

str_newtype!(MqttStr, StringError);

#[cfg(test)]
mod tests {
    // Reduced feature sets (scripts/test) compile only some of the tests below.
    #![cfg_attr(
        not(all(feature = "v5", feature = "qos2", feature = "broker")),
        allow(unused_imports, dead_code)
    )]
    use super::*;

    #[test]
    fn mqtt_strings_refuse_nul_and_more_than_65535_bytes() {
        assert_eq!(MqttStr::new("abc").map(|s| s.len()), Ok(3));
        assert_eq!(MqttStr::new(""), Ok(MqttStr::EMPTY));
        assert_eq!(MqttStr::new("a\0"), Err(StringError::NullCharacter));
        let long = "x".repeat(65_536);
        assert_eq!(MqttStr::new(&long), Err(StringError::TooLong));
        assert!(MqttStr::new(&long[..65_535]).is_ok());
        assert_eq!(MqttStr::try_from("u").unwrap(), "u");
    }
}
