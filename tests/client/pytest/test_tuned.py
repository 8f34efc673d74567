# SPDX-License-Identifier: Apache-2.0
"""CONFIG_ZMQTT_RX_BUFFER_SIZE, CONFIG_ZMQTT_TOPIC_STORE_SIZE and CONFIG_ZMQTT_KEEPALIVE_SEC,
set away from their defaults in the zmqtt.client.tuned build, seen from outside with a real
broker."""

import re

from mqtt_fixtures import broker_log, kconfig, wait_line

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
