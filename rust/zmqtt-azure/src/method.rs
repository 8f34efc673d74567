//! Direct method topics: the hub's requests and the device's replies.
//!
//! The hub publishes `$iothub/methods/POST/{method name}/?$rid={rid}` with a JSON payload; the
//! device answers on `$iothub/methods/res/{status}/?$rid={rid}` with a JSON payload, copying the
//! `$rid` exactly as it came (it is the hub's, not ours, so it stays a string).

use core::fmt;

use crate::property_bag::PropertyBag;
use crate::topic::{request_id, TopicParseError};

/// Subscribe to this for direct method requests.
pub const METHODS_FILTER: &str = "$iothub/methods/POST/#";

const REQUEST_PREFIX: &str = "$iothub/methods/POST/";

/// A direct method request, parsed from its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodRequest<'a> {
    /// The method's name, as the hub wrote it.
    pub name: &'a str,
    /// The hub's request id, to be echoed in the reply.
    pub rid: &'a str,
}

impl<'a> MethodRequest<'a> {
    /// Parses a received topic; [`TopicParseError::OtherTopic`] when it is not a method request.
    pub fn parse(topic: &'a str) -> Result<Self, TopicParseError> {
        let tail = topic
            .strip_prefix(REQUEST_PREFIX)
            .ok_or(TopicParseError::OtherTopic)?;
        // The name is one topic level: Azure method names cannot hold a '/'.
        let (name, rest) = tail.split_once('/').ok_or(TopicParseError::BadMethodName)?;
        if name.is_empty() {
            return Err(TopicParseError::BadMethodName);
        }
        let query = rest
            .strip_prefix('?')
            .ok_or(TopicParseError::MissingQuery)?;
        let query = PropertyBag::parse(query)?;
        Ok(MethodRequest {
            name,
            rid: request_id(&query)?,
        })
    }

    /// The topic to publish the application's reply on, with its `status` (e.g. 200, or 404 for a
    /// method the device does not know).
    pub fn reply_topic(&self, status: u16) -> MethodResponseTopic<'a> {
        MethodResponseTopic {
            status,
            rid: self.rid,
        }
    }
}

/// `$iothub/methods/res/{status}/?$rid={rid}`: where a method's reply goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodResponseTopic<'a> {
    /// The status the application chose; the hub hands it to the caller of the method.
    pub status: u16,
    /// The request id from [`MethodRequest::rid`], unchanged.
    pub rid: &'a str,
}

impl fmt::Display for MethodResponseTopic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "$iothub/methods/res/{}/?$rid={}", self.status, self.rid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn request_parses_into_name_and_rid_and_reply_echoes_the_rid() {
        let request = MethodRequest::parse("$iothub/methods/POST/reboot/?$rid=1f").unwrap();
        assert_eq!((request.name, request.rid), ("reboot", "1f"));
        assert_eq!(
            request.reply_topic(200).to_string(),
            "$iothub/methods/res/200/?$rid=1f"
        );
    }

    #[test]
    fn malformed_requests_get_typed_errors() {
        use TopicParseError::*;
        let cases = [
            ("$iothub/methods/res/200/?$rid=1", OtherTopic),
            ("$iothub/methods/POST/", BadMethodName),
            ("$iothub/methods/POST/reboot", BadMethodName),
            ("$iothub/methods/POST//?$rid=1", BadMethodName),
            ("$iothub/methods/POST/a/b/?$rid=1", MissingQuery),
            ("$iothub/methods/POST/reboot/", MissingQuery),
            ("$iothub/methods/POST/reboot/?", MissingRequestId),
            ("$iothub/methods/POST/reboot/?$rid=", MissingRequestId),
        ];
        for (topic, error) in cases {
            assert_eq!(MethodRequest::parse(topic), Err(error), "{topic}");
        }
    }
}
