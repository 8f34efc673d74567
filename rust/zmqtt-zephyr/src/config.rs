//! Kconfig values (`CONFIG_ZMQTT_*`) as typed constants.
//!
//! This is the only file that reads `CONFIG_ZMQTT_*`. Kconfig ranges catch single
//! values out of bounds; the const assertions below catch combinations that make no
//! sense, so such a build fails with a message instead of misbehaving at run time.
use zephyr::kconfig;

/// Bytes of the receive buffer: the largest packet the client accepts.
pub const RX_BUFFER_SIZE: usize = kconfig::CONFIG_ZMQTT_RX_BUFFER_SIZE as usize;
/// Bytes of the transmit buffer: the largest packet the client sends.
pub const TX_BUFFER_SIZE: usize = kconfig::CONFIG_ZMQTT_TX_BUFFER_SIZE as usize;
/// Bytes of the store for accepted outgoing messages.
pub const MESSAGE_STORE_SIZE: usize = kconfig::CONFIG_ZMQTT_MESSAGE_STORE_SIZE as usize;
/// Bytes of the store for subscriptions, topic aliases and an assigned client id.
pub const TOPIC_STORE_SIZE: usize = kconfig::CONFIG_ZMQTT_TOPIC_STORE_SIZE as usize;
/// Outgoing QoS 1/2 messages awaiting acknowledgement.
pub const MAX_INFLIGHT: usize = kconfig::CONFIG_ZMQTT_MAX_INFLIGHT as usize;
/// Incoming QoS 2 ids remembered until PUBREL (MQTT 5.0 Receive Maximum).
pub const MAX_INCOMING_QOS2: usize = kconfig::CONFIG_ZMQTT_MAX_INCOMING_QOS2 as usize;
/// Highest QoS that publish and subscribe accept.
pub const MAX_QOS: u8 = kconfig::CONFIG_ZMQTT_MAX_QOS as u8;
/// Publishes queued while offline or while the in-flight table is full.
pub const OFFLINE_QUEUE_LEN: usize = kconfig::CONFIG_ZMQTT_OFFLINE_QUEUE_LEN as usize;
/// Subscriptions restored after a reconnect without a session.
pub const MAX_SUBSCRIPTIONS: usize = kconfig::CONFIG_ZMQTT_MAX_SUBSCRIPTIONS as usize;
/// Longest topic name or filter, in bytes.
pub const MAX_TOPIC_LEN: usize = kconfig::CONFIG_ZMQTT_MAX_TOPIC_LEN as usize;
/// Longest client id, in bytes.
pub const MAX_CLIENT_ID_LEN: usize = kconfig::CONFIG_ZMQTT_MAX_CLIENT_ID_LEN as usize;
/// Longest user name, in bytes.
pub const MAX_USERNAME_LEN: usize = kconfig::CONFIG_ZMQTT_MAX_USERNAME_LEN as usize;
/// Longest password, in bytes.
pub const MAX_PASSWORD_LEN: usize = kconfig::CONFIG_ZMQTT_MAX_PASSWORD_LEN as usize;
/// Longest will message, in bytes.
pub const MAX_WILL_PAYLOAD_LEN: usize = kconfig::CONFIG_ZMQTT_MAX_WILL_PAYLOAD_LEN as usize;
/// Keep-alive used when the connect options give none, in seconds.
pub const KEEPALIVE_SEC: u16 = kconfig::CONFIG_ZMQTT_KEEPALIVE_SEC as u16;
/// Longest delay between reconnect attempts, in seconds.
pub const RECONNECT_MAX_DELAY_SEC: u32 = kconfig::CONFIG_ZMQTT_RECONNECT_MAX_DELAY_SEC as u32;
/// TCP/TLS connect and CONNACK timeout, in milliseconds.
pub const CONNECT_TIMEOUT_MS: u32 = kconfig::CONFIG_ZMQTT_CONNECT_TIMEOUT_MS as u32;
/// Stack of the client thread, in bytes.
pub const THREAD_STACK_SIZE: usize = kconfig::CONFIG_ZMQTT_THREAD_STACK_SIZE as usize;
/// Zephyr priority of the client thread.
pub const THREAD_PRIORITY: i32 = kconfig::CONFIG_ZMQTT_THREAD_PRIORITY as i32;
/// `CONFIG_ZMQTT_LOG_LEVEL` as a `log` filter.
#[cfg(CONFIG_LOG)]
pub const LOG_LEVEL: log::LevelFilter = crate::log::level_filter(kconfig::CONFIG_ZMQTT_LOG_LEVEL);
/// Logging is off in this build (`CONFIG_LOG=n`).
#[cfg(not(CONFIG_LOG))]
pub const LOG_LEVEL: log::LevelFilter = log::LevelFilter::Off;
/// First TLS security tag of the clients' credentials.
#[cfg(CONFIG_ZMQTT_TLS)]
pub const TLS_SEC_TAG_BASE: i32 = kconfig::CONFIG_ZMQTT_TLS_SEC_TAG_BASE as i32;
/// Most ALPN names a TLS socket takes.
#[cfg(CONFIG_ZMQTT_TLS_ALPN)]
pub const TLS_MAX_ALPN: usize = kconfig::CONFIG_NET_SOCKETS_TLS_MAX_APP_PROTOCOLS as usize;
/// Whether this build speaks MQTT 5.0.
pub const MQTT5: bool = cfg!(CONFIG_ZMQTT_MQTT5);
/// Whether this build speaks MQTT 3.1.1.
pub const MQTT3: bool = !cfg!(CONFIG_ZMQTT_PROTOCOL_5);
/// Whether this build has TLS.
pub const TLS: bool = cfg!(CONFIG_ZMQTT_TLS);

// A CONNECT with a client id, credentials and a will, or a PUBLISH with a topic of
// MAX_TOPIC_LEN, must fit the buffers, or the client could never send them.
const _: () = assert!(
    MAX_TOPIC_LEN + 16 <= TX_BUFFER_SIZE,
    "CONFIG_ZMQTT_TX_BUFFER_SIZE must exceed CONFIG_ZMQTT_MAX_TOPIC_LEN by 16 bytes of headers"
);
const _: () = assert!(
    MAX_TOPIC_LEN + 16 <= RX_BUFFER_SIZE,
    "CONFIG_ZMQTT_RX_BUFFER_SIZE must exceed CONFIG_ZMQTT_MAX_TOPIC_LEN by 16 bytes of headers"
);

/// How long a firmware-update chunk request waits for its chunk (ms).
#[cfg(CONFIG_ZMQTT_FOTA)]
pub const FOTA_REQUEST_TIMEOUT_MS: u64 = kconfig::CONFIG_ZMQTT_FOTA_REQUEST_TIMEOUT_MS as u64;
/// Unanswered chunk requests before a firmware download fails.
#[cfg(CONFIG_ZMQTT_FOTA)]
pub const FOTA_MAX_RETRIES: u8 = kconfig::CONFIG_ZMQTT_FOTA_MAX_RETRIES as u8;

// Kconfig and the core's cargo features must agree: the module's CMake derives one from the
// other, so a mismatch means the crate was built some other way.
#[cfg(all(CONFIG_ZMQTT_MQTT5, not(feature = "v5")))]
compile_error!(
    "CONFIG_ZMQTT_MQTT5 needs zmqtt-zephyr's `v5` feature (set by the zmqtt module's CMake)"
);
#[cfg(all(CONFIG_ZMQTT_WEBSOCKET, not(feature = "websocket")))]
compile_error!(
    "CONFIG_ZMQTT_WEBSOCKET needs zmqtt-zephyr's `websocket` feature (set by the zmqtt module's CMake)"
);
#[cfg(all(CONFIG_ZMQTT_QOS_RETRY, not(feature = "retry")))]
compile_error!(
    "CONFIG_ZMQTT_QOS_RETRY needs zmqtt-zephyr's `retry` feature (set by the zmqtt module's CMake)"
);
const _: () = assert!(
    MAX_QOS < 2 || cfg!(feature = "qos2"),
    "CONFIG_ZMQTT_MAX_QOS=2 needs zmqtt-zephyr's `qos2` feature (set by the zmqtt module's CMake)"
);

/// Lifetime of each SAS token, in seconds.
#[cfg(CONFIG_ZMQTT_AZURE)]
pub const AZURE_TOKEN_LIFETIME_SEC: u64 = kconfig::CONFIG_ZMQTT_AZURE_TOKEN_LIFETIME_SEC as u64;
/// Share of a token's lifetime after which it is renewed, per mille.
#[cfg(CONFIG_ZMQTT_AZURE)]
pub const AZURE_RENEW_PERMILLE: u16 = kconfig::CONFIG_ZMQTT_AZURE_RENEW_PERMILLE as u16;
/// How long a twin request waits for its answer (ms).
#[cfg(CONFIG_ZMQTT_AZURE)]
pub const AZURE_REQUEST_TIMEOUT_MS: u64 = kconfig::CONFIG_ZMQTT_AZURE_REQUEST_TIMEOUT_MS as u64;
/// Twin requests that may wait for an answer at once.
#[cfg(CONFIG_ZMQTT_AZURE)]
pub const AZURE_MAX_PENDING: usize = kconfig::CONFIG_ZMQTT_AZURE_MAX_PENDING as usize;
/// Bytes of the direct-method reply buffer.
#[cfg(CONFIG_ZMQTT_AZURE)]
pub const AZURE_METHOD_REPLY_SIZE: usize = kconfig::CONFIG_ZMQTT_AZURE_METHOD_REPLY_SIZE as usize;
/// Stack of the Azure timer thread, in bytes.
#[cfg(CONFIG_ZMQTT_AZURE)]
pub const AZURE_THREAD_STACK_SIZE: usize = kconfig::CONFIG_ZMQTT_AZURE_THREAD_STACK_SIZE as usize;

#[cfg(all(CONFIG_ZMQTT_AZURE, not(feature = "azure")))]
compile_error!(
    "CONFIG_ZMQTT_AZURE needs zmqtt-zephyr's `azure` feature (set by the zmqtt module's CMake)"
);
