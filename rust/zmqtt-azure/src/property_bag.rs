//! Property bags: the `name=value&name2&name3=` text in Azure topics.
//!
//! IoT Hub carries message properties in the topic itself (telemetry
//! `devices/{id}/messages/events/{bag}`, cloud-to-device `devices/{id}/messages/devicebound/{bag}`),
//! and the `?$rid=…&$version=…` query of twin, method and DPS topics has the same shape. Names and
//! values are percent-encoded ([`crate::url_encode`]). `name` (no `=`) and `name=` (empty value)
//! are different things to the hub, so [`Property::value_raw`] is `None` for the first and
//! `Some("")` for the second.
//!
//! [`PropertyBag::parse`] checks the whole bag once (every escape valid, no empty name), so the
//! accessors after it cannot fail except for lack of room. Empty segments (`a=1&&b=2`, a trailing
//! `&`) are skipped rather than refused: they carry nothing, and refusing them would drop a message
//! over punctuation.

use core::fmt;

use crate::url_encode::{check_escapes, decodes_to, url_decode, UrlDecodeError, UrlEncoded};

/// Why a property bag was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyBagError {
    /// A segment has a value but no name (`=value`), at this byte offset of the bag.
    EmptyName {
        /// Byte offset of the segment in the bag.
        at: usize,
    },
    /// A name or value has a `%` that is not followed by two hex digits, at this byte offset.
    BadEscape {
        /// Byte offset of the `%` in the bag.
        at: usize,
    },
}

impl fmt::Display for PropertyBagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertyBagError::EmptyName { at } => write!(f, "property without a name at byte {at}"),
            PropertyBagError::BadEscape { at } => write!(f, "bad percent escape at byte {at}"),
        }
    }
}

impl core::error::Error for PropertyBagError {}

/// One property as it appears on the wire (still percent-encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Property<'a> {
    name: &'a str,
    value: Option<&'a str>,
}

impl<'a> Property<'a> {
    /// The encoded name.
    pub fn name_raw(&self) -> &'a str {
        self.name
    }

    /// The encoded value: `None` for a bare `name`, `Some("")` for `name=`.
    pub fn value_raw(&self) -> Option<&'a str> {
        self.value
    }

    /// True when the decoded name is `name`.
    pub fn name_is(&self, name: &str) -> bool {
        decodes_to(self.name, name)
    }

    /// Decodes the name into `out`.
    pub fn decode_name<'b>(&self, out: &'b mut [u8]) -> Result<&'b str, UrlDecodeError> {
        url_decode(self.name, out)
    }

    /// Decodes the value into `out` (`None` for a bare `name`).
    pub fn decode_value<'b>(&self, out: &'b mut [u8]) -> Result<Option<&'b str>, UrlDecodeError> {
        self.value.map(|value| url_decode(value, out)).transpose()
    }
}

/// A checked property bag, borrowed from the topic it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyBag<'a> {
    raw: &'a str,
}

impl<'a> PropertyBag<'a> {
    /// The empty bag.
    pub const EMPTY: PropertyBag<'static> = PropertyBag { raw: "" };

    /// Checks `raw` (see the module doc) and wraps it.
    pub fn parse(raw: &'a str) -> Result<Self, PropertyBagError> {
        let mut offset = 0;
        for segment in raw.split('&') {
            let at = offset;
            offset += segment.len() + 1;
            if segment.is_empty() {
                continue;
            }
            if segment.starts_with('=') {
                return Err(PropertyBagError::EmptyName { at });
            }
            check_escapes(segment).map_err(|error| match error {
                UrlDecodeError::BadEscape { at: inner } => {
                    PropertyBagError::BadEscape { at: at + inner }
                }
                // check_escapes reports nothing else; keep a sane answer all the same.
                _ => PropertyBagError::BadEscape { at },
            })?;
        }
        Ok(PropertyBag { raw })
    }

    /// The bag as it came (still encoded).
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// True when the bag holds no property.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The properties in wire order.
    pub fn iter(&self) -> impl Iterator<Item = Property<'a>> + 'a {
        self.raw
            .split('&')
            .filter(|segment| !segment.is_empty())
            .map(|segment| match segment.split_once('=') {
                Some((name, value)) => Property {
                    name,
                    value: Some(value),
                },
                None => Property {
                    name: segment,
                    value: None,
                },
            })
    }

    /// The first property whose decoded name is `name`.
    pub fn get(&self, name: &str) -> Option<Property<'a>> {
        self.iter().find(|property| property.name_is(name))
    }
}

/// Properties to send, written as an encoded bag when displayed: `(name, None)` becomes `name`,
/// `(name, Some(value))` becomes `name=value`.
///
/// Names and values are percent-encoded, except that a leading `$.` of a name is written as is:
/// that is how IoT Hub's system properties (`$.ct` content type, `$.ce` content encoding, `$.mid`
/// message id …) are spelled by Azure's SDKs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertiesToSend<'a>(pub &'a [(&'a str, Option<&'a str>)]);

impl fmt::Display for PropertiesToSend<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("&")?;
            }
            match name.strip_prefix("$.") {
                Some(system) => write!(f, "$.{}", UrlEncoded(system))?,
                None => write!(f, "{}", UrlEncoded(name))?,
            }
            if let Some(value) = value {
                write!(f, "={}", UrlEncoded(value))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn bare_name_and_empty_value_are_different() {
        let bag = PropertyBag::parse("flag&empty=&k=v").unwrap();
        let props: Vec<_> = bag.iter().map(|p| (p.name_raw(), p.value_raw())).collect();
        assert_eq!(
            props,
            [("flag", None), ("empty", Some("")), ("k", Some("v"))]
        );
    }

    #[test]
    fn get_matches_decoded_names_and_decodes_values() {
        let bag = PropertyBag::parse("%24.to=%2Fdevices%2Fd1%2Fmessages%2FdeviceBound&a%20b=c%3Dd")
            .unwrap();
        let mut buf = [0u8; 64];
        let to = bag.get("$.to").unwrap();
        assert_eq!(
            to.decode_value(&mut buf),
            Ok(Some("/devices/d1/messages/deviceBound"))
        );
        assert_eq!(
            bag.get("a b").unwrap().decode_value(&mut buf),
            Ok(Some("c=d"))
        );
        assert!(bag.get("a").is_none());
    }

    #[test]
    fn empty_segments_are_skipped() {
        let bag = PropertyBag::parse("&a=1&&b&").unwrap();
        assert_eq!(bag.iter().count(), 2);
        assert!(PropertyBag::parse("").unwrap().is_empty());
    }

    #[test]
    fn empty_names_and_bad_escapes_are_refused_with_their_offset() {
        assert_eq!(
            PropertyBag::parse("a=1&=2"),
            Err(PropertyBagError::EmptyName { at: 4 })
        );
        assert_eq!(
            PropertyBag::parse("a=1&b=%G1"),
            Err(PropertyBagError::BadEscape { at: 6 })
        );
    }

    #[test]
    fn properties_to_send_encode_names_and_values_but_keep_system_prefix() {
        let props = [
            ("$.ct", Some("application/json")),
            ("$.ce", Some("utf-8")),
            ("temp alert", None),
            ("k", Some("")),
        ];
        assert_eq!(
            PropertiesToSend(&props).to_string(),
            "$.ct=application%2Fjson&$.ce=utf-8&temp%20alert&k="
        );
    }
}
