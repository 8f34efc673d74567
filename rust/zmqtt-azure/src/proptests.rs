//! Random input for every parser: each returns a value or a typed error and never panics.

use proptest::prelude::*;

use crate::url_encode::{url_decode, UrlEncoded};
use crate::{
    C2dMessage, DesiredPatch, DpsResponse, Incoming, MethodRequest, PendingRequests, PropertyBag,
    TwinResponse,
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
}
