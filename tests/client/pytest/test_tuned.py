# SPDX-License-Identifier: Apache-2.0
"""CONFIG_ZMQTT_RX_BUFFER_SIZE, CONFIG_ZMQTT_TOPIC_STORE_SIZE, CONFIG_ZMQTT_KEEPALIVE_SEC and
CONFIG_ZMQTT_CONNECT_TIMEOUT_MS, set away from their defaults in the zmqtt.client.tuned build,
seen from outside with a real broker (or a silent TCP peer)."""

import re
import time

import pytest
from mqtt_fixtures import SilentBroker, broker_log, kconfig, wait_line

# The filter the firmware subscribes to at each connection.
FIRST_FILTER = "{}/in/#"


def test_a_message_that_fits_the_receive_buffer_arrives_one_byte_more_drops_the_link(
    broker, observer, dut, client_id, build_dir
):
    rx = int(kconfig(build_dir, "ZMQTT_RX_BUFFER_SIZE"))
    assert 131 <= rx <= 16383, "the sizes below assume a two-byte remaining length"
    wait_line(dut, r"on_subscribe mid=\d+ granted=\[2\]", 60)
    topic = f"{client_id}/in/size"
    # A QoS 0 PUBLISH: 1 + 2 (remaining length) + 2 + topic + payload bytes.
    fits = "f" * (rx - 5 - len(topic))
    observer.publish(topic, fits, 0)
    wait_line(dut, rf"on_message topic={topic} payload=<{len(fits)} bytes>", 20)

    too_big = "b" * (len(fits) + 1)
    observer.publish(topic, too_big, 0)
    # The client cannot take the packet: it drops the link (as MQTT 5.0 prescribes for a
    # packet over the client's Maximum Packet Size), says why, and reconnects.
    lines = dut.readlines_until(regex=r"on_connect rc=0", timeout=30)
    assert [l for l in lines if f"larger than the receive limit of {rx} bytes" in l], lines
    assert not [l for l in lines if f"payload=<{len(too_big)} bytes>" in l], lines
    # And works as before.
    wait_line(dut, r"on_subscribe mid=\d+ granted=\[2\]", 20)
    observer.publish(topic, "after", 1)
    wait_line(dut, rf"on_message topic={topic} payload=after$", 20)


def test_the_topic_store_bounds_the_subscriptions_remembered(broker, observer, dut, client_id,
                                                               build_dir):
    store = int(kconfig(build_dir, "ZMQTT_TOPIC_STORE_SIZE"))
    # Each remembered filter takes 8 bytes plus its text (see the Kconfig help).
    first = 8 + len(FIRST_FILTER.format(client_id))
    second = f"{client_id}/a/+"
    third = f"{client_id}/b/+"
    assert first + 8 + len(second) <= store < first + 2 * (8 + len(second)), \
        "the tuned build's store must hold exactly one more filter"
    wait_line(dut, r"on_subscribe mid=\d+ granted=\[2\]", 60)
    observer.publish(f"{client_id}/in/sub", second, 1)
    mid = wait_line(dut, r"subscribe mid=\d+", 20).split("mid=")[1]
    wait_line(dut, rf"on_subscribe mid={mid} granted=\[1\]", 20)
    observer.publish(f"{client_id}/in/sub", third, 1)
    # -2: the topic store (MqttError "persistence") is full.
    wait_line(dut, r"subscribe error=-2 ", 20)


def test_connect_without_keep_alive_uses_the_configured_default(broker, dut, client_id,
                                                                 build_dir):
    assert int(kconfig(build_dir, "APP_KEEPALIVE_SEC")) == -1, "the firmware must not set one"
    keepalive = int(kconfig(build_dir, "ZMQTT_KEEPALIVE_SEC"))
    wait_line(dut, r"on_connect rc=0", 30)
    # mosquitto: "New client connected from ... as zmqtt-test (p2, c0, k<keep-alive>, u'...')".
    m = re.search(rf"connected from \S+ as {client_id} \(p\d+, c\d+, k(\d+)", broker_log(broker))
    assert m, broker_log(broker)
    assert int(m.group(1)) == keepalive


@pytest.fixture()
def silent_broker(broker_port):
    b = SilentBroker(broker_port)
    yield b
    b.stop()


def test_a_broker_that_never_sends_connack_is_left_after_the_connect_timeout(
    silent_broker, dut, build_dir
):
    timeout = int(kconfig(build_dir, "ZMQTT_CONNECT_TIMEOUT_MS")) / 1000
    wait_line(dut, r"disconnected: no CONNACK: connect timeout", timeout + 10)
    wait_line(dut, r"on_connect rc=-31 ", 5)  # reported as such to on_connect
    wait_line(dut, r"connecting to ", 10)  # and it tries again, after its back-off
    deadline = time.monotonic() + 5
    while not silent_broker.links and time.monotonic() < deadline:
        time.sleep(0.05)
    assert silent_broker.links, "the client never closed the silent link"
    first, held = silent_broker.links[0]
    assert first[:1] == b"\x10", f"expected a CONNECT first, got {first[:8]!r}"
    # The client gave up after CONFIG_ZMQTT_CONNECT_TIMEOUT_MS (not the 10 s default).
    assert timeout - 0.2 <= held <= timeout + 1.5, f"link held {held:.2f} s, timeout {timeout} s"
