//! The client, through the blocking driver over std TCP, against a real mosquitto that each test
//! starts on a free port (127.0.0.1 only). Unique client ids and topics per test.

mod common;

use common::*;
use zmqtt::client::{Config, DisconnectReason, Publish};
use zmqtt::codec::{
    Properties, ProtocolVersion, QoS, Subscription, SubscriptionOptions, TopicFilter, TopicName,
    Will,
};

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V3_1_1, ProtocolVersion::V5];

fn config(id: &str, v: ProtocolVersion) -> Config<'static> {
    Config::new(leak(id.to_string()))
        .protocol(v)
        .keep_alive(10)
        .max_packet(4096, 4096)
}

fn connect(d: &mut TestDriver, rec: &mut Recorder) {
    let now = d.now();
    d.client().connect(now);
    run_until(d, rec, 5, |r| !r.connects().is_empty());
    assert_eq!(rec.connects()[0].0, 0, "connection refused: {:?}", rec.seen);
}

fn subscribe(d: &mut TestDriver, rec: &mut Recorder, filter: &str, qos: QoS) {
    let now = d.now();
    let sub = [Subscription {
        filter: TopicFilter::new(filter).unwrap(),
        options: SubscriptionOptions::qos(qos),
    }];
    let mid = d.client().subscribe(now, &sub).unwrap().get();
    run_until(d, rec, 5, |r| {
        r.seen
            .iter()
            .any(|s| matches!(s, Seen::Subscribe(m, _) if *m == mid))
    });
}

#[test]
fn qos_0_1_2_round_trip_through_mosquitto() {
    let broker = Mosquitto::start(false);
    for v in VERSIONS {
        let topic = unique("rt");
        let mut d = driver(config(&unique("rt"), v), broker.addr());
        let mut rec = Recorder::default();
        connect(&mut d, &mut rec);
        subscribe(&mut d, &mut rec, &format!("{topic}/#"), QoS::ExactlyOnce);
        let mut mids = Vec::new();
        for (i, qos) in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
            .into_iter()
            .enumerate()
        {
            let t = format!("{topic}/{i}");
            let payload = format!("payload {i}");
            let now = d.now();
            mids.push(
                d.client()
                    .publish(now, &Publish::new(&t, payload.as_bytes(), qos))
                    .unwrap()
                    .get(),
            );
        }
        run_until(&mut d, &mut rec, 5, |r| {
            r.messages().len() == 3 && r.published().len() == 3
        });
        let got = rec.messages();
        for (i, qos) in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
            .into_iter()
            .enumerate()
        {
            assert!(
                got.contains(&(
                    format!("{topic}/{i}"),
                    format!("payload {i}").into_bytes(),
                    qos
                )),
                "{v:?}: {got:?}"
            );
        }
        let mut published = rec.published();
        published.sort();
        mids.sort();
        assert_eq!(published, mids);
        let now = d.now();
        d.client().disconnect(now);
        run_until(&mut d, &mut rec, 5, |r| {
            r.disconnects().contains(&DisconnectReason::Local)
        });
    }
}

#[test]
fn persistent_session_keeps_subscriptions_and_queued_messages_across_reconnects() {
    let broker = Mosquitto::start(false);
    for v in VERSIONS {
        let topic = unique("persist");
        let id = unique("sub");
        let mut sub = driver(config(&id, v), broker.addr());
        let mut rec = Recorder::default();
        connect(&mut sub, &mut rec);
        subscribe(&mut sub, &mut rec, &topic, QoS::AtLeastOnce);
        let now = sub.now();
        sub.client().disconnect(now);
        run_until(&mut sub, &mut rec, 5, |r| {
            r.disconnects().contains(&DisconnectReason::Local)
        });

        let mut publisher = driver(config(&unique("pub"), v), broker.addr());
        let mut prec = Recorder::default();
        connect(&mut publisher, &mut prec);
        let now = publisher.now();
        publisher
            .client()
            .publish(
                now,
                &Publish::new(&topic, b"while you were away", QoS::AtLeastOnce),
            )
            .unwrap();
        run_until(&mut publisher, &mut prec, 5, |r| r.published().len() == 1);

        let now = sub.now();
        sub.client().connect(now);
        run_until(&mut sub, &mut rec, 5, |r| !r.messages().is_empty());
        assert_eq!(
            rec.connects().last(),
            Some(&(0, true)),
            "{v:?}: broker kept the session"
        );
        assert_eq!(
            rec.messages(),
            vec![(
                topic.clone(),
                b"while you were away".to_vec(),
                QoS::AtLeastOnce
            )]
        );
    }
}

#[test]
fn messages_published_while_the_broker_is_down_are_delivered_after_it_returns() {
    let mut broker = Mosquitto::start(true);
    let topic = unique("offline");
    let mut d = driver(
        config(&unique("offline"), ProtocolVersion::V3_1_1).reconnect_delays(
            zmqtt::Duration::from_millis(20),
            zmqtt::Duration::from_millis(100),
        ),
        broker.addr(),
    );
    let mut rec = Recorder::default();
    connect(&mut d, &mut rec);
    subscribe(&mut d, &mut rec, &topic, QoS::ExactlyOnce);
    broker.stop();
    run_until(&mut d, &mut rec, 5, |r| !r.disconnects().is_empty());
    for i in 0..5u8 {
        let now = d.now();
        d.client()
            .publish(now, &Publish::new(&topic, &[i], QoS::ExactlyOnce))
            .unwrap();
    }
    assert_eq!(d.client().queued_len(), 5);
    broker.restart();
    run_until(&mut d, &mut rec, 10, |r| {
        r.messages().len() == 5 && r.published().len() == 5
    });
    let payloads: Vec<Vec<u8>> = rec.messages().into_iter().map(|m| m.1).collect();
    assert_eq!(
        payloads,
        (0..5u8).map(|i| vec![i]).collect::<Vec<_>>(),
        "in order, once each"
    );
}

#[test]
fn will_is_published_when_the_link_dies_without_disconnect() {
    let broker = Mosquitto::start(false);
    for v in VERSIONS {
        let will_topic = leak(unique("will"));
        let mut watcher = driver(config(&unique("watch"), v), broker.addr());
        let mut wrec = Recorder::default();
        connect(&mut watcher, &mut wrec);
        subscribe(&mut watcher, &mut wrec, will_topic, QoS::AtLeastOnce);

        let will = Will {
            topic: TopicName::new(will_topic).unwrap(),
            payload: b"device lost",
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Properties::EMPTY,
        };
        let mut dev = driver(config(&unique("dev"), v).will(will), broker.addr());
        let mut drec = Recorder::default();
        connect(&mut dev, &mut drec);
        drop(dev); // the socket closes without DISCONNECT
        run_until(&mut watcher, &mut wrec, 5, |r| !r.messages().is_empty());
        assert_eq!(wrec.messages()[0].1, b"device lost");
    }
}

#[test]
fn not_authorised_is_not_retried() {
    // A broker of its own that refuses anonymous clients.
    let port = free_port();
    let dir = std::env::temp_dir().join(unique("zmqtt-noanon"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("m.conf"),
        format!("listener {port} 127.0.0.1\nallow_anonymous false\n"),
    )
    .unwrap();
    let mut child = std::process::Command::new(MOSQUITTO)
        .arg("-c")
        .arg(dir.join("m.conf"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    for (v, code) in [(ProtocolVersion::V3_1_1, 5), (ProtocolVersion::V5, 0x87)] {
        let mut d = driver(
            config(&unique("anon"), v),
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        );
        let mut rec = Recorder::default();
        let now = d.now();
        d.client().connect(now);
        run_until(&mut d, &mut rec, 5, |r| !r.disconnects().is_empty());
        assert_eq!(rec.connects(), vec![(code, false)]);
        assert!(rec
            .seen
            .contains(&Seen::Disconnect(DisconnectReason::Refused(code), None)));
        run_for(&mut d, &mut rec, 300);
        assert_eq!(d.connector().attempts, 1, "no retry after not authorised");
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn v5_topic_aliases_assigned_client_id_and_receive_maximum_work_with_mosquitto() {
    let broker = Mosquitto::start(false);
    let topic = leak(unique("alias/long/topic/name"));
    // Empty client id: mosquitto assigns one, which the client keeps for its reconnects.
    let mut d = driver(
        Config::new("")
            .protocol(ProtocolVersion::V5)
            .keep_alive(10)
            .max_packet(4096, 4096),
        broker.addr(),
    );
    let mut rec = Recorder::default();
    connect(&mut d, &mut rec);
    let assigned = d.client().client_id().to_string();
    assert!(!assigned.is_empty(), "mosquitto assigned a client id");
    subscribe(&mut d, &mut rec, topic, QoS::AtLeastOnce);
    assert!(
        d.client().broker_limits().topic_alias_maximum > 0,
        "mosquitto offers topic aliases"
    );
    for i in 0..50u8 {
        let now = d.now();
        loop {
            let published = d
                .client()
                .publish(now, &Publish::new(topic, &[i], QoS::AtLeastOnce));
            match published {
                Ok(_) => break,
                Err(_) => d.step(&mut rec),
            }
        }
    }
    run_until(&mut d, &mut rec, 10, |r| {
        r.messages().len() == 50 && r.published().len() == 50
    });
    assert!(rec.messages().iter().all(|m| m.0 == topic));
    assert_eq!(
        rec.messages().iter().map(|m| m.1[0]).collect::<Vec<_>>(),
        (0..50).collect::<Vec<u8>>()
    );
}

/// MQTT 5.0 publish properties as another implementation sees them: mosquitto forwards them
/// and `mosquitto_sub -V 5 -F` prints them. (That a resend carries them, from the store, is
/// the engine test `publish_properties_reach_the_wire_and_every_resend`.)
#[test]
fn v5_publish_properties_reach_a_mosquitto_sub_subscriber() {
    use zmqtt::codec::Property;
    let broker = Mosquitto::start_with(false, "log_type subscribe");
    let topic = leak(unique("props/t"));
    let sub_id = unique("props-sub");
    let format = "E=%E C=%C F=%F R=%R D=%D P=%P p=%p q=%q";
    let sub = std::process::Command::new("mosquitto_sub")
        .args(["-V", "5", "-p", &broker.port.to_string(), "-h", "127.0.0.1"])
        .args([
            "-i", &sub_id, "-q", "1", "-t", topic, "-C", "1", "-W", "20", "-F", format,
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("mosquitto_sub (mosquitto-clients) is installed");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !broker.log().contains(&format!("{sub_id} 1 {topic}")) {
        assert!(std::time::Instant::now() < deadline, "{}", broker.log());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut d = driver(
        config(&unique("props-pub"), ProtocolVersion::V5),
        broker.addr(),
    );
    let mut rec = Recorder::default();
    connect(&mut d, &mut rec);
    let props = [
        Property::MessageExpiryInterval(3600),
        Property::ContentType("application/json"),
        Property::PayloadFormatIndicator(1),
        Property::ResponseTopic("dock-1/replies"),
        Property::CorrelationData(b"req-42"),
        Property::UserProperty("site", "lab"),
        Property::UserProperty("unit", "\u{b0}C"),
    ];
    let message = Publish {
        properties: Properties::List(&props),
        ..Publish::new(topic, b"{\"t\":21.5}", QoS::AtLeastOnce)
    };
    let now = d.now();
    let mid = d.client().publish(now, &message).unwrap();
    run_until(&mut d, &mut rec, 10, |r| r.published() == [mid.get()]);
    let out = sub.wait_with_output().unwrap();
    let line = String::from_utf8_lossy(&out.stdout);
    // The broker may count down a second of the expiry on the way.
    let expected = |e| {
        format!(
            "E={e} C=application/json F=1 R=dock-1/replies D=req-42 P=site:lab unit:\u{b0}C \
             p={{\"t\":21.5}} q=1"
        )
    };
    assert!(
        line.trim() == expected(3600) || line.trim() == expected(3599),
        "mosquitto_sub printed {line:?}"
    );
}
