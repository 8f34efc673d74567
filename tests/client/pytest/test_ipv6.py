# SPDX-License-Identifier: Apache-2.0
"""A broker named by an IPv6 literal (CONFIG_APP_BROKER_HOST="[::1]"): the client connects
over IPv6, which the broker's log shows; test_roundtrip.py then runs over that link."""

import re

from mqtt_fixtures import broker_log, wait_line


def test_client_connects_over_ipv6(broker, dut, client_id):
    wait_line(dut, r"broker mqtt://\[::1\]:\d+ ", 20)
    wait_line(dut, r"on_connect rc=0", 30)
    log = broker_log(broker)
    # mosquitto: "New client connected from ::1:<port> as zmqtt-test ...".
    assert re.search(rf"New client connected from ::1:\d+ as {client_id}\b", log), log
