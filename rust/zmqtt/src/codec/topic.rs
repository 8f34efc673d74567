//! Topic names, topic filters and matching: MQTT 3.1.1 §4.7, MQTT 5.0 §4.7 and §4.8.2.
//!
//! A topic *name* (in PUBLISH) has no wildcards. A topic *filter* (in SUBSCRIBE/UNSUBSCRIBE) may
//! hold `+`, which must fill a whole level, and `#`, which must fill the last level. Both are at
//! least one byte and at most 65,535 bytes of UTF-8 without U+0000. Matching never lets a
//! leading wildcard match a topic starting with `$` (§4.7.2), so `#` does not see `$SYS/...`.
//!
//! Everything here walks the input once, level by level, without recursion.

use core::fmt;

use super::error::DecodeError;
use super::string::str_newtype;

/// Why a topic name or topic filter is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TopicError {
    /// Topic names and filters must be at least one byte long (§4.7.3).
    Empty,
    /// Longer than 65,535 bytes, the most a UTF-8 string field can hold (§1.5.4).
    TooLong,
    /// Contains U+0000, which no MQTT string may hold (§1.5.4).
    NullCharacter,
    /// A topic name contains `+` or `#`; wildcards are for filters only (§4.7.1).
    WildcardInName,
    /// `#` is not alone in the last level of the filter (§4.7.1.2).
    MultiLevelWildcard,
    /// `+` does not fill a whole level of the filter (§4.7.1.3).
    SingleLevelWildcard,
    /// `$share/{ShareName}/{filter}` with an empty or wildcard share name, or no filter (MQTT 5.0 §4.8.2).
    SharedSubscription,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "topic is empty",
            Self::TooLong => "topic is longer than 65535 bytes",
            Self::NullCharacter => "topic contains U+0000",
            Self::WildcardInName => "topic name contains a wildcard",
            Self::MultiLevelWildcard => "'#' is not alone in the last topic level",
            Self::SingleLevelWildcard => "'+' does not fill a whole topic level",
            Self::SharedSubscription => "malformed $share/{ShareName}/{filter}",
        })
    }
}

impl core::error::Error for TopicError {}

pub(crate) const SHARE_PREFIX: &str = "$share/";

/// The decode error for a topic read with `Reader::utf8`: U+0000 is reported as the string rule
/// it breaks, like in every other string.
pub(crate) fn topic_error(e: TopicError) -> DecodeError {
    match e {
        TopicError::NullCharacter => DecodeError::NullCharacter,
        e => DecodeError::Topic(e),
    }
}

// Scanning eight bytes at a time (SWAR) on 64-bit targets: topics are checked on every PUBLISH
// and SUBSCRIBE, in both directions, and a byte-by-byte loop with three comparisons was the
// codec's hottest spot on the host. Where `u64` is not native (the 32-bit MCUs zmqtt ships on)
// the word-wise scan is about 1 KB of Thumb-2 code, so those targets scan byte by byte
// (`for_each_special_bytewise`), which a unit test checks gives the same answers.
#[cfg(target_pointer_width = "64")]
const LO: u64 = 0x0101_0101_0101_0101;
#[cfg(target_pointer_width = "64")]
const HI: u64 = 0x8080_8080_8080_8080;
#[cfg(target_pointer_width = "64")]
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The top bit of each byte of the result is set where that byte of `x` is zero. Exact: unlike
/// the shorter `(x - LO) & !x & HI`, no borrow can mark a byte above a zero byte.
#[cfg(target_pointer_width = "64")]
const fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7).wrapping_add(LOW7)) | x) & HI
}

/// Marks the bytes that are 0, `+` or `#` (little-endian: byte `i` of the word is bit `8i + 7`).
/// `+` (0x2B) and `#` (0x23) differ only in bit 3, so setting that bit folds both into 0x2B and
/// one comparison finds either; no other byte becomes 0x2B that way.
#[cfg(target_pointer_width = "64")]
const fn special_bytes(word: u64) -> u64 {
    zero_bytes(word) | zero_bytes((word | (LO * 0x08)) ^ (LO * b'+' as u64))
}

/// Calls `f` with the index of each byte that is 0, `+` or `#`, in order, until `f` fails.
#[cfg(target_pointer_width = "64")]
fn for_each_special<E>(bytes: &[u8], mut f: impl FnMut(usize) -> Result<(), E>) -> Result<(), E> {
    let mut report = |base: usize, mut mask: u64| {
        while mask != 0 {
            f(base + (mask.trailing_zeros() / 8) as usize)?;
            mask &= mask - 1;
        }
        Ok(())
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([1; 8]));
        report(base, special_bytes(word))?;
        base += 8;
    }
    let tail = chunks.remainder().len();
    if tail == 0 {
        return Ok(());
    }
    // The tail is read as the last eight bytes when there are that many (one load, no copy to
    // the stack), dropping the lanes already seen; shorter input is assembled byte by byte.
    let (word, seen) = match bytes
        .len()
        .checked_sub(8)
        .and_then(|start| bytes.get(start..))
    {
        Some(last) => (
            u64::from_le_bytes(last.try_into().unwrap_or([1; 8])),
            8 - tail,
        ),
        None => {
            let word = bytes
                .iter()
                .rev()
                .fold(0u64, |w, &b| (w << 8) | u64::from(b));
            // Lanes past the end read as zero bytes, which would count as U+0000: mask them off.
            let valid = (1u64 << (8 * tail)) - 1;
            return report(0, special_bytes(word) & valid);
        }
    };
    report(
        base - seen,
        special_bytes(word) & !((1u64 << (8 * seen)) - 1),
    )
}

/// True if any byte is 0, `+` or `#`: the common, all-clear case ORs the masks of all words and
/// branches once.
#[cfg(target_pointer_width = "64")]
fn has_special(bytes: &[u8]) -> bool {
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([1; 8]));
    let Some(last) = bytes
        .len()
        .checked_sub(8)
        .and_then(|start| bytes.get(start..))
    else {
        // Shorter than a word: pad with 0xFF, which is not special.
        return special_bytes(
            bytes
                .iter()
                .rev()
                .fold(u64::MAX, |w, &b| (w << 8) | u64::from(b)),
        ) != 0;
    };
    // Whole words, then the last eight bytes (which may overlap the last whole word: looking at
    // a byte twice does no harm here).
    let whole = bytes
        .chunks_exact(8)
        .fold(0, |acc, c| acc | special_bytes(word(c)));
    whole | special_bytes(word(last)) != 0
}

/// [`for_each_special`] one byte at a time: the 32-bit targets' scan (size first).
#[cfg(any(test, not(target_pointer_width = "64")))]
fn for_each_special_bytewise<E>(
    bytes: &[u8],
    mut f: impl FnMut(usize) -> Result<(), E>,
) -> Result<(), E> {
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, 0 | b'+' | b'#') {
            f(i)?;
        }
    }
    Ok(())
}

/// [`has_special`] one byte at a time: the 32-bit targets' scan (size first).
#[cfg(any(test, not(target_pointer_width = "64")))]
fn has_special_bytewise(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| matches!(b, 0 | b'+' | b'#'))
}

#[cfg(not(target_pointer_width = "64"))]
use {for_each_special_bytewise as for_each_special, has_special_bytewise as has_special};

fn check_len(s: &[u8]) -> Result<(), TopicError> {
    if s.is_empty() {
        Err(TopicError::Empty)
    } else if s.len() > usize::from(u16::MAX) {
        Err(TopicError::TooLong)
    } else {
        Ok(())
    }
}

/// Checks a topic name as used in PUBLISH: non-empty, at most 65,535 bytes, no U+0000, no wildcards.
///
/// MQTT 5.0 also allows an *empty* topic name in PUBLISH when a Topic Alias is present; the
/// PUBLISH codec handles that case before calling this.
pub fn validate_topic_name(name: &str) -> Result<(), TopicError> {
    check_len(name.as_bytes())?;
    if !has_special(name.as_bytes()) {
        Ok(())
    } else if name.as_bytes().contains(&0) {
        Err(TopicError::NullCharacter)
    } else {
        Err(TopicError::WildcardInName)
    }
}

/// Checks a topic filter as used in SUBSCRIBE and UNSUBSCRIBE: the rules of a topic name, except
/// that `+` may fill any whole level and `#` the last level. A shared subscription
/// `$share/{ShareName}/{filter}` needs a non-empty share name without wildcards or `/`, and a
/// valid filter after it.
pub fn validate_topic_filter(filter: &str) -> Result<(), TopicError> {
    validate_filter_bytes(filter.as_bytes())
}

/// [`validate_topic_filter`] on bytes known to be UTF-8 (the rules only look at ASCII bytes,
/// which never occur inside a multi-byte character): lets a decoder check filters it has not
/// turned into `&str`.
pub(crate) fn validate_filter_bytes(bytes: &[u8]) -> Result<(), TopicError> {
    check_len(bytes)?;
    // Where the filter proper starts: after `$share/{ShareName}/` for a shared subscription.
    let start = match bytes.strip_prefix(SHARE_PREFIX.as_bytes()) {
        Some(rest) => match rest.iter().position(|&b| b == b'/') {
            Some(share) if share > 0 && share + 1 < rest.len() => SHARE_PREFIX.len() + share + 1,
            _ => return Err(TopicError::SharedSubscription),
        },
        None => 0,
    };
    // Only the special bytes are looked at: a wildcard must start its level, `+` must also end
    // it, `#` must end the filter, and the share name may hold neither.
    for_each_special(bytes, |i| {
        let b = bytes.get(i).copied();
        if b == Some(0) {
            return Err(TopicError::NullCharacter);
        }
        if i < start {
            return Err(TopicError::SharedSubscription);
        }
        let level_start = i == start || bytes.get(i - 1) == Some(&b'/');
        match b {
            Some(b'#') if !level_start || i + 1 != bytes.len() => {
                Err(TopicError::MultiLevelWildcard)
            }
            Some(b'+') if !level_start || !matches!(bytes.get(i + 1), None | Some(b'/')) => {
                Err(TopicError::SingleLevelWildcard)
            }
            _ => Ok(()),
        }
    })
}

/// A checked topic name: what a PUBLISH (or a Will) is sent to.
///
/// [`TopicName::new`] applies [`validate_topic_name`]: non-empty, at most 65,535 bytes, no
/// U+0000, no wildcards. The one exception is [`TopicName::EMPTY`], which only a MQTT 5.0
/// PUBLISH carrying a Topic Alias may use (`emit` refuses it anywhere else). Checking when the
/// value is built, not when it is encoded, means a topic published many times is scanned once.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicName<'a>(&'a str);

impl<'a> TopicName<'a> {
    /// The empty topic name of a MQTT 5.0 PUBLISH that names its topic by a Topic Alias
    /// (§3.3.2.3.4).
    pub const EMPTY: Self = Self("");

    /// Checks `name` with [`validate_topic_name`].
    pub fn new(name: &'a str) -> Result<Self, TopicError> {
        validate_topic_name(name)?;
        Ok(Self(name))
    }

    /// For names the codec or the client has validated itself.
    pub(crate) const fn new_validated(name: &'a str) -> Self {
        Self(name)
    }
}

str_newtype!(TopicName, TopicError);

/// A checked topic filter: what a SUBSCRIBE or UNSUBSCRIBE names.
///
/// [`TopicFilter::new`] applies [`validate_topic_filter`] (wildcard placement, shared
/// subscription syntax, length, U+0000), once, so that encoding only copies it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicFilter<'a>(&'a str);

impl<'a> TopicFilter<'a> {
    /// Checks `filter` with [`validate_topic_filter`].
    pub fn new(filter: &'a str) -> Result<Self, TopicError> {
        validate_topic_filter(filter)?;
        Ok(Self(filter))
    }

    /// For filters the codec or the client has validated itself.
    pub(crate) const fn new_validated(filter: &'a str) -> Self {
        Self(filter)
    }

    /// True for a `$share/{ShareName}/...` shared subscription (MQTT 5.0 §4.8.2).
    pub fn is_shared(&self) -> bool {
        is_shared_subscription(self.0)
    }
}

str_newtype!(TopicFilter, TopicError);

/// True when `filter` is a `$share/{ShareName}/...` shared subscription (MQTT 5.0 §4.8.2).
pub fn is_shared_subscription(filter: &str) -> bool {
    filter.starts_with(SHARE_PREFIX)
}

/// True when the topic name `name` matches the topic filter `filter` (§4.7).
///
/// Both are assumed valid (see [`validate_topic_name`] and [`validate_topic_filter`]); for invalid
/// input the answer is unspecified but the call still never panics and takes time linear in the
/// input. A shared subscription filter matches what its inner filter matches. A topic starting with
/// `$` is not matched by a filter starting with a wildcard (§4.7.2).
pub fn topic_matches(filter: &str, name: &str) -> bool {
    let filter = match filter.strip_prefix(SHARE_PREFIX) {
        Some(rest) => match rest.split_once('/') {
            Some((_, inner)) => inner,
            None => return false,
        },
        None => filter,
    };
    if name.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f_levels = filter.split('/');
    let mut n_levels = name.split('/');
    loop {
        match (f_levels.next(), n_levels.next()) {
            // `#` matches the parent level and everything below it ("sport/#" matches "sport").
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(f), Some(n)) if f == n => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    // Reduced feature sets (scripts/test) compile only some of the tests below.
    #![cfg_attr(
        not(all(feature = "v5", feature = "qos2", feature = "broker")),
        allow(unused_imports, dead_code)
    )]
    use super::*;

    #[test]
    fn special_byte_scan_is_exact_at_every_position() {
        // Neighbours of the special bytes and bytes with the top bit set must not count.
        let plain = [
            0x01, 0x22, 0x24, 0x2a, 0x2c, 0x7f, 0x80, 0xa3, 0xab, 0xff, b'a', b'/',
        ];
        for len in 1..20 {
            for filler in plain {
                let mut buf = vec![filler; len];
                assert!(!has_special(&buf), "{buf:02x?}");
                assert!(!has_special_bytewise(&buf), "{buf:02x?}");
                for at in 0..len {
                    for special in [0, b'+', b'#'] {
                        buf[at] = special;
                        assert!(has_special_bytewise(&buf), "{buf:02x?}");
                        for bytewise in [false, true] {
                            let mut found = vec![];
                            let record = |i| {
                                found.push(i);
                                Ok::<(), ()>(())
                            };
                            if bytewise {
                                for_each_special_bytewise(&buf, record).unwrap();
                            } else {
                                for_each_special(&buf, record).unwrap();
                            }
                            assert_eq!(found, [at], "{buf:02x?}");
                        }
                        buf[at] = filler;
                    }
                }
            }
        }
    }

    #[test]
    fn checked_topic_types_apply_the_rules_once_and_read_as_str() {
        let name = TopicName::new("a/b").unwrap();
        assert_eq!((name.as_str(), name.len(), &*name), ("a/b", 3, "a/b"));
        assert_eq!(name, "a/b");
        assert_eq!(format!("{name} {name:?}"), "a/b \"a/b\"");
        assert_eq!(TopicName::new(""), Err(TopicError::Empty));
        assert!(TopicName::EMPTY.is_empty());
        assert_eq!(TopicName::try_from("a/+"), Err(TopicError::WildcardInName));
        let filter = TopicFilter::new("$share/g/a/#").unwrap();
        assert!(filter.is_shared() && !TopicFilter::new("a/#").unwrap().is_shared());
        assert_eq!(
            TopicFilter::new("a/#/b"),
            Err(TopicError::MultiLevelWildcard)
        );
        assert_eq!(
            TopicFilter::new("$share//a"),
            Err(TopicError::SharedSubscription)
        );
    }

    #[test]
    fn topic_names_accept_plain_levels_and_empty_levels() {
        for ok in [
            "a",
            "/",
            "a/b/c",
            "/finance",
            "a//b",
            "$SYS/x",
            "sport/tennis/player1",
        ] {
            assert_eq!(validate_topic_name(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn topic_names_reject_each_broken_rule() {
        assert_eq!(validate_topic_name(""), Err(TopicError::Empty));
        assert_eq!(validate_topic_name("a/+"), Err(TopicError::WildcardInName));
        assert_eq!(validate_topic_name("a/#"), Err(TopicError::WildcardInName));
        assert_eq!(validate_topic_name("a\0b"), Err(TopicError::NullCharacter));
        let long = [b'a'; 65_536];
        let long = core::str::from_utf8(&long).unwrap();
        assert_eq!(validate_topic_name(long), Err(TopicError::TooLong));
        assert_eq!(validate_topic_name(&long[..65_535]), Ok(()));
    }

    #[test]
    fn topic_filters_accept_the_spec_examples() {
        // MQTT 5.0 §4.7.1.2 and §4.7.1.3 list these as valid.
        for ok in [
            "sport/tennis/player1/#",
            "sport/#",
            "#",
            "+",
            "+/tennis/#",
            "sport/+/player1",
            "/+",
            "+/+",
            "sport/+",
            "$share/group/a/+",
            "$share/g/#",
        ] {
            assert_eq!(validate_topic_filter(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn topic_filters_reject_misplaced_wildcards() {
        assert_eq!(
            validate_topic_filter("sport/tennis#"),
            Err(TopicError::MultiLevelWildcard)
        );
        assert_eq!(
            validate_topic_filter("sport/tennis/#/ranking"),
            Err(TopicError::MultiLevelWildcard)
        );
        assert_eq!(
            validate_topic_filter("##"),
            Err(TopicError::MultiLevelWildcard)
        );
        assert_eq!(
            validate_topic_filter("sport+"),
            Err(TopicError::SingleLevelWildcard)
        );
        assert_eq!(
            validate_topic_filter("a/+b/c"),
            Err(TopicError::SingleLevelWildcard)
        );
        assert_eq!(validate_topic_filter(""), Err(TopicError::Empty));
        assert_eq!(validate_topic_filter("a\0"), Err(TopicError::NullCharacter));
    }

    #[test]
    fn shared_subscription_filters_need_a_plain_share_name_and_a_filter() {
        assert_eq!(
            validate_topic_filter("$share/"),
            Err(TopicError::SharedSubscription)
        );
        assert_eq!(
            validate_topic_filter("$share/g"),
            Err(TopicError::SharedSubscription)
        );
        assert_eq!(
            validate_topic_filter("$share//a"),
            Err(TopicError::SharedSubscription)
        );
        assert_eq!(
            validate_topic_filter("$share/g/"),
            Err(TopicError::SharedSubscription)
        );
        assert_eq!(
            validate_topic_filter("$share/+/a"),
            Err(TopicError::SharedSubscription)
        );
        assert_eq!(
            validate_topic_filter("$share/g/a#"),
            Err(TopicError::MultiLevelWildcard)
        );
    }

    #[test]
    fn matching_follows_the_spec_examples() {
        let cases = [
            ("sport/tennis/player1/#", "sport/tennis/player1", true),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/ranking",
                true,
            ),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/score/wimbledon",
                true,
            ),
            ("sport/#", "sport", true),
            ("#", "a/b/c", true),
            ("sport/tennis/+", "sport/tennis/player1", true),
            ("sport/tennis/+", "sport/tennis/player1/ranking", false),
            ("sport/+", "sport", false),
            ("sport/+", "sport/", true),
            ("+/+", "/finance", true),
            ("/+", "/finance", true),
            ("+", "/finance", false),
            ("a/b", "a/b", true),
            ("a/b", "a/b/c", false),
            ("a/b/c", "a/b", false),
            ("a/+/c", "a//c", true),
            ("$share/g/a/+", "a/b", true),
            ("$share/g", "a", false),
        ];
        for (filter, name, want) in cases {
            assert_eq!(topic_matches(filter, name), want, "{filter} vs {name}");
        }
    }

    #[test]
    fn leading_wildcards_do_not_match_dollar_topics() {
        assert!(!topic_matches("#", "$SYS/monitor/Clients"));
        assert!(!topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(topic_matches("$SYS/#", "$SYS/monitor/Clients"));
        assert!(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
    }
}
