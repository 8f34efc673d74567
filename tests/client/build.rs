// CONFIG_APP_TLS becomes cfg(CONFIG_APP_TLS).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(CONFIG_APP_TLS)");
    zephyr_build::export_kconfig_bool_options();
}
