//! Interoperability with a second, independent broker implementation: rumqttd (Rust, from
//! crates.io), run in-process on a free port of 127.0.0.1, with MQTT 3.1.1 and 5.0 listeners.

mod common;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use common::*;
use rumqttd::{Broker, ConnectionSettings, RouterConfig, ServerSettings};
use zmqtt::client::{Config, DisconnectReason, Publish};
use zmqtt::codec::{ProtocolVersion, QoS, Subscription, SubscriptionOptions, TopicFilter};

/// Starts rumqttd with a 3.1.1 and a 5.0 listener; returns their addresses.
fn start_rumqttd() -> (SocketAddr, SocketAddr) {
    let (p4, p5) = (free_port(), free_port());
    let settings = |name: &str, port: u16| ServerSettings {
        name: name.to_string(),
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 5000,
            max_payload_size: 20480,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = rumqttd::Config {
        id: 0,
        router: RouterConfig {
            max_connections: 100,
            max_outgoing_packet_count: 200,
            max_segment_size: 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some(HashMap::from([("1".to_string(), settings("v4", p4))])),
        v5: Some(HashMap::from([("1".to_string(), settings("v5", p5))])),
        ..Default::default()
    };
    thread::spawn(move || {
        let mut broker = Broker::new(config);
        broker.start().expect("rumqttd runs");
    });
    let deadline = StdInstant::now() + StdDuration::from_secs(10);
    for port in [p4, p5] {
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                StdInstant::now() < deadline,
                "rumqttd did not open port {port}"
            );
            thread::sleep(StdDuration::from_millis(10));
        }
    }
    (
        SocketAddr::from(([127, 0, 0, 1], p4)),
        SocketAddr::from(([127, 0, 0, 1], p5)),
    )
}

fn config(id: &str, v: ProtocolVersion) -> Config<'static> {
    let mut c = Config::new(leak(id.to_string()))
        .protocol(v)
        .keep_alive(10)
        .max_packet(4096, 4096)
        .clean_session(true);
    // rumqttd 0.20 gives every topic it sends the same Topic Alias 1 and later sends only the
    // alias for a topic it never mapped (seen in a packet trace), so the messages would arrive
    // under the wrong topic. Announcing a Topic Alias Maximum of 0 keeps it from using aliases;
    // our outgoing aliases stay on, and rumqttd resolves those correctly (the topics below prove it).
    c.topic_alias_maximum = 0;
    c
}

#[test]
fn qos_0_1_2_round_trip_through_rumqttd_with_both_protocol_versions() {
    let (v4, v5) = start_rumqttd();
    for (v, addr) in [(ProtocolVersion::V3_1_1, v4), (ProtocolVersion::V5, v5)] {
        let topic = unique("rumq");
        let mut d = driver(config(&unique("rumq"), v), addr);
        let mut rec = Recorder::default();
        let now = d.now();
        d.client().connect(now);
        run_until(&mut d, &mut rec, 5, |r| !r.connects().is_empty());
        assert_eq!(rec.connects()[0].0, 0, "{v:?}: accepted");
        let filter = format!("{topic}/#");
        let now = d.now();
        let sub = [Subscription {
            filter: TopicFilter::new(&filter).unwrap(),
            options: SubscriptionOptions::qos(QoS::ExactlyOnce),
        }];
        let mid = d.client().subscribe(now, &sub).unwrap().get();
        run_until(&mut d, &mut rec, 5, |r| {
            r.seen
                .iter()
                .any(|s| matches!(s, Seen::Subscribe(m, _) if *m == mid))
        });
        let qoses = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];
        for round in 0..10u8 {
            for (i, qos) in qoses.into_iter().enumerate() {
                let t = format!("{topic}/{i}");
                let now = d.now();
                d.client()
                    .publish(now, &Publish::new(&t, &[round, i as u8], qos))
                    .unwrap();
            }
            d.step(&mut rec);
        }
        run_until(&mut d, &mut rec, 10, |r| {
            r.messages().len() == 30 && r.published().len() == 30
        });
        for (i, qos) in qoses.into_iter().enumerate() {
            let got: Vec<u8> = rec
                .messages()
                .into_iter()
                .filter(|m| m.0 == format!("{topic}/{i}"))
                .map(|m| m.1[0])
                .collect();
            assert_eq!(
                got,
                (0..10).collect::<Vec<u8>>(),
                "{v:?} {qos:?}: each once, in order"
            );
        }
        let now = d.now();
        d.client().disconnect(now);
        run_until(&mut d, &mut rec, 5, |r| {
            r.disconnects().contains(&DisconnectReason::Local)
        });
        if v == ProtocolVersion::V5 {
            assert!(
                d.client().broker_limits().topic_alias_maximum > 0,
                "rumqttd took our outgoing aliases"
            );
        }
        println!("{v:?}: 30 messages at QoS 0/1/2 through rumqttd");
    }
}

#[test]
fn the_client_reconnects_to_rumqttd_after_the_link_drops() {
    let (v4, _) = start_rumqttd();
    let (proxy, cutter) = FaultProxy::start(v4, 7, u64::MAX / 4, u64::MAX / 2);
    let cfg = config(&unique("rumq-cut"), ProtocolVersion::V3_1_1).reconnect_delays(
        zmqtt::Duration::from_millis(10),
        zmqtt::Duration::from_millis(50),
    );
    let mut d = driver(cfg, proxy.addr());
    let mut rec = Recorder::default();
    let now = d.now();
    d.client().connect(now);
    run_until(&mut d, &mut rec, 5, |r| !r.connects().is_empty());
    let topic = unique("rumq-cut");
    let now = d.now();
    let sub = [Subscription {
        filter: TopicFilter::new(&topic).unwrap(),
        options: SubscriptionOptions::qos(QoS::AtLeastOnce),
    }];
    d.client().subscribe(now, &sub).unwrap();
    run_until(&mut d, &mut rec, 5, |r| {
        r.seen.iter().any(|s| matches!(s, Seen::Subscribe(..)))
    });
    cutter.cut_all();
    run_until(&mut d, &mut rec, 5, |r| r.connects().len() == 2);
    // Clean session: the broker forgot the subscription, and the client restored it.
    let now = d.now();
    d.client()
        .publish(now, &Publish::new(&topic, b"after", QoS::AtLeastOnce))
        .unwrap();
    run_until(&mut d, &mut rec, 5, |r| !r.messages().is_empty());
    assert_eq!(rec.messages()[0].1, b"after");
}
