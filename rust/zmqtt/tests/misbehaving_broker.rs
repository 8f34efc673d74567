//! A fake broker on a real socket that answers each connection with a different kind of bad
//! input: malformed, oversized and out-of-order packets. Each must give a typed
//! `DisconnectReason::Protocol` and a reconnect — never a panic, never a hang — and the client
//! must still connect to the broker when it finally behaves.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration as StdDuration;

use common::*;
use zmqtt::client::{Config, DisconnectReason, ProtocolError, Publish};
use zmqtt::codec::{
    self, AckRepr, ConnackRepr, DecodeError, Decoded, Packet, Properties, Property,
    ProtocolVersion, PublishRepr, QoS, TopicError, TopicName,
};
use zmqtt::Duration;

fn encode(p: Packet<'_>, v: ProtocolVersion) -> Vec<u8> {
    let mut buf = vec![0u8; p.buffer_len(v)];
    p.emit(v, &mut buf).unwrap();
    buf
}

fn connack(v: ProtocolVersion) -> Vec<u8> {
    encode(
        Packet::Connack(ConnackRepr {
            session_present: false,
            code: 0,
            properties: Properties::EMPTY,
        }),
        v,
    )
}

/// Reads from `s` until a whole packet the client sent is decoded; returns its kind and id.
fn read_packet(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    v: ProtocolVersion,
) -> Option<(String, Option<u16>)> {
    loop {
        if let Ok(Decoded::Packet { packet, len }) = codec::decode(buf, v, u32::MAX) {
            let summary = match &packet {
                Packet::Connect(_) => ("CONNECT".to_string(), None),
                Packet::Publish(p) => ("PUBLISH".to_string(), p.packet_id.map(|i| i.get())),
                other => (format!("{other:?}"), None),
            };
            buf.drain(..len);
            return Some(summary);
        }
        let mut chunk = [0u8; 1024];
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// One misbehaviour: what the broker does after reading CONNECT, and the error it must cause.
struct Case {
    name: &'static str,
    act: fn(&mut TcpStream, &mut Vec<u8>, ProtocolVersion),
    expect: fn(ProtocolError) -> bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "CONNACK with reserved flag bits",
            act: |s, _, _| s.write_all(&[0x21, 0x02, 0x00, 0x00]).unwrap(),
            expect: |e| e == ProtocolError::Decode(DecodeError::Flags),
        },
        Case {
            name: "reserved packet type 0",
            act: |s, _, v| {
                s.write_all(&connack(v)).unwrap();
                s.write_all(&[0x00, 0x00]).unwrap();
            },
            expect: |e| e == ProtocolError::Decode(DecodeError::PacketType),
        },
        Case {
            name: "remaining length longer than four bytes",
            act: |s, _, v| {
                s.write_all(&connack(v)).unwrap();
                s.write_all(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]).unwrap();
            },
            expect: |e| {
                matches!(
                    e,
                    ProtocolError::Decode(
                        DecodeError::RemainingLength | DecodeError::PacketTooLarge
                    )
                )
            },
        },
        Case {
            name: "PUBLISH larger than the client's maximum packet size",
            act: |s, _, v| {
                s.write_all(&connack(v)).unwrap();
                // A 100,000-byte PUBLISH: refused from its fixed header, before the body arrives.
                s.write_all(&[0x30, 0xa0, 0x8d, 0x06]).unwrap();
                s.write_all(&[0u8; 64]).unwrap();
            },
            expect: |e| e == ProtocolError::Decode(DecodeError::PacketTooLarge),
        },
        Case {
            name: "PUBLISH with a topic that is not UTF-8",
            act: |s, _, v| {
                s.write_all(&connack(v)).unwrap();
                let mut p = vec![0x30, 0x00, 0x00, 0x02, 0xc3, 0x28];
                if v == ProtocolVersion::V5 {
                    p.push(0); // empty properties
                }
                p.push(b'x');
                p[1] = (p.len() - 2) as u8;
                s.write_all(&p).unwrap();
            },
            expect: |e| e == ProtocolError::Decode(DecodeError::Utf8),
        },
        Case {
            name: "PUBLISH with a wildcard in its topic",
            act: |s, _, v| {
                s.write_all(&connack(v)).unwrap();
                let mut p = vec![0x30, 0x00, 0x00, 0x03, b'a', b'/', b'#'];
                if v == ProtocolVersion::V5 {
                    p.push(0);
                }
                p[1] = (p.len() - 2) as u8;
                s.write_all(&p).unwrap();
            },
            expect: |e| e == ProtocolError::Decode(DecodeError::Topic(TopicError::WildcardInName)),
        },
        Case {
            name: "PUBLISH before CONNACK",
            act: |s, _, v| {
                let p = PublishRepr {
                    dup: false,
                    qos: QoS::AtMostOnce,
                    retain: false,
                    topic: TopicName::new("early").unwrap(),
                    packet_id: None,
                    properties: Properties::EMPTY,
                    payload: b"x",
                };
                s.write_all(&encode(Packet::Publish(p), v)).unwrap();
            },
            expect: |e| e == ProtocolError::UnexpectedPacket,
        },
        Case {
            name: "second CONNACK",
            act: |s, _, v| {
                s.write_all(&connack(v)).unwrap();
                s.write_all(&connack(v)).unwrap();
            },
            expect: |e| e == ProtocolError::UnexpectedPacket,
        },
        Case {
            name: "PINGREQ from the broker",
            act: |s, _, v| {
                s.write_all(&connack(v)).unwrap();
                s.write_all(&[0xc0, 0x00]).unwrap();
            },
            expect: |e| e == ProtocolError::UnexpectedPacket,
        },
        Case {
            name: "PUBCOMP for a QoS 1 message",
            act: |s, buf, v| {
                s.write_all(&connack(v)).unwrap();
                // The client sends its queued QoS 1 message; answer it with the wrong ack.
                loop {
                    match read_packet(s, buf, v) {
                        Some((kind, Some(id))) if kind == "PUBLISH" => {
                            let ack = AckRepr::new(zmqtt::client::PacketId::new(id).unwrap());
                            s.write_all(&encode(Packet::Pubcomp(ack), v)).unwrap();
                            return;
                        }
                        Some(_) => continue,
                        None => return,
                    }
                }
            },
            expect: |e| e == ProtocolError::WrongAck,
        },
    ]
}

fn serve(listener: TcpListener, v: ProtocolVersion) {
    for case in cases() {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        match read_packet(&mut s, &mut buf, v) {
            Some((kind, _)) if kind == "CONNECT" => {}
            other => panic!("{}: expected CONNECT, got {other:?}", case.name),
        }
        (case.act)(&mut s, &mut buf, v);
        // Wait for the client to drop the link (it must not hang on the bad input).
        s.set_read_timeout(Some(StdDuration::from_secs(5))).unwrap();
        let mut sink = [0u8; 256];
        while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
    }
    // Finally, a broker that behaves: accept, CONNACK (5.0: with a reason string and a user
    // property, which reach the handler), then keep the link open.
    let (mut s, _) = listener.accept().unwrap();
    let mut buf = Vec::new();
    read_packet(&mut s, &mut buf, v);
    let props = [
        Property::ReasonString("welcome back"),
        Property::UserProperty("site", "lab"),
    ];
    let properties = if v == ProtocolVersion::V5 {
        Properties::List(&props)
    } else {
        Properties::EMPTY
    };
    s.write_all(&encode(
        Packet::Connack(ConnackRepr {
            session_present: false,
            code: 0,
            properties,
        }),
        v,
    ))
    .unwrap();
    while read_packet(&mut s, &mut buf, v).is_some() {}
}

#[test]
fn every_misbehaviour_gives_a_typed_error_and_a_reconnect() {
    for v in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || serve(listener, v));
        let config = Config::new(leak(unique("victim")))
            .protocol(v)
            .keep_alive(5)
            .max_packet(4096, 4096)
            .reconnect_delays(Duration::from_millis(5), Duration::from_millis(20));
        let mut d = driver(config, addr);
        let mut rec = Recorder::default();
        let now = d.now();
        // Queued for the "PUBCOMP for a QoS 1 message" case; resent on every connection.
        d.client()
            .publish(now, &Publish::new("t", b"x", QoS::AtLeastOnce))
            .unwrap();
        d.client().connect(now);
        let n = cases().len();
        run_until(&mut d, &mut rec, 20, |r| r.disconnects().len() >= n);
        let reasons = rec.disconnects();
        for (case, reason) in cases().iter().zip(&reasons) {
            match reason {
                DisconnectReason::Protocol(e) if (case.expect)(*e) => {}
                other => panic!("{v:?} {}: got {other:?}", case.name),
            }
        }
        // The last connection works. (CONNACK never arrived in two cases: the malformed one and
        // the one that sent PUBLISH first; so 8 accepted connections went bad, then 1 good one.)
        run_until(&mut d, &mut rec, 10, |r| r.connects().len() == n - 1);
        assert_eq!(
            rec.disconnects().len(),
            n,
            "no disconnect after the broker behaved"
        );
        if v == ProtocolVersion::V5 {
            let want = Seen::Properties(
                Some("welcome back".into()),
                vec![("site".into(), "lab".into())],
            );
            assert!(
                rec.seen.contains(&want),
                "reason string and user property reach the handler"
            );
        }
        assert!(
            d.client().is_connected(),
            "{v:?}: connected to the well-behaved broker at last"
        );
        println!(
            "{v:?}: {} misbehaviours, {} typed errors, reconnected each time",
            n,
            reasons.len()
        );
        drop(d);
        server.join().unwrap();
    }
}

/// A PUBLISH the withholding broker received: when, DUP, packet id, topic and payload.
type Received = (std::time::Instant, bool, Option<u16>, String, Vec<u8>);

/// Accepts one MQTT 3.1.1 client, accepts its CONNECT, and withholds the PUBACK of the first
/// PUBLISH until a second copy arrives; returns both copies, then acknowledges.
fn withhold_puback(listener: TcpListener) -> Vec<Received> {
    let v = ProtocolVersion::V3_1_1;
    let (mut s, _) = listener.accept().unwrap();
    let mut buf = Vec::new();
    let mut got = Vec::new();
    // Nothing else may come in between: keep-alive is off, so no PINGREQ either.
    s.set_read_timeout(Some(StdDuration::from_secs(10)))
        .unwrap();
    while got.len() < 2 {
        let mut chunk = [0u8; 1024];
        let decoded = codec::decode(&buf, v, u32::MAX).unwrap();
        let Decoded::Packet { packet, len } = decoded else {
            let n = s
                .read(&mut chunk)
                .expect("the client sent the copy in time");
            assert!(n > 0, "the client closed the link");
            buf.extend_from_slice(&chunk[..n]);
            continue;
        };
        match packet {
            Packet::Connect(_) => s.write_all(&connack(v)).unwrap(),
            Packet::Publish(p) => got.push((
                std::time::Instant::now(),
                p.dup,
                p.packet_id.map(|i| i.get()),
                p.topic.to_string(),
                p.payload.to_vec(),
            )),
            other => panic!("unexpected {other:?}"),
        }
        buf.drain(..len);
    }
    let id = got[1].2.and_then(zmqtt::client::PacketId::new).unwrap();
    s.write_all(&encode(Packet::Puback(AckRepr::new(id)), v))
        .unwrap();
    // Keep the link until the client is done with it.
    let mut sink = [0u8; 256];
    while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
    got
}

#[test]
fn a_withheld_puback_brings_a_dup_copy_after_the_retry_interval_and_not_before() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let broker = thread::spawn(move || withhold_puback(listener));
    let interval = StdDuration::from_secs(2);
    let config = Config::new(leak(unique("retrier")))
        .keep_alive(0)
        .retry_interval(Duration::from_millis(interval.as_millis() as u64));
    let mut d = driver(config, addr);
    let mut rec = Recorder::default();
    let now = d.now();
    d.client().connect(now);
    run_until(&mut d, &mut rec, 10, |r| r.connects() == [(0, false)]);
    let mid = d
        .client()
        .publish(
            d.now(),
            &Publish::new("retry/t", b"once more", QoS::AtLeastOnce),
        )
        .unwrap();
    run_until(&mut d, &mut rec, 10, |r| r.published() == [mid.get()]);
    assert_eq!(rec.disconnects(), [], "all on one connection");
    drop(d);
    let got = broker.join().unwrap();
    let what = |r: &Received| (r.1, r.2, r.3.clone(), r.4.clone());
    let copy = |dup| {
        (
            dup,
            Some(mid.get()),
            "retry/t".to_string(),
            b"once more".to_vec(),
        )
    };
    assert_eq!(what(&got[0]), copy(false));
    // MQTT 3.1.1 §3.3.1.1: a re-delivery carries DUP 1 and the same packet id.
    assert_eq!(what(&got[1]), copy(true));
    let waited = got[1].0 - got[0].0;
    // The engine's clock ticks four times per interval: the copy goes within a quarter more
    // (and a little scheduling slack on a loaded machine).
    assert!(
        waited >= interval && waited <= interval * 3 / 2,
        "copy after {waited:?}, interval {interval:?}"
    );
}
