//! Property-based tests: every valid `Repr` survives emit → decode unchanged, and arbitrary or
//! mutated bytes never make `decode` panic or give a packet that does not re-encode.
//!
//! Strategies build `Packet<'static>` by leaking their strings (`Box::leak`): a few kilobytes
//! per test run, which keeps the generators free of self-referential owned/borrowed pairs.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

use super::properties::{allowed_in, bit, may_repeat, Context};
use super::reason;
use super::*;

fn leak_str(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn string() -> BoxedStrategy<&'static str> {
    "[a-zA-Z0-9 /é€😀_-]{0,10}".prop_map(leak_str).boxed()
}

fn binary() -> BoxedStrategy<&'static [u8]> {
    vec(any::<u8>(), 0..10).prop_map(leak).boxed()
}

fn topic_name() -> BoxedStrategy<&'static str> {
    "[a-z$]{1,3}(/[a-z]{0,3}){0,3}".prop_map(leak_str).boxed()
}

fn topic_filter() -> BoxedStrategy<&'static str> {
    let level = prop_oneof![3 => "[a-z$]{0,3}", 1 => Just("+".to_string())];
    (
        vec(level, 1..4),
        any::<bool>(),
        prop_oneof![4 => Just(""), 1 => Just("$share/g/")],
    )
        .prop_map(|(levels, hash, share)| {
            let mut f = format!("{share}{}", levels.join("/"));
            if hash {
                f.push_str("/#");
            }
            if f.is_empty() || f == share {
                f.push('#');
            }
            leak_str(f)
        })
        .boxed()
}

fn qos() -> BoxedStrategy<QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
    .boxed()
}

fn packet_id() -> BoxedStrategy<PacketId> {
    (1u16..).prop_map(|n| PacketId::new(n).unwrap()).boxed()
}

fn one_of<T: core::fmt::Debug + 'static>(codes: &'static [T]) -> BoxedStrategy<&'static T> {
    proptest::sample::select(codes.iter().collect::<Vec<_>>()).boxed()
}

/// Any property with a valid value, regardless of packet.
fn property() -> BoxedStrategy<Property<'static>> {
    use Property as P;
    Union::new(vec![
        (0u8..=1).prop_map(P::PayloadFormatIndicator).boxed(),
        any::<u32>().prop_map(P::MessageExpiryInterval).boxed(),
        string().prop_map(P::ContentType).boxed(),
        topic_name().prop_map(P::ResponseTopic).boxed(),
        binary().prop_map(P::CorrelationData).boxed(),
        (1u32..=MAX_REMAINING_LENGTH)
            .prop_map(P::SubscriptionIdentifier)
            .boxed(),
        any::<u32>().prop_map(P::SessionExpiryInterval).boxed(),
        string().prop_map(P::AssignedClientIdentifier).boxed(),
        any::<u16>().prop_map(P::ServerKeepAlive).boxed(),
        string().prop_map(P::AuthenticationMethod).boxed(),
        binary().prop_map(P::AuthenticationData).boxed(),
        any::<bool>().prop_map(P::RequestProblemInformation).boxed(),
        any::<u32>().prop_map(P::WillDelayInterval).boxed(),
        any::<bool>()
            .prop_map(P::RequestResponseInformation)
            .boxed(),
        string().prop_map(P::ResponseInformation).boxed(),
        string().prop_map(P::ServerReference).boxed(),
        string().prop_map(P::ReasonString).boxed(),
        (1u16..).prop_map(P::ReceiveMaximum).boxed(),
        any::<u16>().prop_map(P::TopicAliasMaximum).boxed(),
        (1u16..).prop_map(P::TopicAlias).boxed(),
        prop_oneof![Just(QoS::AtMostOnce), Just(QoS::AtLeastOnce)]
            .prop_map(P::MaximumQoS)
            .boxed(),
        any::<bool>().prop_map(P::RetainAvailable).boxed(),
        (string(), string())
            .prop_map(|(k, v)| P::UserProperty(k, v))
            .boxed(),
        (1u32..).prop_map(P::MaximumPacketSize).boxed(),
        any::<bool>()
            .prop_map(P::WildcardSubscriptionAvailable)
            .boxed(),
        any::<bool>()
            .prop_map(P::SubscriptionIdentifierAvailable)
            .boxed(),
        any::<bool>()
            .prop_map(P::SharedSubscriptionAvailable)
            .boxed(),
    ])
    .boxed()
}

/// A valid property set for `ctx` in `version` (always empty for 3.1.1).
fn properties(ctx: Context, version: ProtocolVersion) -> BoxedStrategy<Properties<'static>> {
    if version == ProtocolVersion::V3_1_1 {
        return Just(Properties::EMPTY).boxed();
    }
    vec(property(), 0..24)
        .prop_map(move |candidates| {
            let mut seen = 0u64;
            let mut out: Vec<Property<'static>> = Vec::new();
            for p in candidates {
                let id = p.id();
                let allowed = allowed_in(id) & bit(ctx) != 0;
                let fresh = seen & (1 << id) == 0 || may_repeat(id, ctx);
                if allowed && fresh {
                    seen |= 1 << id;
                    out.push(p);
                }
            }
            // Authentication Data needs a method.
            if seen & (1 << 0x16) != 0 && seen & (1 << 0x15) == 0 {
                out.push(Property::AuthenticationMethod("m"));
            }
            Properties::List(leak(out))
        })
        .boxed()
}

fn connect(v: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    let will = (
        topic_name(),
        binary(),
        qos(),
        any::<bool>(),
        properties(Context::Will, v),
    )
        .prop_map(|(topic, payload, qos, retain, properties)| Will {
            topic: TopicName::new(topic).unwrap(),
            payload,
            qos,
            retain,
            properties,
        });
    (
        string(),
        any::<u16>(),
        any::<bool>(),
        proptest::option::of(string()),
        proptest::option::of(binary()),
        proptest::option::of(will),
        properties(Context::Connect, v),
    )
        .prop_map(
            move |(
                client_id,
                keep_alive,
                clean_start,
                username,
                mut password,
                will,
                properties,
            )| {
                if v == ProtocolVersion::V3_1_1 && username.is_none() {
                    password = None;
                }
                Packet::Connect(ConnectRepr {
                    client_id: MqttStr::new(client_id).unwrap(),
                    keep_alive,
                    clean_start,
                    username: username.map(|u| MqttStr::new(u).unwrap()),
                    password,
                    will,
                    properties,
                })
            },
        )
        .boxed()
}

fn connack(v: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    const V3_CODES: &[u8] = &[0, 1, 2, 3, 4, 5];
    let codes = if v == ProtocolVersion::V5 {
        reason::CONNACK_V5
    } else {
        V3_CODES
    };
    (
        any::<bool>(),
        one_of(codes),
        properties(Context::Connack, v),
    )
        .prop_map(|(sp, &code, properties)| {
            Packet::Connack(ConnackRepr {
                session_present: sp && code == 0,
                code,
                properties,
            })
        })
        .boxed()
}

fn publish(v: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    (
        qos(),
        any::<bool>(),
        any::<bool>(),
        topic_name(),
        any::<bool>(),
        packet_id(),
        properties(Context::Publish, v),
        binary(),
    )
        .prop_map(
            move |(qos, dup, retain, mut topic, alias_only, id, mut properties, payload)| {
                if v == ProtocolVersion::V5 && alias_only {
                    topic = "";
                    if properties.topic_alias().is_none() {
                        let mut list: Vec<_> = properties.iter().collect();
                        list.push(Property::TopicAlias(7));
                        properties = Properties::List(leak(list));
                    }
                }
                let qos0 = qos == QoS::AtMostOnce;
                Packet::Publish(PublishRepr {
                    dup: dup && !qos0,
                    qos,
                    retain,
                    topic: if topic.is_empty() {
                        TopicName::EMPTY
                    } else {
                        TopicName::new(topic).unwrap()
                    },
                    packet_id: if qos0 { None } else { Some(id) },
                    properties,
                    payload,
                })
            },
        )
        .boxed()
}

fn ack(v: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    let kinds = [
        Context::Puback,
        Context::Pubrec,
        Context::Pubrel,
        Context::Pubcomp,
    ];
    Union::new(kinds.map(|ctx| {
        let codes = match (v, ctx) {
            (ProtocolVersion::V3_1_1, _) => &[0u8][..],
            (_, Context::Puback | Context::Pubrec) => reason::PUBACK_V5,
            _ => reason::PUBREL_V5,
        };
        (packet_id(), one_of(codes), properties(ctx, v))
            .prop_map(move |(packet_id, &code, properties)| {
                let r = AckRepr {
                    packet_id,
                    reason: ReasonCode(code),
                    properties,
                };
                match ctx {
                    Context::Puback => Packet::Puback(r),
                    Context::Pubrec => Packet::Pubrec(r),
                    Context::Pubrel => Packet::Pubrel(r),
                    _ => Packet::Pubcomp(r),
                }
            })
            .boxed()
    }))
    .boxed()
}

fn subscribe(v: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    let options =
        (qos(), any::<bool>(), any::<bool>(), 0u8..3).prop_map(move |(qos, nl, rap, rh)| {
            if v == ProtocolVersion::V3_1_1 {
                return SubscriptionOptions::qos(qos);
            }
            let retain_handling = match rh {
                0 => RetainHandling::SendAtSubscribe,
                1 => RetainHandling::SendAtSubscribeIfNew,
                _ => RetainHandling::DoNotSend,
            };
            SubscriptionOptions {
                qos,
                no_local: nl,
                retain_as_published: rap,
                retain_handling,
            }
        });
    let sub = (topic_filter(), options).prop_map(|(filter, mut options)| {
        options.no_local &= !is_shared_subscription(filter);
        Subscription {
            filter: TopicFilter::new(filter).unwrap(),
            options,
        }
    });
    (
        packet_id(),
        vec(sub, 1..5),
        properties(Context::Subscribe, v),
    )
        .prop_map(|(packet_id, subs, properties)| {
            Packet::Subscribe(SubscribeRepr {
                packet_id,
                subscriptions: Subscriptions::List(leak(subs)),
                properties,
            })
        })
        .boxed()
}

fn suback(v: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    let codes = if v == ProtocolVersion::V5 {
        reason::SUBACK_V5
    } else {
        reason::SUBACK_V3
    };
    (
        packet_id(),
        vec(one_of(codes).prop_map(|c| *c), 1..5),
        properties(Context::Suback, v),
    )
        .prop_map(|(packet_id, codes, properties)| {
            Packet::Suback(SubackRepr {
                packet_id,
                reason_codes: leak(codes),
                properties,
            })
        })
        .boxed()
}

fn unsubscribe(v: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    (
        packet_id(),
        vec(topic_filter(), 1..5),
        properties(Context::Unsubscribe, v),
    )
        .prop_map(|(packet_id, filters, properties)| {
            Packet::Unsubscribe(UnsubscribeRepr {
                packet_id,
                filters: TopicFilters::List(leak(
                    filters
                        .into_iter()
                        .map(|f| TopicFilter::new(f).unwrap())
                        .collect(),
                )),
                properties,
            })
        })
        .boxed()
}

fn unsuback(v: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    let n = if v == ProtocolVersion::V5 { 1..5 } else { 0..1 };
    (
        packet_id(),
        vec(one_of(reason::UNSUBACK_V5).prop_map(|c| *c), n),
        properties(Context::Unsuback, v),
    )
        .prop_map(|(packet_id, codes, properties)| {
            Packet::Unsuback(UnsubackRepr {
                packet_id,
                reason_codes: leak(codes),
                properties,
            })
        })
        .boxed()
}

fn disconnect(v: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    let codes = if v == ProtocolVersion::V5 {
        reason::DISCONNECT_V5
    } else {
        &[0u8][..]
    };
    (one_of(codes), properties(Context::Disconnect, v))
        .prop_map(|(&code, properties)| {
            Packet::Disconnect(DisconnectRepr {
                reason: ReasonCode(code),
                properties,
            })
        })
        .boxed()
}

fn auth() -> BoxedStrategy<Packet<'static>> {
    (
        one_of(reason::AUTH_V5),
        properties(Context::Auth, ProtocolVersion::V5),
    )
        .prop_map(|(&code, properties)| {
            Packet::Auth(AuthRepr {
                reason: ReasonCode(code),
                properties,
            })
        })
        .boxed()
}

/// Any valid packet for `v`.
fn packet(v: ProtocolVersion) -> BoxedStrategy<Packet<'static>> {
    let mut all = vec![
        connect(v),
        connack(v),
        publish(v),
        ack(v),
        subscribe(v),
        suback(v),
        unsubscribe(v),
        unsuback(v),
        Just(Packet::Pingreq).boxed(),
        Just(Packet::Pingresp).boxed(),
        disconnect(v),
    ];
    if v == ProtocolVersion::V5 {
        all.push(auth());
    }
    Union::new(all).boxed()
}

fn version() -> BoxedStrategy<ProtocolVersion> {
    prop_oneof![Just(ProtocolVersion::V3_1_1), Just(ProtocolVersion::V5)].boxed()
}

/// If `bytes` decode, the packet must re-encode to something that decodes to the same packet.
fn check_decode_consistent(bytes: &[u8], v: ProtocolVersion) -> Result<(), TestCaseError> {
    if let Ok(Decoded::Packet { packet, len }) = decode(bytes, v, u32::MAX) {
        prop_assert!(len <= bytes.len());
        let mut out = vec![0u8; packet.buffer_len(v)];
        let n = packet.emit(v, &mut out);
        prop_assert_eq!(n, Ok(out.len()), "decoded {:?} does not re-encode", packet);
        let again = decode(&out, v, u32::MAX);
        prop_assert_eq!(
            again,
            Ok(Decoded::Packet {
                packet,
                len: out.len()
            })
        );
    }
    Ok(())
}

/// The matching rules of §4.7 written the slow, obvious way, to check `topic_matches` against.
fn reference_match(filter: &str, name: &str) -> bool {
    let filter = match filter.strip_prefix("$share/") {
        Some(rest) => rest.split_once('/').map_or("", |(_, f)| f),
        None => filter,
    };
    let f: Vec<&str> = filter.split('/').collect();
    let n: Vec<&str> = name.split('/').collect();
    if name.starts_with('$') && (f[0] == "+" || f[0] == "#") {
        return false;
    }
    for (i, level) in f.iter().enumerate() {
        if *level == "#" {
            return true;
        }
        match n.get(i) {
            Some(nl) if *level == "+" || level == nl => {}
            _ => return false,
        }
    }
    f.len() == n.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_valid_v3_packet_roundtrips(p in packet(ProtocolVersion::V3_1_1)) {
        roundtrip(p, ProtocolVersion::V3_1_1)?;
    }

    #[test]
    fn every_valid_v5_packet_roundtrips(p in packet(ProtocolVersion::V5)) {
        roundtrip(p, ProtocolVersion::V5)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_decoded_packets_reencode(v in version(), bytes in vec(any::<u8>(), 0..64)) {
        check_decode_consistent(&bytes, v)?;
    }

    #[test]
    fn mutated_valid_packets_never_panic_and_decoded_packets_reencode(
        v in version(),
        seed in any::<proptest::sample::Index>(),
        edits in vec((any::<proptest::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let (_, _, bytes) = seed.get(ALL_FIXTURES);
        let mut bytes = bytes.to_vec();
        for (at, b) in edits {
            *at.get_mut(&mut bytes) = b;
        }
        check_decode_consistent(&bytes, v)?;
    }

    #[test]
    fn topic_matches_agrees_with_the_reference(filter in topic_filter(), name in topic_name()) {
        prop_assert_eq!(topic_matches(filter, name), reference_match(filter, name));
    }

    #[test]
    fn generated_filters_and_names_are_valid(filter in topic_filter(), name in topic_name()) {
        prop_assert_eq!(validate_topic_filter(filter), Ok(()));
        prop_assert_eq!(validate_topic_name(name), Ok(()));
    }
}

fn roundtrip(p: Packet<'static>, v: ProtocolVersion) -> Result<(), TestCaseError> {
    let len = p.buffer_len(v);
    let mut out = vec![0u8; len];
    prop_assert_eq!(p.emit(v, &mut out), Ok(len));
    prop_assert_eq!(
        decode(&out, v, u32::MAX),
        Ok(Decoded::Packet { packet: p, len })
    );
    // Encoding the decoded (Encoded-view) packet gives the same bytes again.
    let Ok(Decoded::Packet { packet, .. }) = decode(&out, v, u32::MAX) else {
        unreachable!()
    };
    let mut again = vec![0u8; len];
    prop_assert_eq!(packet.emit(v, &mut again), Ok(len));
    prop_assert_eq!(again, out);
    Ok(())
}
