# SPDX-License-Identifier: Apache-2.0
"""CONFIG_ZMQTT_* values that only show on a running client: the client thread's priority
and stack, and the log level. Each test reads the values this build was made with from its
.config, so the same test checks the defaults (zmqtt.client.mosquitto) and other values
(zmqtt.client.tuned)."""

import re

from mqtt_fixtures import kconfig, kconfig_or_none, wait_line


def test_client_thread_has_the_configured_priority_and_stack(broker, dut, build_dir):
    priority = int(kconfig(build_dir, "ZMQTT_THREAD_PRIORITY"))
    stack = int(kconfig(build_dir, "ZMQTT_THREAD_STACK_SIZE"))
    # The kernel's view of the thread named "zmqtt", printed at on_connect (src/probe.c).
    line = wait_line(dut, r"thread zmqtt (priority -?\d+ stack \d+|not found)", 60)
    m = re.search(r"priority (-?\d+) stack (\d+)", line)
    assert m, line
    assert int(m.group(1)) == priority, line
    assert int(m.group(2)) == stack, line


def test_log_level_decides_whether_packets_are_logged_and_secrets_never_are(broker, dut, build_dir):
    level = int(kconfig(build_dir, "ZMQTT_LOG_LEVEL"))
    password = kconfig_or_none(build_dir, "APP_PASSWORD") or ""
    lines = dut.readlines_until(regex=r"on_subscribe mid=\d+", timeout=60)
    packet_lines = [l for l in lines if re.search(r"\b(tx|rx) (Connect|Connack|Subscribe)\(", l)]
    if level >= 4:
        # Debug: every packet sent and received, the CONNECT with its password's length only.
        assert any("tx Connect(" in l for l in packet_lines), lines
        assert any("rx Connack(" in l for l in packet_lines), lines
        if password:
            # With the credentials provider (tuned build) the first CONNECT carries its first
            # answer, "stale-token" (tests/client/Kconfig).
            provided = kconfig_or_none(build_dir, "APP_CREDENTIALS_PROVIDER") == "y"
            first = "stale-token" if provided else password
            assert any(f"password: Some(<{len(first)} bytes>)" in l for l in packet_lines), lines
    else:
        assert not packet_lines, packet_lines
    # Info and above still say what the client does.
    if level >= 3:
        assert any(re.search(r"connecting to \S+:\d+", l) for l in lines), lines
    if password:
        assert not [l for l in lines if password in l or "stale-token" in l]
        ascii_codes = ", ".join(str(b) for b in password.encode()[:4])
        assert not [l for l in lines if ascii_codes in l]
