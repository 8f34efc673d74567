// Boolean Kconfig options become `cfg(CONFIG_*)` flags (zephyr-lang-rust turns only
// numbers and strings into constants). An option that is off emits nothing, so the
// ones this crate tests are declared here for rustc's check-cfg.
const BOOL_OPTIONS: &[&str] = &[
    "CONFIG_ZMQTT_MQTT5",
    "CONFIG_ZMQTT_PROTOCOL_5",
    "CONFIG_ZMQTT_TLS",
    "CONFIG_ZMQTT_TLS_ALPN",
    "CONFIG_ZMQTT_WEBSOCKET",
    "CONFIG_ZMQTT_QOS_RETRY",
    "CONFIG_ZMQTT_FOTA",
    "CONFIG_ZMQTT_AZURE",
    "CONFIG_NET_NATIVE_OFFLOADED_SOCKETS",
    "CONFIG_NET_IPV6",
    "CONFIG_SHELL",
    "CONFIG_LOG",
];

fn main() {
    for option in BOOL_OPTIONS {
        println!("cargo::rustc-check-cfg=cfg({option})");
    }
    zephyr_build::export_kconfig_bool_options();
}
