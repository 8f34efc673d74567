//! Drives the client engine with arbitrary broker bytes, time steps and commands.
//!
//! Input: one control byte, then a script. Control bit 0 picks the version (0 = 3.1.1, 1 = 5.0);
//! bit 1 feeds an accepting CONNACK first, so that most runs reach the connected state; bits 2-3
//! pick the chunk size used to hand bytes over (1, 3, 16 or everything at once). In the script,
//! `0xff c` is command `c` (advance the clock, publish at QoS 0-2, subscribe, unsubscribe, cut the
//! link, disconnect, connect) and `0xff 0xff` a literal 0xff; every other byte is broker data.
//!
//! Checks: nothing panics; every call returns in bounded work (the drain loops below are
//! bounded, and a client that kept producing output forever would trip them); the capacities hold;
//! a QoS 1/2 message accepted is reported exactly once, as `Published` or `PublishFailed`.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use zmqtt::client::{Client, Config, Event, Publish, State};
use zmqtt::codec::{ProtocolVersion, QoS, Subscription, SubscriptionOptions, TopicFilter};
use zmqtt::{Duration, Instant};

type FuzzClient = Client<'static, 4, 4, 512, 128>;

struct Run {
    client: FuzzClient,
    now: Instant,
    rx: Vec<u8>,
    link_up: bool,
    accepted: HashSet<u16>,
    reported: HashSet<u16>,
}

impl Run {
    fn drain(&mut self) {
        let mut tx = [0u8; 600];
        let mut rounds = 0;
        while self.client.poll_transmit(self.now, &mut tx).is_some() {
            rounds += 1;
            assert!(rounds < 1000, "poll_transmit never settles");
        }
        let mut events = 0;
        while let Some(e) = self.client.poll_event() {
            events += 1;
            assert!(events < 1000, "poll_event never settles");
            match e {
                Event::Published { packet_id } | Event::PublishFailed { packet_id, .. } => {
                    // Every id is reported once per acceptance (ids are reused only after that).
                    assert!(self.accepted.remove(&packet_id.get()), "report for unknown mid {packet_id}");
                    self.reported.insert(packet_id.get());
                }
                _ => {}
            }
        }
        if !self.client.state().wants_link() {
            self.link_up = false;
            self.rx.clear();
        } else if self.client.state() == State::Opening && !self.link_up {
            self.link_up = true;
            self.client.handle_link_up(self.now);
            self.drain_once();
        }
        assert!(self.client.inflight_len() <= 4);
        assert!(self.client.inflight_len() + self.client.queued_len() <= 8);
        assert!(self.client.incoming_len() <= 8);
    }

    fn drain_once(&mut self) {
        let mut tx = [0u8; 600];
        let mut rounds = 0;
        while self.client.poll_transmit(self.now, &mut tx).is_some() {
            rounds += 1;
            assert!(rounds < 1000);
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        if !self.link_up {
            return;
        }
        self.rx.extend_from_slice(bytes);
        let mut rounds = 0;
        loop {
            rounds += 1;
            assert!(rounds < 10_000, "handle_input never settles");
            let input = self.client.handle_input(self.now, &self.rx);
            let consumed = input.consumed;
            if let Some(m) = &input.message {
                std::hint::black_box((m.topic.len(), m.payload.len()));
            }
            if consumed == 0 {
                // Refused with a whole packet waiting means the output must be drained first.
                self.drain();
                let again = self.client.handle_input(self.now, &self.rx).consumed;
                if again == 0 {
                    break;
                }
                self.rx.drain(..again);
                continue;
            }
            assert!(consumed <= self.rx.len());
            self.rx.drain(..consumed);
            self.drain();
            if !self.link_up {
                break;
            }
        }
        // The client refuses packets above 256 bytes, so a longer unconsumed buffer is a bug.
        assert!(self.rx.len() <= 256 + 5 || !self.link_up, "rx grows without bound: {}", self.rx.len());
    }

    fn command(&mut self, c: u8) {
        match c & 0x0f {
            0..=3 => {
                self.now += Duration::from_millis(1u64 << (2 * u64::from(c & 3) + 4));
                self.client.handle_timeout(self.now);
            }
            4..=6 => {
                let qos = QoS::try_from(c & 3).unwrap_or(QoS::AtMostOnce);
                if let Ok(mid) = self.client.publish(self.now, &Publish::new("fuzz/t", &[c; 7], qos)) {
                    self.accepted.insert(mid.get());
                }
            }
            7 => {
                let _ = self.client.subscribe(
                    self.now,
                    &[Subscription {
                        filter: TopicFilter::new("fuzz/#").unwrap(),
                        options: SubscriptionOptions::qos(QoS::ExactlyOnce),
                    }],
                );
            }
            8 => {
                let _ = self.client.unsubscribe(self.now, &["fuzz/#"]);
            }
            9 | 10 => {
                self.link_up = false;
                self.rx.clear();
                self.client.handle_closed(self.now);
            }
            11 => self.client.disconnect(self.now),
            12 => self.client.connect(self.now),
            _ => {
                // A big jump: every timer fires.
                self.now += Duration::from_secs(120);
                self.client.handle_timeout(self.now);
            }
        }
        self.drain();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, script)) = data.split_first() else { return };
    let version = if control & 1 == 0 { ProtocolVersion::V3_1_1 } else { ProtocolVersion::V5 };
    let chunk = [1usize, 3, 16, usize::MAX][usize::from((control >> 2) & 3)];
    let mut config = Config::new("fuzz").protocol(version).keep_alive(5).max_packet(256, 600);
    config.topic_alias_maximum = 2;
    let Ok(client) = FuzzClient::new(config) else { return };
    let mut run = Run {
        client,
        now: Instant::from_secs(1),
        rx: Vec::new(),
        link_up: false,
        accepted: HashSet::new(),
        reported: HashSet::new(),
    };
    run.client.connect(run.now);
    run.drain();
    if control & 2 != 0 {
        // CONNACK accepted, no session (3.1.1 and 5.0 encode it alike when no properties).
        let connack: &[u8] = match version {
            ProtocolVersion::V3_1_1 => &[0x20, 0x02, 0x00, 0x00],
            ProtocolVersion::V5 => &[0x20, 0x03, 0x00, 0x00, 0x00],
        };
        run.feed(connack);
    }
    let mut data = Vec::new();
    let mut bytes = script.iter().copied();
    while let Some(b) = bytes.next() {
        match (b, b == 0xff) {
            (_, true) => match bytes.next() {
                Some(0xff) => data.push(0xff),
                Some(c) => {
                    for piece in data.chunks(chunk.min(data.len().max(1))) {
                        run.feed(piece);
                    }
                    data.clear();
                    run.command(c);
                }
                None => {}
            },
            _ => data.push(b),
        }
    }
    for piece in data.chunks(chunk.min(data.len().max(1))) {
        run.feed(piece);
    }
    // Whatever happened, time moving on must not panic either.
    run.command(0xff);
    std::hint::black_box(run.reported.len());
});
