// CONFIG_APP_TLS, CONFIG_APP_WEBSOCKET and CONFIG_ZMQTT_TLS become cfg(CONFIG_…) flags.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_TLS)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_ZMQTT_TLS)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_WEBSOCKET)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_ZMQTT_TLS_ALPN)");
    zephyr_build::export_kconfig_bool_options();
}
