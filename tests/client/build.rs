// CONFIG_APP_TLS, CONFIG_APP_WEBSOCKET, CONFIG_APP_CREDENTIALS_PROVIDER, CONFIG_APP_MQTT5 and the
// CONFIG_ZMQTT_TLS* options
// become cfg(...)s.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_TLS)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_CREDENTIALS_PROVIDER)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_ZMQTT_TLS)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_WEBSOCKET)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_ZMQTT_TLS_ALPN)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_MQTT5)");
    zephyr_build::export_kconfig_bool_options();
}
