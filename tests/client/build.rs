// CONFIG_APP_TLS, CONFIG_APP_CREDENTIALS_PROVIDER and CONFIG_ZMQTT_TLS become cfg(...)s.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_TLS)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_CREDENTIALS_PROVIDER)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_ZMQTT_TLS)");
    zephyr_build::export_kconfig_bool_options();
}
