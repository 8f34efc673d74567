//! Cloud-to-device messages: the subscription and the received topic
//! `devices/{device}/messages/devicebound/{property bag}`.

use core::fmt;

use crate::property_bag::PropertyBag;
use crate::topic::TopicParseError;

/// `devices/{device}/messages/devicebound/#`: subscribe to this for cloud-to-device messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct C2dFilter<'a> {
    /// The device id.
    pub device_id: &'a str,
}

impl fmt::Display for C2dFilter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "devices/{}/messages/devicebound/#", self.device_id)
    }
}

const DEVICEBOUND: &str = "/messages/devicebound/";

/// A received cloud-to-device message's topic: whom it is for and its properties (system ones
/// such as `$.to`, `$.mid`, `iothub-ack`, and the application's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct C2dMessage<'a> {
    /// The device id the message is for.
    pub device_id: &'a str,
    /// The message's properties, still encoded.
    pub properties: PropertyBag<'a>,
}

impl<'a> C2dMessage<'a> {
    /// Parses a received topic; [`TopicParseError::OtherTopic`] when it is not a cloud-to-device
    /// message.
    pub fn parse(topic: &'a str) -> Result<Self, TopicParseError> {
        let tail = topic
            .strip_prefix("devices/")
            .ok_or(TopicParseError::OtherTopic)?;
        let (device_id, bag) = tail
            .split_once(DEVICEBOUND)
            .ok_or(TopicParseError::OtherTopic)?;
        if device_id.is_empty() {
            return Err(TopicParseError::MissingDeviceId);
        }
        if device_id.contains('/') {
            // `devices/d/modules/m/messages/devicebound/…` or similar: not a device's C2D topic.
            return Err(TopicParseError::OtherTopic);
        }
        Ok(C2dMessage {
            device_id,
            properties: PropertyBag::parse(bag)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn filter_names_the_device() {
        assert_eq!(
            C2dFilter { device_id: "d1" }.to_string(),
            "devices/d1/messages/devicebound/#"
        );
    }

    #[test]
    fn received_topic_gives_device_and_properties() {
        let message = C2dMessage::parse(
            "devices/d1/messages/devicebound/%24.mid=42&%24.to=%2Fdevices%2Fd1%2Fmessages%2FdeviceBound&flag&empty=&color=dark%20red",
        )
        .unwrap();
        assert_eq!(message.device_id, "d1");
        let mut buf = [0u8; 64];
        assert_eq!(
            message
                .properties
                .get("$.mid")
                .unwrap()
                .decode_value(&mut buf),
            Ok(Some("42"))
        );
        assert_eq!(message.properties.get("flag").unwrap().value_raw(), None);
        assert_eq!(
            message.properties.get("empty").unwrap().value_raw(),
            Some("")
        );
        assert_eq!(
            message
                .properties
                .get("color")
                .unwrap()
                .decode_value(&mut buf),
            Ok(Some("dark red"))
        );
        let names: Vec<_> = message.properties.iter().map(|p| p.name_raw()).collect();
        assert_eq!(names, ["%24.mid", "%24.to", "flag", "empty", "color"]);
    }

    #[test]
    fn no_properties_is_an_empty_bag() {
        let message = C2dMessage::parse("devices/d1/messages/devicebound/").unwrap();
        assert!(message.properties.is_empty());
    }

    #[test]
    fn malformed_topics_get_typed_errors() {
        use TopicParseError::*;
        assert_eq!(
            C2dMessage::parse("$iothub/twin/res/200/?$rid=1"),
            Err(OtherTopic)
        );
        assert_eq!(
            C2dMessage::parse("devices/d1/messages/events/"),
            Err(OtherTopic)
        );
        assert_eq!(
            C2dMessage::parse("devices//messages/devicebound/"),
            Err(MissingDeviceId)
        );
        assert_eq!(
            C2dMessage::parse("devices/d/modules/m/messages/devicebound/"),
            Err(OtherTopic)
        );
        assert!(matches!(
            C2dMessage::parse("devices/d1/messages/devicebound/=x"),
            Err(PropertyBag(_))
        ));
    }
}
