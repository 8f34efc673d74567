//! The one I/O loop shared the way the Zephyr glue shares it: `zmqtt::driver::Driver` runs on a
//! thread of its own over the client behind a lock (here a std mutex, there a Zephyr mutex), and
//! another thread issues commands through that lock plus the wake-up, as `MqttClient::publish`
//! does. Against a real mosquitto (127.0.0.1 only).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use common::*;
use zmqtt::client::{Client, Config, Message, PacketId, Publish};
use zmqtt::codec::{QoS, ReasonCode, Subscription, SubscriptionOptions, TopicFilter};
use zmqtt::driver::{Clock, Driver, Handler, Lock, Waker};
use zmqtt::Instant;

type Engine = GenClient<16, 64, 16384, 1024>;

/// What the loop thread's callbacks saw.
#[derive(Default)]
struct Seen {
    connected: Option<u8>,
    subscribed: Vec<u16>,
    published: Vec<u16>,
    messages: Vec<(String, Vec<u8>)>,
    /// Errors of publishes made from inside `on_message`.
    callback_errors: Vec<String>,
}

/// Callbacks on the loop's thread. A message on `<base>/ping/<n>` is answered from inside the
/// callback with a publish on `<base>/pong/<n>`: that only works when callbacks run with the
/// lock released.
struct Callbacks {
    lock: StdLock<Engine>,
    waker: StdWaker,
    clock: StdClock,
    base: &'static str,
    seen: Arc<Mutex<Seen>>,
}

impl Handler for Callbacks {
    fn on_connect(&mut self, rc: u8, _session_present: bool) {
        self.seen.lock().unwrap().connected = Some(rc);
    }

    fn on_subscribe(&mut self, mid: PacketId, _granted: &[ReasonCode]) {
        self.seen.lock().unwrap().subscribed.push(mid.get());
    }

    fn on_publish(&mut self, mid: PacketId) {
        self.seen.lock().unwrap().published.push(mid.get());
    }

    fn on_message(&mut self, msg: &Message<'_>) {
        if let Some(n) = msg.topic.strip_prefix(&format!("{}/ping/", self.base)) {
            let pong = format!("{}/pong/{n}", self.base);
            let now = self.clock.now();
            let r = self
                .lock
                .with(|c| c.publish(now, &Publish::new(&pong, msg.payload, QoS::AtLeastOnce)));
            self.waker.wake();
            match r {
                Some(Ok(_)) => {}
                other => self
                    .seen
                    .lock()
                    .unwrap()
                    .callback_errors
                    .push(format!("{other:?}")),
            }
        }
        self.seen
            .lock()
            .unwrap()
            .messages
            .push((msg.topic.to_string(), msg.payload.to_vec()));
    }
}

/// What an API call does: the command under the lock, then the wake-up.
fn command<R>(
    lock: &StdLock<Engine>,
    waker: &StdWaker,
    clock: &StdClock,
    f: impl FnOnce(&mut Engine, Instant) -> R,
) -> R {
    let now = clock.now();
    let r = lock.with(|c| f(c, now)).expect("lock");
    waker.wake();
    r
}

fn wait_for(seen: &Mutex<Seen>, secs: u64, what: &str, mut done: impl FnMut(&Seen) -> bool) {
    let deadline = StdInstant::now() + StdDuration::from_secs(secs);
    while !done(&seen.lock().unwrap()) {
        assert!(StdInstant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(StdDuration::from_millis(2));
    }
}

#[test]
fn publish_from_another_thread_returns_its_mid_at_once_while_the_loop_runs() {
    init_logger();
    let broker = Mosquitto::start(false);
    let base = leak(unique("shared-loop"));
    let config = Config::new(leak(unique("shared-loop")))
        .clean_session(true)
        .keep_alive(10)
        .max_packet(4096, 4096);
    let lock = StdLock::new(Client::new(config).unwrap());
    let waker = StdWaker::new();
    let clock = StdClock::new();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));

    // The loop's thread: the same Driver type the Zephyr client thread runs, only over std.
    let mut driver: GenDriver<16, 64, 16384, 1024> = Driver::new(
        lock.clone(),
        StdConnector::new(broker.addr()),
        waker.clone(),
        clock,
        buffer(4096),
        buffer(4096),
        buffer(256),
    );
    let mut callbacks = Callbacks {
        lock: lock.clone(),
        waker: waker.clone(),
        clock,
        base,
        seen: seen.clone(),
    };
    let loop_stop = stop.clone();
    let looping = thread::spawn(move || {
        while !loop_stop.load(Ordering::Acquire) {
            driver.step(&mut callbacks);
        }
        driver.with_client(|c, now| c.disconnect(now));
        driver.run_until(&mut callbacks, |c| c.state() == zmqtt::client::State::Idle);
    });

    command(&lock, &waker, &clock, |c, now| c.connect(now));
    wait_for(&seen, 5, "CONNACK", |s| s.connected.is_some());
    assert_eq!(seen.lock().unwrap().connected, Some(0));
    let filter = Subscription {
        filter: TopicFilter::new(leak(format!("{base}/#"))).unwrap(),
        options: SubscriptionOptions::qos(QoS::AtLeastOnce),
    };
    let sub_mid = command(&lock, &waker, &clock, |c, now| c.subscribe(now, &[filter]))
        .unwrap()
        .get();
    wait_for(&seen, 5, "SUBACK", |s| s.subscribed == [sub_mid]);

    // Publishes from this thread while the loop runs: each returns its mid from the command
    // itself, without waiting for the loop (which may be sending, receiving or in a callback).
    const N: usize = 40;
    let mut mids = Vec::new();
    let mut slowest = StdDuration::ZERO;
    for i in 0..N {
        let topic = if i % 2 == 0 {
            format!("{base}/data/{i}")
        } else {
            format!("{base}/ping/{i}")
        };
        let payload = [i as u8; 3];
        let started = StdInstant::now();
        let mid = command(&lock, &waker, &clock, |c, now| {
            c.publish(now, &Publish::new(&topic, &payload, QoS::AtLeastOnce))
        })
        .expect("publish accepted")
        .get();
        slowest = slowest.max(started.elapsed());
        mids.push(mid);
    }
    // "At once": the lock is only held for a turn's engine calls, never across socket I/O or
    // a broker round trip; 100 ms leaves room for a loaded machine.
    assert!(
        slowest < StdDuration::from_millis(100),
        "a publish took {slowest:?}"
    );
    let mut unique_mids = mids.clone();
    unique_mids.sort_unstable();
    unique_mids.dedup();
    assert_eq!(unique_mids.len(), N, "mids {mids:?}");
    assert!(!mids.contains(&sub_mid));

    // Every message comes back through the broker, and every ping got its pong, published from
    // inside on_message on the loop's thread.
    wait_for(&seen, 10, "all messages and pongs", |s| {
        s.messages.len() == N + N / 2 && s.published.len() == N + N / 2
    });
    stop.store(true, Ordering::Release);
    waker.wake();
    looping.join().unwrap();

    let seen = seen.lock().unwrap();
    assert!(
        seen.callback_errors.is_empty(),
        "{:?}",
        seen.callback_errors
    );
    for &mid in &mids {
        assert!(seen.published.contains(&mid), "mid {mid} not delivered");
    }
    for i in 0..N {
        let payload = vec![i as u8; 3];
        let sent = if i % 2 == 0 {
            format!("{base}/data/{i}")
        } else {
            format!("{base}/ping/{i}")
        };
        assert!(
            seen.messages.contains(&(sent.clone(), payload.clone())),
            "{sent} missing"
        );
        if i % 2 == 1 {
            let pong = format!("{base}/pong/{i}");
            assert!(
                seen.messages.contains(&(pong.clone(), payload)),
                "{pong} missing"
            );
        }
    }
    // This thread's messages arrive in the order it published them (one session, QoS 1).
    let own: Vec<&String> = seen
        .messages
        .iter()
        .map(|(t, _)| t)
        .filter(|t| !t.contains("/pong/"))
        .collect();
    let expected: Vec<String> = (0..N)
        .map(|i| {
            if i % 2 == 0 {
                format!("{base}/data/{i}")
            } else {
                format!("{base}/ping/{i}")
            }
        })
        .collect();
    assert_eq!(own, expected.iter().collect::<Vec<_>>());
}
