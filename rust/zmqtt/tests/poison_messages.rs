//! Messages a real mosquitto answers by closing the connection ("poison messages"): the client
//! must neither send them again and again after every reconnect nor let them block the messages
//! behind them (issue #16, item 2).
//!
//! Two kinds: strings with characters MQTT 3.1.1 §1.5.3 lets a receiver treat as malformed, which
//! the client now refuses up front (-23), and packets the broker refuses for reasons the client
//! cannot know beforehand (here: over mosquitto's `max_packet_size`), which the engine gives up
//! on after `STRIKES_TO_FAIL` closes in a row (-25).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration as StdDuration;

use common::*;
use zmqtt::client::{Config, Failure, Publish, SubscribeError, STRIKES_TO_FAIL};
use zmqtt::client::{DisconnectReason, PublishError};
use zmqtt::codec::{ProtocolVersion, QoS, Subscription, SubscriptionOptions, TopicFilter};
use zmqtt::{Duration, MqttError};

fn config(id: &str) -> Config<'static> {
    Config::new(leak(id.to_string()))
        .protocol(ProtocolVersion::V3_1_1)
        .keep_alive(30)
        .reconnect_delays(Duration::from_millis(20), Duration::from_millis(200))
}

/// A raw MQTT 3.1.1 CONNECT (clean session, keep alive 30), written from the spec (§3.1) rather
/// than with the codec under test.
fn raw_connect(client_id: &str) -> Vec<u8> {
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 30];
    body.extend_from_slice(&(client_id.len() as u16).to_be_bytes());
    body.extend_from_slice(client_id.as_bytes());
    let mut p = vec![0x10, body.len() as u8];
    p.extend(body);
    p
}

/// A raw QoS 0 PUBLISH (§3.3) with any topic bytes.
fn raw_publish(topic: &[u8], payload: &[u8]) -> Vec<u8> {
    let len = 2 + topic.len() + payload.len();
    let mut p = vec![0x30, len as u8];
    p.extend_from_slice(&(topic.len() as u16).to_be_bytes());
    p.extend_from_slice(topic);
    p.extend_from_slice(payload);
    p
}

/// Whether mosquitto closes a raw connection after a PUBLISH on `topic` (then a PINGREQ, whose
/// PINGRESP shows that a connection it kept is alive).
fn broker_drops_link_for_topic(broker: &Mosquitto, topic: &str) -> bool {
    let mut s = TcpStream::connect(broker.addr()).unwrap();
    s.set_read_timeout(Some(StdDuration::from_secs(3))).unwrap();
    s.write_all(&raw_connect(&unique("raw"))).unwrap();
    let mut connack = [0u8; 4];
    s.read_exact(&mut connack).unwrap();
    assert_eq!(connack, [0x20, 2, 0, 0], "CONNACK accepted");
    s.write_all(&raw_publish(topic.as_bytes(), b"x")).unwrap();
    let _ = s.write_all(&[0xc0, 0]);
    let mut buf = [0u8; 2];
    match s.read(&mut buf) {
        Ok(0) | Err(_) => true,
        Ok(_) => {
            assert_eq!(buf, [0xd0, 0], "PINGRESP");
            false
        }
    }
}

const POISON: [&str; 4] = ["a/b\u{1}", "a/\u{7f}", "x/\u{ffff}", "x/\u{fdd0}"];

#[test]
fn strings_mosquitto_finds_malformed_are_refused_and_later_messages_are_delivered() {
    let broker = Mosquitto::start(false);
    // The broker's side, checked independently of the client: each of these topics costs the
    // connection, while an ordinary one does not.
    assert!(!broker_drops_link_for_topic(&broker, "a/b"));
    for topic in POISON {
        assert!(
            broker_drops_link_for_topic(&broker, topic),
            "mosquitto kept the link after {topic:?}"
        );
    }

    let mut d = driver(config(&unique("poison")), broker.addr());
    let mut rec = Recorder::default();
    let now = d.now();
    d.client().connect(now);
    run_until(&mut d, &mut rec, 10, |r| r.connects() == vec![(0, false)]);
    let topic = leak(unique("poison/ok"));
    let sub = [Subscription {
        filter: TopicFilter::new(topic).unwrap(),
        options: SubscriptionOptions::qos(QoS::AtLeastOnce),
    }];
    let now = d.now();
    d.client().subscribe(now, &sub).unwrap();
    for poison in POISON {
        let now = d.now();
        let refused = d
            .client()
            .publish(now, &Publish::new(poison, b"x", QoS::AtLeastOnce));
        assert_eq!(refused, Err(PublishError::ForbiddenCharacter));
        assert_eq!(MqttError::from(refused.unwrap_err()).code(), -23);
        let filter = [Subscription {
            filter: TopicFilter::new(poison).unwrap(),
            options: SubscriptionOptions::qos(QoS::AtMostOnce),
        }];
        assert_eq!(
            d.client().subscribe(now, &filter),
            Err(SubscribeError::ForbiddenCharacter)
        );
        assert_eq!(
            d.client().unsubscribe(now, &[poison]),
            Err(SubscribeError::ForbiddenCharacter)
        );
    }
    let now = d.now();
    let mid = d
        .client()
        .publish(now, &Publish::new(topic, b"after", QoS::AtLeastOnce))
        .unwrap();
    run_until(&mut d, &mut rec, 10, |r| {
        r.published().contains(&mid.get()) && !r.messages().is_empty()
    });
    assert_eq!(
        rec.messages(),
        vec![(topic.to_string(), b"after".to_vec(), QoS::AtLeastOnce)]
    );
    assert!(rec.disconnects().is_empty(), "{:?}", rec.disconnects());
}

#[test]
fn a_message_the_broker_closes_the_link_over_is_given_up_and_the_next_one_is_delivered() {
    // mosquitto.conf(5): "If a client sends a packet which is larger than this value, it will be
    // disconnected. This applies to all clients regardless of the protocol version".
    let broker = Mosquitto::start_with(false, "max_packet_size 200\n");
    let mut d = driver(config(&unique("toobig")), broker.addr());
    let mut rec = Recorder::default();
    let now = d.now();
    d.client().connect(now);
    run_until(&mut d, &mut rec, 10, |r| r.connects() == vec![(0, false)]);
    let topic = leak(unique("toobig/t"));
    let now = d.now();
    let big = d
        .client()
        .publish(now, &Publish::new(topic, &[b'x'; 300], QoS::AtLeastOnce))
        .unwrap();
    let small = d
        .client()
        .publish(now, &Publish::new(topic, b"fits", QoS::AtLeastOnce))
        .unwrap();
    run_until(&mut d, &mut rec, 20, |r| {
        r.published().contains(&small.get())
    });
    let failed: Vec<_> = rec
        .seen
        .iter()
        .filter_map(|s| match s {
            Seen::PublishFailed(mid, reason) => Some((*mid, *reason)),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![(big.get(), Failure::BrokerDroppedLink)]);
    assert_eq!(Failure::BrokerDroppedLink.code(), -25);
    let closes = rec
        .disconnects()
        .into_iter()
        .filter(|r| *r == DisconnectReason::TransportClosed)
        .count();
    println!("poison message: given up after {closes} broker closes; the next message delivered");
    assert_eq!(closes, usize::from(STRIKES_TO_FAIL));
    assert_eq!(rec.published(), vec![small.get()]);
}
