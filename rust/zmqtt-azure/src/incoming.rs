//! Sorting a received PUBLISH by its topic: which Azure message is it?

use crate::c2d::C2dMessage;
use crate::dps::DpsResponse;
use crate::method::MethodRequest;
use crate::topic::TopicParseError;
use crate::twin::{DesiredPatch, TwinResponse};

/// A received topic, parsed into the Azure message it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// An answer to a twin GET or PATCH.
    TwinResponse(TwinResponse<'a>),
    /// A desired property patch.
    DesiredPatch(DesiredPatch),
    /// A direct method request.
    MethodRequest(MethodRequest<'a>),
    /// A cloud-to-device message.
    CloudToDevice(C2dMessage<'a>),
    /// A DPS answer.
    DpsResponse(DpsResponse<'a>),
    /// None of the above (not an error: the application may have subscriptions of its own).
    Other,
}

impl<'a> Incoming<'a> {
    /// Parses `topic` with each parser in turn. A topic that one parser recognises by its prefix
    /// but finds malformed is an error; a topic nobody recognises is [`Incoming::Other`].
    pub fn parse(topic: &'a str) -> Result<Self, TopicParseError> {
        fn recognised<T>(result: Result<T, TopicParseError>) -> Option<Result<T, TopicParseError>> {
            match result {
                Err(TopicParseError::OtherTopic) => None,
                other => Some(other),
            }
        }
        if let Some(result) = recognised(TwinResponse::parse(topic)) {
            return result.map(Incoming::TwinResponse);
        }
        if let Some(result) = recognised(DesiredPatch::parse(topic)) {
            return result.map(Incoming::DesiredPatch);
        }
        if let Some(result) = recognised(MethodRequest::parse(topic)) {
            return result.map(Incoming::MethodRequest);
        }
        if let Some(result) = recognised(C2dMessage::parse(topic)) {
            return result.map(Incoming::CloudToDevice);
        }
        if let Some(result) = recognised(DpsResponse::parse(topic)) {
            return result.map(Incoming::DpsResponse);
        }
        Ok(Incoming::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_recognised() {
        assert!(matches!(
            Incoming::parse("$iothub/twin/res/200/?$rid=1"),
            Ok(Incoming::TwinResponse(_))
        ));
        assert!(matches!(
            Incoming::parse("$iothub/twin/PATCH/properties/desired/?$version=2"),
            Ok(Incoming::DesiredPatch(DesiredPatch { version: 2 }))
        ));
        assert!(matches!(
            Incoming::parse("$iothub/methods/POST/m/?$rid=1"),
            Ok(Incoming::MethodRequest(_))
        ));
        assert!(matches!(
            Incoming::parse("devices/d/messages/devicebound/a=b"),
            Ok(Incoming::CloudToDevice(_))
        ));
        assert!(matches!(
            Incoming::parse("$dps/registrations/res/202/?$rid=1&retry-after=2"),
            Ok(Incoming::DpsResponse(_))
        ));
        assert_eq!(Incoming::parse("app/own/topic"), Ok(Incoming::Other));
    }

    #[test]
    fn a_recognised_but_malformed_topic_is_an_error() {
        assert_eq!(
            Incoming::parse("$iothub/twin/res/200/?"),
            Err(TopicParseError::MissingRequestId)
        );
    }
}
