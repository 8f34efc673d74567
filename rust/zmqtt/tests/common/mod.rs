//! Shared pieces of the host integration tests: a mosquitto launcher, the driver's `Clock`,
//! `Lock` (a std mutex), `Waker`, `Connector` and `Link` over `std::net`, a recording handler,
//! a fault-injecting TCP proxy and a small deterministic PRNG.
#![allow(dead_code)]

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use zmqtt::client::{Client, DisconnectReason, Failure, Message, PacketId};
use zmqtt::codec::{QoS, ReasonCode};
use zmqtt::driver::{Clock, Connector, Driver, Handler, Link, Lock, Wake, Waker};
use zmqtt::{Duration, Instant};

pub const MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// A free TCP port on 127.0.0.1 (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A unique name for client ids and topics, so tests never see each other's sessions.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A mosquitto broker on 127.0.0.1 only, started by the test. Fails (never skips) when
/// mosquitto is missing.
pub struct Mosquitto {
    pub port: u16,
    child: Option<Child>,
    dir: PathBuf,
}

impl Mosquitto {
    /// Starts mosquitto on a free port; with `persistence` its sessions and messages survive
    /// `restart`.
    pub fn start(persistence: bool) -> Mosquitto {
        Self::start_with(persistence, "")
    }

    /// Like `start`, with extra lines for mosquitto.conf.
    pub fn start_with(persistence: bool, extra: &str) -> Mosquitto {
        assert!(
            Path::new(MOSQUITTO).exists(),
            "{MOSQUITTO} is missing: install mosquitto (apt-get install mosquitto); this test does not skip"
        );
        let port = free_port();
        let dir = std::env::temp_dir().join(unique("zmqtt-mosquitto"));
        std::fs::create_dir_all(&dir).unwrap();
        // Run as root, mosquitto drops to the `mosquitto` user: it must be able to write its
        // persistence file and log here, or persistence silently does nothing.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        // max_inflight_messages 16 = the clients' INFLIGHT (TestDriver): mosquitto 2.0 counts
        // QoS 2 messages in flight up to this limit whatever Receive Maximum a client announces,
        // and when the limit is above it, it moves messages back to its queue on reconnect and
        // resends them out of order. set_tcp_nodelay: without it Nagle stalls the ack ping-pong.
        let conf = format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence {}\npersistence_location {}/\n\
             max_queued_messages 1000000\nmax_inflight_messages 16\nset_tcp_nodelay true\nlog_dest file {}/mosquitto.log\n\
             log_type error\nlog_type warning\nlog_type notice\n{extra}\n",
            persistence,
            dir.display(),
            dir.display()
        );
        std::fs::write(dir.join("mosquitto.conf"), conf).unwrap();
        let mut m = Mosquitto {
            port,
            child: None,
            dir,
        };
        m.spawn();
        m
    }

    /// Starts the broker again after `stop`, on the same port and persistence file.
    pub fn spawn(&mut self) {
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let deadline = StdInstant::now() + StdDuration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                StdInstant::now() < deadline,
                "mosquitto did not open port {}",
                self.port
            );
            thread::sleep(StdDuration::from_millis(10));
        }
    }

    /// Stops mosquitto gracefully (SIGTERM, so it writes its persistence file) and waits.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = StdInstant::now() + StdDuration::from_secs(10);
            loop {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if StdInstant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                thread::sleep(StdDuration::from_millis(5));
            }
        }
    }

    /// Stops and starts again on the same port, with the same persistence file.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("mosquitto.log")).unwrap_or_default()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `std::time::Instant` as the driver's millisecond clock.
#[derive(Clone, Copy)]
pub struct StdClock {
    start: StdInstant,
}

impl StdClock {
    pub fn new() -> Self {
        StdClock {
            start: StdInstant::now(),
        }
    }
}

impl Clock for StdClock {
    fn now(&self) -> Instant {
        Instant::from_millis(self.start.elapsed().as_millis() as u64)
    }
}

/// The client behind a `std::sync::Mutex`, shared by the driver and the threads that call it.
pub struct StdLock<T>(pub Arc<Mutex<T>>);

impl<T> StdLock<T> {
    pub fn new(t: T) -> Self {
        StdLock(Arc::new(Mutex::new(t)))
    }
}

impl<T> Clone for StdLock<T> {
    fn clone(&self) -> Self {
        StdLock(self.0.clone())
    }
}

impl<T> Lock<T> for StdLock<T> {
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.0.lock().ok().map(|mut t| f(&mut t))
    }
}

/// How long one wait blocks at most: std cannot wait on a socket and a wake-up at once, and a
/// single-threaded test issues its commands between steps. (The Zephyr glue's offloaded-socket
/// path slices its waits the same way.)
const SLICE: StdDuration = StdDuration::from_millis(5);

/// The wake-up: a flag set by `wake`, looked at before each wait of at most one `SLICE`.
#[derive(Clone)]
pub struct StdWaker {
    flag: Arc<AtomicBool>,
}

impl StdWaker {
    pub fn new() -> Self {
        StdWaker {
            flag: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Waker<StdLink> for StdWaker {
    fn wake(&self) {
        self.flag.store(true, Ordering::Release);
    }

    fn wait(&self, link: Option<&StdLink>, timeout: Option<Duration>) -> std::io::Result<Wake> {
        if self.flag.swap(false, Ordering::AcqRel) {
            return Ok(Wake::Woken);
        }
        let slice = timeout.map_or(SLICE, |t| {
            StdDuration::from_millis(t.total_millis()).min(SLICE)
        });
        match link {
            Some(link) if link.readable(slice)? => Ok(Wake::Readable),
            Some(_) => Ok(Wake::Timeout),
            None => {
                thread::sleep(slice);
                Ok(Wake::Timeout)
            }
        }
    }
}

/// A TCP link; readiness by `peek`.
pub struct StdLink {
    stream: TcpStream,
}

impl StdLink {
    /// Whether bytes (or the end of stream) arrive within `wait` (zero: just look).
    fn readable(&self, wait: StdDuration) -> std::io::Result<bool> {
        let mut b = [0u8; 1];
        let peeked = if wait.is_zero() {
            self.stream.set_nonblocking(true)?;
            let r = self.stream.peek(&mut b);
            self.stream.set_nonblocking(false)?;
            r
        } else {
            self.stream.set_read_timeout(Some(wait))?;
            self.stream.peek(&mut b)
        };
        match peeked {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

impl Link for StdLink {
    type Error = std::io::Error;

    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    fn recv(&mut self, buf: &mut [u8]) -> std::io::Result<Option<usize>> {
        // Called after `readable`: a blocking read returns what has arrived.
        self.stream.set_read_timeout(None)?;
        self.stream.read(buf).map(Some)
    }
}

/// Opens TCP links to `addr`.
pub struct StdConnector {
    pub addr: SocketAddr,
    pub attempts: usize,
}

impl StdConnector {
    pub fn new(addr: SocketAddr) -> Self {
        StdConnector { addr, attempts: 0 }
    }
}

impl Connector for StdConnector {
    type Link = StdLink;
    type Error = std::io::Error;

    fn connect(&mut self) -> Result<StdLink, std::io::Error> {
        self.attempts += 1;
        let stream = TcpStream::connect_timeout(&self.addr, StdDuration::from_secs(2))?;
        stream.set_nodelay(true)?;
        Ok(StdLink { stream })
    }
}

/// Everything the driver reported, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Connect(u8, bool),
    Message {
        topic: String,
        payload: Vec<u8>,
        qos: QoS,
        retain: bool,
    },
    Subscribe(u16, Vec<u8>),
    Unsubscribe(u16),
    Publish(u16),
    PublishFailed(u16, Failure),
    Disconnect(DisconnectReason, Option<Duration>),
    /// Reason string and user properties of a non-PUBLISH packet (MQTT 5.0).
    Properties(Option<String>, Vec<(String, String)>),
}

#[derive(Default)]
pub struct Recorder {
    pub seen: Vec<Seen>,
}

impl Recorder {
    pub fn messages(&self) -> Vec<(String, Vec<u8>, QoS)> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Message {
                    topic,
                    payload,
                    qos,
                    ..
                } => Some((topic.clone(), payload.clone(), *qos)),
                _ => None,
            })
            .collect()
    }
    pub fn published(&self) -> Vec<u16> {
        self.seen
            .iter()
            .filter_map(|s| {
                if let Seen::Publish(m) = s {
                    Some(*m)
                } else {
                    None
                }
            })
            .collect()
    }
    pub fn disconnects(&self) -> Vec<DisconnectReason> {
        self.seen
            .iter()
            .filter_map(|s| {
                if let Seen::Disconnect(r, _) = s {
                    Some(*r)
                } else {
                    None
                }
            })
            .collect()
    }
    pub fn connects(&self) -> Vec<(u8, bool)> {
        self.seen
            .iter()
            .filter_map(|s| {
                if let Seen::Connect(c, p) = s {
                    Some((*c, *p))
                } else {
                    None
                }
            })
            .collect()
    }
}

impl Handler for Recorder {
    fn on_connect(&mut self, rc: u8, session_present: bool) {
        self.seen.push(Seen::Connect(rc, session_present));
    }
    fn on_message(&mut self, msg: &Message<'_>) {
        self.seen.push(Seen::Message {
            topic: msg.topic.to_string(),
            payload: msg.payload.to_vec(),
            qos: msg.qos,
            retain: msg.retain,
        });
    }
    fn on_subscribe(&mut self, mid: PacketId, granted: &[ReasonCode]) {
        self.seen.push(Seen::Subscribe(
            mid.get(),
            granted.iter().map(|g| g.0).collect(),
        ));
    }
    fn on_unsubscribe(&mut self, mid: PacketId) {
        self.seen.push(Seen::Unsubscribe(mid.get()));
    }
    fn on_publish(&mut self, mid: PacketId) {
        self.seen.push(Seen::Publish(mid.get()));
    }
    fn on_publish_failed(&mut self, mid: PacketId, reason: Failure) {
        self.seen.push(Seen::PublishFailed(mid.get(), reason));
    }
    fn on_properties(&mut self, properties: &zmqtt::codec::Properties<'_>) {
        let users = properties
            .user_properties()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.seen.push(Seen::Properties(
            properties.reason_string().map(str::to_string),
            users,
        ));
    }
    fn on_disconnect(&mut self, reason: DisconnectReason, reconnect_in: Option<Duration>) {
        self.seen.push(Seen::Disconnect(reason, reconnect_in));
    }
}

/// xorshift64*: deterministic randomness from a seed printed by the test.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// A TCP proxy between the clients and the broker that cuts every connection through it after a
/// random number of forwarded bytes (so cuts land at random points of the packet stream).
pub struct FaultProxy {
    pub port: u16,
    pub cuts: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

struct ProxyShared {
    upstream: SocketAddr,
    conns: Mutex<Vec<(TcpStream, TcpStream)>>,
    /// Bytes left before the next cut (0 = cutting disabled).
    budget: AtomicU64,
    rng: Mutex<Rng>,
    min_bytes: u64,
    max_bytes: u64,
    cuts: Arc<AtomicUsize>,
    enabled: AtomicBool,
}

impl FaultProxy {
    /// Forwards to `upstream`; cuts after a random number of bytes in `min_bytes..=max_bytes`.
    pub fn start(
        upstream: SocketAddr,
        seed: u64,
        min_bytes: u64,
        max_bytes: u64,
    ) -> (FaultProxy, Arc<ProxyHandle>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let cuts = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut rng = Rng::new(seed);
        let first = rng.range(min_bytes, max_bytes);
        let shared = Arc::new(ProxyShared {
            upstream,
            conns: Mutex::new(Vec::new()),
            budget: AtomicU64::new(first),
            rng: Mutex::new(rng),
            min_bytes,
            max_bytes,
            cuts: cuts.clone(),
            enabled: AtomicBool::new(true),
        });
        let handle = Arc::new(ProxyHandle {
            shared: shared.clone(),
        });
        let stop2 = stop.clone();
        let accept = thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(shared.upstream) else {
                            // Broker down (restarting): the client sees the link close.
                            let _ = client.shutdown(Shutdown::Both);
                            continue;
                        };
                        let _ = client.set_nodelay(true);
                        let _ = server.set_nodelay(true);
                        shared
                            .conns
                            .lock()
                            .unwrap()
                            .push((client.try_clone().unwrap(), server.try_clone().unwrap()));
                        for (upstream, from, to) in [
                            (
                                true,
                                client.try_clone().unwrap(),
                                server.try_clone().unwrap(),
                            ),
                            (false, server, client),
                        ] {
                            let shared = shared.clone();
                            thread::spawn(move || pump(from, to, upstream, &shared));
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        thread::sleep(StdDuration::from_millis(1))
                    }
                    Err(_) => thread::sleep(StdDuration::from_millis(1)),
                }
            }
        });
        (
            FaultProxy {
                port,
                cuts,
                stop,
                accept: Some(accept),
            },
            handle,
        )
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

/// Control of a running proxy from other threads.
pub struct ProxyHandle {
    shared: Arc<ProxyShared>,
}

impl ProxyHandle {
    /// Cuts every connection now.
    pub fn cut_all(&self) {
        cut_all(&self.shared);
    }
    /// Turns random cutting on or off.
    pub fn set_cutting(&self, on: bool) {
        self.shared.enabled.store(on, Ordering::SeqCst);
    }
}

fn cut_all(shared: &ProxyShared) {
    let conns = std::mem::take(&mut *shared.conns.lock().unwrap());
    for (a, b) in conns {
        let _ = a.shutdown(Shutdown::Both);
        let _ = b.shutdown(Shutdown::Both);
    }
}

/// Forwards one direction. Only client-to-broker bytes count towards the next cut: a broker
/// flushing a backlog after a restart sends hundreds of kilobytes at once, and cutting inside every
/// such burst would starve the clients of any progress (a pathology of counting bytes, not of the
/// client); counting the clients' bytes still puts every cut at a random point of their stream,
/// while the broker's stream is cut wherever it happens to be.
fn pump(mut from: TcpStream, mut to: TcpStream, upstream: bool, shared: &ProxyShared) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let n = n as u64;
        if upstream && shared.enabled.load(Ordering::SeqCst) {
            let left = shared.budget.load(Ordering::SeqCst);
            if n >= left {
                // Forward only part of the chunk, then cut: the cut lands inside a packet.
                let part = left as usize;
                let _ = to.write_all(&buf[..part]);
                let next = {
                    let mut rng = shared.rng.lock().unwrap();
                    rng.range(shared.min_bytes, shared.max_bytes)
                };
                shared.budget.store(next, Ordering::SeqCst);
                shared.cuts.fetch_add(1, Ordering::SeqCst);
                cut_all(shared);
                break;
            }
            shared.budget.fetch_sub(n, Ordering::SeqCst);
        }
        if to.write_all(&buf[..n as usize]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// The engine of the integration tests, with the given capacities (`I`: the incoming QoS 2
/// table, by default the Zephyr default of 32).
pub type GenClient<
    const N: usize,
    const Q: usize,
    const B: usize,
    const T: usize,
    const I: usize = 32,
> = Client<'static, N, Q, B, T, I>;

/// The one I/O loop (`zmqtt::driver::Driver`, as on Zephyr) over std TCP, the client behind a
/// std mutex.
pub type GenDriver<
    const N: usize,
    const Q: usize,
    const B: usize,
    const T: usize,
    const I: usize = 32,
> = Driver<
    'static,
    'static,
    StdLock<GenClient<N, Q, B, T, I>>,
    StdConnector,
    StdWaker,
    StdClock,
    N,
    Q,
    B,
    T,
    I,
>;

/// The client type of the integration tests.
pub type TestDriver = GenDriver<16, 64, 16384, 1024>;

/// The client behind a driver's lock, for commands and getters from the test's thread (what
/// the Zephyr glue's API calls do; the test steps the driver itself, so no wake-up is needed).
pub trait LockedClient {
    type Client;
    fn client(&self) -> MutexGuard<'_, Self::Client>;
}

impl<const N: usize, const Q: usize, const B: usize, const T: usize, const I: usize> LockedClient
    for GenDriver<N, Q, B, T, I>
{
    type Client = GenClient<N, Q, B, T, I>;
    fn client(&self) -> MutexGuard<'_, Self::Client> {
        self.lock().0.lock().unwrap()
    }
}

/// Leaks a string for a `Config<'static>`.
pub fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Leaks a zeroed buffer of `len` bytes.
pub fn buffer(len: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; len].into_boxed_slice())
}

/// A driver for `config` connecting to `addr`, with 4 KiB buffers.
pub fn driver(config: zmqtt::client::Config<'static>, addr: SocketAddr) -> TestDriver {
    driver_with(config, addr)
}

/// Like `driver`, with other capacities.
pub fn driver_with<
    const N: usize,
    const Q: usize,
    const B: usize,
    const T: usize,
    const I: usize,
>(
    config: zmqtt::client::Config<'static>,
    addr: SocketAddr,
) -> GenDriver<N, Q, B, T, I> {
    let client = Client::new(config).expect("valid config");
    Driver::new(
        StdLock::new(client),
        StdConnector::new(addr),
        StdWaker::new(),
        StdClock::new(),
        buffer(4096),
        buffer(4096),
        buffer(256),
    )
}

/// Steps `d` until `done(recorder)` or the timeout; panics with the recorder on timeout.
pub fn run_until<const N: usize, const Q: usize, const B: usize, const T: usize, const I: usize>(
    d: &mut GenDriver<N, Q, B, T, I>,
    rec: &mut Recorder,
    secs: u64,
    mut done: impl FnMut(&Recorder) -> bool,
) {
    let deadline = StdInstant::now() + StdDuration::from_secs(secs);
    while !done(rec) {
        assert!(
            StdInstant::now() < deadline,
            "timed out; seen: {:#?}",
            rec.seen
        );
        d.step(rec);
    }
}

/// Steps `d` for `ms` milliseconds.
pub fn run_for(d: &mut TestDriver, rec: &mut Recorder, ms: u64) {
    let deadline = StdInstant::now() + StdDuration::from_millis(ms);
    while StdInstant::now() < deadline {
        d.step(rec);
    }
}

struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Warn || std::env::var("ZMQTT_TRACE").is_ok()
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata())
            && (r.level() <= log::Level::Warn
                || thread::current().name() == Some("sub")
                || std::env::var("ZMQTT_TRACE_ALL").is_ok())
        {
            eprintln!("[{}] {}", r.level(), r.args());
        }
    }
    fn flush(&self) {}
}

/// Sends the engine's warnings and errors to stderr (shown for failing tests); with ZMQTT_TRACE
/// set also every packet of the thread named "sub" (ZMQTT_TRACE_ALL: of every thread).
pub fn init_logger() {
    static LOGGER: StderrLogger = StderrLogger;
    let _ = log::set_logger(&LOGGER).map(|()| log::set_max_level(log::LevelFilter::Trace));
}
