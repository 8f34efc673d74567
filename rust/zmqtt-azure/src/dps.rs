//! Device Provisioning Service topics: register, poll the operation, and the service's answers.
//!
//! The device publishes a registration request on `$dps/registrations/PUT/iotdps-register/?$rid=…`;
//! DPS answers on `$dps/registrations/res/{status}/?$rid={rid}[&retry-after={seconds}]`. A 202
//! means "assigning": wait `retry-after` seconds, then poll with the `operationId` from the JSON
//! payload on `$dps/registrations/GET/iotdps-get-operationstatus/?$rid=…&operationId=…` until a 200
//! brings the assigned hub.

use core::fmt;

use crate::topic::{optional_decimal, parse_status_and_query, request_id, TopicParseError};
use crate::url_encode::UrlEncoded;

/// The global DPS endpoint devices connect to unless told otherwise.
pub const DPS_GLOBAL_HOST: &str = "global.azure-devices-provisioning.net";

/// Subscribe to this for DPS answers.
pub const DPS_RESPONSE_FILTER: &str = "$dps/registrations/res/#";

const RESPONSE_PREFIX: &str = "$dps/registrations/res/";

/// `$dps/registrations/PUT/iotdps-register/?$rid={rid}`: publish the registration request
/// (JSON `{"registrationId": …}`) here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpsRegisterTopic {
    /// The request id the answer will carry.
    pub rid: u32,
}

impl fmt::Display for DpsRegisterTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$dps/registrations/PUT/iotdps-register/?$rid={}",
            self.rid
        )
    }
}

/// `$dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId={id}`: publish an
/// empty payload here to ask how the registration is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpsPollTopic<'a> {
    /// The request id the answer will carry.
    pub rid: u32,
    /// The `operationId` from the 202 answer's payload (percent-encoded when written).
    pub operation_id: &'a str,
}

impl fmt::Display for DpsPollTopic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$dps/registrations/GET/iotdps-get-operationstatus/?$rid={}&operationId={}",
            self.rid,
            UrlEncoded(self.operation_id)
        )
    }
}

/// A DPS answer: `$dps/registrations/res/{status}/?$rid={rid}[&retry-after={seconds}]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpsResponse<'a> {
    /// 200 assigned (or failed: see the payload's `status`), 202 still assigning, 429 throttled,
    /// other 4xx/5xx errors.
    pub status: u16,
    /// The request id, still encoded as it came.
    pub rid: &'a str,
    /// Seconds to wait before polling (or retrying, after a 429).
    pub retry_after_secs: Option<u32>,
}

impl<'a> DpsResponse<'a> {
    /// Parses a received topic; [`TopicParseError::OtherTopic`] when it is not a DPS answer.
    pub fn parse(topic: &'a str) -> Result<Self, TopicParseError> {
        let tail = topic
            .strip_prefix(RESPONSE_PREFIX)
            .ok_or(TopicParseError::OtherTopic)?;
        let (status, query) = parse_status_and_query(tail)?;
        let rid = request_id(&query)?;
        let retry_after_secs =
            optional_decimal(&query, "retry-after", TopicParseError::BadRetryAfter)?
                .map(|secs| u32::try_from(secs).map_err(|_| TopicParseError::BadRetryAfter))
                .transpose()?;
        Ok(DpsResponse {
            status,
            rid,
            retry_after_secs,
        })
    }

    /// True for 202: the registration is still being assigned, poll again later.
    pub fn is_assigning(&self) -> bool {
        self.status == 202
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn register_and_poll_topics() {
        assert_eq!(
            DpsRegisterTopic { rid: 1 }.to_string(),
            "$dps/registrations/PUT/iotdps-register/?$rid=1"
        );
        assert_eq!(
            DpsPollTopic {
                rid: 2,
                operation_id: "4.d0a3c5f2a1b8e4f6.1b2c3d4e-0000-1111-2222-333344445555",
            }
            .to_string(),
            "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=4.d0a3c5f2a1b8e4f6.1b2c3d4e-0000-1111-2222-333344445555"
        );
        assert_eq!(
            DpsPollTopic {
                rid: 3,
                operation_id: "a/b c",
            }
            .to_string(),
            "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=3&operationId=a%2Fb%20c"
        );
    }

    #[test]
    fn responses_with_and_without_retry_after() {
        let assigning =
            DpsResponse::parse("$dps/registrations/res/202/?$rid=1&retry-after=3").unwrap();
        assert_eq!(
            assigning,
            DpsResponse {
                status: 202,
                rid: "1",
                retry_after_secs: Some(3)
            }
        );
        assert!(assigning.is_assigning());
        let done = DpsResponse::parse("$dps/registrations/res/200/?$rid=2").unwrap();
        assert_eq!((done.status, done.retry_after_secs), (200, None));
        assert!(!done.is_assigning());
    }

    #[test]
    fn malformed_responses_get_typed_errors() {
        use TopicParseError::*;
        let cases = [
            ("$dps/registrations/PUT/iotdps-register/?$rid=1", OtherTopic),
            ("$dps/registrations/res/2o2/?$rid=1", BadStatus),
            (
                "$dps/registrations/res/202/?retry-after=3",
                MissingRequestId,
            ),
            (
                "$dps/registrations/res/202/?$rid=1&retry-after",
                BadRetryAfter,
            ),
            (
                "$dps/registrations/res/202/?$rid=1&retry-after=-1",
                BadRetryAfter,
            ),
            (
                "$dps/registrations/res/202/?$rid=1&retry-after=4294967296",
                BadRetryAfter,
            ),
        ];
        for (topic, error) in cases {
            assert_eq!(DpsResponse::parse(topic), Err(error), "{topic}");
        }
    }
}
