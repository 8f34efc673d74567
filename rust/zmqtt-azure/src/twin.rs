//! Device twin topics: GET the twin, PATCH reported properties, the hub's answers and its desired
//! property patches.
//!
//! Requests carry a `$rid` that the hub copies into its answer on `$iothub/twin/res/{status}/`;
//! [`crate::correlation::PendingRequests`] matches the two. Desired patches arrive only while the
//! device is connected, so a device GETs the whole twin after every (re)connect
//! ([`crate::profile`]).

use core::fmt;

use crate::property_bag::PropertyBag;
use crate::topic::{
    decimal, optional_decimal, parse_status_and_query, request_id, TopicParseError,
};

/// Subscribe to this for the answers to twin GET and PATCH.
pub const TWIN_RESPONSE_FILTER: &str = "$iothub/twin/res/#";

/// Subscribe to this for desired property patches.
pub const TWIN_DESIRED_FILTER: &str = "$iothub/twin/PATCH/properties/desired/#";

const RESPONSE_PREFIX: &str = "$iothub/twin/res/";
const DESIRED_PREFIX: &str = "$iothub/twin/PATCH/properties/desired/";

/// `$iothub/twin/GET/?$rid={rid}`: publish an empty payload here to ask for the whole twin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwinGetTopic {
    /// The request id the answer will carry.
    pub rid: u32,
}

impl fmt::Display for TwinGetTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "$iothub/twin/GET/?$rid={}", self.rid)
    }
}

/// `$iothub/twin/PATCH/properties/reported/?$rid={rid}`: publish a JSON patch of reported
/// properties here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwinReportTopic {
    /// The request id the answer will carry.
    pub rid: u32,
}

impl fmt::Display for TwinReportTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$iothub/twin/PATCH/properties/reported/?$rid={}",
            self.rid
        )
    }
}

/// The hub's answer to a twin GET or PATCH:
/// `$iothub/twin/res/{status}/?$rid={rid}[&$version={version}]`.
///
/// The payload is the twin JSON (GET, status 200) or empty (PATCH, status 204).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwinResponse<'a> {
    /// HTTP-like status: 200 and 204 succeed, 429 is throttling, 4xx/5xx fail.
    pub status: u16,
    /// The request id, still encoded as it came.
    pub rid: &'a str,
    /// The reported properties' new version (PATCH answers carry it).
    pub version: Option<u64>,
}

impl<'a> TwinResponse<'a> {
    /// Parses a received topic; [`TopicParseError::OtherTopic`] when it is not a twin answer.
    pub fn parse(topic: &'a str) -> Result<Self, TopicParseError> {
        let tail = topic
            .strip_prefix(RESPONSE_PREFIX)
            .ok_or(TopicParseError::OtherTopic)?;
        let (status, query) = parse_status_and_query(tail)?;
        let rid = request_id(&query)?;
        let version = optional_decimal(&query, "$version", TopicParseError::BadVersion)?;
        Ok(TwinResponse {
            status,
            rid,
            version,
        })
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A desired property patch: `$iothub/twin/PATCH/properties/desired/?$version={version}`; the
/// payload is the JSON patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DesiredPatch {
    /// The desired properties' version after this patch.
    pub version: u64,
}

impl DesiredPatch {
    /// Parses a received topic; [`TopicParseError::OtherTopic`] when it is not a desired patch.
    pub fn parse(topic: &str) -> Result<Self, TopicParseError> {
        let tail = topic
            .strip_prefix(DESIRED_PREFIX)
            .ok_or(TopicParseError::OtherTopic)?;
        let query = tail
            .strip_prefix('?')
            .ok_or(TopicParseError::MissingQuery)?;
        let query = PropertyBag::parse(query)?;
        let version = query
            .get("$version")
            .and_then(|p| p.value_raw())
            .and_then(decimal)
            .ok_or(TopicParseError::BadVersion)?;
        Ok(DesiredPatch { version })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn request_topics_carry_the_rid() {
        assert_eq!(
            TwinGetTopic { rid: 7 }.to_string(),
            "$iothub/twin/GET/?$rid=7"
        );
        assert_eq!(
            TwinReportTopic { rid: 4294967295 }.to_string(),
            "$iothub/twin/PATCH/properties/reported/?$rid=4294967295"
        );
    }

    #[test]
    fn response_with_and_without_version() {
        assert_eq!(
            TwinResponse::parse("$iothub/twin/res/200/?$rid=7"),
            Ok(TwinResponse {
                status: 200,
                rid: "7",
                version: None
            })
        );
        let patch = TwinResponse::parse("$iothub/twin/res/204/?$rid=8&$version=12").unwrap();
        assert_eq!(
            (patch.status, patch.rid, patch.version),
            (204, "8", Some(12))
        );
        assert!(patch.is_success());
        // Unknown query keys are ignored, order does not matter.
        let throttled = TwinResponse::parse("$iothub/twin/res/429/?x=1&$rid=9").unwrap();
        assert_eq!((throttled.status, throttled.rid), (429, "9"));
        assert!(!throttled.is_success());
    }

    #[test]
    fn malformed_responses_get_typed_errors() {
        use TopicParseError::*;
        let cases = [
            ("devices/d/messages/devicebound/", OtherTopic),
            ("$iothub/twin/res/", BadStatus),
            ("$iothub/twin/res/20/?$rid=1", BadStatus),
            ("$iothub/twin/res/abc/?$rid=1", BadStatus),
            ("$iothub/twin/res/200", BadStatus),
            ("$iothub/twin/res/200/$rid=1", MissingQuery),
            ("$iothub/twin/res/200/?", MissingRequestId),
            ("$iothub/twin/res/200/?$rid", MissingRequestId),
            ("$iothub/twin/res/200/?$rid=", MissingRequestId),
            ("$iothub/twin/res/204/?$rid=1&$version=x", BadVersion),
            ("$iothub/twin/res/204/?$rid=1&$version", BadVersion),
        ];
        for (topic, error) in cases {
            assert_eq!(TwinResponse::parse(topic), Err(error), "{topic}");
        }
        assert!(matches!(
            TwinResponse::parse("$iothub/twin/res/200/?$rid=%zz"),
            Err(PropertyBag(_))
        ));
    }

    #[test]
    fn desired_patch_needs_a_version() {
        assert_eq!(
            DesiredPatch::parse("$iothub/twin/PATCH/properties/desired/?$version=3"),
            Ok(DesiredPatch { version: 3 })
        );
        assert_eq!(
            DesiredPatch::parse("$iothub/twin/PATCH/properties/desired/?$version="),
            Err(TopicParseError::BadVersion)
        );
        assert_eq!(
            DesiredPatch::parse("$iothub/twin/PATCH/properties/desired/"),
            Err(TopicParseError::MissingQuery)
        );
        assert_eq!(
            DesiredPatch::parse("$iothub/twin/PATCH/properties/reported/?$version=3"),
            Err(TopicParseError::OtherTopic)
        );
    }
}
