/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * zmqtt socket shim: Zephyr's zsock_* functions are syscall wrappers that exist only
 * as static inline functions in generated headers, so Rust cannot link to them.
 * These out-of-line wrappers are the only C the Rust crate calls (rust/zmqtt-zephyr/src/sys.rs).
 */
#include <zephyr/kernel.h>
