//! Characters a broker may refuse in a string the client sends (MQTT 3.1.1 §1.5.3, MQTT 5.0
//! §1.5.4).
//!
//! The codec accepts every string MQTT allows (only U+0000 is forbidden outright). The spec adds
//! that strings SHOULD NOT hold control characters (U+0001–U+001F, U+007F–U+009F) or Unicode
//! non-characters (U+FDD0–U+FDEF and the last two code points of every plane), and that a
//! receiver MAY treat them as malformed. mosquitto does: it drops the connection. A client that
//! accepted such a topic would send it again after every reconnect, so `publish`, `subscribe`,
//! `unsubscribe` and the connect options refuse them up front instead.
//!
//! Incoming strings are not checked against these rules: the broker chose to send them.

/// Whether `s` holds a character brokers may treat as malformed (see the module doc).
///
/// Looks at the UTF-8 bytes, not at decoded characters (size first: no UTF-8 decoder is
/// linked for this); `s` is valid UTF-8, so a lead byte and the bytes after it are always
/// one whole character.
pub(crate) fn has_forbidden_char(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &lead)| {
        let next = |k: usize| b.get(i + k).copied().unwrap_or(0);
        match lead {
            // U+0000..U+001F, U+007F.
            0x00..=0x1f | 0x7f => true,
            // U+0080..U+009F: C2 80..C2 9F.
            0xc2 => next(1) <= 0x9f,
            // U+FDD0..U+FDEF: EF B7 90..EF B7 AF; U+FFFE, U+FFFF: EF BF BE, EF BF BF.
            0xef => {
                (next(1) == 0xb7 && (0x90..=0xaf).contains(&next(2)))
                    || (next(1) == 0xbf && next(2) >= 0xbe)
            }
            // U+nFFFE, U+nFFFF of planes 1 to 16: the low 16 bits all ones but the last.
            0xf0..=0xf4 => next(1) & 0x0f == 0x0f && next(2) == 0xbf && next(3) >= 0xbe,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule on code points, as the spec words it.
    fn is_forbidden(c: char) -> bool {
        let c = u32::from(c);
        c < 0x20
            || (0x7f..=0x9f).contains(&c)
            || (0xfdd0..=0xfdef).contains(&c)
            || c & 0xfffe == 0xfffe
    }

    #[test]
    fn byte_scan_agrees_with_the_code_point_rule_for_every_character() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let s: String = ['a', c, 'b'].iter().collect();
            assert_eq!(
                has_forbidden_char(&s),
                is_forbidden(c),
                "U+{:04X}",
                u32::from(c)
            );
            assert_eq!(
                has_forbidden_char(c.encode_utf8(&mut [0; 4])),
                is_forbidden(c)
            );
        }
    }

    // The code points MQTT 3.1.1 §1.5.3 (and MQTT 5.0 §1.5.4) names, and the Unicode Standard's
    // list of the 66 non-characters (§23.7): U+FDD0..U+FDEF and U+nFFFE/U+nFFFF for n = 0..16.
    #[test]
    fn control_characters_of_the_spec_are_forbidden() {
        for c in (0x01..=0x1f).chain(0x7f..=0x9f) {
            let s: String = ['a', char::from_u32(c).unwrap(), 'b'].iter().collect();
            assert!(has_forbidden_char(&s), "U+{c:04X}");
        }
    }

    #[test]
    fn the_66_noncharacters_are_forbidden() {
        let mut count = 0;
        for c in (0xfdd0..=0xfdef).chain((0..=16).flat_map(|plane| {
            let base = plane << 16;
            [base | 0xfffe, base | 0xffff]
        })) {
            let s: String = ['x', char::from_u32(c).unwrap()].iter().collect();
            assert!(has_forbidden_char(&s), "U+{c:04X}");
            count += 1;
        }
        assert_eq!(count, 66);
    }

    #[test]
    fn ordinary_text_is_allowed() {
        for s in [
            "a/b",
            "sensors/temp",
            "~!@$%^&*()_ {}|:<>?",
            "\u{a0}",
            "dock/\u{e9}t\u{e9}",
            "\u{fdcf}\u{fdf0}\u{fffd}",
            "\u{1f600}",
            "\u{10fffd}",
            "",
        ] {
            assert!(!has_forbidden_char(s), "{s:?}");
        }
    }
}
