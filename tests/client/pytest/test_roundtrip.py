# SPDX-License-Identifier: Apache-2.0
"""Messages both ways at QoS 0, 1 and 2 through a real mosquitto."""

import pytest
from mqtt_fixtures import wait_line


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_echo_roundtrip_keeps_payload_and_qos(broker, observer, dut, client_id, qos):
    wait_line(dut, r"on_subscribe mid=\d+ granted=\[2\]")
    observer.subscribe(f"{client_id}/out/#", 2)
    payload = f"ping at qos {qos}"
    observer.publish(f"{client_id}/in/echo/{qos}", payload, qos)
    wait_line(dut, rf"on_message topic={client_id}/in/echo/{qos} payload={payload}")
    got = observer.wait_for(
        lambda m: m.topic == f"{client_id}/out/{qos}", 15, f"the echo on {client_id}/out/{qos}"
    )
    assert got[0].payload.decode() == payload
    assert got[0].qos == qos
    if qos > 0:
        # on_publish reports the echo's mid once the broker acknowledged it.
        mid = wait_line(dut, r"echo mid=\d+").split("mid=")[1]
        wait_line(dut, rf"on_publish mid={mid}$")
