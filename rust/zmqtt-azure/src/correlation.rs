//! Request-id correlation: which twin or DPS request an answer belongs to, and which ones the hub
//! never answered.
//!
//! [`PendingRequests`] is a fixed table of `N` outstanding requests, each with the `$rid` it was
//! sent with, its kind and its deadline. It follows the sans-IO shape of the client engine:
//!
//! - [`PendingRequests::start`] when publishing a request: it picks the `$rid` to put in the
//!   topic and records the deadline;
//! - [`PendingRequests::complete`] with the `$rid` and status of a parsed answer
//!   ([`crate::twin::TwinResponse`], [`crate::dps::DpsResponse`]);
//! - [`PendingRequests::poll_timeout`] for the earliest deadline, and
//!   [`PendingRequests::handle_timeout`] when it has passed; calling it early does no harm;
//! - [`PendingRequests::cancel_all`] when the connection is lost: answers to requests sent on
//!   a dead connection never come.
//!
//! `now` must never go backwards.

use core::fmt;

use zmqtt::{Duration, Instant};

/// What a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Twin GET.
    TwinGet,
    /// Twin PATCH of reported properties.
    TwinPatch,
    /// DPS registration.
    DpsRegister,
    /// DPS operation status poll.
    DpsPoll,
}

/// A request that got its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completed {
    /// The `$rid` it was sent with.
    pub rid: u32,
    /// What it asked for.
    pub kind: RequestKind,
    /// The answer's status.
    pub status: u16,
}

/// A request that got no answer in time (or was cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    /// The `$rid` it was sent with.
    pub rid: u32,
    /// What it asked for.
    pub kind: RequestKind,
}

/// Why a request could not be started or an answer matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationError {
    /// All `N` slots hold outstanding requests: wait for answers or timeouts.
    TableFull,
    /// No outstanding request has this `$rid` (late answer after a timeout, or not ours).
    UnknownRequestId,
}

impl fmt::Display for CorrelationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CorrelationError::TableFull => "too many outstanding requests",
            CorrelationError::UnknownRequestId => "no outstanding request has this $rid",
        })
    }
}

impl core::error::Error for CorrelationError {}

#[derive(Debug, Clone, Copy)]
struct Slot {
    rid: u32,
    kind: RequestKind,
    deadline: Instant,
}

/// Up to `N` outstanding requests, keyed by `$rid` (see the module doc).
#[derive(Debug)]
pub struct PendingRequests<const N: usize> {
    slots: [Option<Slot>; N],
    next_rid: u32,
}

impl<const N: usize> Default for PendingRequests<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> PendingRequests<N> {
    /// An empty table; the first `$rid` is 1.
    pub const fn new() -> Self {
        PendingRequests {
            slots: [None; N],
            next_rid: 1,
        }
    }

    /// How many requests are outstanding.
    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// True when no request is outstanding.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn in_use(&self, rid: u32) -> bool {
        self.slots.iter().flatten().any(|slot| slot.rid == rid)
    }

    /// Records a new request of `kind` that must be answered within `timeout` of `now`, and returns
    /// the `$rid` to send it with. Ids count up from 1, wrap, and skip 0 and ids still in use.
    pub fn start(
        &mut self,
        kind: RequestKind,
        now: Instant,
        timeout: Duration,
    ) -> Result<u32, CorrelationError> {
        let free = self
            .slots
            .iter()
            .position(Option::is_none)
            .ok_or(CorrelationError::TableFull)?;
        // At most N ids are in use, so this finds a free one within N + 1 steps.
        let mut rid = self.next_rid;
        while rid == 0 || self.in_use(rid) {
            rid = rid.wrapping_add(1);
        }
        self.next_rid = rid.wrapping_add(1);
        self.slots[free] = Some(Slot {
            rid,
            kind,
            deadline: now + timeout,
        });
        Ok(rid)
    }

    /// Matches an answer by its raw `$rid` text and removes the request. A `$rid` that is not one
    /// of our decimal ids is [`CorrelationError::UnknownRequestId`].
    pub fn complete(&mut self, rid: &str, status: u16) -> Result<Completed, CorrelationError> {
        let rid = parse_rid(rid).ok_or(CorrelationError::UnknownRequestId)?;
        let slot = self
            .slots
            .iter_mut()
            .find(|slot| matches!(slot, Some(s) if s.rid == rid))
            .ok_or(CorrelationError::UnknownRequestId)?;
        let Some(done) = slot.take() else {
            return Err(CorrelationError::UnknownRequestId);
        };
        Ok(Completed {
            rid: done.rid,
            kind: done.kind,
            status,
        })
    }

    /// The earliest deadline, if any request is outstanding.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.slots.iter().flatten().map(|slot| slot.deadline).min()
    }

    /// Removes and returns one request whose deadline is at or before `now`; call until it returns
    /// `None`. Returns `None` at once when nothing is due, so early calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Expired> {
        let slot = self
            .slots
            .iter_mut()
            .filter(|slot| matches!(slot, Some(s) if s.deadline <= now))
            .min_by_key(|slot| slot.map(|s| s.deadline))?;
        slot.take().map(|s| Expired {
            rid: s.rid,
            kind: s.kind,
        })
    }

    /// Removes and returns one outstanding request, for the connection-lost case; call until it
    /// returns `None`.
    pub fn cancel_all(&mut self) -> Option<Expired> {
        self.slots
            .iter_mut()
            .find_map(Option::take)
            .map(|s| Expired {
                rid: s.rid,
                kind: s.kind,
            })
    }
}

/// Our ids are plain decimal `u32`s without sign or leading zeros.
fn parse_rid(text: &str) -> Option<u32> {
    let plain = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if plain {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twin::{TwinGetTopic, TwinResponse};
    use std::format;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn an_answer_completes_the_request_with_its_rid() {
        let mut table = PendingRequests::<4>::new();
        let t0 = Instant::from_secs(100);
        let get = table
            .start(RequestKind::TwinGet, t0, Duration::from_secs(10))
            .unwrap();
        let patch = table
            .start(RequestKind::TwinPatch, t0, Duration::from_secs(10))
            .unwrap();
        assert_ne!(get, patch);
        assert_eq!(table.len(), 2);

        // The topic we send and the answer the hub gives, through the real builder and parser.
        let sent = format!("{}", TwinGetTopic { rid: get });
        let rid_in_topic = sent.rsplit('=').next().unwrap();
        let answer_topic = format!("$iothub/twin/res/200/?$rid={rid_in_topic}");
        let answer = TwinResponse::parse(&answer_topic).unwrap();
        assert_eq!(
            table.complete(answer.rid, answer.status),
            Ok(Completed {
                rid: get,
                kind: RequestKind::TwinGet,
                status: 200
            })
        );
        // Answered once: a duplicate is unknown.
        assert_eq!(
            table.complete(answer.rid, 200),
            Err(CorrelationError::UnknownRequestId)
        );
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn foreign_or_malformed_rids_are_unknown() {
        let mut table = PendingRequests::<2>::new();
        let rid = table
            .start(RequestKind::DpsRegister, Instant::ZERO, SECOND)
            .unwrap();
        for bad in ["", "abc", "+1", "01", "-1", "99999999999", "2"] {
            assert_eq!(
                table.complete(bad, 200),
                Err(CorrelationError::UnknownRequestId),
                "{bad}"
            );
        }
        assert_eq!(rid, 1);
        assert!(table.complete("1", 202).is_ok());
    }

    #[test]
    fn requests_expire_in_deadline_order_and_not_before() {
        let mut table = PendingRequests::<3>::new();
        let t0 = Instant::from_secs(10);
        let slow = table
            .start(RequestKind::DpsPoll, t0, Duration::from_secs(30))
            .unwrap();
        let fast = table
            .start(RequestKind::TwinGet, t0, Duration::from_secs(5))
            .unwrap();
        assert_eq!(table.poll_timeout(), Some(t0 + Duration::from_secs(5)));

        // Early and spurious calls do nothing.
        assert_eq!(table.handle_timeout(t0), None);
        assert_eq!(table.handle_timeout(Instant::from_millis(14_999)), None);

        assert_eq!(
            table.handle_timeout(t0 + Duration::from_secs(5)),
            Some(Expired {
                rid: fast,
                kind: RequestKind::TwinGet
            })
        );
        assert_eq!(table.handle_timeout(t0 + Duration::from_secs(5)), None);
        assert_eq!(table.poll_timeout(), Some(t0 + Duration::from_secs(30)));
        // A late answer after expiry is unknown.
        assert_eq!(
            table.complete(&format!("{fast}"), 200),
            Err(CorrelationError::UnknownRequestId)
        );
        assert_eq!(
            table.handle_timeout(t0 + Duration::from_secs(60)),
            Some(Expired {
                rid: slow,
                kind: RequestKind::DpsPoll
            })
        );
        assert_eq!(table.poll_timeout(), None);
        assert!(table.is_empty());
    }

    #[test]
    fn a_full_table_refuses_and_a_freed_slot_is_reused() {
        let mut table = PendingRequests::<2>::new();
        let a = table
            .start(RequestKind::TwinGet, Instant::ZERO, SECOND)
            .unwrap();
        table
            .start(RequestKind::TwinGet, Instant::ZERO, SECOND)
            .unwrap();
        assert_eq!(
            table.start(RequestKind::TwinGet, Instant::ZERO, SECOND),
            Err(CorrelationError::TableFull)
        );
        table.complete(&format!("{a}"), 200).unwrap();
        assert!(table
            .start(RequestKind::TwinGet, Instant::ZERO, SECOND)
            .is_ok());
    }

    #[test]
    fn rids_wrap_skipping_zero_and_ids_in_use() {
        let mut table = PendingRequests::<2>::new();
        table.next_rid = u32::MAX;
        let last = table
            .start(RequestKind::TwinGet, Instant::ZERO, SECOND)
            .unwrap();
        assert_eq!(last, u32::MAX);
        let wrapped = table
            .start(RequestKind::TwinGet, Instant::ZERO, SECOND)
            .unwrap();
        assert_eq!(wrapped, 1);
        table.complete("1", 200).unwrap();
        table.next_rid = u32::MAX;
        // u32::MAX is still outstanding, 0 is never used: the next id is 1.
        assert_eq!(
            table.start(RequestKind::TwinGet, Instant::ZERO, SECOND),
            Ok(1)
        );
    }

    #[test]
    fn cancel_all_reports_every_outstanding_request_once() {
        let mut table = PendingRequests::<3>::new();
        table
            .start(RequestKind::TwinGet, Instant::ZERO, SECOND)
            .unwrap();
        table
            .start(RequestKind::TwinPatch, Instant::ZERO, SECOND)
            .unwrap();
        let mut cancelled = 0;
        while table.cancel_all().is_some() {
            cancelled += 1;
        }
        assert_eq!(cancelled, 2);
        assert!(table.is_empty());
        assert_eq!(table.poll_timeout(), None);
    }
}
