//! The update state machine against a fake flash (a `Vec`, hashed with the `sha2` crate)
//! and a scripted backend that answers chunk requests from an image.

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use zmqtt_fota::{
    Action, ChunkError, Config, FlashTarget, Fota, OfferError, OutTopic, Progress, TargetError,
};

const PREFIX: &str = "dock-1";
const PAGE: u32 = 1024;

/// A secondary slot in RAM that erases by page on `begin`, like `flash_img_init` with
/// stream-flash erase, and hashes with an independent SHA-256.
struct FakeFlash {
    slot: Vec<u8>,
    saved: Option<Progress>,
    upgrade_requested: bool,
    confirmed: bool,
    confirm_fails: bool,
    begins: Vec<u32>,
    /// Where the next write must land: checks the in-order promise of `FlashTarget`.
    cursor: Option<u32>,
}

impl FakeFlash {
    fn new(capacity: usize) -> Self {
        FakeFlash {
            slot: vec![0xff; capacity],
            saved: None,
            upgrade_requested: false,
            confirmed: true,
            confirm_fails: false,
            begins: Vec::new(),
            cursor: None,
        }
    }
}

impl FlashTarget for FakeFlash {
    fn capacity(&self) -> u32 {
        self.slot.len() as u32
    }
    fn begin(&mut self, resume_at: u32) -> Result<u32, TargetError> {
        let at = resume_at / PAGE * PAGE;
        self.slot[at as usize..].fill(0xff);
        self.begins.push(at);
        self.cursor = Some(at);
        Ok(at)
    }
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), TargetError> {
        assert_eq!(self.cursor, Some(offset), "writes must continue in order");
        let o = offset as usize;
        self.slot[o..o + data.len()].copy_from_slice(data);
        self.cursor = Some(offset + data.len() as u32);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), TargetError> {
        Ok(())
    }
    fn check_sha256(&mut self, size: u32, sha256: &[u8; 32]) -> Result<bool, TargetError> {
        Ok(Sha256::digest(&self.slot[..size as usize]).as_slice() == sha256)
    }
    fn request_upgrade(&mut self) -> Result<(), TargetError> {
        self.upgrade_requested = true;
        Ok(())
    }
    fn save_progress(&mut self, progress: Option<&Progress>) -> Result<(), TargetError> {
        self.saved = progress.cloned();
        Ok(())
    }
    fn load_progress(&mut self) -> Option<Progress> {
        self.saved.clone()
    }
    fn is_confirmed(&mut self) -> bool {
        self.confirmed
    }
    fn confirm(&mut self) -> Result<(), TargetError> {
        if self.confirm_fails {
            return Err(TargetError(-5));
        }
        self.confirmed = true;
        Ok(())
    }
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn image(len: usize, seed: u64) -> Vec<u8> {
    // Any non-zero seed works; distinct seeds give distinct streams.
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn offer_for(image: &[u8], chunk: u32, version: &str) -> String {
    let hash: String = Sha256::digest(image)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "version={version} size={} sha256={hash} chunk={chunk}",
        image.len()
    )
}

/// The device side of a test: the state machine, its flash, the clock, and what it
/// published.
struct Device {
    fota: Fota,
    flash: FakeFlash,
    now: u64,
    statuses: Vec<String>,
    gets: Vec<(u32, u32)>,
    reboots: u32,
}

impl Device {
    fn new(config: Config, mut flash: FakeFlash) -> Self {
        let fota = Fota::new(config, &mut flash);
        Device {
            fota,
            flash,
            now: 0,
            statuses: Vec::new(),
            gets: Vec::new(),
            reboots: 0,
        }
    }

    /// Power cycle: a new state machine on the same flash.
    fn reboot(self) -> Self {
        let mut d = Device::new(CONFIG, self.flash);
        d.now = self.now;
        d
    }

    fn drain(&mut self) {
        let mut buf = [0u8; 64];
        while let Some(action) = self.fota.poll_action(&mut buf) {
            match action {
                Action::Publish {
                    topic: OutTopic::Status,
                    len,
                } => self
                    .statuses
                    .push(String::from_utf8(buf[..len].to_vec()).unwrap()),
                Action::Publish {
                    topic: OutTopic::Get,
                    len,
                } => {
                    // Parsed here independently of the crate: "<offset> <length>".
                    let text = std::str::from_utf8(&buf[..len]).unwrap();
                    let (o, l) = text.split_once(' ').unwrap();
                    self.gets.push((o.parse().unwrap(), l.parse().unwrap()));
                }
                Action::Reboot => self.reboots += 1,
            }
        }
    }

    fn connected(&mut self) {
        self.fota.handle_connected(self.now, &mut self.flash);
        self.drain();
    }

    fn message(&mut self, topic: &str, payload: &[u8]) -> bool {
        let handled = self
            .fota
            .handle_message(self.now, &mut self.flash, PREFIX, topic, payload);
        self.drain();
        handled
    }

    fn offer(&mut self, text: &str) {
        assert!(self.message(&format!("{PREFIX}/fw/offer"), text.as_bytes()));
    }

    fn chunk(&mut self, offset: u32, data: &[u8]) -> Result<(), ChunkError> {
        let r = self
            .fota
            .handle_chunk(self.now, &mut self.flash, offset, data);
        self.drain();
        r
    }

    fn advance(&mut self, ms: u64) {
        self.now += ms;
        self.fota.handle_timeout(self.now);
        self.drain();
    }

    fn last_get(&self) -> (u32, u32) {
        *self.gets.last().expect("a chunk request")
    }

    /// Plays the backend: answers the latest request from `image` until the device stops
    /// asking or `max` chunks went out. Returns the number of chunks served.
    fn serve(&mut self, image: &[u8], max: usize) -> usize {
        let mut served = 0;
        let mut answered = self.gets.len();
        while served < max && answered > 0 && answered <= self.gets.len() {
            let (o, l) = self.gets[answered - 1];
            let end = (o + l) as usize;
            let topic = format!("{PREFIX}/fw/chunk/{o}");
            answered = self.gets.len() + 1;
            assert!(self.message(&topic, &image[o as usize..end]));
            served += 1;
        }
        served
    }
}

const CONFIG: Config = Config::new(512);

fn slot_has(flash: &FakeFlash, image: &[u8]) -> bool {
    &flash.slot[..image.len()] == image
}

#[test]
fn a_full_download_is_verified_then_the_upgrade_is_requested() {
    let img = image(10_000, 1);
    let mut d = Device::new(CONFIG, FakeFlash::new(64 * 1024));
    d.connected();
    assert_eq!(d.statuses, ["idle"]);
    d.offer(&offer_for(&img, 512, "1.2.0"));
    assert_eq!(d.gets, [(0, 512)]);
    let served = d.serve(&img, 1000);
    assert_eq!(served, 20, "10 000 bytes in 512-byte chunks");
    assert_eq!(
        *d.gets.last().unwrap(),
        (9728, 272),
        "the last request asks for the rest"
    );
    assert!(slot_has(&d.flash, &img));
    assert!(d.flash.upgrade_requested);
    assert_eq!(d.reboots, 1);
    // Progress every tenth, then the end of the story.
    assert_eq!(d.statuses[1], "downloading 0/10000");
    assert!(d.statuses[2..d.statuses.len() - 2]
        .iter()
        .all(|s| s.starts_with("downloading ")));
    assert!(d.statuses.len() >= 8, "{:?}", d.statuses);
    assert_eq!(
        d.statuses[d.statuses.len() - 2..],
        ["verifying", "rebooting"]
    );
    assert!(d.fota.poll_timeout().is_none());
    // The installed image's offer, delivered again (retained), starts nothing.
    let gets = d.gets.len();
    d.offer(&offer_for(&img, 512, "1.2.0"));
    assert_eq!(d.gets.len(), gets);
}

#[test]
fn duplicate_and_out_of_order_chunks_are_dropped_and_counted() {
    let img = image(2048, 2);
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.connected();
    d.offer(&offer_for(&img, 512, "2"));
    assert_eq!(d.chunk(512, &img[512..1024]), Err(ChunkError::OutOfOrder));
    assert_eq!(d.chunk(0, &img[0..512]), Ok(()));
    assert_eq!(d.chunk(0, &img[0..512]), Err(ChunkError::Duplicate));
    assert_eq!(d.chunk(1024, &img[1024..1536]), Err(ChunkError::OutOfOrder));
    // A short chunk at the right offset is fine: the next request continues after it.
    assert_eq!(d.chunk(512, &img[512..600]), Ok(()));
    assert_eq!(d.last_get(), (600, 512));
    let c = d.fota.counters();
    assert_eq!((c.duplicates, c.out_of_order), (1, 2));
    d.serve(&img, 100);
    assert!(slot_has(&d.flash, &img));
    assert!(d.flash.upgrade_requested);
}

#[test]
fn bad_chunks_are_typed_errors_that_change_nothing() {
    let img = image(2000, 3);
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.connected();
    assert_eq!(d.chunk(0, &img[..10]), Err(ChunkError::NotDownloading));
    d.offer(&offer_for(&img, 512, "3"));
    assert_eq!(
        d.chunk(0, &[0u8; 513]),
        Err(ChunkError::TooLarge {
            len: 513,
            limit: 512
        })
    );
    assert_eq!(d.chunk(0, &[]), Err(ChunkError::Empty));
    assert!(d.message(&format!("{PREFIX}/fw/chunk/x1"), b"abc"));
    assert!(!d.message("elsewhere/fw/chunk/0", b"abc"));
    assert_eq!(d.fota.counters().rejected, 4);
    d.serve(&img, 3);
    assert_eq!(d.last_get(), (1536, 464));
    assert_eq!(d.chunk(1536, &[0u8; 465]), Err(ChunkError::PastEnd));
    d.serve(&img, 1);
    assert!(slot_has(&d.flash, &img));
}

#[test]
fn a_download_resumes_after_a_reboot_from_the_kept_progress() {
    let img = image(5000, 4);
    let mut d = Device::new(CONFIG, FakeFlash::new(8192));
    d.connected();
    d.offer(&offer_for(&img, 500, "4"));
    d.serve(&img, 5); // 2500 bytes in
    assert_eq!(d.flash.saved.as_ref().unwrap().next, 2500);
    let mut d = d.reboot();
    assert_eq!(d.fota.status().to_string(), "downloading 2500/5000");
    assert!(
        d.gets.is_empty(),
        "nothing is asked before the connection is up"
    );
    d.connected();
    // The fake flash erases by 1 KiB page: the download steps back to 2048.
    assert_eq!(d.flash.begins, [0, 2048]);
    assert_eq!(d.gets, [(2048, 500)]);
    assert_eq!(d.statuses, ["downloading 2048/5000"]);
    d.serve(&img, 100);
    assert!(slot_has(&d.flash, &img));
    assert!(d.flash.upgrade_requested);
}

#[test]
fn a_link_cut_pauses_the_timeouts_and_the_reconnect_asks_again() {
    let img = image(3000, 5);
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.connected();
    d.offer(&offer_for(&img, 512, "5"));
    d.serve(&img, 2);
    d.fota.handle_disconnected();
    d.advance(600_000);
    assert_eq!(d.fota.counters().timeouts, 0);
    assert!(d.fota.poll_timeout().is_none());
    d.connected();
    assert_eq!(d.last_get(), (1024, 512));
    assert_eq!(d.flash.begins, [0], "the slot is prepared once per boot");
    d.serve(&img, 100);
    assert!(slot_has(&d.flash, &img));
}

#[test]
fn a_hash_mismatch_requests_no_upgrade() {
    let img = image(3000, 6);
    let other = image(3000, 60);
    assert_ne!(img, other);
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.connected();
    d.offer(&offer_for(&other, 512, "6"));
    d.serve(&img, 100);
    assert!(!d.flash.upgrade_requested);
    assert_eq!(d.reboots, 0);
    assert_eq!(
        d.statuses[d.statuses.len() - 2..],
        ["verifying", "failed hash_mismatch"]
    );
    assert_eq!(d.flash.saved, None, "the garbage is forgotten");
    // The same offer again starts over from 0.
    d.offer(&offer_for(&other, 512, "6"));
    assert_eq!(d.last_get(), (0, 512));
}

#[test]
fn oversize_offers_are_refused_with_a_typed_error() {
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.connected();
    let mut flash = FakeFlash::new(4096);
    let mut fota = Fota::new(CONFIG, &mut flash);
    let big_chunk = offer_for(&image(1000, 8), 513, "8");
    assert_eq!(
        fota.handle_offer(0, &mut flash, big_chunk.as_bytes()),
        Err(OfferError::ChunkTooLarge {
            offered: 513,
            limit: 512
        })
    );
    let big_image = offer_for(&image(4097, 8), 512, "8");
    assert_eq!(
        fota.handle_offer(0, &mut flash, big_image.as_bytes()),
        Err(OfferError::ImageTooLarge {
            offered: 4097,
            capacity: 4096
        })
    );
    d.offer(&big_chunk);
    d.offer(&big_image);
    d.offer("size=lots");
    assert_eq!(
        d.statuses,
        [
            "idle",
            "failed bad_offer",
            "failed too_large",
            "failed bad_offer"
        ]
    );
    assert!(d.gets.is_empty());
    assert_eq!(d.flash.saved, None);
}

#[test]
fn a_bad_offer_during_a_download_does_not_stop_it() {
    let img = image(2000, 9);
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.connected();
    d.offer(&offer_for(&img, 512, "9"));
    d.serve(&img, 1);
    d.offer("garbage");
    assert_eq!(
        d.statuses[d.statuses.len() - 2..],
        ["failed bad_offer", "downloading 512/2000"]
    );
    d.serve(&img, 100);
    assert!(slot_has(&d.flash, &img) && d.flash.upgrade_requested);
}

#[test]
fn a_silent_backend_is_asked_again_then_the_download_fails() {
    let img = image(2000, 10);
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.connected();
    d.offer(&offer_for(&img, 512, "10"));
    d.serve(&img, 1);
    assert_eq!(d.poll_deadline(), 5_000);
    d.advance(4_999);
    assert_eq!(d.gets.len(), 2, "not yet due");
    for i in 0..5 {
        d.advance(1);
        assert_eq!(d.gets.len(), 3 + i);
        assert_eq!(d.last_get(), (512, 512));
        d.advance(4_999);
    }
    d.advance(1);
    assert_eq!(d.gets.len(), 7, "no sixth repeat");
    assert_eq!(d.statuses.last().unwrap(), "failed timeout");
    assert_eq!(d.fota.counters().timeouts, 5);
    assert!(d.fota.poll_timeout().is_none());
    // The backend comes back: the same offer resumes where it stopped.
    d.offer(&offer_for(&img, 512, "10"));
    assert_eq!(d.last_get(), (512, 512));
    d.serve(&img, 100);
    assert!(slot_has(&d.flash, &img) && d.flash.upgrade_requested);
}

impl Device {
    fn poll_deadline(&self) -> u64 {
        self.fota.poll_timeout().expect("a deadline")
    }
}

#[test]
fn an_offer_with_another_hash_restarts_the_download() {
    let a = image(3000, 11);
    let b = image(2500, 12);
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.connected();
    d.offer(&offer_for(&a, 512, "a"));
    d.serve(&a, 3);
    d.offer(&offer_for(&b, 256, "b"));
    assert_eq!(d.last_get(), (0, 256));
    assert_eq!(d.statuses.last().unwrap(), "downloading 0/2500");
    // A late chunk of the first image at the expected offset would be taken, so backends
    // must serve only their current offer; one at another offset is dropped.
    assert_eq!(d.chunk(1536, &a[1536..2048]), Err(ChunkError::OutOfOrder));
    d.serve(&b, 100);
    assert!(slot_has(&d.flash, &b) && d.flash.upgrade_requested);
    assert_eq!(d.flash.saved.as_ref().unwrap().version.as_str(), "b");
}

#[test]
fn the_new_image_confirms_itself_once_connected() {
    let img = image(1500, 13);
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.connected();
    d.offer(&offer_for(&img, 512, "2.0.0"));
    d.serve(&img, 100);
    assert_eq!(d.reboots, 1);
    // MCUboot swapped; the new image runs unconfirmed.
    d.flash.confirmed = false;
    let mut d = d.reboot();
    assert!(!d.flash.confirmed, "not before it has connected");
    d.connected();
    assert!(d.flash.confirmed);
    assert_eq!(d.statuses, ["confirmed 2.0.0"]);
    // Later connects just report.
    d.connected();
    assert_eq!(d.statuses.len(), 2);
}

#[test]
fn a_failed_confirm_is_reported_and_a_paused_download_still_resumes() {
    let img = image(3000, 15);
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.connected();
    d.offer(&offer_for(&img, 512, "3.0"));
    d.serve(&img, 2);
    let mut d = d.reboot();
    d.flash.confirmed = false;
    d.flash.confirm_fails = true;
    d.connected();
    assert_eq!(d.statuses, ["failed confirm", "downloading 1024/3000"]);
    assert_eq!(d.last_get(), (1024, 512));
    d.serve(&img, 100);
    assert!(slot_has(&d.flash, &img) && d.flash.upgrade_requested);
    // Idle and unconfirmed: the failure is the state.
    let mut d = Device::new(CONFIG, FakeFlash::new(4096));
    d.flash.confirmed = false;
    d.flash.confirm_fails = true;
    d.connected();
    assert_eq!(d.statuses, ["failed confirm"]);
    assert_eq!(d.fota.status().to_string(), "failed confirm");
}

#[derive(Debug, Clone)]
enum Input {
    Offer(Vec<u8>),
    GoodOffer { size: u16, chunk: u16 },
    Chunk { offset: u32, len: u16 },
    Topic(String),
    Advance(u32),
    Connected,
    Disconnected,
    Reboot,
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..120).prop_map(Input::Offer),
        (1u16..3000, 1u16..700).prop_map(|(size, chunk)| Input::GoodOffer { size, chunk }),
        (0u32..4000, 0u16..700).prop_map(|(offset, len)| Input::Chunk { offset, len }),
        "[a-z0-9/+#-]{0,24}".prop_map(Input::Topic),
        (0u32..20_000).prop_map(Input::Advance),
        Just(Input::Connected),
        Just(Input::Disconnected),
        Just(Input::Reboot),
    ]
}

proptest! {
    /// Random offers, chunks, topics, time and link events never panic, never write out
    /// of order (FakeFlash asserts it) and keep the progress within the image.
    #[test]
    fn random_input_never_panics(inputs in proptest::collection::vec(input(), 1..60)) {
        let img = image(3000, 14);
        let mut d = Device::new(CONFIG, FakeFlash::new(2048));
        for i in inputs {
            match i {
                Input::Offer(bytes) => { d.message(&format!("{PREFIX}/fw/offer"), &bytes); }
                Input::GoodOffer { size, chunk } => {
                    d.offer(&offer_for(&img[..size as usize], u32::from(chunk), "p"));
                }
                Input::Chunk { offset, len } => {
                    let end = (offset as usize + len as usize).min(img.len());
                    let start = (offset as usize).min(end);
                    let _ = d.chunk(offset, &img[start..end]);
                }
                Input::Topic(t) => { d.message(&format!("{PREFIX}/fw/{t}"), b"1 2"); }
                Input::Advance(ms) => d.advance(u64::from(ms)),
                Input::Connected => d.connected(),
                Input::Disconnected => d.fota.handle_disconnected(),
                Input::Reboot => d = d.reboot(),
            }
            if let Some(p) = d.fota.progress() {
                prop_assert!(p.next <= p.size);
                prop_assert!(p.size <= 2048);
            }
        }
    }
}
