//! Checks topic validation and matching on arbitrary strings.
//!
//! Input: filter, a 0 byte, name (both must be UTF-8). Validation must not panic; for a valid
//! filter and name, `topic_matches` must agree with a slow reference written straight from
//! MQTT 5.0 §4.7, and a valid name must match itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zmqtt::codec::{topic_matches, validate_topic_filter, validate_topic_name};

fn reference_match(filter: &str, name: &str) -> bool {
    let filter = match filter.strip_prefix("$share/") {
        Some(rest) => rest.split_once('/').map_or("", |(_, f)| f),
        None => filter,
    };
    let f: Vec<&str> = filter.split('/').collect();
    let n: Vec<&str> = name.split('/').collect();
    if name.starts_with('$') && (f[0] == "+" || f[0] == "#") {
        return false;
    }
    for (i, level) in f.iter().enumerate() {
        if *level == "#" {
            return true;
        }
        match n.get(i) {
            Some(nl) if *level == "+" || level == nl => {}
            _ => return false,
        }
    }
    f.len() == n.len()
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |&b| b == 0);
    let (Some(f), Some(n)) = (parts.next(), parts.next()) else {
        return;
    };
    let (Ok(filter), Ok(name)) = (std::str::from_utf8(f), std::str::from_utf8(n)) else {
        return;
    };
    let filter_ok = validate_topic_filter(filter).is_ok();
    let name_ok = validate_topic_name(name).is_ok();
    // Never panics, also for invalid input.
    let matched = topic_matches(filter, name);
    if filter_ok && name_ok {
        assert_eq!(
            matched,
            reference_match(filter, name),
            "{filter:?} vs {name:?}"
        );
    }
    // A name is also a filter that matches itself, unless it reads as a shared subscription.
    if name_ok && !name.starts_with("$share/") {
        assert!(topic_matches(name, name), "{name:?} does not match itself");
        assert!(validate_topic_filter(name).is_ok(), "{name:?}");
    }
});
