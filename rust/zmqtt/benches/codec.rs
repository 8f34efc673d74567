//! Codec throughput: zmqtt against mqttbytes, encoding and decoding the same packets.
//!
//! Packets: PUBLISH (QoS 1) with 16 B and 1 KiB payloads, CONNECT with a will and credentials,
//! SUBSCRIBE with four filters, each in MQTT 3.1.1 and 5.0. Before measuring, both codecs must
//! produce identical bytes for each packet, so the comparison is like for like.
//!
//! Fairness notes:
//! - Both codecs copy strings and payloads from heap memory: mqttbytes' `Publish::new`,
//!   `Connect::new` etc. copy their arguments into `String`s and `Bytes`, so zmqtt's values
//!   borrow heap copies too (see `heap`). Otherwise zmqtt would copy the 1 KiB payload from the
//!   oddly aligned `static` and mqttbytes from a 16-byte aligned allocation, and the unaligned
//!   loads made zmqtt's `memcpy` alone ~6 ns slower, a difference of the bench, not the codec.
//! - Encoding writes into a reused buffer on both sides (`&mut [u8]` / a cleared `BytesMut`);
//!   the packet values are built once, outside the timed loop. For zmqtt that includes checking
//!   its topic names, filters and client strings (`TopicName::new` etc.), which zmqtt does once
//!   per value rather than per encode; mqttbytes does not check them at all.
//! - mqttbytes decodes from a `BytesMut` it consumes, so each iteration gets a fresh copy of the
//!   bytes from an untimed setup (`iter_batched`). zmqtt decodes from `&[u8]`.
//! - zmqtt keeps SUBSCRIBE filters as a validated view; its decode bench also walks the view so
//!   that both sides end with every filter read.
//!
//! Run: `cargo bench -p zmqtt --bench codec` (or `scripts/bench-codec`, which also rewrites the
//! table in BENCHMARKS.md). `ZMQTT_BENCH_SECS` sets the measurement time per bench (default 2).

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use zmqtt::codec::{
    decode, ConnectRepr, Decoded, MqttStr, Packet, PacketId, Properties, ProtocolVersion,
    PublishRepr, QoS, SubscribeRepr, Subscription, SubscriptionOptions, Subscriptions, TopicFilter,
    TopicName, Will,
};

const TOPIC: &str = "sensors/dl7450/temperature";
const PAYLOAD_16: [u8; 16] = *b"{\"t\":21.5,\"h\":4}";
const PAYLOAD_1K: [u8; 1024] = [0x5a; 1024];
const CLIENT_ID: &str = "dl7450-0001";
const WILL_TOPIC: &str = "devices/dl7450-0001/status";
const WILL_PAYLOAD: &[u8] = b"offline";
const USERNAME: &str = "device";
const PASSWORD: &str = "secret-password";
const FILTERS: [(&str, QoS); 4] = [
    ("devices/+/status", QoS::AtLeastOnce),
    ("devices/dl7450-0001/cmd/#", QoS::ExactlyOnce),
    ("$SYS/broker/uptime", QoS::AtMostOnce),
    ("sensors/+/temperature", QoS::AtLeastOnce),
];

fn mb_qos(q: QoS) -> mqttbytes::QoS {
    match q {
        QoS::AtMostOnce => mqttbytes::QoS::AtMostOnce,
        QoS::AtLeastOnce => mqttbytes::QoS::AtLeastOnce,
        QoS::ExactlyOnce => mqttbytes::QoS::ExactlyOnce,
    }
}

/// One packet in both codecs' representations.
struct Case {
    name: &'static str,
    zmqtt: Packet<'static>,
    mb_v4: mqttbytes::v4::Packet,
    mb_v5: mqttbytes::v5::Packet,
}

/// A heap copy of `v` that lives for the rest of the run; see the module doc for why.
fn heap<T: ?Sized + ToOwned>(v: &T) -> &'static T
where
    T::Owned: Into<Box<T>>,
{
    Box::leak(v.to_owned().into())
}

fn publish(name: &'static str, payload: &'static [u8]) -> Case {
    let zmqtt = Packet::Publish(PublishRepr {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: TopicName::new(heap(TOPIC)).unwrap(),
        packet_id: PacketId::new(42),
        properties: Properties::EMPTY,
        payload: heap(payload),
    });
    let mut v4 = mqttbytes::v4::Publish::new(TOPIC, mqttbytes::QoS::AtLeastOnce, payload);
    v4.pkid = 42;
    let mut v5 = mqttbytes::v5::Publish::new(TOPIC, mqttbytes::QoS::AtLeastOnce, payload);
    v5.pkid = 42;
    Case {
        name,
        zmqtt,
        mb_v4: mqttbytes::v4::Packet::Publish(v4),
        mb_v5: mqttbytes::v5::Packet::Publish(v5),
    }
}

fn connect() -> Case {
    let zmqtt = Packet::Connect(ConnectRepr {
        client_id: MqttStr::new(heap(CLIENT_ID)).unwrap(),
        keep_alive: 60,
        clean_start: true,
        username: Some(MqttStr::new(heap(USERNAME)).unwrap()),
        password: Some(heap(PASSWORD.as_bytes())),
        will: Some(Will {
            topic: TopicName::new(heap(WILL_TOPIC)).unwrap(),
            payload: heap(WILL_PAYLOAD),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: Properties::EMPTY,
        }),
        properties: Properties::EMPTY,
    });
    let mut v4 = mqttbytes::v4::Connect::new(CLIENT_ID);
    v4.keep_alive = 60;
    v4.set_login(USERNAME, PASSWORD);
    v4.last_will = Some(mqttbytes::v4::LastWill::new(
        WILL_TOPIC,
        WILL_PAYLOAD,
        mqttbytes::QoS::AtLeastOnce,
        true,
    ));
    let mut v5 = mqttbytes::v5::Connect::new(CLIENT_ID);
    v5.keep_alive = 60;
    v5.set_login(USERNAME, PASSWORD);
    v5.last_will = Some(mqttbytes::v5::LastWill::new(
        WILL_TOPIC,
        WILL_PAYLOAD,
        mqttbytes::QoS::AtLeastOnce,
        true,
    ));
    Case {
        name: "connect_will_credentials",
        zmqtt,
        mb_v4: mqttbytes::v4::Packet::Connect(v4),
        mb_v5: mqttbytes::v5::Packet::Connect(v5),
    }
}

fn subscribe() -> Case {
    let subs: &'static [Subscription<'static>] = FILTERS
        .iter()
        .map(|&(f, q)| Subscription {
            filter: TopicFilter::new(heap(f)).unwrap(),
            options: SubscriptionOptions::qos(q),
        })
        .collect::<Vec<_>>()
        .leak();
    let zmqtt = Packet::Subscribe(SubscribeRepr {
        packet_id: PacketId::new(7).unwrap(),
        subscriptions: Subscriptions::List(subs),
        properties: Properties::EMPTY,
    });
    let mut v4 = mqttbytes::v4::Subscribe::new_many(
        FILTERS
            .iter()
            .map(|(f, q)| mqttbytes::v4::SubscribeFilter::new(f.to_string(), mb_qos(*q))),
    );
    v4.pkid = 7;
    let mut v5 = mqttbytes::v5::Subscribe::new_many(
        FILTERS
            .iter()
            .map(|(f, q)| mqttbytes::v5::SubscribeFilter::new(f.to_string(), mb_qos(*q))),
    );
    v5.pkid = 7;
    Case {
        name: "subscribe_4_filters",
        zmqtt,
        mb_v4: mqttbytes::v4::Packet::Subscribe(v4),
        mb_v5: mqttbytes::v5::Packet::Subscribe(v5),
    }
}

fn mb_v4_write(p: &mqttbytes::v4::Packet, buf: &mut BytesMut) -> usize {
    use mqttbytes::v4::Packet as P;
    match p {
        P::Publish(p) => p.write(buf),
        P::Connect(p) => p.write(buf),
        P::Subscribe(p) => p.write(buf),
        _ => unreachable!(),
    }
    .expect("mqttbytes v4 write")
}

fn mb_v5_write(p: &mqttbytes::v5::Packet, buf: &mut BytesMut) -> usize {
    use mqttbytes::v5::Packet as P;
    match p {
        P::Publish(p) => p.write(buf),
        P::Connect(p) => p.write(buf),
        P::Subscribe(p) => p.write(buf),
        _ => unreachable!(),
    }
    .expect("mqttbytes v5 write")
}

/// Reads everything a user of the packet would read, so that lazily-parsed views pay their cost.
fn consume(p: &Packet<'_>) -> usize {
    match p {
        Packet::Subscribe(s) => s
            .subscriptions
            .iter()
            .map(|s| s.filter.len() + s.options.qos as usize)
            .sum(),
        Packet::Publish(p) => p.topic.len() + p.payload.len(),
        Packet::Connect(c) => c.client_id.len() + c.will.map_or(0, |w| w.topic.len()),
        _ => 0,
    }
}

fn bench_version(c: &mut Criterion, version: ProtocolVersion) {
    let tag = match version {
        ProtocolVersion::V3_1_1 => "v3.1.1",
        ProtocolVersion::V5 => "v5",
    };
    let cases = [
        publish("publish_16B", &PAYLOAD_16),
        publish("publish_1KiB", &PAYLOAD_1K),
        connect(),
        subscribe(),
    ];
    for case in &cases {
        let mut ours = vec![0u8; 2048];
        let n = case.zmqtt.emit(version, &mut ours).expect("zmqtt emit");
        ours.truncate(n);
        let mut theirs = BytesMut::with_capacity(2048);
        match version {
            ProtocolVersion::V3_1_1 => mb_v4_write(&case.mb_v4, &mut theirs),
            ProtocolVersion::V5 => mb_v5_write(&case.mb_v5, &mut theirs),
        };
        assert_eq!(
            ours,
            &theirs[..],
            "{tag} {}: the two codecs encode different bytes",
            case.name
        );

        let mut g = c.benchmark_group(format!("{tag}/{}", case.name));
        g.throughput(criterion::Throughput::Bytes(n as u64));

        let mut buf = [0u8; 2048];
        g.bench_function("zmqtt_encode", |b| {
            b.iter(|| {
                black_box(&case.zmqtt)
                    .emit(version, black_box(&mut buf))
                    .unwrap()
            })
        });
        let mut bm = BytesMut::with_capacity(2048);
        g.bench_function("mqttbytes_encode", |b| {
            b.iter(|| {
                bm.clear();
                match version {
                    ProtocolVersion::V3_1_1 => mb_v4_write(black_box(&case.mb_v4), &mut bm),
                    ProtocolVersion::V5 => mb_v5_write(black_box(&case.mb_v5), &mut bm),
                }
            })
        });

        g.bench_function("zmqtt_decode", |b| {
            b.iter(|| match decode(black_box(&ours), version, u32::MAX) {
                Ok(Decoded::Packet { packet, len }) => consume(&packet) + len,
                other => panic!("{other:?}"),
            })
        });
        g.bench_function("mqttbytes_decode", |b| {
            b.iter_batched(
                || BytesMut::from(&ours[..]),
                |mut input| match version {
                    ProtocolVersion::V3_1_1 => drop(black_box(
                        mqttbytes::v4::read(&mut input, usize::MAX).unwrap(),
                    )),
                    ProtocolVersion::V5 => drop(black_box(
                        mqttbytes::v5::read(&mut input, usize::MAX).unwrap(),
                    )),
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

fn codec(c: &mut Criterion) {
    bench_version(c, ProtocolVersion::V3_1_1);
    bench_version(c, ProtocolVersion::V5);
}

fn config() -> Criterion {
    let secs = std::env::var("ZMQTT_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    Criterion::default()
        .measurement_time(Duration::from_secs_f64(secs))
        .warm_up_time(Duration::from_millis(500))
        .without_plots()
}

criterion_group! { name = benches; config = config(); targets = codec }
criterion_main!(benches);
