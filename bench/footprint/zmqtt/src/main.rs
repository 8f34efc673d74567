//! The footprint scenario on zmqtt: the engine run by its blocking driver over the opaque
//! transport. Connect with client id, credentials and a will (MQTT 5.0, as the peers speak
//! only 5.0), subscribe at QoS 2, publish at QoS 0, 1 and 2, then the receive loop (the
//! driver also keeps alive, reconnects and re-subscribes).
#![no_std]
#![no_main]

use core::mem::MaybeUninit;

use bench_rt::{
    deliver, now_ms, sleep_until, Conn, Ready, TransportError, BUF_LEN, CLIENT_ID, FILTER,
    KEEP_ALIVE_SECS, PASSWORD, PAYLOAD, TOPIC, USERNAME, WILL_PAYLOAD, WILL_TOPIC,
};
use zmqtt::client::{Client, Config, Message, Publish};
use zmqtt::codec::{
    Properties, ProtocolVersion, QoS, Subscription, SubscriptionOptions, TopicFilter, TopicName, Will,
};
use zmqtt::driver::{Clock, Connector, Driver, Handler, Link, Wake};
use zmqtt::time::Instant;

/// QoS 1/2 messages in flight: minimq's fixed capacity.
const INFLIGHT: usize = 8;
/// No offline queue: the peers have none.
const QUEUE: usize = 0;
/// Pool keeping accepted messages until acknowledged (minimq keeps them in its tx buffer).
const MSG_BYTES: usize = 1024;
/// Pool for subscriptions restored after a session loss.
const TOPIC_BYTES: usize = 128;

type Scenario =
    Driver<'static, 'static, BenchConnector, BenchClock, INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES>;

/// The client instance; its symbol size is the per-instance state that scripts/bench reports.
#[no_mangle]
static mut ZMQTT_STATE: MaybeUninit<Scenario> = MaybeUninit::uninit();
#[no_mangle]
static mut ZMQTT_RX: [u8; BUF_LEN] = [0; BUF_LEN];
#[no_mangle]
static mut ZMQTT_TX: [u8; BUF_LEN] = [0; BUF_LEN];

#[derive(Debug)]
struct IoError;

impl core::fmt::Display for IoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("transport error")
    }
}

impl core::error::Error for IoError {}

impl embedded_io::Error for IoError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

impl From<TransportError> for IoError {
    fn from(_: TransportError) -> Self {
        IoError
    }
}

struct BenchLink(Conn);

impl embedded_io::ErrorType for BenchLink {
    type Error = IoError;
}

impl embedded_io::Read for BenchLink {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, IoError> {
        Ok(self.0.read(buf)?)
    }
}

impl embedded_io::Write for BenchLink {
    fn write(&mut self, buf: &[u8]) -> Result<usize, IoError> {
        Ok(self.0.write(buf)?)
    }

    fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}

impl Link for BenchLink {
    fn wait(&mut self, deadline: Option<Instant>) -> Result<Wake, IoError> {
        Ok(match self.0.wait(deadline.map(Instant::total_millis))? {
            Ready::Readable => Wake::Readable,
            Ready::Timeout => Wake::Timeout,
        })
    }
}

struct BenchConnector;

impl Connector for BenchConnector {
    type Link = BenchLink;
    type Error = TransportError;

    fn connect(&mut self) -> Result<BenchLink, TransportError> {
        Conn::open().map(BenchLink)
    }

    fn idle(&mut self, deadline: Option<Instant>) -> Wake {
        sleep_until(deadline.map(Instant::total_millis));
        Wake::Timeout
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
    let (Ok(will_topic), Ok(filter)) = (TopicName::new(WILL_TOPIC), TopicFilter::new(FILTER)) else {
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
    // SAFETY: _start runs once, so these are the only references to the three statics.
    let driver = unsafe {
        let rx = &mut *(&raw mut ZMQTT_RX);
        let tx = &mut *(&raw mut ZMQTT_TX);
        (*(&raw mut ZMQTT_STATE)).write(Driver::new(client, BenchConnector, BenchClock, rx, tx))
    };
    let mut app = App;
    let now = driver.now();
    driver.client().connect(now);
    driver.run_until(&mut app, |c| c.is_connected());

    let now = driver.now();
    let filter = Subscription {
        filter,
        options: SubscriptionOptions::qos(QoS::ExactlyOnce),
    };
    let _ = driver.client().subscribe(now, &[filter]);
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let now = driver.now();
        let _ = driver
            .client()
            .publish(now, &Publish::new(TOPIC, PAYLOAD, qos));
    }
    loop {
        driver.step(&mut app);
    }
}
