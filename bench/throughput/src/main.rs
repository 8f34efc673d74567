//! Publishes `--count` messages of `--size` bytes at `--qos` to a broker on 127.0.0.1,
//! keeping at most `INFLIGHT` unacknowledged, through zmqtt's engine and its I/O loop
//! over `std::net::TcpStream`; then disconnects and exits. Exits with status 1 if a message
//! was refused or lost, or nothing finished within a minute.
//!
//! It does what `mosquitto_pub -l -q <qos> -M 16` does with 20,000 lines on stdin, so
//! scripts/bench can time the two processes the same way: from start to exit.
//!
//! ```text
//! zmqtt-throughput --port 1883 --qos 1 --size 64 --count 20000 --topic bench/t
//! ```

use std::cell::{Cell, RefCell};
use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use zmqtt::client::{Client, Config, PacketId, Publish, PublishError, State};
use zmqtt::codec::QoS;
use zmqtt::driver::{Clock, Connector, Driver, Handler, Link, Wake, Waker};
use zmqtt::time::{Duration, Instant};

/// Unacknowledged QoS 1/2 messages at most (the issue's window; mosquitto_pub gets `-M 16`).
const INFLIGHT: usize = 16;
/// No queue beyond the window: `publish` refuses when the window is full, and the loop steps.
const QUEUE: usize = 0;
/// Room for a full window of 1 KiB messages (8 bytes + topic + payload each).
const MSG_BYTES: usize = 32 * 1024;
const TOPIC_BYTES: usize = 256;
/// Largest packet each way.
const MAX_PACKET: usize = 4096;
/// The run fails rather than hang when the broker stops answering.
const TIMEOUT: StdDuration = StdDuration::from_secs(60);

/// A TCP connection to the broker.
struct TcpLink {
    stream: TcpStream,
}

impl Link for TcpLink {
    type Error = io::Error;

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        self.stream.set_read_timeout(None)?;
        self.stream.read(buf).map(Some)
    }
}

impl Drop for TcpLink {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// One thread, so no wake-ups: `wait` returns at once while the loop has messages the window
/// can take (`busy`), and otherwise blocks until the broker sends something or the timeout.
struct BenchWaker {
    busy: Cell<bool>,
}

impl Waker<TcpLink> for BenchWaker {
    fn wake(&self) {}

    fn wait(&self, link: Option<&TcpLink>, timeout: Option<Duration>) -> io::Result<Wake> {
        if self.busy.get() {
            return Ok(Wake::Woken);
        }
        let wait = timeout.map(|t| StdDuration::from_millis(t.total_millis()));
        let Some(link) = link else {
            // Without a timeout the client is idle (after the final DISCONNECT): nothing
            // will wake it, so return and let the caller's loop decide.
            if let Some(wait) = wait {
                std::thread::sleep(wait);
            }
            return Ok(Wake::Timeout);
        };
        let mut probe = [0u8; 1];
        let peeked = match wait {
            Some(w) if w.is_zero() => {
                link.stream.set_nonblocking(true)?;
                let r = link.stream.peek(&mut probe);
                link.stream.set_nonblocking(false)?;
                r
            }
            w => {
                link.stream
                    .set_read_timeout(Some(w.unwrap_or(StdDuration::from_secs(3600))))?;
                link.stream.peek(&mut probe)
            }
        };
        match peeked {
            // End of stream is "readable" too: the next read reports it.
            Ok(_) => Ok(Wake::Readable),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(Wake::Timeout)
            }
            Err(e) => Err(e),
        }
    }
}

struct TcpConnector {
    port: u16,
}

impl Connector for TcpConnector {
    type Link = TcpLink;
    type Error = io::Error;

    fn connect(&mut self) -> Result<TcpLink, io::Error> {
        let stream = TcpStream::connect(("127.0.0.1", self.port))?;
        Ok(TcpLink { stream })
    }
}

struct StdClock {
    start: std::sync::OnceLock<StdInstant>,
}

impl Clock for StdClock {
    fn now(&self) -> Instant {
        let start = self.start.get_or_init(StdInstant::now);
        Instant::from_millis(start.elapsed().as_millis() as u64)
    }
}

impl Clock for &'static StdClock {
    fn now(&self) -> Instant {
        (*self).now()
    }
}

static CLOCK: StdClock = StdClock {
    start: std::sync::OnceLock::new(),
};

#[derive(Default)]
struct Counter {
    delivered: usize,
    failed: usize,
    refused: bool,
}

impl Handler for Counter {
    fn on_connect(&mut self, rc: u8, _session_present: bool) {
        self.refused |= rc != 0;
    }

    fn on_publish(&mut self, _mid: PacketId) {
        self.delivered += 1;
    }

    fn on_publish_failed(&mut self, _mid: PacketId, _reason: zmqtt::client::Failure) {
        self.failed += 1;
    }
}

struct Args {
    port: u16,
    qos: QoS,
    size: usize,
    count: usize,
    topic: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 1883,
        qos: QoS::AtMostOnce,
        size: 64,
        count: 20_000,
        topic: "bench/zmqtt".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--port" => args.port = num()? as u16,
            "--qos" => {
                args.qos = match num()? {
                    0 => QoS::AtMostOnce,
                    1 => QoS::AtLeastOnce,
                    2 => QoS::ExactlyOnce,
                    q => return Err(format!("--qos {q}: 0, 1 or 2")),
                }
            }
            "--size" => args.size = num()?,
            "--count" => args.count = num()?,
            "--topic" => args.topic = value,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("zmqtt-throughput: {e}");
            return ExitCode::from(2);
        }
    };
    let started = StdInstant::now();
    let client_id = format!("zmqtt-throughput-{}", std::process::id());
    let config = Config::new(&client_id)
        .clean_session(true)
        .max_packet(MAX_PACKET as u32, MAX_PACKET as u32);
    let client = match Client::<INFLIGHT, QUEUE, MSG_BYTES, TOPIC_BYTES>::new(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("zmqtt-throughput: config: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut rx, mut tx) = (vec![0u8; MAX_PACKET], vec![0u8; MAX_PACKET]);
    let mut topic = vec![0u8; TOPIC_BYTES];
    let connector = TcpConnector { port: args.port };
    let waker = BenchWaker {
        busy: Cell::new(false),
    };
    let mut driver = Driver::new(
        RefCell::new(client),
        connector,
        waker,
        &CLOCK,
        &mut rx,
        &mut tx,
        &mut topic,
    );
    let mut counter = Counter::default();
    let payload = vec![b'x'; args.size];

    driver.with_client(|c, now| c.connect(now));
    let mut sent = 0;
    while counter.delivered + counter.failed < args.count {
        if started.elapsed() > TIMEOUT || counter.refused {
            eprintln!(
                "zmqtt-throughput: gave up: {} of {} delivered",
                counter.delivered, args.count
            );
            return ExitCode::FAILURE;
        }
        let msg = Publish::new(&args.topic, &payload, args.qos);
        let busy = driver.with_client(|client, now| {
            if client.is_connected() {
                while sent < args.count {
                    match client.publish(now, &msg) {
                        Ok(_) => sent += 1,
                        Err(PublishError::InflightFull | PublishError::QueueFull) => break,
                        Err(e) => return Err(e),
                    }
                }
            }
            // Block for the broker only when nothing is waiting to be written and the window
            // is full (or everything is sent): otherwise the step must come straight back.
            let room = sent < args.count
                && (args.qos == QoS::AtMostOnce || client.inflight_len() < INFLIGHT);
            Ok(client.is_connected() && (room || client.queued_len() > 0))
        });
        match busy {
            Some(Ok(busy)) => driver.waker().busy.set(busy),
            Some(Err(e)) => {
                eprintln!("zmqtt-throughput: publish: {e}");
                return ExitCode::FAILURE;
            }
            None => unreachable!("the RefCell is free between steps"),
        }
        driver.step(&mut counter);
    }
    if std::env::var_os("ZMQTT_THROUGHPUT_DEBUG").is_some() {
        eprintln!("all delivered after {} ms", started.elapsed().as_millis());
    }
    driver.waker().busy.set(false);
    driver.with_client(|c, now| c.disconnect(now));
    driver.run_until(&mut counter, |c| c.state() == State::Idle);
    if counter.failed > 0 {
        eprintln!("zmqtt-throughput: {} messages failed", counter.failed);
        return ExitCode::FAILURE;
    }
    println!(
        "zmqtt-throughput: {} messages of {} B at QoS {} in {} ms",
        args.count,
        args.size,
        args.qos as u8,
        started.elapsed().as_millis()
    );
    ExitCode::SUCCESS
}
