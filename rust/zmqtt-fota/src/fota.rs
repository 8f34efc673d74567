//! The update state machine: offers, chunk requests, timeouts and the end of a download,
//! without I/O (see the crate doc for the wire protocol).

use core::fmt;

use heapless::Deque;

use crate::offer::{Offer, OfferError};
use crate::status::{FailReason, Status};
use crate::target::{FlashTarget, Progress};
use crate::text;
use crate::topic::{Incoming, OutTopic};

/// Limits and timing, fixed at construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The largest chunk the device can receive (bytes): the MQTT receive buffer less the
    /// PUBLISH header and topic. Offers with a larger `chunk` are refused.
    pub chunk_limit: u32,
    /// How long to wait for a requested chunk before asking again (milliseconds).
    pub request_timeout_ms: u64,
    /// Requests in a row that may go unanswered before the download fails with `timeout`.
    pub max_retries: u8,
}

impl Config {
    /// A configuration for chunks of at most `chunk_limit` bytes, with a 5 s request
    /// timeout and 5 retries (a backend silent for 30 s fails the download).
    pub const fn new(chunk_limit: u32) -> Self {
        Config {
            chunk_limit,
            request_timeout_ms: 5_000,
            max_retries: 5,
        }
    }
}

/// What the caller must do next, from [`Fota::poll_action`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Action {
    /// Publish the first `len` bytes of the buffer given to `poll_action` on
    /// `{prefix}/fw/{topic}` with QoS 1.
    Publish {
        /// Which topic below `{prefix}/fw/`.
        topic: OutTopic,
        /// Payload length in the caller's buffer.
        len: usize,
    },
    /// The upgrade is requested: let the queued publishes go out, then reboot.
    Reboot,
}

/// A chunk that was dropped, and why. None of these change the download: the device keeps
/// waiting for (and re-requests) the chunk it expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkError {
    /// No download is running (a late chunk of a finished or failed one).
    NotDownloading,
    /// The chunk starts before the next expected offset: a duplicate.
    Duplicate,
    /// The chunk starts after the next expected offset: one was lost or reordered.
    OutOfOrder,
    /// The topic's offset is not a decimal number (the backend's bug).
    BadOffset,
    /// The chunk is empty.
    Empty,
    /// The chunk is larger than the receive limit (the backend's bug).
    TooLarge {
        /// The chunk's length.
        len: usize,
        /// The device's limit.
        limit: u32,
    },
    /// The chunk runs past the offered image size (the backend's bug).
    PastEnd,
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::NotDownloading => f.write_str("chunk while no download runs"),
            ChunkError::Duplicate => f.write_str("duplicate chunk"),
            ChunkError::OutOfOrder => f.write_str("chunk out of order"),
            ChunkError::BadOffset => f.write_str("chunk topic's offset is not a number"),
            ChunkError::Empty => f.write_str("empty chunk"),
            ChunkError::TooLarge { len, limit } => {
                write!(
                    f,
                    "chunk of {len} bytes is over the receive limit of {limit}"
                )
            }
            ChunkError::PastEnd => f.write_str("chunk runs past the image size"),
        }
    }
}

impl core::error::Error for ChunkError {}

/// What was dropped or retried so far (for diagnostics and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Chunks at an offset already received.
    pub duplicates: u32,
    /// Chunks beyond the next expected offset.
    pub out_of_order: u32,
    /// Other dropped chunks (too large, empty, past the end, bad offset, no download).
    pub rejected: u32,
    /// Requests repeated after a timeout.
    pub timeouts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    /// A download is under way but waits for a connection (after a reboot or a link loss).
    Paused,
    Downloading {
        deadline: u64,
        retries: u8,
    },
    Rebooting,
    Confirmed,
    Failed(FailReason),
}

/// Status reports waiting for [`Fota::poll_action`]. Reports are state, so when the queue
/// is full the newest replaces the last one queued.
const STATUS_QUEUE: usize = 4;

/// The smallest buffer [`Fota::poll_action`] needs (the longest status is
/// `confirmed <32-byte version>`).
pub const ACTION_BUF_MIN: usize = 48;

/// The firmware-update state machine.
///
/// Method groups, as in the zmqtt client engine:
/// * getters: [`status`](Fota::status), [`progress`](Fota::progress),
///   [`counters`](Fota::counters);
/// * input: [`handle_connected`](Fota::handle_connected) after each (re)connect once
///   subscribed to `{prefix}/fw/offer` and `{prefix}/fw/chunk/+`,
///   [`handle_disconnected`](Fota::handle_disconnected),
///   [`handle_message`](Fota::handle_message) (or [`handle_offer`](Fota::handle_offer) /
///   [`handle_chunk`](Fota::handle_chunk)), [`handle_timeout`](Fota::handle_timeout);
/// * output: after any `handle_*` call, [`poll_action`](Fota::poll_action) until `None`,
///   then [`poll_timeout`](Fota::poll_timeout).
///
/// `now` is in milliseconds from any fixed origin and never goes backwards. The
/// [`FlashTarget`] is passed to each call rather than owned, so the caller keeps it where
/// its platform wants it.
#[derive(Debug)]
pub struct Fota {
    config: Config,
    /// The image being downloaded or last installed, as last saved to the target.
    progress: Option<Progress>,
    /// `FlashTarget::begin` has run for `progress` since this instance was made.
    begun: bool,
    phase: Phase,
    statuses: Deque<Status, STATUS_QUEUE>,
    /// A chunk request to publish: offset and length.
    request: Option<(u32, u32)>,
    reboot: bool,
    counters: Counters,
}

impl Fota {
    /// A state machine that picks up the progress `target` kept (a download interrupted by
    /// a reboot resumes at the next [`handle_connected`](Fota::handle_connected)).
    pub fn new(config: Config, target: &mut impl FlashTarget) -> Self {
        let progress = target.load_progress();
        let phase = match &progress {
            Some(p) if !p.is_complete() => Phase::Paused,
            _ => Phase::Idle,
        };
        Fota {
            config,
            progress,
            begun: false,
            phase,
            statuses: Deque::new(),
            request: None,
            reboot: false,
            counters: Counters::default(),
        }
    }

    /// The current state, as `{prefix}/fw/status` would report it.
    pub fn status(&self) -> Status {
        match (self.phase, &self.progress) {
            (Phase::Paused | Phase::Downloading { .. }, Some(p)) => Status::Downloading {
                next: p.next,
                size: p.size,
            },
            (Phase::Rebooting, _) => Status::Rebooting,
            (Phase::Confirmed, _) => Status::Confirmed(self.installed_version()),
            (Phase::Failed(reason), _) => Status::Failed(reason),
            _ => Status::Idle,
        }
    }

    /// The image being downloaded or last installed.
    pub fn progress(&self) -> Option<&Progress> {
        self.progress.as_ref()
    }

    /// Dropped chunks and timeouts so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The connection is up and the protocol's topics are subscribed: an unconfirmed image
    /// confirms itself (it got this far), a paused download asks for its next chunk, and
    /// the state is reported.
    pub fn handle_connected(&mut self, now: u64, target: &mut impl FlashTarget) {
        let downloading = matches!(self.phase, Phase::Paused | Phase::Downloading { .. });
        if !target.is_confirmed() {
            if target.confirm().is_err() {
                // Reported, not fatal to a download: MCUboot reverts at the next reset.
                self.statuses_push(Status::Failed(FailReason::Confirm));
                if !downloading {
                    self.phase = Phase::Failed(FailReason::Confirm);
                }
            } else if downloading {
                self.statuses_push(Status::Confirmed(self.installed_version()));
            } else {
                self.phase = Phase::Confirmed;
                self.push_status();
                return;
            }
        }
        if downloading {
            self.start(now, target);
        } else if !matches!(self.phase, Phase::Failed(FailReason::Confirm)) {
            self.push_status();
        }
    }

    /// The connection is lost: stop counting request timeouts until it is back.
    pub fn handle_disconnected(&mut self) {
        if let Phase::Downloading { .. } = self.phase {
            self.phase = Phase::Paused;
        }
        self.request = None;
    }

    /// Routes a received message: returns `false` when `topic` is not one of this
    /// protocol's topics under `prefix` (the message is someone else's). Bad offers and
    /// dropped chunks are reported in the status and the [`counters`](Fota::counters).
    pub fn handle_message(
        &mut self,
        now: u64,
        target: &mut impl FlashTarget,
        prefix: &str,
        topic: &str,
        payload: &[u8],
    ) -> bool {
        match Incoming::classify(prefix, topic) {
            None => return false,
            Some(Incoming::Offer) => {
                let _ = self.handle_offer(now, target, payload);
            }
            Some(Incoming::Chunk(offset)) => {
                let _ = self.handle_chunk(now, target, offset, payload);
            }
            Some(Incoming::BadChunkTopic) => self.counters.rejected += 1,
        }
        true
    }

    /// An offer arrived. A new hash starts a new download; the hash being downloaded
    /// resumes it (or asks again); the hash last installed is ignored. A refused offer is
    /// reported as `failed bad_offer`/`too_large` and changes nothing else.
    pub fn handle_offer(
        &mut self,
        now: u64,
        target: &mut impl FlashTarget,
        payload: &[u8],
    ) -> Result<(), OfferError> {
        let offer = Offer::parse(payload).and_then(|offer| {
            offer
                .check(self.config.chunk_limit, target.capacity())
                .map(|_| offer)
        });
        let offer = match offer {
            Ok(offer) => offer,
            Err(e) => {
                let reason = match e {
                    OfferError::ImageTooLarge { .. } => FailReason::TooLarge,
                    _ => FailReason::BadOffer,
                };
                // Report the refusal, then what is still going on.
                self.statuses_push(Status::Failed(reason));
                if !matches!(self.phase, Phase::Idle | Phase::Failed(_)) {
                    self.push_status();
                }
                return Err(e);
            }
        };
        if self.phase == Phase::Rebooting {
            // The slot holds an image waiting for its test boot: leave it alone.
            self.push_status();
            return Ok(());
        }
        match &mut self.progress {
            Some(p) if p.sha256 == offer.sha256 && p.size == offer.size => {
                if p.is_complete() {
                    self.push_status();
                    return Ok(());
                }
                p.chunk = offer.chunk;
                p.version = offer.version;
            }
            _ => {
                let progress = Progress {
                    next: 0,
                    size: offer.size,
                    sha256: offer.sha256,
                    chunk: offer.chunk,
                    version: offer.version,
                };
                if target.save_progress(Some(&progress)).is_err() {
                    self.fail(FailReason::Flash);
                    return Ok(());
                }
                self.progress = Some(progress);
                self.begun = false;
            }
        }
        self.start(now, target);
        Ok(())
    }

    /// A chunk arrived for `offset`. Only the next expected offset is taken; anything else
    /// is dropped, counted and returned as the error.
    pub fn handle_chunk(
        &mut self,
        now: u64,
        target: &mut impl FlashTarget,
        offset: u32,
        data: &[u8],
    ) -> Result<(), ChunkError> {
        let checked = self.check_chunk(offset, data);
        match checked {
            Ok(()) => {}
            Err(ChunkError::Duplicate) => self.counters.duplicates += 1,
            Err(ChunkError::OutOfOrder) => self.counters.out_of_order += 1,
            Err(_) => self.counters.rejected += 1,
        }
        checked?;
        let Some(p) = self.progress.as_mut() else {
            return Err(ChunkError::NotDownloading);
        };
        if target.write(offset, data).is_err() {
            self.fail(FailReason::Flash);
            return Ok(());
        }
        let before = p.next;
        // check_chunk: offset + len <= size, so this neither overflows nor passes size.
        p.next = offset + data.len() as u32;
        let (next, size) = (p.next, p.size);
        if next == size {
            // The last chunk's progress is saved only with the upgrade request (see
            // `finish`), so a reboot before that fetches the last chunk again.
            self.finish(target);
            return Ok(());
        }
        if target.save_progress(Some(p)).is_err() {
            self.fail(FailReason::Flash);
            return Ok(());
        }
        // Report progress every tenth of the image, not every chunk.
        let tenth = |n: u32| u64::from(n) * 10 / u64::from(size);
        if tenth(before) != tenth(next) {
            self.push_status();
        }
        self.request_next(now);
        Ok(())
    }

    /// Time passed: a chunk request unanswered past its deadline is repeated, and after
    /// [`Config::max_retries`] repeats the download fails with `timeout` (its progress is
    /// kept: a new offer resumes it). Calls before the deadline do nothing.
    pub fn handle_timeout(&mut self, now: u64) {
        let Phase::Downloading { deadline, retries } = self.phase else {
            return;
        };
        if now < deadline {
            return;
        }
        if retries >= self.config.max_retries {
            self.fail(FailReason::Timeout);
            return;
        }
        self.counters.timeouts += 1;
        self.request_next(now);
        self.phase = Phase::Downloading {
            deadline: now.saturating_add(self.config.request_timeout_ms),
            retries: retries + 1,
        };
    }

    /// The next thing to do, with its payload written to `buf` (at least
    /// [`ACTION_BUF_MIN`] bytes); `None` when there is nothing.
    pub fn poll_action(&mut self, buf: &mut [u8]) -> Option<Action> {
        debug_assert!(buf.len() >= ACTION_BUF_MIN);
        if let Some(status) = self.statuses.pop_front() {
            let len = text::format(buf, format_args!("{status}"))?;
            return Some(Action::Publish {
                topic: OutTopic::Status,
                len,
            });
        }
        if let Some((offset, len)) = self.request.take() {
            let len = text::format(buf, format_args!("{offset} {len}"))?;
            return Some(Action::Publish {
                topic: OutTopic::Get,
                len,
            });
        }
        if core::mem::take(&mut self.reboot) {
            return Some(Action::Reboot);
        }
        None
    }

    /// When [`handle_timeout`](Fota::handle_timeout) is next due, if ever.
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.phase {
            Phase::Downloading { deadline, .. } => Some(deadline),
            _ => None,
        }
    }

    /// The version of the last complete download (empty when unknown): what an image
    /// confirming itself reports.
    fn installed_version(&self) -> crate::offer::Version {
        self.progress
            .as_ref()
            .filter(|p| p.is_complete())
            .map(|p| p.version.clone())
            .unwrap_or_default()
    }

    fn check_chunk(&self, offset: u32, data: &[u8]) -> Result<(), ChunkError> {
        let (Phase::Downloading { .. }, Some(p)) = (self.phase, &self.progress) else {
            return Err(ChunkError::NotDownloading);
        };
        if data.is_empty() {
            return Err(ChunkError::Empty);
        }
        if data.len() > self.config.chunk_limit as usize {
            return Err(ChunkError::TooLarge {
                len: data.len(),
                limit: self.config.chunk_limit,
            });
        }
        if offset < p.next {
            return Err(ChunkError::Duplicate);
        }
        if offset > p.next {
            return Err(ChunkError::OutOfOrder);
        }
        // data.len() <= chunk_limit, a u32.
        if u64::from(offset) + data.len() as u64 > u64::from(p.size) {
            return Err(ChunkError::PastEnd);
        }
        Ok(())
    }

    /// Starts or resumes the download of `progress`: prepares the slot once, then asks
    /// for the next chunk.
    fn start(&mut self, now: u64, target: &mut impl FlashTarget) {
        let Some(p) = self.progress.as_mut() else {
            return;
        };
        if !self.begun {
            match target.begin(p.next) {
                Ok(at) => {
                    p.next = at.min(p.next);
                    self.begun = true;
                }
                Err(_) => {
                    self.fail(FailReason::Flash);
                    return;
                }
            }
        }
        self.request_next(now);
        self.push_status();
    }

    fn request_next(&mut self, now: u64) {
        let Some(p) = &self.progress else {
            return;
        };
        let len = p.chunk.min(p.size - p.next);
        self.request = Some((p.next, len));
        self.phase = Phase::Downloading {
            deadline: now.saturating_add(self.config.request_timeout_ms),
            retries: 0,
        };
    }

    /// All bytes are in: flush, verify, request the upgrade.
    fn finish(&mut self, target: &mut impl FlashTarget) {
        self.request = None;
        self.statuses_push(Status::Verifying);
        let Some(p) = &self.progress else {
            return;
        };
        if target.flush().is_err() {
            return self.fail(FailReason::Flash);
        }
        match target.check_sha256(p.size, &p.sha256) {
            Err(_) => return self.fail(FailReason::Flash),
            Ok(false) => {
                // The slot holds garbage: forget it, so that the same offer starts over.
                let _ = target.save_progress(None);
                self.progress = None;
                return self.fail(FailReason::HashMismatch);
            }
            Ok(true) => {}
        }
        if target.request_upgrade().is_err() {
            return self.fail(FailReason::Upgrade);
        }
        // Complete progress names the installed image, so that the same offer is not
        // downloaded again. Failing to keep it costs only that.
        let _ = target.save_progress(Some(p));
        self.phase = Phase::Rebooting;
        self.push_status();
        self.reboot = true;
    }

    fn fail(&mut self, reason: FailReason) {
        self.phase = Phase::Failed(reason);
        self.request = None;
        self.push_status();
    }

    fn push_status(&mut self) {
        self.statuses_push(self.status());
    }

    fn statuses_push(&mut self, status: Status) {
        if self.statuses.is_full() {
            self.statuses.pop_back();
        }
        let _ = self.statuses.push_back(status);
    }
}
