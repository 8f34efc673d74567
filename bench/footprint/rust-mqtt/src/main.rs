//! The footprint scenario on rust-mqtt: connect with client id, credentials and a will (MQTT
//! 5.0), subscribe at QoS 2, publish at QoS 0, 1 and 2, then the receive loop. rust-mqtt leaves
//! keepalive and reconnecting to the caller, so the loop pings when the connection has been
//! quiet for the keep-alive interval and reconnects when it is lost.
#![no_std]
#![no_main]

use core::mem::MaybeUninit;
use core::num::NonZero;

use bench_rt::{
    block_on, deliver, now_ms, sleep_until, wait, Conn, Ready, TransportError, BUF_LEN, CLIENT_ID,
    FILTER, KEEP_ALIVE_SECS, PASSWORD, PAYLOAD, TOPIC, USERNAME, WILL_PAYLOAD, WILL_TOPIC,
};
use rust_mqtt::buffer::BumpBuffer;
use rust_mqtt::client::event::Event;
use rust_mqtt::client::options::{
    ConnectOptions, PublicationOptions, SubscriptionOptions, TopicReference, WillOptions,
};
use rust_mqtt::client::Client;
use rust_mqtt::config::KeepAlive;
use rust_mqtt::types::{MqttBinary, MqttString, QoS, TopicFilter, TopicName};
use rust_mqtt::Bytes;

/// SUBSCRIBE, RECEIVE and SEND maxima of 8 (minimq's fixed in-flight capacity), one
/// subscription identifier, no user properties, no topic aliases.
type Scenario = Client<'static, 'static, BenchIo, BumpBuffer<'static>, 8, 8, 8, 1, 0, 0, 0>;

/// The client instance; its symbol size is the per-instance state that scripts/bench reports.
#[no_mangle]
static mut RUST_MQTT_STATE: MaybeUninit<Scenario> = MaybeUninit::uninit();
#[no_mangle]
static mut RUST_MQTT_BUMP: MaybeUninit<BumpBuffer<'static>> = MaybeUninit::uninit();
/// Where the bump allocator puts the variable parts of received packets. rust-mqtt encodes
/// straight to the transport, so it has no transmit buffer.
#[no_mangle]
static mut RUST_MQTT_RX: [u8; BUF_LEN] = [0; BUF_LEN];

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

fn mqtt_str(s: &'static str) -> MqttString<'static> {
    match MqttString::from_str(s) {
        Ok(s) => s,
        Err(_) => panic!(),
    }
}

#[no_mangle]
pub extern "C" fn _start() -> ! {
    // SAFETY: _start runs once, so these are the only references to the three statics.
    let client = unsafe {
        let rx = &mut *(&raw mut RUST_MQTT_RX);
        let bump = (*(&raw mut RUST_MQTT_BUMP)).write(BumpBuffer::new(rx));
        (*(&raw mut RUST_MQTT_STATE)).write(Scenario::new(bump))
    };
    let (Some(will_topic), Some(topic), Some(filter), Some(keep_alive)) = (
        TopicName::new(mqtt_str(WILL_TOPIC)),
        TopicName::new(mqtt_str(TOPIC)),
        TopicFilter::new(mqtt_str(FILTER)),
        NonZero::new(KEEP_ALIVE_SECS),
    ) else {
        panic!()
    };
    let (Ok(password), Ok(will_payload)) = (
        MqttBinary::try_from(PASSWORD),
        MqttBinary::try_from(WILL_PAYLOAD),
    ) else {
        panic!()
    };
    let options = ConnectOptions::new()
        .keep_alive(KeepAlive::Seconds(keep_alive))
        .user_name(mqtt_str(USERNAME))
        .password(password)
        .will(WillOptions::new(will_topic, will_payload).at_least_once());
    let keep_alive_ms = u64::from(KEEP_ALIVE_SECS) * 1000;

    block_on(async {
        loop {
            let Ok(conn) = Conn::open() else {
                sleep_until(Some(now_ms() + 1000));
                continue;
            };
            let handle = conn.handle();
            if client
                .connect(BenchIo(conn), &options, Some(mqtt_str(CLIENT_ID)))
                .await
                .is_err()
            {
                continue;
            }
            let sub = SubscriptionOptions::new().exactly_once();
            let _ = client.subscribe(filter.as_borrowed(), &sub).await;
            for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
                let publication =
                    PublicationOptions::new(TopicReference::Name(topic.as_borrowed())).qos(qos);
                let _ = client.publish(&publication, Bytes::from(PAYLOAD)).await;
            }
            let mut last_activity = now_ms();
            loop {
                match wait(handle, Some(last_activity + keep_alive_ms)) {
                    Ok(Ready::Timeout) => {
                        if client.ping().await.is_err() {
                            break;
                        }
                        last_activity = now_ms();
                        continue;
                    }
                    Ok(Ready::Readable) => {}
                    Err(_) => break,
                }
                match client.poll().await {
                    Ok(Event::Publish(msg)) => {
                        if let Some(name) = msg.topic.name() {
                            let name: &MqttString<'_> = name.as_ref();
                            deliver(name.as_str(), msg.message.as_bytes());
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
                // SAFETY: nothing the last poll returned is still borrowed.
                unsafe { client.buffer_mut().reset() };
                last_activity = now_ms();
            }
            let _ = client.abort().await;
        }
    })
}
