//! The protocol's topics: `{prefix}/fw/offer`, `{prefix}/fw/chunk/{offset}` in,
//! `{prefix}/fw/get` and `{prefix}/fw/status` out.

use core::fmt;

/// A message the device receives, classified by its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    /// `{prefix}/fw/offer`: the payload is an offer.
    Offer,
    /// `{prefix}/fw/chunk/{offset}`: the payload is the image from this offset.
    Chunk(u32),
    /// `{prefix}/fw/chunk/...` whose offset is not a decimal `u32`: the backend's bug.
    BadChunkTopic,
}

impl Incoming {
    /// Classifies `topic`; `None` when it is not one of this protocol's topics under `prefix`.
    pub fn classify(prefix: &str, topic: &str) -> Option<Incoming> {
        let rest = topic.strip_prefix(prefix)?.strip_prefix("/fw/")?;
        if rest == "offer" {
            return Some(Incoming::Offer);
        }
        let offset = rest.strip_prefix("chunk/")?;
        Some(parse_decimal(offset).map_or(Incoming::BadChunkTopic, Incoming::Chunk))
    }
}

/// A decimal `u32` with digits only (no sign, no spaces), as the protocol writes numbers.
pub(crate) fn parse_decimal(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A topic the device publishes on, below `{prefix}/fw/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutTopic {
    /// `{prefix}/fw/get`: a chunk request, `<offset> <length>`.
    Get,
    /// `{prefix}/fw/status`: `<state> [detail]`.
    Status,
}

impl OutTopic {
    /// The last topic level: `get` or `status`.
    pub fn suffix(self) -> &'static str {
        match self {
            OutTopic::Get => "get",
            OutTopic::Status => "status",
        }
    }
}

impl fmt::Display for OutTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_offer_and_chunk_topics() {
        assert_eq!(
            Incoming::classify("d1", "d1/fw/offer"),
            Some(Incoming::Offer)
        );
        assert_eq!(
            Incoming::classify("d1", "d1/fw/chunk/4096"),
            Some(Incoming::Chunk(4096))
        );
        assert_eq!(
            Incoming::classify("d1", "d1/fw/chunk/-1"),
            Some(Incoming::BadChunkTopic)
        );
        assert_eq!(
            Incoming::classify("d1", "d1/fw/chunk/99999999999"),
            Some(Incoming::BadChunkTopic)
        );
        assert_eq!(Incoming::classify("d1", "d2/fw/offer"), None);
        assert_eq!(Incoming::classify("d1", "d1/fw/status"), None);
        assert_eq!(Incoming::classify("d1", "d1x/fw/offer"), None);
    }
}
