//! Random input for every parser: each returns a value or a typed error and never panics.

use proptest::prelude::*;

use crate::url_encode::{url_decode, UrlEncoded};
use crate::{
    C2dMessage, DesiredPatch, DpsResponse, Incoming, MethodRequest, PendingRequests,
    PropertiesToSend, PropertyBag, TwinResponse,
};

/// Strings built from the characters Azure topics are made of, plus anything at all, so that the
/// parsers get past their prefixes often.
fn topic_like() -> impl Strategy<Value = std::string::String> {
    let prefix = prop_oneof![
        Just(""),
        Just("$iothub/twin/res/"),
        Just("$iothub/twin/PATCH/properties/desired/"),
        Just("$iothub/methods/POST/"),
        Just("devices/"),
        Just("devices/d/messages/devicebound/"),
        Just("$dps/registrations/res/"),
    ];
    let tail = prop_oneof![
        "[0-9a-z$%=&?/+#.\\-]{0,40}",
        "\\PC{0,40}",
        any::<std::string::String>(),
    ];
    (prefix, tail).prop_map(|(prefix, tail)| std::format!("{prefix}{tail}"))
}

proptest! {
    #[test]
    fn parsers_never_panic(topic in topic_like()) {
        let _ = TwinResponse::parse(&topic);
        let _ = DesiredPatch::parse(&topic);
        let _ = MethodRequest::parse(&topic);
        let _ = C2dMessage::parse(&topic);
        let _ = DpsResponse::parse(&topic);
        let _ = Incoming::parse(&topic);
        if let Ok(bag) = PropertyBag::parse(&topic) {
            let mut buf = [0u8; 16];
            for property in bag.iter() {
                let _ = property.decode_name(&mut buf);
                let _ = property.decode_value(&mut buf);
            }
        }
        let mut buf = [0u8; 64];
        let _ = url_decode(&topic, &mut buf);
        let mut table = PendingRequests::<2>::new();
        let _ = table.complete(&topic, 200);
    }

    #[test]
    fn encoding_then_decoding_gives_back_the_text(text in any::<std::string::String>()) {
        let encoded = std::format!("{}", UrlEncoded(&text));
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        let mut buf = std::vec![0u8; text.len()];
        prop_assert_eq!(url_decode(&encoded, &mut buf), Ok(text.as_str()));
    }

    #[test]
    fn a_successfully_parsed_twin_response_round_trips(status in 100u16..1000, rid in 1u32.., version in any::<Option<u64>>()) {
        let topic = match version {
            Some(v) => std::format!("$iothub/twin/res/{status}/?$rid={rid}&$version={v}"),
            None => std::format!("$iothub/twin/res/{status}/?$rid={rid}"),
        };
        let parsed = TwinResponse::parse(&topic).unwrap();
        let rid_text = std::format!("{rid}");
        prop_assert_eq!(parsed.status, status);
        prop_assert_eq!(parsed.rid, rid_text.as_str());
        prop_assert_eq!(parsed.version, version);
    }

    #[test]
    fn a_property_bag_written_then_received_gives_back_names_and_values(
        props in proptest::collection::vec(("[^$]\\PC{0,12}", proptest::option::of("\\PC{0,12}")), 0..6)
    ) {
        let pairs: std::vec::Vec<(&str, Option<&str>)> =
            props.iter().map(|(n, v)| (n.as_str(), v.as_deref())).collect();
        let topic = std::format!("devices/d-1/messages/devicebound/{}", PropertiesToSend(&pairs));
        let message = C2dMessage::parse(&topic).unwrap();
        prop_assert_eq!(message.device_id, "d-1");
        let received: std::vec::Vec<_> = message.properties.iter().collect();
        prop_assert_eq!(received.len(), pairs.len());
        let mut name_buf = [0u8; 64];
        let mut value_buf = [0u8; 64];
        for (property, (name, value)) in received.iter().zip(&pairs) {
            prop_assert_eq!(property.decode_name(&mut name_buf), Ok(*name));
            // `key` and `key=` stay apart.
            prop_assert_eq!(property.decode_value(&mut value_buf), Ok(*value));
        }
    }

    #[test]
    fn method_and_dps_topics_round_trip(
        name in "[A-Za-z0-9_.-]{1,20}",
        rid in "[0-9a-f]{1,12}",
        status in 100u16..1000,
        retry in any::<Option<u32>>(),
    ) {
        let request = std::format!("$iothub/methods/POST/{name}/?$rid={rid}");
        let parsed = MethodRequest::parse(&request).unwrap();
        prop_assert_eq!((parsed.name, parsed.rid), (name.as_str(), rid.as_str()));
        let reply = std::format!("{}", parsed.reply_topic(status));
        prop_assert_eq!(reply, std::format!("$iothub/methods/res/{status}/?$rid={rid}"));

        let answer = match retry {
            Some(secs) => std::format!("$dps/registrations/res/{status}/?$rid={rid}&retry-after={secs}"),
            None => std::format!("$dps/registrations/res/{status}/?$rid={rid}"),
        };
        let parsed = DpsResponse::parse(&answer).unwrap();
        prop_assert_eq!((parsed.status, parsed.rid, parsed.retry_after_secs), (status, rid.as_str(), retry));
    }
}
