//! The footprint scenario on minimq: connect with client id, credentials and a will (MQTT 5.0),
//! subscribe at QoS 2 when the broker has no session, publish at QoS 0, 1 and 2, then the
//! receive loop; reconnect when the connection is lost (minimq leaves that to the caller).
//! minimq keeps alive by itself, on embassy-time's clock (driven by the opaque clock here).
#![no_std]
#![no_main]

use core::mem::MaybeUninit;
use core::task::Waker;

use bench_rt::{
    block_on, deliver, now_ms, sleep_until, Conn, TransportError, BUF_LEN, CLIENT_ID, FILTER,
    KEEP_ALIVE_SECS, PASSWORD, PAYLOAD, TOPIC, USERNAME, WILL_PAYLOAD, WILL_TOPIC,
};
use minimq::{
    Buffers, ConfigBuilder, ConnectEvent, Publication, QoS, Session, SubscriptionOptions,
    TopicFilter, Will,
};

/// The client instance; its symbol size is the per-instance state that scripts/bench reports.
#[no_mangle]
static mut MINIMQ_STATE: MaybeUninit<Session<'static>> = MaybeUninit::uninit();
#[no_mangle]
static mut MINIMQ_RX: [u8; BUF_LEN] = [0; BUF_LEN];
/// minimq encodes into `tx` and keeps unacknowledged packets there: one packet's room plus as
/// much for in-flight messages as zmqtt's message pool.
#[no_mangle]
static mut MINIMQ_TX: [u8; 2 * BUF_LEN] = [0; 2 * BUF_LEN];

#[derive(Debug)]
struct IoError;

impl core::fmt::Display for IoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("transport error")
    }
}

impl core::error::Error for IoError {}

impl embedded_io_async::Error for IoError {
    fn kind(&self) -> embedded_io_async::ErrorKind {
        embedded_io_async::ErrorKind::Other
    }
}

impl From<TransportError> for IoError {
    fn from(_: TransportError) -> Self {
        IoError
    }
}

struct BenchIo(Conn);

impl embedded_io_async::ErrorType for BenchIo {
    type Error = IoError;
}

impl embedded_io_async::Read for BenchIo {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, IoError> {
        Ok(self.0.read(buf)?)
    }
}

impl embedded_io_async::Write for BenchIo {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, IoError> {
        Ok(self.0.write(buf)?)
    }

    async fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}

/// embassy-time's clock: the opaque millisecond clock (ticks are milliseconds). Wake-ups are
/// not scheduled: block_on polls again after every transport wait.
struct BenchTime;

impl embassy_time_driver::Driver for BenchTime {
    fn now(&self) -> u64 {
        now_ms()
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        let _ = (at, waker);
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: BenchTime = BenchTime);

#[no_mangle]
pub extern "C" fn _start() -> ! {
    // SAFETY: _start runs once, so these are the only references to the three statics.
    let (rx, tx, state) = unsafe {
        (
            &mut *(&raw mut MINIMQ_RX),
            &mut *(&raw mut MINIMQ_TX),
            &mut *(&raw mut MINIMQ_STATE),
        )
    };
    let Ok(will) = Will::new(WILL_TOPIC, WILL_PAYLOAD, &[]) else {
        panic!()
    };
    let Ok(config) = ConfigBuilder::new(Buffers::new(rx, tx))
        .client_id(CLIENT_ID)
        .and_then(|c| c.auth(USERNAME, PASSWORD))
        .and_then(|c| c.will(will.qos(QoS::AtLeastOnce)))
    else {
        panic!()
    };
    let session = state.write(Session::new(config.keepalive_interval(KEEP_ALIVE_SECS)));
    block_on(async {
        loop {
            let Ok(conn) = Conn::open() else {
                sleep_until(Some(now_ms() + 1000));
                continue;
            };
            let Ok(mut conn) = session.connect(BenchIo(conn)).await else {
                continue;
            };
            if conn.connect_event() == ConnectEvent::Connected {
                let options = SubscriptionOptions::default().maximum_qos(QoS::ExactlyOnce);
                let filter = TopicFilter::new(FILTER).options(options);
                let _ = conn.subscribe(&[filter], &[]).await;
            }
            for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
                let _ = conn
                    .publish(Publication::bytes(TOPIC, PAYLOAD).qos(qos))
                    .await;
            }
            while let Ok(msg) = conn.recv().await {
                deliver(msg.topic(), msg.payload());
            }
        }
    })
}
