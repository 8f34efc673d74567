# SPDX-License-Identifier: Apache-2.0
"""The TLS sample connects to a mosquitto TLS listener (the build's demo PKI) and its
message reaches a host subscriber; with overlay-mutual.conf the broker requires the
client certificate."""

import os
import re
import shutil
from pathlib import Path

import pytest
from mqtt_fixtures import Broker, Observer, wait_line


@pytest.fixture()
def tls_broker(build_dir, broker_port):
    mutual = re.search(r"^CONFIG_APP_MUTUAL_TLS=y$", Path(build_dir, "zephyr", ".config").read_text(), re.M)
    b = Broker(broker_port, tls=f"{os.path.join(build_dir, 'certs')}:server", require_certificate=bool(mutual))
    b.start()
    yield b
    b.stop()
    shutil.rmtree(b.dir, ignore_errors=True)


def test_tls_sample_connects_and_publishes(tls_broker, build_dir, dut, client_id):
    wait_line(dut, r"on_connect: rc=0", 60)
    wait_line(dut, r"on_subscribe: mid=\d+ granted=\[2\]", 20)
    wait_line(dut, r"on_publish: mid=\d+", 20)
