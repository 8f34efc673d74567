// The sample's boolean options (samples/tls sets them) become cfg(CONFIG_APP_*).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_TLS)");
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_MUTUAL_TLS)");
    zephyr_build::export_kconfig_bool_options();
}
