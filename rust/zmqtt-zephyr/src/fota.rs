//! Firmware update over MQTT (`CONFIG_ZMQTT_FOTA`): the `zmqtt-fota` state machine on
//! the client, with MCUboot's secondary slot, its flags and a settings record as its
//! [`FlashTarget`]. The protocol is in `rust/zmqtt-fota/README.md`.
//!
//! The application wires it up explicitly:
//! * from `on_connect` (rc 0): [`start`]`(prefix)`, which subscribes to
//!   `{prefix}/fw/offer` and `{prefix}/fw/chunk/+` and resumes or reports;
//! * from `on_message`: `if fota::handle_message(m.topic, m.payload) { return; }`;
//! * from `on_connect` with a negative rc (a lost connection): [`handle_disconnected`];
//! * from a loop: [`poll`] every few hundred milliseconds (request timeouts, and the
//!   reboot once the upgrade is requested).
use log::{info, warn};
use zephyr::sync::{Mutex, MutexGuard};
use zmqtt::MqttError;
use zmqtt_fota::{
    Action, Config, FlashTarget, Fota, OutTopic, Progress, Status, TargetError, ACTION_BUF_MIN,
    PROGRESS_LEN,
};

use crate::{client, config, sys};

/// The longest topic prefix (bytes).
pub const PREFIX_MAX: usize = 64;

/// The longest topic this module publishes or subscribes to: prefix, `/fw/chunk/+`.
const TOPIC_MAX: usize = PREFIX_MAX + 16;

/// Bytes of a chunk PUBLISH that are not payload, besides the topic: fixed header (5),
/// topic length (2), packet id (2), MQTT 5.0 properties (a length and some room).
const PUBLISH_OVERHEAD: usize = 5 + 2 + 2 + 16;

/// How long the `rebooting` status has to reach the broker before the reboot (ms).
const REBOOT_GRACE_MS: u64 = 2_000;

/// Progress is written to settings at most every this many flushed bytes (and at the
/// start and end of a download): each write wears the settings partition, and a reboot
/// costs at most this much again.
const SAVE_STEP: u32 = 4096;

/// The secondary slot, MCUboot's flags and the settings record.
struct ZephyrFlash {
    /// The `next` of the record last written, for [`SAVE_STEP`].
    saved_next: Option<u32>,
}

fn target_error(e: sys::Errno) -> TargetError {
    TargetError(e.0)
}

impl FlashTarget for ZephyrFlash {
    fn capacity(&self) -> u32 {
        sys::fota::capacity()
    }

    fn begin(&mut self, resume_at: u32) -> Result<u32, TargetError> {
        let at = sys::fota::begin(resume_at).map_err(target_error)?;
        info!("fota: writing slot 1 from {at}");
        Ok(at)
    }

    fn write(&mut self, _offset: u32, data: &[u8]) -> Result<(), TargetError> {
        // flash_img writes in order; the state machine promises the offsets follow on.
        sys::fota::write(data).map_err(target_error)
    }

    fn flush(&mut self) -> Result<(), TargetError> {
        sys::fota::flush().map_err(target_error)
    }

    fn check_sha256(&mut self, size: u32, sha256: &[u8; 32]) -> Result<bool, TargetError> {
        sys::fota::check_sha256(size, sha256).map_err(target_error)
    }

    fn request_upgrade(&mut self) -> Result<(), TargetError> {
        sys::fota::request_upgrade().map_err(target_error)
    }

    fn save_progress(&mut self, progress: Option<&Progress>) -> Result<(), TargetError> {
        let Some(p) = progress else {
            self.saved_next = None;
            return sys::fota::save(&[]).map_err(target_error);
        };
        let mut kept = p.clone();
        if !p.is_complete() {
            // Only what reached flash survives a reboot; flash_img's buffer does not.
            kept.next = p.next.min(sys::fota::bytes_written());
            if let Some(saved) = self.saved_next {
                if kept.next != 0 && kept.next >= saved && kept.next - saved < SAVE_STEP {
                    return Ok(());
                }
            }
        }
        self.saved_next = Some(kept.next);
        sys::fota::save(&kept.to_bytes()).map_err(target_error)
    }

    fn load_progress(&mut self) -> Option<Progress> {
        let mut buf = [0u8; PROGRESS_LEN];
        let len = sys::fota::load(&mut buf).ok()?;
        let progress = Progress::from_bytes(&buf[..len]);
        if len != 0 && progress.is_none() {
            warn!("fota: ignoring a corrupt progress record");
        }
        self.saved_next = progress.as_ref().map(|p| p.next);
        progress
    }

    fn is_confirmed(&mut self) -> bool {
        sys::fota::is_confirmed()
    }

    fn confirm(&mut self) -> Result<(), TargetError> {
        let r = sys::fota::confirm().map_err(target_error);
        if r.is_ok() {
            info!("fota: image confirmed");
        }
        r
    }
}

struct Updater {
    fota: Fota,
    flash: ZephyrFlash,
    prefix: heapless::String<PREFIX_MAX>,
    /// When to reboot, once the upgrade is requested.
    reboot_at: Option<u64>,
}

static UPDATER: Mutex<Option<Updater>> = Mutex::new(None);

fn updater() -> MutexGuard<'static, Option<Updater>> {
    UPDATER.lock().unwrap_or_else(|never| match never {})
}

impl Updater {
    /// Performs what the state machine asks: publishes at QoS 1, schedules the reboot.
    fn drain(&mut self, now: u64) {
        let mut buf = [0u8; ACTION_BUF_MIN];
        while let Some(action) = self.fota.poll_action(&mut buf) {
            match action {
                Action::Publish { topic, len } => {
                    let name = self.topic(topic.suffix());
                    if topic == OutTopic::Status {
                        info!(
                            "fota: status {}",
                            core::str::from_utf8(&buf[..len]).unwrap_or("")
                        );
                    }
                    let options = client::PublishOptions {
                        qos: 1,
                        ..client::PublishOptions::default()
                    };
                    if let Err(e) = client::publish(&name, &buf[..len], &options) {
                        // A lost request is asked again at its timeout.
                        warn!("fota: publish on {name} failed: {}", e.code());
                    }
                }
                Action::Reboot => {
                    info!("fota: upgrade requested, rebooting in {REBOOT_GRACE_MS} ms");
                    self.reboot_at = Some(now + REBOOT_GRACE_MS);
                }
            }
        }
    }

    fn topic(&self, suffix: &str) -> heapless::String<TOPIC_MAX> {
        let mut t = heapless::String::new();
        // TOPIC_MAX holds the longest prefix and suffix.
        let _ = t.push_str(&self.prefix);
        let _ = t.push_str("/fw/");
        let _ = t.push_str(suffix);
        t
    }
}

/// Starts (or, after a reconnect, resumes) the update service under `prefix`: subscribes
/// to its topics at QoS 1, confirms a new image that has not been confirmed yet, asks
/// for the next chunk of a download in progress, and reports the status. Call it from
/// `on_connect` after every successful connect.
pub fn start(prefix: &str) -> Result<(), MqttError> {
    if prefix.is_empty() || prefix.len() > PREFIX_MAX {
        return Err(MqttError::TopicNameTruncated);
    }
    let now = sys::uptime_ms();
    let mut guard = updater();
    if guard.as_ref().map(|u| u.prefix.as_str()) != Some(prefix) {
        let mut flash = ZephyrFlash { saved_next: None };
        let topic_len = prefix.len() + "/fw/chunk/4294967295".len();
        let chunk_limit = config::RX_BUFFER_SIZE.saturating_sub(PUBLISH_OVERHEAD + topic_len);
        let fota = Fota::new(
            Config {
                chunk_limit: chunk_limit as u32,
                request_timeout_ms: config::FOTA_REQUEST_TIMEOUT_MS,
                max_retries: config::FOTA_MAX_RETRIES,
            },
            &mut flash,
        );
        let mut p = heapless::String::new();
        let _ = p.push_str(prefix);
        info!("fota: ready under {prefix}/fw/, chunks up to {chunk_limit} bytes");
        *guard = Some(Updater {
            fota,
            flash,
            prefix: p,
            reboot_at: None,
        });
    }
    let Some(u) = guard.as_mut() else {
        return Err(MqttError::Failure);
    };
    let (offer, chunk) = (u.topic("offer"), u.topic("chunk/+"));
    client::subscribe(&[(offer.as_str(), 1), (chunk.as_str(), 1)])?;
    u.fota.handle_connected(now, &mut u.flash);
    u.drain(now);
    Ok(())
}

/// Hands a received message to the update service: `true` when it was one of its topics
/// (the application should not look at it further).
pub fn handle_message(topic: &str, payload: &[u8]) -> bool {
    let now = sys::uptime_ms();
    let mut guard = updater();
    let Some(u) = guard.as_mut() else {
        return false;
    };
    let prefix = u.prefix.clone();
    let handled = u
        .fota
        .handle_message(now, &mut u.flash, &prefix, topic, payload);
    u.drain(now);
    handled
}

/// The connection is lost: request timeouts stop counting until [`start`] runs again.
pub fn handle_disconnected() {
    if let Some(u) = updater().as_mut() {
        u.fota.handle_disconnected();
    }
}

/// Drives time: repeats unanswered chunk requests, fails a download whose backend stays
/// silent, and reboots once an upgrade is requested and its status had time to go out.
/// Returns the milliseconds until it next needs calling (at most `max_ms`).
pub fn poll(max_ms: u64) -> u64 {
    let now = sys::uptime_ms();
    let mut guard = updater();
    let Some(u) = guard.as_mut() else {
        return max_ms;
    };
    u.fota.handle_timeout(now);
    u.drain(now);
    if let Some(at) = u.reboot_at {
        if now >= at {
            info!("fota: rebooting");
            drop(guard);
            sys::fota::reboot();
            return max_ms;
        }
        return (at - now).min(max_ms);
    }
    u.fota
        .poll_timeout()
        .map_or(max_ms, |t| t.saturating_sub(now).min(max_ms))
}

/// The update's current status, as `{prefix}/fw/status` reports it (`idle` before
/// [`start`]).
pub fn status() -> Status {
    updater().as_ref().map_or(Status::Idle, |u| u.fota.status())
}

/// One line for `mqtt fw status`: the status, then what was dropped or repeated.
#[cfg_attr(not(CONFIG_SHELL), allow(dead_code))]
pub(crate) fn status_line() -> heapless::String<128> {
    let mut line = heapless::String::new();
    let guard = updater();
    let _ = match guard.as_ref() {
        None => core::fmt::write(&mut line, format_args!("idle (not started)")),
        Some(u) => {
            let c = u.fota.counters();
            core::fmt::write(
                &mut line,
                format_args!(
                    "{} (duplicates {}, out of order {}, rejected {}, timeouts {})",
                    u.fota.status(),
                    c.duplicates,
                    c.out_of_order,
                    c.rejected,
                    c.timeouts
                ),
            )
        }
    };
    line
}
