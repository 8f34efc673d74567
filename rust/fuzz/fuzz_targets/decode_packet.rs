//! Feeds arbitrary bytes to `zmqtt::codec::decode`, as a stream reader would.
//!
//! Input: one control byte, then the stream. Control bit 0 picks the version (0 = 3.1.1,
//! 1 = 5.0); bit 1 set means a small maximum packet size (8 × the upper six bits), else none.
//! Besides "never panics", each decoded packet must re-encode into exactly `buffer_len()` bytes
//! that decode to the same packet, and a buffer one byte short must be refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zmqtt::codec::{decode, Decoded, EncodeError, Packet, ProtocolVersion};

fn walk_views(packet: &Packet<'_>) {
    // The Encoded views must iterate without panicking; the counts are only used to keep the
    // optimiser from dropping the loops.
    let mut n = 0usize;
    match packet {
        Packet::Subscribe(s) => {
            n += s.subscriptions.iter().count();
            n += s.properties.iter().count();
        }
        Packet::Unsubscribe(u) => n += u.filters.iter().count(),
        Packet::Publish(p) => {
            n += p.properties.iter().count();
            n += p.properties.user_properties().count();
        }
        Packet::Connect(c) => {
            n += c.properties.iter().count();
            n += c.will.map_or(0, |w| w.properties.iter().count());
        }
        Packet::Connack(c) => n += usize::from(c.properties.maximum_qos().is_some()),
        _ => {}
    }
    std::hint::black_box(n);
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, mut stream)) = data.split_first() else {
        return;
    };
    let version = if control & 1 == 0 {
        ProtocolVersion::V3_1_1
    } else {
        ProtocolVersion::V5
    };
    let max = if control & 2 == 0 {
        u32::MAX
    } else {
        u32::from(control >> 2) * 8
    };
    // Each round consumes at least two bytes, so this ends.
    loop {
        match decode(stream, version, max) {
            Ok(Decoded::Packet { packet, len }) => {
                assert!(len >= 2 && len <= stream.len() && len as u64 <= u64::from(max));
                walk_views(&packet);
                let need = packet.buffer_len(version);
                let mut out = vec![0u8; need];
                assert_eq!(packet.emit(version, &mut out), Ok(need), "{packet:?}");
                assert_eq!(
                    decode(&out, version, u32::MAX),
                    Ok(Decoded::Packet { packet, len: need }),
                    "re-decoding {out:02x?}"
                );
                assert_eq!(
                    packet.emit(version, &mut out[..need - 1]),
                    Err(EncodeError::BufferTooSmall { needed: need })
                );
                stream = &stream[len..];
            }
            Ok(Decoded::Incomplete { needed }) => {
                assert!(needed >= 1);
                return;
            }
            Err(_) => return,
        }
    }
});
