//! The harness with no MQTT client: opens the transport, echoes what it reads to the
//! application, writes a fixed string. Subtracted from each client's image to show what the
//! client itself adds.
#![no_std]
#![no_main]

use bench_rt::{deliver, now_ms, Conn, PAYLOAD, TOPIC};

#[no_mangle]
pub extern "C" fn _start() -> ! {
    let mut buf = [0u8; 64];
    loop {
        let Ok(mut conn) = Conn::open() else { continue };
        let _ = conn.write(PAYLOAD);
        while let Ok(n) = conn.read(&mut buf) {
            if n == 0 || conn.wait(Some(now_ms() + 1000)).is_err() {
                break;
            }
            deliver(TOPIC, &buf[..n.min(buf.len())]);
        }
    }
}
