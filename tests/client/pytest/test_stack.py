# SPDX-License-Identifier: Apache-2.0
"""The main thread (CONFIG_MAIN_STACK_SIZE, Zephyr's default 1 KiB) and the client thread
(CONFIG_ZMQTT_THREAD_STACK_SIZE) keep a margin of stack never used, after a connection (and its
TLS handshake or WebSocket upgrade), a subscription and messages both ways at each QoS, with
large payloads: a change that makes either stack grow fails here before it overflows one on a
device.

The firmware prints what the kernel measures (src/probe.c: CONFIG_INIT_STACKS fills each stack
with a pattern at boot, k_thread_stack_space_get counts the bytes still holding it). On
native_sim the threads run on the host's own thread stacks, not on these, so the numbers say
nothing there: the test runs on the dl7450 model only."""

import re

import pytest
from mqtt_fixtures import Observer, kconfig, kconfig_or_none, wait_line, websockets

# Bytes each stack must keep unused. Interrupts on the dl7450 (Cortex-M3) run on their own
# stack, so this is room for the paths the test does not reach (a reconnect's log lines, an
# error's) and for compiler differences.
MARGIN = 256


@pytest.fixture()
def host(broker, build_dir):
    """A host client of the broker; over TLS (the test PKI's CA) when its only listener is
    the device's TLS one."""
    obs = Observer(broker.port, "zmqtt-stack-observer")
    if kconfig_or_none(build_dir, "APP_TLS") == "y" and not websockets(build_dir):
        obs.client.tls_set(ca_certs=f"{build_dir}/certs/ca.pem")
    obs.connect()
    yield obs
    obs.close()


def test_main_and_client_stacks_keep_a_margin(host, dut, client_id, build_dir):
    if kconfig(build_dir, "BOARD") != "dl7450":
        pytest.skip("native_sim runs Zephyr threads on host stacks: nothing to measure")
    observer = host
    wait_line(dut, r"on_subscribe mid=\d+ granted=\[2\]", 60)
    observer.subscribe(f"{client_id}/out/#", 2)
    for qos in (0, 1, 2):
        # The largest payload the default 1 KiB buffers carry with this topic, and a short one.
        for payload in ("x" * 900, f"ping at qos {qos}"):
            observer.publish(f"{client_id}/in/echo/{qos}", payload, qos)
            observer.wait_for(lambda m: m.topic == f"{client_id}/out/{qos}"
                              and m.payload.decode() == payload, 15, f"the echo at qos {qos}")
    wait_line(dut, r"tick \d+ mid=\d+", 15)
    observer.publish(f"{client_id}/in/stack", "", 1)
    sizes = {
        "main": int(kconfig(build_dir, "MAIN_STACK_SIZE")),
        "zmqtt": int(kconfig(build_dir, "ZMQTT_THREAD_STACK_SIZE")),
    }
    for _ in sizes:
        line = wait_line(dut, r"stack (main|zmqtt) (size \d+ unused \d+|unknown)")
        m = re.search(r"stack (\w+) size (\d+) unused (\d+)", line)
        assert m, line
        name, size, unused = m.group(1), int(m.group(2)), int(m.group(3))
        print(f"stack {name}: {size - unused} of {size} bytes used")
        assert size >= sizes[name], line
        assert unused >= MARGIN, f"{name} stack: {unused} bytes unused, under {MARGIN}: {line}"
