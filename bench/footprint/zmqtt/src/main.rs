//! The footprint scenario on zmqtt: the engine run by its I/O loop (`zmqtt::driver`, the one
//! the Zephyr thread runs, here with a `RefCell` as the lock) over the opaque
//! transport. Connect with client id, credentials and a will (MQTT 5.0, as the peers speak
//! only 5.0), subscribe at QoS 2, publish at QoS 0, 1 and 2, then the receive loop (the
//! driver also keeps alive, reconnects and re-subscribes).
#![no_std]
#![no_main]

use core::cell::RefCell;
use core::mem::MaybeUninit;

use bench_rt::{
    deliver, now_ms, sleep_until, Conn, Ready, TransportError, BUF_LEN, CLIENT_ID, FILTER,
    KEEP_ALIVE_SECS, PASSWORD, PAYLOAD, TOPIC, USERNAME, WILL_PAYLOAD, WILL_TOPIC,
};
use zmqtt::client::{Client, Config, Message, Publish};
use zmqtt::codec::{
    Properties, ProtocolVersion, QoS, Subscription, SubscriptionOptions, TopicFilter, TopicName,
    Will,
};
use zmqtt::driver::{Clock, Connector, Driver, Handler, Link, Wake, Waker};
use zmqtt::time::{Duration, Instant};

/// QoS 1/2 messages in flight: minimq's fixed capacity.
const INFLIGHT: usize = 8;
/// No offline queue: the peers have none.
const QUEUE: usize = 0;
/// Pool keeping accepted messages until acknowledged (minimq keeps them in its tx buffer).
const MSG_BYTES: usize = 1024;
/// Pool for subscriptions restored after a session loss.
const TOPIC_BYTES: usize = 128;
/// Room for the topic of a message sent with an MQTT 5.0 alias while its callback runs.
const TOPIC_LEN: usize = 64;

type Engine = Client<'static, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES>;

/// One thread: the client in a `RefCell`, the driver's lock.
type Scenario = Driver<
    'static,
    'static,
    RefCell<Engine>,
    BenchConnector,
    BenchWaker,
    BenchClock,
    INFLIGHT,
    QUEUE,
    MSG_BYTES,
    TOPIC_BYTES,
>;

/// The client instance; its symbol size is the per-instance state that scripts/bench reports.
#[no_mangle]
static mut ZMQTT_STATE: MaybeUninit<Scenario> = MaybeUninit::uninit();
#[no_mangle]
static mut ZMQTT_RX: [u8; BUF_LEN] = [0; BUF_LEN];
#[no_mangle]
static mut ZMQTT_TX: [u8; BUF_LEN] = [0; BUF_LEN];
#[no_mangle]
static mut ZMQTT_TOPIC: [u8; TOPIC_LEN] = [0; TOPIC_LEN];

struct IoError;

impl core::fmt::Display for IoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("transport error")
    }
}

impl From<TransportError> for IoError {
    fn from(_: TransportError) -> Self {
        IoError
    }
}

struct BenchLink(Conn);

impl Link for BenchLink {
    type Error = IoError;

    fn send(&mut self, mut bytes: &[u8]) -> Result<(), IoError> {
        while !bytes.is_empty() {
            let n = self.0.write(bytes)?;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<Option<usize>, IoError> {
        Ok(Some(self.0.read(buf)?))
    }
}

/// One thread: nothing wakes the loop but the link and the deadline.
struct BenchWaker;

impl Waker<BenchLink> for BenchWaker {
    fn wake(&self) {}

    fn wait(&self, link: Option<&BenchLink>, timeout: Option<Duration>) -> Result<Wake, IoError> {
        let deadline = timeout.map(|t| now_ms() + t.total_millis());
        let Some(link) = link else {
            sleep_until(deadline);
            return Ok(Wake::Timeout);
        };
        Ok(match bench_rt::wait(link.0.handle(), deadline)? {
            Ready::Readable => Wake::Readable,
            Ready::Timeout => Wake::Timeout,
        })
    }
}

struct BenchConnector;

impl Connector for BenchConnector {
    type Link = BenchLink;
    type Error = IoError;

    fn connect(&mut self) -> Result<BenchLink, IoError> {
        Ok(Conn::open().map(BenchLink)?)
    }
}

struct BenchClock;

impl Clock for BenchClock {
    fn now(&self) -> Instant {
        Instant::from_millis(now_ms())
    }
}

struct App;

impl Handler for App {
    fn on_message(&mut self, msg: &Message<'_>) {
        deliver(msg.topic, msg.payload);
    }
}

#[no_mangle]
pub extern "C" fn _start() -> ! {
    let (Ok(will_topic), Ok(filter)) = (TopicName::new(WILL_TOPIC), TopicFilter::new(FILTER))
    else {
        panic!()
    };
    let config = Config::new(CLIENT_ID)
        .protocol(ProtocolVersion::V5)
        .keep_alive(KEEP_ALIVE_SECS)
        .credentials(Some(USERNAME), Some(PASSWORD))
        .will(Will {
            topic: will_topic,
            payload: WILL_PAYLOAD,
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Properties::EMPTY,
        })
        .max_packet(BUF_LEN as u32, BUF_LEN as u32);
    let Ok(client) = Client::new(config) else {
        panic!()
    };
    // SAFETY: _start runs once, so these are the only references to the four statics.
    let driver = unsafe {
        let rx = &mut *(&raw mut ZMQTT_RX);
        let tx = &mut *(&raw mut ZMQTT_TX);
        let topic = &mut *(&raw mut ZMQTT_TOPIC);
        (*(&raw mut ZMQTT_STATE)).write(Driver::new(
            RefCell::new(client),
            BenchConnector,
            BenchWaker,
            BenchClock,
            rx,
            tx,
            topic,
        ))
    };
    let mut app = App;
    driver.with_client(|c, now| c.connect(now));
    driver.run_until(&mut app, |c| c.is_connected());

    let filter = Subscription {
        filter,
        options: SubscriptionOptions::qos(QoS::ExactlyOnce),
    };
    driver.with_client(|c, now| {
        let _ = c.subscribe(now, &[filter]);
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let _ = c.publish(now, &Publish::new(TOPIC, PAYLOAD, qos));
        }
    });
    loop {
        driver.step(&mut app);
    }
}
