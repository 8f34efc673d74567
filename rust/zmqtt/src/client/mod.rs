//! The sans-IO MQTT client engine.

mod backoff;
mod packet_id;
mod timer;

pub use packet_id::PacketId;
