//! Puts scenario.ld where the linker finds it (`-Tscenario.ld` in .cargo/config.toml).
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::copy("scenario.ld", out.join("scenario.ld")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=scenario.ld");
}
