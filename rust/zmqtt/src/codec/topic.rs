//! Topic names, topic filters and matching: MQTT 3.1.1 §4.7, MQTT 5.0 §4.7 and §4.8.2.
//!
//! A topic *name* (in PUBLISH) has no wildcards. A topic *filter* (in SUBSCRIBE/UNSUBSCRIBE) may
//! hold `+`, which must fill a whole level, and `#`, which must fill the last level. Both are at
//! least one byte and at most 65,535 bytes of UTF-8 without U+0000. Matching never lets a
//! leading wildcard match a topic starting with `$` (§4.7.2), so `#` does not see `$SYS/...`.
//!
//! Everything here walks the input once, level by level, without recursion.

use core::fmt;

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

const SHARE_PREFIX: &str = "$share/";

fn check_common(s: &str) -> Result<(), TopicError> {
    if s.is_empty() {
        Err(TopicError::Empty)
    } else if s.len() > usize::from(u16::MAX) {
        Err(TopicError::TooLong)
    } else if s.as_bytes().contains(&0) {
        Err(TopicError::NullCharacter)
    } else {
        Ok(())
    }
}

/// Checks a topic name as used in PUBLISH: non-empty, at most 65,535 bytes, no U+0000, no wildcards.
///
/// MQTT 5.0 also allows an *empty* topic name in PUBLISH when a Topic Alias is present; the
/// PUBLISH codec handles that case before calling this.
pub fn validate_topic_name(name: &str) -> Result<(), TopicError> {
    check_common(name)?;
    if name.bytes().any(|b| b == b'+' || b == b'#') {
        return Err(TopicError::WildcardInName);
    }
    Ok(())
}

/// Checks a topic filter as used in SUBSCRIBE and UNSUBSCRIBE: the rules of a topic name, except
/// that `+` may fill any whole level and `#` the last level. A shared subscription
/// `$share/{ShareName}/{filter}` needs a non-empty share name without wildcards or `/`, and a
/// valid filter after it.
pub fn validate_topic_filter(filter: &str) -> Result<(), TopicError> {
    check_common(filter)?;
    let inner = match filter.strip_prefix(SHARE_PREFIX) {
        Some(rest) => {
            let (share, inner) = rest.split_once('/').ok_or(TopicError::SharedSubscription)?;
            if share.is_empty() || inner.is_empty() || share.bytes().any(|b| b == b'+' || b == b'#')
            {
                return Err(TopicError::SharedSubscription);
            }
            inner
        }
        None => filter,
    };
    let mut levels = inner.split('/').peekable();
    while let Some(level) = levels.next() {
        if level.contains('#') && (level != "#" || levels.peek().is_some()) {
            return Err(TopicError::MultiLevelWildcard);
        }
        if level.contains('+') && level != "+" {
            return Err(TopicError::SingleLevelWildcard);
        }
    }
    Ok(())
}

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
    use super::*;

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
