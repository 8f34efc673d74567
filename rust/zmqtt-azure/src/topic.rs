//! What all Azure topic parsers share: their error type and the `{status}/?{query}` tail.
//!
//! Every parser in this crate takes any `&str` and returns a typed value or a
//! [`TopicParseError`]; none panics (a property test throws random strings at all of them).

use core::fmt;

use crate::property_bag::{PropertyBag, PropertyBagError};
use crate::url_encode::url_decode;

/// Why a received topic was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicParseError {
    /// The topic is not of the kind the parser reads (another prefix): not an error of the hub,
    /// just a different message.
    OtherTopic,
    /// The status segment is not a decimal number from 100 to 999.
    BadStatus,
    /// The `?` query that must follow the path is missing.
    MissingQuery,
    /// The query has no `$rid`, or an empty one.
    MissingRequestId,
    /// `$version` is missing (desired patches) or not a decimal `u64`.
    BadVersion,
    /// `retry-after` is not a decimal number of seconds.
    BadRetryAfter,
    /// A direct method request names no method, or a name with a `/`.
    BadMethodName,
    /// A cloud-to-device topic names no device.
    MissingDeviceId,
    /// The property bag or query is malformed.
    PropertyBag(PropertyBagError),
}

impl fmt::Display for TopicParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicParseError::OtherTopic => f.write_str("not a topic of this kind"),
            TopicParseError::BadStatus => f.write_str("status is not a number from 100 to 999"),
            TopicParseError::MissingQuery => f.write_str("topic has no '?' query"),
            TopicParseError::MissingRequestId => f.write_str("topic has no $rid"),
            TopicParseError::BadVersion => f.write_str("missing or bad $version"),
            TopicParseError::BadRetryAfter => f.write_str("bad retry-after"),
            TopicParseError::BadMethodName => f.write_str("missing or bad method name"),
            TopicParseError::MissingDeviceId => f.write_str("topic names no device"),
            TopicParseError::PropertyBag(error) => write!(f, "bad property bag: {error}"),
        }
    }
}

impl core::error::Error for TopicParseError {}

impl From<PropertyBagError> for TopicParseError {
    fn from(error: PropertyBagError) -> Self {
        TopicParseError::PropertyBag(error)
    }
}

/// An HTTP-like status: three decimal digits, 100 to 999.
pub(crate) fn parse_status(segment: &str) -> Result<u16, TopicParseError> {
    if segment.len() != 3 || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TopicParseError::BadStatus);
    }
    match segment.parse::<u16>() {
        Ok(status) if status >= 100 => Ok(status),
        _ => Err(TopicParseError::BadStatus),
    }
}

/// Splits `{status}/?{query}` into the status and the checked query.
pub(crate) fn parse_status_and_query(
    tail: &str,
) -> Result<(u16, PropertyBag<'_>), TopicParseError> {
    let (status, query) = tail.split_once('/').ok_or(TopicParseError::BadStatus)?;
    let status = parse_status(status)?;
    let query = query
        .strip_prefix('?')
        .ok_or(TopicParseError::MissingQuery)?;
    Ok((status, PropertyBag::parse(query)?))
}

/// The raw (still encoded) `$rid` of a query; required and non-empty.
pub(crate) fn request_id<'a>(query: &PropertyBag<'a>) -> Result<&'a str, TopicParseError> {
    match query.get("$rid").and_then(|p| p.value_raw()) {
        Some(rid) if !rid.is_empty() => Ok(rid),
        _ => Err(TopicParseError::MissingRequestId),
    }
}

/// The decimal value of the optional property `key`: `None` when it is absent, `error` when it
/// is present without a value or with one that is not a plain decimal.
pub(crate) fn optional_decimal(
    query: &PropertyBag<'_>,
    key: &str,
    error: TopicParseError,
) -> Result<Option<u64>, TopicParseError> {
    match query.get(key).map(|p| p.value_raw()) {
        None => Ok(None),
        Some(raw) => raw.and_then(decimal).map(Some).ok_or(error),
    }
}

/// A decimal number from an optional query value, decoded first (at most 20 digits fit a u64).
pub(crate) fn decimal(raw: &str) -> Option<u64> {
    let mut buf = [0u8; 20];
    let text = url_decode(raw, &mut buf).ok()?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_three_digits_from_100() {
        assert_eq!(parse_status("200"), Ok(200));
        assert_eq!(parse_status("999"), Ok(999));
        for bad in ["", "20", "2000", "099", "+20", "20a", "٢٠٠"] {
            assert_eq!(parse_status(bad), Err(TopicParseError::BadStatus), "{bad}");
        }
    }

    #[test]
    fn decimal_refuses_signs_overflow_and_empty() {
        assert_eq!(decimal("42"), Some(42));
        assert_eq!(decimal("%34%32"), Some(42));
        assert_eq!(decimal("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "-1",
            "+1",
            "18446744073709551616",
            "1.5",
            "123456789012345678901",
        ] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
    }
}
