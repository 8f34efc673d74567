fn main() {
    zephyr_build::export_kconfig_bool_options();
}
