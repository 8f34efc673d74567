// CONFIG_APP_TLS and CONFIG_ZMQTT_TLS become cfg(CONFIG_APP_TLS), cfg(CONFIG_ZMQTT_TLS).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_TLS)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_ZMQTT_TLS)");
    zephyr_build::export_kconfig_bool_options();
}
