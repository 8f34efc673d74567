# SPDX-License-Identifier: Apache-2.0
"""The broker publishes the device's will when the device dies without DISCONNECT."""

import time

from mqtt_fixtures import wait_line


def test_will_is_published_when_the_device_is_killed(broker, observer, dut, client_id, keepalive):
    wait_line(dut, r"on_subscribe")
    observer.subscribe(f"{client_id}/status", 1)
    assert not [m for m in observer.messages if m.topic == f"{client_id}/status"]
    # Alive and connected: no will yet.
    time.sleep(keepalive * 1.5)
    assert not [m for m in observer.messages if m.topic == f"{client_id}/status"]
    # Kill QEMU / the native_sim process: no DISCONNECT is sent, so the broker publishes
    # the will (at once when the host closes the dead process's connection, at the
    # latest after 1.5 keep-alives of silence).
    dut.close()
    got = observer.wait_for(
        lambda m: m.topic == f"{client_id}/status", keepalive * 1.5 + 10, "the will"
    )
    assert got[0].payload == b"offline"
    assert got[0].qos == 1
